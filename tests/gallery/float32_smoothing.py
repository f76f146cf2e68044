"""Held-out gallery: float32 networks trained with label smoothing, and mixed precisions.

A practitioner's ``SmoothedSoftmaxNet``: float32 arrays throughout (X, W (n_in, n_out), b
(n_out,)), softmax cross-entropy against smoothed targets ``(1 - eps) * onehot + eps / K``
(torch's ``CrossEntropyLoss(label_smoothing=eps)``), averaged over the batch, L2
``0.5 * alpha * sum ||W||^2`` on the weights. The object is its own ``grad_fn``; it returns each
gradient in its parameter's dtype.

The mixed cases keep float64 weights beside float32 biases (a float32 checkpoint's biases next to
weights refitted in float64): NumPy promotes the arithmetic to float64 and the bias gradients are
cast back to float32.

Each planted mistake is a method rewritten in a subclass. Written without reading the checker.
"""

import numpy as np

from tests.gallery import heldout_tools


class SmoothedSoftmaxNet:
    """grad_fn(params, X, y) -> (loss, grads) for an MLP with a label-smoothed softmax output."""

    def __init__(self, n_classes, eps, alpha, hidden="tanh"):
        self.n_classes, self.eps, self.alpha, self.hidden = n_classes, eps, alpha, hidden

    def smooth_targets(self, y):
        onehot = np.eye(self.n_classes, dtype=np.float32)[y]
        return onehot * (1 - self.eps) + self.eps / self.n_classes

    def softmax(self, z):
        z = z - z.max(axis=1, keepdims=True)
        e = np.exp(z)
        return e / e.sum(axis=1, keepdims=True)

    def forward(self, params, X):
        self.Ws, self.bs = params[0::2], params[1::2]
        self.hs, self.zs = [X], []
        for i, (W, b) in enumerate(zip(self.Ws, self.bs)):
            z = self.hs[-1] @ W + b
            self.zs.append(z)
            if i < len(self.Ws) - 1:
                self.hs.append(np.tanh(z) if self.hidden == "tanh" else np.maximum(z, 0))
        return self.zs[-1]

    def activation_grad(self, i):
        """Derivative of hidden layer i's activation, from the cache."""
        if self.hidden == "tanh":
            return 1 - self.hs[i + 1] ** 2
        return (self.zs[i] > 0).astype(self.zs[i].dtype)

    def loss_and_dlogits(self, logits, y):
        p = self.softmax(logits)
        T = self.smooth_targets(y)
        n = len(y)
        loss = -np.sum(T * np.log(p)) / n
        return loss, (p - T) / n

    def backward(self, delta):
        grads = [None] * (2 * len(self.Ws))
        for i in reversed(range(len(self.Ws))):
            grads[2 * i] = self.hs[i].T @ delta + self.alpha * self.Ws[i]
            grads[2 * i + 1] = delta.sum(axis=0)
            if i > 0:
                delta = (delta @ self.Ws[i].T) * self.activation_grad(i - 1)
        return grads

    def __call__(self, params, X, y):
        logits = self.forward(params, X)
        loss, delta = self.loss_and_dlogits(logits, y)
        loss = loss + 0.5 * self.alpha * sum(np.sum(W * W) for W in self.Ws)
        grads = self.backward(delta)
        return loss, [g.astype(p.dtype) for g, p in zip(grads, params)]


# ------------------------------------------------------------------------------------------------
# Practitioners' versions
# ------------------------------------------------------------------------------------------------


class SmoothedTwice(SmoothedSoftmaxNet):
    def loss_and_dlogits(self, logits, y):
        p = self.softmax(logits)
        T = self.smooth_targets(y)
        T = (1 - self.eps) * T + self.eps / self.n_classes  # the loss's own label smoothing
        n = len(y)
        loss = -np.sum(T * np.log(p)) / n
        return loss, (p - T) / n


class GradientFromOnehot(SmoothedSoftmaxNet):
    def loss_and_dlogits(self, logits, y):
        p = self.softmax(logits)
        T = self.smooth_targets(y)
        n = len(y)
        loss = -np.sum(T * np.log(p)) / n
        onehot = np.eye(self.n_classes, dtype=np.float32)[y]
        return loss, (p - onehot) / n


class SmoothingOverOthers(SmoothedSoftmaxNet):
    def smooth_targets(self, y):
        onehot = np.eye(self.n_classes, dtype=np.float32)[y]
        return onehot * (1 - self.eps) + (1 - onehot) * self.eps / (self.n_classes - 1)


class SmoothingWithoutK(SmoothedSoftmaxNet):
    def smooth_targets(self, y):
        onehot = np.eye(self.n_classes, dtype=np.float32)[y]
        return onehot * (1 - self.eps) + self.eps


class SmoothingOverSamples(SmoothedSoftmaxNet):
    def smooth_targets(self, y):
        onehot = np.eye(self.n_classes, dtype=np.float32)[y]
        return onehot * (1 - self.eps) + self.eps / len(y)


class SoftmaxWithoutMax(SmoothedSoftmaxNet):
    def softmax(self, z):
        e = np.exp(z)
        return e / e.sum(axis=1, keepdims=True)


class TanhGradFromZ(SmoothedSoftmaxNet):
    def activation_grad(self, i):
        if self.hidden == "tanh":
            return 1 - self.zs[i] ** 2
        return (self.zs[i] > 0).astype(self.zs[i].dtype)


class WeightsOverNMinusOne(SmoothedSoftmaxNet):
    """Keeps delta unscaled and averages the weight gradients with n - 1 (the sample-variance
    habit); the biases use .mean()."""

    def loss_and_dlogits(self, logits, y):
        p = self.softmax(logits)
        T = self.smooth_targets(y)
        loss = -np.sum(T * np.log(p)) / len(y)
        return loss, p - T

    def backward(self, delta):
        n = delta.shape[0]
        grads = [None] * (2 * len(self.Ws))
        for i in reversed(range(len(self.Ws))):
            grads[2 * i] = self.hs[i].T @ delta / (n - 1) + self.alpha * self.Ws[i]
            grads[2 * i + 1] = delta.mean(axis=0)
            if i > 0:
                delta = (delta @ self.Ws[i].T) * self.activation_grad(i - 1)
        return grads


class UnrolledSquareTranspose(SmoothedSoftmaxNet):
    def backward(self, delta):
        W0, W1, W2 = self.Ws
        X, h1, h2 = self.hs
        a = self.alpha
        dW2, db2 = h2.T @ delta + a * W2, delta.sum(axis=0)
        d1 = (delta @ W2.T) * self.activation_grad(1)
        dW1, db1 = h1.T @ d1 + a * W1, d1.sum(axis=0)
        d0 = (d1 @ W1) * self.activation_grad(0)
        dW0, db0 = X.T @ d0 + a * W0, d0.sum(axis=0)
        return [dW0, db0, dW1, db1, dW2, db2]


class UnrolledBiasFromAbove(SmoothedSoftmaxNet):
    def backward(self, delta):
        W0, W1, W2 = self.Ws
        X, h1, h2 = self.hs
        a = self.alpha
        dW2, db2 = h2.T @ delta + a * W2, delta.sum(axis=0)
        d1 = (delta @ W2.T) * self.activation_grad(1)
        dW1, db1 = h1.T @ d1 + a * W1, d1.sum(axis=0)
        d0 = (d1 @ W1.T) * self.activation_grad(0)
        dW0, db0 = X.T @ d0 + a * W0, d1.sum(axis=0)
        return [dW0, db0, dW1, db1, dW2, db2]


# ------------------------------------------------------------------------------------------------
# Networks and data
# ------------------------------------------------------------------------------------------------

NETS = {  # name: sizes, hidden, eps, alpha, n, seed, dtypes (weights, biases), last-layer scale
    "tanh_ls": ([6, 10, 10, 4], "tanh", 0.1, 0.01, 40, 30, (np.float32, np.float32), 1.0),
    "tanh_ls_large_scores": ([6, 10, 10, 4], "tanh", 0.1, 0.01, 40, 30,
                             (np.float32, np.float32), 100.0),
    "relu_ls": ([5, 12, 3], "relu", 0.2, 0.0, 30, 31, (np.float32, np.float32), 1.0),
    "mixed": ([4, 8, 3], "tanh", 0.0, 0.0, 30, 32, (np.float64, np.float32), 1.0),
    "mixed_2001": ([4, 8, 3], "tanh", 0.0, 0.0, 2001, 33, (np.float64, np.float32), 1.0),
}


def _make(net, cls=SmoothedSoftmaxNet):
    sizes, hidden, eps, alpha, n, seed, (wdt, bdt), scale = NETS[net]

    def make():
        rng = np.random.default_rng(seed)
        params = []
        for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
            W = rng.standard_normal((n_in, n_out)) / np.sqrt(n_in)
            if i == len(sizes) - 2:
                W = W * scale
            params += [W.astype(wdt), (0.1 * rng.standard_normal(n_out)).astype(bdt)]
        X = rng.standard_normal((n, sizes[0])).astype(wdt)
        y = rng.integers(0, sizes[-1], n)
        grad_fn = cls(sizes[-1], eps, alpha, hidden)
        kwargs = dict(activation=hidden, output="softmax", loss="cross_entropy", alpha=alpha,
                      label_smoothing=eps,
                      expect={"batch": "mean", "l2": "alpha/2 * sum W^2", "l2_biases": False})
        if eps == 0.0:
            del kwargs["label_smoothing"]
        return grad_fn, params, X, y, kwargs
    return make


def _loss64(net):
    """Smoothed cross-entropy written again in float64 with a log-sum-exp."""
    sizes, hidden, eps, alpha, *_ = NETS[net]
    L = len(sizes) - 1

    def loss(P, X, y, add=None):
        A = np.asarray(X, dtype=np.float64)
        for i in range(L):
            Z = A @ P[f"W{i}"] + P[f"b{i}"]
            if i < L - 1:
                A = np.tanh(Z) if hidden == "tanh" else np.maximum(Z, 0.0)
        m = Z.max(axis=1, keepdims=True)
        logp = Z - m - np.log(np.exp(Z - m).sum(axis=1, keepdims=True))
        K = sizes[-1]
        T = (1 - eps) * np.eye(K)[y] + eps / K
        data = -np.sum(T * logp) / len(y)
        return data + 0.5 * alpha * sum(np.sum(P[f"W{i}"] ** 2) for i in range(L))
    return loss


CASES = []
_INDEPENDENT = {}
_BASELINES = {}

for _net, _tol in (("tanh_ls", 1e-4), ("relu_ls", 1e-4), ("mixed", 1e-4)):
    CASES.append({"name": f"f32_{_net}_correct", "make": _make(_net), "bug": None,
                  "unusual": False, "wrong": set(), "first_wrong_node": None})
    _INDEPENDENT[f"f32_{_net}_correct"] = (_loss64(_net), _tol, "central")


def _bug(name, net, cls, bug, unusual, wrong):
    CASES.append({"name": "f32_" + name, "make": _make(net, cls), "bug": bug,
                  "unusual": unusual, "wrong": set(wrong), "first_wrong_node": None})
    _BASELINES["f32_" + name] = _make(net)


_ALL3 = {f"{k}{i}" for i in range(3) for k in "Wb"}
_ALL2 = {"W0", "b0", "W1", "b1"}

_bug("targets_smoothed_twice", "tanh_ls", SmoothedTwice,
     "the targets come out of smooth_targets and the loss smooths them again: "
     "(1 - eps)((1 - eps) Y + eps/K) + eps/K", True, _ALL3)
_bug("gradient_from_onehot", "relu_ls", GradientFromOnehot,
     "the loss uses the smoothed targets but dlogits is (p - onehot) / n", True, _ALL2)
_bug("smoothing_over_other_classes", "tanh_ls", SmoothingOverOthers,
     "smoothing puts eps / (K - 1) on each wrong class (and 1 - eps on the right one), not "
     "torch's (1 - eps) Y + eps / K", True, _ALL3)
_bug("smoothing_without_K", "relu_ls", SmoothingWithoutK,
     "smooth_targets adds eps instead of eps / K: the targets no longer sum to one and "
     "p - T is not the gradient of the loss", True, _ALL2)
_bug("smoothing_over_samples", "relu_ls", SmoothingOverSamples,
     "smooth_targets divides eps by len(y) (the batch size) instead of the number of classes",
     True, _ALL2)
_bug("softmax_overflows_float32", "tanh_ls_large_scores", SoftmaxWithoutMax,
     "softmax without subtracting the row maximum, on float32 scores up to ~150: np.exp "
     "overflows to inf and the probabilities become nan", False, _ALL3)
_bug("tanh_grad_from_z", "tanh_ls", TanhGradFromZ,
     "the tanh derivative taken as 1 - z**2 from the pre-activation cache instead of "
     "1 - h**2", True, {"W0", "b0", "W1", "b1"})
_bug("weights_over_n_minus_1", "mixed_2001", WeightsOverNMinusOne,
     "the float64 weight gradients are averaged with n - 1 (2000 of 2001 samples, 0.05% too "
     "large) while the float32 biases use .mean()", True, {"W0", "W1"})
_bug("square_layer_missing_transpose", "tanh_ls", UnrolledSquareTranspose,
     "the unrolled backward writes d1 @ W1 instead of d1 @ W1.T for the square 10x10 layer",
     False, {"W0", "b0"})
_bug("bias_from_layer_above", "tanh_ls", UnrolledBiasFromAbove,
     "the first layer's bias gradient copy-pasted as d1.sum(axis=0) (the delta of the layer "
     "above) instead of d0.sum(axis=0)", True, {"b0"})


def self_check(verbose=True):
    """Every correct case against finite differences; every mistake changes what it says."""
    return heldout_tools.self_check(CASES, _BASELINES, _INDEPENDENT, verbose=verbose)


if __name__ == "__main__":
    self_check()
