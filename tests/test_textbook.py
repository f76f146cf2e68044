"""The textbook's experiment: the book's update, summed over the batch, equals one step of
each twin (and of scikit-learn) once its eta and l2 are converted; and the shipped MNIST."""

import numpy as np
import pytest
import sklearn.neural_network as sk
from sklearn.datasets import load_digits

import scratch
from comparisons.data import SHIPPED_TEST_SIZE, shipped_mnist
from comparisons.report.textbook import BOOK, run, twin_params
from reference import TorchMLPClassifier
from reference.twin.sklearn_adapters import sklearn_fit_from
from scratch.lecture.textbook_net import TextbookNet

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def one_hot_batch(n=100):
    X, y = load_digits(return_X_y=True)
    return X[:n] / 16.0, np.eye(10)[y[:n]].astype(int)


@pytest.mark.parametrize("framework", ["scratch", "torch", "sklearn"])
@pytest.mark.parametrize("eta,l2", [(0.0005, 0.01), (0.003, 0.5), (0.001, 0.0)])
def test_one_book_step_is_one_step_of_the_twins(framework, eta, l2):
    X, Y = one_hot_batch()
    start = TextbookNet.init(64, 20, 10, seed=3)
    coefs, intercepts = start[0::2], start[1::2]
    expected = TextbookNet(l2=l2, eta=eta).step(start, X, Y)
    params = {**twin_params(n_hidden=20, l2=l2, eta=eta, minibatch_size=len(X), epochs=1),
              "shuffle": False}
    if framework == "sklearn":
        model = sklearn_fit_from(sk.MLPClassifier(**params), X, Y, coefs, intercepts)
    else:
        cls = scratch.MLPClassifier if framework == "scratch" else TorchMLPClassifier
        model = cls(**params).fit(X, Y, coefs_init=coefs, intercepts_init=intercepts)
    assert model.out_activation_ == "logistic" and model.n_outputs_ == 10
    for ours, book in zip(model.coefs_ + model.intercepts_, expected[0::2] + expected[1::2]):
        np.testing.assert_allclose(ours, book, rtol=0, atol=1e-14)


def test_the_conversion_is_written_out_in_the_parameters():
    p = twin_params(**BOOK)
    assert p["learning_rate_init"] == pytest.approx(0.0005 * 100)
    assert p["alpha"] == 0.01 and p["batch_size"] == 100 and p["momentum"] == 0
    assert p["n_iter_no_change"] > p["max_iter"] == 200


@pytest.mark.slow  # trains the book's network on the shipped digits: 3 s
def test_the_shipped_mnist_is_real_stratified_and_fixed():
    X_tr, X_te, y_tr, y_te = shipped_mnist()
    assert X_tr.shape == (4000, 784) and X_te.shape == (SHIPPED_TEST_SIZE, 784)
    assert 0.0 <= X_tr.min() and X_tr.max() == 1.0
    np.testing.assert_array_equal(np.bincount(y_tr), [400] * 10)
    np.testing.assert_array_equal(np.bincount(y_te), [100] * 10)
    again = shipped_mnist()
    np.testing.assert_array_equal(again[0], X_tr)
    # real handwriting: the mean digit 1 is a thin vertical stroke, darkest in the middle
    mean_one = X_tr[y_tr == 1].mean(axis=0).reshape(28, 28)
    assert mean_one[8:20, 12:16].mean() > 4 * mean_one[:, :6].mean()


@pytest.mark.slow  # trains the book's network on the shipped digits: 4 s
def test_the_book_network_learns_the_shipped_digits_in_every_framework():
    split = shipped_mnist()
    result = run(split, seeds=1, epochs=15)
    accuracies = {f: m["test_accuracy"][0] for f, m in result["models"].items()}
    assert min(accuracies.values()) > 0.75, accuracies
    assert max(accuracies.values()) - min(accuracies.values()) < 1e-9  # one model, three ways
