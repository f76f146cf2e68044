"""Fits that diverge: under early stopping they train on as scikit-learn's do; without it
they stop at once, with scikit-learn's message followed by the likely cause."""

import warnings

import numpy as np
import pytest
import sklearn.neural_network as sk
from sklearn.datasets import load_iris
from sklearn.exceptions import NotFittedError

import scratch
from reference import TorchMLPRegressor
from scratch.training import NON_FINITE_WEIGHTS

TWINS = [scratch.MLPRegressor, TorchMLPRegressor]
DIVERGING = dict(hidden_layer_sizes=100, activation="identity", solver="sgd",
                 learning_rate_init=1, max_iter=20, random_state=0)


def fit_quietly(model, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return model.fit(X, y)


@pytest.mark.parametrize("cls", TWINS)
def test_a_diverging_fit_under_early_stopping_ends_where_sklearns_does(cls):
    X, y = load_iris(return_X_y=True)
    params = dict(DIVERGING, early_stopping=True)
    ours, theirs = fit_quietly(cls(**params), X, y), fit_quietly(sk.MLPRegressor(**params), X, y)
    assert ours.n_iter_ == theirs.n_iter_ == 20
    assert np.isnan(theirs.validation_scores_[-1]) and np.isnan(ours.validation_scores_[-1])
    np.testing.assert_allclose(ours.validation_scores_, theirs.validation_scores_, rtol=1e-12)
    assert ours.best_validation_score_ == pytest.approx(theirs.best_validation_score_, rel=1e-12)
    for a, b in zip(ours.coefs_ + ours.intercepts_, theirs.coefs_ + theirs.intercepts_):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-12)  # the restored best weights
    np.testing.assert_allclose(ours.predict(X), theirs.predict(X), rtol=1e-12)


@pytest.mark.parametrize("cls", TWINS)
def test_without_early_stopping_the_fit_stops_with_sklearns_message_and_a_cause(cls):
    X, y = load_iris(return_X_y=True)
    model = cls(**DIVERGING)
    with pytest.raises(ValueError) as error:
        fit_quietly(model, X, y)
    message = str(error.value)
    assert message.startswith(NON_FINITE_WEIGHTS)
    assert "in epoch 6" in message and "learning rate" in message  # scikit-learn goes on to 20
    with pytest.raises(NotFittedError):
        model.predict(X)
    with pytest.raises(ValueError, match=NON_FINITE_WEIGHTS.split(".")[0]):
        fit_quietly(sk.MLPRegressor(**DIVERGING), X, y)  # scikit-learn, after 20 epochs
