"""A failed fit or partial_fit leaves the estimator exactly as it was, optimizer included, so
the next call goes on as if the failed one had never been made."""

import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

import scratch
from reference import TorchMLPClassifier
from tests.datasets import digits


class Boom(RuntimeError):
    pass


def fail_at_epoch_end(model):
    """Make the next call fail after all its updates: at the end of its epoch."""
    def boom(*args, **kwargs):
        raise Boom
    model._update_no_improvement_count = boom


def weights(model):
    return [w.copy() for w in model.coefs_ + model.intercepts_]


@pytest.mark.parametrize("solver", ["sgd", "adam"])
@pytest.mark.parametrize("cls", [scratch.MLPClassifier, TorchMLPClassifier])
def test_a_failed_partial_fit_changes_nothing_the_next_call_sees(cls, solver):
    X, y = digits(90)
    params = dict(hidden_layer_sizes=(6,), solver=solver, batch_size=20, random_state=0,
                  learning_rate="invscaling", learning_rate_init=0.05)
    failing, clean = cls(**params), cls(**params)
    for model in (failing, clean):
        model.partial_fit(X, y, classes=np.arange(10))
    fail_at_epoch_end(failing)
    with pytest.raises(Boom):
        failing.partial_fit(X, y)
    del failing._update_no_improvement_count
    assert failing.loss_curve_ == clean.loss_curve_ and failing.n_iter_ == clean.n_iter_
    for a, b in zip(weights(failing), weights(clean)):
        np.testing.assert_array_equal(a, b)
    for model in (failing, clean):
        model.partial_fit(X, y)
    for a, b in zip(weights(failing), weights(clean)):
        np.testing.assert_array_equal(a, b)  # the optimizer's state was put back too
    assert failing.loss_curve_ == clean.loss_curve_


@pytest.mark.parametrize("cls", [scratch.MLPClassifier, TorchMLPClassifier])
def test_a_failed_warm_start_refit_keeps_the_previous_model(cls):
    X, y = digits(90)
    model = cls((6,), max_iter=4, random_state=0, warm_start=True, early_stopping=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y)
    before = {k: v for k, v in vars(model).items() if k.endswith("_")}
    saved = weights(model), list(model.loss_curve_), list(model.validation_scores_)
    fail_at_epoch_end(model)
    with pytest.raises(Boom):
        model.fit(X, y)
    assert set(k for k in vars(model) if k.endswith("_")) == set(before)
    for a, b in zip(weights(model), saved[0]):
        np.testing.assert_array_equal(a, b)
    assert model.loss_curve_ == saved[1] and model.validation_scores_ == saved[2]
    assert model.coefs_ is model._best_coefs  # scikit-learn's aliasing after early stopping
