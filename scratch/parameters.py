"""The estimators' hyperparameters as one declarative table, scikit-learn's own constraints.

``BaseEstimator._validate_params`` checks a call's parameters against these tables and raises
``InvalidParameterError`` (a ``ValueError`` and ``TypeError``) naming the parameter, the
allowed values and what it got.
"""

from numbers import Integral, Real

import numpy as np
from sklearn.utils._param_validation import Interval, Options, StrOptions

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
