"""Networks as students and engineers write them, for the checkers to judge.

Written independently of the checker's program of local steps: a cache per layer, the layout,
reductions and L2 form chosen by arguments, and each classic mistake planted by name. The
checker must say ok to the correct ones, detect their conventions, and name each mistake.
"""

from dataclasses import dataclass

import numpy as np


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


OUTPUT_TOO = ("derivative_at_z", "derivative_of_the_output", "derivative_squared",
              "sigmoid_derivative_without_1_minus_h", "sigmoid_derivative_without_h")


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
    bug_layer: int | str = 0  # a layer index, or "every"
    slope: float = 0.01

    # --- pieces --------------------------------------------------------------------------
    def act(self, z):
        return {"logistic": sigmoid, "tanh": np.tanh, "relu": lambda v: np.maximum(v, 0),
                "leaky_relu": lambda v: np.where(v > 0, v, self.slope * v),
                "identity": lambda v: v}[self.activation](z)

    def act_grad(self, z, h, layer, upstream=None):
        bug = self.bug if self.bug_layer in (layer, "every") else None
        if bug == "missing_derivative":
            return 1.0
        if bug == "derivative_squared":
            return (h * (1 - h)) ** 2 if self.activation == "logistic" else (1 - h**2) ** 2
        if self.activation == "logistic":
            if bug == "derivative_at_z":
                return z * (1 - z)
            if bug == "derivative_of_the_output":
                return sigmoid(h) * (1 - sigmoid(h))
            if bug == "sigmoid_derivative_without_1_minus_h":
                return h
            if bug == "sigmoid_derivative_without_h":
                return 1 - h
            return h * (1 - h)
        if self.activation == "tanh":
            if bug == "derivative_at_z":
                return 1 - z**2
            if bug == "derivative_of_the_output":
                return 1 - np.tanh(h) ** 2
            if bug == "tanh_derivative_unsquared":
                return 1 - h
            return 1 - h**2
        if self.activation == "relu":
            if bug == "relu_wrong_side":
                return (z < 0) * 1.0
            if bug == "relu_derivative_is_its_output":
                return h
            if bug == "relu_mask_from_the_gradient":
                return (upstream > 0) * 1.0
            return (z > 0) * 1.0
        if self.activation == "leaky_relu":
            if bug == "relu_wrong_side":
                return np.where(z < 0, 1.0, self.slope)
            if bug == "leaky_slope_missing":
                return (z > 0) * 1.0
            return np.where(z > 0, 1.0, self.slope)
        return np.ones_like(z)

    def act_grad_output(self, z, p):
        """The sigmoid output's derivative, with the bug made at the output too."""
        return {"derivative_at_z": z * (1 - z),
                "derivative_of_the_output": sigmoid(p) * (1 - sigmoid(p)),
                "derivative_squared": (p * (1 - p)) ** 2,
                "sigmoid_derivative_without_1_minus_h": p,
                "sigmoid_derivative_without_h": 1 - p}[self.bug]

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
        z_out = caches[-1][1]
        if self.loss == "squared_error":
            factor = 0.5 if self.half else 1.0
            per_sample = factor * ((p - Y) ** 2).sum(axis=1)
            dp = (1.0 if self.half else 2.0) * (p - Y)
            if self.output == "logistic" and self.bug != "cross_entropy_delta_with_squared_error":
                if self.bug_layer == "every" and self.bug in OUTPUT_TOO:
                    delta = dp * self.act_grad_output(z_out, p)
                else:
                    delta = dp * p * (1 - p)
            elif self.output == "softmax" and self.bug == "softmax_jacobian_diagonal":
                delta = dp * p * (1 - p)
            elif self.output == "softmax" and self.bug != "softmax_jacobian_missing":
                delta = p * (dp - (p * dp).sum(axis=1, keepdims=True))
            else:
                delta = dp
        else:
            if self.output == "softmax":
                per_sample = -(Y * np.log(p)).sum(axis=1)
            else:
                per_sample = -(Y * np.log(p) + (1 - Y) * np.log(1 - p)).sum(axis=1)
            delta = p - Y
            if self.bug == "sigmoid_derivative_with_cross_entropy":
                delta = delta * p * (1 - p)
            if self.bug == "logits_for_probabilities":
                delta = z_out - Y
            if self.bug == "softmax_jacobian_diagonal":
                delta = (-Y / p) * p * (1 - p)
            if self.bug == "softmax_applied_twice":  # CrossEntropyLoss(softmax(z)): by hand
                e = np.exp(p - p.max(axis=1, keepdims=True))
                q = e / e.sum(axis=1, keepdims=True)
                dp = q - Y
                delta = p * (dp - (p * dp).sum(axis=1, keepdims=True))
            if self.bug == "sigmoid_applied_twice":
                delta = (sigmoid(p) - Y) * p * (1 - p)
            if self.bug == "log_softmax_missing":
                delta = -Y
            if self.bug == "target_not_subtracted":
                delta = p.copy()
        if self.bug == "sign_flipped":
            delta = -delta
        if self.bug == "derivative_at_the_output_layer":  # the hidden f' moved to the scores
            delta = delta * self.act_grad(z_out, self.act(z_out), None)
        scale = (1 / n if self.batch == "mean" else 1.0) * (1 / K if self.outputs == "mean"
                                                           else 1.0)
        data = per_sample.sum() * scale
        delta = delta * scale
        grads = [None] * len(params)
        back = None
        for i in reversed(range(len(Ws))):
            a, z = caches[i]
            here = self.bug if self.bug_layer in (i, "every") else None
            source = back if here == "gradients_before_the_derivative" and back is not None \
                else delta
            w_source = back if here == "weight_gradient_before_the_derivative" else source
            b_source = back if here == "bias_gradient_before_the_derivative" else source
            if here == "weight_gradient_transposed":
                gW = (source.T @ a)
            elif here == "weight_gradient_from_the_output":
                gW = (self.act(z) if i < len(Ws) - 1 else p).T @ source
            elif here == "weight_gradient_from_z" and i > 0:
                gW = caches[i - 1][1].T @ source
            else:
                gW = a.T @ w_source
            gb = source[0] if here == "bias_gradient_first_sample" else \
                source[-1] if here == "bias_gradient_last_sample" else b_source.sum(axis=0)
            if here == "bias_summed_weights_averaged":
                gb = gb * n  # the batch mean applied to the weights only
            grads[2 * i], grads[2 * i + 1] = gW, gb
            if i > 0:
                W = Ws[i]
                below = self.bug if self.bug_layer in (i - 1, "every") else None
                passed = back if below == "passed_down_before_the_derivative" else delta
                if below == "backward_without_weights":
                    back = passed.copy()
                else:
                    back = passed @ (W if below == "backward_without_transpose" else W.T)
                h = caches[i][0]  # the input of layer i is the output of hidden layer i - 1
                if self.bug == "derivative_at_the_output_layer":
                    delta = back  # moved up to the scores
                elif below == "derivative_of_the_layer_above":
                    delta = back * self.act_grad(z, self.act(z), None)  # layer i's own z
                else:
                    delta = back * self.act_grad(caches[i - 1][1], h, i - 1, back)
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
