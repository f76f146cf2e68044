"""``MLPRegressor``: scikit-learn's multi-layer perceptron regressor, written from scratch."""

from typing import Self

import numpy as np
from numpy.typing import ArrayLike
from sklearn.base import RegressorMixin
from sklearn.metrics import r2_score
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data

from scratch.estimators.base import BaseMLP
from scratch.estimators.parameters import REGRESSOR_CONSTRAINTS
from scratch.estimators.rollback import rollback_on_error


class MLPRegressor(RegressorMixin, BaseMLP):
    """Multi-layer perceptron regressor: scikit-learn's ``MLPRegressor``, written from scratch.

    Same parameters, defaults, attributes and trajectory as
    ``sklearn.neural_network.MLPRegressor`` 1.9: an identity output unit with half squared
    error, or an exponential one with half Poisson deviance (``loss='poisson'``).
    """

    _parameter_constraints = dict(REGRESSOR_CONSTRAINTS)

    def __init__(self, loss: str = "squared_error",
                 hidden_layer_sizes: int | tuple[int, ...] = (100,), activation: str = "relu", *,
                 solver: str = "adam", alpha: float = 0.0001, batch_size: int | str = "auto",
                 learning_rate: str = "constant", learning_rate_init: float = 0.001,
                 power_t: float = 0.5, max_iter: int = 200, shuffle: bool = True,
                 random_state: int | np.random.RandomState | None = None, tol: float = 1e-4,
                 verbose: bool | int = False, warm_start: bool = False, momentum: float = 0.9,
                 nesterovs_momentum: bool = True, early_stopping: bool = False,
                 validation_fraction: float = 0.1, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-8, n_iter_no_change: int | float = 10,
                 max_fun: int = 15000, dropout: float = 0.0, negative_slope: float = 0.01,
                 conventions: str | dict = "sklearn") -> None:
        self.loss = loss
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun
        self.dropout = dropout
        self.negative_slope = negative_slope
        self.conventions = conventions

    def _out_activation(self):
        return "exp" if self.loss == "poisson" else "identity"

    def _validate_input(self, X, y, incremental, reset):
        X, y = validate_data(self, X, y, accept_sparse=["csr", "csc"], multi_output=True,
                             y_numeric=True, dtype=(np.float64, np.float32), reset=reset)
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        if self.loss == "poisson" and np.any(y < 0):
            raise ValueError("loss='poisson' needs y >= 0 (counts or rates); y has negative "
                             "values.")
        return X, y

    def _encode_targets(self, y):
        y = np.asarray(y, dtype=float)
        return column_or_1d(y, warn=True) if y.ndim == 2 and y.shape[1] == 1 else y

    # scikit-learn 1.9 tests ``est._check_solver`` without calling it, so its MLPRegressor
    # offers partial_fit for every solver and runs L-BFGS from the current weights; we keep
    # that public behaviour.
    @available_if(lambda est: est._check_solver)
    def partial_fit(self, X: ArrayLike, y: ArrayLike,
                    sample_weight: ArrayLike | None = None) -> Self:
        """One epoch over (X, y), keeping the optimizer's state."""
        self._validate_params()
        with rollback_on_error(self):
            return self._fit(X, y, sample_weight, incremental=True)

    def predict(self, X: ArrayLike) -> np.ndarray:
        """Predicted values, shape (n_samples,) or (n_samples, n_outputs)."""
        check_is_fitted(self)
        return self._predict(X)

    def _predict(self, X, check_input=True):
        y_pred = self._forward_pass_fast(X, check_input=check_input)
        return y_pred.ravel() if y_pred.shape[1] == 1 else y_pred

    def _score(self, X, y, sample_weight=None):
        return self._score_with_function(X, y, sample_weight, r2_score)
