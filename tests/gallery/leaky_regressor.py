"""Held-out gallery: a three-hidden-layer leaky-ReLU regressor, as a practitioner writes one.

Lists of W (n_in, n_out) and b (n_out,), a loop over layers, identity output, squared error on
three outputs, weight decay on the weights. ``grad_fn`` takes the flat list
``[W0, b0, W1, b1, W2, b2, W3, b3]`` and splits it with ``params[0::2], params[1::2]``.

Two practitioners' conventions:

- "half": ``0.5 * sum over outputs, mean over samples + 0.5 * wd * sum ||W||^2``, leaky slope
  0.01, the output layer's step written before the loop over hidden layers;
- "mean": ``np.mean((pred - Y) ** 2)`` over samples and outputs ``+ 0.5 * wd * sum ||W||^2``,
  leaky slope 0.1, one loop for all layers.

Each planted mistake is a whole ``loss_and_grads`` written again with one slip. Written without
reading the checker.
"""

import numpy as np

from tests.gallery import heldout_tools

SIZES = [4, 8, 8, 8, 3]


def leaky_relu(z, slope=0.01):
    return np.where(z > 0, z, slope * z)


def leaky_relu_grad(z, slope=0.01):
    return np.where(z > 0, 1.0, slope)


def forward(Ws, bs, X, slope):
    """zs[i] = hs[i] @ Ws[i] + bs[i]; hs[0] = X; the last layer is linear."""
    zs, hs = [], [X]
    for i, (W, b) in enumerate(zip(Ws, bs)):
        z = hs[-1] @ W + b
        zs.append(z)
        hs.append(leaky_relu(z, slope) if i < len(Ws) - 1 else z)
    return zs, hs


# ------------------------------------------------------------------------------------------------
# The "half" practitioner: correct, then each slip
# ------------------------------------------------------------------------------------------------


def loss_and_grads_half(Ws, bs, X, Y, wd, slope):
    n = X.shape[0]
    zs, hs = forward(Ws, bs, X, slope)
    pred = hs[-1]
    loss = 0.5 * np.sum((pred - Y) ** 2) / n + 0.5 * wd * sum(np.sum(W ** 2) for W in Ws)
    dWs, dbs = [None] * len(Ws), [None] * len(bs)
    delta = (pred - Y) / n
    dWs[-1] = hs[-2].T @ delta + wd * Ws[-1]
    dbs[-1] = delta.sum(axis=0)
    delta = (delta @ Ws[-1].T) * leaky_relu_grad(zs[-2], slope)
    for i in reversed(range(len(Ws) - 1)):
        dWs[i] = hs[i].T @ delta + wd * Ws[i]
        dbs[i] = delta.sum(axis=0)
        if i > 0:
            delta = (delta @ Ws[i].T) * leaky_relu_grad(zs[i - 1], slope)
    return loss, dWs, dbs


def loss_and_grads_half__mask_of_own_layer(Ws, bs, X, Y, wd, slope):
    n = X.shape[0]
    zs, hs = forward(Ws, bs, X, slope)
    pred = hs[-1]
    loss = 0.5 * np.sum((pred - Y) ** 2) / n + 0.5 * wd * sum(np.sum(W ** 2) for W in Ws)
    dWs, dbs = [None] * len(Ws), [None] * len(bs)
    delta = (pred - Y) / n
    dWs[-1] = hs[-2].T @ delta + wd * Ws[-1]
    dbs[-1] = delta.sum(axis=0)
    delta = (delta @ Ws[-1].T) * leaky_relu_grad(zs[-2], slope)
    for i in reversed(range(len(Ws) - 1)):
        dWs[i] = hs[i].T @ delta + wd * Ws[i]
        dbs[i] = delta.sum(axis=0)
        if i > 0:
            delta = (delta @ Ws[i].T) * leaky_relu_grad(zs[i], slope)
    return loss, dWs, dbs


def loss_and_grads_half__fused_sgd_step(Ws, bs, X, Y, wd, slope, lr=0.1):
    # updates each layer as soon as its gradient is known: the next delta then reads the
    # updated W (and the caller's arrays are changed in place)
    n = X.shape[0]
    zs, hs = forward(Ws, bs, X, slope)
    pred = hs[-1]
    loss = 0.5 * np.sum((pred - Y) ** 2) / n + 0.5 * wd * sum(np.sum(W ** 2) for W in Ws)
    dWs, dbs = [None] * len(Ws), [None] * len(bs)
    delta = (pred - Y) / n
    dWs[-1] = hs[-2].T @ delta + wd * Ws[-1]
    dbs[-1] = delta.sum(axis=0)
    Ws[-1] -= lr * dWs[-1]
    bs[-1] -= lr * dbs[-1]
    delta = (delta @ Ws[-1].T) * leaky_relu_grad(zs[-2], slope)
    for i in reversed(range(len(Ws) - 1)):
        dWs[i] = hs[i].T @ delta + wd * Ws[i]
        dbs[i] = delta.sum(axis=0)
        Ws[i] -= lr * dWs[i]
        bs[i] -= lr * dbs[i]
        if i > 0:
            delta = (delta @ Ws[i].T) * leaky_relu_grad(zs[i - 1], slope)
    return loss, dWs, dbs


def loss_and_grads_half__relu_derivative(Ws, bs, X, Y, wd, slope):
    def relu_grad(z):
        return (z > 0).astype(float)

    n = X.shape[0]
    zs, hs = forward(Ws, bs, X, slope)
    pred = hs[-1]
    loss = 0.5 * np.sum((pred - Y) ** 2) / n + 0.5 * wd * sum(np.sum(W ** 2) for W in Ws)
    dWs, dbs = [None] * len(Ws), [None] * len(bs)
    delta = (pred - Y) / n
    dWs[-1] = hs[-2].T @ delta + wd * Ws[-1]
    dbs[-1] = delta.sum(axis=0)
    delta = (delta @ Ws[-1].T) * relu_grad(zs[-2])
    for i in reversed(range(len(Ws) - 1)):
        dWs[i] = hs[i].T @ delta + wd * Ws[i]
        dbs[i] = delta.sum(axis=0)
        if i > 0:
            delta = (delta @ Ws[i].T) * relu_grad(zs[i - 1])
    return loss, dWs, dbs


def loss_and_grads_half__slope_times_z(Ws, bs, X, Y, wd, slope):
    def leaky_grad(z):
        return np.where(z > 0, 1.0, slope * z)

    n = X.shape[0]
    zs, hs = forward(Ws, bs, X, slope)
    pred = hs[-1]
    loss = 0.5 * np.sum((pred - Y) ** 2) / n + 0.5 * wd * sum(np.sum(W ** 2) for W in Ws)
    dWs, dbs = [None] * len(Ws), [None] * len(bs)
    delta = (pred - Y) / n
    dWs[-1] = hs[-2].T @ delta + wd * Ws[-1]
    dbs[-1] = delta.sum(axis=0)
    delta = (delta @ Ws[-1].T) * leaky_grad(zs[-2])
    for i in reversed(range(len(Ws) - 1)):
        dWs[i] = hs[i].T @ delta + wd * Ws[i]
        dbs[i] = delta.sum(axis=0)
        if i > 0:
            delta = (delta @ Ws[i].T) * leaky_grad(zs[i - 1])
    return loss, dWs, dbs


def loss_and_grads_half__decay_on_biases(Ws, bs, X, Y, wd, slope):
    n = X.shape[0]
    zs, hs = forward(Ws, bs, X, slope)
    pred = hs[-1]
    loss = 0.5 * np.sum((pred - Y) ** 2) / n + 0.5 * wd * sum(np.sum(W ** 2) for W in Ws)
    dWs, dbs = [None] * len(Ws), [None] * len(bs)
    delta = (pred - Y) / n
    dWs[-1] = hs[-2].T @ delta + wd * Ws[-1]
    dbs[-1] = delta.sum(axis=0) + wd * bs[-1]
    delta = (delta @ Ws[-1].T) * leaky_relu_grad(zs[-2], slope)
    for i in reversed(range(len(Ws) - 1)):
        dWs[i] = hs[i].T @ delta + wd * Ws[i]
        dbs[i] = delta.sum(axis=0) + wd * bs[i]
        if i > 0:
            delta = (delta @ Ws[i].T) * leaky_relu_grad(zs[i - 1], slope)
    return loss, dWs, dbs


def loss_and_grads_half__decay_doubled(Ws, bs, X, Y, wd, slope):
    n = X.shape[0]
    zs, hs = forward(Ws, bs, X, slope)
    pred = hs[-1]
    loss = 0.5 * np.sum((pred - Y) ** 2) / n + 0.5 * wd * sum(np.sum(W ** 2) for W in Ws)
    dWs, dbs = [None] * len(Ws), [None] * len(bs)
    delta = (pred - Y) / n
    dWs[-1] = hs[-2].T @ delta + 2 * wd * Ws[-1]
    dbs[-1] = delta.sum(axis=0)
    delta = (delta @ Ws[-1].T) * leaky_relu_grad(zs[-2], slope)
    for i in reversed(range(len(Ws) - 1)):
        dWs[i] = hs[i].T @ delta + 2 * wd * Ws[i]
        dbs[i] = delta.sum(axis=0)
        if i > 0:
            delta = (delta @ Ws[i].T) * leaky_relu_grad(zs[i - 1], slope)
    return loss, dWs, dbs


def loss_and_grads_half__outputs_averaged(Ws, bs, X, Y, wd, slope):
    n, k = Y.shape
    zs, hs = forward(Ws, bs, X, slope)
    pred = hs[-1]
    loss = 0.5 * np.sum((pred - Y) ** 2) / n + 0.5 * wd * sum(np.sum(W ** 2) for W in Ws)
    dWs, dbs = [None] * len(Ws), [None] * len(bs)
    delta = (pred - Y) / (n * k)
    dWs[-1] = hs[-2].T @ delta + wd * Ws[-1]
    dbs[-1] = delta.sum(axis=0)
    delta = (delta @ Ws[-1].T) * leaky_relu_grad(zs[-2], slope)
    for i in reversed(range(len(Ws) - 1)):
        dWs[i] = hs[i].T @ delta + wd * Ws[i]
        dbs[i] = delta.sum(axis=0)
        if i > 0:
            delta = (delta @ Ws[i].T) * leaky_relu_grad(zs[i - 1], slope)
    return loss, dWs, dbs


def loss_and_grads_half__factor_two(Ws, bs, X, Y, wd, slope):
    n = X.shape[0]
    zs, hs = forward(Ws, bs, X, slope)
    pred = hs[-1]
    loss = 0.5 * np.sum((pred - Y) ** 2) / n + 0.5 * wd * sum(np.sum(W ** 2) for W in Ws)
    dWs, dbs = [None] * len(Ws), [None] * len(bs)
    delta = 2 * (pred - Y) / n
    dWs[-1] = hs[-2].T @ delta + wd * Ws[-1]
    dbs[-1] = delta.sum(axis=0)
    delta = (delta @ Ws[-1].T) * leaky_relu_grad(zs[-2], slope)
    for i in reversed(range(len(Ws) - 1)):
        dWs[i] = hs[i].T @ delta + wd * Ws[i]
        dbs[i] = delta.sum(axis=0)
        if i > 0:
            delta = (delta @ Ws[i].T) * leaky_relu_grad(zs[i - 1], slope)
    return loss, dWs, dbs


def loss_and_grads_half__bias_not_averaged(Ws, bs, X, Y, wd, slope):
    # delta kept unscaled; the 1/n put on the weight gradients only
    n = X.shape[0]
    zs, hs = forward(Ws, bs, X, slope)
    pred = hs[-1]
    loss = 0.5 * np.sum((pred - Y) ** 2) / n + 0.5 * wd * sum(np.sum(W ** 2) for W in Ws)
    dWs, dbs = [None] * len(Ws), [None] * len(bs)
    delta = pred - Y
    dWs[-1] = hs[-2].T @ delta / n + wd * Ws[-1]
    dbs[-1] = delta.sum(axis=0)
    delta = (delta @ Ws[-1].T) * leaky_relu_grad(zs[-2], slope)
    for i in reversed(range(len(Ws) - 1)):
        dWs[i] = hs[i].T @ delta / n + wd * Ws[i]
        dbs[i] = delta.sum(axis=0)
        if i > 0:
            delta = (delta @ Ws[i].T) * leaky_relu_grad(zs[i - 1], slope)
    return loss, dWs, dbs


def loss_and_grads_half__n_from_features(Ws, bs, X, Y, wd, slope):
    n = X.shape[1]
    zs, hs = forward(Ws, bs, X, slope)
    pred = hs[-1]
    loss = 0.5 * np.sum((pred - Y) ** 2, axis=1).mean() + 0.5 * wd * sum(np.sum(W ** 2)
                                                                         for W in Ws)
    dWs, dbs = [None] * len(Ws), [None] * len(bs)
    delta = (pred - Y) / n
    dWs[-1] = hs[-2].T @ delta + wd * Ws[-1]
    dbs[-1] = delta.sum(axis=0)
    delta = (delta @ Ws[-1].T) * leaky_relu_grad(zs[-2], slope)
    for i in reversed(range(len(Ws) - 1)):
        dWs[i] = hs[i].T @ delta + wd * Ws[i]
        dbs[i] = delta.sum(axis=0)
        if i > 0:
            delta = (delta @ Ws[i].T) * leaky_relu_grad(zs[i - 1], slope)
    return loss, dWs, dbs


def loss_and_grads_half__no_decay_on_output(Ws, bs, X, Y, wd, slope):
    n = X.shape[0]
    zs, hs = forward(Ws, bs, X, slope)
    pred = hs[-1]
    loss = 0.5 * np.sum((pred - Y) ** 2) / n + 0.5 * wd * sum(np.sum(W ** 2) for W in Ws)
    dWs, dbs = [None] * len(Ws), [None] * len(bs)
    delta = (pred - Y) / n
    dWs[-1] = hs[-2].T @ delta
    dbs[-1] = delta.sum(axis=0)
    delta = (delta @ Ws[-1].T) * leaky_relu_grad(zs[-2], slope)
    for i in reversed(range(len(Ws) - 1)):
        dWs[i] = hs[i].T @ delta
        dbs[i] = delta.sum(axis=0)
        if i > 0:
            delta = (delta @ Ws[i].T) * leaky_relu_grad(zs[i - 1], slope)
    for W, dW in zip(Ws[:-1], dWs[:-1]):  # "the decay goes on the hidden layers"
        dW += wd * W
    return loss, dWs, dbs


# ------------------------------------------------------------------------------------------------
# The "mean" practitioner: correct, then each slip
# ------------------------------------------------------------------------------------------------


def loss_and_grads_mean(Ws, bs, X, Y, wd, slope):
    zs, hs = forward(Ws, bs, X, slope)
    pred = hs[-1]
    loss = np.mean((pred - Y) ** 2) + 0.5 * wd * sum(np.sum(W ** 2) for W in Ws)
    dWs, dbs = [None] * len(Ws), [None] * len(bs)
    delta = 2 * (pred - Y) / pred.size
    for i in reversed(range(len(Ws))):
        dWs[i] = hs[i].T @ delta + wd * Ws[i]
        dbs[i] = delta.sum(axis=0)
        if i > 0:
            delta = (delta @ Ws[i].T) * leaky_relu_grad(zs[i - 1], slope)
    return loss, dWs, dbs


def loss_and_grads_mean__default_slope(Ws, bs, X, Y, wd, slope):
    zs, hs = forward(Ws, bs, X, slope)
    pred = hs[-1]
    loss = np.mean((pred - Y) ** 2) + 0.5 * wd * sum(np.sum(W ** 2) for W in Ws)
    dWs, dbs = [None] * len(Ws), [None] * len(bs)
    delta = 2 * (pred - Y) / pred.size
    for i in reversed(range(len(Ws))):
        dWs[i] = hs[i].T @ delta + wd * Ws[i]
        dbs[i] = delta.sum(axis=0)
        if i > 0:
            delta = (delta @ Ws[i].T) * leaky_relu_grad(zs[i - 1])
    return loss, dWs, dbs


def loss_and_grads_mean__hidden_transpose(Ws, bs, X, Y, wd, slope):
    # the output layer done by hand first; the loop over the square hidden layers lost its .T
    zs, hs = forward(Ws, bs, X, slope)
    pred = hs[-1]
    loss = np.mean((pred - Y) ** 2) + 0.5 * wd * sum(np.sum(W ** 2) for W in Ws)
    dWs, dbs = [None] * len(Ws), [None] * len(bs)
    delta = 2 * (pred - Y) / pred.size
    dWs[-1] = hs[-2].T @ delta + wd * Ws[-1]
    dbs[-1] = delta.sum(axis=0)
    delta = (delta @ Ws[-1].T) * leaky_relu_grad(zs[-2], slope)
    for i in reversed(range(len(Ws) - 1)):
        dWs[i] = hs[i].T @ delta + wd * Ws[i]
        dbs[i] = delta.sum(axis=0)
        if i > 0:
            delta = (delta @ Ws[i]) * leaky_relu_grad(zs[i - 1], slope)
    return loss, dWs, dbs


# ------------------------------------------------------------------------------------------------
# grad_fn, data, independent losses, cases
# ------------------------------------------------------------------------------------------------

STYLES = {"half": dict(wd=0.05, slope=0.01, seed=20,
                       expect={"batch": "mean", "outputs": "sum", "squared_error": "half",
                               "l2": "alpha/2 * sum W^2", "l2_biases": False}),
          "mean": dict(wd=0.02, slope=0.1, seed=21,
                       expect={"batch": "mean", "outputs": "mean", "squared_error": "full",
                               "l2": "alpha/2 * sum W^2", "l2_biases": False})}


def _make(style, loss_and_grads):
    cfg = STYLES[style]

    def make():
        rng = np.random.default_rng(cfg["seed"])
        params = []
        for n_in, n_out in zip(SIZES[:-1], SIZES[1:]):
            params += [rng.standard_normal((n_in, n_out)) * np.sqrt(2.0 / n_in),
                       0.1 * rng.standard_normal(n_out)]
        X = rng.standard_normal((32, SIZES[0]))
        Y = np.column_stack([X[:, 0] * X[:, 1], np.sin(X[:, 2]), X[:, 3] - X[:, 0]])

        def grad_fn(params, X, Y):
            Ws, bs = params[0::2], params[1::2]
            loss, dWs, dbs = loss_and_grads(Ws, bs, X, Y, cfg["wd"], cfg["slope"])
            grads = []
            for dW, db in zip(dWs, dbs):
                grads += [dW, db]
            return loss, grads

        kwargs = dict(activation="leaky_relu", negative_slope=cfg["slope"], output="identity",
                      loss="squared_error", alpha=cfg["wd"], expect=cfg["expect"])
        return grad_fn, params, X, Y, kwargs
    return make


def _loss64(style):
    cfg = STYLES[style]

    def loss(P, X, Y, add=None):
        L = len(SIZES) - 1
        A = X
        for i in range(L):
            Z = A @ P[f"W{i}"] + P[f"b{i}"]
            A = np.maximum(Z, cfg["slope"] * Z) if i < L - 1 else Z
        r2 = (A - Y) ** 2
        data = 0.5 * r2.sum(axis=1).mean() if style == "half" else r2.mean()
        return data + 0.5 * cfg["wd"] * sum(np.sum(P[f"W{i}"] ** 2) for i in range(L))
    return loss


_CORRECT = {"half": loss_and_grads_half, "mean": loss_and_grads_mean}
CASES = [{"name": f"leaky_{style}_correct", "make": _make(style, fn), "bug": None,
          "unusual": False, "wrong": set(), "first_wrong_node": None}
         for style, fn in _CORRECT.items()]
_INDEPENDENT = {f"leaky_{style}_correct": (_loss64(style), 1e-6, "central") for style in STYLES}
_BASELINES = {}


def _bug(name, style, fn, bug, unusual, wrong):
    CASES.append({"name": "leaky_" + name, "make": _make(style, fn), "bug": bug,
                  "unusual": unusual, "wrong": set(wrong), "first_wrong_node": None})
    _BASELINES["leaky_" + name] = _make(style, _CORRECT[style])


_ALL = {f"{k}{i}" for i in range(4) for k in "Wb"}
_WEIGHTS = {f"W{i}" for i in range(4)}
_BIASES = {f"b{i}" for i in range(4)}

_bug("mask_of_own_layer", "half", loss_and_grads_half__mask_of_own_layer,
     "inside the hidden loop the leaky derivative is taken at zs[i] (the layer's own z) instead "
     "of zs[i - 1]: off by one layer, silent because the hidden layers have equal widths", True,
     {"W0", "b0", "W1", "b1"})
_bug("fused_sgd_step", "half", loss_and_grads_half__fused_sgd_step,
     "each layer is updated in place (W -= lr * dW) as soon as its gradient is known, so the "
     "backward writes into its inputs and the next delta reads the updated W", True,
     {"W0", "b0", "W1", "b1", "W2", "b2"})
_bug("relu_derivative", "half", loss_and_grads_half__relu_derivative,
     "the backward uses ReLU's derivative (0 for z <= 0) although the forward is leaky", False,
     {"W0", "b0", "W1", "b1", "W2", "b2"})
_bug("slope_times_z", "half", loss_and_grads_half__slope_times_z,
     "the leaky derivative written np.where(z > 0, 1, slope * z): the forward, not its slope",
     True, {"W0", "b0", "W1", "b1", "W2", "b2"})
_bug("decay_on_biases", "half", loss_and_grads_half__decay_on_biases,
     "weight decay's wd * b added to every bias gradient; the loss decays the weights only",
     False, _BIASES)
_bug("decay_doubled", "half", loss_and_grads_half__decay_doubled,
     "the decay gradient is 2 * wd * W for the penalty 0.5 * wd * sum W^2", False, _WEIGHTS)
_bug("outputs_averaged", "half", loss_and_grads_half__outputs_averaged,
     "the output delta is (pred - Y) / (n * k) while the loss sums over the k outputs", True,
     _ALL)
_bug("squared_error_factor_two", "half", loss_and_grads_half__factor_two,
     "the output delta is 2 (pred - Y) / n for the loss 0.5 * sum (pred - Y)^2 / n", False, _ALL)
_bug("bias_not_averaged", "half", loss_and_grads_half__bias_not_averaged,
     "delta kept unscaled with the 1/n on the weight gradients only: the bias gradients are "
     "sums over the batch", False, _BIASES)
_bug("n_from_features", "half", loss_and_grads_half__n_from_features,
     "n = X.shape[1] (the number of features) where the batch size X.shape[0] is meant", True,
     _ALL)
_bug("no_decay_on_output_layer", "half", loss_and_grads_half__no_decay_on_output,
     "the decay gradient loop runs over Ws[:-1] while the loss decays every layer", True, {"W3"})
_bug("backward_default_slope", "mean", loss_and_grads_mean__default_slope,
     "the forward uses slope 0.1, the backward calls leaky_relu_grad without it and gets the "
     "default 0.01", True, {"W0", "b0", "W1", "b1", "W2", "b2"})
_bug("hidden_loop_missing_transpose", "mean", loss_and_grads_mean__hidden_transpose,
     "delta @ Ws[i] instead of delta @ Ws[i].T in the loop over the square hidden layers", False,
     {"W0", "b0", "W1", "b1"})


def self_check(verbose=True):
    """Every correct case against finite differences; every mistake changes what it says."""
    return heldout_tools.self_check(CASES, _BASELINES, _INDEPENDENT, verbose=verbose)


if __name__ == "__main__":
    self_check()
