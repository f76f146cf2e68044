"""The torch twin as a PyTorch user would write it (conventions="torch"), and its manners."""

import warnings

import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier as SkMLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import scratch
from reference.twin.torch_estimators import TorchMLPClassifier, TorchMLPRegressor
from tests.datasets import digits, xor


@pytest.mark.slow  # trains the torch twin over many seeds: 3 s
def test_xor_with_torch_conventions_in_at_least_18_of_20_seeds():
    X, y = xor()
    solved = 0
    for seed in range(20):
        model = TorchMLPClassifier((8,), activation="tanh", learning_rate_init=0.05,
                                   max_iter=500, random_state=seed, conventions="torch")
        solved += bool(np.all(model.fit(X, y).predict(X) == y))
    assert solved >= 18, solved


@pytest.mark.slow  # trains the torch twin on the digits over many seeds: 17 s
def test_digits_with_torch_conventions_is_as_accurate_as_sklearn():
    X, y = load_digits(return_X_y=True)
    ours, theirs = [], []
    for seed in range(5):
        X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.3, stratify=y,
                                                  random_state=seed)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            for scores, model in [(ours, TorchMLPClassifier(random_state=seed,
                                                            conventions="torch")),
                                  (theirs, SkMLPClassifier(random_state=seed))]:
                pipe = make_pipeline(StandardScaler(), model).fit(X_tr, y_tr)
                scores.append(pipe.score(X_te, y_te))
    assert np.mean(ours) >= 0.97
    assert abs(np.mean(ours) - np.mean(theirs)) <= 0.01


def test_torch_conventions_use_nn_linear_init_and_two_logits_for_binary():
    X, y = digits(100)
    model = TorchMLPClassifier((20,), conventions="torch", max_iter=1, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y % 2)
    assert model.coefs_[-1].shape == (20, 2) and model.out_activation_ == "softmax"
    np.testing.assert_allclose(model.predict_proba(X).sum(axis=1), 1.0)


def test_dtype_follows_X():
    X, y = digits(60)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = TorchMLPClassifier((5,), max_iter=2, random_state=0).fit(
            X.astype(np.float32), y)
    assert model.coefs_[0].dtype == np.float32
    assert model.predict_proba(X.astype(np.float32)).dtype == np.float32


def test_cuda_when_absent_is_a_clear_error():
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    X, y = digits(30)
    with pytest.raises(ValueError, match="cuda"):
        TorchMLPClassifier(device="cuda").fit(X, y)


def test_the_callers_global_torch_rng_is_left_alone():
    X, y = digits(60)
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        TorchMLPClassifier((5,), max_iter=2, random_state=0, conventions="torch",
                           dropout=0.2).fit(X, y)
    assert torch.equal(torch.rand(3), expected)


@pytest.mark.parametrize("task", ["binary", "multiclass", "multilabel", "regression",
                                  "multioutput"])
def test_loss_and_gradients_of_the_twin_equal_scratchs(task):
    from tests.datasets import task_data

    X, y = task_data(task, np.random.default_rng(0), n=30)
    regression = task in ("regression", "multioutput")
    ours, twin = ((scratch.MLPRegressor, TorchMLPRegressor) if regression
                  else (scratch.MLPClassifier, TorchMLPClassifier))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        a = ours(hidden_layer_sizes=(4,), max_iter=3, random_state=0, alpha=0.3).fit(X, y)
        b = twin(hidden_layer_sizes=(4,), max_iter=3, random_state=0, alpha=0.3).fit(X, y)
    loss_a, coefs_a, intercepts_a = a.loss_and_gradients(X, y)
    loss_b, coefs_b, intercepts_b = b.loss_and_gradients(X, y)
    assert loss_b == pytest.approx(loss_a, rel=1e-12)
    for g, h in zip(coefs_a + intercepts_a, coefs_b + intercepts_b):
        assert g.shape == h.shape
        np.testing.assert_allclose(h, g, rtol=1e-10, atol=1e-14)
