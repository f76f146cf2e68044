"""2-D convolution as deep-learning frameworks define it, forward and backward side by side.

What ``torch.nn.functional.conv2d`` and CS231n's ``conv_forward_naive`` compute is a
*cross-correlation*: each filter slides over the zero-padded input and takes a dot product
with the patch under it, the kernel not flipped (LeCun et al.'s 1989 network for handwritten
zip codes is the lecture's ancestor of it):

    out[n, f, i, j] = b[f] + sum_{c, p, q} x_pad[n, c, i*s + p, j*s + q] * w[f, c, p, q]

Output size: H_out = (H + 2 pad - HH) // stride + 1 (and the same for the width).

The backward pass follows from the same sum: each input element of a patch gets the upstream
gradient times the weight it met, summed over every patch it sits in (a copy gate adds), so
dx is a *full* correlation of dout with the flipped kernel (a transposed convolution); dw
correlates the input with dout; db sums dout over n, i, j.

Two versions that compute the same numbers: ``Conv2DLoop``, plain loops to read, and
``Conv2D``, im2col (every patch a row of one matrix, then one matrix product) to run.
Shapes: x (N, C, H, W); w (F, C, HH, WW); b (F,); out (N, F, H_out, W_out).
"""

import numpy as np


def output_size(size: int, kernel: int, stride: int, pad: int) -> int:
    """The output's height (or width): (size + 2 pad - kernel) // stride + 1."""
    out = (size + 2 * pad - kernel) // stride + 1
    if out < 1:
        raise ValueError(f"a kernel of {kernel} with stride {stride} and padding {pad} does "
                         f"not fit an input of {size}.")
    return out


class Conv2DLoop:
    """Cross-correlation with stride and zero padding, in plain loops."""

    def __init__(self, w: np.ndarray, b: np.ndarray, stride: int = 1, pad: int = 0) -> None:
        self.w, self.b, self.stride, self.pad = w, b, stride, pad

    def forward(self, x: np.ndarray) -> np.ndarray:
        F, _, HH, WW = self.w.shape
        N, _, H, W = x.shape
        s, p = self.stride, self.pad
        H_out, W_out = output_size(H, HH, s, p), output_size(W, WW, s, p)
        self.x_pad = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
        out = np.empty((N, F, H_out, W_out), dtype=np.result_type(x, self.w))
        for n in range(N):
            for f in range(F):
                for i in range(H_out):
                    for j in range(W_out):
                        patch = self.x_pad[n, :, i * s:i * s + HH, j * s:j * s + WW]
                        out[n, f, i, j] = (patch * self.w[f]).sum() + self.b[f]
        return out

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        """dL/dx (N, C, H, W) from dL/dout; sets grad_w and grad_b."""
        F, _, HH, WW = self.w.shape
        N, _, H_out, W_out = grad_out.shape
        s, p = self.stride, self.pad
        dx_pad = np.zeros_like(self.x_pad, dtype=np.result_type(grad_out, self.w))
        self.grad_w = np.zeros_like(self.w, dtype=dx_pad.dtype)
        self.grad_b = grad_out.sum(axis=(0, 2, 3))
        for n in range(N):
            for f in range(F):
                for i in range(H_out):
                    for j in range(W_out):
                        window = (n, slice(None), slice(i * s, i * s + HH),
                                  slice(j * s, j * s + WW))
                        self.grad_w[f] += grad_out[n, f, i, j] * self.x_pad[window]
                        dx_pad[window] += grad_out[n, f, i, j] * self.w[f]
        return dx_pad[:, :, p:dx_pad.shape[2] - p, p:dx_pad.shape[3] - p]


def im2col(x_pad: np.ndarray, HH: int, WW: int, stride: int) -> np.ndarray:
    """Every patch of x_pad (N, C, Hp, Wp) as a row: (N * H_out * W_out, C * HH * WW)."""
    N, C, Hp, Wp = x_pad.shape
    H_out, W_out = (Hp - HH) // stride + 1, (Wp - WW) // stride + 1
    s = x_pad.strides
    patches = np.lib.stride_tricks.as_strided(
        x_pad, shape=(N, H_out, W_out, C, HH, WW),
        strides=(s[0], s[2] * stride, s[3] * stride, s[1], s[2], s[3]), writeable=False)
    return patches.reshape(N * H_out * W_out, C * HH * WW)


def col2im(cols: np.ndarray, shape: tuple[int, ...], HH: int, WW: int,
           stride: int) -> np.ndarray:
    """The adjoint of ``im2col``: each row's values added back at its patch's place."""
    N, C, Hp, Wp = shape
    H_out, W_out = (Hp - HH) // stride + 1, (Wp - WW) // stride + 1
    patches = cols.reshape(N, H_out, W_out, C, HH, WW)
    out = np.zeros(shape, dtype=cols.dtype)
    for p in range(HH):  # one strided add per kernel position: HH * WW passes, no patch loop
        for q in range(WW):
            out[:, :, p:p + stride * H_out:stride, q:q + stride * W_out:stride] += \
                patches[:, :, :, :, p, q].transpose(0, 3, 1, 2)
    return out


class Conv2D:
    """Cross-correlation with stride and zero padding, by im2col and one matrix product."""

    def __init__(self, w: np.ndarray, b: np.ndarray, stride: int = 1, pad: int = 0) -> None:
        self.w, self.b, self.stride, self.pad = w, b, stride, pad

    def forward(self, x: np.ndarray) -> np.ndarray:
        F, C, HH, WW = self.w.shape
        N, _, H, W = x.shape
        s, p = self.stride, self.pad
        H_out, W_out = output_size(H, HH, s, p), output_size(W, WW, s, p)
        x_pad = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
        self.padded_shape = x_pad.shape
        self.cols = im2col(x_pad, HH, WW, s)
        out = self.cols @ self.w.reshape(F, -1).T + self.b
        return out.reshape(N, H_out, W_out, F).transpose(0, 3, 1, 2)

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        """dL/dx (N, C, H, W) from dL/dout; sets grad_w and grad_b."""
        F, C, HH, WW = self.w.shape
        dout = grad_out.transpose(0, 2, 3, 1).reshape(-1, F)
        self.grad_w = (dout.T @ self.cols).reshape(self.w.shape)
        self.grad_b = dout.sum(axis=0)
        dx_pad = col2im(dout @ self.w.reshape(F, -1), self.padded_shape, HH, WW, self.stride)
        p = self.pad
        return dx_pad[:, :, p:dx_pad.shape[2] - p, p:dx_pad.shape[3] - p]
