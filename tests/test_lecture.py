"""The lecture, runnable: single layers cannot do XOR, the gates, vanishing gradients."""

import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits
from sklearn.linear_model import Perceptron as SkPerceptron
from sklearn.preprocessing import StandardScaler

import scratch
from scratch.lecture.autodiff import Value
from scratch.lecture.perceptron import Adaline, Perceptron
from scratch.lecture.vanishing import first_to_last_ratio, layer_gradient_norms
from tests.datasets import xor


@pytest.mark.parametrize("model", [Perceptron, Adaline], ids=lambda m: m.__name__)
def test_single_layer_models_get_at_most_three_of_four_xor_points(model):
    X, y = xor()
    for seed in range(20):
        for epochs in (10, 100, 1000):
            fitted = model(n_epochs=epochs, random_state=seed).fit(X, y)
            assert (fitted.predict(X) == y).sum() <= 3


def test_sklearns_perceptron_agrees_and_a_hidden_layer_solves_xor():
    X, y = xor()
    for seed in range(10):
        assert (SkPerceptron(random_state=seed, max_iter=1000).fit(X, y).predict(X) == y).sum() <= 3
    mlp = scratch.MLPClassifier((8,), activation="tanh", learning_rate_init=0.05,
                                max_iter=500, random_state=0).fit(X, y)
    assert (mlp.predict(X) == y).sum() == 4


def test_perceptron_and_adaline_solve_a_separable_problem():
    X, y = xor()
    y_and = np.array([0, 0, 0, 1])
    assert (Perceptron(n_epochs=50).fit(X, y_and).predict(X) == y_and).all()
    assert (Adaline(n_epochs=500, learning_rate=0.1).fit(X, y_and).predict(X) == y_and).all()


def torch_grads(f, *values):
    leaves = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in values]
    f(*leaves).backward()
    return [leaf.grad.item() for leaf in leaves]


def test_add_distributes_and_multiply_swaps():
    x, y = Value(3.0), Value(-2.0)
    z = x * y + x * 0.5
    z.backward()
    assert [x.grad, y.grad] == torch_grads(lambda a, b: a * b + a * 0.5, 3.0, -2.0)
    a, b = Value(1.5), Value(4.0)
    (a + b).backward()
    assert a.grad == b.grad == 1.0
    c, d = Value(1.5), Value(4.0)
    (c * d).backward()
    assert (c.grad, d.grad) == (4.0, 1.5)


def test_copy_adds_and_max_routes():
    x = Value(2.0)
    y = x * x + x  # x is used three times: the gradients add up, 2x + 1
    y.backward()
    assert x.grad == 5.0 == torch_grads(lambda a: a * a + a, 2.0)[0]
    p, q = Value(1.0), Value(3.0)
    (p.max(q) * 2.0).backward()
    assert (p.grad, q.grad) == (0.0, 2.0)
    assert [p.grad, q.grad] == torch_grads(lambda a, b: torch.maximum(a, b) * 2.0, 1.0, 3.0)


def test_a_small_graph_matches_torch():
    def f(a, b, c):
        h = a * b + c
        m = h.max(c) if isinstance(h, Value) else torch.maximum(h, c)
        return m * a + b * b

    values = (0.7, -1.3, 0.4)
    leaves = [Value(v) for v in values]
    f(*leaves).backward()
    assert [leaf.grad for leaf in leaves] == pytest.approx(torch_grads(f, *values), abs=1e-15)


@pytest.fixture(scope="module")
def digits_onehot():
    X, y = load_digits(return_X_y=True)
    X = StandardScaler().fit_transform(X)[:500]
    return X, np.eye(10)[y[:500]]


def test_logistic_gradients_vanish_with_depth_and_relu_ones_do_not(digits_onehot):
    X, Y = digits_onehot
    logistic = [first_to_last_ratio(X, Y, d, "logistic") for d in (2, 12)]
    relu = [first_to_last_ratio(X, Y, d, "relu") for d in (2, 12)]
    assert logistic[1] / logistic[0] < 1e-6  # six orders of magnitude lost over ten layers
    assert relu[1] / relu[0] > 1e-2 and relu[1] > 0.1


def test_layer_gradient_norms_has_one_norm_per_weight_matrix(digits_onehot):
    X, Y = digits_onehot
    norms = layer_gradient_norms(X, Y, 4, "tanh")
    assert norms.shape == (5,) and np.all(norms > 0)
