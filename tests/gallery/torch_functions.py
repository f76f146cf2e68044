"""Held-out gallery: ``torch.autograd.Function`` backward passes as PyTorch users write them.

For ``check_function(fn, *inputs, **kwargs)`` and ``check_model(model, *inputs, loss_fn=...)``,
written without reading the checker. Every entry of ``CASES`` is a dict:

- ``name``; ``make()`` returns ``(fn, inputs, kwargs)``; ``kwargs`` always carries ``names``,
  one name per positional input (tensors and the rest), and ``double_backward=True`` where the
  second derivative is the point;
- ``bug``: ``None`` or the slip in plain words; ``kind_of_slip``: one of ``KINDS`` (or ``None``);
- ``wrong``: the names of the differentiated inputs whose gradient is wrong, as ``measure``
  finds it (``self_check`` fails when the recorded set and the measured one differ);
- ``surrogate`` (only on two cases): the backward is *declared* not to be the derivative;
- ``note`` (some cases): how the case is judged, where that is a choice.

Every entry of ``MODELS`` is a dict: ``name``, ``make()`` returning ``(model, inputs,
loss_fn)``, ``first_wrong`` (the wrong custom layer met first in backward order, or ``None``),
``note``.

How ``wrong`` is measured (``measure``): the reference is central finite differences of
``<v, fn(inputs)>`` in float64 (``h = 1e-6``) with a seeded random ``v``. An input's gradient is
wrong when one of these probes disagrees with it (relative max error above ``1e-5``) or cannot
produce it (the backward raises):

1. ``fresh``: one call on float64 copies of the inputs, ``torch.autograd.grad`` with ``v``;
2. ``again``: a second call on the *same* input tensors as the first (a global buffer that
   accumulates, an input overwritten in place);
3. ``retained``: a second ``autograd.grad`` through the same graph (``retain_graph=True``);
4. ``strided``: ``v`` handed over non-contiguous (every other element of a larger tensor, and
   stored transposed), same values;
5. ``raw`` (a Function class with one output): ``out.grad_fn.apply(v)`` in the case's own dtype,
   each differentiated input's raw gradient must have its input's shape and dtype (autograd's
   engine silently casts a float64 gradient to float32 and sums a gradient with the output's
   shape down to a broadcast bias's shape, so only the raw output shows those two slips);
6. ``dtype``: the gradient in the case's own dtype (float32 within ``1e-3``);
7. ``second`` (only with ``double_backward=True``): ``d/dx <u, grad(v)>`` through the user's
   backward against finite differences of the (correct) first derivative.

Decisions written down here:

- The straight-through estimator (``round_straight_through``) and the gradient-reversal hook
  (``gradient_reversal_hook``) declare a gradient that is not the derivative. They are neither
  correct cases nor bugs: ``surrogate=True``, and their ``wrong`` is what finite differences say
  (``{"x"}``). A checker should say NOT OK for ``x`` and, ideally, that the backward is a
  surrogate (identity / reversed) rather than a slip. The runner counts them apart.
- ``nan_to_num_full_backward_hook``: a full backward hook that rewrites ``grad_input`` with
  ``torch.nan_to_num``; on finite gradients it changes nothing, so the case is correct.
- ``linear_bias_grad_not_reduced``: autograd rescues it (the engine sums the (n, n_out) gradient
  down to the bias's shape), so training is right; the raw backward is wrong, and ``wrong`` is
  ``{"bias"}`` from the ``raw`` probe.
- ``exp_backward_returns_float64``: the engine casts the float64 gradient back to float32; the
  raw backward is wrong (``raw`` probe), so ``wrong`` is ``{"x"}``.
- ``pow_grad_for_float_exponent``: autograd refuses the gradient for a Python float, so the
  backward raises and no gradient reaches ``x``: ``wrong`` is ``{"x"}``.
- ``*_hooked`` model: a ``Tensor.register_hook`` inside one layer's forward damps its gradient
  tenfold on purpose; that layer's backward is no longer the derivative of its forward, so the
  model's ``first_wrong`` is that layer.

``python -m tests.gallery.torch_functions`` runs ``self_check``: gradcheck (and gradgradcheck
where ``double_backward``) in float64 on every correct case, gradcheck or a probe failing on
every bug, the measured ``wrong`` equal to the recorded one, and each model's measured
``first_wrong`` equal to the recorded one.
"""

import copy
import math
import sys
import warnings

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.autograd import Function
from torch.autograd.function import once_differentiable

KINDS = ("not_times_grad_output", "times_grad_output_twice", "sign", "factor", "transposed",
         "inputs_swapped", "broadcast_not_reduced", "reduced_wrong_axis", "derivative_at_output",
         "wrong_saved_tensor", "noncontiguous_grad_output", "accumulates", "nondeterministic",
         "inplace_saved_tensor", "inplace_forward_without_mark_dirty", "wrong_dtype",
         "grad_for_non_tensor", "wrong_second_derivative", "writes_grad_output", "other")

F64, F32 = torch.float64, torch.float32
SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)


# ------------------------------------------------------------------------------------------------
# Inputs
# ------------------------------------------------------------------------------------------------


def _randn(seed, *shape, dtype=F64, scale=1.0, shift=0.0):
    gen = torch.Generator().manual_seed(seed)
    return (torch.randn(*shape, generator=gen, dtype=F64) * scale + shift).to(dtype)


def _rand(seed, *shape, dtype=F64, low=0.0, high=1.0):
    gen = torch.Generator().manual_seed(seed)
    return (low + (high - low) * torch.rand(*shape, generator=gen, dtype=F64)).to(dtype)


def _away_from_zero(t, margin=0.2):
    """``t`` pushed at least ``margin`` away from 0 (kinks stay out of finite differences' way)."""
    return t + margin * torch.where(t >= 0, 1.0, -1.0).to(t.dtype)


def _away_from_half_integers(t, margin=0.15):
    """``t`` moved so that round(t) is flat within ``margin`` (for the straight-through case)."""
    frac = t - t.floor()
    frac = torch.where((frac - 0.5).abs() < margin, torch.full_like(frac, 0.2), frac)
    return t.floor() + frac


# ------------------------------------------------------------------------------------------------
# Shared pieces of math
# ------------------------------------------------------------------------------------------------


def _gelu_tanh(z):
    return 0.5 * z * (1 + torch.tanh(SQRT_2_OVER_PI * (z + 0.044715 * z ** 3)))


def _gelu_tanh_grad(z):
    t = torch.tanh(SQRT_2_OVER_PI * (z + 0.044715 * z ** 3))
    return 0.5 * (1 + t) + 0.5 * z * (1 - t * t) * SQRT_2_OVER_PI * (1 + 3 * 0.044715 * z * z)


def _row_major_strides(shape):
    strides, step = [], 1
    for size in reversed(shape):
        strides.append(step)
        step *= size
    return tuple(reversed(strides))


def _as_row_major(t):
    """What a C++/Triton kernel that indexes ``t.data_ptr()`` as a row-major array reads."""
    return torch.as_strided(t, t.shape, _row_major_strides(t.shape), t.storage_offset())


# ------------------------------------------------------------------------------------------------
# Correct Functions
# ------------------------------------------------------------------------------------------------


class Exp(Function):
    """y = exp(x). Old style; saves the output, which is also its derivative."""

    @staticmethod
    def forward(ctx, x):
        y = x.exp()
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad_out):
        (y,) = ctx.saved_tensors
        return grad_out * y


class Tanh(Function):
    """y = tanh(x); backward g (1 - y^2) from the saved output, differentiable twice."""

    @staticmethod
    def forward(ctx, x):
        y = torch.tanh(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad_out):
        (y,) = ctx.saved_tensors
        return grad_out * (1 - y * y)


class Sigmoid(Function):
    """y = 1 / (1 + exp(-x)); backward g y (1 - y)."""

    @staticmethod
    def forward(ctx, x):
        y = torch.sigmoid(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad_out):
        (y,) = ctx.saved_tensors
        return grad_out * y * (1 - y)


class Softsign(Function):
    """y = x / (1 + |x|); dy/dx = 1 / (1 + |x|)^2."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x / (1 + x.abs())

    @staticmethod
    def backward(ctx, grad_out):
        (x,) = ctx.saved_tensors
        return grad_out / (1 + x.abs()) ** 2


class Linear(Function):
    """y = x W^T + b; x (..., n_in), W (n_out, n_in), b (n_out,) or None. New style."""

    @staticmethod
    def forward(x, weight, bias):
        out = x @ weight.T
        return out if bias is None else out + bias

    @staticmethod
    def setup_context(ctx, inputs, output):
        x, weight, bias = inputs
        ctx.save_for_backward(x, weight)
        ctx.has_bias = bias is not None

    @staticmethod
    def backward(ctx, grad_out):
        x, weight = ctx.saved_tensors
        g2 = grad_out.reshape(-1, weight.shape[0])
        grad_x = (g2 @ weight).reshape(x.shape)
        grad_w = g2.T @ x.reshape(-1, weight.shape[1])
        grad_b = g2.sum(0) if ctx.has_bias else None
        return grad_x, grad_w, grad_b


class SinCos(Function):
    """(sin x, cos x): two outputs, one backward g_sin cos x - g_cos sin x."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x.sin(), x.cos()

    @staticmethod
    def backward(ctx, grad_sin, grad_cos):
        (x,) = ctx.saved_tensors
        return grad_sin * x.cos() - grad_cos * x.sin()


class MaxAlongDim(Function):
    """(values, indices) = x.max(dim); the indices are marked non-differentiable."""

    @staticmethod
    def forward(ctx, x, dim):
        values, indices = x.max(dim=dim)
        ctx.mark_non_differentiable(indices)
        ctx.save_for_backward(indices)
        ctx.dim, ctx.shape = dim, x.shape
        return values, indices

    @staticmethod
    def backward(ctx, grad_values, grad_indices):
        (indices,) = ctx.saved_tensors
        grad_x = grad_values.new_zeros(ctx.shape)
        grad_x.scatter_(ctx.dim, indices.unsqueeze(ctx.dim), grad_values.unsqueeze(ctx.dim))
        return grad_x, None


class ScaleAndSquare(Function):
    """(scale x, x^2) with ``set_materialize_grads(False)``: an unused output's grad is None."""

    @staticmethod
    def forward(ctx, x, scale):
        ctx.set_materialize_grads(False)
        ctx.save_for_backward(x)
        ctx.scale = scale
        return x * scale, x * x

    @staticmethod
    def backward(ctx, grad_scaled, grad_square):
        (x,) = ctx.saved_tensors
        grad_x = None
        if grad_scaled is not None:
            grad_x = grad_scaled * ctx.scale
        if grad_square is not None:
            term = 2 * x * grad_square
            grad_x = term if grad_x is None else grad_x + term
        return grad_x, None


def square_only(x):
    """x^2 through ``ScaleAndSquare``; the scaled output is never used, its grad arrives None."""
    return ScaleAndSquare.apply(x, 0.5)[1]


class NumpyCumsum(Function):
    """y = cumsum(x) along the last axis in NumPy; the backward is NumPy too, hence
    ``once_differentiable``: reversed cumsum of the reversed gradient."""

    @staticmethod
    def forward(ctx, x):
        return torch.from_numpy(np.cumsum(x.detach().cpu().numpy(), axis=-1)).to(x.dtype)

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_out):
        g = grad_out.cpu().numpy()
        return torch.from_numpy(np.flip(np.cumsum(np.flip(g, -1), axis=-1), -1).copy())


class Activation(Function):
    """y = a(x) ** power, a = leaky ReLU or ELU by name, clipped at ``clip`` unless None.

    Non-tensor arguments: ``kind`` (str), ``slope`` (float), ``power`` (int), ``clip`` (None or
    float).
    """

    @staticmethod
    def forward(ctx, x, kind, slope, power, clip):
        if kind == "leaky":
            a = torch.where(x > 0, x, slope * x)
            da = torch.where(x > 0, torch.ones_like(x), torch.full_like(x, slope))
        elif kind == "elu":
            a = torch.where(x > 0, x, slope * (x.exp() - 1))
            da = torch.where(x > 0, torch.ones_like(x), slope * x.exp())
        else:
            raise ValueError(f"kind must be 'leaky' or 'elu', got {kind!r}")
        y = a ** power
        keep = torch.ones_like(x) if clip is None else (y < clip).to(x.dtype)
        ctx.save_for_backward(a, da, keep)
        ctx.power = power
        return y if clip is None else y.clamp(max=clip)

    @staticmethod
    def backward(ctx, grad_out):
        a, da, keep = ctx.saved_tensors
        return grad_out * keep * ctx.power * a ** (ctx.power - 1) * da, None, None, None, None


class Embedding(Function):
    """y = W[indices]; indices an integer tensor (any shape), W (n_rows, dim)."""

    @staticmethod
    def forward(ctx, indices, weight):
        ctx.save_for_backward(indices)
        ctx.n_rows = weight.shape[0]
        return weight[indices]

    @staticmethod
    def backward(ctx, grad_out):
        (indices,) = ctx.saved_tensors
        dim = grad_out.shape[-1]
        grad_w = grad_out.new_zeros(ctx.n_rows, dim)
        grad_w.index_add_(0, indices.reshape(-1), grad_out.reshape(-1, dim))
        return None, grad_w


class WeightedMSELoss(Function):
    """loss = sum(weight * (pred - target)^2) / n_samples; the user marks only ``pred``."""

    @staticmethod
    def forward(ctx, pred, target, weight):
        diff = pred - target
        ctx.save_for_backward(diff, weight)
        ctx.n_samples = pred.shape[0]
        return (weight * diff * diff).sum() / ctx.n_samples

    @staticmethod
    def backward(ctx, grad_out):
        diff, weight = ctx.saved_tensors
        return grad_out * 2 * weight * diff / ctx.n_samples, None, None


class SoftmaxCrossEntropy(Function):
    """loss = -log softmax(logits)[y], 'mean' or 'sum' over the batch; y an int64 tensor."""

    @staticmethod
    def forward(ctx, logits, targets, reduction):
        log_probs = logits.log_softmax(dim=1)
        losses = -log_probs.gather(1, targets[:, None]).squeeze(1)
        ctx.save_for_backward(log_probs.exp(), targets)
        ctx.reduction = reduction
        return losses.mean() if reduction == "mean" else losses.sum()

    @staticmethod
    def backward(ctx, grad_out):
        probs, targets = ctx.saved_tensors
        grad = probs - F.one_hot(targets, probs.shape[1]).to(probs.dtype)
        if ctx.reduction == "mean":
            grad = grad / probs.shape[0]
        return grad_out * grad, None, None


class MSELoss(Function):
    """loss = mean((pred - target)^2); both differentiated."""

    @staticmethod
    def forward(ctx, pred, target):
        diff = pred - target
        ctx.save_for_backward(diff)
        return (diff * diff).mean()

    @staticmethod
    def backward(ctx, grad_out):
        (diff,) = ctx.saved_tensors
        grad_pred = grad_out * 2 * diff / diff.numel()
        return grad_pred, -grad_pred


class LinearGELU(Function):
    """y = gelu_tanh(x W^T + b) fused; saves the pre-activation z = x W^T + b."""

    @staticmethod
    def forward(ctx, x, weight, bias):
        z = x @ weight.T + bias
        ctx.save_for_backward(x, weight, z)
        return _gelu_tanh(z)

    @staticmethod
    def backward(ctx, grad_out):
        x, weight, z = ctx.saved_tensors
        dz = (grad_out * _gelu_tanh_grad(z)).reshape(-1, weight.shape[0])
        return (dz @ weight).reshape(x.shape), dz.T @ x.reshape(-1, weight.shape[1]), dz.sum(0)


class GELU(Function):
    """Exact GELU: y = x Phi(x); dy/dx = Phi(x) + x phi(x)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return 0.5 * x * (1 + torch.erf(x / math.sqrt(2)))

    @staticmethod
    def backward(ctx, grad_out):
        (x,) = ctx.saved_tensors
        cdf = 0.5 * (1 + torch.erf(x / math.sqrt(2)))
        pdf = torch.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)
        return grad_out * (cdf + x * pdf)


class LogSumExp(Function):
    """y = log sum_dim exp(x), stabilised by the max; grad g * softmax(x)."""

    @staticmethod
    def forward(ctx, x, dim):
        m = x.amax(dim, keepdim=True)
        out = m + (x - m).exp().sum(dim, keepdim=True).log()
        ctx.save_for_backward(x, out)
        ctx.dim = dim
        return out.squeeze(dim)

    @staticmethod
    def backward(ctx, grad_out):
        x, out = ctx.saved_tensors
        return grad_out.unsqueeze(ctx.dim) * (x - out).exp(), None


class LayerNorm(Function):
    """y = (x - mean) / sqrt(var + eps) * gamma + beta over the last axis (n_features)."""

    @staticmethod
    def forward(ctx, x, gamma, beta, eps):
        mu = x.mean(-1, keepdim=True)
        var = ((x - mu) ** 2).mean(-1, keepdim=True)
        rstd = (var + eps).rsqrt()
        xhat = (x - mu) * rstd
        ctx.save_for_backward(xhat, gamma, rstd)
        return xhat * gamma + beta

    @staticmethod
    def backward(ctx, grad_out):
        xhat, gamma, rstd = ctx.saved_tensors
        n = xhat.shape[-1]
        dxhat = grad_out * gamma
        grad_x = rstd * (dxhat - dxhat.mean(-1, keepdim=True)
                         - xhat * (dxhat * xhat).mean(-1, keepdim=True))
        grad_gamma = (grad_out * xhat).reshape(-1, n).sum(0)
        grad_beta = grad_out.reshape(-1, n).sum(0)
        return grad_x, grad_gamma, grad_beta, None


class Attention(Function):
    """out = softmax(q k^T / sqrt(D), causal or not) v; q, k, v (B, H, T, D).

    Saves q, k, v, out and the row log-sum-exp; the backward is FlashAttention's:
    dV = P^T dO, dP = dO V^T, dS = P (dP - rowsum(dO o O)), dQ = dS K / sqrt(D),
    dK = dS^T Q / sqrt(D).
    """

    @staticmethod
    def forward(ctx, q, k, v, causal):
        scale = q.shape[-1] ** -0.5
        s = q @ k.transpose(-2, -1) * scale
        if causal:
            T = q.shape[-2]
            s = s.masked_fill(torch.ones(T, T, dtype=torch.bool).triu(1), float("-inf"))
        lse = torch.logsumexp(s, dim=-1, keepdim=True)
        out = (s - lse).exp() @ v
        ctx.save_for_backward(q, k, v, out, lse)
        ctx.scale, ctx.causal = scale, causal
        return out

    @staticmethod
    def _probs(ctx, q2, k2, lse2):
        s = q2 @ k2.transpose(1, 2) * ctx.scale
        if ctx.causal:
            T = q2.shape[1]
            s = s.masked_fill(torch.ones(T, T, dtype=torch.bool).triu(1), float("-inf"))
        return (s - lse2).exp()

    @staticmethod
    def backward(ctx, grad_out):
        q, k, v, out, lse = ctx.saved_tensors
        B, H, T, D = q.shape
        do = grad_out.contiguous().view(B * H, T, D)
        q2, k2, v2, o2, lse2 = (t.reshape(B * H, T, -1) for t in (q, k, v, out, lse))
        p = Attention._probs(ctx, q2, k2, lse2)
        dv = p.transpose(1, 2) @ do
        dp = do @ v2.transpose(1, 2)
        ds = p * (dp - (do * o2).sum(-1, keepdim=True))
        dq = ds @ k2 * ctx.scale
        dk = ds.transpose(1, 2) @ q2 * ctx.scale
        return dq.view(B, H, T, D), dk.view(B, H, T, D), dv.view(B, H, T, D), None


def attention_merge_heads(q, k, v):
    """Causal attention, heads merged back the way a transformer block does:
    out (B, H, T, D) -> (B, T, H * D) through ``transpose(1, 2).reshape``."""
    B, H, T, D = q.shape
    return Attention.apply(q, k, v, True).transpose(1, 2).reshape(B, T, H * D)


def _gather_positions(x, index):
    """x[b, c, index[b, k, l]] as (B, C, K, L), zero where the index falls outside [0, L)."""
    B, C, L = x.shape
    valid = (index >= 0) & (index < L)
    flat = index.clamp(0, L - 1).reshape(B, 1, -1).expand(B, C, -1)
    return x.gather(2, flat).reshape(B, C, *index.shape[1:]) * valid[:, None], valid


def _deform_sample(x, offset):
    """Sample x (B, C, L) at l + k - K // 2 + offset[b, k, l] by linear interpolation.

    Returns (s, x0, x1, frac, i0, valid0, valid1): s (B, C, K, L) the samples, x0 and x1 the
    left and right neighbours, frac (B, K, L) the distance past the left one, i0 its index.
    """
    B, C, L = x.shape
    K = offset.shape[1]
    taps = torch.arange(K, dtype=offset.dtype) - K // 2
    pos = torch.arange(L, dtype=offset.dtype) + taps[:, None] + offset
    left = pos.floor()
    frac, i0 = pos - left, left.long()
    x0, valid0 = _gather_positions(x, i0)
    x1, valid1 = _gather_positions(x, i0 + 1)
    s = (1 - frac)[:, None] * x0 + frac[:, None] * x1
    return s, x0, x1, frac, i0, valid0, valid1


def _scatter_positions(grad_s, frac, i0, valid0, valid1, shape):
    """The adjoint of the interpolation: grad_s (B, C, K, L) back onto x's positions."""
    B, C, L = shape
    grad_x = grad_s.new_zeros(shape)
    for index, share, valid in ((i0, 1 - frac, valid0), (i0 + 1, frac, valid1)):
        flat = index.clamp(0, L - 1).reshape(B, 1, -1).expand(B, C, -1)
        grad_x.scatter_add_(2, flat, (grad_s * (share * valid)[:, None]).reshape(B, C, -1))
    return grad_x


class DeformConv1d(Function):
    """Modulated deformable 1-D convolution (DCNv2 in one dimension), 'same' length.

    out[b, o, l] = sum_{c, k} W[o, c, k] m[b, k, l] x_interp[b, c, l + k - K//2 + off[b, k, l]]
    x (B, C, L), offset and mask (B, K, L), weight (O, C, K). Like the CUDA kernels, the
    backward samples again (col2im) instead of keeping the columns.
    """

    @staticmethod
    def forward(ctx, x, offset, mask, weight):
        s = _deform_sample(x, offset)[0]
        ctx.save_for_backward(x, offset, mask, weight)
        return torch.einsum("ock,bkl,bckl->bol", weight, mask, s)

    @staticmethod
    def backward(ctx, grad_out):
        x, offset, mask, weight = ctx.saved_tensors
        s, x0, x1, frac, i0, valid0, valid1 = _deform_sample(x, offset)
        grad_s = torch.einsum("ock,bol->bckl", weight, grad_out)        # before the mask
        grad_weight = torch.einsum("bol,bkl,bckl->ock", grad_out, mask, s)
        grad_mask = (grad_s * s).sum(1)
        grad_sm = grad_s * mask[:, None]                                  # d out / d sample
        grad_offset = (grad_sm * (x1 - x0)).sum(1)
        grad_x = _scatter_positions(grad_sm, frac, i0, valid0, valid1, x.shape)
        return grad_x, grad_offset, grad_mask, grad_weight


class InplaceSiLU(Function):
    """x <- x sigmoid(x) in place, marked dirty; backward g (s + y (1 - s)) from s and y."""

    @staticmethod
    def forward(ctx, x):
        s = torch.sigmoid(x)
        ctx.mark_dirty(x)
        x.mul_(s)
        ctx.save_for_backward(s, x)
        return x

    @staticmethod
    def backward(ctx, grad_out):
        s, y = ctx.saved_tensors
        return grad_out * (s + y * (1 - s))


def residual_inplace_silu(x, w):
    """h = x w; return h + silu_(h). The activation runs in place and says so (mark_dirty), so
    autograd knows ``h`` now holds silu(h): the block computes 2 silu(h) and its gradient
    matches."""
    h = x @ w
    return h + InplaceSiLU.apply(h)


class ReLU(Function):
    """The PyTorch tutorial's MyReLU: clones grad_output before masking it."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x.clamp(min=0)

    @staticmethod
    def backward(ctx, grad_out):
        (x,) = ctx.saved_tensors
        grad_x = grad_out.clone()
        grad_x[x < 0] = 0
        return grad_x


def residual_relu(x, w):
    """h = x w; return h + relu(h)."""
    h = x @ w
    return h + ReLU.apply(h)


def _keep_mask(like, p, seed):
    gen = torch.Generator().manual_seed(seed)
    return torch.rand(like.shape, generator=gen, dtype=F64) >= p


class SeededDropout(Function):
    """y = x keep / (1 - p); keep is drawn from a generator seeded with ``seed`` and drawn again
    in backward instead of being stored (memory-efficient dropout)."""

    @staticmethod
    def forward(ctx, x, p, seed):
        ctx.p, ctx.seed = p, seed
        return x * _keep_mask(x, p, seed) / (1 - p)

    @staticmethod
    def backward(ctx, grad_out):
        return grad_out * _keep_mask(grad_out, ctx.p, ctx.seed) / (1 - ctx.p), None, None


class RoundStraightThrough(Function):
    """Forward round(x); backward identity: the straight-through estimator (a surrogate)."""

    @staticmethod
    def forward(ctx, x):
        return x.round()

    @staticmethod
    def backward(ctx, grad_out):
        return grad_out


@torch.library.custom_op("gallery_torch_functions::softplus", mutates_args=())
def softplus_op(x: torch.Tensor, beta: float) -> torch.Tensor:
    """y = log(1 + exp(beta x)) / beta; dy/dx = sigmoid(beta x)."""
    return torch.log1p(torch.exp(beta * x)) / beta


@softplus_op.register_fake
def _softplus_fake(x, beta):
    return torch.empty_like(x)


def _softplus_setup_context(ctx, inputs, output):
    x, beta = inputs
    ctx.save_for_backward(x)
    ctx.beta = beta


def _softplus_backward(ctx, grad_out):
    (x,) = ctx.saved_tensors
    return grad_out * torch.sigmoid(ctx.beta * x), None


softplus_op.register_autograd(_softplus_backward, setup_context=_softplus_setup_context)


class SanitizedSoftsign(nn.Module):
    """Softsign whose full backward hook replaces NaN in grad_input by 0 (finite: unchanged)."""

    def __init__(self):
        super().__init__()
        self.register_full_backward_hook(self._sanitize)

    @staticmethod
    def _sanitize(module, grad_input, grad_output):
        return tuple(None if g is None else torch.nan_to_num(g, nan=0.0) for g in grad_input)

    def forward(self, x):
        return Softsign.apply(x)


class GradientReversal(nn.Module):
    """Ganin & Lempitsky's gradient reversal: identity forward, -lambda * grad backward, via a
    full backward hook (a declared surrogate, not the derivative)."""

    def __init__(self, lambd=1.0):
        super().__init__()
        self.lambd = lambd
        self.register_full_backward_hook(self._reverse)

    def _reverse(self, module, grad_input, grad_output):
        return (-self.lambd * grad_input[0],)

    def forward(self, x):
        return Softsign.apply(x)


# ------------------------------------------------------------------------------------------------
# Planted mistakes: each the correct code above with one slip
# ------------------------------------------------------------------------------------------------


class TanhForgetsGradOut(Function):
    @staticmethod
    def forward(ctx, x):
        y = torch.tanh(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad_out):
        (y,) = ctx.saved_tensors
        return 1 - y * y                          # the local derivative, never times grad_out


class SigmoidGradOutTwice(Sigmoid):
    @staticmethod
    def backward(ctx, grad_out):
        (y,) = ctx.saved_tensors
        grad = grad_out * y * (1 - y)
        return grad * grad_out                    # chain rule applied a second time


class MSELossTargetSign(MSELoss):
    @staticmethod
    def backward(ctx, grad_out):
        (diff,) = ctx.saved_tensors
        grad_pred = grad_out * 2 * diff / diff.numel()
        return grad_pred, grad_pred               # target's gradient needs a minus sign


class SoftmaxCrossEntropyNoMean(SoftmaxCrossEntropy):
    @staticmethod
    def backward(ctx, grad_out):
        probs, targets = ctx.saved_tensors
        grad = probs - F.one_hot(targets, probs.shape[1]).to(probs.dtype)
        return grad_out * grad, None, None        # forward averages, backward forgets 1/n


class LinearWeightTransposed(Linear):
    @staticmethod
    def backward(ctx, grad_out):
        x, weight = ctx.saved_tensors
        g2 = grad_out.reshape(-1, weight.shape[0])
        grad_x = (g2 @ weight).reshape(x.shape)
        grad_w = x.reshape(-1, weight.shape[1]).T @ g2      # (n_in, n_out): W^T's gradient
        grad_b = g2.sum(0) if ctx.has_bias else None
        return grad_x, grad_w, grad_b


class LinearBiasNotReduced(Linear):
    @staticmethod
    def backward(ctx, grad_out):
        x, weight = ctx.saved_tensors
        g2 = grad_out.reshape(-1, weight.shape[0])
        grad_x = (g2 @ weight).reshape(x.shape)
        grad_w = g2.T @ x.reshape(-1, weight.shape[1])
        return grad_x, grad_w, grad_out           # the bias's gradient keeps the output's shape


class Gate(Function):
    """y = x * gate (elementwise, same shapes)."""

    @staticmethod
    def forward(ctx, x, gate):
        ctx.save_for_backward(x, gate)
        return x * gate

    @staticmethod
    def backward(ctx, grad_out):
        x, gate = ctx.saved_tensors
        return grad_out * x, grad_out * gate      # swapped: d/dx is gate, d/dgate is x


class LayerNormGammaWrongAxis(LayerNorm):
    @staticmethod
    def backward(ctx, grad_out):
        xhat, gamma, rstd = ctx.saved_tensors
        dxhat = grad_out * gamma
        grad_x = rstd * (dxhat - dxhat.mean(-1, keepdim=True)
                         - xhat * (dxhat * xhat).mean(-1, keepdim=True))
        grad_gamma = (grad_out * xhat).sum(-1)    # over the features, not the samples
        grad_beta = grad_out.reshape(-1, xhat.shape[-1]).sum(0)
        return grad_x, grad_gamma, grad_beta, None


class LayerNormNoProjection(LayerNorm):
    """Forgets the -xhat mean(dxhat xhat) term of the input gradient."""

    @staticmethod
    def backward(ctx, grad_out):
        xhat, gamma, rstd = ctx.saved_tensors
        n = xhat.shape[-1]
        dxhat = grad_out * gamma
        grad_x = rstd * (dxhat - dxhat.mean(-1, keepdim=True))
        grad_gamma = (grad_out * xhat).reshape(-1, n).sum(0)
        grad_beta = grad_out.reshape(-1, n).sum(0)
        return grad_x, grad_gamma, grad_beta, None


class SigmoidAtOutput(Sigmoid):
    @staticmethod
    def backward(ctx, grad_out):
        (y,) = ctx.saved_tensors
        s = torch.sigmoid(y)                      # sigma'(x) evaluated at y instead of x
        return grad_out * s * (1 - s)


class SiLUSavesOutput(Function):
    """y = x sigmoid(x), dy/dx = s + x s (1 - s); saves y where x is needed."""

    @staticmethod
    def forward(ctx, x):
        y = x * torch.sigmoid(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad_out):
        (x,) = ctx.saved_tensors                  # this is y
        s = torch.sigmoid(x)
        return grad_out * (s + x * s * (1 - s))


class LinearGELUSavesOutput(LinearGELU):
    @staticmethod
    def forward(ctx, x, weight, bias):
        z = x @ weight.T + bias
        y = _gelu_tanh(z)
        ctx.save_for_backward(x, weight, y)       # the output, where z is needed
        return y


class AttentionViewsGradOut(Attention):
    @staticmethod
    def backward(ctx, grad_out):
        q, k, v, out, lse = ctx.saved_tensors
        B, H, T, D = q.shape
        do = grad_out.view(B * H, T, D)           # assumes grad_out is contiguous
        q2, k2, v2, o2, lse2 = (t.reshape(B * H, T, -1) for t in (q, k, v, out, lse))
        p = Attention._probs(ctx, q2, k2, lse2)
        dv = p.transpose(1, 2) @ do
        dp = do @ v2.transpose(1, 2)
        ds = p * (dp - (do * o2).sum(-1, keepdim=True))
        dq = ds @ k2 * ctx.scale
        dk = ds.transpose(1, 2) @ q2 * ctx.scale
        return dq.view(B, H, T, D), dk.view(B, H, T, D), dv.view(B, H, T, D), None


def attention_views_grad_out(q, k, v):
    """``attention_merge_heads`` over ``AttentionViewsGradOut``."""
    B, H, T, D = q.shape
    return AttentionViewsGradOut.apply(q, k, v, True).transpose(1, 2).reshape(B, T, H * D)


class AttentionDkUnscaled(Attention):
    @staticmethod
    def backward(ctx, grad_out):
        q, k, v, out, lse = ctx.saved_tensors
        B, H, T, D = q.shape
        do = grad_out.contiguous().view(B * H, T, D)
        q2, k2, v2, o2, lse2 = (t.reshape(B * H, T, -1) for t in (q, k, v, out, lse))
        p = Attention._probs(ctx, q2, k2, lse2)
        dv = p.transpose(1, 2) @ do
        dp = do @ v2.transpose(1, 2)
        ds = p * (dp - (do * o2).sum(-1, keepdim=True))
        dq = ds @ k2 * ctx.scale
        dk = ds.transpose(1, 2) @ q2              # the 1/sqrt(D) forgotten
        return dq.view(B, H, T, D), dk.view(B, H, T, D), dv.view(B, H, T, D), None


class AttentionDqFromQ(Attention):
    @staticmethod
    def backward(ctx, grad_out):
        q, k, v, out, lse = ctx.saved_tensors
        B, H, T, D = q.shape
        do = grad_out.contiguous().view(B * H, T, D)
        q2, k2, v2, o2, lse2 = (t.reshape(B * H, T, -1) for t in (q, k, v, out, lse))
        p = Attention._probs(ctx, q2, k2, lse2)
        dv = p.transpose(1, 2) @ do
        dp = do @ v2.transpose(1, 2)
        ds = p * (dp - (do * o2).sum(-1, keepdim=True))
        dq = ds @ q2 * ctx.scale                  # q where k belongs
        dk = ds.transpose(1, 2) @ q2 * ctx.scale
        return dq.view(B, H, T, D), dk.view(B, H, T, D), dv.view(B, H, T, D), None


class ScaleRowsKernel(Function):
    """y[i, j] = x[i, j] scale[i]; the backward hands grad_out to a 'kernel' that reads its
    data pointer as row-major."""

    @staticmethod
    def forward(ctx, x, scale):
        ctx.save_for_backward(x, scale)
        return x * scale[:, None]

    @staticmethod
    def backward(ctx, grad_out):
        x, scale = ctx.saved_tensors
        g = _as_row_major(grad_out)               # strides ignored, as a raw kernel would
        return g * scale[:, None], (g * x).sum(1)


def scale_rows_then_transpose(x, scale):
    """(n, d) rows scaled, handed on features-first as (d, n)."""
    return ScaleRowsKernel.apply(x, scale).t()


class DeformConv1dOffsetSign(DeformConv1d):
    @staticmethod
    def backward(ctx, grad_out):
        x, offset, mask, weight = ctx.saved_tensors
        s, x0, x1, frac, i0, valid0, valid1 = _deform_sample(x, offset)
        grad_s = torch.einsum("ock,bol->bckl", weight, grad_out)
        grad_weight = torch.einsum("bol,bkl,bckl->ock", grad_out, mask, s)
        grad_mask = (grad_s * s).sum(1)
        grad_sm = grad_s * mask[:, None]
        grad_offset = (grad_sm * (x0 - x1)).sum(1)               # neighbours the wrong way round
        grad_x = _scatter_positions(grad_sm, frac, i0, valid0, valid1, x.shape)
        return grad_x, grad_offset, grad_mask, grad_weight


class DeformConv1dOffsetUnmodulated(DeformConv1d):
    @staticmethod
    def backward(ctx, grad_out):
        x, offset, mask, weight = ctx.saved_tensors
        s, x0, x1, frac, i0, valid0, valid1 = _deform_sample(x, offset)
        grad_s = torch.einsum("ock,bol->bckl", weight, grad_out)
        grad_weight = torch.einsum("bol,bkl,bckl->ock", grad_out, mask, s)
        grad_mask = (grad_s * s).sum(1)
        grad_sm = grad_s * mask[:, None]
        grad_offset = (grad_s * (x1 - x0)).sum(1)                # DCNv1's line: no mask
        grad_x = _scatter_positions(grad_sm, frac, i0, valid0, valid1, x.shape)
        return grad_x, grad_offset, grad_mask, grad_weight


_WORKSPACE = {}


class LinearWorkspace(Linear):
    """Linear whose weight gradient goes into a reusable workspace (saves an allocation)."""

    @staticmethod
    def backward(ctx, grad_out):
        x, weight = ctx.saved_tensors
        g2 = grad_out.reshape(-1, weight.shape[0])
        key = (tuple(weight.shape), weight.dtype)
        grad_w = _WORKSPACE.setdefault(key, torch.zeros(weight.shape, dtype=weight.dtype))
        grad_w.addmm_(g2.T, x.reshape(-1, weight.shape[1]))     # never zeroed between calls
        grad_b = g2.sum(0) if ctx.has_bias else None
        return (g2 @ weight).reshape(x.shape), grad_w, grad_b


class LinearCtxAccumulates(Function):
    """Linear that accumulates its weight gradient on ctx (for 'micro-batches')."""

    @staticmethod
    def forward(ctx, x, weight, bias):
        ctx.save_for_backward(x, weight)
        ctx.grad_weight = torch.zeros_like(weight)
        return x @ weight.T + bias

    @staticmethod
    def backward(ctx, grad_out):
        x, weight = ctx.saved_tensors
        g2 = grad_out.reshape(-1, weight.shape[0])
        ctx.grad_weight += g2.T @ x.reshape(-1, weight.shape[1])   # grows each backward
        return (g2 @ weight).reshape(x.shape), ctx.grad_weight, g2.sum(0)


class DropoutRedrawsMask(SeededDropout):
    @staticmethod
    def backward(ctx, grad_out):
        keep = torch.rand(grad_out.shape, dtype=F64) >= ctx.p      # generator= forgotten
        return grad_out * keep / (1 - ctx.p), None, None


class LinearTanhInplace(Function):
    """y = tanh(x W^T + b) fused; tanh_ runs in place on the saved pre-activation."""

    @staticmethod
    def forward(ctx, x, weight, bias):
        z = x @ weight.T + bias
        ctx.save_for_backward(x, weight, z)
        return z.tanh_()                          # z now holds y, and that is what was saved

    @staticmethod
    def backward(ctx, grad_out):
        x, weight, z = ctx.saved_tensors
        dz = (grad_out * (1 - torch.tanh(z) ** 2)).reshape(-1, weight.shape[0])
        return (dz @ weight).reshape(x.shape), dz.T @ x.reshape(-1, weight.shape[1]), dz.sum(0)


class SigmoidInplaceBackward(Sigmoid):
    @staticmethod
    def backward(ctx, grad_out):
        (y,) = ctx.saved_tensors
        y.mul_(1 - y)                             # in place on the saved output (the caller's y)
        return grad_out * y


class InplaceSiLUNotDirty(InplaceSiLU):
    @staticmethod
    def forward(ctx, x):
        s = torch.sigmoid(x)
        x.mul_(s)                                 # in place, without ctx.mark_dirty(x)
        ctx.save_for_backward(s, x)
        return x


def residual_inplace_silu_not_dirty(x, w):
    """``residual_inplace_silu`` over ``InplaceSiLUNotDirty``."""
    h = x @ w
    return h + InplaceSiLUNotDirty.apply(h)


class ExpGradFloat64(Exp):
    @staticmethod
    def backward(ctx, grad_out):
        (y,) = ctx.saved_tensors
        return grad_out.double() * y.double()     # computed in float64, never cast back


class Pow(Function):
    """y = x ** exponent, exponent a Python float."""

    @staticmethod
    def forward(ctx, x, exponent):
        ctx.save_for_backward(x)
        ctx.exponent = exponent
        return x ** exponent

    @staticmethod
    def backward(ctx, grad_out):
        (x,) = ctx.saved_tensors
        p = ctx.exponent
        grad_x = grad_out * p * x ** (p - 1)
        grad_p = (grad_out * x ** p * x.log()).sum()   # a gradient for a Python float
        return grad_x, grad_p


class TanhDetachedOutput(Tanh):
    @staticmethod
    def backward(ctx, grad_out):
        (y,) = ctx.saved_tensors
        y = y.detach()                            # "no graph needed here": d2y/dx2 is lost
        return grad_out * (1 - y * y)


class ReLUMasksGradOut(ReLU):
    @staticmethod
    def backward(ctx, grad_out):
        (x,) = ctx.saved_tensors
        grad_out[x < 0] = 0                       # the tutorial's .clone() left out
        return grad_out


def residual_relu_masks_grad_out(x, w):
    """``residual_relu`` over ``ReLUMasksGradOut``."""
    h = x @ w
    return h + ReLUMasksGradOut.apply(h)


class ScaleAndSquareNoneUnhandled(ScaleAndSquare):
    @staticmethod
    def backward(ctx, grad_scaled, grad_square):
        (x,) = ctx.saved_tensors
        return grad_scaled * ctx.scale + 2 * x * grad_square, None   # None when unused


def square_only_none_unhandled(x):
    """``square_only`` over ``ScaleAndSquareNoneUnhandled``."""
    return ScaleAndSquareNoneUnhandled.apply(x, 0.5)[1]


class GELUTanhBackward(GELU):
    @staticmethod
    def backward(ctx, grad_out):
        (x,) = ctx.saved_tensors
        return grad_out * _gelu_tanh_grad(x)      # the tanh approximation's derivative


class SinCosOutputsSwapped(SinCos):
    @staticmethod
    def backward(ctx, grad_sin, grad_cos):
        (x,) = ctx.saved_tensors
        return grad_cos * x.cos() - grad_sin * x.sin()   # each output's grad on the other rule


class ClipsGradOutSoftsign(nn.Module):
    """Softsign whose full backward hook was meant to clip the input gradient to [-1, 1]."""

    def __init__(self):
        super().__init__()
        self.register_full_backward_hook(self._clip)

    @staticmethod
    def _clip(module, grad_input, grad_output):
        return (grad_output[0].clamp(-1.0, 1.0),)   # grad_output where grad_input belongs

    def forward(self, x):
        return Softsign.apply(x)


@torch.library.custom_op("gallery_torch_functions::scaled_tanh", mutates_args=())
def scaled_tanh_op(x: torch.Tensor, scale: float) -> torch.Tensor:
    """y = scale tanh(x)."""
    return scale * torch.tanh(x)


@scaled_tanh_op.register_fake
def _scaled_tanh_fake(x, scale):
    return torch.empty_like(x)


def _scaled_tanh_setup_context(ctx, inputs, output):
    ctx.save_for_backward(output)
    ctx.scale = inputs[1]


def _scaled_tanh_backward(ctx, grad_out):
    (y,) = ctx.saved_tensors
    return grad_out * ctx.scale * (1 - torch.tanh(y) ** 2), None   # tanh of the output


scaled_tanh_op.register_autograd(_scaled_tanh_backward, setup_context=_scaled_tanh_setup_context)


# ------------------------------------------------------------------------------------------------
# CASES
# ------------------------------------------------------------------------------------------------


def _kw(*names, **extra):
    return {"names": list(names), **extra}


def _linear_inputs(seed, n=5, n_in=4, n_out=3, dtype=F64):
    return (_randn(seed, n, n_in, dtype=dtype), _randn(seed + 1, n_out, n_in, dtype=dtype),
            _randn(seed + 2, n_out, dtype=dtype))


def _attention_inputs(seed, dtype=F64, B=2, H=2, T=4, D=3):
    return tuple(_randn(seed + i, B, H, T, D, dtype=dtype) for i in range(3))


def _deform_inputs(seed, B=2, C=2, L=5, K=3, n_out=2):
    gen = torch.Generator().manual_seed(seed)
    whole = torch.randint(-1, 2, (B, K, L), generator=gen).to(F64)
    frac = 0.2 + 0.6 * torch.rand(B, K, L, generator=gen, dtype=F64)   # far from integers
    return (_randn(seed + 1, B, C, L), whole + frac, _rand(seed + 2, B, K, L, low=0.3, high=1.0),
            _randn(seed + 3, n_out, C, K))


def _mlp_pair(seed, dtype=F64):
    return _randn(seed, 4, 3, dtype=dtype), _randn(seed + 1, 3, 3, dtype=dtype)


def _weighted_mse_inputs():
    pred = _randn(30, 6, 2).requires_grad_()
    return pred, _randn(31, 6, 2), _rand(32, 6, 2, low=0.5, high=2.0)


def _case(name, make, bug=None, kind=None, wrong=(), **extra):
    return {"name": name, "make": make, "bug": bug, "kind_of_slip": kind, "wrong": set(wrong),
            **extra}


CASES = [
    # ---------------------------------------------------------------- correct Functions
    _case("exp_old_style", lambda: (Exp, (_randn(1, 3, 4, scale=0.5),),
                                    _kw("x", double_backward=True))),
    _case("linear_bias_new_style", lambda: (Linear, _linear_inputs(2), _kw("x", "weight", "bias"))),
    _case("linear_noncontiguous_no_bias",
          lambda: (Linear, (_randn(3, 4, 5).t(), _randn(4, 3, 8)[:, ::2], None),
                   _kw("x", "weight", "bias")),
          note="x is a transposed view, weight a strided slice, bias None"),
    _case("sincos_two_outputs", lambda: (SinCos, (_randn(5, 2, 3),), _kw("x"))),
    _case("max_values_and_argmax", lambda: (MaxAlongDim, (_randn(6, 4, 5), 1), _kw("x", "dim")),
          note="indices are mark_non_differentiable"),
    _case("scale_and_square_materialize_false",
          lambda: (ScaleAndSquare, (_randn(7, 3, 3), 3.0), _kw("x", "scale"))),
    _case("square_only_unused_output_none", lambda: (square_only, (_randn(8, 3, 3),), _kw("x")),
          note="set_materialize_grads(False): the unused output's grad arrives as None"),
    _case("numpy_cumsum_once_differentiable",
          lambda: (NumpyCumsum, (_randn(9, 3, 5),), _kw("x"))),
    _case("activation_str_float_int_none_args",
          lambda: (Activation, (_away_from_zero(_randn(10, 4, 3)), "elu", 0.7, 3, None),
                   _kw("x", "kind", "slope", "power", "clip"))),
    _case("embedding_integer_indices",
          lambda: (Embedding, (torch.tensor([[0, 2, 2], [4, 0, 1]]), _randn(11, 5, 3)),
                   _kw("indices", "weight")),
          note="repeated indices: the rows' gradients add up"),
    _case("weighted_mse_only_pred_requires_grad",
          lambda: (WeightedMSELoss, _weighted_mse_inputs(), _kw("pred", "target", "weight")),
          note="the user set requires_grad on pred only; target and weight get None"),
    _case("softmax_cross_entropy_int_targets",
          lambda: (SoftmaxCrossEntropy, (_randn(12, 5, 4), torch.tensor([0, 3, 1, 1, 2]), "mean"),
                   _kw("logits", "targets", "reduction"))),
    _case("fused_linear_gelu_float32",
          lambda: (LinearGELU, _linear_inputs(13, dtype=F32), _kw("x", "weight", "bias"))),
    _case("gelu_exact_float32", lambda: (GELU, (_randn(14, 4, 5, dtype=F32, scale=1.5),),
                                         _kw("x"))),
    _case("custom_op_softplus",
          lambda: (softplus_op, (_randn(15, 3, 4), 2.0), _kw("x", "beta")),
          note="torch.library.custom_op with register_autograd"),
    _case("nan_to_num_full_backward_hook",
          lambda: (SanitizedSoftsign(), (_away_from_zero(_randn(16, 3, 4)),), _kw("x")),
          note="the hook rewrites grad_input with nan_to_num: unchanged when finite, so right"),
    _case("tanh_double_backward",
          lambda: (Tanh, (_randn(17, 3, 4),), _kw("x", double_backward=True))),
    _case("logsumexp_float32_large_values",
          lambda: (LogSumExp, (_randn(18, 4, 6, dtype=F32, scale=10.0, shift=50.0), 1),
                   _kw("x", "dim"))),
    _case("flash_attention_float32",
          lambda: (Attention, _attention_inputs(19, dtype=F32) + (True,),
                   _kw("q", "k", "v", "causal"))),
    _case("attention_merge_heads",
          lambda: (attention_merge_heads, _attention_inputs(20), _kw("q", "k", "v")),
          note="grad_out reaches the Function transposed (non-contiguous)"),
    _case("deform_conv1d_modulated", lambda: (DeformConv1d, _deform_inputs(21),
                                              _kw("x", "offset", "mask", "weight"))),
    _case("residual_inplace_silu_mark_dirty",
          lambda: (residual_inplace_silu, _mlp_pair(22), _kw("x", "w"))),
    _case("residual_relu_clones_grad_out",
          lambda: (residual_relu, _mlp_pair(23), _kw("x", "w"))),
    _case("layernorm_float32",
          lambda: (LayerNorm, (_randn(24, 5, 6, dtype=F32, scale=3.0, shift=1.0),
                               _randn(25, 6, dtype=F32), _randn(26, 6, dtype=F32), 1e-5),
                   _kw("x", "gamma", "beta", "eps"))),
    _case("dropout_seeded_mask_redrawn",
          lambda: (SeededDropout, (_randn(27, 4, 5), 0.3, 1234), _kw("x", "p", "seed"))),
    # ---------------------------------------------------------------- declared surrogates
    _case("round_straight_through",
          lambda: (RoundStraightThrough, (_away_from_half_integers(_randn(28, 3, 4, scale=2.0)),),
                   _kw("x")),
          wrong={"x"}, surrogate=True,
          note="identity backward declared for round(): the derivative is 0; expect NOT OK on x, "
               "ideally told as a straight-through surrogate"),
    _case("gradient_reversal_hook",
          lambda: (GradientReversal(0.5), (_away_from_zero(_randn(29, 3, 4)),), _kw("x")),
          wrong={"x"}, surrogate=True,
          note="full backward hook returns -0.5 * grad_input on purpose; expect NOT OK on x"),
    # ---------------------------------------------------------------- planted mistakes
    _case("tanh_forgets_grad_out", lambda: (TanhForgetsGradOut, (_randn(40, 3, 4),), _kw("x")),
          bug="the backward returns 1 - y^2 without multiplying by grad_output",
          kind="not_times_grad_output", wrong={"x"}),
    _case("sigmoid_grad_out_twice", lambda: (SigmoidGradOutTwice, (_randn(41, 3, 4),), _kw("x")),
          bug="grad_output * y (1 - y) is multiplied by grad_output again",
          kind="times_grad_output_twice", wrong={"x"}),
    _case("mse_loss_target_sign",
          lambda: (MSELossTargetSign, (_randn(42, 4, 3), _randn(43, 4, 3)), _kw("pred", "target")),
          bug="the target's gradient is returned equal to pred's, missing its minus sign",
          kind="sign", wrong={"target"}),
    _case("deform_conv1d_offset_sign",
          lambda: (DeformConv1dOffsetSign, _deform_inputs(44),
                   _kw("x", "offset", "mask", "weight")),
          bug="the offset gradient uses x0 - x1 for the interpolation slope instead of x1 - x0",
          kind="sign", wrong={"offset"}),
    _case("cross_entropy_mean_forgets_1_over_n",
          lambda: (SoftmaxCrossEntropyNoMean, (_randn(45, 5, 4), torch.tensor([1, 0, 3, 3, 2]),
                                               "mean"), _kw("logits", "targets", "reduction")),
          bug="the forward averages over the batch, the backward returns probs - onehot "
              "without dividing by n",
          kind="factor", wrong={"logits"}),
    _case("flash_attention_dk_unscaled",
          lambda: (AttentionDkUnscaled, _attention_inputs(46) + (False,),
                   _kw("q", "k", "v", "causal")),
          bug="dK = dS^T Q without the 1/sqrt(D) scale", kind="factor", wrong={"k"}),
    _case("linear_square_weight_transposed",
          lambda: (LinearWeightTransposed, _linear_inputs(47, n=5, n_in=4, n_out=4),
                   _kw("x", "weight", "bias")),
          bug="grad_weight = x^T g, the gradient of W^T; W is square so the shape hides it",
          kind="transposed", wrong={"weight"}),
    _case("gate_gradients_swapped",
          lambda: (Gate, (_randn(48, 4, 3), _randn(49, 4, 3)), _kw("x", "gate")),
          bug="x gets grad_output * x and gate gets grad_output * gate: the factors swapped",
          kind="inputs_swapped", wrong={"x", "gate"}),
    _case("flash_attention_dq_from_q",
          lambda: (AttentionDqFromQ, _attention_inputs(50) + (False,),
                   _kw("q", "k", "v", "causal")),
          bug="dQ = dS Q instead of dS K", kind="inputs_swapped", wrong={"q"}),
    _case("linear_bias_grad_not_reduced",
          lambda: (LinearBiasNotReduced, _linear_inputs(51), _kw("x", "weight", "bias")),
          bug="the bias gradient is grad_output itself, shape (n, n_out), not summed over rows",
          kind="broadcast_not_reduced", wrong={"bias"},
          note="autograd's engine sums it down to (n_out,) silently; only the raw backward is "
               "wrong"),
    _case("layernorm_gamma_wrong_axis",
          lambda: (LayerNormGammaWrongAxis, (_randn(52, 6, 6), _randn(53, 6), _randn(54, 6), 1e-5),
                   _kw("x", "gamma", "beta", "eps")),
          bug="grad_gamma sums over the features instead of the samples (6 x 6 hides the shape)",
          kind="reduced_wrong_axis", wrong={"gamma"}),
    _case("sigmoid_derivative_at_output",
          lambda: (SigmoidAtOutput, (_randn(55, 3, 4),), _kw("x")),
          bug="sigmoid'(.) evaluated at the saved output y instead of the input",
          kind="derivative_at_output", wrong={"x"}),
    _case("custom_op_scaled_tanh_at_output",
          lambda: (scaled_tanh_op, (_randn(56, 3, 4), 2.0), _kw("x", "scale")),
          bug="register_autograd's backward takes tanh of the saved output: "
              "1 - tanh(y)^2 instead of 1 - (y / scale)^2",
          kind="derivative_at_output", wrong={"x"}),
    _case("silu_saves_output", lambda: (SiLUSavesOutput, (_randn(57, 3, 4),), _kw("x")),
          bug="ctx.save_for_backward(y) and the backward unpacks it as x",
          kind="wrong_saved_tensor", wrong={"x"}),
    _case("fused_linear_gelu_saves_output",
          lambda: (LinearGELUSavesOutput, _linear_inputs(58), _kw("x", "weight", "bias")),
          bug="the fused layer saves gelu(z) where the backward needs the pre-activation z",
          kind="wrong_saved_tensor", wrong={"x", "weight", "bias"}),
    _case("flash_attention_views_grad_out",
          lambda: (attention_views_grad_out, _attention_inputs(59), _kw("q", "k", "v")),
          bug="grad_output.view(B * H, T, D) without .contiguous(); heads merged back through "
              "transpose(1, 2) hand it over transposed, and view raises",
          kind="noncontiguous_grad_output", wrong={"q", "k", "v"}),
    _case("row_scale_kernel_then_transpose",
          lambda: (scale_rows_then_transpose, (_randn(60, 3, 5), _randn(61, 3)),
                   _kw("x", "scale")),
          bug="the backward reads grad_output's memory as row-major; the output is used "
              "transposed, so grad_output arrives transposed and is read in the wrong order",
          kind="noncontiguous_grad_output", wrong={"x", "scale"}),
    _case("linear_workspace_never_zeroed",
          lambda: (LinearWorkspace, _linear_inputs(62), _kw("x", "weight", "bias")),
          bug="the weight gradient is added into a global workspace that is never zeroed: "
              "right on the first call, sums of all previous calls after",
          kind="accumulates", wrong={"weight"}),
    _case("linear_accumulates_on_ctx",
          lambda: (LinearCtxAccumulates, _linear_inputs(63), _kw("x", "weight", "bias")),
          bug="grad_weight is accumulated into ctx.grad_weight: a second backward through the "
              "same graph returns twice the gradient",
          kind="accumulates", wrong={"weight"}),
    _case("dropout_mask_redrawn_unseeded",
          lambda: (DropoutRedrawsMask, (_randn(64, 4, 5), 0.3, 1234), _kw("x", "p", "seed")),
          bug="backward draws the dropout mask again from the global RNG (generator= left out): "
              "a different mask from the forward's, a different one each call",
          kind="nondeterministic", wrong={"x"}),
    _case("linear_tanh_inplace_on_saved_preactivation",
          lambda: (LinearTanhInplace, _linear_inputs(65), _kw("x", "weight", "bias")),
          bug="z is saved, then tanh_ overwrites it in place; backward takes tanh of tanh(z)",
          kind="inplace_saved_tensor", wrong={"x", "weight", "bias"}),
    _case("sigmoid_backward_inplace_on_saved_output",
          lambda: (SigmoidInplaceBackward, (_randn(66, 3, 4),), _kw("x")),
          bug="y.mul_(1 - y) on the saved output: the first gradient is right, the caller's "
              "output is overwritten and a second backward through the graph fails",
          kind="inplace_saved_tensor", wrong={"x"}),
    _case("residual_inplace_silu_not_dirty",
          lambda: (residual_inplace_silu_not_dirty, _mlp_pair(67), _kw("x", "w")),
          bug="the activation overwrites h in place without ctx.mark_dirty; h + silu_(h) then "
              "adds silu(h) twice while autograd still differentiates h + silu(h)",
          kind="inplace_forward_without_mark_dirty", wrong={"x", "w"}),
    _case("inplace_silu_not_dirty_on_input",
          lambda: (InplaceSiLUNotDirty, (_randn(68, 3, 4),), _kw("x")),
          bug="the forward overwrites the caller's x in place without ctx.mark_dirty: the next "
              "call on the same x differentiates silu(silu(x))",
          kind="inplace_forward_without_mark_dirty", wrong={"x"}),
    _case("exp_backward_returns_float64",
          lambda: (ExpGradFloat64, (_randn(69, 3, 4, dtype=F32),), _kw("x")),
          bug="the backward computes in float64 and returns float64 for a float32 input",
          kind="wrong_dtype", wrong={"x"},
          note="autograd's engine casts it back to float32; only the raw backward is wrong"),
    _case("pow_grad_for_float_exponent",
          lambda: (Pow, (_rand(70, 3, 4, low=0.5, high=2.0), 2.5), _kw("x", "exponent")),
          bug="the backward returns a gradient for the exponent, a Python float; autograd "
              "refuses it, so x gets no gradient",
          kind="grad_for_non_tensor", wrong={"x"}),
    _case("tanh_detached_saved_output",
          lambda: (TanhDetachedOutput, (_randn(71, 3, 4),), _kw("x", double_backward=True)),
          bug="the backward detaches the saved output, so double backward misses "
              "d(1 - y^2)/dx", kind="wrong_second_derivative", wrong={"x"}),
    _case("residual_relu_masks_grad_out",
          lambda: (residual_relu_masks_grad_out, _mlp_pair(72), _kw("x", "w")),
          bug="grad_output[x < 0] = 0 in place (no .clone()); the residual branch shares that "
              "grad_output and loses it too",
          kind="writes_grad_output", wrong={"x", "w"}),
    _case("square_only_none_unhandled",
          lambda: (square_only_none_unhandled, (_randn(73, 3, 3),), _kw("x")),
          bug="set_materialize_grads(False), but the backward multiplies grad_scaled without "
              "checking for None; the unused output makes it raise",
          kind="other", wrong={"x"}),
    _case("gelu_exact_forward_tanh_backward_float32",
          lambda: (GELUTanhBackward, (_randn(74, 4, 5, dtype=F32, scale=1.5),), _kw("x")),
          bug="exact (erf) GELU forward, the tanh approximation's derivative in backward; off by "
              "up to 1e-3", kind="other", wrong={"x"}),
    _case("deform_conv1d_offset_unmodulated",
          lambda: (DeformConv1dOffsetUnmodulated, _deform_inputs(75),
                   _kw("x", "offset", "mask", "weight")),
          bug="the offset gradient leaves out the modulation mask (DCNv1's line kept in DCNv2)",
          kind="other", wrong={"offset"}),
    _case("full_backward_hook_returns_grad_output",
          lambda: (ClipsGradOutSoftsign(), (_away_from_zero(_randn(76, 3, 4)),), _kw("x")),
          bug="the hook meant to clip grad_input returns grad_output clipped in its place",
          kind="other", wrong={"x"}),
    _case("sincos_output_grads_swapped",
          lambda: (SinCosOutputsSwapped, (_randn(77, 2, 3),), _kw("x")),
          bug="cos's rule applied to sin's grad_output and the other way round",
          kind="other", wrong={"x"}),
]


# ------------------------------------------------------------------------------------------------
# Models: custom layers (nn.Modules whose forward applies a Function)
# ------------------------------------------------------------------------------------------------


class CustomLayer(nn.Module):
    """A layer whose forward applies a custom autograd Function (what ``check_model`` visits)."""


def _param(seed, *shape, dtype, scale=None):
    scale = scale if scale is not None else shape[-1] ** -0.5
    return nn.Parameter(_randn(seed, *shape, dtype=dtype, scale=scale))


class LinearLayer(CustomLayer):
    def __init__(self, n_in, n_out, *, seed, dtype=F64, function=Linear):
        super().__init__()
        self.weight = _param(seed, n_out, n_in, dtype=dtype)
        self.bias = _param(seed + 1, n_out, dtype=dtype, scale=0.1)
        self.function = function

    def forward(self, x):
        return self.function.apply(x, self.weight, self.bias)


class LinearGELULayer(LinearLayer):
    def __init__(self, n_in, n_out, *, seed, dtype=F64):
        super().__init__(n_in, n_out, seed=seed, dtype=dtype, function=LinearGELU)


class LayerNormLayer(CustomLayer):
    def __init__(self, d, *, seed, dtype=F64, function=LayerNorm):
        super().__init__()
        self.gamma = nn.Parameter(1 + _randn(seed, d, dtype=dtype, scale=0.1))
        self.beta = nn.Parameter(_randn(seed + 1, d, dtype=dtype, scale=0.1))
        self.function = function

    def forward(self, x):
        return self.function.apply(x, self.gamma, self.beta, 1e-5)


class ActivationLayer(CustomLayer):
    def __init__(self, function):
        super().__init__()
        self.function = function

    def forward(self, x):
        return self.function.apply(x)


class EmbeddingLayer(CustomLayer):
    def __init__(self, n_rows, d, *, seed, dtype=F64):
        super().__init__()
        self.weight = _param(seed, n_rows, d, dtype=dtype, scale=1.0)

    def forward(self, indices):
        return Embedding.apply(indices, self.weight)


class AttentionLayer(CustomLayer):
    def __init__(self, causal=True):
        super().__init__()
        self.causal = causal

    def forward(self, q, k, v):
        return Attention.apply(q, k, v, self.causal)


class DampedSoftsign(CustomLayer):
    """Softsign whose output gradient a tensor hook multiplies by ``damping`` (slows this
    branch's learning on purpose)."""

    def __init__(self, damping=0.1):
        super().__init__()
        self.damping = damping

    def forward(self, x):
        y = Softsign.apply(x)
        if y.requires_grad:
            y.register_hook(lambda grad: grad * self.damping)
        return y


class TinyTransformer(nn.Module):
    """One pre-norm causal transformer block over token indices (B, T), vocabulary 7, d = 8."""

    def __init__(self, *, layernorm=LayerNorm, dtype=F64, n_heads=2, d=8, vocab=7):
        super().__init__()
        self.n_heads = n_heads
        self.embed = EmbeddingLayer(vocab, d, seed=100, dtype=dtype)
        self.block = nn.Module()
        self.block.norm1 = LayerNormLayer(d, seed=102, dtype=dtype)
        self.block.qkv = LinearLayer(d, 3 * d, seed=104, dtype=dtype)
        self.block.attn = AttentionLayer(causal=True)
        self.block.proj = LinearLayer(d, d, seed=106, dtype=dtype)
        self.block.norm2 = LayerNormLayer(d, seed=108, dtype=dtype, function=layernorm)
        self.block.fc1 = LinearGELULayer(d, 2 * d, seed=110, dtype=dtype)
        self.block.fc2 = LinearLayer(2 * d, d, seed=112, dtype=dtype)
        self.head = LinearLayer(d, vocab, seed=114, dtype=dtype)

    def forward(self, indices):
        b = self.block
        h = self.embed(indices)
        B, T, d = h.shape
        qkv = b.qkv(b.norm1(h)).view(B, T, 3, self.n_heads, d // self.n_heads)
        q, k, v = qkv.permute(2, 0, 3, 1, 4)
        a = b.attn(q, k, v).transpose(1, 2).reshape(B, T, d)
        h = h + b.proj(a)
        h = h + b.fc2(b.fc1(b.norm2(h)))
        return self.head(h)


class SmallMLP(nn.Module):
    """fc1 -> act1 -> fc2 -> act2 -> head; every layer a custom Function."""

    def __init__(self, *, act1=Tanh, act2=Sigmoid, fc2=Linear, dtype=F64, n_in=5, width=8,
                 n_out=3):
        super().__init__()
        self.fc1 = LinearLayer(n_in, width, seed=200, dtype=dtype)
        self.act1 = ActivationLayer(act1)
        self.fc2 = LinearLayer(width, width, seed=202, dtype=dtype, function=fc2)
        self.act2 = act2 if isinstance(act2, nn.Module) else ActivationLayer(act2)
        self.head = LinearLayer(width, n_out, seed=204, dtype=dtype)

    def forward(self, x):
        return self.head(self.act2(self.fc2(self.act1(self.fc1(x)))))


class NormedGELUNet(nn.Module):
    """fc1 (fused linear + GELU) -> norm -> fc2 -> act -> head, in float32."""

    def __init__(self, *, dtype=F32, n_in=5, width=8, n_out=3):
        super().__init__()
        self.fc1 = LinearGELULayer(n_in, width, seed=300, dtype=dtype)
        self.norm = LayerNormLayer(width, seed=302, dtype=dtype)
        self.fc2 = LinearLayer(width, width, seed=304, dtype=dtype)
        self.act = ActivationLayer(Tanh)
        self.head = LinearLayer(width, n_out, seed=306, dtype=dtype)

    def forward(self, x):
        return self.head(self.act(self.fc2(self.norm(self.fc1(x)))))


def _token_inputs():
    gen = torch.Generator().manual_seed(400)
    return (torch.randint(0, 7, (2, 4), generator=gen),)


def _token_loss():
    targets = torch.randint(0, 7, (2, 4), generator=torch.Generator().manual_seed(401))
    return lambda logits: F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))


def _class_loss(seed=402, n=6):
    targets = torch.randint(0, 3, (n,), generator=torch.Generator().manual_seed(seed))
    return lambda logits: F.cross_entropy(logits, targets)


MODELS = [
    {"name": "tiny_transformer_layernorm_slip",
     "make": lambda: (TinyTransformer(layernorm=LayerNormNoProjection), _token_inputs(),
                      _token_loss()),
     "first_wrong": "block.norm2",
     "note": "one wrong custom layer: block.norm2's LayerNorm forgets -xhat mean(dxhat xhat)"},
    {"name": "tiny_transformer_fixed",
     "make": lambda: (TinyTransformer(), _token_inputs(), _token_loss()),
     "first_wrong": None, "note": "the same model, the slip removed"},
    {"name": "mlp_two_wrong_layers",
     "make": lambda: (SmallMLP(fc2=LinearWeightTransposed, act2=SigmoidAtOutput),
                      (_randn(403, 6, 5),), _class_loss()),
     "first_wrong": "act2",
     "note": "fc2 (transposed weight gradient) and act2 (derivative at the output) are wrong; "
             "act2 comes first in backward order"},
    {"name": "mlp_register_hook_damps_gradient",
     "make": lambda: (SmallMLP(act2=DampedSoftsign(0.1)), (_randn(404, 6, 5),), _class_loss()),
     "first_wrong": "act2",
     "note": "a Tensor.register_hook inside act2's forward multiplies its gradient by 0.1 on "
             "purpose; judged wrong: the layer's backward is not its derivative"},
    {"name": "normed_gelu_net_float32",
     "make": lambda: (NormedGELUNet(), (_randn(405, 6, 5, dtype=F32),), _class_loss(406)),
     "first_wrong": None, "note": "correct, float32"},
]


# ------------------------------------------------------------------------------------------------
# Measurement: wrong sets and first wrong layers from finite differences
# ------------------------------------------------------------------------------------------------

FD_STEP = 1e-6
DIFFERS = 1e-5
DIFFERS_FLOAT32 = 1e-3


def _callable(fn):
    if isinstance(fn, type) and issubclass(fn, Function):
        return fn.apply
    return fn


def _is_function_class(fn):
    return isinstance(fn, type) and issubclass(fn, Function)


def _differentiated(inputs):
    floats = [i for i, a in enumerate(inputs) if torch.is_tensor(a) and a.is_floating_point()]
    marked = [i for i in floats if inputs[i].requires_grad]
    return marked or floats


def _copies(inputs, diff, dtype=None):
    """Fresh leaf copies (floating ones to ``dtype`` if given), differentiated ones requiring
    grad; strides are kept."""
    out = []
    for i, a in enumerate(inputs):
        if torch.is_tensor(a):
            c = a.detach().clone()
            if dtype is not None and c.is_floating_point():
                c = c.to(dtype)
            out.append(c.requires_grad_(i in diff))
        else:
            out.append(a)
    return out


def _as_tuple(result):
    return tuple(result) if isinstance(result, (tuple, list)) else (result,)


def _grad_outputs(outs, seed):
    """Indices of the outputs that carry gradient, and a seeded float64 v for each."""
    index = [i for i, o in enumerate(outs) if torch.is_tensor(o) and o.requires_grad]
    gen = torch.Generator().manual_seed(seed)
    return index, [torch.randn(outs[i].shape, generator=gen, dtype=F64) for i in index]


def _rel(a, b):
    a, b = a.detach().to(F64), b.detach().to(F64)
    if a.shape != b.shape:
        return float("inf")
    scale = b.abs().max().item() if b.numel() else 0.0
    return (a - b).abs().max().item() / max(scale, 1e-12) if a.numel() else 0.0


def _objective(call, args, index, vs):
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        outs = _as_tuple(call(*args))
        return sum((outs[i].detach().to(F64) * v).sum() for i, v in zip(index, vs)).item()


def _fd_vjp(call, inputs, diff, index, vs, h=FD_STEP):
    """Central differences of <v, fn(inputs)> with respect to each differentiated input."""
    grads = {}
    for i in diff:
        grad = torch.zeros(inputs[i].shape, dtype=F64)
        for j in np.ndindex(*inputs[i].shape):
            values = []
            for step in (h, -h):
                args = _copies(inputs, diff=())
                args[i][j] += step
                values.append(_objective(call, args, index, vs))
            grad[j] = (values[0] - values[1]) / (2 * h)
        grads[i] = grad
    return grads


def _strided_like(v, how):
    """The values of ``v`` in a non-contiguous tensor."""
    if v.dim() == 0:
        return v
    if how == "every_other":
        return torch.stack([v, torch.zeros_like(v)], dim=-1)[..., 0]
    order = tuple(reversed(range(v.dim())))
    return v.permute(order).contiguous().permute(order)


def _autograd(call, args, diff, index, vs, *, retain=False, times=1, how=None):
    outs = _as_tuple(call(*args))
    grads = None
    for _ in range(times):
        gvs = [v.to(outs[i].dtype) for i, v in zip(index, vs)]
        if how is not None:
            gvs = [_strided_like(g, how) for g in gvs]
        grads = torch.autograd.grad([outs[i] for i in index], [args[i] for i in diff], gvs,
                                    retain_graph=retain, allow_unused=True)
    return dict(zip(diff, grads))


def _compare(found, reference, names, probe, findings, tol=DIFFERS):
    for i, ref in reference.items():
        got = found.get(i)
        if got is None:
            got = torch.zeros_like(ref)
        rel = _rel(got, ref)
        if rel > tol:
            findings.append((probe, names[i], f"rel {rel:.2e}"))


def _raise_all(probe, error, diff, names, findings):
    for i in diff:
        findings.append((probe, names[i], f"{type(error).__name__}: {str(error)[:80]}"))


def measure(case, seed=0):
    """(wrong names, findings [(probe, name, detail)]) for one case, by the probes above."""
    fn, inputs, kwargs = case["make"]()
    names = list(kwargs.get("names") or [f"input{i}" for i in range(len(inputs))])
    call, diff = _callable(fn), _differentiated(inputs)
    findings = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        base = _copies(inputs, diff, F64)
        index, vs = _grad_outputs(_as_tuple(call(*_copies(inputs, diff, F64))), seed)
        reference = _fd_vjp(call, _copies(inputs, (), F64), diff, index, vs)
        probes = [("fresh", lambda: _autograd(call, base, diff, index, vs)),
                  ("again", lambda: _autograd(call, base, diff, index, vs)),
                  ("retained", lambda: _autograd(call, _copies(inputs, diff, F64), diff, index,
                                                 vs, retain=True, times=2)),
                  ("strided", lambda: _autograd(call, _copies(inputs, diff, F64), diff, index,
                                                vs, how="every_other")),
                  ("transposed", lambda: _autograd(call, _copies(inputs, diff, F64), diff,
                                                   index, vs, how="transposed"))]
        for probe, run in probes:
            try:
                _compare(run(), reference, names, probe, findings)
            except Exception as error:                      # the user's backward raised
                _raise_all(probe, error, diff, names, findings)
        own = {a.dtype for i, a in enumerate(inputs) if i in diff}
        if own - {F64}:
            try:
                tol = DIFFERS_FLOAT32 if own == {F32} else 1e-2
                _compare(_autograd(call, _copies(inputs, diff), diff, index, vs), reference,
                         names, "dtype", findings, tol=tol)
            except Exception as error:
                _raise_all("dtype", error, diff, names, findings)
        if _is_function_class(fn):
            _raw_probe(fn, inputs, diff, names, seed, findings)
        if kwargs.get("double_backward"):
            _second_order_probe(call, inputs, diff, names, index, vs, findings)
    return {f[1] for f in findings}, findings


def _raw_probe(fn, inputs, diff, names, seed, findings):
    """``out.grad_fn.apply(v)``: each raw gradient must have its input's shape and dtype."""
    args = _copies(inputs, diff)
    outs = _as_tuple(fn.apply(*args))
    if len(outs) != 1:
        return
    v = torch.randn(outs[0].shape, generator=torch.Generator().manual_seed(seed),
                    dtype=F64).to(outs[0].dtype)
    raw = _as_tuple(outs[0].grad_fn.apply(v))
    for i in diff:
        got = raw[i] if i < len(raw) else None
        if not torch.is_tensor(got):
            findings.append(("raw", names[i], "no gradient returned"))
        elif got.shape != args[i].shape or got.dtype != args[i].dtype:
            findings.append(("raw", names[i], f"{tuple(got.shape)} {got.dtype} for "
                                              f"{tuple(args[i].shape)} {args[i].dtype}"))


def _second_order_probe(call, inputs, diff, names, index, vs, findings, h=FD_STEP):
    """d/dx <u, grad_x <v, fn(x)>> through the user's backward against finite differences of
    the first derivative (itself checked by the first-order probes)."""
    gen = torch.Generator().manual_seed(7)
    us = {i: torch.randn(inputs[i].shape, generator=gen, dtype=F64) for i in diff}

    def first_order(args, create_graph):
        outs = _as_tuple(call(*args))
        grads = torch.autograd.grad([outs[i] for i in index], [args[i] for i in diff], vs,
                                    create_graph=create_graph, allow_unused=True)
        return sum((g * us[i]).sum() for i, g in zip(diff, grads) if g is not None)

    try:
        args = _copies(inputs, diff, F64)
        s = first_order(args, True)
        analytic = torch.autograd.grad(s, [args[i] for i in diff], allow_unused=True)
        analytic = {i: (torch.zeros_like(args[i]) if g is None else g)
                    for i, g in zip(diff, analytic)}
    except Exception as error:
        _raise_all("second", error, diff, names, findings)
        return
    reference = {}
    for i in diff:
        grad = torch.zeros(inputs[i].shape, dtype=F64)
        for j in np.ndindex(*inputs[i].shape):
            values = []
            for step in (h, -h):
                args = _copies(inputs, diff, F64)
                with torch.no_grad():
                    args[i][j] += step
                values.append(first_order(args, False).item())
            grad[j] = (values[0] - values[1]) / (2 * h)
        reference[i] = grad
    _compare(analytic, reference, names, "second", findings)


def _gradcheck(case):
    """torch.autograd.gradcheck (and gradgradcheck with double_backward) in float64."""
    fn, inputs, kwargs = case["make"]()
    call, diff = _callable(fn), _differentiated(inputs)
    args = tuple(_copies(inputs, diff, F64))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            ok = torch.autograd.gradcheck(call, args, eps=1e-6, atol=1e-6, rtol=1e-4,
                                          raise_exception=False)
            if ok and kwargs.get("double_backward"):
                ok = torch.autograd.gradgradcheck(call, tuple(_copies(inputs, diff, F64)),
                                                  eps=1e-6, atol=1e-5, rtol=1e-3,
                                                  raise_exception=False)
        except Exception as error:
            return False, f"{type(error).__name__}: {str(error)[:60]}"
    return ok, ""


def _custom_layers(model):
    return {name: m for name, m in model.named_modules() if isinstance(m, CustomLayer)}


def measure_model(model, inputs, loss_fn, seed=0):
    """(first wrong custom layer in backward order, {name: rel error}, backward order).

    Each custom layer is checked alone on the inputs it saw in one real forward: float64 copy,
    autograd's vector-Jacobian product against central differences over its floating inputs
    and its parameters.
    """
    layers = _custom_layers(model)
    seen, order, handles = {}, [], []
    for name, layer in layers.items():
        def pre(module, args, name=name):
            seen[name] = [a.detach().clone() if torch.is_tensor(a) else a for a in args]

        def post(module, args, out, name=name):
            if torch.is_tensor(out) and out.requires_grad:
                out.register_hook(lambda grad, name=name: order.append(name))

        handles += [layer.register_forward_pre_hook(pre), layer.register_forward_hook(post)]
    loss_fn(model(*inputs)).backward()
    for handle in handles:
        handle.remove()
    model.zero_grad()
    errors = {name: _layer_error(layers[name], seen[name], seed) for name in order}
    first = next((name for name in order if errors[name] > DIFFERS), None)
    return first, errors, order


def _layer_error(layer, args, seed):
    layer = copy.deepcopy(layer).double()
    args = [a.to(F64) if torch.is_tensor(a) and a.is_floating_point() else a for a in args]
    diff = [i for i, a in enumerate(args) if torch.is_tensor(a) and a.is_floating_point()]
    params = list(layer.parameters())
    leaves = [args[i].clone().requires_grad_() for i in diff]

    def rebuild(values):
        out = list(args)
        for i, value in zip(diff, values):
            out[i] = value
        return out

    out = layer(*rebuild(leaves))
    v = torch.randn(out.shape, generator=torch.Generator().manual_seed(seed), dtype=F64)
    analytic = torch.autograd.grad(out, leaves + params, v, allow_unused=True)
    worst = 0.0
    targets = [(k, t) for k, t in enumerate(leaves)] + [(len(leaves) + k, p)
                                                        for k, p in enumerate(params)]
    for k, tensor in targets:
        grad = torch.zeros(tensor.shape, dtype=F64)
        for j in np.ndindex(*tensor.shape):
            values = []
            for step in (FD_STEP, -FD_STEP):
                with torch.no_grad():
                    original = tensor[j].item()
                    tensor[j] = original + step
                    values.append((layer(*rebuild([t.detach() for t in leaves])) * v).sum().item())
                    tensor[j] = original
            grad[j] = (values[0] - values[1]) / (2 * FD_STEP)
        got = analytic[k] if analytic[k] is not None else torch.zeros_like(grad)
        worst = max(worst, _rel(got, grad))
    return worst


def self_check(verbose=True):
    """Hold every case and model to what it claims; raise AssertionError listing mismatches."""
    problems = []
    kinds = set()
    for case in CASES:
        wrong, findings = measure(case)
        grad_ok, why = _gradcheck(case)
        is_bug = case["bug"] is not None
        kinds.add(case["kind_of_slip"])
        if verbose:
            probes = sorted({f"{p}:{n}" for p, n, _ in findings})
            print(f"{case['name']:46s} gradcheck {'pass' if grad_ok else 'FAIL'} "
                  f"wrong {sorted(wrong)} {' '.join(probes)} {why}")
        if wrong != case["wrong"]:
            problems.append(f"{case['name']}: measured wrong {sorted(wrong)}, "
                            f"recorded {sorted(case['wrong'])}: {findings[:3]}")
        if not is_bug and not case.get("surrogate") and not grad_ok:
            problems.append(f"{case['name']}: a correct case fails gradcheck {why}")
        if is_bug and grad_ok and not findings:
            problems.append(f"{case['name']}: a bug passes gradcheck and every probe")
        if is_bug and case["kind_of_slip"] not in KINDS:
            problems.append(f"{case['name']}: unknown kind {case['kind_of_slip']!r}")
    missing = set(KINDS) - kinds
    if missing:
        problems.append(f"kinds without a case: {sorted(missing)}")
    for entry in MODELS:
        model, inputs, loss_fn = entry["make"]()
        first, errors, order = measure_model(model, inputs, loss_fn)
        if verbose:
            shown = " ".join(f"{n}:{errors[n]:.0e}" for n in order)
            print(f"{entry['name']:46s} first wrong {first}  [{shown}]")
        if first != entry["first_wrong"]:
            problems.append(f"{entry['name']}: measured first wrong {first}, "
                            f"recorded {entry['first_wrong']}")
        if len(_custom_layers(model)) < 4:
            problems.append(f"{entry['name']}: fewer than four custom layers")
    n_correct = sum(c["bug"] is None and not c.get("surrogate") for c in CASES)
    n_bugs = sum(c["bug"] is not None for c in CASES)
    if verbose:
        print(f"\n{n_correct} correct, {n_bugs} bugs, "
              f"{sum(bool(c.get('surrogate')) for c in CASES)} surrogates, {len(MODELS)} models")
    if problems:
        raise AssertionError("\n".join(problems))


if __name__ == "__main__":
    self_check()
    sys.exit(0)
