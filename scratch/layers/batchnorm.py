"""Batch normalisation (Ioffe and Szegedy, 2015), forward and backward side by side.

Training normalises each feature with the batch's own mean and *biased* variance (divided
by N), eps inside the square root, then scales and shifts:

    x_hat = (x - mean) / sqrt(var + eps),    y = gamma * x_hat + beta

and keeps running statistics for prediction the way ``torch.nn.BatchNorm1d/2d`` does:
``running = (1 - momentum) * running + momentum * batch``, momentum 0.1, the running variance
updated with the *unbiased* batch variance (divided by N - 1). Keras writes the same update
with ``momentum=0.99`` meaning the weight of the old value; CS231n's assignment uses
``momentum * running + (1 - momentum) * batch`` with 0.9 and the biased variance:
``momentum_convention="keep"`` follows that one. Prediction normalises with the running
statistics.

The backward pass is the graph of the lecture's gates: x reaches y along three paths (through
x_hat directly, through the mean, through the variance), and the copy gate adds them:

    dx = (1 / N) * (gamma / std) * (N * dx_hat - sum(dx_hat) - x_hat * sum(dx_hat * x_hat))

Shapes: x is (N, D) (per feature) or (N, C, H, W) (per channel, statistics over N, H, W, as
``BatchNorm2d``); gamma and beta are (D,) or (C,).
"""

import numpy as np


class BatchNorm:
    """Batch normalisation over axis 0 (and the spatial axes of an (N, C, H, W) input)."""

    def __init__(self, n_features: int, eps: float = 1e-5, momentum: float = 0.1,
                 momentum_convention: str = "torch") -> None:
        if momentum_convention not in ("torch", "keep"):
            raise ValueError("momentum_convention must be 'torch' (running = (1 - m) running "
                             "+ m batch) or 'keep' (running = m running + (1 - m) batch).")
        self.gamma, self.beta = np.ones(n_features), np.zeros(n_features)
        self.eps, self.momentum, self.convention = eps, momentum, momentum_convention
        self.running_mean, self.running_var = np.zeros(n_features), np.ones(n_features)

    @staticmethod
    def _axes(x: np.ndarray) -> tuple[int, ...]:
        return (0,) if x.ndim == 2 else (0, 2, 3)

    @staticmethod
    def _shaped(v: np.ndarray, x: np.ndarray) -> np.ndarray:
        """A per-feature vector shaped to broadcast against x."""
        return v if x.ndim == 2 else v.reshape(1, -1, 1, 1)

    def forward(self, x: np.ndarray, training: bool = True) -> np.ndarray:
        """y, shaped like x; in training, also updates the running statistics."""
        axes = self._axes(x)
        if training:
            mean, var = x.mean(axis=axes), x.var(axis=axes)  # biased: divided by N
            count = x.size // x.shape[1]
            unbiased = var * count / max(count - 1, 1)
            w = self.momentum if self.convention == "torch" else 1 - self.momentum
            self.running_mean = (1 - w) * self.running_mean + w * mean
            self.running_var = (1 - w) * self.running_var + w * unbiased
        else:
            mean, var = self.running_mean, self.running_var
        self.std = np.sqrt(self._shaped(var, x) + self.eps)
        self.x_hat = (x - self._shaped(mean, x)) / self.std
        return self._shaped(self.gamma, x) * self.x_hat + self._shaped(self.beta, x)

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        """dL/dx from dL/dy (a training forward's batch statistics); sets grad_gamma,
        grad_beta (n_features,)."""
        axes = self._axes(grad_out)
        count = grad_out.size // grad_out.shape[1]
        self.grad_gamma = (grad_out * self.x_hat).sum(axis=axes)
        self.grad_beta = grad_out.sum(axis=axes)
        dx_hat = grad_out * self._shaped(self.gamma, grad_out)
        sum_dx_hat = dx_hat.sum(axis=axes, keepdims=True)
        sum_dx_hat_x_hat = (dx_hat * self.x_hat).sum(axis=axes, keepdims=True)
        return (count * dx_hat - sum_dx_hat - self.x_hat * sum_dx_hat_x_hat) / (count * self.std)
