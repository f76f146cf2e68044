"""Configurations nobody wrote down: hypothesis draws parameters, data and call sequences, and
scratch and the torch twin must still follow scikit-learn (1e-9 for sgd/adam, 1e-6 lbfgs)."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.utils.multiclass import unique_labels

from tests.datasets import task_data
from tests.twins import fit_twins

KIND = {"binary": "classifier", "multiclass": "classifier", "multilabel": "classifier",
        "regression": "regressor", "multioutput": "regressor", "poisson": "regressor"}

PARAMS = st.fixed_dictionaries({
    "hidden_layer_sizes": st.one_of(st.integers(1, 9),
                                    st.lists(st.integers(1, 9), max_size=3).map(tuple)),
    "activation": st.sampled_from(["identity", "logistic", "tanh", "relu"]),
    "solver": st.sampled_from(["sgd", "adam", "lbfgs"]),
    "alpha": st.sampled_from([0.0, 1e-4, 0.1, 1.0]),
    "batch_size": st.one_of(st.just("auto"), st.integers(1, 120)),
    "learning_rate": st.sampled_from(["constant", "invscaling", "adaptive"]),
    "learning_rate_init": st.sampled_from([1e-3, 1e-2, 5e-2]),
    "power_t": st.sampled_from([0.5, 0.25, 0.0]),
    "max_iter": st.integers(1, 25),
    "shuffle": st.booleans(),
    "random_state": st.integers(0, 10**6),
    "tol": st.sampled_from([1e-4, 1e-2, 0.0, 0.1]),
    "momentum": st.sampled_from([0.0, 0.5, 0.9, 1.0]),
    "nesterovs_momentum": st.booleans(),
    "early_stopping": st.booleans(),
    "validation_fraction": st.sampled_from([0.1, 0.2, 0.5]),
    "beta_1": st.sampled_from([0.9, 0.5]),
    "beta_2": st.sampled_from([0.999, 0.9]),
    "epsilon": st.sampled_from([1e-8, 1e-3]),
    "n_iter_no_change": st.sampled_from([10, 1, 3, np.inf]),
    "max_fun": st.sampled_from([15000, 30]),
    "warm_start": st.booleans(),
})


def run(framework, task, params, seed, n, n_features, sparse, weighted, calls):
    X, y = task_data(task, np.random.default_rng(seed), n=n, n_features=n_features)
    params = dict(params)
    if task == "poisson":
        params["loss"] = "poisson"
    if KIND[task] == "regressor":
        params["learning_rate_init"] = min(params["learning_rate_init"], 1e-2)
    if sparse:
        X = X.copy()
        X[np.abs(X) < 0.5] = 0
        X = sp.csr_matrix(X)
    sw = np.random.default_rng(seed + 1).uniform(0.1, 3, size=n) if weighted else None
    steps = [("fit", {"sample_weight": sw})] * (2 if params["warm_start"] else 1)
    if calls and params["solver"] != "lbfgs" and not params["early_stopping"]:
        first = {"classes": unique_labels(y)} if KIND[task] == "classifier" else {}
        steps = [("partial_fit", {"sample_weight": sw, **first})]
        steps += [("partial_fit", {"sample_weight": sw})] * calls
    atol = 1e-6 if params["solver"] == "lbfgs" else 1e-9
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit_twins(KIND[task], X, y, steps=steps, atol=atol, expect_error=Exception,
                  framework=framework, **params)


SETTINGS = dict(deadline=None, derandomize=True,  # the same examples in every CI run
                suppress_health_check=[HealthCheck.too_slow])
DATA = dict(task=st.sampled_from(list(KIND)), params=PARAMS, seed=st.integers(0, 1000),
            n=st.integers(15, 100), n_features=st.integers(1, 8), sparse=st.booleans(),
            weighted=st.booleans(), calls=st.integers(0, 4))


@settings(max_examples=150, **SETTINGS)
@given(**DATA)
@pytest.mark.slow  # fits on many random configurations: 4 s
def test_scratch_follows_sklearn_on_random_configurations(task, params, seed, n, n_features,
                                                          sparse, weighted, calls):
    run("scratch", task, params, seed, n, n_features, sparse, weighted, calls)


@settings(max_examples=60, **SETTINGS)
@given(**DATA)
@pytest.mark.slow  # fits on many random configurations: 2 s
def test_torch_twin_follows_sklearn_on_random_configurations(task, params, seed, n, n_features,
                                                             sparse, weighted, calls):
    run("torch", task, params, seed, n, n_features, sparse, weighted, calls)
