"""The loops of ``scratch.optim.fused``, compiled by numba (importing this module needs numba).

Each applies to every element the operations of the NumPy code it replaces, in its order:
``finish`` is ``scratch.network.scale_gradients``, ``adam`` is ``scratch.optim.adam.Adam.step``
(scikit-learn's epsilon), ``sgd`` is ``scratch.optim.sgd.SGD.step`` (scikit-learn's velocity).
"""

import numpy as np
from numba import njit

OPTIONS = dict(error_model="numpy", cache=True, nogil=True)  # no fastmath: IEEE, no FMA


@njit(**OPTIONS)
def finish(params, grads, scale, n_coef, alpha, n):
    """grads <- (grads + alpha params) / n on the first n_coef, grads / n after."""
    if not scale:
        return
    if alpha != 0:
        for i in range(n_coef):
            grads[i] = (grads[i] + params[i] * alpha) / n
    else:
        for i in range(n_coef):
            grads[i] = grads[i] / n
    for i in range(n_coef, grads.shape[0]):
        grads[i] = grads[i] / n


@njit(**OPTIONS)
def adam(params, grads, m, v, b1, b2, one_minus_b1, one_minus_b2, lr, eps, scale,
         n_coef, alpha, n):
    """m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2;  p -= lr m / (sqrt(v) + eps)."""
    finish(params, grads, scale, n_coef, alpha, n)
    for i in range(params.shape[0]):
        g = grads[i]
        m_i = m[i] * b1 + g * one_minus_b1
        v_i = v[i] * b2 + (g * g) * one_minus_b2
        m[i] = m_i
        v[i] = v_i
        params[i] -= (m_i * lr) / (np.sqrt(v_i) + eps)


@njit(**OPTIONS)
def sgd(params, grads, velocity, lr, momentum, nesterov, scale, n_coef, alpha, n):
    """v = mu v - lr g;  p += (mu v - lr g) if nesterov else v."""
    finish(params, grads, scale, n_coef, alpha, n)
    for i in range(params.shape[0]):
        lr_g = grads[i] * lr
        v_i = velocity[i] * momentum - lr_g
        velocity[i] = v_i
        params[i] += v_i * momentum - lr_g if nesterov else v_i
