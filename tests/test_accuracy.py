"""Accuracy that holds across seeds, not one lucky run."""

import warnings

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier as SkMLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import scratch
from tests.datasets import xor


def test_xor_is_solved_in_at_least_18_of_20_seeds():
    X, y = xor()
    solved = 0
    for seed in range(20):
        model = scratch.MLPClassifier((8,), activation="tanh", learning_rate_init=0.05,
                                      max_iter=500, random_state=seed).fit(X, y)
        solved += bool(np.all(model.predict(X) == y))
    assert solved >= 18, solved


def digits_accuracy(make_model, n_splits=5):
    X, y = load_digits(return_X_y=True)
    scores = []
    for seed in range(n_splits):
        X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.3, stratify=y,
                                                  random_state=seed)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model = make_pipeline(StandardScaler(), make_model(seed)).fit(X_tr, y_tr)
        scores.append(model.score(X_te, y_te))
    return np.mean(scores)


@pytest.mark.slow  # fits the digits on five splits: 4 s
def test_digits_default_parameters_over_five_splits():
    ours = digits_accuracy(lambda seed: scratch.MLPClassifier(random_state=seed))
    theirs = digits_accuracy(lambda seed: SkMLPClassifier(random_state=seed))
    assert ours >= 0.97
    assert abs(ours - theirs) <= 0.005
