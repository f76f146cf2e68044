"""The training loops: scikit-learn's epoch loop for sgd/adam, and its L-BFGS call.

Both work on a network (the parameters and the objective: scratch's ``Network``, or the
torch twin's) and record what they do on the estimator ``est``, in the fitted attributes
scikit-learn uses: ``n_iter_``, ``t_``, ``loss_``, ``loss_curve_``, ``best_loss_``,
``validation_scores_``, ``best_validation_score_`` (and our ``validation_loss_curve_``), and
the private ``_optimizer`` and ``_no_improvement_count`` that carry over between
``partial_fit`` calls and ``warm_start`` refits exactly as they do in scikit-learn. The
estimator supplies the framework-specific pieces: ``est._new_optimizer(net)`` and
``est._permute(sample_idx)``.
"""

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.base import is_classifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

from scratch.batching import gen_batches, resolve_batch_size
from scratch.optim.adam import Adam
from scratch.optim.lbfgs import minimize_lbfgs
from scratch.optim.sgd import SGD


def make_optimizer(est: Any, params: np.ndarray, conventions: dict) -> SGD | Adam:
    """The optimizer ``est.solver`` names, with fresh state, over the flat ``params``."""
    if est.solver == "sgd":
        return SGD(params, est.learning_rate_init, est.learning_rate, est.momentum,
                   est.nesterovs_momentum, est.power_t, convention=conventions["momentum"])
    decay = est.alpha if conventions["l2"] == "decoupled" else 0.0
    return Adam(params, est.learning_rate_init, est.beta_1, est.beta_2, est.epsilon,
                convention=conventions["adam_epsilon"], weight_decay=decay)


def split_validation(est: Any, X: np.ndarray, y: np.ndarray,
                     sample_weight: np.ndarray | None,
                     random_state: np.random.RandomState) -> tuple[tuple, tuple]:
    """Hold out ``validation_fraction`` of the data, as scikit-learn does.

    Returns (X_train, y_train, sw_train), (X_val, y_val, sw_val). Stratified only for a
    classifier with one output column (binary targets); the split draws from
    ``random_state`` right after the weight initialisation.
    """
    stratify = y if is_classifier(est) and est.n_outputs_ == 1 else None
    arrays = (X, y) if sample_weight is None else (X, y, sample_weight)
    parts = train_test_split(*arrays, random_state=random_state,
                             test_size=est.validation_fraction, stratify=stratify)
    train, val = parts[0::2], parts[1::2]
    if sample_weight is None:
        train, val = (*train, None), (*val, None)
    if val[0].shape[0] < 2:
        raise ValueError(
            "The validation set is too small. Increase 'validation_fraction' "
            "or the size of your dataset."
        )
    return train, val


NON_FINITE_WEIGHTS = ("Solver produced non-finite parameter weights. The input data may "
                      "contain large values and need to be preprocessed.")  # scikit-learn's


def _check_finite(value: float, epoch: int, what: str = "training loss") -> None:
    """Stop a diverging fit at once (scikit-learn trains on and raises at the end), with
    scikit-learn's message and then the likely cause."""
    if not np.isfinite(value):
        raise ValueError(
            f"{NON_FINITE_WEIGHTS} Here the {what} became {value} in epoch {epoch} and the "
            "fit stopped there: it diverged. The learning rate (learning_rate_init) is "
            "probably too large, or the features are not scaled (try StandardScaler)."
        )


def _largest_magnitude(arrays: list[np.ndarray]) -> float:
    """max |w| over the arrays, or the first non-finite value met (no temporary array)."""
    largest = 0.0
    for w in arrays:
        for value in (float(w.max()), float(w.min())):
            if not np.isfinite(value):
                return value
            largest = max(largest, abs(value))
    return largest


class _RowTaker:
    """X's rows for a batch, copied into one buffer reused for every batch (dense X), or
    indexed as usual (sparse X). Slices of an unshuffled epoch are views, no copy at all."""

    def __init__(self, X: np.ndarray, batch_size: int) -> None:
        self.X = X
        self.buffer = None if sp.issparse(X) else np.empty((batch_size, X.shape[1]), X.dtype)

    def take(self, idx: np.ndarray | slice) -> np.ndarray:
        if self.buffer is None or isinstance(idx, slice):
            return self.X[idx]
        return np.take(self.X, idx, axis=0, out=self.buffer[: len(idx)], mode="clip")


def fit_stochastic(est: Any, net: Any, X: np.ndarray, y: np.ndarray,
                   sample_weight: np.ndarray | None, incremental: bool) -> None:
    """scikit-learn's ``_fit_stochastic``: epochs of shuffled mini-batch updates.

    Each epoch: permute the sample order (if ``shuffle``), then for each batch take the
    loss and gradients at the current weights and let the optimizer step. After the epoch:
    record the sample-weighted mean batch loss, update the stopping counters, let the
    learning-rate schedule act, and stop after more than ``n_iter_no_change`` epochs without
    improvement by ``tol``. With ``early_stopping``, the best weights on the held-out set are
    kept and restored at the end.
    """
    if not incremental or not hasattr(est, "_optimizer"):
        est._optimizer = est._new_optimizer(net)
        saved_state = vars(est).pop("_optimizer_state", None)  # from a model file
        if incremental and saved_state is not None:
            est._optimizer.set_state(saved_state)
    optimizer = est._optimizer
    l2 = est._conventions["l2"]

    validation = encoded_validation = None
    if est.early_stopping:
        (X, y, sample_weight), encoded_validation = split_validation(
            est, X, y, sample_weight, est._random_state)
        X_val, y_val, sw_val = encoded_validation
        if is_classifier(est):
            y_val = est._labels(y_val)
        validation = (X_val, y_val, sw_val)

    # Under early stopping a diverging fit trains on, as scikit-learn's does (its users'
    # issue #29504): the validation score turns NaN and the best weights are restored.
    check_finite = _check_finite if validation is None else lambda *args: None
    n_samples = X.shape[0]
    sample_idx = np.arange(n_samples, dtype=int)
    batch_size = resolve_batch_size(est.batch_size, n_samples)
    rows = _RowTaker(X, batch_size)
    defer = getattr(net, "defers_scaling", False) and l2 == "sklearn"

    try:
        est.n_iter_ = 0
        for _ in range(est.max_iter):
            if est.shuffle:
                sample_idx = est._permute(sample_idx)
            accumulated_loss = 0.0
            with np.errstate(over="ignore", invalid="ignore"):  # overflow is reported below
                for batch in gen_batches(n_samples, batch_size):
                    idx = sample_idx[batch] if est.shuffle else batch
                    sw = None if sample_weight is None else sample_weight[idx]
                    # scikit-learn's L2 and 1/n are left to the optimizer's own pass
                    raw = defer and sw is None
                    loss = net.loss_and_gradients(rows.take(idx), y[idx], est.alpha, sw,
                                                  training=True, l2=l2, batch_size=batch_size,
                                                  scale=not raw)
                    check_finite(loss, est.n_iter_ + 1)
                    optimizer.step(net.params, net.grads,
                                   (net.n_coef, est.alpha, batch.stop - batch.start)
                                   if raw else None)
                    accumulated_loss += loss * (batch.stop - batch.start)

            est.n_iter_ += 1
            est.loss_ = accumulated_loss / n_samples
            check_finite(_largest_magnitude(est.coefs_ + est.intercepts_), est.n_iter_,
                         "largest weight")
            est.t_ += n_samples
            est.loss_curve_.append(est.loss_)
            if est.verbose:
                print("Iteration %d, loss = %.8f" % (est.n_iter_, est.loss_))

            if encoded_validation is not None:
                est.validation_loss_curve_.append(float(net.loss_value(*encoded_validation)))
            est._update_no_improvement_count(validation)
            optimizer.iteration_ends(est.t_)

            if est._no_improvement_count > est.n_iter_no_change:
                if validation is not None:
                    msg = ("Validation score did not improve more than tol=%f for %d "
                           "consecutive epochs." % (est.tol, est.n_iter_no_change))
                else:
                    msg = ("Training loss did not improve more than tol=%f for %d "
                           "consecutive epochs." % (est.tol, est.n_iter_no_change))
                if optimizer.trigger_stopping(msg, est.verbose):
                    break
                est._no_improvement_count = 0

            if incremental:
                break
            if est.n_iter_ == est.max_iter:
                warnings.warn(
                    "Stochastic Optimizer: Maximum iterations (%d) reached and the "
                    "optimization hasn't converged yet." % est.max_iter,
                    ConvergenceWarning,
                )
    except KeyboardInterrupt:
        warnings.warn("Training interrupted by user.")

    if validation is not None:
        est.coefs_, est.intercepts_ = est._best_coefs, est._best_intercepts


def update_no_improvement_count(est: Any, validation: tuple | None) -> None:
    """Count epochs without improvement by ``tol``: of the validation score if held out,
    else of the training loss; remember the best weights (validation) or loss (training)."""
    if validation is not None:
        score = est._score(*validation)
        est.validation_scores_.append(score)
        if est.verbose:
            print("Validation score: %f" % score)
        if score < est.best_validation_score_ + est.tol:
            est._no_improvement_count += 1
        else:
            est._no_improvement_count = 0
        if score > est.best_validation_score_:
            est.best_validation_score_ = score
            est._best_coefs = [W.copy() for W in est.coefs_]
            est._best_intercepts = [b.copy() for b in est.intercepts_]
    else:
        if est.loss_curve_[-1] > est.best_loss_ - est.tol:
            est._no_improvement_count += 1
        else:
            est._no_improvement_count = 0
        if est.loss_curve_[-1] < est.best_loss_:
            est.best_loss_ = est.loss_curve_[-1]


def full_batch_objective(net: Any, X: np.ndarray, y: np.ndarray, alpha: float,
                         sample_weight: np.ndarray | None, l2: str = "sklearn"
                         ) -> Callable[[np.ndarray], tuple[float, np.ndarray]]:
    """params -> (loss, gradient) over all of (X, y), both packed as scikit-learn packs them
    for L-BFGS (every coefficient matrix, then every intercept vector)."""

    def loss_and_grad(params: np.ndarray) -> tuple[float, np.ndarray]:
        net.set_flat_params(params)
        with np.errstate(over="ignore", invalid="ignore"):  # a non-finite end is reported
            loss = net.loss_and_gradients(X, y, alpha, sample_weight, l2=l2)
        return loss, net.flat_grads()

    return loss_and_grad


def fit_lbfgs(est: Any, net: Any, X: np.ndarray, y: np.ndarray,
              sample_weight: np.ndarray | None) -> None:
    """scikit-learn's ``_fit_lbfgs``: full-batch L-BFGS on the flat parameter vector."""

    l2 = est._conventions["l2"]
    if l2 in ("fixed_batch", "decoupled"):
        raise ValueError(f"solver='lbfgs' is full-batch: l2={l2!r} has no meaning there.")
    loss_and_grad = full_batch_objective(net, X, y, est.alpha, sample_weight, l2)
    x, est.loss_, est.n_iter_ = minimize_lbfgs(
        loss_and_grad, net.flat_params(), est.max_iter, est.max_fun, est.tol)
    if not np.isfinite(est.loss_):
        raise ValueError(
            f"L-BFGS ended with the loss {est.loss_}: the objective overflows at these "
            "weights. The features (or targets) are probably not scaled (try StandardScaler)."
        )
    net.set_flat_params(x)
