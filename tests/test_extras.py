"""Beyond scikit-learn, in both twins: dropout, leaky ReLU, given initial weights and a
validation loss curve; each checked against torch."""

import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier as SkMLPClassifier

import scratch
from reference.checking.gradients import assert_same_gradients, scratch_gradients, torch_gradients
from reference.twin.sklearn_adapters import sklearn_fit_from
from reference.twin.torch_estimators import TorchMLPClassifier, TorchMLPRegressor
from scratch.layers.dropout import Dropout
from scratch.layers.initialization import glorot_uniform
from tests.datasets import digits, encoded_task, task_data
from tests.twins import max_abs_difference, quiet_fit

TWINS = {"scratch": scratch.MLPClassifier, "torch": TorchMLPClassifier}


@pytest.mark.parametrize("rate", [0.1, 0.5, 0.8])
def test_dropout_with_torchs_mask_is_torchs_dropout(rate, rng):
    x = torch.tensor(rng.normal(size=(50, 40)) + 3.0, requires_grad=True)  # no zeros
    out = F.dropout(x, p=rate, training=True)
    upstream = torch.tensor(rng.normal(size=(50, 40)))
    out.backward(upstream)
    keep = (out != 0).numpy()

    layer = Dropout(rate)
    ours = layer.forward(x.detach().numpy().copy(), training=True, keep=keep)
    np.testing.assert_array_equal(ours, out.detach().numpy())
    np.testing.assert_array_equal(layer.backward(upstream.numpy().copy()), x.grad.numpy())


def test_dropout_preserves_the_expected_activation():
    h = np.linspace(-2, 2, 20)
    layer = Dropout(0.4, np.random.default_rng(0))
    samples = np.array([layer.forward(np.tile(h, (500, 1)), training=True).mean(axis=0)
                        for _ in range(20)]).mean(axis=0)
    # 10,000 draws per unit: the standard error of the mean is |h| sqrt(0.4 / 0.6) / 100
    assert np.all(np.abs(samples - h) <= 5 * np.abs(h) * np.sqrt(0.4 / 0.6) / 100 + 1e-12)


def test_dropout_is_off_at_prediction_time():
    h = np.ones((3, 4))
    assert Dropout(0.5).forward(h.copy(), training=False) is not None
    np.testing.assert_array_equal(Dropout(0.5).forward(h.copy(), training=False), h)


@pytest.mark.parametrize("framework", TWINS)
def test_fits_with_dropout_are_reproducible_and_differ_from_without(framework):
    X, y = digits(200)
    params = dict(hidden_layer_sizes=(30,), max_iter=5, random_state=3)
    a = quiet_fit(TWINS[framework](dropout=0.3, **params), X, y)
    b = quiet_fit(TWINS[framework](dropout=0.3, **params), X, y)
    c = quiet_fit(TWINS[framework](**params), X, y)
    assert max_abs_difference(a.coefs_, b.coefs_) == 0
    assert max_abs_difference(a.coefs_, c.coefs_) > 1e-3
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))  # no dropout here


def test_dropout_refuses_lbfgs():
    X, y = digits(50)
    with pytest.raises(ValueError, match="dropout"):
        scratch.MLPClassifier(dropout=0.2, solver="lbfgs").fit(X, y)


@pytest.mark.parametrize("slope", [0.0, 0.01, 0.3])
@pytest.mark.parametrize("task", ["multiclass", "regression"])
def test_leaky_relu_gradients_equal_torch(task, slope, rng):
    X, Y, out = encoded_task(task, rng, n=30)
    coefs, intercepts = glorot_uniform([X.shape[1], 6, 5, Y.shape[1]], "relu",
                                       np.random.RandomState(0))
    kw = dict(activation="leaky_relu", out_activation=out, alpha=0.2, negative_slope=slope)
    assert_same_gradients(scratch_gradients(coefs, intercepts, X, Y, **kw),
                          torch_gradients(coefs, intercepts, X, Y, **kw), 1e-10)


@pytest.mark.parametrize("solver", ["adam", "sgd"])
def test_leaky_relu_fits_agree_between_twins(solver):
    X, y = digits(200)
    params = dict(hidden_layer_sizes=(12,), activation="leaky_relu", negative_slope=0.1,
                  max_iter=8, random_state=0, solver=solver)
    a = quiet_fit(scratch.MLPClassifier(**params), X, y)
    b = quiet_fit(TorchMLPClassifier(**params), X, y)
    assert max_abs_difference(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_) <= 1e-9


def test_negative_slope_without_leaky_relu_is_refused():
    X, y = digits(50)
    with pytest.raises(ValueError, match="negative_slope"):
        scratch.MLPClassifier(negative_slope=0.2).fit(X, y)


@pytest.mark.parametrize("solver", ["adam", "sgd", "lbfgs"])
def test_fit_from_given_weights_is_the_same_in_all_three(solver):
    X, y = digits(200)
    start = glorot_uniform([64, 10, 10], "relu", np.random.RandomState(42))
    params = dict(hidden_layer_sizes=(10,), max_iter=10, random_state=0, solver=solver)
    ours = quiet_fit(scratch.MLPClassifier(**params), X, y, coefs_init=start[0],
                     intercepts_init=start[1])
    twin = quiet_fit(TorchMLPClassifier(**params), X, y, coefs_init=start[0],
                     intercepts_init=start[1])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        theirs = sklearn_fit_from(SkMLPClassifier(**params), X, y, *start)
    atol = 1e-6 if solver == "lbfgs" else 1e-9
    assert max_abs_difference(ours.coefs_, theirs.coefs_) <= atol
    assert max_abs_difference(twin.coefs_, theirs.coefs_) <= atol
    default = quiet_fit(scratch.MLPClassifier(**params), X, y)
    assert max_abs_difference(default.coefs_, ours.coefs_) > 1e-3
    assert not hasattr(theirs, "_initialize") or "_initialize" not in vars(theirs)


def test_given_weights_of_the_wrong_shape_are_refused_and_not_modified():
    X, y = digits(50)
    coefs = [np.zeros((64, 3)), np.zeros((3, 10))]
    intercepts = [np.zeros(3), np.zeros(10)]
    kept = [c.copy() for c in coefs]
    with pytest.raises(ValueError, match="coefs_init"):
        scratch.MLPClassifier((4,)).fit(X, y, coefs_init=coefs, intercepts_init=intercepts)
    model = quiet_fit(scratch.MLPClassifier((3,), max_iter=3), X, y, coefs_init=coefs,
                      intercepts_init=intercepts)
    for a, b in zip(coefs, kept):
        np.testing.assert_array_equal(a, b)
    assert model.coefs_[0] is not coefs[0]


@pytest.mark.parametrize("kind", ["classifier", "regressor"])
def test_validation_loss_curve_is_the_held_out_loss_per_epoch(kind):
    X, y = task_data("multiclass" if kind == "classifier" else "regression",
                     np.random.default_rng(0), n=120)
    params = dict(hidden_layer_sizes=(8,), early_stopping=True, max_iter=15, random_state=0,
                  n_iter_no_change=100, validation_fraction=0.25, learning_rate_init=0.01)
    if kind == "classifier":
        ours, twin = scratch.MLPClassifier(**params), TorchMLPClassifier(**params)
    else:
        ours, twin = scratch.MLPRegressor(**params), TorchMLPRegressor(**params)
    quiet_fit(ours, X, y)
    quiet_fit(twin, X, y)
    assert len(ours.validation_loss_curve_) == ours.n_iter_ == len(ours.validation_scores_)
    np.testing.assert_allclose(ours.validation_loss_curve_, twin.validation_loss_curve_,
                               rtol=1e-9)
    assert ours.validation_loss_curve_[-1] < ours.validation_loss_curve_[0]
    no_split = quiet_fit(scratch.MLPClassifier((4,), max_iter=2), *digits(50))
    assert no_split.validation_loss_curve_ is None
