"""``MLPClassifier`` and ``MLPRegressor``: scikit-learn's estimator surface over our network.

The shell (parameter checks, input validation, label binarising, train/validation split)
uses scikit-learn's interface utilities; every step of learning (initialisation, forward,
loss, backward, optimizers, schedules, batching, stopping) is ours, in the modules named in
each method. A fit either completes or leaves the estimator exactly as it was.
"""

import itertools
import numbers
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Self

import numpy as np
from numpy.typing import ArrayLike
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.metrics import accuracy_score, r2_score
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import InvalidParameterError
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import _check_partial_fit_first_call, type_of_target, unique_labels
from sklearn.utils.validation import (
    _check_sample_weight,
    check_is_fitted,
    column_or_1d,
    validate_data,
)

from scratch.batching import shuffle_indices
from scratch.conventions import resolve_conventions
from scratch.initialization import glorot_uniform, torch_uniform
from scratch.losses import make_loss
from scratch.network import Network
from scratch.parameters import MLP_CONSTRAINTS, REGRESSOR_CONSTRAINTS, unpack_flat
from scratch.persistence import MAX_BYTES, load_model, save_model
from scratch.training import (
    NON_FINITE_WEIGHTS,
    fit_lbfgs,
    fit_stochastic,
    full_batch_objective,
    make_optimizer,
    update_no_improvement_count,
)

STOCHASTIC_SOLVERS = ("sgd", "adam")


_GROWING = ("loss_curve_", "validation_scores_", "validation_loss_curve_")


@contextmanager
def _rollback_on_error(est: BaseEstimator) -> Iterator[None]:
    """On any exception, put back every fitted (``x_``) and private (``_x``) attribute.

    A fit never writes into the arrays it starts from (it trains a network holding a copy of
    the weights, and replaces ``coefs_`` when done), so references are enough for those; what
    it changes in place is copied: the lists it appends to and the optimizer's state, which
    ``partial_fit`` carries from call to call. The cost is that of the optimizer's state, not of
    the whole model.
    """
    saved = {k: v for k, v in vars(est).items() if k.endswith("_") or k.startswith("_")}
    lists = {k: list(saved[k]) for k in _GROWING if isinstance(saved.get(k), list)}
    optimizer = saved.get("_optimizer")
    optimizer_state = optimizer.state() if optimizer is not None else None
    try:
        yield
    except BaseException:
        for name in [k for k in vars(est) if k.endswith("_") or k.startswith("_")]:
            delattr(est, name)
        vars(est).update(saved, **lists)
        if optimizer is not None:
            optimizer.set_state(optimizer_state)
        raise


class BaseMLP(BaseEstimator):
    """What the classifier and the regressor share; not to be used directly."""

    def _hidden_layer_sizes(self):
        sizes = self.hidden_layer_sizes
        sizes = list(sizes) if hasattr(sizes, "__iter__") else [sizes]
        if not all(isinstance(s, numbers.Integral) and not isinstance(s, bool) for s in sizes):
            raise InvalidParameterError(
                f"hidden_layer_sizes must hold whole numbers of units, got {sizes}.")
        if np.any(np.array(sizes) <= 0):
            raise ValueError("hidden_layer_sizes must be > 0, got %s." % sizes)
        return [int(s) for s in sizes]

    # --- the framework-specific pieces (the torch twin overrides these) -------------------

    def _fitted_conventions(self):
        """The switches of the last fit, or (for weights set without a fit) the parameter's."""
        return getattr(self, "_conventions", None) or resolve_conventions(self.conventions)

    def _network(self, rng=None, dtype=None):
        """A scratch ``Network`` holding a copy of the fitted weights (cast to ``dtype`` if
        given); ``rng`` draws dropout masks."""
        loss = make_loss(self.out_activation_, reduction=self._fitted_conventions()["loss"])
        return Network.from_weights(self.coefs_, self.intercepts_, self.activation, loss,
                                    dtype=dtype, negative_slope=self.negative_slope,
                                    dropout=self.dropout, rng=rng)

    def _initial_weights(self, layer_units, dtype):
        """(coefs, intercepts) drawn from ``self._random_state`` in scikit-learn's order."""
        init = glorot_uniform if self._conventions["init"] == "sklearn" else torch_uniform
        return init(layer_units, self.activation, self._random_state, dtype)

    def _permute(self, sample_idx):
        """The next epoch's sample order."""
        if self._conventions["shuffle"] == "torch":
            return self._random_state.permutation(len(sample_idx))
        return shuffle_indices(sample_idx, self._random_state)

    def _new_optimizer(self, net):
        return make_optimizer(self, net.params, self._conventions)

    # --- fitting -------------------------------------------------------------------------

    def fit(self, X: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None = None,
            coefs_init: Sequence[ArrayLike] | None = None,
            intercepts_init: Sequence[ArrayLike] | None = None) -> Self:
        """Fit the model to X (n_samples, n_features) and y; returns self.

        ``coefs_init`` and ``intercepts_init`` (lists shaped like ``coefs_`` and
        ``intercepts_``) start the fit from those weights instead of the random ones. The
        random draws are still made, so the shuffles and the validation split are the ones
        the same ``random_state`` gives without them.
        """
        self._validate_params()
        with _rollback_on_error(self):
            return self._fit(X, y, sample_weight, incremental=False,
                             initial_weights=(coefs_init, intercepts_init))

    def _fit(self, X, y, sample_weight, incremental, initial_weights=(None, None)):
        hidden_layer_sizes = self._hidden_layer_sizes()
        self._conventions = resolve_conventions(self.conventions)
        self._check_extras()
        first_pass = not hasattr(self, "coefs_") or (not self.warm_start and not incremental)
        X, y = self._validate_input(X, y, incremental, reset=first_pass)
        if sample_weight is not None:
            sample_weight = _check_sample_weight(sample_weight, X)
        if y.ndim == 1:
            y = y.reshape((-1, 1))
        self.n_outputs_ = y.shape[1]
        layer_units = [X.shape[1], *hidden_layer_sizes, self.n_outputs_]

        self._random_state = check_random_state(self.random_state)
        if first_pass:
            self._initialize(y, layer_units, X.dtype)
        if any(w is not None for w in initial_weights):
            self._set_initial_weights(*initial_weights, layer_units)
        rng = None
        if self.dropout > 0:
            rng = np.random.default_rng(self._random_state.randint(np.iinfo(np.int32).max))
        net = self._network(rng)
        if net.layer_units != layer_units:
            raise ValueError(
                f"The fitted network has layers {net.layer_units} but this fit needs "
                f"{layer_units}: warm_start and partial_fit keep the architecture, so refit "
                "with warm_start=False to change hidden_layer_sizes or the outputs."
            )
        # After a fit with early stopping, scikit-learn's coefs_ *is* its _best_coefs list, so
        # a warm-start refit trains the "best" weights in place until it finds a better
        # score. We keep that aliasing, so that such refits end where scikit-learn's do.
        best_is_current = getattr(self, "_best_coefs", None) is self.coefs_
        self.coefs_, self.intercepts_ = net.coefs, net.intercepts
        if best_is_current:
            self._best_coefs, self._best_intercepts = self.coefs_, self.intercepts_

        if self.solver in STOCHASTIC_SOLVERS:
            if self.early_stopping and incremental:
                raise ValueError("partial_fit does not support early_stopping=True")
            fit_stochastic(self, net, X, y, sample_weight, incremental)
        else:
            fit_lbfgs(self, net, X, y, sample_weight)

        if not all(np.isfinite(w).all() for w in itertools.chain(self.coefs_, self.intercepts_)):
            raise ValueError(NON_FINITE_WEIGHTS)
        return self

    def _initialize(self, y, layer_units, dtype):
        """First fit: set the bookkeeping attributes and draw the initial weights."""
        self.n_iter_ = 0
        self.t_ = 0
        self.n_outputs_ = y.shape[1]
        self.n_layers_ = len(layer_units)
        self.out_activation_ = self._out_activation()
        self.coefs_, self.intercepts_ = self._initial_weights(layer_units, dtype)
        self._best_coefs = [W.copy() for W in self.coefs_]
        self._best_intercepts = [b.copy() for b in self.intercepts_]
        if self.solver in STOCHASTIC_SOLVERS:
            self.loss_curve_ = []
            self._no_improvement_count = 0
            if self.early_stopping:
                self.validation_scores_ = []
                self.validation_loss_curve_ = []
                self.best_validation_score_ = -np.inf
                self.best_loss_ = None
            else:
                self.best_loss_ = np.inf
                self.validation_scores_ = None
                self.validation_loss_curve_ = None
                self.best_validation_score_ = None

    def _set_initial_weights(self, coefs, intercepts, layer_units):
        """Start from the caller's weights (copied, cast to the fit's dtype)."""
        if coefs is None or intercepts is None:
            raise ValueError("Give both coefs_init and intercepts_init, or neither.")
        expected = list(zip(layer_units[:-1], layer_units[1:]))
        shapes = [np.shape(W) for W in coefs], [np.shape(b) for b in intercepts]
        if shapes != (expected, [(n_out,) for _, n_out in expected]):
            raise ValueError(
                f"coefs_init/intercepts_init have shapes {shapes[0]} / {shapes[1]}; this "
                f"network needs {expected} / {[(n_out,) for _, n_out in expected]}."
            )
        dtype = self.coefs_[0].dtype
        self.coefs_ = [np.array(W, dtype=dtype) for W in coefs]
        self.intercepts_ = [np.array(b, dtype=dtype) for b in intercepts]
        if not all(np.isfinite(w).all() for w in self.coefs_ + self.intercepts_):
            raise ValueError("coefs_init/intercepts_init contain NaN or infinity.")
        self._best_coefs = [W.copy() for W in self.coefs_]
        self._best_intercepts = [b.copy() for b in self.intercepts_]

    def _check_extras(self):
        """The parameters that go beyond scikit-learn, checked against the solver."""
        if self.activation != "leaky_relu" and self.negative_slope != 0.01:
            raise ValueError("negative_slope is only used with activation='leaky_relu'.")
        if self.dropout > 0 and self.solver == "lbfgs":
            raise ValueError("dropout makes the objective random; use solver='sgd' or 'adam'.")
        if self._conventions["l2"] == "decoupled" and self.solver != "adam":
            raise ValueError("conventions l2='decoupled' is AdamW's: it needs solver='adam'.")

    def _update_no_improvement_count(self, validation):
        """Called once per epoch, after the updates (as scikit-learn's method of that name)."""
        update_no_improvement_count(self, validation)

    def _check_solver(self):
        if self.solver not in STOCHASTIC_SOLVERS:
            raise AttributeError(
                "partial_fit is only available for stochastic optimizers. "
                "%s is not stochastic." % self.solver
            )
        return True

    # --- using the fitted network --------------------------------------------------------

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

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags


class MLPClassifier(ClassifierMixin, BaseMLP):
    """Multi-layer perceptron classifier: scikit-learn's ``MLPClassifier``, written from scratch.

    Same parameters, defaults, fitted attributes and methods as
    ``sklearn.neural_network.MLPClassifier`` 1.9, and the same trajectory: from the same
    ``random_state`` it draws the same initial weights, shuffles and validation split, and
    ends with the same ``coefs_``, ``intercepts_`` and ``loss_curve_`` to float64 round-off.
    Binary targets get one logistic output unit, multilabel targets one per label, and
    multiclass targets a softmax.
    """

    _parameter_constraints = dict(MLP_CONSTRAINTS)

    def __init__(self, hidden_layer_sizes: int | tuple[int, ...] = (100,),
                 activation: str = "relu", *,
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

    @property
    def loss(self) -> str:
        """scikit-learn's MLPClassifier stores ``loss='log_loss'``; it is not a parameter."""
        return "log_loss"

    def _two_logits(self, fitted=True):
        """Binary target under torch's convention: two logits and a softmax, not one. Read
        from the fitted network's shape, or (``fitted=False``, while fitting) the switch."""
        if self._label_binarizer.y_type_ != "binary":
            return False
        if fitted:
            return self.n_outputs_ == 2
        return self._conventions["binary_output"] == "two_logits"

    def _out_activation(self):
        multiclass = self._label_binarizer.y_type_ == "multiclass"
        return "softmax" if multiclass or self._two_logits(fitted=False) else "logistic"

    def _binarize(self, y, two_logits):
        """Labels to the network's 0/1 target columns (bool)."""
        Y = self._label_binarizer.transform(y).astype(bool)
        return np.hstack([~Y, Y]) if two_logits else Y

    def _labels(self, Y):
        """The network's outputs (or targets), shape (n_samples, n_outputs), to labels."""
        if self._two_logits():
            Y = Y[:, 1]
        elif self.n_outputs_ == 1:
            Y = Y.ravel()
        return self._label_binarizer.inverse_transform(Y)

    def _validate_input(self, X, y, incremental, reset):
        X, y = validate_data(self, X, y, accept_sparse=["csr", "csc"], multi_output=True,
                             dtype=(np.float64, np.float32), reset=reset)
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        if not hasattr(self, "classes_") or (not self.warm_start and not incremental):
            self._label_binarizer = LabelBinarizer()
            self._label_binarizer.fit(y)
            self.classes_ = self._label_binarizer.classes_
        else:
            classes = unique_labels(y)
            if self.warm_start:
                if set(classes) != set(self.classes_):
                    raise ValueError(
                        "warm_start can only be used where `y` has the same classes as in "
                        f"the previous call to fit. Previously got {self.classes_}, `y` has "
                        f"{classes}"
                    )
            elif len(np.setdiff1d(classes, self.classes_, assume_unique=True)):
                raise ValueError(
                    f"`y` has classes not in `self.classes_`. `self.classes_` has "
                    f"{self.classes_}. 'y' has {classes}."
                )
        return X, self._binarize(y, self._two_logits(fitted=False))

    def _encode_targets(self, y):
        y = np.asarray(y)
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        unknown = np.setdiff1d(unique_labels(y), self.classes_)
        if len(unknown):
            raise ValueError(f"y has labels {unknown} that are not in classes_ {self.classes_}.")
        return self._binarize(y, self._two_logits())

    @available_if(lambda est: est._check_solver())
    def partial_fit(self, X: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None = None,
                    classes: ArrayLike | None = None) -> Self:
        """One epoch over (X, y), keeping the optimizer's state; ``classes`` on the first call."""
        self._validate_params()
        with _rollback_on_error(self):
            if _check_partial_fit_first_call(self, classes):
                self._label_binarizer = LabelBinarizer()
                if type_of_target(y).startswith("multilabel"):
                    self._label_binarizer.fit(y)
                else:
                    self._label_binarizer.fit(classes)
            return self._fit(X, y, sample_weight, incremental=True)

    def predict(self, X: ArrayLike) -> np.ndarray:
        """Predicted labels, shape (n_samples,) or (n_samples, n_labels) for multilabel."""
        check_is_fitted(self)
        return self._predict(X)

    def _predict(self, X, check_input=True):
        return self._labels(self._forward_pass_fast(X, check_input=check_input))

    def _score(self, X, y, sample_weight=None):
        return self._score_with_function(X, y, sample_weight, accuracy_score)

    def predict_proba(self, X: ArrayLike) -> np.ndarray:
        """Class probabilities, shape (n_samples, n_classes), columns ordered as ``classes_``."""
        check_is_fitted(self)
        y_pred = self._forward_pass_fast(X)
        if self.n_outputs_ == 1:
            y_pred = y_pred.ravel()
        if y_pred.ndim == 1:
            return np.vstack([1 - y_pred, y_pred]).T
        return y_pred

    def predict_log_proba(self, X: ArrayLike) -> np.ndarray:
        """log(predict_proba(X))."""
        y_prob = self.predict_proba(X)
        with np.errstate(divide="ignore"):
            return np.log(y_prob, out=y_prob)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags


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
        with _rollback_on_error(self):
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
