"""The chapter's network the way the textbook writes it, for checking and for comparing.

One hidden layer of logistic units, one logistic output per class against one-hot targets,
the cost **summed** over the minibatch, an L2 term on the weights (not the biases), weights
of shape (n_in, n_out) so that z = X W + b, and plain gradient descent. It is written the
way a student writes it after reading the chapter, small methods a reader can replace one at
a time (``sigmoid_derivative`` is the one the classic mistake lives in), and it keeps the
chapter's one inconsistency on purpose: the cost adds ``l2 * sum W^2`` while the update
adds ``l2 * W``, the gradient of ``l2 / 2 * sum W^2``. ``reference.check_backprop`` finds it
(docs/checking.md).
"""

import numpy as np


class TextbookNet:
    """params = [W_h (n_features, n_hidden), b_h (n_hidden,), W_out (n_hidden, n_classes),
    b_out (n_classes,)]; X is (n_samples, n_features), Y one-hot (n_samples, n_classes)."""

    def __init__(self, l2: float = 0.01, eta: float = 0.0005) -> None:
        self.l2, self.eta = l2, eta

    @staticmethod
    def init(n_features: int, n_hidden: int, n_classes: int, seed: int = 1) -> list[np.ndarray]:
        """The chapter's initial weights: W ~ N(0, 0.1), biases 0."""
        rng = np.random.RandomState(seed)
        return [rng.normal(0.0, 0.1, (n_features, n_hidden)), np.zeros(n_hidden),
                rng.normal(0.0, 0.1, (n_hidden, n_classes)), np.zeros(n_classes)]

    def sigmoid(self, z: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-np.clip(z, -250, 250)))

    def sigmoid_derivative(self, z: np.ndarray, a: np.ndarray) -> np.ndarray:
        """d sigmoid(z) / dz, read from the unit's output a = sigmoid(z): a (1 - a)."""
        return a * (1.0 - a)

    def forward(self, params: list[np.ndarray], X: np.ndarray) -> tuple[np.ndarray, ...]:
        """(z_h, a_h, z_out, a_out): pre-activations and outputs of both layers."""
        W_h, b_h, W_out, b_out = params
        z_h = X @ W_h + b_h
        a_h = self.sigmoid(z_h)
        z_out = a_h @ W_out + b_out
        return z_h, a_h, z_out, self.sigmoid(z_out)

    def cost(self, params: list[np.ndarray], X: np.ndarray, Y: np.ndarray) -> float:
        """Cross-entropy summed over the batch and the outputs, plus l2 * sum W^2."""
        a_out = self.forward(params, X)[3]
        data = -np.sum(Y * np.log(a_out) + (1.0 - Y) * np.log(1.0 - a_out))
        return float(data + self.l2 * (np.sum(params[0] ** 2) + np.sum(params[2] ** 2)))

    def gradients(self, params: list[np.ndarray], X: np.ndarray, Y: np.ndarray
                  ) -> tuple[float, list[np.ndarray]]:
        """(cost, [dW_h, db_h, dW_out, db_out]) by backpropagation, summed over the batch."""
        W_h, _, W_out, _ = params
        z_h, a_h, _, a_out = self.forward(params, X)
        delta_out = a_out - Y                                   # sigmoid + cross-entropy
        delta_h = (delta_out @ W_out.T) * self.sigmoid_derivative(z_h, a_h)
        grads = [X.T @ delta_h + self.l2 * W_h, delta_h.sum(axis=0),
                 a_h.T @ delta_out + self.l2 * W_out, delta_out.sum(axis=0)]
        return self.cost(params, X, Y), grads

    def step(self, params: list[np.ndarray], X: np.ndarray, Y: np.ndarray) -> list[np.ndarray]:
        """One minibatch of gradient descent: new params = params - eta * gradients."""
        _, grads = self.gradients(params, X, Y)
        return [p - self.eta * g for p, g in zip(params, grads)]
