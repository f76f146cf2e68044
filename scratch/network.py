"""The multilayer perceptron as a stack of layers, and scikit-learn's objective on top of it."""

from typing import Any

import numpy as np
from numpy.typing import DTypeLike

from scratch.layers.activations import make_activation
from scratch.layers.dense import Dense
from scratch.layers.dropout import Dropout
from scratch.layers.losses import Loss


class Network:
    """Dense layers with a hidden activation (and dropout) after each but the last, and a loss.

    All weights live in one flat vector ``params``, packed as scikit-learn packs them for
    L-BFGS: every coefficient matrix (row-major) first, then every intercept vector.
    ``coefs[i]`` (n_in, n_out) and ``intercepts[i]`` (n_out,) are views into it, and ``grads``
    mirrors it, so an optimizer updates the whole network in one vectorised operation.

    Parameters
    ----------
    layer_units : list of int
        [n_features, *hidden_layer_sizes, n_outputs].
    activation : str
        Hidden activation name (see ``scratch.layers.activations.ACTIVATIONS``).
    loss : object
        One of ``scratch.layers.losses``; it supplies the output non-linearity.
    dtype : numpy dtype
    negative_slope : float
        Slope of ``leaky_relu`` below zero.
    dropout : float
        Dropout rate after each hidden activation, used only when training.
    rng : numpy Generator
        Draws the dropout masks.
    """

    def __init__(self, layer_units: list[int], activation: str, loss: Loss,
                 dtype: DTypeLike = np.float64, negative_slope: float = 0.01,
                 dropout: float = 0.0, rng: np.random.Generator | None = None) -> None:
        self.layer_units = list(layer_units)
        self.loss = loss
        shapes = list(zip(self.layer_units[:-1], self.layer_units[1:]))
        self.n_coef = sum(n_in * n_out for n_in, n_out in shapes)
        self.params = np.zeros(self.n_coef + sum(self.layer_units[1:]), dtype=dtype)
        self.grads = np.zeros_like(self.params)
        self.coefs, self.intercepts, self.layers = [], [], []
        coef_start, intercept_start = 0, self.n_coef
        for n_in, n_out in shapes:
            W = self._view(self.params, coef_start, (n_in, n_out))
            b = self._view(self.params, intercept_start, (n_out,))
            grad_W = self._view(self.grads, coef_start, (n_in, n_out))
            grad_b = self._view(self.grads, intercept_start, (n_out,))
            self.coefs.append(W)
            self.intercepts.append(b)
            self.layers.append(Dense(W, b, grad_W, grad_b))
            coef_start += n_in * n_out
            intercept_start += n_out
        n_hidden = len(shapes) - 1
        self.hidden = [make_activation(activation, negative_slope) for _ in range(n_hidden)]
        self.dropout = [Dropout(dropout, rng) for _ in range(n_hidden)]
        self._buffers = {}  # per-layer work arrays, reused from batch to batch
        self._flat_tmp = np.empty_like(self.params)

    def _buffer(self, key, n_rows, width):
        """A (n_rows, width) work array for ``key``, grown only when a batch is larger."""
        buffer = self._buffers.get(key)
        if buffer is None or len(buffer) < n_rows:
            buffer = self._buffers[key] = np.empty((n_rows, width), dtype=self.params.dtype)
        return buffer if len(buffer) == n_rows else buffer[:n_rows]

    @staticmethod
    def _view(flat, start, shape):
        return flat[start : start + int(np.prod(shape))].reshape(shape)

    @classmethod
    def from_weights(cls, coefs: list[np.ndarray], intercepts: list[np.ndarray], activation: str,
                     loss: Loss, dtype: DTypeLike | None = None, **kwargs: Any) -> "Network":
        """A network holding a copy of the given weights (scikit-learn's layout), in their
        dtype or in ``dtype``."""
        layer_units = [coefs[0].shape[0]] + [W.shape[1] for W in coefs]
        net = cls(layer_units, activation, loss, dtype or coefs[0].dtype, **kwargs)
        net.set_weights(coefs, intercepts)
        return net

    def set_weights(self, coefs: list[np.ndarray], intercepts: list[np.ndarray]) -> None:
        """Copy coefs (n_in, n_out) and intercepts (n_out,) into the flat buffer."""
        for mine, theirs in zip(self.coefs + self.intercepts, list(coefs) + list(intercepts)):
            if mine.shape != np.shape(theirs):
                raise ValueError(
                    f"A weight of shape {np.shape(theirs)} cannot go where the network "
                    f"{self.layer_units} has shape {mine.shape}."
                )
            mine[...] = theirs

    def flat_params(self) -> np.ndarray:
        """A copy of the flat parameter vector (scikit-learn's L-BFGS packing)."""
        return self.params.copy()

    def set_flat_params(self, flat: np.ndarray) -> None:
        self.params[...] = flat

    def flat_grads(self) -> np.ndarray:
        """A copy of the flat gradient vector, packed like ``flat_params``."""
        return self.grads.copy()

    def forward(self, X: np.ndarray, training: bool = False) -> np.ndarray:
        """Return the outputs p, shape (n_samples, n_outputs), for X (n_samples, n_features).

        ``training`` switches dropout on.
        """
        h, n = X, X.shape[0]
        for i, layer in enumerate(self.layers):
            z = layer.forward(h, out=self._buffer(("z", i), n, self.layer_units[i + 1]))
            if i < len(self.hidden):
                h = self.dropout[i].forward(self.hidden[i].forward(z), training)
            else:
                h = self.loss.forward(z)
        return h

    def backward(self, delta: np.ndarray) -> None:
        """Fill ``grads`` with the gradient of the summed loss, given delta = dL/dz (output).

        Each layer turns its upstream gradient into a downstream one: Dense hands back
        delta W^T, dropout masks it, the activation multiplies it by its local derivative.
        """
        n = delta.shape[0]
        for i in reversed(range(len(self.layers))):
            out = self._buffer(("grad", i), n, self.layer_units[i]) if i > 0 else None
            delta = self.layers[i].backward(delta, need_grad_in=i > 0, out=out)
            if i > 0:
                delta = self.hidden[i - 1].backward(self.dropout[i - 1].backward(delta))

    def l2_penalty(self, include_intercepts: bool = False) -> float:
        """sum over layers of ||W||^2 (and ||b||^2 if asked)."""
        total = 0
        for W in self.coefs + (self.intercepts if include_intercepts else []):
            w = W.ravel()
            total += np.dot(w, w)
        return total

    def loss_value(self, X: np.ndarray, y: np.ndarray,
                   sample_weight: np.ndarray | None = None) -> float:
        """The data loss alone (no penalty, no dropout), e.g. on held-out data."""
        return self.loss.loss(y, self.forward(X), sample_weight)

    defers_scaling = True  # loss_and_gradients(..., scale=False): see scale_gradients

    def loss_and_gradients(self, X: np.ndarray, y: np.ndarray, alpha: float = 0.0,
                           sample_weight: np.ndarray | None = None, training: bool = False,
                           l2: str = "sklearn", batch_size: int | None = None,
                           scale: bool = True) -> float:
        """scikit-learn's objective for one batch, and its gradient left in ``grads``.

        loss = data loss (mean over samples) + alpha / (2 n) * sum ||W||^2, where n is the
        number of samples, or the sum of the sample weights when they are given;
        grad_W = (X^T delta + alpha W) / n and grad_b = sum_i delta / n, layer by layer.
        ``scale=False`` (scikit-learn's L2 only) leaves ``grads`` as the sums X^T delta and
        sum_i delta, for an optimizer that applies ``scale_gradients`` in its own pass.
        ``l2`` picks another convention (see ``scratch.conventions``; ``batch_size`` is the
        nominal one for "fixed_batch"); ``training`` switches dropout on.
        """
        p = self.forward(X, training)
        n = X.shape[0] if sample_weight is None else sample_weight.sum()
        loss = self.loss.loss(y, p, sample_weight)
        delta = self._buffer("delta", p.shape[0], p.shape[1])
        self.backward(self.loss.backward(y, p, sample_weight, out=delta))
        if l2 == "sklearn":  # scikit-learn's own order of operations, to the last bit
            if alpha:  # (with alpha = 0 the penalty adds exact zeros: skipped)
                loss += (0.5 * alpha) * self.l2_penalty() / n
            if scale:
                scale_gradients(self.params, self.grads, self.n_coef, alpha, n, self._flat_tmp)
            return loss
        self.grads /= n
        if l2 == "decoupled":  # AdamW: the optimizer decays the weights itself
            return loss
        with_biases = l2 in ("with_biases", "weight_decay")
        size = self.params.size if with_biases else self.n_coef
        scale = alpha / {"fixed_batch": batch_size, "with_biases": n, "weight_decay": 1}[l2]
        self.grads[:size] += scale * self.params[:size]
        return loss + 0.5 * scale * self.l2_penalty(with_biases)


def scale_gradients(params: np.ndarray, grads: np.ndarray, n_coef: int, alpha: float,
                    n: float, tmp: np.ndarray) -> None:
    """scikit-learn's last step of the gradient, in its order of operations: the weights'
    grads[:n_coef] become (sum + alpha W) / n, the intercepts' sum / n. ``tmp`` is a work
    array as long as ``params``."""
    if alpha:
        penalty = np.multiply(params[:n_coef], alpha, out=tmp[:n_coef])
        grads[:n_coef] += penalty
    grads /= n


def unpack_flat(flat: np.ndarray, coef_shapes: list[tuple[int, int]]
                ) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """A flat vector packed as scikit-learn packs its parameters (every coefficient matrix,
    row-major, then every intercept vector) as (coefs, intercepts): coefs shaped
    ``coef_shapes`` (n_in, n_out), intercepts (n_out,). Copies."""
    shapes = list(coef_shapes) + [(shape[1],) for shape in coef_shapes]
    pieces, start = [], 0
    for shape in shapes:
        size = int(np.prod(shape))
        pieces.append(np.array(flat[start : start + size]).reshape(shape))
        start += size
    return pieces[: len(coef_shapes)], pieces[len(coef_shapes) :]
