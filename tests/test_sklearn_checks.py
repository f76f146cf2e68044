"""scikit-learn's own estimator checks, and the ecosystem: pipelines, searches, clones,
DataFrames."""

import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

import scratch
from reference import TorchMLPClassifier, TorchMLPRegressor
from tests.datasets import digits, task_data

ESTIMATORS = [scratch.MLPClassifier((20,)), scratch.MLPRegressor(hidden_layer_sizes=(20,)),
              TorchMLPClassifier((20,)), TorchMLPRegressor(hidden_layer_sizes=(20,))]


@parametrize_with_checks(ESTIMATORS)
@pytest.mark.slow  # scikit-learn's estimator checks on both twins: 2 s at most, 32 s for its 180
def test_sklearn_estimator_checks(estimator, check):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        check(estimator)


@pytest.mark.parametrize("cls", [scratch.MLPClassifier, TorchMLPClassifier])
def test_pipeline_grid_search_and_cross_validation(cls):
    X, y = digits(300)
    pipe = make_pipeline(StandardScaler(), cls((10,), max_iter=60, learning_rate_init=0.01,
                                               random_state=0))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        search = GridSearchCV(pipe, {f"{cls.__name__.lower()}__alpha": [1e-4, 1e-1]}, cv=3)
        search.fit(X, y)
        scores = cross_val_score(pipe, X, y, cv=3)
    assert search.best_score_ > 0.8 and scores.mean() > 0.8
    assert len(search.cv_results_["params"]) == 2


@pytest.mark.parametrize("cls", [scratch.MLPRegressor, TorchMLPRegressor])
def test_clone_keeps_parameters_and_drops_the_fit(cls):
    X, y = task_data("regression", np.random.default_rng(0), n=40)
    model = cls(hidden_layer_sizes=(3,), max_iter=5, dropout=0.1, conventions={"l2": "with_biases"})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y)
    twin = clone(model)
    assert twin.get_params() == model.get_params()
    assert not hasattr(twin, "coefs_")


@pytest.mark.parametrize("cls", [scratch.MLPClassifier, TorchMLPClassifier])
def test_dataframes_keep_feature_names(cls):
    X, y = digits(100)
    df = pd.DataFrame(X, columns=[f"pixel_{i}" for i in range(X.shape[1])])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = cls((5,), max_iter=5, random_state=0).fit(df, pd.Series(y))
    assert list(model.feature_names_in_) == list(df.columns)
    with pytest.raises(ValueError, match="feature names"):
        model.predict(df[df.columns[::-1]])
