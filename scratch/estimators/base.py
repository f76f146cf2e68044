"""``BaseMLP``: the estimator shell the classifier, the regressor and the torch twin share.

The shell (parameter checks, input validation, label binarising, train/validation split)
uses scikit-learn's interface utilities; every step of learning (initialisation, forward,
loss, backward, optimizers, schedules, batching, stopping) is ours, in the modules named in
each method. A fit either completes or leaves the estimator exactly as it was.
"""

import itertools
from collections.abc import Sequence
from typing import Self

import numpy as np
from numpy.typing import ArrayLike
from sklearn.base import BaseEstimator
from sklearn.utils import check_random_state
from sklearn.utils.validation import _check_sample_weight

from scratch.batching import shuffle_indices
from scratch.conventions import resolve_conventions
from scratch.estimators import parameters
from scratch.estimators.fit_state import STOCHASTIC_SOLVERS, initialize, set_initial_weights
from scratch.estimators.fitted import FittedMLPMixin
from scratch.estimators.rollback import rollback_on_error
from scratch.layers.initialization import glorot_uniform, torch_uniform
from scratch.layers.losses import make_loss
from scratch.network import Network
from scratch.training import (
    NON_FINITE_WEIGHTS,
    fit_lbfgs,
    fit_stochastic,
    make_optimizer,
    update_no_improvement_count,
)


class BaseMLP(FittedMLPMixin, BaseEstimator):
    """What the classifier and the regressor share; not to be used directly.

    It is the seam between the parts, each done elsewhere: the parameter checks
    (``parameters``), a first fit's state (``fit_state``), the epoch loop
    (``scratch.training``), the rollback of a failed fit (``rollback``) and model files
    (``scratch.files``) and the uses of a fitted network (``fitted``). What stays here is
    the hooks the torch twin overrides, and ``fit``.
    """

    # --- the framework-specific pieces (the torch twin overrides these) -------------------

    def _check_params(self):
        """What scikit-learn's parameter table cannot check: returns the hidden layer sizes
        (a list of ints) and the resolved conventions."""
        sizes = parameters.hidden_layer_sizes(self.hidden_layer_sizes)
        conventions = resolve_conventions(self.conventions)
        parameters.check_extras(self, conventions)
        return sizes, conventions

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
        with rollback_on_error(self):
            return self._fit(X, y, sample_weight, incremental=False,
                             initial_weights=(coefs_init, intercepts_init))

    def _fit(self, X, y, sample_weight, incremental, initial_weights=(None, None)):
        hidden_layer_sizes, self._conventions = self._check_params()
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
            initialize(self, y, layer_units, X.dtype)
        if any(w is not None for w in initial_weights):
            set_initial_weights(self, *initial_weights, layer_units)
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

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags
