"""Vanishing gradients, measured: per-layer gradient norms of a deep network at initialisation.

With the logistic activation every layer multiplies the backward signal by
sigmoid'(z) <= 1/4 (and by Glorot-sized weights), so the first layers' gradients shrink
geometrically with depth; tanh's derivative is at most 1 and shrinks less; ReLU's is exactly
1 where a unit is active, and the gradient norms stay of one order across layers.
"""

import numpy as np

from scratch.layers.initialization import glorot_uniform
from scratch.layers.losses import SoftmaxCrossEntropy
from scratch.network import Network


def layer_gradient_norms(X: np.ndarray, Y: np.ndarray, depth: int, activation: str,
                         width: int = 32, random_state: int = 0) -> np.ndarray:
    """||dL/dW_i|| (Frobenius) for each of the ``depth`` + 1 weight matrices, first to last,
    at scikit-learn's initialisation, for softmax cross-entropy on (X, Y one-hot)."""
    units = [X.shape[1]] + [width] * depth + [Y.shape[1]]
    coefs, intercepts = glorot_uniform(units, activation, np.random.RandomState(random_state))
    net = Network.from_weights(coefs, intercepts, activation, SoftmaxCrossEntropy())
    net.loss_and_gradients(X, Y)
    return np.array([np.linalg.norm(layer.grad_W) for layer in net.layers])


def first_to_last_ratio(X: np.ndarray, Y: np.ndarray, depth: int, activation: str,
                        width: int = 32, random_state: int = 0) -> float:
    """||dL/dW_first|| / ||dL/dW_last||: how much of the gradient reaches the first layer."""
    norms = layer_gradient_norms(X, Y, depth, activation, width, random_state)
    return norms[0] / norms[-1]
