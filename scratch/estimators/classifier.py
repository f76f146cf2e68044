"""``MLPClassifier``: scikit-learn's multi-layer perceptron classifier, written from scratch."""

from typing import Self

import numpy as np
from numpy.typing import ArrayLike
from sklearn.base import ClassifierMixin
from sklearn.metrics import accuracy_score
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import _check_partial_fit_first_call, type_of_target, unique_labels
from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data

from scratch.estimators.base import BaseMLP
from scratch.estimators.parameters import MLP_CONSTRAINTS
from scratch.estimators.rollback import rollback_on_error


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
        with rollback_on_error(self):
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
