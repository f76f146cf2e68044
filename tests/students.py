"""Networks as students and engineers write them, for the checkers to judge.

Written independently of ``reference.checking.backprop_variants``: a cache per layer, the layout,
reductions and L2 form chosen by arguments, and each classic mistake planted by name. The
checker must say ok to the correct ones, detect their conventions, and name each mistake.
"""

from dataclasses import dataclass

import numpy as np


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


@dataclass
class Student:
    """How one student writes the network: layout "sk" (n_in, n_out) or "torch"
    (n_out, n_in); batch "sum"/"mean"; outputs "sum"/"mean"; squared error with the half or
    not; the L2 penalty (alpha/2 or alpha) * sum W^2, divided by n or not, biases or not;
    and one planted ``bug`` at ``bug_layer``."""

    activation: str = "logistic"
    output: str = "softmax"
    loss: str = "cross_entropy"
    layout: str = "sk"
    batch: str = "mean"
    outputs: str = "sum"
    half: bool = True
    alpha: float = 0.0
    l2_half: bool = True
    l2_per_sample: bool = False
    l2_biases: bool = False
    bug: str | None = None
    bug_layer: int = 0
    slope: float = 0.01

    # --- pieces --------------------------------------------------------------------------
    def act(self, z):
        return {"logistic": sigmoid, "tanh": np.tanh, "relu": lambda v: np.maximum(v, 0),
                "leaky_relu": lambda v: np.where(v > 0, v, self.slope * v),
                "identity": lambda v: v}[self.activation](z)

    def act_grad(self, z, h, layer):
        bug = self.bug if layer == self.bug_layer else None
        if bug == "missing_derivative":
            return 1.0
        if self.activation == "logistic":
            if bug == "derivative_at_z":
                return z * (1 - z)
            if bug == "derivative_of_the_output":
                return sigmoid(h) * (1 - sigmoid(h))
            return h * (1 - h)
        if self.activation == "tanh":
            if bug == "derivative_at_z":
                return 1 - z**2
            if bug == "derivative_of_the_output":
                return 1 - np.tanh(h) ** 2
            return 1 - h**2
        if self.activation == "relu":
            return (z < 0) * 1.0 if bug == "relu_wrong_side" else (z > 0) * 1.0
        if self.activation == "leaky_relu":
            return np.where(z > 0, 1.0, self.slope)
        return np.ones_like(z)

    def out(self, z):
        if self.output == "softmax" and self.bug != "sigmoid_gradient_for_softmax_outputs":
            e = np.exp(z - z.max(axis=1, keepdims=True))
            return e / e.sum(axis=1, keepdims=True)
        if self.output == "identity":
            return z
        if self.bug == "softmax_gradient_for_sigmoid_outputs":
            e = np.exp(z - z.max(axis=1, keepdims=True))
            return e / e.sum(axis=1, keepdims=True)
        return sigmoid(z)

    # --- the network ---------------------------------------------------------------------
    def __call__(self, params, X, Y):
        n = len(X)
        Ws = [W.T if self.layout == "torch" else W for W in params[0::2]]
        bs = list(params[1::2])
        caches, a = [], X
        for i, (W, b) in enumerate(zip(Ws, bs)):
            z = a @ W + b
            caches.append((a, z))
            a = self.act(z) if i < len(Ws) - 1 else z
        p = self.out(a)
        K = p.shape[1]
        if self.loss == "squared_error":
            factor = 0.5 if self.half else 1.0
            per_sample = factor * ((p - Y) ** 2).sum(axis=1)
            delta = (1.0 if self.half else 2.0) * (p - Y)
            if self.output == "logistic" and self.bug != "cross_entropy_delta_with_squared_error":
                delta = delta * p * (1 - p)
        else:
            if self.output == "softmax":
                per_sample = -(Y * np.log(p)).sum(axis=1)
            else:
                per_sample = -(Y * np.log(p) + (1 - Y) * np.log(1 - p)).sum(axis=1)
            delta = p - Y
            if self.bug == "sigmoid_derivative_with_cross_entropy":
                delta = delta * p * (1 - p)
        if self.bug == "sign_flipped":
            delta = -delta
        scale = (1 / n if self.batch == "mean" else 1.0) * (1 / K if self.outputs == "mean"
                                                           else 1.0)
        data = per_sample.sum() * scale
        delta = delta * scale
        grads = [None] * len(params)
        for i in reversed(range(len(Ws))):
            a, z = caches[i]
            here = self.bug if i == self.bug_layer else None
            if here == "weight_gradient_transposed":
                gW = (delta.T @ a)
            elif here == "weight_gradient_from_the_output":
                gW = (self.act(z) if i < len(Ws) - 1 else p).T @ delta
            else:
                gW = a.T @ delta
            gb = delta[0] if here == "bias_gradient_first_sample" else delta.sum(axis=0)
            if here == "bias_summed_weights_averaged":
                gb = gb * n  # the batch mean applied to the weights only
            grads[2 * i], grads[2 * i + 1] = gW, gb
            if i > 0:
                W = Ws[i]
                below = self.bug if i - 1 == self.bug_layer else None
                back = delta @ (W if below == "backward_without_transpose" else W.T)
                h = caches[i][0]  # the input of layer i is the output of hidden layer i - 1
                delta = back * self.act_grad(caches[i - 1][1], h, i - 1)
        # L2
        coefficient = self.alpha * (1 if self.l2_half else 2) / (n if self.l2_per_sample else 1)
        penalty = 0.0
        for i, (W, b) in enumerate(zip(Ws, bs)):
            sign = -1 if (self.bug == "l2_sign" and i == self.bug_layer) else 1
            if not (self.bug == "l2_missing" and i == self.bug_layer):
                grads[2 * i] = grads[2 * i] + sign * coefficient * W
            if self.l2_biases:
                grads[2 * i + 1] = grads[2 * i + 1] + coefficient * b
            penalty += 0.5 * coefficient * ((W**2).sum() + ((b**2).sum() if self.l2_biases
                                                               else 0))
        if self.layout == "torch":
            grads[0::2] = [g.T for g in grads[0::2]]
        if self.bug == "textbook_cost":
            penalty *= 2  # the cost adds l2 sum W^2, the update differentiates l2/2 sum W^2
        return data + penalty, grads


def init(units, layout="sk", seed=0):
    rng = np.random.default_rng(seed)
    params = []
    for n_in, n_out in zip(units[:-1], units[1:]):
        W = rng.normal(0, 0.5, (n_in, n_out))
        params += [W.T.copy() if layout == "torch" else W, rng.normal(0, 0.1, n_out)]
    return params


def data(n=12, n_features=5, K=3, seed=0, output="softmax"):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, n_features))
    if output == "identity":
        return X, rng.normal(size=(n, K))
    if output == "logistic":
        return X, (rng.random((n, K)) > 0.5).astype(float)
    y = np.arange(n) % K
    return X, np.eye(K)[y]
