"""Weights move between scikit-learn, scratch and torch in every direction, exactly."""

import warnings

import numpy as np
import pytest
import sklearn.neural_network as sk
import torch
from sklearn.exceptions import ConvergenceWarning

import scratch
from reference.twin.exchange import load_into_torch, transfer, weights_from_torch
from reference.twin.torch_estimators import TorchMLPClassifier, TorchMLPRegressor
from reference.twin.torch_mlp import TorchMLP
from tests.datasets import task_data

CLASSIFIERS = {"sklearn": sk.MLPClassifier, "scratch": scratch.MLPClassifier,
               "torch": TorchMLPClassifier}
REGRESSORS = {"sklearn": sk.MLPRegressor, "scratch": scratch.MLPRegressor,
              "torch": TorchMLPRegressor}
PAIRS = [(a, b) for a in CLASSIFIERS for b in CLASSIFIERS if a != b]


def fitted(family, task, **params):
    X, y = task_data(task, np.random.default_rng(0), n=60)
    model = family(hidden_layer_sizes=(6, 4), max_iter=15, random_state=0, **params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model.fit(X, y), X


@pytest.mark.parametrize("task", ["binary", "multiclass", "multilabel"])
@pytest.mark.parametrize("source,target", PAIRS)
def test_classifier_moves_and_predicts_the_same(source, target, task):
    model, X = fitted(CLASSIFIERS[source], task, activation="tanh")
    moved = transfer(model, CLASSIFIERS[target]())
    np.testing.assert_allclose(moved.predict_proba(X), model.predict_proba(X), rtol=0,
                               atol=1e-12)
    np.testing.assert_array_equal(moved.predict(X), model.predict(X))
    back = transfer(moved, CLASSIFIERS[source]())
    for a, b in zip(back.coefs_ + back.intercepts_, model.coefs_ + model.intercepts_):
        np.testing.assert_array_equal(a, b)  # the round trip is bit-exact


@pytest.mark.parametrize("task", ["regression", "multioutput"])
@pytest.mark.parametrize("source", REGRESSORS)
def test_regressor_moves_and_predicts_the_same(source, task):
    model, X = fitted(REGRESSORS[source], task)
    for target in REGRESSORS:
        moved = transfer(model, REGRESSORS[target]())
        np.testing.assert_allclose(moved.predict(X), model.predict(X), rtol=1e-12,
                                   atol=1e-12)


def test_two_logit_binary_model_becomes_one_logit_in_sklearn():
    model, X = fitted(TorchMLPClassifier, "binary", conventions="torch")
    assert model.coefs_[-1].shape[1] == 2
    moved = transfer(model, sk.MLPClassifier())
    assert moved.coefs_[-1].shape[1] == 1 and moved.out_activation_ == "logistic"
    np.testing.assert_allclose(moved.predict_proba(X), model.predict_proba(X), atol=1e-12)


def test_leaky_relu_cannot_move_to_sklearn():
    model, _ = fitted(scratch.MLPClassifier, "binary", activation="leaky_relu")
    with pytest.raises(ValueError, match="leaky_relu"):
        transfer(model, sk.MLPClassifier())


def test_torch_module_round_trip_is_bit_exact(rng):
    coefs = [rng.normal(size=(5, 4)), rng.normal(size=(4, 3))]
    intercepts = [rng.normal(size=4), rng.normal(size=3)]
    module = load_into_torch(TorchMLP([5, 4, 3], "tanh"), coefs, intercepts)
    assert tuple(module.linears[0].weight.shape) == (4, 5)  # torch keeps (out, in)
    back = weights_from_torch(module)
    for a, b in zip(back[0] + back[1], coefs + intercepts):
        np.testing.assert_array_equal(a, b)
    X = rng.normal(size=(7, 5))
    expected = np.tanh(X @ coefs[0] + intercepts[0]) @ coefs[1] + intercepts[1]
    np.testing.assert_allclose(module(torch.tensor(X)).detach().numpy(), expected, atol=1e-14)


def test_wrong_shapes_are_refused():
    with pytest.raises(ValueError, match="n_out, n_in"):
        load_into_torch(TorchMLP([5, 4], "relu"), [np.zeros((4, 5))], [np.zeros(4)])
