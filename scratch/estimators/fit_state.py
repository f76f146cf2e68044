"""What a first fit sets before training: the bookkeeping attributes and the weights.

``initialize`` gives a new estimator its counters (``n_iter_``, ``t_``), its curves
(``loss_curve_``, ``validation_scores_``, ...) and best-so-far values exactly as scikit-learn's
``_initialize`` does, and draws the initial weights; ``set_initial_weights`` replaces them
with the caller's ``coefs_init`` / ``intercepts_init``.
"""

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, DTypeLike
from sklearn.base import BaseEstimator

STOCHASTIC_SOLVERS = ("sgd", "adam")


def initialize(est: BaseEstimator, y: np.ndarray, layer_units: list[int], dtype: DTypeLike
               ) -> None:
    """First fit: set ``est``'s bookkeeping attributes (counters, curves, best scores)
    and draw its initial weights."""
    est.n_iter_ = 0
    est.t_ = 0
    est.n_outputs_ = y.shape[1]
    est.n_layers_ = len(layer_units)
    est.out_activation_ = est._out_activation()
    est.coefs_, est.intercepts_ = est._initial_weights(layer_units, dtype)
    est._best_coefs = [W.copy() for W in est.coefs_]
    est._best_intercepts = [b.copy() for b in est.intercepts_]
    if est.solver in STOCHASTIC_SOLVERS:
        est.loss_curve_ = []
        est._no_improvement_count = 0
        if est.early_stopping:
            est.validation_scores_ = []
            est.validation_loss_curve_ = []
            est.best_validation_score_ = -np.inf
            est.best_loss_ = None
        else:
            est.best_loss_ = np.inf
            est.validation_scores_ = None
            est.validation_loss_curve_ = None
            est.best_validation_score_ = None

def set_initial_weights(est: BaseEstimator, coefs: Sequence[ArrayLike],
                        intercepts: Sequence[ArrayLike], layer_units: list[int]) -> None:
    """Start ``est``'s fit from the caller's weights (copied, cast to the fit's dtype)."""
    if coefs is None or intercepts is None:
        raise ValueError("Give both coefs_init and intercepts_init, or neither.")
    expected = list(zip(layer_units[:-1], layer_units[1:]))
    shapes = [np.shape(W) for W in coefs], [np.shape(b) for b in intercepts]
    if shapes != (expected, [(n_out,) for _, n_out in expected]):
        raise ValueError(
            f"coefs_init/intercepts_init have shapes {shapes[0]} / {shapes[1]}; this "
            f"network needs {expected} / {[(n_out,) for _, n_out in expected]}."
        )
    dtype = est.coefs_[0].dtype
    est.coefs_ = [np.array(W, dtype=dtype) for W in coefs]
    est.intercepts_ = [np.array(b, dtype=dtype) for b in intercepts]
    if not all(np.isfinite(w).all() for w in est.coefs_ + est.intercepts_):
        raise ValueError("coefs_init/intercepts_init contain NaN or infinity.")
    est._best_coefs = [W.copy() for W in est.coefs_]
    est._best_intercepts = [b.copy() for b in est.intercepts_]
