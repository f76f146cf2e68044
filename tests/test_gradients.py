"""Whole-network gradients: scratch's backprop against torch autograd, scikit-learn's own
backprop and central finite differences, with the L2 penalty switched on."""

import numpy as np
import pytest

from reference.checking.gradients import (
    assert_same_gradients,
    finite_difference_gradients,
    scratch_gradients,
    sklearn_gradients,
    torch_gradients,
)
from scratch.layers.initialization import glorot_uniform
from tests.datasets import encoded_task

TASKS = ["binary", "multiclass", "multilabel", "regression", "multioutput", "poisson"]
ACTIVATIONS = ["identity", "logistic", "tanh", "relu"]
HIDDEN = [(7,), (6, 5), (5, 4, 3)]


def weights(X, Y, hidden, activation, seed=0):
    units = [X.shape[1], *hidden, Y.shape[1]]
    return glorot_uniform(units, activation, np.random.RandomState(seed))


def case(task, activation, hidden, rng, sample_weight=False, n=23):
    X, Y, out = encoded_task(task, rng, n=n)
    coefs, intercepts = weights(X, Y, hidden, activation)
    sw = rng.uniform(0.5, 2.0, size=n) if sample_weight else None
    kwargs = dict(activation=activation, out_activation=out, alpha=0.3, sample_weight=sw)
    return coefs, intercepts, X, Y, kwargs


@pytest.mark.parametrize("hidden", HIDDEN)
@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("task", TASKS)
def test_backprop_equals_torch_autograd(task, activation, hidden, rng):
    coefs, intercepts, X, Y, kw = case(task, activation, hidden, rng)
    ours = scratch_gradients(coefs, intercepts, X, Y, **kw)
    assert_same_gradients(ours, torch_gradients(coefs, intercepts, X, Y, **kw), 1e-10,
                          ("scratch", "torch"))


@pytest.mark.parametrize("sample_weight", [False, True])
@pytest.mark.parametrize("hidden", HIDDEN)
@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("task", TASKS)
def test_backprop_equals_sklearn_backprop(task, activation, hidden, sample_weight, rng):
    coefs, intercepts, X, Y, kw = case(task, activation, hidden, rng, sample_weight)
    ours = scratch_gradients(coefs, intercepts, X, Y, **kw)
    theirs = sklearn_gradients(coefs, intercepts, X, Y, **kw)
    assert_same_gradients(ours, theirs, 1e-10, ("scratch", "sklearn"))
    assert ours[0] == pytest.approx(theirs[0], rel=1e-12)


@pytest.mark.parametrize("hidden", HIDDEN)
@pytest.mark.parametrize("activation", ACTIVATIONS + ["leaky_relu"])
@pytest.mark.parametrize("task", TASKS)
def test_backprop_equals_finite_differences(task, activation, hidden, rng):
    coefs, intercepts, X, Y, kw = case(task, activation, hidden, rng, sample_weight=True)
    kw.update(negative_slope=0.1) if activation == "leaky_relu" else None
    ours = scratch_gradients(coefs, intercepts, X, Y, **kw)
    numeric = finite_difference_gradients(coefs, intercepts, X, Y, **kw)
    assert_same_gradients(ours, numeric, 1e-7, ("backprop", "finite differences"))


@pytest.mark.parametrize("task", TASKS)
def test_sample_weights_of_one_change_nothing(task, rng):
    coefs, intercepts, X, Y, kw = case(task, "tanh", (4,), rng)
    plain = scratch_gradients(coefs, intercepts, X, Y, **kw)
    kw["sample_weight"] = np.ones(len(X))
    weighted = scratch_gradients(coefs, intercepts, X, Y, **kw)
    assert_same_gradients(plain, weighted, 1e-15)


def test_sklearn_reports_multioutput_squared_error_averaged_but_descends_the_sum(rng):
    """For K outputs, scikit-learn's loss is the mean over outputs; its gradient p - y is
    that of the sum: the reported data loss is exactly 1/K of torch's (summed) one."""
    coefs, intercepts, X, Y, kw = case("multioutput", "tanh", (4,), rng)
    kw["alpha"] = 0.0
    ours, theirs = scratch_gradients(coefs, intercepts, X, Y, **kw), torch_gradients(
        coefs, intercepts, X, Y, **kw)
    assert Y.shape[1] == 2
    assert ours[0] * 2 == pytest.approx(theirs[0], rel=1e-12)
    assert_same_gradients(ours, theirs, 1e-12)
