"""scratch's estimators behave like scikit-learn's throughout the API, not only in fit."""

import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import NotFittedError

import scratch
from reference.twin.sklearn_adapters import sklearn_loss_and_gradients
from tests.datasets import task_data
from tests.twins import call, fit_twins, twin

CLASSIFIER_TASKS = ["binary", "multiclass", "multilabel"]
REGRESSOR_TASKS = ["regression", "multioutput", "poisson"]


def fitted_twins(task, **params):
    X, y = task_data(task, np.random.default_rng(0), n=40)
    kind = "classifier" if task in CLASSIFIER_TASKS else "regressor"
    if task == "poisson":
        params.setdefault("loss", "poisson")
    params = dict(hidden_layer_sizes=(5,), max_iter=20, random_state=0, **params)
    return (*fit_twins(kind, X, y, **params), X, y)


@pytest.mark.parametrize("task", CLASSIFIER_TASKS + REGRESSOR_TASKS)
def test_same_public_fitted_attributes(task):
    ours, theirs, _, _ = fitted_twins(task)

    def public(est):
        return {k for k in vars(est) if k.endswith("_") and not k.startswith("_")}

    extras = {"validation_loss_curve_"} if ours.solver != "lbfgs" else set()
    assert public(ours) == public(theirs) | extras


@pytest.mark.parametrize("task", CLASSIFIER_TASKS)
def test_classifier_methods_agree(task):
    ours, theirs, X, y = fitted_twins(task)
    for method in ["predict_proba", "predict_log_proba"]:
        np.testing.assert_allclose(getattr(ours, method)(X), getattr(theirs, method)(X),
                                   rtol=0, atol=1e-12)
    np.testing.assert_array_equal(ours.predict(X), theirs.predict(X))
    assert ours.score(X, y) == theirs.score(X, y)


@pytest.mark.parametrize("task", REGRESSOR_TASKS)
def test_regressor_methods_agree(task):
    ours, theirs, X, y = fitted_twins(task)
    np.testing.assert_allclose(ours.predict(X), theirs.predict(X), rtol=1e-12, atol=1e-12)
    assert ours.score(X, y) == pytest.approx(theirs.score(X, y), abs=1e-12)


def test_string_labels_and_binary_probabilities():
    ours, theirs, X, y = fitted_twins("binary")
    assert list(ours.classes_) == ["no", "yes"]
    assert set(ours.predict(X)) <= {"no", "yes"}
    proba = ours.predict_proba(X)
    assert proba.shape == (len(X), 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert ours.coefs_[-1].shape[1] == 1  # one logistic unit, as scikit-learn


def test_multilabel_predicts_indicator_matrix():
    ours, _, X, y = fitted_twins("multilabel")
    assert ours.predict(X).shape == y.shape
    assert ours.out_activation_ == "logistic"


@pytest.mark.parametrize("solver", ["adam", "sgd", "lbfgs"])
def test_float32_stays_float32(solver):
    X, y = task_data("multiclass", np.random.default_rng(0), n=40)
    X32 = X.astype(np.float32)
    model = scratch.MLPClassifier((5,), solver=solver, max_iter=5, random_state=0)
    call(model.fit, X32, y)
    assert all(W.dtype == np.float32 for W in model.coefs_ + model.intercepts_)
    assert model.predict_proba(X32).dtype == np.float32
    reference = scratch.MLPClassifier((5,), solver=solver, max_iter=5, random_state=0)
    call(reference.fit, X, y)
    assert max(np.abs(a - b).max() for a, b in zip(model.coefs_, reference.coefs_)) < 1e-3


def test_integer_input_becomes_float64():
    X, y = task_data("binary", np.random.default_rng(0), n=40)
    model = scratch.MLPClassifier((3,), max_iter=3, random_state=0)
    call(model.fit, np.round(X * 10).astype(int), y)
    assert model.coefs_[0].dtype == np.float64


def test_pandas_feature_names_are_kept():
    X, y = task_data("multiclass", np.random.default_rng(0), n=40)
    df = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    model = scratch.MLPClassifier((4,), max_iter=3, random_state=0)
    call(model.fit, df, y)
    assert list(model.feature_names_in_) == list(df.columns)
    with pytest.warns(UserWarning, match="does not have valid feature names"):
        np.testing.assert_array_equal(model.predict(df), model.predict(X))


@pytest.mark.parametrize("task", CLASSIFIER_TASKS + REGRESSOR_TASKS)
def test_loss_and_gradients_equals_sklearn_backprop(task):
    ours, _, X, y = fitted_twins(task, alpha=0.5)
    loss, coef_grads, intercept_grads = ours.loss_and_gradients(X, y)
    if task in ("binary", "multiclass"):
        Y = ours._label_binarizer.transform(y).astype(float)
    else:
        Y = np.asarray(y, dtype=float).reshape(len(X), -1)
    ref = sklearn_loss_and_gradients(ours.coefs_, ours.intercepts_, X, Y,
                                     activation=ours.activation,
                                     out_activation=ours.out_activation_, alpha=0.5)
    assert loss == pytest.approx(ref[0], rel=1e-12)
    for a, b in zip(coef_grads + intercept_grads, ref[1] + ref[2]):
        assert a.shape == b.shape
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-14)


def test_loss_and_gradients_changes_nothing():
    ours, _, X, y = fitted_twins("multiclass")
    before = [W.copy() for W in ours.coefs_ + ours.intercepts_]
    ours.loss_and_gradients(X, y)
    for a, b in zip(before, ours.coefs_ + ours.intercepts_):
        np.testing.assert_array_equal(a, b)


def test_loss_and_gradients_rejects_unknown_labels():
    ours, _, X, y = fitted_twins("multiclass")
    with pytest.raises(ValueError, match="not in classes_"):
        ours.loss_and_gradients(X, np.full(len(X), 99))


def test_predict_before_fit_raises_not_fitted():
    for est in twin("classifier"):
        with pytest.raises(NotFittedError):
            est.predict(np.zeros((2, 3)))


BAD_X = {
    "nan": lambda X: np.where(np.arange(X.size).reshape(X.shape) == 3, np.nan, X),
    "inf": lambda X: np.where(np.arange(X.size).reshape(X.shape) == 3, np.inf, X),
    "empty": lambda X: X[:0],
    "one_d": lambda X: X[:, 0],
    "text": lambda X: np.array([["a"] * X.shape[1]] * len(X)),
    "three_d": lambda X: X[:, :, None],
}


@pytest.mark.parametrize("bad", BAD_X)
@pytest.mark.parametrize("kind", ["classifier", "regressor"])
def test_bad_X_gets_sklearns_error_and_is_not_modified(kind, bad):
    X, y = task_data("binary" if kind == "classifier" else "regression",
                     np.random.default_rng(0), n=20)
    Xb = BAD_X[bad](X)
    y = y[: len(Xb)]
    kept = Xb.copy()
    errors = [call(est.fit, Xb, y)[0] for est in twin(kind, max_iter=2)]
    assert isinstance(errors[1], Exception)
    assert type(errors[0]) is type(errors[1]), errors
    assert str(errors[0]) == str(errors[1])
    np.testing.assert_array_equal(Xb, kept)


BAD_PARAMS = [dict(activation="softmax"), dict(solver="newton"), dict(alpha=-1.0),
              dict(hidden_layer_sizes=(0,)), dict(hidden_layer_sizes=(5, -2)),
              dict(batch_size=0), dict(learning_rate_init=0.0), dict(momentum=1.5),
              dict(validation_fraction=1.0), dict(beta_1=1.0), dict(max_iter=0),
              dict(n_iter_no_change=0), dict(learning_rate="cyclic"), dict(tol=-1)]


@pytest.mark.parametrize("params", BAD_PARAMS, ids=str)
def test_bad_parameters_get_sklearns_error(params):
    X, y = task_data("binary", np.random.default_rng(0), n=20)
    errors = [call(est.fit, X, y)[0] for est in twin("classifier", **params)]
    assert isinstance(errors[1], Exception)
    assert type(errors[0]) is type(errors[1])
    (name, value), = params.items()
    same = str(errors[0]) == str(errors[1])
    assert same or (name in str(errors[0]) and repr(value) in str(errors[0]))  # sets: any order


def test_mismatched_lengths_and_wrong_feature_count():
    X, y = task_data("binary", np.random.default_rng(0), n=20)
    for est in twin("classifier", max_iter=2):
        with pytest.raises(ValueError, match="inconsistent numbers of samples"):
            est.fit(X, y[:-1])
        call(est.fit, X, y)
        with pytest.raises(ValueError, match="features"):
            est.predict(X[:, :-1])


def test_partial_fit_unseen_class_is_refused_and_model_kept():
    X, y = task_data("multiclass", np.random.default_rng(0), n=30)
    model = scratch.MLPClassifier((4,), random_state=0)
    model.partial_fit(X, y, classes=np.unique(y))
    before = [W.copy() for W in model.coefs_]
    with pytest.raises(ValueError, match="classes not in"):
        model.partial_fit(X, np.where(y == 0, 7, y))
    for a, b in zip(before, model.coefs_):
        np.testing.assert_array_equal(a, b)


def test_partial_fit_needs_classes_first_and_refuses_lbfgs():
    X, y = task_data("multiclass", np.random.default_rng(0), n=30)
    with pytest.raises(ValueError, match="classes must be passed"):
        scratch.MLPClassifier().partial_fit(X, y)
    assert not hasattr(scratch.MLPClassifier(solver="lbfgs"), "partial_fit")
    with pytest.raises(ValueError, match="early_stopping"):
        scratch.MLPClassifier(early_stopping=True).partial_fit(X, y, classes=np.unique(y))


def test_divergence_is_a_clear_error_and_leaves_no_fitted_model():
    X, y = task_data("regression", np.random.default_rng(0), n=40)
    model = scratch.MLPRegressor(solver="sgd", learning_rate_init=10.0, max_iter=50,
                                 random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # one clear error, not a flood of RuntimeWarnings
        with pytest.raises(ValueError, match="diverged.*learning rate"):
            model.fit(X * 100, y * 100)
    with pytest.raises(NotFittedError):
        model.predict(X)


def test_failed_refit_keeps_the_previous_model():
    X, y = task_data("multiclass", np.random.default_rng(0), n=30)
    model = scratch.MLPClassifier((4,), max_iter=5, random_state=0, warm_start=True)
    call(model.fit, X, y)
    state = {k: v for k, v in vars(model).items() if k.endswith("_")}
    weights = [W.copy() for W in model.coefs_]
    with pytest.raises(ValueError):
        model.fit(X, np.where(y == 0, 9, y))  # warm start with new classes
    assert {k for k in vars(model) if k.endswith("_")} == set(state)
    for a, b in zip(weights, model.coefs_):
        np.testing.assert_array_equal(a, b)
    assert model.n_iter_ == state["n_iter_"]


def test_caller_arrays_are_never_modified():
    X, y = task_data("multiclass", np.random.default_rng(0), n=40)
    sw = np.linspace(0.5, 1.5, len(X))
    copies = X.copy(), y.copy(), sw.copy()
    model = scratch.MLPClassifier((4,), max_iter=3, random_state=0, early_stopping=True)
    call(model.fit, X, y, sample_weight=sw)
    model.predict_proba(X)
    model.loss_and_gradients(X, y, sample_weight=sw)
    for a, b in zip((X, y, sw), copies):
        np.testing.assert_array_equal(a, b)
