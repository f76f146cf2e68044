"""Reaching into scikit-learn's MLP: its gradients for given weights, and fits from them.

scikit-learn has no public way to do either, so these adapters use its private
``_backprop`` and ``_initialize``. ``_backprop`` gained a ``sample_weight`` argument in 1.7;
the adapter reads the signature and calls whichever form is installed.
"""

import inspect

import numpy as np
from numpy.typing import ArrayLike, DTypeLike
from sklearn.neural_network import MLPClassifier, MLPRegressor


def _bare_estimator(coefs: list[np.ndarray], intercepts: list[np.ndarray], activation: str,
                    out_activation: str, alpha: float) -> MLPClassifier | MLPRegressor:
    if out_activation in ("softmax", "logistic"):
        est = MLPClassifier(activation=activation, alpha=alpha)
    else:
        est = MLPRegressor(activation=activation, alpha=alpha,
                           loss="poisson" if out_activation == "exp" else "squared_error")
    est.coefs_ = [np.array(W, copy=True) for W in coefs]
    est.intercepts_ = [np.array(b, copy=True) for b in intercepts]
    est.n_layers_ = len(coefs) + 1
    est.n_outputs_ = coefs[-1].shape[1]
    est.out_activation_ = out_activation
    return est


def sklearn_loss_and_gradients(coefs: list[np.ndarray], intercepts: list[np.ndarray],
                               X: np.ndarray, Y: np.ndarray, *, activation: str,
                               out_activation: str, alpha: float = 0.0,
                               sample_weight: np.ndarray | None = None,
                               ) -> tuple[float, list[np.ndarray], list[np.ndarray]]:
    """scikit-learn's own (loss, coef_grads, intercept_grads) for the given weights.

    ``Y`` is the encoded target, shape (n_samples, n_outputs): one-hot for softmax, 0/1
    columns for logistic outputs, the values for regression.
    """
    est = _bare_estimator(coefs, intercepts, activation, out_activation, alpha)
    activations = [X] + [None] * len(coefs)
    deltas = [None] * len(coefs)
    coef_grads = [np.empty_like(W) for W in est.coefs_]
    intercept_grads = [np.empty_like(b) for b in est.intercepts_]
    if "sample_weight" in inspect.signature(est._backprop).parameters:
        args = (X, Y, sample_weight, activations, deltas, coef_grads, intercept_grads)
    else:  # scikit-learn < 1.7
        if sample_weight is not None:
            raise ValueError("this scikit-learn's _backprop takes no sample_weight")
        args = (X, Y, activations, deltas, coef_grads, intercept_grads)
    loss, coef_grads, intercept_grads = est._backprop(*args)
    return loss, [g.copy() for g in coef_grads], [g.copy() for g in intercept_grads]


def sklearn_fit_from(estimator: MLPClassifier | MLPRegressor, X: ArrayLike, y: ArrayLike,
                     coefs: list[np.ndarray], intercepts: list[np.ndarray],
                     sample_weight: ArrayLike | None = None) -> MLPClassifier | MLPRegressor:
    """Run scikit-learn's own ``fit`` starting from the given weights, and return it.

    scikit-learn has no parameter for this (scikit-learn #9232, #19701). Its random draws for
    the initial weights are still made and then replaced, so the shuffles and the validation
    split are those of the same ``random_state`` without given weights (as in scratch's and
    the torch twin's ``fit(coefs_init=..., intercepts_init=...)``).
    """
    initialize = estimator._initialize

    def initialize_then_replace(y_: np.ndarray, layer_units: list[int], dtype: DTypeLike) -> None:
        initialize(y_, layer_units, dtype)
        estimator.coefs_ = [np.array(W, dtype=dtype) for W in coefs]
        estimator.intercepts_ = [np.array(b, dtype=dtype) for b in intercepts]
        estimator._best_coefs = [W.copy() for W in estimator.coefs_]
        estimator._best_intercepts = [b.copy() for b in estimator.intercepts_]

    estimator._initialize = initialize_then_replace
    try:
        return estimator.fit(X, y, sample_weight=sample_weight)
    finally:
        del estimator._initialize
