"""What a fitted estimator computes: its outputs, its score, its objective and gradients at
the current weights, and its model file."""

import os
from typing import Self

import numpy as np
from numpy.typing import ArrayLike
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data

from scratch.files.persistence import MAX_BYTES, load_model, save_model
from scratch.network import unpack_flat
from scratch.training import full_batch_objective


class FittedMLPMixin:
    """The uses of the fitted network, for ``BaseMLP`` (it reads ``coefs_``,
    ``intercepts_`` and the hooks ``_network``, ``_predict`` and ``_encode_targets``)."""

    def _forward_pass_fast(self, X, check_input=True):
        """The network's outputs, shape (n_samples, n_outputs)."""
        if check_input:
            X = validate_data(self, X, accept_sparse=["csr", "csc"], reset=False)
        # NumPy's promotion, as in scikit-learn: float64 input through a float32 model is
        # computed (and returned) in float64
        return self._network(dtype=np.result_type(X.dtype, self.coefs_[0].dtype)).forward(X)

    def _score_with_function(self, X, y, sample_weight, score_function):
        y_pred = self._predict(X, check_input=False)
        if np.issubdtype(y_pred.dtype, np.floating) and not np.isfinite(y_pred).all():
            return np.nan
        return score_function(y, y_pred, sample_weight=sample_weight)

    def loss_and_gradients(self, X: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None = None
                           ) -> tuple[float, list[np.ndarray], list[np.ndarray]]:
        """scikit-learn's objective and its gradients at the current ``coefs_``/``intercepts_``.

        Returns ``(loss, coef_grads, intercept_grads)``: loss = mean data loss +
        alpha / (2 n) * sum ||W||^2 (n = n_samples, or the sum of ``sample_weight``),
        ``coef_grads[i]`` shaped like ``coefs_[i]`` (n_in, n_out) and ``intercept_grads[i]``
        like ``intercepts_[i]`` (n_out,). Nothing is updated. Point your own backward pass
        at this function.
        """
        check_is_fitted(self)
        X = validate_data(self, X, accept_sparse=["csr", "csc"], reset=False,
                          dtype=(np.float64, np.float32))
        y = self._encode_targets(y)
        if y.ndim == 1:
            y = y.reshape((-1, 1))
        if sample_weight is not None:
            sample_weight = _check_sample_weight(sample_weight, X)
        if y.shape != (X.shape[0], self.n_outputs_):
            raise ValueError(
                f"y has shape {y.shape}; expected ({X.shape[0]}, {self.n_outputs_}) after "
                "encoding, one row per sample of X."
            )
        net = self._network()
        loss = net.loss_and_gradients(X, y, self.alpha, sample_weight)
        return loss, *unpack_flat(net.flat_grads(), [W.shape for W in self.coefs_])

    def _loss_grad_lbfgs(self, packed_coef_inter, X, y, sample_weight, activations, deltas,
                         coef_grads, intercept_grads):
        """scikit-learn's private L-BFGS objective, (loss, packed gradient) at the packed
        weights, which its own ``test_gradient`` calls; y is the encoded target. The last
        four arguments are scikit-learn's work arrays, not needed here."""
        net = self._network()
        objective = full_batch_objective(net, X, y, self.alpha, sample_weight,
                                         self._fitted_conventions()["l2"])
        return objective(packed_coef_inter)

    # --- model files ---------------------------------------------------------------------

    def save(self, path: str | os.PathLike) -> None:
        """Write the fitted model to ``path`` as ``.npz`` (no pickle: safe to share). The file
        is replaced only once the new one is complete."""
        save_model(self, path)

    @classmethod
    def load(cls, path: str | os.PathLike, max_bytes: int = MAX_BYTES) -> Self:
        """A new estimator of this class with the model saved at ``path`` (by scratch or by
        the torch twin), ready to predict and to train on. Refuses malformed, inconsistent,
        mismatched or newer-version files, and files whose arrays exceed ``max_bytes``, with a
        ``ValueError``."""
        return load_model(cls, path, max_bytes)
