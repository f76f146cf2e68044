"""A second held-out gallery of hand-written NumPy layers for ``check_layer``.

Every layer here is of a kind the checker is not told about (it is always
called with ``kind=None``).  The layers are written the way they turn up in
course notebooks and blog posts: CS231n-style ``(out, cache)`` pairs, small
classes with ``forward``/``backward`` methods wrapped in functions, layers
whose backward recomputes from the inputs, loops next to vectorised code.

For each layer there is one correct backward and a few buggy ones, each with
ONE realistic mistake.  Three of the buggy ones are "hostile": their first
answer is numerically right, but they write into ``dout``, into the cache, or
into a module-level buffer, so that an alias or a second call goes wrong.

Each entry of ``CASES`` is a dict:

``name``          unique name of the case
``kind_of_slip``  a short label ("correct" for the right backward; the hostile
                  ones start with "hostile:")
``bug``           None, or one sentence describing the mistake
``wrong``         set of input names (the forward's parameter names) whose
                  gradient is wrong; measured by ``self_check`` against
                  central differences, never guessed
``make``          zero-argument function returning
                  ``(forward, backward, inputs_list, kwargs_dict)`` with fresh
                  inputs; ``kwargs_dict`` holds keyword arguments meant for
                  ``check_layer`` (only ``kind=None`` here)

Run ``self_check()`` to verify the gallery itself.
"""

from __future__ import annotations

import inspect

import numpy as np

__all__ = ["CASES", "self_check", "input_names", "hostile"]


def _rng(tag: int) -> np.random.Generator:
    return np.random.default_rng(20240 + tag)


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def _away_from_zero(rng, shape, low=0.2, high=1.5):
    """Values with |v| in [low, high] and random sign: no kink near 0."""
    mag = rng.uniform(low, high, size=shape)
    sign = rng.choice([-1.0, 1.0], size=shape)
    return mag * sign


# ---------------------------------------------------------------------------
# 1. SiLU / swish, CS231n style: functions with a tuple cache
# ---------------------------------------------------------------------------

def silu_forward(x):
    s = _sigmoid(x)
    out = x * s
    cache = (x, s, out)
    return out, cache


def silu_backward(dout, cache):
    x, s, out = cache
    dx = dout * (s + x * s * (1 - s))
    return dx


def silu_backward_no_product_rule(dout, cache):
    x, s, out = cache
    # d(x * s)/dx taken as just s: the x * s'(x) term is dropped
    dx = dout * s
    return dx


def silu_backward_output_for_input(dout, cache):
    x, s, out = cache
    # "out" used where "x" belongs in the second term
    dx = dout * (s + out * s * (1 - s))
    return dx


def silu_backward_inplace_dout(dout, cache):
    x, s, out = cache
    # saves an allocation: scales dout in place and hands it back
    dout *= s + x * s * (1 - s)
    return dout


def _make_silu(backward):
    def make():
        rng = _rng(1)
        x = rng.normal(0.0, 1.5, size=(4, 7))
        return silu_forward, backward, [x], {"kind": None}
    return make


# ---------------------------------------------------------------------------
# 2. PReLU with a learnable per-channel slope, class-based (nnfs-like)
# ---------------------------------------------------------------------------

class PReLU:
    def forward(self, inputs, alpha):
        self.inputs = inputs
        self.alpha = alpha
        self.output = np.where(inputs > 0, inputs, alpha * inputs)
        return self.output

    def backward(self, dvalues):
        self.dinputs = dvalues * np.where(self.inputs > 0, 1.0, self.alpha)
        self.dalpha = np.sum(dvalues * np.where(self.inputs > 0, 0.0, self.inputs), axis=0)
        return self.dinputs, self.dalpha


class PReLUMeanSlope(PReLU):
    def backward(self, dvalues):
        self.dinputs = dvalues * np.where(self.inputs > 0, 1.0, self.alpha)
        # averaged over the batch instead of summed
        self.dalpha = np.mean(dvalues * np.where(self.inputs > 0, 0.0, self.inputs), axis=0)
        return self.dinputs, self.dalpha


class PReLUForgetsSlope(PReLU):
    def backward(self, dvalues):
        # copied from ReLU: the negative side passes nothing back
        self.dinputs = dvalues * (self.inputs > 0)
        self.dalpha = np.sum(dvalues * np.where(self.inputs > 0, 0.0, self.inputs), axis=0)
        return self.dinputs, self.dalpha


def _make_prelu(cls):
    def forward(x, alpha):
        layer = cls()
        out = layer.forward(x, alpha)
        return out, layer

    def backward(dout, layer):
        return layer.backward(dout)

    def make():
        rng = _rng(2)
        x = _away_from_zero(rng, (5, 6), 0.15, 2.0)
        alpha = rng.uniform(0.05, 0.4, size=6)
        return forward, backward, [x, alpha], {"kind": None}
    return make


# ---------------------------------------------------------------------------
# 3. RMSNorm with a gain, functions; backward returns a dict by name
# ---------------------------------------------------------------------------

def rmsnorm_forward(x, g, eps=1e-5):
    ms = np.mean(x ** 2, axis=1, keepdims=True)
    r = np.sqrt(ms + eps)
    xhat = x / r
    out = g * xhat
    cache = (x, g, r, xhat)
    return out, cache


def rmsnorm_backward(dout, cache):
    x, g, r, xhat = cache
    dxhat = dout * g
    dx = (dxhat - xhat * np.mean(dxhat * xhat, axis=1, keepdims=True)) / r
    dg = np.sum(dout * xhat, axis=0)
    return {"x": dx, "g": dg}


def rmsnorm_backward_dg_uses_x(dout, cache):
    x, g, r, xhat = cache
    dxhat = dout * g
    dx = (dxhat - xhat * np.mean(dxhat * xhat, axis=1, keepdims=True)) / r
    dg = np.sum(dout * x, axis=0)  # raw x instead of the normalised xhat
    return {"x": dx, "g": dg}


def rmsnorm_backward_r_constant(dout, cache):
    x, g, r, xhat = cache
    dxhat = dout * g
    dx = dxhat / r  # r treated as a constant: its dependence on x is lost
    dg = np.sum(dout * xhat, axis=0)
    return {"x": dx, "g": dg}


def rmsnorm_backward_mean_wrong_axis(dout, cache):
    x, g, r, xhat = cache
    dxhat = dout * g
    dx = (dxhat - xhat * np.mean(dxhat * xhat, axis=0, keepdims=True)) / r
    dg = np.sum(dout * xhat, axis=0)
    return {"x": dx, "g": dg}


def _make_rmsnorm(backward):
    def make():
        rng = _rng(3)
        x = rng.normal(0.3, 1.2, size=(4, 8))
        g = rng.uniform(0.5, 1.5, size=8)
        return rmsnorm_forward, backward, [x, g], {"kind": None}
    return make


# ---------------------------------------------------------------------------
# 4. 1-d max pooling with overlapping windows (size 3, stride 2), loops
# ---------------------------------------------------------------------------

POOL, STRIDE = 3, 2


def maxpool1d_forward(x):
    N, C, L = x.shape
    L_out = (L - POOL) // STRIDE + 1
    out = np.zeros((N, C, L_out))
    argmax = np.zeros((N, C, L_out), dtype=int)
    for n in range(N):
        for c in range(C):
            for i in range(L_out):
                window = x[n, c, i * STRIDE:i * STRIDE + POOL]
                argmax[n, c, i] = np.argmax(window)
                out[n, c, i] = window[argmax[n, c, i]]
    cache = {"x": x, "argmax": argmax}
    return out, cache


def maxpool1d_backward(dout, cache):
    x, argmax = cache["x"], cache["argmax"]
    N, C, L_out = dout.shape
    dx = np.zeros_like(x)
    for n in range(N):
        for c in range(C):
            for i in range(L_out):
                dx[n, c, i * STRIDE + argmax[n, c, i]] += dout[n, c, i]
    return dx


def maxpool1d_backward_assign(dout, cache):
    x, argmax = cache["x"], cache["argmax"]
    N, C, L_out = dout.shape
    dx = np.zeros_like(x)
    for n in range(N):
        for c in range(C):
            for i in range(L_out):
                # "=" where two overlapping windows share their max
                dx[n, c, i * STRIDE + argmax[n, c, i]] = dout[n, c, i]
    return dx


def maxpool1d_backward_no_offset(dout, cache):
    x, argmax = cache["x"], cache["argmax"]
    N, C, L_out = dout.shape
    dx = np.zeros_like(x)
    for n in range(N):
        for c in range(C):
            for i in range(L_out):
                # the window's start i*STRIDE is forgotten
                dx[n, c, argmax[n, c, i]] += dout[n, c, i]
    return dx


def _make_maxpool(backward):
    def make():
        rng = _rng(4)
        N, C, L = 3, 2, 11
        # a shuffled grid: every pair of entries differs by at least 0.05
        vals = np.arange(N * C * L, dtype=np.float64) * 0.05
        x = rng.permutation(vals).reshape(N, C, L) - vals.mean()
        return maxpool1d_forward, backward, [x], {"kind": None}
    return make


# ---------------------------------------------------------------------------
# 5. Depthwise 1-d convolution ("valid"), loops over batch and taps
# ---------------------------------------------------------------------------

def dwconv1d_forward(x, w, b):
    N, C, L = x.shape
    _, K = w.shape
    L_out = L - K + 1
    out = np.zeros((N, C, L_out))
    for n in range(N):
        for k in range(K):
            out[n] += w[:, k:k + 1] * x[n, :, k:k + L_out]
    out += b[None, :, None]
    cache = (x, w, b)
    return out, cache


def dwconv1d_backward(dout, cache):
    x, w, b = cache
    N, C, L_out = dout.shape
    K = w.shape[1]
    dx = np.zeros_like(x)
    dw = np.zeros_like(w)
    for n in range(N):
        for k in range(K):
            dx[n, :, k:k + L_out] += w[:, k:k + 1] * dout[n]
            dw[:, k] += np.sum(dout[n] * x[n, :, k:k + L_out], axis=1)
    db = np.sum(dout, axis=(0, 2))
    return dx, dw, db


def dwconv1d_backward_flipped(dout, cache):
    x, w, b = cache
    N, C, L_out = dout.shape
    K = w.shape[1]
    dx = np.zeros_like(x)
    dw = np.zeros_like(w)
    for n in range(N):
        for k in range(K):
            # "convolution backward is convolution with the flipped kernel"
            dx[n, :, k:k + L_out] += w[:, K - 1 - k:K - k] * dout[n]
            dw[:, k] += np.sum(dout[n] * x[n, :, k:k + L_out], axis=1)
    db = np.sum(dout, axis=(0, 2))
    return dx, dw, db


def dwconv1d_backward_dw_reset(dout, cache):
    x, w, b = cache
    N, C, L_out = dout.shape
    K = w.shape[1]
    dx = np.zeros_like(x)
    for n in range(N):
        dw = np.zeros_like(w)  # reset inside the batch loop: only the last sample survives
        for k in range(K):
            dx[n, :, k:k + L_out] += w[:, k:k + 1] * dout[n]
            dw[:, k] += np.sum(dout[n] * x[n, :, k:k + L_out], axis=1)
    db = np.sum(dout, axis=(0, 2))
    return dx, dw, db


def _make_dwconv(backward):
    def make():
        rng = _rng(5)
        x = rng.normal(size=(3, 4, 9))
        w = rng.normal(size=(4, 3))
        b = rng.normal(size=4)
        return dwconv1d_forward, backward, [x, w, b], {"kind": None}
    return make


# ---------------------------------------------------------------------------
# 6. Bilinear layer y[n, o] = x1[n]^T W[o] x2[n] + b[o], class with params
# ---------------------------------------------------------------------------

class Bilinear:
    """Per-output-unit matrix form, the way it is derived on paper."""

    def forward(self, x1, x2, W, b):
        self.x1, self.x2, self.W = x1, x2, W
        n_out = W.shape[0]
        y = np.empty((x1.shape[0], n_out))
        for o in range(n_out):
            y[:, o] = np.sum((x1 @ W[o]) * x2, axis=1)
        return y + b

    def backward(self, dy):
        x1, x2, W = self.x1, self.x2, self.W
        dx1 = np.zeros_like(x1)
        dx2 = np.zeros_like(x2)
        dW = np.zeros_like(W)
        for o in range(W.shape[0]):
            d = dy[:, o:o + 1]
            dx1 += d * (x2 @ W[o].T)
            dx2 += d * (x1 @ W[o])
            dW[o] = (d * x1).T @ x2
        db = dy.sum(axis=0)
        return dx1, dx2, dW, db


class BilinearMissedTranspose(Bilinear):
    def backward(self, dy):
        x1, x2, W = self.x1, self.x2, self.W
        dx1 = np.zeros_like(x1)
        dx2 = np.zeros_like(x2)
        dW = np.zeros_like(W)
        for o in range(W.shape[0]):
            d = dy[:, o:o + 1]
            dx1 += d * (x2 @ W[o])  # W[o].T needed: shapes agree only because P == Q
            dx2 += d * (x1 @ W[o])
            dW[o] = (d * x1).T @ x2
        db = dy.sum(axis=0)
        return dx1, dx2, dW, db


class BilinearWeightNoUpstream(Bilinear):
    def backward(self, dy):
        x1, x2, W = self.x1, self.x2, self.W
        dx1 = np.zeros_like(x1)
        dx2 = np.zeros_like(x2)
        dW = np.zeros_like(W)
        for o in range(W.shape[0]):
            d = dy[:, o:o + 1]
            dx1 += d * (x2 @ W[o].T)
            dx2 += d * (x1 @ W[o])
            dW[o] = x1.T @ x2  # the upstream gradient d is never multiplied in
        db = dy.sum(axis=0)
        return dx1, dx2, dW, db


def _make_bilinear(cls):
    def forward(x1, x2, W, b):
        layer = cls()
        return layer.forward(x1, x2, W, b), layer

    def backward(dout, layer):
        return layer.backward(dout)

    def make():
        rng = _rng(6)
        x1 = rng.normal(size=(5, 4))
        x2 = rng.normal(size=(5, 4))
        W = rng.normal(scale=0.5, size=(3, 4, 4))
        b = rng.normal(size=3)
        return forward, backward, [x1, x2, W, b], {"kind": None}
    return make


# ---------------------------------------------------------------------------
# 7. Row-wise cosine similarity; no cache, backward recomputes from inputs
# ---------------------------------------------------------------------------

def cosine_forward(a, b):
    na = np.linalg.norm(a, axis=1)
    nb = np.linalg.norm(b, axis=1)
    return np.sum(a * b, axis=1) / (na * nb)


def cosine_backward(dout, a, b):
    na = np.linalg.norm(a, axis=1, keepdims=True)
    nb = np.linalg.norm(b, axis=1, keepdims=True)
    s = np.sum(a * b, axis=1, keepdims=True) / (na * nb)
    d = dout[:, None]
    da = d * (b / (na * nb) - s * a / na ** 2)
    db = d * (a / (na * nb) - s * b / nb ** 2)
    return da, db


def cosine_backward_sign(dout, a, b):
    na = np.linalg.norm(a, axis=1, keepdims=True)
    nb = np.linalg.norm(b, axis=1, keepdims=True)
    s = np.sum(a * b, axis=1, keepdims=True) / (na * nb)
    d = dout[:, None]
    da = d * (b / (na * nb) + s * a / na ** 2)  # sign of the norm term flipped
    db = d * (a / (na * nb) - s * b / nb ** 2)
    return da, db


def cosine_backward_copy_paste_norm(dout, a, b):
    na = np.linalg.norm(a, axis=1, keepdims=True)
    nb = np.linalg.norm(b, axis=1, keepdims=True)
    s = np.sum(a * b, axis=1, keepdims=True) / (na * nb)
    d = dout[:, None]
    da = d * (b / (na * nb) - s * a / na ** 2)
    db = d * (a / (na * nb) - s * b / na ** 2)  # copied line: na where nb belongs
    return da, db


def _make_cosine(backward):
    def make():
        rng = _rng(7)
        a = rng.normal(size=(6, 5))
        b = rng.normal(size=(6, 5)) + 0.5 * a
        return cosine_forward, backward, [a, b], {"kind": None}
    return make


# ---------------------------------------------------------------------------
# 8. Gated linear unit out = (x W) * sigmoid(x V), dict cache
# ---------------------------------------------------------------------------

def glu_forward(x, W, V):
    a = x @ W
    s = _sigmoid(x @ V)
    out = a * s
    cache = {"x": x, "W": W, "V": V, "a": a, "s": s}
    return out, cache


def glu_backward(dout, cache):
    x, W, V, a, s = cache["x"], cache["W"], cache["V"], cache["a"], cache["s"]
    da = dout * s
    dzg = dout * a * s * (1 - s)
    dx = da @ W.T + dzg @ V.T
    dW = x.T @ da
    dV = x.T @ dzg
    return dx, dW, dV


def glu_backward_dV_transposed(dout, cache):
    x, W, V, a, s = cache["x"], cache["W"], cache["V"], cache["a"], cache["s"]
    da = dout * s
    dzg = dout * a * s * (1 - s)
    dx = da @ W.T + dzg @ V.T
    dW = x.T @ da
    dV = dzg.T @ x  # PyTorch (out, in) habit: the transpose of what V needs
    return dx, dW, dV


def glu_backward_inplace_cache(dout, cache):
    x, W, V, a = cache["x"], cache["W"], cache["V"], cache["a"]
    s = cache["s"]
    da = dout * s
    s *= 1 - s  # reuses the cached sigmoid's buffer for s * (1 - s)
    dzg = dout * a * s
    dx = da @ W.T + dzg @ V.T
    dW = x.T @ da
    dV = x.T @ dzg
    return dx, dW, dV


def _make_glu(backward):
    def make():
        rng = _rng(8)
        x = rng.normal(size=(4, 5))
        W = rng.normal(scale=0.6, size=(5, 5))
        V = rng.normal(scale=0.6, size=(5, 5))
        return glu_forward, backward, [x, W, V], {"kind": None}
    return make


# ---------------------------------------------------------------------------
# 9. Multiclass hinge (SVM) loss, scalar output, vectorised CS231n style
# ---------------------------------------------------------------------------

def hinge_forward(scores, y):
    N = scores.shape[0]
    correct = scores[np.arange(N), y][:, None]
    margins = np.maximum(0, scores - correct + 1.0)
    margins[np.arange(N), y] = 0
    loss = np.sum(margins) / N
    cache = (margins, y, N)
    return loss, cache


def hinge_backward(dout, cache):
    margins, y, N = cache
    mask = (margins > 0).astype(np.float64)
    mask[np.arange(N), y] = -mask.sum(axis=1)
    return dout * mask / N


def hinge_backward_no_mean(dout, cache):
    margins, y, N = cache
    mask = (margins > 0).astype(np.float64)
    mask[np.arange(N), y] = -mask.sum(axis=1)
    return dout * mask  # the loss is averaged but the gradient is not


def hinge_backward_no_correct_column(dout, cache):
    margins, y, N = cache
    mask = (margins > 0).astype(np.float64)
    # the correct-class score appears in every margin: its -count is forgotten
    return dout * mask / N


def _make_hinge(backward):
    def make():
        rng = _rng(9)
        N, C = 5, 4
        y = rng.integers(0, C, size=N)
        # margins s_j - s_y + 1 kept at least 0.1 away from 0
        scores = np.zeros((N, C))
        for n in range(N):
            while True:
                row = rng.normal(scale=1.0, size=C)
                m = row - row[y[n]] + 1.0
                m[y[n]] = 5.0
                if np.all(np.abs(m) > 0.1) and np.any(m < 0) and np.any((m > 0) & (m < 5)):
                    scores[n] = row
                    break
        return hinge_forward, backward, [scores, y], {"kind": None}
    return make


# ---------------------------------------------------------------------------
# 10. Masked mean over time, no cache: backward(dout, x, mask)
# ---------------------------------------------------------------------------

def masked_mean_forward(x, mask):
    m = mask[:, :, None].astype(x.dtype)
    count = m.sum(axis=1)
    return (x * m).sum(axis=1) / count


def masked_mean_backward(dout, x, mask):
    m = mask[:, :, None].astype(x.dtype)
    count = m.sum(axis=1, keepdims=True)
    return dout[:, None, :] * m / count


def masked_mean_backward_divide_by_T(dout, x, mask):
    m = mask[:, :, None].astype(x.dtype)
    T = x.shape[1]
    return dout[:, None, :] * m / T  # divides by the padded length, not the count


_MASKED_MEAN_BUFFERS: dict = {}


def masked_mean_backward_kept_buffer(dout, x, mask):
    # a gradient buffer allocated once at module level and reused
    buf = _MASKED_MEAN_BUFFERS.get(x.shape)
    if buf is None:
        buf = _MASKED_MEAN_BUFFERS[x.shape] = np.zeros_like(x)
    m = mask[:, :, None].astype(x.dtype)
    count = m.sum(axis=1, keepdims=True)
    buf += dout[:, None, :] * m / count  # never zeroed between calls
    return buf


def _make_masked_mean(backward):
    def make():
        _MASKED_MEAN_BUFFERS.clear()  # each freshly made case starts clean
        rng = _rng(10)
        N, T, D = 4, 6, 3
        x = rng.normal(size=(N, T, D))
        lengths = np.array([6, 3, 1, 4])
        mask = np.arange(T)[None, :] < lengths[:, None]
        return masked_mean_forward, backward, [x, mask], {"kind": None}
    return make


# ---------------------------------------------------------------------------
# 11. Embedding lookup with repeated token ids
# ---------------------------------------------------------------------------

def embedding_forward(W, idx):
    out = W[idx]
    cache = (idx, W.shape)
    return out, cache


def embedding_backward(dout, cache):
    idx, shape = cache
    dW = np.zeros(shape)
    np.add.at(dW, idx, dout)
    return dW


def embedding_backward_fancy_add(dout, cache):
    idx, shape = cache
    dW = np.zeros(shape)
    dW[idx] += dout  # buffered: a repeated id keeps only one of its rows
    return dW


def _make_embedding(backward):
    def make():
        rng = _rng(11)
        V, D = 7, 4
        W = rng.normal(size=(V, D))
        idx = np.array([[1, 3, 3, 0], [5, 1, 6, 1], [2, 2, 4, 3]])
        return embedding_forward, backward, [W, idx], {"kind": None}
    return make


# ---------------------------------------------------------------------------
# The gallery
# ---------------------------------------------------------------------------

def _case(name, kind_of_slip, bug, wrong, make):
    return {"name": name, "kind_of_slip": kind_of_slip, "bug": bug,
            "wrong": set(wrong), "make": make}


CASES = [
    # SiLU
    _case("silu", "correct", None, set(), _make_silu(silu_backward)),
    _case("silu/no_product_rule", "product rule term dropped",
          "The derivative of x*sigmoid(x) is taken as sigmoid(x), dropping x*sigmoid'(x).",
          {"x"}, _make_silu(silu_backward_no_product_rule)),
    _case("silu/output_for_input", "output used for input",
          "The cached output x*sigmoid(x) is used where the input x belongs in x*s*(1-s).",
          {"x"}, _make_silu(silu_backward_output_for_input)),
    _case("silu/inplace_dout", "hostile: writes into dout",
          "The right gradient is computed by scaling dout in place and returning dout itself.",
          {"x"}, _make_silu(silu_backward_inplace_dout)),
    # PReLU
    _case("prelu", "correct", None, set(), _make_prelu(PReLU)),
    _case("prelu/mean_slope", "extra 1/N",
          "The slope gradient is averaged over the batch instead of summed.",
          {"alpha"}, _make_prelu(PReLUMeanSlope)),
    _case("prelu/relu_copy", "slope forgotten in dx",
          "The input gradient is copied from ReLU, so negative inputs pass back zero instead of "
          "alpha*dout.",
          {"x"}, _make_prelu(PReLUForgetsSlope)),
    # RMSNorm
    _case("rmsnorm", "correct", None, set(), _make_rmsnorm(rmsnorm_backward)),
    _case("rmsnorm/dg_uses_x", "wrong cached array",
          "The gain gradient sums dout*x instead of dout*xhat.",
          {"g"}, _make_rmsnorm(rmsnorm_backward_dg_uses_x)),
    _case("rmsnorm/r_constant", "term dropped",
          "The root-mean-square r is treated as a constant, so dx = dout*g/r misses the term "
          "through r.",
          {"x"}, _make_rmsnorm(rmsnorm_backward_r_constant)),
    _case("rmsnorm/mean_wrong_axis", "mean over wrong axis",
          "The mean of dxhat*xhat is taken over the batch axis instead of the feature axis.",
          {"x"}, _make_rmsnorm(rmsnorm_backward_mean_wrong_axis)),
    # max pooling
    _case("maxpool1d", "correct", None, set(), _make_maxpool(maxpool1d_backward)),
    _case("maxpool1d/assign", "= instead of +=",
          "With overlapping windows the routed gradient is assigned with = instead of accumulated "
          "with +=.",
          {"x"}, _make_maxpool(maxpool1d_backward_assign)),
    _case("maxpool1d/no_offset", "window offset forgotten",
          "The argmax inside a window is used as a position in the whole row, without adding the "
          "window start.",
          {"x"}, _make_maxpool(maxpool1d_backward_no_offset)),
    # depthwise convolution
    _case("dwconv1d", "correct", None, set(), _make_dwconv(dwconv1d_backward)),
    _case("dwconv1d/flipped_kernel", "kernel flipped",
          "The input gradient uses the flipped kernel although the forward is a cross-correlation.",
          {"x"}, _make_dwconv(dwconv1d_backward_flipped)),
    _case("dwconv1d/dw_reset_in_loop", "accumulator reset in loop",
          "The weight gradient is zeroed inside the batch loop, so only the last sample "
          "contributes.",
          {"w"}, _make_dwconv(dwconv1d_backward_dw_reset)),
    # bilinear
    _case("bilinear", "correct", None, set(), _make_bilinear(Bilinear)),
    _case("bilinear/missed_transpose", "missed transpose",
          "dx1 uses x2 @ W[o] instead of x2 @ W[o].T, which goes unnoticed because W[o] is square.",
          {"x1"}, _make_bilinear(BilinearMissedTranspose)),
    _case("bilinear/dW_no_dout", "dout not multiplied",
          "The weight gradient is x1^T x2 without the upstream gradient.",
          {"W"}, _make_bilinear(BilinearWeightNoUpstream)),
    # cosine similarity
    _case("cosine", "correct", None, set(), _make_cosine(cosine_backward)),
    _case("cosine/sign", "sign error",
          "The term -s*a/|a|^2 in the gradient for a is added instead of subtracted.",
          {"a"}, _make_cosine(cosine_backward_sign)),
    _case("cosine/copy_paste_norm", "copy-paste variable",
          "The gradient for b divides by |a|^2 instead of |b|^2 after copying the line for a.",
          {"b"}, _make_cosine(cosine_backward_copy_paste_norm)),
    # GLU
    _case("glu", "correct", None, set(), _make_glu(glu_backward)),
    _case("glu/dV_transposed", "missed transpose",
          "dV is computed as dzg^T x (PyTorch's (out, in) layout), the transpose of what V needs.",
          {"V"}, _make_glu(glu_backward_dV_transposed)),
    _case("glu/inplace_cache", "hostile: writes into the cache",
          "The cached sigmoid is overwritten in place with s*(1-s), so a second backward on the "
          "same cache is wrong.",
          {"x", "W", "V"}, _make_glu(glu_backward_inplace_cache)),
    # hinge loss
    _case("hinge", "correct", None, set(), _make_hinge(hinge_backward)),
    _case("hinge/no_mean", "1/N missing",
          "The loss is averaged over the batch but the gradient is not divided by N.",
          {"scores"}, _make_hinge(hinge_backward_no_mean)),
    _case("hinge/no_correct_column", "term dropped",
          "The correct-class column does not get minus the number of positive margins.",
          {"scores"}, _make_hinge(hinge_backward_no_correct_column)),
    # masked mean
    _case("masked_mean", "correct", None, set(), _make_masked_mean(masked_mean_backward)),
    _case("masked_mean/divide_by_T", "wrong normaliser",
          "The gradient divides by the padded length T instead of the number of unmasked steps.",
          {"x"}, _make_masked_mean(masked_mean_backward_divide_by_T)),
    _case("masked_mean/kept_buffer", "hostile: buffer kept across calls",
          "The gradient is accumulated into a module-level buffer that is never zeroed, so every "
          "later call adds to the last.",
          {"x"}, _make_masked_mean(masked_mean_backward_kept_buffer)),
    # embedding
    _case("embedding", "correct", None, set(), _make_embedding(embedding_backward)),
    _case("embedding/fancy_add", "dW[idx] += with repeated idx",
          "dW[idx] += dout is buffered, so an id repeated in the batch gets only one of its rows.",
          {"W"}, _make_embedding(embedding_backward_fancy_add)),
]


def hostile(case) -> bool:
    return case["kind_of_slip"].startswith("hostile")


# ---------------------------------------------------------------------------
# Self-check against central finite differences
# ---------------------------------------------------------------------------

def _is_float_array(v) -> bool:
    return isinstance(v, np.ndarray) and np.issubdtype(v.dtype, np.floating)


def input_names(forward, inputs):
    """Parameter names of the floating-point array inputs, in order."""
    params = list(inspect.signature(forward).parameters)
    return [params[i] for i, v in enumerate(inputs) if _is_float_array(v)]


def _run_forward(forward, inputs):
    res = forward(*inputs)
    if isinstance(res, tuple):
        return res[0], res[1], True
    return res, None, False


def _run_backward(backward, dout, cache, has_cache, inputs, names):
    grads = backward(dout, cache) if has_cache else backward(dout, *inputs)
    if isinstance(grads, dict):
        return {k: grads[k] for k in names}
    if isinstance(grads, np.ndarray):
        grads = (grads,)
    return dict(zip(names, grads))


def _numerical(forward, inputs, dout, h=1e-5):
    floats = [i for i, v in enumerate(inputs) if _is_float_array(v)]
    grads = []
    for i in floats:
        base = inputs[i]
        g = np.zeros_like(base)
        it = np.nditer(base, flags=["multi_index"])
        for _ in it:
            j = it.multi_index
            args = list(inputs)
            plus = base.copy()
            plus[j] += h
            args[i] = plus
            fp = np.sum(np.asarray(_run_forward(forward, args)[0]) * dout)
            minus = base.copy()
            minus[j] -= h
            args[i] = minus
            fm = np.sum(np.asarray(_run_forward(forward, args)[0]) * dout)
            g[j] = (fp - fm) / (2 * h)
        grads.append(g)
    return grads


def _rel_err(g, n) -> float:
    g = np.asarray(g, dtype=np.float64)
    if g.shape != n.shape:
        return np.inf
    scale = max(np.max(np.abs(g)), np.max(np.abs(n)), 1e-12)
    return float(np.max(np.abs(g - n)) / scale)


def _dout_like(out, rng):
    out = np.asarray(out)
    if out.ndim == 0:
        return np.float64(rng.uniform(0.5, 2.0))
    return rng.normal(size=out.shape)


def measure(case):
    """Which inputs get a wrong gradient, first call / second call / aliasing.

    Returns dict with keys "names", "first", "second", "alias",
    "dout_changed", "inputs_changed" and "errors" (first-call relative errors).
    """
    forward, backward, inputs, _kw = case["make"]()
    names = input_names(forward, inputs)
    originals = [np.copy(v) if isinstance(v, np.ndarray) else v for v in inputs]
    rng = np.random.default_rng(7)

    out, cache, has_cache = _run_forward(forward, inputs)
    dout = _dout_like(out, rng)
    num = dict(zip(names, _numerical(forward, originals, dout)))

    dout_call = np.copy(dout)
    g1 = _run_backward(backward, dout_call, cache, has_cache, inputs, names)
    g1 = {k: (v, np.array(v, copy=True)) for k, v in g1.items()}
    dout_changed = not np.array_equal(np.asarray(dout_call), np.asarray(dout))
    alias = {k for k, (v, _) in g1.items()
             if isinstance(dout_call, np.ndarray) and np.shares_memory(v, dout_call)}

    # second call on the same cache with a fresh copy of the same dout
    g2 = _run_backward(backward, np.copy(dout), cache, has_cache, inputs, names)

    inputs_changed = {n for n, v, o in zip(
        [None] * len(inputs), inputs, originals)
        if isinstance(v, np.ndarray) and not np.array_equal(v, o)}

    errors1 = {k: _rel_err(g1[k][1], num[k]) for k in names}
    errors2 = {k: _rel_err(g2[k], num[k]) for k in names}
    return {
        "names": names,
        "errors": errors1,
        "errors2": errors2,
        "first": {k for k, e in errors1.items() if e > 1e-3},
        "ambiguous": {k for k, e in errors1.items() if 1e-6 <= e <= 1e-3}
                     | {k for k, e in errors2.items() if 1e-6 <= e <= 1e-3},
        "second": {k for k, e in errors2.items() if e > 1e-3},
        "alias": alias,
        "dout_changed": dout_changed,
        "inputs_changed": bool(inputs_changed),
    }


def self_check(verbose: bool = True) -> None:
    names_seen = set()
    problems = []
    n_correct = n_bugs = n_hostile = 0
    for case in CASES:
        name = case["name"]
        if name in names_seen:
            problems.append(f"{name}: duplicate name")
        names_seen.add(name)
        m = measure(case)
        wrong = case["wrong"]
        if not wrong <= set(m["names"]):
            problems.append(f"{name}: wrong={wrong} not among inputs {m['names']}")
        if m["ambiguous"]:
            problems.append(f"{name}: ambiguous error on {m['ambiguous']}: {m['errors']}")
        if m["inputs_changed"]:
            problems.append(f"{name}: the inputs were changed")
        if case["bug"] is None:
            n_correct += 1
            if case["kind_of_slip"] != "correct":
                problems.append(f"{name}: correct case not labelled 'correct'")
            bad = {k: e for k, e in m["errors"].items() if e >= 1e-6}
            if bad or m["second"] or m["alias"] or m["dout_changed"]:
                problems.append(f"{name}: correct backward fails: {m}")
        elif hostile(case):
            n_hostile += 1
            n_bugs += 1
            if m["first"]:
                problems.append(f"{name}: hostile case should be right on first call: {m['first']}")
            measured = m["second"] | m["alias"]
            if m["dout_changed"] and not m["alias"]:
                measured |= set(m["names"])
            if measured != wrong:
                problems.append(f"{name}: measured {measured} != declared {wrong}")
        else:
            n_bugs += 1
            if m["first"] != wrong:
                problems.append(f"{name}: measured {m['first']} != declared {wrong}"
                                f" ({m['errors']})")
            if m["second"] != m["first"] or m["alias"] or m["dout_changed"]:
                problems.append(f"{name}: non-hostile case behaves hostile: {m}")
        if verbose:
            errs = ", ".join(f"{k}={e:.1e}" for k, e in m["errors"].items())
            extra = ""
            if hostile(case):
                errs2 = ", ".join(f"{k}={e:.1e}" for k, e in m["errors2"].items())
                extra = (f" | 2nd call: {errs2}; alias={sorted(m['alias'])}"
                         f" dout_changed={m['dout_changed']}")
            print(f"{name:32s} wrong={sorted(wrong)!s:22s} {errs}{extra}")
    if verbose:
        print(f"{n_correct} correct, {n_bugs} buggy ({n_hostile} hostile)")
    if problems:
        raise AssertionError("self_check failed:\n" + "\n".join(problems))
    if verbose:
        print("self_check passed")


if __name__ == "__main__":
    self_check()
