"""Held-out layers for ``check_layer``: eight kinds it does not know, written CS231n-style.

Each kind has one correct ``<kind>_forward`` / ``<kind>_backward`` pair and two planted mistakes
of the kinds people make; three more backward passes are hostile but plausible (one writes into
``dout``, one into its cache, one adds into a module-level buffer it never zeroes).

The kinds: ELU, GELU (exact, with erf), overlapping average pooling (3x3 window, stride 2, NCHW),
an embedding lookup (integer indices and a weight table), group norm, Huber loss (a scalar),
1-d convolution (N, C, L) and single-head scaled dot-product attention.

``CASES`` holds one dict per case::

    {"name", "make": () -> (forward, backward, inputs, kwargs), "bug": None or words,
     "kind_of_slip": None or a slip, "wrong": set of input names whose gradient is wrong}

``wrong`` is measured, not guessed: the backward pass is compared with central finite
differences of the forward pass in float64, on a first call and on a second call that reuses
the same ``dout`` array and the same cache (as a checker probing twice would). Input names are
the forward pass's parameter names. ``python -m tests.gallery.unusual_layers`` runs
``self_check()``.
"""

import inspect

import numpy as np
from scipy.special import erf

SLIPS = ("factor", "sign", "transpose", "axis", "derivative_at_output", "dout_missing",
         "dout_twice", "wrong_cache_entry", "writes_dout", "writes_cache", "accumulates", "other")


# --------------------------------------------------------------------------- ELU

def elu_forward(x, elu_param):
    """Return out = x if x > 0 else alpha (exp(x) - 1), same shape as x."""
    alpha = elu_param["alpha"]
    out = np.where(x > 0, x, alpha * (np.exp(x) - 1))
    cache = (x, out, alpha)
    return out, cache


def elu_backward(dout, cache):
    """Return dx = dout * (1 if x > 0 else alpha exp(x)); alpha exp(x) is out + alpha."""
    x, out, alpha = cache
    return dout * np.where(x > 0, 1.0, out + alpha)


def elu_backward_at_output(dout, cache):
    x, out, alpha = cache
    return dout * np.where(x > 0, 1.0, alpha * np.exp(out))    # exp of the output, not of x


def elu_backward_dout_twice(dout, cache):
    x, out, alpha = cache
    dx = np.where(x > 0, dout, dout * (out + alpha))
    return dout * dx                                           # dout is already in dx


def elu_backward_in_place(dout, cache):
    x, out, alpha = cache
    negative = x <= 0
    dout[negative] *= out[negative] + alpha                    # reuses the caller's array
    return dout


# --------------------------------------------------------------------------- GELU

def gelu_forward(x):
    """Return out = x Phi(x), Phi the standard normal CDF (exact, with erf)."""
    cdf = 0.5 * (1 + erf(x / np.sqrt(2)))
    out = x * cdf
    cache = (x, cdf)
    return out, cache


def gelu_backward(dout, cache):
    """Return dx = dout * (Phi(x) + x phi(x)), phi the standard normal density."""
    x, cdf = cache
    pdf = np.exp(-0.5 * x ** 2) / np.sqrt(2 * np.pi)
    return dout * (cdf + x * pdf)


def gelu_backward_no_dout(dout, cache):
    x, cdf = cache
    pdf = np.exp(-0.5 * x ** 2) / np.sqrt(2 * np.pi)
    return cdf + x * pdf                                       # local derivative only


def gelu_backward_sign(dout, cache):
    x, cdf = cache
    pdf = np.exp(-0.5 * x ** 2) / np.sqrt(2 * np.pi)
    return dout * (cdf - x * pdf)                              # product rule with a minus


# --------------------------------------------------------------------------- average pooling

def avg_pool_forward(x, pool_param):
    """Return the mean over each (ph, pw) window at stride s, shape (N, C, H', W')."""
    ph, pw, s = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    N, C, H, W = x.shape
    H_out, W_out = 1 + (H - ph) // s, 1 + (W - pw) // s
    out = np.zeros((N, C, H_out, W_out))
    for i in range(H_out):
        for j in range(W_out):
            out[:, :, i, j] = x[:, :, i * s:i * s + ph, j * s:j * s + pw].mean(axis=(2, 3))
    cache = (x.shape, pool_param)
    return out, cache


def avg_pool_backward(dout, cache):
    """Return dx: each window receives dout / (ph pw), summed where windows overlap."""
    x_shape, pool_param = cache
    ph, pw, s = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    dx = np.zeros(x_shape)
    for i in range(dout.shape[2]):
        for j in range(dout.shape[3]):
            share = dout[:, :, i, j][:, :, None, None] / (ph * pw)
            dx[:, :, i * s:i * s + ph, j * s:j * s + pw] += share
    return dx


def avg_pool_backward_overwrites(dout, cache):
    x_shape, pool_param = cache
    ph, pw, s = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    dx = np.zeros(x_shape)
    for i in range(dout.shape[2]):
        for j in range(dout.shape[3]):
            share = dout[:, :, i, j][:, :, None, None] / (ph * pw)
            dx[:, :, i * s:i * s + ph, j * s:j * s + pw] = share   # overlaps overwritten
    return dx


def avg_pool_backward_no_mean(dout, cache):
    x_shape, pool_param = cache
    ph, pw, s = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    dx = np.zeros(x_shape)
    for i in range(dout.shape[2]):
        for j in range(dout.shape[3]):
            share = dout[:, :, i, j][:, :, None, None]             # forgot / (ph * pw)
            dx[:, :, i * s:i * s + ph, j * s:j * s + pw] += share
    return dx


# --------------------------------------------------------------------------- embedding

def embedding_forward(idx, W):
    """Return out = W[idx], shape (N, T, D), for idx (N, T) of ints and W (V, D)."""
    out = W[idx]
    cache = (idx, W.shape)
    return out, cache


def embedding_backward(dout, cache):
    """Return dW (V, D): each row adds dout over the positions that looked it up."""
    idx, W_shape = cache
    dW = np.zeros(W_shape)
    np.add.at(dW, idx, dout)
    return dW


def embedding_backward_fancy_add(dout, cache):
    idx, W_shape = cache
    dW = np.zeros(W_shape)
    dW[idx] += dout                                            # repeated indices add once
    return dW


def embedding_backward_transposed(dout, cache):
    idx, W_shape = cache
    dW = np.zeros(W_shape)
    np.add.at(dW, idx.T.ravel(), dout.reshape(-1, W_shape[1]))   # (T, N) order against (N, T)
    return dW


_GRAD_TABLE = None     # the hostile embedding backward adds into this and never zeroes it


def embedding_backward_accumulates(dout, cache):
    global _GRAD_TABLE
    idx, W_shape = cache
    if _GRAD_TABLE is None or _GRAD_TABLE.shape != W_shape:
        _GRAD_TABLE = np.zeros(W_shape)                        # allocated once, reused
    np.add.at(_GRAD_TABLE, idx, dout)
    return _GRAD_TABLE.copy()


def _fresh_grad_table():
    global _GRAD_TABLE
    _GRAD_TABLE = None


# --------------------------------------------------------------------------- group norm

def groupnorm_forward(x, gamma, beta, gn_param):
    """Return gamma xhat + beta, xhat normalised over each group of C // G channels and (H, W).

    x (N, C, H, W); gamma, beta (1, C, 1, 1); biased variance, eps inside the square root.
    """
    G, eps = gn_param["G"], gn_param.get("eps", 1e-5)
    N = x.shape[0]
    xg = x.reshape(N, G, -1)
    mean = xg.mean(axis=2, keepdims=True)
    std = np.sqrt(xg.var(axis=2, keepdims=True) + eps)
    xhat = ((xg - mean) / std).reshape(x.shape)
    out = gamma * xhat + beta
    cache = (x, xhat, gamma, std, G)
    return out, cache


def groupnorm_backward(dout, cache):
    """Return dx, dgamma, dbeta; dx = (dxhat - mean(dxhat) - xhat mean(dxhat xhat)) / std."""
    x, xhat, gamma, std, G = cache
    N = x.shape[0]
    dbeta = dout.sum(axis=(0, 2, 3), keepdims=True)
    dgamma = (dout * xhat).sum(axis=(0, 2, 3), keepdims=True)
    dxhat = (dout * gamma).reshape(N, G, -1)
    xh = xhat.reshape(N, G, -1)
    dx = (dxhat - dxhat.mean(axis=2, keepdims=True)
          - xh * (dxhat * xh).mean(axis=2, keepdims=True)) / std
    return dx.reshape(x.shape), dgamma, dbeta


def groupnorm_backward_group_axis(dout, cache):
    x, xhat, gamma, std, G = cache
    N = x.shape[0]
    dbeta = dout.sum(axis=(0, 2, 3), keepdims=True)
    dgamma = (dout * xhat).sum(axis=(0, 2, 3), keepdims=True)
    dxhat = (dout * gamma).reshape(N, G, -1)
    xh = xhat.reshape(N, G, -1)
    dx = (dxhat - dxhat.mean(axis=1, keepdims=True)            # means across groups
          - xh * (dxhat * xh).mean(axis=1, keepdims=True)) / std
    return dx.reshape(x.shape), dgamma, dbeta


def groupnorm_backward_x_for_xhat(dout, cache):
    x, xhat, gamma, std, G = cache
    N = x.shape[0]
    dbeta = dout.sum(axis=(0, 2, 3), keepdims=True)
    dgamma = (dout * x).sum(axis=(0, 2, 3), keepdims=True)     # x taken from the cache, not xhat
    dxhat = (dout * gamma).reshape(N, G, -1)
    xh = xhat.reshape(N, G, -1)
    dx = (dxhat - dxhat.mean(axis=2, keepdims=True)
          - xh * (dxhat * xh).mean(axis=2, keepdims=True)) / std
    return dx.reshape(x.shape), dgamma, dbeta


# --------------------------------------------------------------------------- Huber loss

def huber_forward(pred, y, huber_param):
    """Return the mean over all elements of 0.5 r^2 (|r| <= delta) or delta (|r| - delta / 2)."""
    delta = huber_param["delta"]
    r = pred - y
    a = np.abs(r)
    loss = np.mean(np.where(a <= delta, 0.5 * r ** 2, delta * (a - 0.5 * delta)))
    cache = (r, delta)
    return loss, cache


def huber_backward(dout, cache):
    """Return dpred = dout clip(r, -delta, delta) / r.size and dy = -dpred."""
    r, delta = cache
    dpred = dout * np.clip(r, -delta, delta) / r.size
    return dpred, -dpred


def huber_backward_dy_sign(dout, cache):
    r, delta = cache
    dpred = dout * np.clip(r, -delta, delta) / r.size
    return dpred, dpred                                        # r = pred - y: dy has a minus


def huber_backward_per_row(dout, cache):
    r, delta = cache
    dpred = dout * np.clip(r, -delta, delta) / r.shape[0]      # divides by N, forward by N * D
    return dpred, -dpred


# --------------------------------------------------------------------------- 1-d convolution

def conv1d_forward(x, w, b, conv_param):
    """Return the cross-correlation of x (N, C, L) with w (F, C, K) plus b, shape (N, F, L')."""
    stride, pad = conv_param["stride"], conv_param["pad"]
    K = w.shape[2]
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad)))
    L_out = 1 + (x_pad.shape[2] - K) // stride
    out = np.zeros((x.shape[0], w.shape[0], L_out))
    for i in range(L_out):
        window = x_pad[:, :, i * stride:i * stride + K]
        out[:, :, i] = np.einsum("nck,fck->nf", window, w) + b
    cache = (x_pad, w, conv_param)
    return out, cache


def conv1d_backward(dout, cache):
    """Return dx (N, C, L), dw (F, C, K), db (F,)."""
    x_pad, w, conv_param = cache
    stride, pad = conv_param["stride"], conv_param["pad"]
    K = w.shape[2]
    dx_pad, dw = np.zeros_like(x_pad), np.zeros_like(w)
    for i in range(dout.shape[2]):
        window = x_pad[:, :, i * stride:i * stride + K]
        dw += np.einsum("nf,nck->fck", dout[:, :, i], window)
        dx_pad[:, :, i * stride:i * stride + K] += np.einsum("nf,fck->nck", dout[:, :, i], w)
    db = dout.sum(axis=(0, 2))
    dx = dx_pad[:, :, pad:x_pad.shape[2] - pad]
    return dx, dw, db


def conv1d_backward_flipped(dout, cache):
    x_pad, w, conv_param = cache
    stride, pad = conv_param["stride"], conv_param["pad"]
    K = w.shape[2]
    dx_pad, dw = np.zeros_like(x_pad), np.zeros_like(w)
    w_flipped = w[:, :, ::-1]                                  # "the gradient is a convolution"
    for i in range(dout.shape[2]):
        window = x_pad[:, :, i * stride:i * stride + K]
        dw += np.einsum("nf,nck->fck", dout[:, :, i], window)
        dx_pad[:, :, i * stride:i * stride + K] += np.einsum(
            "nf,fck->nck", dout[:, :, i], w_flipped)
    db = dout.sum(axis=(0, 2))
    dx = dx_pad[:, :, pad:x_pad.shape[2] - pad]
    return dx, dw, db


def conv1d_backward_no_stride_in_dw(dout, cache):
    x_pad, w, conv_param = cache
    stride, pad = conv_param["stride"], conv_param["pad"]
    K = w.shape[2]
    dx_pad, dw = np.zeros_like(x_pad), np.zeros_like(w)
    for i in range(dout.shape[2]):
        dw += np.einsum("nf,nck->fck", dout[:, :, i], x_pad[:, :, i:i + K])   # stride dropped
        dx_pad[:, :, i * stride:i * stride + K] += np.einsum("nf,fck->nck", dout[:, :, i], w)
    db = dout.sum(axis=(0, 2))
    dx = dx_pad[:, :, pad:x_pad.shape[2] - pad]
    return dx, dw, db


# --------------------------------------------------------------------------- attention

def attention_forward(q, k, v):
    """Return softmax(q k^T / sqrt(d)) v for q (N, T, d), k (N, S, d), v (N, S, d_v)."""
    scale = 1 / np.sqrt(q.shape[-1])
    scores = q @ k.transpose(0, 2, 1) * scale
    scores -= scores.max(axis=-1, keepdims=True)
    P = np.exp(scores)
    P /= P.sum(axis=-1, keepdims=True)
    out = P @ v
    cache = (q, k, v, P, scale)
    return out, cache


def attention_backward(dout, cache):
    """Return dq, dk, dv; dS = P (dP - sum(dP P, last axis)), dP = dout v^T."""
    q, k, v, P, scale = cache
    dv = P.transpose(0, 2, 1) @ dout
    dP = dout @ v.transpose(0, 2, 1)
    dS = P * (dP - (dP * P).sum(axis=-1, keepdims=True))
    dq = dS @ k * scale
    dk = dS.transpose(0, 2, 1) @ q * scale
    return dq, dk, dv


def attention_backward_softmax_axis(dout, cache):
    q, k, v, P, scale = cache
    dv = P.transpose(0, 2, 1) @ dout
    dP = dout @ v.transpose(0, 2, 1)
    dS = P * (dP - (dP * P).sum(axis=-2, keepdims=True))       # sums over queries
    dq = dS @ k * scale
    dk = dS.transpose(0, 2, 1) @ q * scale
    return dq, dk, dv


def attention_backward_untransposed_p(dout, cache):
    q, k, v, P, scale = cache
    dv = P @ dout                                              # P, not P^T (square, so it runs)
    dP = dout @ v.transpose(0, 2, 1)
    dS = P * (dP - (dP * P).sum(axis=-1, keepdims=True))
    dq = dS @ k * scale
    dk = dS.transpose(0, 2, 1) @ q * scale
    return dq, dk, dv


def attention_backward_reuses_p(dout, cache):
    q, k, v, P, scale = cache
    dv = P.transpose(0, 2, 1) @ dout
    dP = dout @ v.transpose(0, 2, 1)
    dS = P                                                     # saves memory: P becomes dS
    dS *= dP - (dP * P).sum(axis=-1, keepdims=True)
    dq = dS @ k * scale
    dk = dS.transpose(0, 2, 1) @ q * scale
    return dq, dk, dv


# --------------------------------------------------------------------------- inputs

def _away_from(values, kinks, margin, rng):
    """Redraw entries of values within margin of a kink (finite differences need smoothness)."""
    values = values.copy()
    for _ in range(100):
        near = np.zeros(values.shape, bool)
        for kink in kinks:
            near |= np.abs(values - kink) < margin
        if not near.any():
            return values
        values[near] = rng.normal(size=near.sum())
    raise RuntimeError("could not draw inputs away from the kinks")


def _elu_inputs():
    rng = np.random.default_rng(11)
    return _away_from(rng.normal(size=(4, 5)), [0.0], 0.05, rng), {"alpha": 1.5}


def _gelu_inputs():
    return (np.random.default_rng(12).normal(scale=1.5, size=(4, 5)),)


def _pool_inputs():
    x = np.random.default_rng(13).normal(size=(2, 3, 7, 7))
    return x, {"pool_height": 3, "pool_width": 3, "stride": 2}


def _embedding_inputs():
    rng = np.random.default_rng(14)
    idx = np.array([[0, 2, 2, 4], [1, 0, 3, 2], [4, 4, 1, 0]])   # (N=3, T=4), with repeats
    return idx, rng.normal(size=(5, 3))


def _groupnorm_inputs():
    rng = np.random.default_rng(15)
    x = rng.normal(loc=0.5, scale=2.0, size=(2, 4, 3, 3))
    gamma = rng.normal(loc=1.0, scale=0.5, size=(1, 4, 1, 1))
    beta = rng.normal(size=(1, 4, 1, 1))
    return x, gamma, beta, {"G": 2, "eps": 1e-5}


def _huber_inputs():
    rng = np.random.default_rng(16)
    y = rng.normal(size=(4, 3))
    r = _away_from(rng.normal(scale=1.5, size=(4, 3)), [-1.0, 1.0], 0.05, rng)
    return y + r, y, {"delta": 1.0}


def _conv1d_inputs():
    rng = np.random.default_rng(17)
    x = rng.normal(size=(2, 3, 9))
    w = rng.normal(size=(4, 3, 3))
    b = rng.normal(size=(4,))
    return x, w, b, {"stride": 2, "pad": 1}


def _attention_inputs():
    rng = np.random.default_rng(18)
    return rng.normal(size=(2, 4, 3)), rng.normal(size=(2, 4, 3)), rng.normal(size=(2, 4, 2))


def _maker(forward, backward, inputs, reset=None):
    def make():
        if reset is not None:
            reset()
        copies = tuple(a.copy() if isinstance(a, np.ndarray) else dict(a) if isinstance(a, dict)
                       else a for a in inputs())
        return forward, backward, copies, {}
    return make


# --------------------------------------------------------------------------- finite differences

def _float_names(forward, inputs):
    names = list(inspect.signature(forward).parameters)
    return [n for n, a in zip(names, inputs)
            if isinstance(a, np.ndarray) and np.issubdtype(a.dtype, np.floating)]


def _split(result):
    return result if isinstance(result, tuple) and len(result) == 2 else (result, None)


def _as_dict(grads, names):
    if isinstance(grads, dict):
        return {n: np.array(grads[n], dtype=float) for n in names}
    if not isinstance(grads, (tuple, list)):
        grads = (grads,)
    return {n: np.array(g, dtype=float) for n, g in zip(names, grads)}


def numerical_gradients(forward, inputs, dout, h=1e-6):
    """Return {name: d sum(forward(*inputs) * dout) / d input} by central differences."""
    names = list(inspect.signature(forward).parameters)
    inputs = [a.copy() if isinstance(a, np.ndarray) else a for a in inputs]
    grads = {}
    for name in _float_names(forward, inputs):
        a = inputs[names.index(name)]
        grad = np.zeros_like(a)
        for ix in np.ndindex(a.shape):
            old = a[ix]
            a[ix] = old + h
            plus = np.sum(_split(forward(*inputs))[0] * dout)
            a[ix] = old - h
            minus = np.sum(_split(forward(*inputs))[0] * dout)
            a[ix] = old
            grad[ix] = (plus - minus) / (2 * h)
        grads[name] = grad
    return grads


def _relative_error(yours, reference):
    if np.shape(yours) != np.shape(reference):
        return np.inf
    scale = max(np.max(np.abs(reference)), 1e-12)
    return float(np.max(np.abs(yours - reference)) / scale)


def measure(make, seed=1):
    """Return {name: (error on a first call, error on a second call)} against finite differences.

    The second call reuses the same ``dout`` array and cache as the first.
    """
    forward, backward, inputs, _ = make()
    names = _float_names(forward, inputs)
    out, cache = _split(forward(*inputs))
    rng = np.random.default_rng(seed)
    dout = rng.normal(size=np.shape(out)) if np.ndim(out) else float(rng.uniform(0.5, 2.0))
    numeric = numerical_gradients(forward, inputs, dout)
    given = np.copy(dout) if np.ndim(out) else dout
    first = {n: g.copy() for n, g in _as_dict(backward(given, cache), names).items()}
    second = _as_dict(backward(given, cache), names)
    return {n: (_relative_error(first[n], numeric[n]), _relative_error(second[n], numeric[n]))
            for n in names}


def _wrong(make, tol=1e-5):
    return {n for n, errors in measure(make).items() if max(errors) > tol}


# --------------------------------------------------------------------------- the cases

_KINDS = {
    "elu": (elu_forward, _elu_inputs, elu_backward, [
        (elu_backward_at_output, "derivative_at_output",
         "the negative branch uses alpha * exp(out) instead of alpha * exp(x)"),
        (elu_backward_dout_twice, "dout_twice",
         "dout is multiplied inside np.where and again on return"),
        (elu_backward_in_place, "writes_dout",
         "scales dout in place and returns it: a second call with the same dout is wrong"),
    ]),
    "gelu": (gelu_forward, _gelu_inputs, gelu_backward, [
        (gelu_backward_no_dout, "dout_missing", "returns Phi(x) + x phi(x) without dout"),
        (gelu_backward_sign, "sign", "Phi(x) - x phi(x): the product rule's second term negated"),
    ]),
    "avg_pool": (avg_pool_forward, _pool_inputs, avg_pool_backward, [
        (avg_pool_backward_overwrites, "other",
         "assigns each window's share with = instead of +=, so overlapping windows overwrite"),
        (avg_pool_backward_no_mean, "factor", "forgets to divide by the window size (9)"),
    ]),
    "embedding": (embedding_forward, _embedding_inputs, embedding_backward, [
        (embedding_backward_fancy_add, "other",
         "dW[idx] += dout: a row looked up twice is added once"),
        (embedding_backward_transposed, "transpose",
         "indices flattened in (T, N) order against dout flattened in (N, T) order"),
        (embedding_backward_accumulates, "accumulates",
         "adds into a module-level buffer never zeroed: right once, doubled on the second call"),
    ]),
    "groupnorm": (groupnorm_forward, _groupnorm_inputs, groupnorm_backward, [
        (groupnorm_backward_group_axis, "axis",
         "dx's two means are taken over the group axis instead of within each group"),
        (groupnorm_backward_x_for_xhat, "wrong_cache_entry",
         "dgamma sums dout * x, not dout * xhat"),
    ]),
    "huber": (huber_forward, _huber_inputs, huber_backward, [
        (huber_backward_dy_sign, "sign", "dy returned as +dpred; r = pred - y makes it -dpred"),
        (huber_backward_per_row, "factor",
         "divides by the number of rows N, while the forward pass averages over N * D"),
    ]),
    "conv1d": (conv1d_forward, _conv1d_inputs, conv1d_backward, [
        (conv1d_backward_flipped, "other",
         "flips the kernel for dx, though the forward pass is a cross-correlation"),
        (conv1d_backward_no_stride_in_dw, "other",
         "dw slides its window by 1 instead of by the stride"),
    ]),
    "attention": (attention_forward, _attention_inputs, attention_backward, [
        (attention_backward_softmax_axis, "axis",
         "the softmax backward sums dP * P over the query axis instead of the key axis"),
        (attention_backward_untransposed_p, "transpose", "dv = P @ dout instead of P^T @ dout"),
        (attention_backward_reuses_p, "writes_cache",
         "builds dS in place in the cached P: right once, wrong on a second call"),
    ]),
}


def _build_cases():
    cases = []
    for kind, (forward, inputs, correct, slips) in _KINDS.items():
        cases.append({"name": f"{kind}_correct", "make": _maker(forward, correct, inputs),
                      "bug": None, "kind_of_slip": None, "wrong": set()})
        for backward, slip, words in slips:
            reset = _fresh_grad_table if slip == "accumulates" else None
            make = _maker(forward, backward, inputs, reset)
            cases.append({"name": f"{kind}_{backward.__name__.split('backward_')[1]}",
                          "make": make, "bug": words, "kind_of_slip": slip,
                          "wrong": _wrong(make)})
    return cases


CASES = _build_cases()
_HOSTILE = ("writes_dout", "writes_cache", "accumulates")    # right on the first call only


def self_check():
    """Every correct backward within 1e-7 of finite differences; every bug measurably wrong.

    The hostile cases must also be right on their first call (their mistake shows on the second).
    """
    failures = []
    for case in CASES:
        errors = measure(case["make"])
        worst = max(max(pair) for pair in errors.values())
        if case["bug"] is None and worst > 1e-7:
            failures.append(f"{case['name']}: correct backward off by {worst:.2e}")
        if case["bug"] is not None and not case["wrong"]:
            failures.append(f"{case['name']}: planted mistake not detectable")
        first = max(pair[0] for pair in errors.values())
        if case["kind_of_slip"] in _HOSTILE and first > 1e-7:
            failures.append(f"{case['name']}: hostile backward already wrong on the first call")
        if case["kind_of_slip"] not in (None, *SLIPS):
            failures.append(f"{case['name']}: unknown slip {case['kind_of_slip']}")
    planted = [c for c in CASES if c["bug"] and c["kind_of_slip"] not in _HOSTILE]
    correct = [c for c in CASES if c["bug"] is None]
    if (len(correct), len(planted)) != (8, 16):
        failures.append(f"{len(correct)} correct and {len(planted)} planted, want 8 and 16")
    if failures:
        raise AssertionError("\n".join(failures))
    return {"correct": len(correct), "planted": len(planted),
            "hostile": len(CASES) - len(correct) - len(planted)}


if __name__ == "__main__":
    print(self_check())
    for case in CASES:
        print(f"{case['name']:34s} {str(case['kind_of_slip']):22s} {sorted(case['wrong'])}")
