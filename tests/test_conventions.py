"""Each framework convention: the gap opens without its conversion and closes with it, and
scratch follows the torch twin under the same switches."""

import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

import scratch
from comparisons.data import small_task
from comparisons.report.conventions import ROWS, fit_three, max_weight_difference
from reference.twin.torch_estimators import TorchMLPClassifier, TorchMLPRegressor
from scratch.conventions import TORCH, resolve_conventions
from scratch.layers.initialization import torch_uniform


@pytest.mark.parametrize("row", ROWS, ids=lambda r: r.name)
@pytest.mark.slow  # trains scratch and the torch twin under each switch: 24 s at most, 88 s for it
def test_gap_opens_without_the_conversion_and_closes_with_it(row):
    reference, converted, plain = fit_three(row)
    assert max_weight_difference(converted, reference) <= 1e-12
    assert max_weight_difference(plain, reference) > 1e-5


MATH_SWITCHES = [{"loss": "torch"}, {"l2": "fixed_batch"}, {"l2": "with_biases"},
                 {"l2": "weight_decay"}, {"l2": "decoupled"}, {"adam_epsilon": "torch"},
                 {"binary_output": "two_logits"},
                 {**TORCH, "init": "sklearn", "shuffle": "sklearn"}]


@pytest.mark.parametrize("solver", ["adam", "sgd", "lbfgs"])
@pytest.mark.parametrize("switch", MATH_SWITCHES, ids=str)
@pytest.mark.parametrize("task", ["binary", "multilabel", "regression"])
@pytest.mark.slow  # trains scratch and the torch twin under each switch: 4 s at most, 23 s for its
def test_scratch_follows_the_torch_twin_under_the_same_switches(task, switch, solver):
    """Same weights, same batch order, torch's arithmetic choices: scratch and torch agree."""
    if switch.get("l2") == "decoupled" and solver != "adam":
        pytest.skip("AdamW's decay needs adam")
    if switch.get("l2") == "fixed_batch" and solver == "lbfgs":
        pytest.skip("L-BFGS has no batches")
    X, y = small_task(task, n=150)
    params = dict(hidden_layer_sizes=(7,), random_state=1, batch_size=32, max_iter=10,
                  alpha=0.3, solver=solver, conventions=switch, learning_rate_init=0.01,
                  learning_rate="invscaling" if solver == "sgd" else "constant")
    if task == "regression":
        ours, twin = scratch.MLPRegressor(**params), TorchMLPRegressor(**params)
    else:
        ours, twin = scratch.MLPClassifier(**params), TorchMLPClassifier(**params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ours.fit(X, y)
        twin.fit(X, y)
    assert max_weight_difference(ours, twin) <= (1e-6 if solver == "lbfgs" else 1e-9)
    np.testing.assert_allclose(getattr(ours, "loss_curve_", [ours.loss_]),
                               getattr(twin, "loss_curve_", [twin.loss_]), rtol=1e-9)


def test_torch_init_scheme_in_numpy_has_nn_linear_bounds():
    coefs, intercepts = torch_uniform([64, 100, 10], "relu", np.random.RandomState(0))
    for W, b, fan_in in zip(coefs, intercepts, [64, 100]):
        bound = 1 / np.sqrt(fan_in)
        assert np.abs(W).max() <= bound and np.abs(b).max() <= bound
        assert W.std() == pytest.approx(bound / np.sqrt(3), rel=0.05)


@pytest.mark.parametrize("bad", ["pytorch", {"adam_eps": "torch"}, {"l2": "l1"}, 3])
def test_unknown_conventions_are_refused(bad):
    with pytest.raises(ValueError):
        resolve_conventions(bad)
