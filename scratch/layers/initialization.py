"""Weight initialisation exactly as scikit-learn's MLP does it."""

import numpy as np
from numpy.typing import DTypeLike


def glorot_uniform(layer_units: list[int], activation: str,
                   random_state: np.random.RandomState,
                   dtype: DTypeLike = np.float64) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Draw (coefs, intercepts) as scikit-learn's ``_init_coef`` does, layer by layer.

    For each layer, bound = sqrt(f / (fan_in + fan_out)) with f = 2 for the logistic
    activation and 6 otherwise (Glorot and Bengio, 2010); then W ~ U(-bound, bound) of shape
    (fan_in, fan_out) and, unlike Glorot's paper, the bias too: b ~ U(-bound, bound). The draws
    come from ``random_state`` in the order W0, b0, W1, b1, ... in float64, then are cast to
    ``dtype``, so a float32 fit starts from the rounded float64 weights.
    """
    factor = 2.0 if activation == "logistic" else 6.0
    coefs, intercepts = [], []
    for fan_in, fan_out in zip(layer_units[:-1], layer_units[1:]):
        bound = np.sqrt(factor / (fan_in + fan_out))
        W = random_state.uniform(-bound, bound, (fan_in, fan_out))
        b = random_state.uniform(-bound, bound, fan_out)
        coefs.append(W.astype(dtype, copy=False))
        intercepts.append(b.astype(dtype, copy=False))
    return coefs, intercepts


def torch_uniform(layer_units: list[int], activation: str,
                  random_state: np.random.RandomState,
                  dtype: DTypeLike = np.float64) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """``nn.Linear``'s default scheme, drawn with NumPy: W and b ~ U(+-1 / sqrt(fan_in)).

    (kaiming_uniform with a = sqrt(5) gives bound = sqrt(1/3) * sqrt(3 / fan_in).) The same
    distribution torch uses, not torch's random numbers; the activation does not matter.
    """
    coefs, intercepts = [], []
    for fan_in, fan_out in zip(layer_units[:-1], layer_units[1:]):
        bound = 1.0 / np.sqrt(fan_in)
        W = random_state.uniform(-bound, bound, (fan_in, fan_out))
        b = random_state.uniform(-bound, bound, fan_out)
        coefs.append(W.astype(dtype, copy=False))
        intercepts.append(b.astype(dtype, copy=False))
    return coefs, intercepts
