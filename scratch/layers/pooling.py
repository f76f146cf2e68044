"""2-D max pooling, forward and backward side by side: the lecture's max gate on windows.

Each window of the input passes on its largest value; backward routes the whole upstream
gradient to that one position (the max gate is a gradient router) and nothing to the rest.
Where a window holds its maximum twice, one position gets it all: the first in row-major
order, as ``torch.nn.functional.max_pool2d`` (and NumPy's ``argmax``) choose.

Two versions that compute the same numbers: ``MaxPool2DLoop``, plain loops to read, and
``MaxPool2D``, every window a row (the im2col of ``scratch.layers.conv``) to run.
Shapes: x (N, C, H, W); out (N, C, H_out, W_out), H_out = (H + 2 pad - size) // stride + 1;
padding (as torch's) adds -inf, which is never a window's maximum.
"""

import numpy as np

from scratch.layers.conv import col2im, im2col, output_size


class _Windows:
    """A pooling layer's windows: size_h x size_w, moved by stride, over an input padded by pad
    on each side (the stride defaults to the window's height: windows that do not overlap)."""

    def __init__(self, size: int | tuple[int, int] = 2, stride: int | None = None,
                 pad: int = 0) -> None:
        self.size = (size, size) if isinstance(size, int) else tuple(size)
        self.stride = self.size[0] if stride is None else stride
        self.pad = pad


class MaxPool2DLoop(_Windows):
    """Max pooling over size_h x size_w windows, in plain loops."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        (HH, WW), s, p = self.size, self.stride, self.pad
        N, C, H, W = x.shape
        H_out, W_out = output_size(H, HH, s, p), output_size(W, WW, s, p)
        self.x_pad = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)), constant_values=-np.inf)
        out = np.empty((N, C, H_out, W_out), dtype=x.dtype)
        for i in range(H_out):
            for j in range(W_out):
                window = self.x_pad[:, :, i * s:i * s + HH, j * s:j * s + WW]
                out[:, :, i, j] = window.max(axis=(2, 3))
        return out

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        """dL/dx: each window's upstream gradient to the first position of its maximum."""
        (HH, WW), s, p = self.size, self.stride, self.pad
        N, C, H_out, W_out = grad_out.shape
        dx_pad = np.zeros(self.x_pad.shape, dtype=grad_out.dtype)
        for n in range(N):
            for c in range(C):
                for i in range(H_out):
                    for j in range(W_out):
                        window = self.x_pad[n, c, i * s:i * s + HH, j * s:j * s + WW]
                        a, b = np.unravel_index(np.argmax(window), window.shape)
                        dx_pad[n, c, i * s + a, j * s + b] += grad_out[n, c, i, j]
        return dx_pad[:, :, p:dx_pad.shape[2] - p, p:dx_pad.shape[3] - p]


class MaxPool2D(_Windows):
    """Max pooling by im2col: every window a row, its argmax the routing."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        (HH, WW), s, p = self.size, self.stride, self.pad
        N, C, H, W = x.shape
        H_out, W_out = output_size(H, HH, s, p), output_size(W, WW, s, p)
        x_pad = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)), constant_values=-np.inf)
        self.padded_shape = x_pad.shape
        # one channel at a time as its own "image": rows (N * C * H_out * W_out, HH * WW)
        cols = im2col(x_pad.reshape(N * C, 1, *x_pad.shape[2:]), HH, WW, s)
        self.argmax = cols.argmax(axis=1)
        out = cols[np.arange(len(cols)), self.argmax]
        return out.reshape(N, C, H_out, W_out)

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        """dL/dx: each window's upstream gradient to the first position of its maximum."""
        (HH, WW), s, p = self.size, self.stride, self.pad
        N, C, Hp, Wp = self.padded_shape
        cols = np.zeros((grad_out.size, HH * WW), dtype=grad_out.dtype)
        cols[np.arange(grad_out.size), self.argmax] = grad_out.ravel()
        dx_pad = col2im(cols, (N * C, 1, Hp, Wp), HH, WW, s).reshape(N, C, Hp, Wp)
        return dx_pad[:, :, p:Hp - p, p:Wp - p]
