"""Layer normalisation (Ba, Kiros and Hinton, 2016), forward and backward side by side.

Each sample is normalised over its own features (the last axes, as
``torch.nn.LayerNorm(normalized_shape)``): the biased variance, eps inside the square root,
then a per-feature scale and shift. Nothing is kept across batches, so training and
prediction compute the same thing:

    x_hat = (x - mean_i) / sqrt(var_i + eps),    y = gamma * x_hat + beta

The backward pass is batch normalisation's with the roles of the axes exchanged: the
statistics, and so the two extra paths, run over the features of each sample.

Shapes: x is (N, *normalized_shape); gamma and beta are normalized_shape.
"""

import numpy as np


class LayerNorm:
    """Layer normalisation over the last ``len(normalized_shape)`` axes."""

    def __init__(self, normalized_shape: int | tuple[int, ...], eps: float = 1e-5) -> None:
        shape = (normalized_shape,) if isinstance(normalized_shape, int) else \
            tuple(normalized_shape)
        self.gamma, self.beta, self.eps = np.ones(shape), np.zeros(shape), eps

    def forward(self, x: np.ndarray) -> np.ndarray:
        """y, shaped like x."""
        axes = tuple(range(x.ndim - self.gamma.ndim, x.ndim))
        mean = x.mean(axis=axes, keepdims=True)
        var = x.var(axis=axes, keepdims=True)
        self.axes, self.std = axes, np.sqrt(var + self.eps)
        self.x_hat = (x - mean) / self.std
        return self.gamma * self.x_hat + self.beta

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        """dL/dx from dL/dy; sets grad_gamma and grad_beta (normalized_shape)."""
        batch_axes = tuple(range(grad_out.ndim - self.gamma.ndim))
        count = int(np.prod([grad_out.shape[a] for a in self.axes]))
        self.grad_gamma = (grad_out * self.x_hat).sum(axis=batch_axes)
        self.grad_beta = grad_out.sum(axis=batch_axes)
        dx_hat = grad_out * self.gamma
        sum_dx_hat = dx_hat.sum(axis=self.axes, keepdims=True)
        sum_dx_hat_x_hat = (dx_hat * self.x_hat).sum(axis=self.axes, keepdims=True)
        return (count * dx_hat - sum_dx_hat - self.x_hat * sum_dx_hat_x_hat) / (count * self.std)
