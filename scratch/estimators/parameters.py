"""The estimators' hyperparameters as one declarative table, scikit-learn's own constraints,
and the two checks such a table cannot express (``hidden_layer_sizes``, ``check_extras``).

``BaseEstimator._validate_params`` checks a call's parameters against these tables and raises
``InvalidParameterError`` (a ``ValueError`` and ``TypeError``) naming the parameter, the
allowed values and what it got.
"""

from numbers import Integral, Real

import numpy as np
from sklearn.utils._param_validation import (
    Interval,
    InvalidParameterError,
    Options,
    StrOptions,
)

MLP_CONSTRAINTS = {
    "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
    "activation": [StrOptions({"identity", "logistic", "tanh", "relu", "leaky_relu"})],
    "solver": [StrOptions({"lbfgs", "sgd", "adam"})],
    "alpha": [Interval(Real, 0, None, closed="left")],
    "batch_size": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
    "learning_rate": [StrOptions({"constant", "invscaling", "adaptive"})],
    "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
    "power_t": [Interval(Real, 0, None, closed="left")],
    "max_iter": [Interval(Integral, 1, None, closed="left")],
    "shuffle": ["boolean"],
    "random_state": ["random_state"],
    "tol": [Interval(Real, 0, None, closed="left")],
    "verbose": ["verbose"],
    "warm_start": ["boolean"],
    "momentum": [Interval(Real, 0, 1, closed="both")],
    "nesterovs_momentum": ["boolean"],
    "early_stopping": ["boolean"],
    "validation_fraction": [Interval(Real, 0, 1, closed="left")],
    "beta_1": [Interval(Real, 0, 1, closed="left")],
    "beta_2": [Interval(Real, 0, 1, closed="left")],
    "epsilon": [Interval(Real, 0, None, closed="neither")],
    "n_iter_no_change": [Interval(Integral, 1, None, closed="left"), Options(Real, {np.inf})],
    "max_fun": [Interval(Integral, 1, None, closed="left")],
    # beyond scikit-learn: off by default, so the defaults are scikit-learn's model
    "dropout": [Interval(Real, 0, 1, closed="left")],
    "negative_slope": [Interval(Real, 0, None, closed="left")],
    "conventions": [StrOptions({"sklearn", "torch"}), dict],
}

REGRESSOR_CONSTRAINTS = {
    **MLP_CONSTRAINTS,
    "loss": [StrOptions({"squared_error", "poisson"})],
}



def hidden_layer_sizes(sizes: object) -> list[int]:
    """``hidden_layer_sizes`` as a list of ints, or the error scikit-learn's table cannot give:
    an int, or an iterable of whole numbers, each > 0."""
    sizes = list(sizes) if hasattr(sizes, "__iter__") else [sizes]
    if not all(isinstance(s, Integral) and not isinstance(s, bool) for s in sizes):
        raise InvalidParameterError(
            f"hidden_layer_sizes must hold whole numbers of units, got {sizes}.")
    if np.any(np.array(sizes) <= 0):
        raise ValueError("hidden_layer_sizes must be > 0, got %s." % sizes)
    return [int(s) for s in sizes]


def check_extras(est: object, conventions: dict[str, str]) -> None:
    """The parameters that go beyond scikit-learn, checked against each other."""
    if est.activation != "leaky_relu" and est.negative_slope != 0.01:
        raise ValueError("negative_slope is only used with activation='leaky_relu'.")
    if est.dropout > 0 and est.solver == "lbfgs":
        raise ValueError("dropout makes the objective random; use solver='sgd' or 'adam'.")
    if conventions["l2"] == "decoupled" and est.solver != "adam":
        raise ValueError("conventions l2='decoupled' is AdamW's: it needs solver='adam'.")
