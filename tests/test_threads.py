"""Fits are reproducible wherever they run: serially, in threads, in processes.

Every random draw of a fit (initial weights, validation split, shuffles, dropout masks) comes
from generators the fit makes for itself from ``random_state``, so fits running side by side
cannot disturb each other."""

import hashlib
import warnings
from concurrent.futures import ThreadPoolExecutor

import joblib
import numpy as np
import pytest
import torch
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV

import scratch
from reference import TorchMLPClassifier
from tests.datasets import digits

MODELS = {
    "scratch": lambda seed: scratch.MLPClassifier((16,), max_iter=6, random_state=seed,
                                                  dropout=0.2),
    "torch": lambda seed: TorchMLPClassifier((16,), max_iter=6, random_state=seed, dropout=0.2),
    "torch_native": lambda seed: TorchMLPClassifier((16,), max_iter=6, random_state=seed,
                                                    dropout=0.2, conventions="torch"),
}


def fit_and_hash(framework, seed):
    X, y = digits(200)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = MODELS[framework](seed).fit(X, y)
    weights = model.coefs_ + model.intercepts_
    return hashlib.sha256(b"".join(np.ascontiguousarray(w).tobytes() for w in weights)).hexdigest()


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")  # from threads
@pytest.mark.parametrize("framework", MODELS)
def test_threads_and_processes_give_the_serial_weights_bit_for_bit(framework):
    seeds = [0, 1, 2, 3]
    serial = [fit_and_hash(framework, seed) for seed in seeds]
    assert len(set(serial)) == len(seeds)
    with ThreadPoolExecutor(max_workers=4) as pool:
        threaded = list(pool.map(lambda s: fit_and_hash(framework, s), seeds * 2))
    assert threaded == serial * 2
    processes = joblib.Parallel(n_jobs=2, backend="loky")(
        joblib.delayed(fit_and_hash)(framework, seed) for seed in seeds)
    assert processes == serial


def test_grid_search_with_the_threading_backend_scores_as_a_serial_one():
    X, y = digits(200)
    grid = {"alpha": [1e-4, 1e-2], "random_state": [0, 1]}
    base = TorchMLPClassifier((8,), max_iter=5, dropout=0.2, conventions="torch")
    scores = []
    for n_jobs, backend in ((1, "sequential"), (4, "threading")):
        with warnings.catch_warnings(), joblib.parallel_backend(backend, n_jobs=n_jobs):
            warnings.simplefilter("ignore", ConvergenceWarning)
            search = GridSearchCV(base, grid, cv=3).fit(X, y)
        scores.append(search.cv_results_["mean_test_score"])
    np.testing.assert_array_equal(scores[0], scores[1])


def test_a_fit_draws_nothing_from_torchs_global_generator():
    X, y = digits(60)
    torch.manual_seed(123)
    state = torch.get_rng_state()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        TorchMLPClassifier((5,), max_iter=2, random_state=0, conventions="torch",
                           dropout=0.2).fit(X, y)
    assert torch.equal(torch.get_rng_state(), state)
