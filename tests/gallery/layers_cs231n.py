"""Gallery of CS231n-style layers (assignment 2: layers.py / fc_net / cnn), correct and buggy.

Layers follow the course's conventions: ``*_forward`` returns ``(out, cache)`` and
``*_backward(dout, cache)`` returns the gradients; a few layers are written without a cache
(``forward`` returns only ``out`` and ``backward(dout, *inputs)`` recomputes what it needs).

Every buggy layer is written out in full, the way a student would write it, with exactly ONE
mistake planted in otherwise correct code.

Each entry of ``CASES`` is a dict with keys name, make, bug, wrong, also. ``make()`` returns
``(forward, backward, inputs, kwargs)`` for ``check_layer(forward, backward, *inputs, **kwargs)``.
``wrong`` names the forward's own parameters whose gradients the bug makes wrong.

Run ``python tests/gallery/layers_cs231n.py`` for a self-check against float64 central
differences of ``sum(dout * forward(...))``.
"""

import copy
import inspect
import sys

import numpy as np

CASES = []


def _case(name, kind, forward, backward, build, bug=None, wrong=(), also=None):
    def make():
        return forward, backward, build(), {"kind": kind}

    make.__name__ = "make_" + name
    CASES.append({"name": name, "make": make, "bug": bug, "wrong": set(wrong), "also": also})


# ============================================================================================
# Affine (kind "dense")
# ============================================================================================


def affine_forward(x, w, b):
    N = x.shape[0]
    x_row = x.reshape(N, -1)
    out = x_row.dot(w) + b
    cache = (x, w, b)
    return out, cache


def affine_backward(dout, cache):
    x, w, b = cache
    N = x.shape[0]
    x_row = x.reshape(N, -1)
    dx = dout.dot(w.T).reshape(x.shape)
    dw = x_row.T.dot(dout)
    db = np.sum(dout, axis=0)
    return dx, dw, db


def affine_forward_nocache(x, w, b):
    return x.reshape(x.shape[0], -1) @ w + b


def affine_backward_nocache(dout, x, w, b):
    x2 = x.reshape(x.shape[0], -1)
    return {"x": (dout @ w.T).reshape(x.shape), "w": x2.T @ dout, "b": dout.sum(axis=0)}


def affine_backward_no_reshape(dout, cache):
    x, w, b = cache
    N = x.shape[0]
    x_row = x.reshape(N, -1)
    dx = dout.dot(w.T)
    dw = x_row.T.dot(dout)
    db = np.sum(dout, axis=0)
    return dx, dw, db


def affine_backward_dw_transposed(dout, cache):
    x, w, b = cache
    N = x.shape[0]
    x_row = x.reshape(N, -1)
    dx = dout.dot(w.T).reshape(x.shape)
    dw = dout.T.dot(x_row)
    db = np.sum(dout, axis=0)
    return dx, dw, db


def affine_backward_db_mean(dout, cache):
    x, w, b = cache
    N = x.shape[0]
    x_row = x.reshape(N, -1)
    dx = dout.dot(w.T).reshape(x.shape)
    dw = x_row.T.dot(dout)
    db = np.mean(dout, axis=0)
    return dx, dw, db


def affine_backward_bad_x_reshape(dout, cache):
    x, w, b = cache
    N = x.shape[0]
    D = w.shape[0]
    dx = dout.dot(w.T).reshape(x.shape)
    dw = x.reshape(D, N).dot(dout)
    db = np.sum(dout, axis=0)
    return dx, dw, db


def affine_backward_wrong_order(dout, cache):
    x, w, b = cache
    N = x.shape[0]
    x_row = x.reshape(N, -1)
    dx = dout.dot(w.T).reshape(x.shape)
    dw = x_row.T.dot(dout)
    db = np.sum(dout, axis=0)
    return dx, db, dw


def _rng(seed):
    return np.random.default_rng(seed)


def _affine_inputs(seed, xshape, M, dtype=np.float64):
    def build():
        r = _rng(seed)
        D = int(np.prod(xshape[1:]))
        x = r.standard_normal(xshape)
        w = 0.5 * r.standard_normal((D, M))
        b = r.standard_normal(M)
        return tuple(a.astype(dtype) for a in (x, w, b))

    return build


_case("affine_2d", "dense", affine_forward, affine_backward, _affine_inputs(1, (4, 5), 3))
_case("affine_4d", "dense", affine_forward, affine_backward, _affine_inputs(2, (3, 2, 2, 3), 4))
_case("affine_float32", "dense", affine_forward, affine_backward,
      _affine_inputs(3, (4, 6), 3, np.float32))
_case("affine_nocache_dict", "dense", affine_forward_nocache, affine_backward_nocache,
      _affine_inputs(4, (3, 2, 4), 5))
_case("affine_bug_dx_not_reshaped", "dense", affine_forward, affine_backward_no_reshape,
      _affine_inputs(5, (3, 2, 2, 3), 4),
      bug="dx = dout @ w.T is returned as (N, D) without reshaping back to x's 4-D shape",
      wrong={"x"}, also="dx has the wrong shape: (3, 12) instead of x's (3, 2, 2, 3)")
_case("affine_bug_dw_transposed", "dense", affine_forward, affine_backward_dw_transposed,
      _affine_inputs(6, (4, 5), 3),
      bug="dw = dout.T @ x instead of x.T @ dout", wrong={"w"},
      also="dw has the wrong shape: (3, 5) instead of w's (5, 3)")
_case("affine_bug_db_mean", "dense", affine_forward, affine_backward_db_mean,
      _affine_inputs(7, (4, 5), 3),
      bug="db = mean of dout over the batch instead of its sum", wrong={"b"})
_case("affine_bug_dw_x_reshaped_DN", "dense", affine_forward, affine_backward_bad_x_reshape,
      _affine_inputs(8, (3, 2, 2, 3), 4),
      bug="dw uses x.reshape(D, N) instead of x.reshape(N, D).T, scrambling x's entries",
      wrong={"w"})
_case("affine_bug_grads_wrong_order", "dense", affine_forward, affine_backward_wrong_order,
      _affine_inputs(9, (4, 5), 3),
      bug="backward returns (dx, db, dw) instead of (dx, dw, db)", wrong={"w", "b"},
      also="the second and third gradients have the wrong shapes (db and dw swapped)")


# ============================================================================================
# ReLU and leaky ReLU
# ============================================================================================


def relu_forward(x):
    out = np.maximum(0, x)
    cache = x
    return out, cache


def relu_backward(dout, cache):
    x = cache
    dx = dout * (x > 0)
    return dx


def relu_forward_nocache(x):
    return np.maximum(x, 0)


def relu_backward_nocache(dout, x):
    dx = dout.copy()
    dx[x <= 0] = 0
    return dx


def relu_backward_mask_from_dout(dout, cache):
    dx = dout * (dout > 0)
    return dx


def relu_backward_ge(dout, cache):
    x = cache
    dx = dout * (x >= 0)
    return dx


def relu_forward_inplace(x):
    x[x < 0] = 0
    out = x
    cache = x
    return out, cache


def relu_backward_times_out(dout, cache):
    x = cache
    out = np.maximum(0, x)
    dx = dout * out
    return dx


def leaky_relu_forward(x, lrelu_param):
    alpha = lrelu_param.get("alpha", 0.01)
    out = np.where(x > 0, x, alpha * x)
    cache = (x, alpha)
    return out, cache


def leaky_relu_backward(dout, cache):
    x, alpha = cache
    dx = dout * np.where(x > 0, 1.0, alpha)
    return dx


def leaky_relu_backward_no_slope(dout, cache):
    x, alpha = cache
    dx = dout * (x > 0)
    return dx


def leaky_relu_backward_swapped(dout, cache):
    x, alpha = cache
    dx = dout * np.where(x > 0, alpha, 1.0)
    return dx


def _signed_inputs(seed, shape=(4, 5), dtype=np.float64):
    """Entries bounded away from zero (|x| in [0.2, 2]) so no kink is hit by accident."""

    def build():
        r = _rng(seed)
        x = r.uniform(0.2, 2.0, shape) * r.choice([-1.0, 1.0], shape)
        return (x.astype(dtype),)

    return build


def _relu_with_zeros():
    (x,) = _signed_inputs(14)()
    x[0, 1] = 0.0
    x[2, 3] = 0.0
    x[3, 0] = 0.0
    return (x,)


def _leaky_inputs(seed):
    def build():
        (x,) = _signed_inputs(seed)()
        return x, {"alpha": 0.1}

    return build


_case("relu", "relu", relu_forward, relu_backward, _signed_inputs(11))
_case("relu_nocache", "relu", relu_forward_nocache, relu_backward_nocache, _signed_inputs(12))
_case("relu_bug_mask_from_dout", "relu", relu_forward, relu_backward_mask_from_dout,
      _signed_inputs(13),
      bug="the backward mask is built from dout > 0 instead of x > 0", wrong={"x"})
_case("relu_bug_mask_ge_zero", "relu", relu_forward, relu_backward_ge, _relu_with_zeros,
      bug="mask x >= 0 passes the gradient at x's exact zeros (relu'(0) taken as 1)",
      wrong={"x"},
      also="x has exact zeros (kinks of relu); dx differs only there, where the usual "
           "convention relu'(0) = 0 gives dx = 0")
_case("relu_bug_inplace_forward", "relu", relu_forward_inplace, relu_backward,
      _signed_inputs(15),
      bug="forward zeroes the negative entries of x in place (x[x < 0] = 0) and returns x",
      wrong=(),
      also="forward modifies its input x in place; the gradient values themselves are right")
_case("relu_bug_dx_times_out", "relu", relu_forward, relu_backward_times_out,
      _signed_inputs(16),
      bug="backward multiplies dout by the activation max(0, x) instead of the mask x > 0",
      wrong={"x"})
_case("leaky_relu", "leaky_relu", leaky_relu_forward, leaky_relu_backward, _leaky_inputs(17))
_case("leaky_relu_bug_no_slope", "leaky_relu", leaky_relu_forward, leaky_relu_backward_no_slope,
      _leaky_inputs(18),
      bug="backward uses plain relu's mask, forgetting the slope alpha on the negative side",
      wrong={"x"})
_case("leaky_relu_bug_swapped_slopes", "leaky_relu", leaky_relu_forward,
      leaky_relu_backward_swapped, _leaky_inputs(19),
      bug="backward uses np.where(x > 0, alpha, 1) with the two slopes swapped", wrong={"x"})


# ============================================================================================
# Sigmoid, tanh, softmax
# ============================================================================================


def sigmoid_forward(x):
    out = 1.0 / (1.0 + np.exp(-x))
    cache = out
    return out, cache


def sigmoid_backward(dout, cache):
    out = cache
    return dout * out * (1 - out)


def sigmoid_forward_nocache(x):
    return 1 / (1 + np.exp(-x))


def sigmoid_backward_nocache(dout, x):
    s = 1 / (1 + np.exp(-x))
    return dout * s * (1 - s)


def sigmoid_forward_cache_x(x):
    out = 1.0 / (1.0 + np.exp(-x))
    cache = x
    return out, cache


def sigmoid_backward_from_x(dout, cache):
    x = cache
    return dout * x * (1 - x)


def sigmoid_backward_sign(dout, cache):
    out = cache
    return dout * out * (out - 1)


def tanh_forward(x):
    out = np.tanh(x)
    cache = out
    return out, cache


def tanh_backward(dout, cache):
    out = cache
    return dout * (1 - out ** 2)


def tanh_forward_nocache(x):
    return np.tanh(x)


def tanh_backward_nocache(dout, x):
    return dout / np.cosh(x) ** 2


def tanh_backward_not_squared(dout, cache):
    out = cache
    return dout * (1 - out)


def tanh_forward_cache_x(x):
    out = np.tanh(x)
    cache = x
    return out, cache


def tanh_backward_from_x(dout, cache):
    x = cache
    return dout * (1 - x ** 2)


def softmax_forward(x):
    shifted = x - np.max(x, axis=1, keepdims=True)
    e = np.exp(shifted)
    out = e / np.sum(e, axis=1, keepdims=True)
    cache = out
    return out, cache


def softmax_backward(dout, cache):
    y = cache
    dx = y * (dout - np.sum(dout * y, axis=1, keepdims=True))
    return dx


def softmax_backward_diagonal(dout, cache):
    y = cache
    dx = dout * y * (1 - y)
    return dx


def softmax_backward_axis0(dout, cache):
    y = cache
    dx = y * (dout - np.sum(dout * y, axis=0, keepdims=True))
    return dx


def softmax_forward_axis0(x):
    shifted = x - np.max(x, axis=0, keepdims=True)
    e = np.exp(shifted)
    out = e / np.sum(e, axis=0, keepdims=True)
    cache = out
    return out, cache


def _normal_inputs(seed, shape=(4, 5), scale=1.0, dtype=np.float64):
    def build():
        return ((scale * _rng(seed).standard_normal(shape)).astype(dtype),)

    return build


_case("sigmoid", "sigmoid", sigmoid_forward, sigmoid_backward, _normal_inputs(21, scale=2.0))
_case("sigmoid_nocache", "sigmoid", sigmoid_forward_nocache, sigmoid_backward_nocache,
      _normal_inputs(22, (3, 4), 2.0))
_case("sigmoid_bug_derivative_from_x", "sigmoid", sigmoid_forward_cache_x,
      sigmoid_backward_from_x, _normal_inputs(23, scale=2.0),
      bug="derivative written as x * (1 - x) with the input x instead of the output sigmoid(x)",
      wrong={"x"})
_case("sigmoid_bug_sign", "sigmoid", sigmoid_forward, sigmoid_backward_sign,
      _normal_inputs(24, scale=2.0),
      bug="derivative written as out * (out - 1), the sign flipped", wrong={"x"})
_case("tanh", "tanh", tanh_forward, tanh_backward, _normal_inputs(25))
_case("tanh_nocache", "tanh", tanh_forward_nocache, tanh_backward_nocache,
      _normal_inputs(26, (2, 6)))
_case("tanh_bug_not_squared", "tanh", tanh_forward, tanh_backward_not_squared,
      _normal_inputs(27),
      bug="derivative written as 1 - out instead of 1 - out ** 2", wrong={"x"})
_case("tanh_bug_derivative_from_x", "tanh", tanh_forward_cache_x, tanh_backward_from_x,
      _normal_inputs(28),
      bug="derivative written as 1 - x ** 2 with the input instead of the output", wrong={"x"})
_case("softmax", "softmax", softmax_forward, softmax_backward, _normal_inputs(31))
_case("softmax_bug_diagonal_jacobian", "softmax", softmax_forward, softmax_backward_diagonal,
      _normal_inputs(32),
      bug="backward treats softmax as elementwise: dx = dout * y * (1 - y), dropping the "
          "off-diagonal terms of the Jacobian", wrong={"x"})
_case("softmax_bug_sum_axis0", "softmax", softmax_forward, softmax_backward_axis0,
      _normal_inputs(33),
      bug="the sum of dout * y in backward runs over axis 0 (the batch) instead of axis 1",
      wrong={"x"})
_case("softmax_bug_forward_normalises_columns", "softmax", softmax_forward_axis0,
      softmax_backward, _normal_inputs(34),
      bug="forward normalises over axis 0 (columns) while backward uses the row-wise formula",
      wrong={"x"})


# ============================================================================================
# Losses: softmax cross-entropy (softmax_loss) and squared error
# ============================================================================================


def softmax_loss(x, y):
    shifted_logits = x - np.max(x, axis=1, keepdims=True)
    Z = np.sum(np.exp(shifted_logits), axis=1, keepdims=True)
    log_probs = shifted_logits - np.log(Z)
    probs = np.exp(log_probs)
    N = x.shape[0]
    loss = -np.sum(log_probs[np.arange(N), y]) / N
    dx = probs.copy()
    dx[np.arange(N), y] -= 1
    dx /= N
    return loss, dx


def softmax_loss_backward(dout, dx):
    return dx * dout


def softmax_loss_not_divided(x, y):
    shifted_logits = x - np.max(x, axis=1, keepdims=True)
    Z = np.sum(np.exp(shifted_logits), axis=1, keepdims=True)
    log_probs = shifted_logits - np.log(Z)
    probs = np.exp(log_probs)
    N = x.shape[0]
    loss = -np.sum(log_probs[np.arange(N), y]) / N
    dx = probs.copy()
    dx[np.arange(N), y] -= 1
    return loss, dx


def softmax_loss_no_minus_one(x, y):
    shifted_logits = x - np.max(x, axis=1, keepdims=True)
    Z = np.sum(np.exp(shifted_logits), axis=1, keepdims=True)
    log_probs = shifted_logits - np.log(Z)
    probs = np.exp(log_probs)
    N = x.shape[0]
    loss = -np.sum(log_probs[np.arange(N), y]) / N
    dx = probs.copy()
    dx /= N
    return loss, dx


def softmax_loss_column_index(x, y):
    shifted_logits = x - np.max(x, axis=1, keepdims=True)
    Z = np.sum(np.exp(shifted_logits), axis=1, keepdims=True)
    log_probs = shifted_logits - np.log(Z)
    probs = np.exp(log_probs)
    N = x.shape[0]
    loss = -np.sum(log_probs[np.arange(N), y]) / N
    dx = probs.copy()
    dx[:, y] -= 1
    dx /= N
    return loss, dx


def softmax_loss_summed(x, y):
    shifted_logits = x - np.max(x, axis=1, keepdims=True)
    Z = np.sum(np.exp(shifted_logits), axis=1, keepdims=True)
    log_probs = shifted_logits - np.log(Z)
    probs = np.exp(log_probs)
    N = x.shape[0]
    loss = -np.sum(log_probs[np.arange(N), y])
    dx = probs.copy()
    dx[np.arange(N), y] -= 1
    dx /= N
    return loss, dx


def softmax_ce_forward(x, y):
    scores = x - x.max(axis=1, keepdims=True)
    probs = np.exp(scores)
    probs /= probs.sum(axis=1, keepdims=True)
    N = x.shape[0]
    loss = -np.mean(np.log(probs[np.arange(N), y]))
    cache = (probs, y)
    return loss, cache


def softmax_ce_backward(dout, cache):
    probs, y = cache
    N = probs.shape[0]
    dx = probs.copy()
    dx[np.arange(N), y] -= 1
    return dout * dx / N


def mse_loss(pred, target):
    N = pred.shape[0]
    return np.sum((pred - target) ** 2) / N


def mse_loss_backward(dout, pred, target):
    N = pred.shape[0]
    return dout * 2 * (pred - target) / N


def mse_loss_backward_no_two(dout, pred, target):
    N = pred.shape[0]
    return dout * (pred - target) / N


def mse_loss_backward_sign(dout, pred, target):
    N = pred.shape[0]
    return dout * 2 * (target - pred) / N


def mse_loss_backward_not_divided(dout, pred, target):
    return dout * 2 * (pred - target)


def l2_loss_forward(pred, target):
    diff = pred - target
    loss = 0.5 * np.sum(diff * diff)
    cache = diff
    return loss, cache


def l2_loss_backward(dout, cache):
    diff = cache
    return dout * diff


def _ce_inputs(seed, N=5, C=4):
    def build():
        r = _rng(seed)
        x = 1.5 * r.standard_normal((N, C))
        y = r.integers(0, C, size=N)
        return x, y

    return build


def _regression_inputs(seed, shape=(4, 3)):
    def build():
        r = _rng(seed)
        return r.standard_normal(shape), r.standard_normal(shape)

    return build


_case("softmax_loss", "softmax_cross_entropy", softmax_loss, softmax_loss_backward,
      _ce_inputs(41))
_case("softmax_ce_cache", "softmax_cross_entropy", softmax_ce_forward, softmax_ce_backward,
      _ce_inputs(42, 6, 3))
_case("softmax_loss_bug_not_divided_by_N", "softmax_cross_entropy", softmax_loss_not_divided,
      softmax_loss_backward, _ce_inputs(43),
      bug="dx is not divided by N although the loss is averaged over N", wrong={"x"})
_case("softmax_loss_bug_no_minus_one", "softmax_cross_entropy", softmax_loss_no_minus_one,
      softmax_loss_backward, _ce_inputs(44),
      bug="dx forgets to subtract 1 at the correct class (dx = probs / N)", wrong={"x"})
_case("softmax_loss_bug_column_index", "softmax_cross_entropy", softmax_loss_column_index,
      softmax_loss_backward, _ce_inputs(45),
      bug="dx[:, y] -= 1 subtracts 1 in every row at every label's column instead of "
          "dx[np.arange(N), y] -= 1", wrong={"x"})
_case("softmax_loss_bug_loss_summed", "softmax_cross_entropy", softmax_loss_summed,
      softmax_loss_backward, _ce_inputs(46),
      bug="the loss is summed over N while dx is divided by N", wrong={"x"})
_case("mse", "squared_error", mse_loss, mse_loss_backward, _regression_inputs(51))
_case("l2_half_sse_cache", "squared_error", l2_loss_forward, l2_loss_backward,
      _regression_inputs(52, (5, 2)))
_case("mse_bug_no_factor_two", "squared_error", mse_loss, mse_loss_backward_no_two,
      _regression_inputs(53),
      bug="gradient of the squared error misses the factor 2", wrong={"pred"})
_case("mse_bug_sign", "squared_error", mse_loss, mse_loss_backward_sign,
      _regression_inputs(54),
      bug="gradient written as 2 * (target - pred) / N, the sign flipped", wrong={"pred"})
_case("mse_bug_not_divided_by_N", "squared_error", mse_loss, mse_loss_backward_not_divided,
      _regression_inputs(55),
      bug="gradient not divided by N although the loss is averaged over N", wrong={"pred"})


# ============================================================================================
# Dropout (inverted, p = keep probability)
# ============================================================================================


def dropout_forward(x, dropout_param):
    p, mode = dropout_param["p"], dropout_param["mode"]
    if "seed" in dropout_param:
        np.random.seed(dropout_param["seed"])
    mask = None
    if mode == "train":
        mask = (np.random.rand(*x.shape) < p) / p
        out = x * mask
    elif mode == "test":
        out = x
    cache = (dropout_param, mask)
    return out, cache


def dropout_backward(dout, cache):
    dropout_param, mask = cache
    mode = dropout_param["mode"]
    if mode == "train":
        dx = dout * mask
    elif mode == "test":
        dx = dout
    return dx


def dropout_forward_bool_mask(x, dropout_param):
    p, mode = dropout_param["p"], dropout_param["mode"]
    if "seed" in dropout_param:
        np.random.seed(dropout_param["seed"])
    mask = None
    if mode == "train":
        mask = np.random.rand(*x.shape) < p
        out = x * mask / p
    elif mode == "test":
        out = x
    cache = (dropout_param, mask)
    return out, cache


def dropout_backward_bool_mask(dout, cache):
    dropout_param, mask = cache
    if dropout_param["mode"] == "train":
        dx = dout * mask
    else:
        dx = dout
    return dx


def dropout_forward_not_inverted(x, dropout_param):
    p, mode = dropout_param["p"], dropout_param["mode"]
    if "seed" in dropout_param:
        np.random.seed(dropout_param["seed"])
    mask = None
    if mode == "train":
        mask = np.random.rand(*x.shape) < p
        out = x * mask
    elif mode == "test":
        out = x
    cache = (dropout_param, mask)
    return out, cache


def dropout_backward_divides(dout, cache):
    dropout_param, mask = cache
    if dropout_param["mode"] == "train":
        dx = dout * mask / dropout_param["p"]
    else:
        dx = dout
    return dx


def dropout_backward_ignores_mask(dout, cache):
    dropout_param, mask = cache
    mode = dropout_param["mode"]
    if mode == "train":
        dx = dout
    elif mode == "test":
        dx = dout
    return dx


def dropout_forward_unseeded(x, dropout_param):
    p, mode = dropout_param["p"], dropout_param["mode"]
    mask = None
    if mode == "train":
        mask = (np.random.rand(*x.shape) < p) / p
        out = x * mask
    elif mode == "test":
        out = x
    cache = (dropout_param, mask)
    return out, cache


def dropout_forward_shape_cache(x, dropout_param):
    p, mode = dropout_param["p"], dropout_param["mode"]
    if "seed" in dropout_param:
        np.random.seed(dropout_param["seed"])
    if mode == "train":
        mask = (np.random.rand(*x.shape) < p) / p
        out = x * mask
    else:
        out = x
    cache = (dropout_param, x.shape)
    return out, cache


def dropout_backward_redraws_mask(dout, cache):
    dropout_param, shape = cache
    p = dropout_param["p"]
    if dropout_param["mode"] == "train":
        mask = (np.random.rand(*shape) < p) / p
        dx = dout * mask
    else:
        dx = dout
    return dx


def _dropout_inputs(seed, shape=(4, 6), p=0.6, mode="train"):
    def build():
        x = _rng(seed).standard_normal(shape)
        return x, {"p": p, "mode": mode, "seed": 123}

    return build


_case("dropout_train", "dropout", dropout_forward, dropout_backward, _dropout_inputs(61))
_case("dropout_test_mode", "dropout", dropout_forward, dropout_backward,
      _dropout_inputs(62, (3, 5), mode="test"))
_case("dropout_bug_backward_not_divided", "dropout", dropout_forward_bool_mask,
      dropout_backward_bool_mask, _dropout_inputs(63),
      bug="forward caches the boolean mask and divides by p, backward forgets to divide by p",
      wrong={"x"})
_case("dropout_bug_forward_not_inverted", "dropout", dropout_forward_not_inverted,
      dropout_backward_divides, _dropout_inputs(64),
      bug="forward is not inverted (out = x * mask, no / p) while backward divides by p",
      wrong={"x"})
_case("dropout_bug_backward_ignores_mask", "dropout", dropout_forward,
      dropout_backward_ignores_mask, _dropout_inputs(65),
      bug="backward in train mode returns dout unchanged, ignoring the mask", wrong={"x"})
_case("dropout_bug_unseeded", "dropout", dropout_forward_unseeded, dropout_backward,
      _dropout_inputs(66),
      bug="forward never seeds from dropout_param['seed'], so every call draws a new mask",
      wrong=(),
      also="forward is not deterministic (a new dropout mask every call); backward matches "
           "the mask of the call that made the cache")
_case("dropout_bug_backward_redraws_mask", "dropout", dropout_forward_shape_cache,
      dropout_backward_redraws_mask, _dropout_inputs(67),
      bug="backward draws a fresh mask with np.random.rand instead of reusing the forward's",
      wrong={"x"})


# ============================================================================================
# Batch normalisation (vanilla and spatial)
# ============================================================================================


def batchnorm_forward(x, gamma, beta, bn_param):
    mode = bn_param["mode"]
    eps = bn_param.get("eps", 1e-5)
    momentum = bn_param.get("momentum", 0.9)

    N, D = x.shape
    running_mean = bn_param.get("running_mean", np.zeros(D, dtype=x.dtype))
    running_var = bn_param.get("running_var", np.zeros(D, dtype=x.dtype))

    out, cache = None, None
    if mode == "train":
        mu = np.mean(x, axis=0)
        var = np.var(x, axis=0)
        std = np.sqrt(var + eps)
        x_hat = (x - mu) / std
        out = gamma * x_hat + beta
        running_mean = momentum * running_mean + (1 - momentum) * mu
        running_var = momentum * running_var + (1 - momentum) * var
        cache = (x, x_hat, mu, var, std, gamma, eps)
    elif mode == "test":
        out = gamma * (x - running_mean) / np.sqrt(running_var + eps) + beta
    else:
        raise ValueError('Invalid forward batchnorm mode "%s"' % mode)

    bn_param["running_mean"] = running_mean
    bn_param["running_var"] = running_var
    return out, cache


def batchnorm_backward(dout, cache):
    """Step-by-step through the computational graph."""
    x, x_hat, mu, var, std, gamma, eps = cache
    N = x.shape[0]
    dbeta = np.sum(dout, axis=0)
    dgamma = np.sum(dout * x_hat, axis=0)
    dx_hat = dout * gamma
    xmu = x - mu
    divar = np.sum(dx_hat * xmu, axis=0)
    dxmu1 = dx_hat / std
    dstd = -divar / std ** 2
    dvar = 0.5 / std * dstd
    dsq = np.ones_like(x) * dvar / N
    dxmu2 = 2 * xmu * dsq
    dx1 = dxmu1 + dxmu2
    dmu = -np.sum(dx1, axis=0)
    dx2 = np.ones_like(x) * dmu / N
    dx = dx1 + dx2
    return dx, dgamma, dbeta


def batchnorm_backward_alt(dout, cache):
    """Simplified closed form."""
    x, x_hat, mu, var, std, gamma, eps = cache
    N = dout.shape[0]
    dbeta = dout.sum(axis=0)
    dgamma = np.sum(dout * x_hat, axis=0)
    dx_hat = dout * gamma
    dx = (N * dx_hat - dx_hat.sum(axis=0) - x_hat * np.sum(dx_hat * x_hat, axis=0)) / (N * std)
    return dx, dgamma, dbeta


def batchnorm_backward_no_stat_paths(dout, cache):
    x, x_hat, mu, var, std, gamma, eps = cache
    dbeta = np.sum(dout, axis=0)
    dgamma = np.sum(dout * x_hat, axis=0)
    dx_hat = dout * gamma
    dx = dx_hat / std
    return dx, dgamma, dbeta


def batchnorm_backward_alt_sign(dout, cache):
    x, x_hat, mu, var, std, gamma, eps = cache
    N = dout.shape[0]
    dbeta = dout.sum(axis=0)
    dgamma = np.sum(dout * x_hat, axis=0)
    dx_hat = dout * gamma
    dx = (N * dx_hat - dx_hat.sum(axis=0) + x_hat * np.sum(dx_hat * x_hat, axis=0)) / (N * std)
    return dx, dgamma, dbeta


def batchnorm_backward_dgamma_x(dout, cache):
    x, x_hat, mu, var, std, gamma, eps = cache
    N = x.shape[0]
    dbeta = np.sum(dout, axis=0)
    dgamma = np.sum(dout * x, axis=0)
    dx_hat = dout * gamma
    xmu = x - mu
    divar = np.sum(dx_hat * xmu, axis=0)
    dxmu1 = dx_hat / std
    dstd = -divar / std ** 2
    dvar = 0.5 / std * dstd
    dsq = np.ones_like(x) * dvar / N
    dxmu2 = 2 * xmu * dsq
    dx1 = dxmu1 + dxmu2
    dmu = -np.sum(dx1, axis=0)
    dx2 = np.ones_like(x) * dmu / N
    dx = dx1 + dx2
    return dx, dgamma, dbeta


def batchnorm_forward_unbiased(x, gamma, beta, bn_param):
    mode = bn_param["mode"]
    eps = bn_param.get("eps", 1e-5)
    momentum = bn_param.get("momentum", 0.9)

    N, D = x.shape
    running_mean = bn_param.get("running_mean", np.zeros(D, dtype=x.dtype))
    running_var = bn_param.get("running_var", np.zeros(D, dtype=x.dtype))

    out, cache = None, None
    if mode == "train":
        mu = np.mean(x, axis=0)
        var = np.var(x, axis=0, ddof=1)
        std = np.sqrt(var + eps)
        x_hat = (x - mu) / std
        out = gamma * x_hat + beta
        running_mean = momentum * running_mean + (1 - momentum) * mu
        running_var = momentum * running_var + (1 - momentum) * var
        cache = (x, x_hat, mu, var, std, gamma, eps)
    else:
        out = gamma * (x - running_mean) / np.sqrt(running_var + eps) + beta

    bn_param["running_mean"] = running_mean
    bn_param["running_var"] = running_var
    return out, cache


def batchnorm_backward_dbeta_mean(dout, cache):
    x, x_hat, mu, var, std, gamma, eps = cache
    N = dout.shape[0]
    dbeta = dout.mean(axis=0)
    dgamma = np.sum(dout * x_hat, axis=0)
    dx_hat = dout * gamma
    dx = (N * dx_hat - dx_hat.sum(axis=0) - x_hat * np.sum(dx_hat * x_hat, axis=0)) / (N * std)
    return dx, dgamma, dbeta


def batchnorm_backward_alt_missing_N(dout, cache):
    x, x_hat, mu, var, std, gamma, eps = cache
    dbeta = dout.sum(axis=0)
    dgamma = np.sum(dout * x_hat, axis=0)
    dx_hat = dout * gamma
    dx = (dx_hat - dx_hat.mean(axis=0) - x_hat * np.sum(dx_hat * x_hat, axis=0)) / std
    return dx, dgamma, dbeta


def batchnorm_forward_inplace(x, gamma, beta, bn_param):
    mode = bn_param["mode"]
    eps = bn_param.get("eps", 1e-5)
    momentum = bn_param.get("momentum", 0.9)

    N, D = x.shape
    running_mean = bn_param.get("running_mean", np.zeros(D, dtype=x.dtype))
    running_var = bn_param.get("running_var", np.zeros(D, dtype=x.dtype))

    out, cache = None, None
    if mode == "train":
        mu = np.mean(x, axis=0)
        x -= mu
        var = np.mean(x ** 2, axis=0)
        std = np.sqrt(var + eps)
        x_hat = x / std
        out = gamma * x_hat + beta
        running_mean = momentum * running_mean + (1 - momentum) * mu
        running_var = momentum * running_var + (1 - momentum) * var
        cache = (x + mu, x_hat, mu, var, std, gamma, eps)
    else:
        out = gamma * (x - running_mean) / np.sqrt(running_var + eps) + beta

    bn_param["running_mean"] = running_mean
    bn_param["running_var"] = running_var
    return out, cache


def spatial_batchnorm_forward(x, gamma, beta, bn_param):
    N, C, H, W = x.shape
    x_flat = x.transpose(0, 2, 3, 1).reshape(-1, C)
    out_flat, cache = batchnorm_forward(x_flat, gamma, beta, bn_param)
    out = out_flat.reshape(N, H, W, C).transpose(0, 3, 1, 2)
    return out, cache


def spatial_batchnorm_backward(dout, cache):
    N, C, H, W = dout.shape
    dout_flat = dout.transpose(0, 2, 3, 1).reshape(-1, C)
    dx_flat, dgamma, dbeta = batchnorm_backward_alt(dout_flat, cache)
    dx = dx_flat.reshape(N, H, W, C).transpose(0, 3, 1, 2)
    return dx, dgamma, dbeta


def spatial_batchnorm_backward_no_transpose(dout, cache):
    N, C, H, W = dout.shape
    dout_flat = dout.reshape(-1, C)
    dx_flat, dgamma, dbeta = batchnorm_backward_alt(dout_flat, cache)
    dx = dx_flat.reshape(N, C, H, W)
    return dx, dgamma, dbeta


def _bn_inputs(seed, xshape=(8, 5), dtype=np.float64):
    def build():
        r = _rng(seed)
        C = xshape[1]
        x = 2.0 * r.standard_normal(xshape) + 1.0
        gamma = 1.0 + 0.5 * r.standard_normal(C)
        beta = r.standard_normal(C)
        bn_param = {"mode": "train", "eps": 1e-5, "momentum": 0.9}
        return x.astype(dtype), gamma.astype(dtype), beta.astype(dtype), bn_param

    return build


_case("batchnorm_train", "batchnorm", batchnorm_forward, batchnorm_backward, _bn_inputs(71))
_case("batchnorm_train_alt", "batchnorm", batchnorm_forward, batchnorm_backward_alt,
      _bn_inputs(72, (6, 4)))
_case("batchnorm_float32", "batchnorm", batchnorm_forward, batchnorm_backward_alt,
      _bn_inputs(73, (8, 3), np.float32))
_case("spatial_batchnorm", "batchnorm", spatial_batchnorm_forward, spatial_batchnorm_backward,
      _bn_inputs(74, (4, 3, 3, 3)))
_case("batchnorm_bug_no_mean_var_paths", "batchnorm", batchnorm_forward,
      batchnorm_backward_no_stat_paths, _bn_inputs(75),
      bug="dx = dout * gamma / std, leaving out the paths through the batch mean and variance",
      wrong={"x"})
_case("batchnorm_bug_dx_sign", "batchnorm", batchnorm_forward, batchnorm_backward_alt_sign,
      _bn_inputs(76),
      bug="closed-form dx adds the x_hat * sum(dx_hat * x_hat) term instead of subtracting it",
      wrong={"x"})
_case("batchnorm_bug_dgamma_uses_x", "batchnorm", batchnorm_forward, batchnorm_backward_dgamma_x,
      _bn_inputs(77),
      bug="dgamma = sum(dout * x) with the raw input instead of x_hat", wrong={"gamma"})
_case("batchnorm_bug_unbiased_var_forward", "batchnorm", batchnorm_forward_unbiased,
      batchnorm_backward_alt, _bn_inputs(78, (5, 4)),
      bug="forward uses the unbiased variance (ddof=1) while backward's formula is derived for "
          "the biased one", wrong={"x"})
_case("batchnorm_bug_dbeta_mean", "batchnorm", batchnorm_forward, batchnorm_backward_dbeta_mean,
      _bn_inputs(79),
      bug="dbeta = mean of dout over the batch instead of its sum", wrong={"beta"})
_case("batchnorm_bug_alt_missing_N", "batchnorm", batchnorm_forward,
      batchnorm_backward_alt_missing_N, _bn_inputs(80),
      bug="closed-form dx divided through by N except the last term, which keeps sum "
          "instead of mean", wrong={"x"})
_case("batchnorm_bug_inplace_centering", "batchnorm", batchnorm_forward_inplace,
      batchnorm_backward_alt, _bn_inputs(81),
      bug="forward centres x in place (x -= mu), overwriting the caller's array",
      wrong=(),
      also="forward modifies its input x in place; the gradient values themselves are right")
_case("spatial_batchnorm_bug_no_transpose", "batchnorm", spatial_batchnorm_forward,
      spatial_batchnorm_backward_no_transpose, _bn_inputs(82, (4, 3, 3, 3)),
      bug="backward reshapes dout to (-1, C) without first moving C last, mixing channels",
      wrong={"x", "gamma", "beta"})


# ============================================================================================
# Layer normalisation
# ============================================================================================


def layernorm_forward(x, gamma, beta, ln_param):
    eps = ln_param.get("eps", 1e-5)
    mu = np.mean(x, axis=1, keepdims=True)
    var = np.var(x, axis=1, keepdims=True)
    std = np.sqrt(var + eps)
    x_hat = (x - mu) / std
    out = gamma * x_hat + beta
    cache = (x_hat, gamma, std)
    return out, cache


def layernorm_backward(dout, cache):
    x_hat, gamma, std = cache
    D = dout.shape[1]
    dgamma = np.sum(dout * x_hat, axis=0)
    dbeta = np.sum(dout, axis=0)
    dx_hat = dout * gamma
    dx = (D * dx_hat - np.sum(dx_hat, axis=1, keepdims=True)
          - x_hat * np.sum(dx_hat * x_hat, axis=1, keepdims=True)) / (D * std)
    return dx, dgamma, dbeta


def layernorm_forward_axis0(x, gamma, beta, ln_param):
    eps = ln_param.get("eps", 1e-5)
    mu = np.mean(x, axis=0)
    var = np.var(x, axis=0)
    std = np.sqrt(var + eps)
    x_hat = (x - mu) / std
    out = gamma * x_hat + beta
    cache = (x_hat, gamma, std)
    return out, cache


def layernorm_backward_bn_formula(dout, cache):
    x_hat, gamma, std = cache
    N = dout.shape[0]
    dgamma = np.sum(dout * x_hat, axis=0)
    dbeta = np.sum(dout, axis=0)
    dx_hat = dout * gamma
    dx = (N * dx_hat - np.sum(dx_hat, axis=0)
          - x_hat * np.sum(dx_hat * x_hat, axis=0)) / (N * std)
    return dx, dgamma, dbeta


def layernorm_backward_dgamma_axis1(dout, cache):
    x_hat, gamma, std = cache
    D = dout.shape[1]
    dgamma = np.sum(dout * x_hat, axis=1)
    dbeta = np.sum(dout, axis=0)
    dx_hat = dout * gamma
    dx = (D * dx_hat - np.sum(dx_hat, axis=1, keepdims=True)
          - x_hat * np.sum(dx_hat * x_hat, axis=1, keepdims=True)) / (D * std)
    return dx, dgamma, dbeta


def layernorm_backward_no_var_path(dout, cache):
    x_hat, gamma, std = cache
    dgamma = np.sum(dout * x_hat, axis=0)
    dbeta = np.sum(dout, axis=0)
    dx_hat = dout * gamma
    dx = (dx_hat - np.mean(dx_hat, axis=1, keepdims=True)) / std
    return dx, dgamma, dbeta


def _ln_inputs(seed, N=4, D=6):
    def build():
        r = _rng(seed)
        x = 1.5 * r.standard_normal((N, D)) + 0.5
        gamma = 1.0 + 0.5 * r.standard_normal(D)
        beta = r.standard_normal(D)
        return x, gamma, beta, {"eps": 1e-5}

    return build


_case("layernorm", "layernorm", layernorm_forward, layernorm_backward, _ln_inputs(91))
_case("layernorm_bug_stats_axis0", "layernorm", layernorm_forward_axis0, layernorm_backward,
      _ln_inputs(92),
      bug="forward takes mean and variance over axis 0 (the batch) instead of each row, while "
          "backward uses the row-wise formula", wrong={"x"})
_case("layernorm_bug_batchnorm_backward", "layernorm", layernorm_forward,
      layernorm_backward_bn_formula, _ln_inputs(93),
      bug="backward copies batchnorm's dx formula (sums over axis 0, divides by N)",
      wrong={"x"})
_case("layernorm_bug_dgamma_axis1", "layernorm", layernorm_forward,
      layernorm_backward_dgamma_axis1, _ln_inputs(94),
      bug="dgamma summed over axis 1 (features) instead of axis 0 (the batch)", wrong={"gamma"},
      also="dgamma has the wrong shape: (4,) instead of gamma's (6,)")
_case("layernorm_bug_no_var_path", "layernorm", layernorm_forward,
      layernorm_backward_no_var_path, _ln_inputs(95),
      bug="dx keeps the path through the row mean but drops the one through the row variance",
      wrong={"x"})


# ============================================================================================
# Convolution (naive, cross-correlation, zero padding)
# ============================================================================================


def conv_forward_naive(x, w, b, conv_param):
    stride, pad = conv_param["stride"], conv_param["pad"]
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    H_out = 1 + (H + 2 * pad - HH) // stride
    W_out = 1 + (W + 2 * pad - WW) // stride
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), mode="constant")
    out = np.zeros((N, F, H_out, W_out), dtype=x.dtype)
    for i in range(H_out):
        for j in range(W_out):
            hs, ws = i * stride, j * stride
            window = x_pad[:, :, hs:hs + HH, ws:ws + WW]
            out[:, :, i, j] = np.tensordot(window, w, axes=([1, 2, 3], [1, 2, 3])) + b
    cache = (x, w, b, conv_param)
    return out, cache


def conv_backward_naive(dout, cache):
    x, w, b, conv_param = cache
    stride, pad = conv_param["stride"], conv_param["pad"]
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    _, _, H_out, W_out = dout.shape
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), mode="constant")
    dx_pad = np.zeros_like(x_pad)
    dw = np.zeros_like(w)
    db = np.sum(dout, axis=(0, 2, 3))
    for i in range(H_out):
        for j in range(W_out):
            hs, ws = i * stride, j * stride
            window = x_pad[:, :, hs:hs + HH, ws:ws + WW]
            d = dout[:, :, i, j]
            dw += np.tensordot(d, window, axes=([0], [0]))
            dx_pad[:, :, hs:hs + HH, ws:ws + WW] += np.tensordot(d, w, axes=([1], [0]))
    dx = dx_pad[:, :, pad:pad + H, pad:pad + W]
    return dx, dw, db


def conv_backward_loops(dout, cache):
    """The four-loop version many students write first."""
    x, w, b, conv_param = cache
    stride, pad = conv_param["stride"], conv_param["pad"]
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    _, _, H_out, W_out = dout.shape
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), mode="constant")
    dx_pad = np.zeros_like(x_pad)
    dw = np.zeros_like(w)
    db = np.zeros_like(b)
    for n in range(N):
        for f in range(F):
            db[f] += np.sum(dout[n, f])
            for i in range(H_out):
                for j in range(W_out):
                    hs, ws = i * stride, j * stride
                    dw[f] += x_pad[n, :, hs:hs + HH, ws:ws + WW] * dout[n, f, i, j]
                    dx_pad[n, :, hs:hs + HH, ws:ws + WW] += w[f] * dout[n, f, i, j]
    dx = dx_pad[:, :, pad:-pad, pad:-pad]
    return dx, dw, db


def conv_backward_dw_flipped(dout, cache):
    x, w, b, conv_param = cache
    stride, pad = conv_param["stride"], conv_param["pad"]
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    _, _, H_out, W_out = dout.shape
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), mode="constant")
    dx_pad = np.zeros_like(x_pad)
    dw = np.zeros_like(w)
    db = np.sum(dout, axis=(0, 2, 3))
    for i in range(H_out):
        for j in range(W_out):
            hs, ws = i * stride, j * stride
            window = x_pad[:, :, hs:hs + HH, ws:ws + WW]
            d = dout[:, :, i, j]
            dw += np.tensordot(d, window[:, :, ::-1, ::-1], axes=([0], [0]))
            dx_pad[:, :, hs:hs + HH, ws:ws + WW] += np.tensordot(d, w, axes=([1], [0]))
    dx = dx_pad[:, :, pad:pad + H, pad:pad + W]
    return dx, dw, db


def conv_backward_keeps_padding(dout, cache):
    x, w, b, conv_param = cache
    stride, pad = conv_param["stride"], conv_param["pad"]
    F, _, HH, WW = w.shape
    _, _, H_out, W_out = dout.shape
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), mode="constant")
    dx_pad = np.zeros_like(x_pad)
    dw = np.zeros_like(w)
    db = np.sum(dout, axis=(0, 2, 3))
    for i in range(H_out):
        for j in range(W_out):
            hs, ws = i * stride, j * stride
            window = x_pad[:, :, hs:hs + HH, ws:ws + WW]
            d = dout[:, :, i, j]
            dw += np.tensordot(d, window, axes=([0], [0]))
            dx_pad[:, :, hs:hs + HH, ws:ws + WW] += np.tensordot(d, w, axes=([1], [0]))
    dx = dx_pad
    return dx, dw, db


def conv_backward_db_wrong_axes(dout, cache):
    x, w, b, conv_param = cache
    stride, pad = conv_param["stride"], conv_param["pad"]
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    _, _, H_out, W_out = dout.shape
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), mode="constant")
    dx_pad = np.zeros_like(x_pad)
    dw = np.zeros_like(w)
    db = np.sum(dout, axis=(1, 2, 3))
    for i in range(H_out):
        for j in range(W_out):
            hs, ws = i * stride, j * stride
            window = x_pad[:, :, hs:hs + HH, ws:ws + WW]
            d = dout[:, :, i, j]
            dw += np.tensordot(d, window, axes=([0], [0]))
            dx_pad[:, :, hs:hs + HH, ws:ws + WW] += np.tensordot(d, w, axes=([1], [0]))
    dx = dx_pad[:, :, pad:pad + H, pad:pad + W]
    return dx, dw, db


def conv_backward_dx_overwrite(dout, cache):
    x, w, b, conv_param = cache
    stride, pad = conv_param["stride"], conv_param["pad"]
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    _, _, H_out, W_out = dout.shape
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), mode="constant")
    dx_pad = np.zeros_like(x_pad)
    dw = np.zeros_like(w)
    db = np.sum(dout, axis=(0, 2, 3))
    for i in range(H_out):
        for j in range(W_out):
            hs, ws = i * stride, j * stride
            window = x_pad[:, :, hs:hs + HH, ws:ws + WW]
            d = dout[:, :, i, j]
            dw += np.tensordot(d, window, axes=([0], [0]))
            dx_pad[:, :, hs:hs + HH, ws:ws + WW] = np.tensordot(d, w, axes=([1], [0]))
    dx = dx_pad[:, :, pad:pad + H, pad:pad + W]
    return dx, dw, db


def conv_backward_ignores_stride(dout, cache):
    x, w, b, conv_param = cache
    pad = conv_param["pad"]
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    _, _, H_out, W_out = dout.shape
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), mode="constant")
    dx_pad = np.zeros_like(x_pad)
    dw = np.zeros_like(w)
    db = np.sum(dout, axis=(0, 2, 3))
    for i in range(H_out):
        for j in range(W_out):
            window = x_pad[:, :, i:i + HH, j:j + WW]
            d = dout[:, :, i, j]
            dw += np.tensordot(d, window, axes=([0], [0]))
            dx_pad[:, :, i:i + HH, j:j + WW] += np.tensordot(d, w, axes=([1], [0]))
    dx = dx_pad[:, :, pad:pad + H, pad:pad + W]
    return dx, dw, db


def conv_backward_dw_averaged(dout, cache):
    x, w, b, conv_param = cache
    stride, pad = conv_param["stride"], conv_param["pad"]
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    _, _, H_out, W_out = dout.shape
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), mode="constant")
    dx_pad = np.zeros_like(x_pad)
    dw = np.zeros_like(w)
    db = np.sum(dout, axis=(0, 2, 3))
    for i in range(H_out):
        for j in range(W_out):
            hs, ws = i * stride, j * stride
            window = x_pad[:, :, hs:hs + HH, ws:ws + WW]
            d = dout[:, :, i, j]
            dw += np.tensordot(d, window, axes=([0], [0]))
            dx_pad[:, :, hs:hs + HH, ws:ws + WW] += np.tensordot(d, w, axes=([1], [0]))
    dw /= N
    dx = dx_pad[:, :, pad:pad + H, pad:pad + W]
    return dx, dw, db


def _conv_inputs(seed, stride=1, pad=1, xshape=(2, 3, 6, 6), F=4, k=3, dtype=np.float64):
    def build():
        r = _rng(seed)
        x = r.standard_normal(xshape)
        w = 0.3 * r.standard_normal((F, xshape[1], k, k))
        b = r.standard_normal(F)
        return x.astype(dtype), w.astype(dtype), b.astype(dtype), {"stride": stride, "pad": pad}

    return build


_case("conv_s1_p1", "conv2d", conv_forward_naive, conv_backward_naive, _conv_inputs(101))
_case("conv_s2_p1", "conv2d", conv_forward_naive, conv_backward_naive, _conv_inputs(102, 2, 1))
_case("conv_loops_s2_p1", "conv2d", conv_forward_naive, conv_backward_loops,
      _conv_inputs(103, 2, 1, (2, 2, 5, 5), F=3))
_case("conv_float32", "conv2d", conv_forward_naive, conv_backward_naive,
      _conv_inputs(104, 1, 1, (2, 2, 5, 5), F=3, dtype=np.float32))
_case("conv_bug_dw_flipped", "conv2d", conv_forward_naive, conv_backward_dw_flipped,
      _conv_inputs(105),
      bug="dw correlates dout with the window flipped in both spatial axes", wrong={"w"})
_case("conv_bug_dx_keeps_padding", "conv2d", conv_forward_naive, conv_backward_keeps_padding,
      _conv_inputs(106),
      bug="dx is returned as the padded gradient without removing the padding", wrong={"x"},
      also="dx has the wrong shape: (2, 3, 8, 8) instead of x's (2, 3, 6, 6)")
_case("conv_bug_db_wrong_axes", "conv2d", conv_forward_naive, conv_backward_db_wrong_axes,
      _conv_inputs(107),
      bug="db = dout.sum(axis=(1, 2, 3)) sums over filters instead of over the batch",
      wrong={"b"}, also="db has the wrong shape: (2,) instead of b's (4,)")
_case("conv_bug_dx_overwrite", "conv2d", conv_forward_naive, conv_backward_dx_overwrite,
      _conv_inputs(108),
      bug="dx_pad window is assigned (=) instead of accumulated (+=), losing overlapping "
          "contributions", wrong={"x"})
_case("conv_bug_backward_ignores_stride", "conv2d", conv_forward_naive,
      conv_backward_ignores_stride, _conv_inputs(109, 2, 1),
      bug="backward places window (i, j) at i:i+HH instead of i*stride:i*stride+HH",
      wrong={"x", "w"})
_case("conv_bug_dw_averaged", "conv2d", conv_forward_naive, conv_backward_dw_averaged,
      _conv_inputs(110),
      bug="dw is divided by N as if the layer averaged over the batch", wrong={"w"})


# ============================================================================================
# Max pooling (naive)
# ============================================================================================


def max_pool_forward_naive(x, pool_param):
    ph, pw, stride = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    N, C, H, W = x.shape
    H_out = 1 + (H - ph) // stride
    W_out = 1 + (W - pw) // stride
    out = np.zeros((N, C, H_out, W_out), dtype=x.dtype)
    for i in range(H_out):
        for j in range(W_out):
            hs, ws = i * stride, j * stride
            out[:, :, i, j] = np.max(x[:, :, hs:hs + ph, ws:ws + pw], axis=(2, 3))
    cache = (x, pool_param)
    return out, cache


def max_pool_backward_naive(dout, cache):
    x, pool_param = cache
    ph, pw, stride = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    N, C, H_out, W_out = dout.shape
    dx = np.zeros_like(x)
    for n in range(N):
        for c in range(C):
            for i in range(H_out):
                for j in range(W_out):
                    hs, ws = i * stride, j * stride
                    window = x[n, c, hs:hs + ph, ws:ws + pw]
                    r, q = np.unravel_index(np.argmax(window), window.shape)
                    dx[n, c, hs + r, ws + q] += dout[n, c, i, j]
    return dx


def max_pool_backward_whole_window(dout, cache):
    x, pool_param = cache
    ph, pw, stride = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    N, C, H_out, W_out = dout.shape
    dx = np.zeros_like(x)
    for n in range(N):
        for c in range(C):
            for i in range(H_out):
                for j in range(W_out):
                    hs, ws = i * stride, j * stride
                    dx[n, c, hs:hs + ph, ws:ws + pw] += dout[n, c, i, j]
    return dx


def max_pool_backward_all_maxima(dout, cache):
    x, pool_param = cache
    ph, pw, stride = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    N, C, H_out, W_out = dout.shape
    dx = np.zeros_like(x)
    for n in range(N):
        for c in range(C):
            for i in range(H_out):
                for j in range(W_out):
                    hs, ws = i * stride, j * stride
                    window = x[n, c, hs:hs + ph, ws:ws + pw]
                    mask = window == np.max(window)
                    dx[n, c, hs:hs + ph, ws:ws + pw] += mask * dout[n, c, i, j]
    return dx


def max_pool_backward_swapped_index(dout, cache):
    x, pool_param = cache
    ph, pw, stride = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    N, C, H_out, W_out = dout.shape
    dx = np.zeros_like(x)
    for n in range(N):
        for c in range(C):
            for i in range(H_out):
                for j in range(W_out):
                    hs, ws = i * stride, j * stride
                    window = x[n, c, hs:hs + ph, ws:ws + pw]
                    idx = np.argmax(window)
                    r, q = idx % pw, idx // pw
                    dx[n, c, hs + r, ws + q] += dout[n, c, i, j]
    return dx


def max_pool_backward_overwrite(dout, cache):
    x, pool_param = cache
    ph, pw, stride = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    N, C, H_out, W_out = dout.shape
    dx = np.zeros_like(x)
    for n in range(N):
        for c in range(C):
            for i in range(H_out):
                for j in range(W_out):
                    hs, ws = i * stride, j * stride
                    window = x[n, c, hs:hs + ph, ws:ws + pw]
                    r, q = np.unravel_index(np.argmax(window), window.shape)
                    dx[n, c, hs + r, ws + q] = dout[n, c, i, j]
    return dx


def max_pool_backward_ignores_stride(dout, cache):
    x, pool_param = cache
    ph, pw = pool_param["pool_height"], pool_param["pool_width"]
    N, C, H_out, W_out = dout.shape
    dx = np.zeros_like(x)
    for n in range(N):
        for c in range(C):
            for i in range(H_out):
                for j in range(W_out):
                    window = x[n, c, i:i + ph, j:j + pw]
                    r, q = np.unravel_index(np.argmax(window), window.shape)
                    dx[n, c, i + r, j + q] += dout[n, c, i, j]
    return dx


def _pool_inputs(seed, xshape=(2, 3, 6, 6), size=2, stride=2, dtype=np.float64):
    """Distinct values at least 0.05 apart (a shuffled grid plus small noise): no ties."""

    def build():
        r = _rng(seed)
        n = int(np.prod(xshape))
        x = 0.05 * r.permutation(n) - 0.025 * n + 0.01 * r.random(n)
        x = x.reshape(xshape).astype(dtype)
        return x, {"pool_height": size, "pool_width": size, "stride": stride}

    return build


def _pool_tied_inputs():
    x, pool_param = _pool_inputs(126, (2, 2, 4, 4))()
    for n, c, i, j in [(0, 0, 0, 0), (0, 1, 1, 1), (1, 0, 0, 1), (1, 1, 1, 0)]:
        window = x[n, c, 2 * i:2 * i + 2, 2 * j:2 * j + 2]  # a view into x
        k = int(np.argmax(window))
        other = np.unravel_index((k + 1) % 4, (2, 2))
        window[other] = window.max()
    return x, pool_param


_case("maxpool_2x2_s2", "maxpool2d", max_pool_forward_naive, max_pool_backward_naive,
      _pool_inputs(121))
_case("maxpool_3x3_s2_overlapping", "maxpool2d", max_pool_forward_naive, max_pool_backward_naive,
      _pool_inputs(122, (2, 2, 5, 5), 3, 2))
_case("maxpool_float32", "maxpool2d", max_pool_forward_naive, max_pool_backward_naive,
      _pool_inputs(123, (1, 2, 4, 4), dtype=np.float32))
_case("maxpool_bug_whole_window", "maxpool2d", max_pool_forward_naive,
      max_pool_backward_whole_window, _pool_inputs(124),
      bug="backward sends dout to every element of the window, not only to the max",
      wrong={"x"})
_case("maxpool_bug_swapped_index", "maxpool2d", max_pool_forward_naive,
      max_pool_backward_swapped_index, _pool_inputs(125),
      bug="flat argmax unravelled as (idx % pw, idx // pw), swapping row and column",
      wrong={"x"})
_case("maxpool_bug_all_tied_maxima", "maxpool2d", max_pool_forward_naive,
      max_pool_backward_all_maxima, _pool_tied_inputs,
      bug="backward routes dout through the mask window == max, so a window with two tied "
          "maxima passes 2 * dout", wrong={"x"},
      also="x has four windows with exactly tied maxima (kinks); dx differs only there, where "
           "the tied entries together should receive dout once")
_case("maxpool_bug_overwrite", "maxpool2d", max_pool_forward_naive, max_pool_backward_overwrite,
      _pool_inputs(127, (2, 2, 5, 5), 2, 1),
      bug="dx at the argmax is assigned (=) instead of accumulated (+=); with stride 1 an entry "
          "that is the max of several windows keeps only the last dout", wrong={"x"})
_case("maxpool_bug_backward_ignores_stride", "maxpool2d", max_pool_forward_naive,
      max_pool_backward_ignores_stride, _pool_inputs(128),
      bug="backward looks for window (i, j) at i:i+ph instead of i*stride:i*stride+ph",
      wrong={"x"})


# ============================================================================================
# Self-check: float64 central differences of sum(dout * forward(...))
# ============================================================================================

_LOSS_KINDS = {"softmax_cross_entropy", "squared_error"}
_KINDS = ["dense", "relu", "leaky_relu", "sigmoid", "tanh", "softmax", "softmax_cross_entropy",
          "squared_error", "dropout", "batchnorm", "layernorm", "conv2d", "maxpool2d"]


def _is_float_array(a):
    return isinstance(a, np.ndarray) and np.issubdtype(a.dtype, np.floating)


def _forward(forward, inputs, reseed):
    if reseed:
        np.random.seed(2718)
    res = forward(*inputs)
    if isinstance(res, tuple) and len(res) == 2:
        return res[0], res[1], True
    return res, None, False


def _as_list(grads, names, idx):
    if isinstance(grads, dict):
        return [grads.get(names[i]) for i in idx]
    if isinstance(grads, (tuple, list)):
        grads = list(grads)
        return grads + [None] * (len(idx) - len(grads))
    return [grads]


def _objective(forward, inputs64, dout64, reseed):
    out, _, _ = _forward(forward, copy.deepcopy(inputs64), reseed)
    return float(np.sum(dout64 * np.asarray(out, dtype=np.float64)))


def _numeric(forward, inputs64, i, dout64, reseed, h=1e-6):
    """Central differences for input i, and a mask of kinks (one-sided slopes disagree)."""
    x = inputs64[i]
    num = np.zeros_like(x)
    kink = np.zeros(x.shape, dtype=bool)
    f0 = _objective(forward, inputs64, dout64, reseed)
    for k in np.ndindex(x.shape):
        vals = []
        for step in (h, -h):
            ins = list(inputs64)
            moved = x.copy()
            moved[k] += step
            ins[i] = moved
            vals.append(_objective(forward, tuple(ins), dout64, reseed))
        fp, fm = vals
        num[k] = (fp - fm) / (2 * h)
        if abs((fp - f0) - (f0 - fm)) / h > 1e-3:
            kink[k] = True
    return num, kink


def _relu_zero_convention(forward, inputs64, grads, dout64, kinks):
    """relu'(0) = 0: at the kinks (exact zeros of x) dx must be 0."""
    dx = np.asarray(grads[0])
    return bool(np.any(dx[kinks[0]] != 0))


def _pool_window_sums(forward, inputs64, grads, dout64, kinks, h=1e-6):
    """Moving a whole (non-overlapping) window by t moves its max by t: a smooth direction."""
    x, pool_param = inputs64
    dx = np.asarray(grads[0], dtype=np.float64)
    ph, pw, s = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    N, C, H, W = x.shape
    bad = False
    for n in range(N):
        for c in range(C):
            for i in range(1 + (H - ph) // s):
                for j in range(1 + (W - pw) // s):
                    d = np.zeros_like(x)
                    d[n, c, i * s:i * s + ph, j * s:j * s + pw] = 1.0
                    fp = _objective(forward, (x + h * d, pool_param), dout64, False)
                    fm = _objective(forward, (x - h * d, pool_param), dout64, False)
                    num = (fp - fm) / (2 * h)
                    if abs(num - np.sum(dx * d)) > 1e-6 * max(1.0, abs(num)):
                        bad = True
    return bad


# Cases with kinks planted on purpose, and how the gradient is judged there.
_KINK_CHECKS = {
    "relu_bug_mask_ge_zero": _relu_zero_convention,
    "maxpool_bug_all_tied_maxima": _pool_window_sums,
}


def _self_check_case(case):
    problems, notes = [], []
    forward, backward, inputs, kwargs = case["make"]()
    kind = kwargs["kind"]
    also = case["also"] or ""
    names = list(inspect.signature(forward).parameters)
    if kind in _LOSS_KINDS:
        idx = [0]
    else:
        idx = [i for i, a in enumerate(inputs) if _is_float_array(a)]
    diff_names = {names[i] for i in idx}
    if not case["wrong"] <= diff_names:
        problems.append("wrong names %s not among %s" % (case["wrong"], diff_names))

    # determinism and in-place writes
    o1, _, _ = _forward(forward, copy.deepcopy(inputs), False)
    o2, _, _ = _forward(forward, copy.deepcopy(inputs), False)
    nondet = not np.array_equal(np.asarray(o1), np.asarray(o2))
    if nondet != ("not deterministic" in also):
        problems.append("determinism: nondeterministic=%s but also=%r" % (nondet, also))
    ins = copy.deepcopy(inputs)
    out, cache, has_cache = _forward(forward, ins, nondet)
    mutated = any(_is_float_array(a) and not np.array_equal(a, b) for a, b in zip(ins, inputs))
    if mutated != ("modifies its input" in also):
        problems.append("in-place: mutated=%s but also=%r" % (mutated, also))

    # analytic gradients
    if kind in _LOSS_KINDS:
        if np.ndim(out) != 0:
            problems.append("loss forward did not return a scalar")
        dout = 1.0
    else:
        out = np.asarray(out)
        dout = np.random.default_rng(2024).standard_normal(out.shape).astype(out.dtype)
    if has_cache:
        grads = backward(dout, cache)
    else:
        grads = backward(dout, *copy.deepcopy(inputs))
    grads = _as_list(grads, names, idx)
    if len(grads) != len(idx):
        problems.append("backward returned %d gradients for %d inputs" % (len(grads), len(idx)))

    # numerical gradients in float64
    inputs64 = tuple(a.astype(np.float64) if _is_float_array(a) else a for a in inputs)
    dout64 = np.asarray(dout, dtype=np.float64)
    found_wrong, shape_wrong, all_kinks = set(), False, []
    for j, i in enumerate(idx):
        a = grads[j] if j < len(grads) else None
        num, kink = _numeric(forward, inputs64, i, dout64, nondet)
        all_kinks.append(kink)
        if kink.any():
            notes.append("%d kink(s) in %s skipped" % (kink.sum(), names[i]))
        if not isinstance(a, np.ndarray) or a.shape != num.shape:
            found_wrong.add(names[i])
            shape_wrong = True
            continue
        keep = ~kink
        diff = np.max(np.abs(a.astype(np.float64) - num)[keep], initial=0.0)
        scale = max(np.max(np.abs(num[keep]), initial=0.0), 1e-8)
        err = diff / scale
        ok_tol = 1e-4 if a.dtype == np.float32 or inputs[i].dtype == np.float32 else 1e-6
        if err > 1e-3:
            found_wrong.add(names[i])
        elif err > ok_tol:
            problems.append("%s: ambiguous relative error %.2e" % (names[i], err))
    if any(k.any() for k in all_kinks):
        if case["name"] not in _KINK_CHECKS:
            problems.append("unexpected kinks: " + "; ".join(notes))
        elif _KINK_CHECKS[case["name"]](forward, inputs64, grads, dout64, all_kinks):
            found_wrong.add(names[idx[0]])
    elif case["name"] in _KINK_CHECKS:
        problems.append("planted kinks not found")
    if shape_wrong != ("wrong shape" in also):
        problems.append("shape: wrong shape=%s but also=%r" % (shape_wrong, also))
    if found_wrong != case["wrong"]:
        problems.append("wrong gradients %s, listed %s" % (sorted(found_wrong),
                                                           sorted(case["wrong"])))
    if (case["bug"] is None) != (not case["wrong"] and not also):
        problems.append("bug/wrong/also disagree")
    return kind, problems, notes


def _main():
    names = [c["name"] for c in CASES]
    assert len(names) == len(set(names)), "duplicate case names"
    failures = 0
    counts = {k: [0, 0] for k in _KINDS}
    for case in CASES:
        kind, problems, notes = _self_check_case(case)
        counts[kind][case["bug"] is not None] += 1
        status = "FAIL" if problems else "ok  "
        extra = ("  [" + "; ".join(notes) + "]") if notes else ""
        print("%s %-42s %s%s" % (status, case["name"], sorted(case["wrong"]) or "", extra))
        for p in problems:
            print("       " + p)
        failures += bool(problems)
    print()
    print("%-24s %7s %5s" % ("kind", "correct", "buggy"))
    for k in _KINDS:
        print("%-24s %7d %5d" % (k, counts[k][0], counts[k][1]))
        if counts[k][0] == 0:
            print("   no correct case for", k)
            failures += 1
    n_bugs = sum(c["bug"] is not None for c in CASES)
    print("%d cases: %d correct, %d buggy" % (len(CASES), len(CASES) - n_bugs, n_bugs))
    if n_bugs < 35:
        print("fewer than 35 buggy cases")
        failures += 1
    if failures:
        print("%d problem(s)" % failures)
        sys.exit(1)
    print("all %d cases pass the self-check" % len(CASES))


if __name__ == "__main__":
    _main()
