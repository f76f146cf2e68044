"""Inverted dropout, the layer scikit-learn's MLP does not have (scikit-learn #6175)."""

import numpy as np


class Dropout:
    """Training: h * keep / (1 - rate), keep ~ Bernoulli(1 - rate); prediction: h unchanged.

    Dividing by 1 - rate at training time keeps each unit's expected value, so nothing changes
    at prediction time. backward multiplies by the same scaled mask: a kept unit passes its
    gradient on times 1 / (1 - rate), a dropped one passes nothing. Same arithmetic as
    ``torch.nn.functional.dropout``: input * (mask / (1 - p)).
    """

    def __init__(self, rate: float, rng: np.random.Generator | None = None) -> None:
        self.rate = rate
        self.rng = np.random.default_rng() if rng is None else rng
        self.scale = None

    def forward(self, h: np.ndarray, training: bool = True,
                keep: np.ndarray | None = None) -> np.ndarray:
        """Apply dropout to h (n_samples, n_units) in place; ``keep`` forces a given mask."""
        if not training or self.rate == 0:
            self.scale = None
            return h
        if keep is None:
            keep = self.rng.random(h.shape) >= self.rate
        self.scale = keep * np.asarray(1.0 / (1.0 - self.rate), dtype=h.dtype)
        h *= self.scale
        return h

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        if self.scale is not None:
            grad_out *= self.scale
        return grad_out
