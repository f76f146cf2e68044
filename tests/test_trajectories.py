"""scratch follows scikit-learn step by step: same weights, loss curve, n_iter_, warnings."""

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.utils.multiclass import unique_labels

from tests.datasets import digits, task_data
from tests.twins import call, fit_twins, twin


@pytest.fixture(params=["scratch", "torch"])
def framework(request):
    """Each trajectory test runs for scratch and for the torch twin (conventions="sklearn")."""
    return request.param


KIND = {"binary": "classifier", "multiclass": "classifier", "multilabel": "classifier",
        "regression": "regressor", "multioutput": "regressor", "poisson": "regressor"}
TASKS = list(KIND)


def data(task, seed=0, n=37):
    return task_data(task, np.random.default_rng(seed), n=n)


SOLVER_CONFIGS = [
    dict(solver="adam"),
    dict(solver="adam", beta_1=0.5, beta_2=0.9, epsilon=1e-4, learning_rate_init=0.01),
    dict(solver="sgd", learning_rate="constant"),
    dict(solver="sgd", learning_rate="invscaling", power_t=0.3, learning_rate_init=0.1),
    dict(solver="sgd", learning_rate="adaptive", learning_rate_init=0.1, tol=1e-2,
         n_iter_no_change=2),
    dict(solver="sgd", momentum=0.0, nesterovs_momentum=False, learning_rate_init=0.05),
    dict(solver="sgd", momentum=0.5, nesterovs_momentum=False, learning_rate_init=0.05),
    dict(solver="sgd", momentum=0.95, nesterovs_momentum=True, learning_rate_init=0.05),
    dict(solver="lbfgs"),
]


@pytest.mark.parametrize("config", SOLVER_CONFIGS, ids=str)
@pytest.mark.parametrize("task", TASKS)
def test_every_solver_and_schedule_on_every_task(task, config, framework):
    X, y = data(task)
    atol = 1e-6 if config["solver"] == "lbfgs" else 1e-9
    fit_twins(KIND[task], X, y, atol=atol, hidden_layer_sizes=(6,), batch_size=10,
              max_iter=25, random_state=0, **config, framework=framework)


@pytest.mark.parametrize("activation", ["identity", "logistic", "tanh", "relu"])
@pytest.mark.parametrize("hidden", [(), (9,), (8, 7), (6, 5, 4)], ids=str)
def test_architectures_and_activations(hidden, activation, framework):
    X, y = digits(300)
    fit_twins("classifier", X, y, hidden_layer_sizes=hidden, activation=activation,
              max_iter=12, random_state=1, alpha=1e-3, framework=framework)


@pytest.mark.parametrize("batch_size", [1, 7, 10, 36, 37, 500, "auto"])
@pytest.mark.parametrize("shuffle", [True, False])
def test_batch_sizes_and_shuffle(batch_size, shuffle, framework):
    X, y = data("multiclass")
    fit_twins("classifier", X, y, hidden_layer_sizes=(5,), batch_size=batch_size,
              shuffle=shuffle, max_iter=8, random_state=3, solver="sgd",
              learning_rate_init=0.05, framework=framework)


@pytest.mark.parametrize("task", TASKS)
@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_early_stopping_split_scores_and_restored_weights(task, solver, framework):
    X, y = data(task, n=80)
    fit_twins(KIND[task], X, y, early_stopping=True, validation_fraction=0.25, solver=solver,
              hidden_layer_sizes=(6,), batch_size=16, max_iter=60, n_iter_no_change=3,
              tol=1e-3, random_state=2, learning_rate_init=0.05, framework=framework)


@pytest.mark.parametrize("task", TASKS)
@pytest.mark.parametrize("solver", ["sgd", "adam", "lbfgs"])
def test_sample_weights(task, solver, framework):
    X, y = data(task)
    sw = np.random.default_rng(5).uniform(0.1, 3, size=len(X))
    fit_twins(KIND[task], X, y, steps=[("fit", {"sample_weight": sw})],
              atol=1e-6 if solver == "lbfgs" else 1e-9, solver=solver,
              hidden_layer_sizes=(6,), batch_size=10, max_iter=15, random_state=0,
              framework=framework)


@pytest.mark.parametrize("solver", ["sgd", "adam", "lbfgs"])
@pytest.mark.parametrize("kind", ["classifier", "regressor"])
def test_warm_start_refits_continue_like_sklearn(kind, solver, framework):
    X, y = data("multiclass" if kind == "classifier" else "regression")
    steps = [("fit", {}), ("fit", {}), ("fit", {"set_params": {"max_iter": 3}}), ("fit", {})]
    fit_twins(kind, X, y, steps=steps, warm_start=True, solver=solver, max_iter=7,
              hidden_layer_sizes=(5,), batch_size=10, random_state=4,
              learning_rate="invscaling", learning_rate_init=0.05,
              atol=1e-6 if solver == "lbfgs" else 1e-9, framework=framework)


@pytest.mark.parametrize("solver", ["sgd", "adam"])
@pytest.mark.parametrize("task", ["binary", "multilabel", "regression"])
def test_warm_start_with_early_stopping_keeps_best_score_across_fits(task, solver, framework):
    """The best validation score carries over to the refit; when the refit never beats it,
    scikit-learn ends on its last weights (its coefs_ and _best_coefs are one list)."""
    X, y = data(task, n=40)
    fit_twins(KIND[task], X, y, steps=[("fit", {})] * 3, warm_start=True, solver=solver,
              early_stopping=True, max_iter=7, n_iter_no_change=np.inf, tol=0.0,
              hidden_layer_sizes=(3,), random_state=988, learning_rate_init=0.05,
              momentum=0.5, validation_fraction=0.1, framework=framework)


@pytest.mark.parametrize("solver", ["sgd", "adam"])
@pytest.mark.parametrize("task", TASKS)
def test_partial_fit_sequences(task, solver, framework):
    X, y = data(task, n=60)
    first = {"classes": unique_labels(y)} if KIND[task] == "classifier" else {}
    halves = [(X[:30], y[:30]), (X[30:], y[30:])]
    steps = [("partial_fit", {"data": halves[0], **first})]
    steps += [("partial_fit", {"data": halves[i % 2]}) for i in range(1, 8)]
    fit_twins(KIND[task], X, y, steps=steps, solver=solver, hidden_layer_sizes=(5,),
              batch_size=8, random_state=6, learning_rate="adaptive",
              learning_rate_init=0.05, n_iter_no_change=1, tol=0.5, framework=framework)


@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_fit_then_partial_fit_then_fit(solver, framework):
    X, y = data("multiclass", n=50)
    steps = [("fit", {}), ("partial_fit", {}), ("partial_fit", {}), ("fit", {})]
    fit_twins("classifier", X, y, steps=steps, solver=solver, max_iter=5, random_state=0,
              hidden_layer_sizes=(4,), framework=framework)


def test_regressor_partial_fit_with_lbfgs_runs_lbfgs_like_sklearn(framework):
    X, y = data("regression")
    fit_twins("regressor", X, y, steps=[("partial_fit", {}), ("partial_fit", {})],
              solver="lbfgs", max_iter=20, random_state=0, hidden_layer_sizes=(5,), atol=1e-6,
              framework=framework)


@pytest.mark.parametrize("fmt", ["csr", "csc"])
@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_sparse_input(fmt, solver, framework):
    X, y = data("multiclass")
    X[np.abs(X) < 0.7] = 0
    fit_twins("classifier", sp.csr_matrix(X).asformat(fmt), y, solver=solver, max_iter=10,
              hidden_layer_sizes=(5,), random_state=0, batch_size=10,
              atol=1e-6 if solver == "lbfgs" else 1e-9, framework=framework)


def test_random_state_instance_is_consumed_across_fits_like_sklearn(framework):
    X, y = data("binary")
    fit_twins("classifier", X, y, steps=[("fit", {})] * 2, max_iter=5,
              hidden_layer_sizes=(3,), random_state=np.random.RandomState(8), framework=framework)


def test_verbose_output_is_sklearns(capsys):
    X, y = data("multiclass")
    outputs = []
    for est in twin("classifier", verbose=True, max_iter=30, early_stopping=True,
                    solver="sgd", learning_rate="adaptive", n_iter_no_change=2,
                    hidden_layer_sizes=(4,), random_state=0, validation_fraction=0.3,
                    learning_rate_init=0.3):
        call(est.fit, X, y)
        outputs.append(capsys.readouterr().out)
    assert outputs[0] == outputs[1]
    assert "Validation score" in outputs[0] and "Iteration 1, loss" in outputs[0]


@pytest.mark.parametrize("params", [dict(solver="adam"), dict(solver="sgd", momentum=0.9),
                                    dict(solver="sgd", learning_rate="adaptive", tol=0.05,
                                         n_iter_no_change=1, learning_rate_init=0.1),
                                    dict(solver="lbfgs", max_iter=30)], ids=str)
def test_scratch_is_bit_identical_to_sklearn_in_float64(params):
    """Not only within 1e-9: scratch keeps scikit-learn's order of operations, so in float64
    its weights and loss curve are the same numbers to the last bit."""
    X, y = digits(300)
    ours, theirs = fit_twins("classifier", X, y, atol=0.0, hidden_layer_sizes=(12,),
                             random_state=0, **{"max_iter": 20, **params})
    for a, b in zip(ours.coefs_ + ours.intercepts_, theirs.coefs_ + theirs.intercepts_):
        np.testing.assert_array_equal(a, b)
    assert getattr(ours, "loss_curve_", None) == getattr(theirs, "loss_curve_", None)
