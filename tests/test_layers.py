"""Each layer and each loss on its own: backward against central finite differences."""

import numpy as np
import pytest

from reference.checking.compare import relative_difference
from scratch.layers.activations import make_activation
from scratch.layers.dense import Dense
from scratch.layers.losses import LogisticLoss, PoissonLoss, SoftmaxCrossEntropy, SquaredError


def numeric_gradient(f, x, h=1e-4):
    """Fourth-order central differences of the scalar f at x (x is perturbed and restored)."""
    grad = np.empty_like(x)
    for j in np.ndindex(x.shape):
        x0 = x[j]
        values = []
        for step in (h, -h, 2 * h, -2 * h):
            x[j] = x0 + step
            values.append(f())
        x[j] = x0
        grad[j] = (8 * (values[0] - values[1]) - (values[2] - values[3])) / (12 * h)
    return grad


@pytest.mark.parametrize("name", ["identity", "logistic", "tanh", "relu", "leaky_relu"])
def test_activation_backward_matches_finite_differences(name, rng):
    z = rng.normal(size=(6, 4))
    z[np.abs(z) < 1e-3] = 0.5  # keep away from the relu kink, where no derivative exists
    upstream = rng.normal(size=z.shape)

    def f():
        return np.sum(make_activation(name, 0.2).forward(z.copy()) * upstream)

    layer = make_activation(name, 0.2)
    layer.forward(z.copy())
    assert relative_difference(layer.backward(upstream.copy()), numeric_gradient(f, z)) < 1e-9


def test_dense_backward_matches_finite_differences(rng):
    X, W, b = rng.normal(size=(5, 3)), rng.normal(size=(3, 4)), rng.normal(size=4)
    upstream = rng.normal(size=(5, 4))
    layer = Dense(W, b, np.empty_like(W), np.empty_like(b))

    def f():
        return np.sum(layer.forward(X) * upstream)

    layer.forward(X)
    grad_X = layer.backward(upstream)
    for analytic, x in [(grad_X, X), (layer.grad_W.copy(), W), (layer.grad_b.copy(), b)]:
        assert relative_difference(analytic, numeric_gradient(f, x)) < 1e-9


LOSSES = {
    "softmax": (SoftmaxCrossEntropy, lambda rng, n, k: np.eye(k)[rng.integers(0, k, n)]),
    "logistic": (LogisticLoss, lambda rng, n, k: (rng.uniform(size=(n, k)) > 0.5) * 1.0),
    "squared": (lambda: SquaredError(average_outputs=False),
                lambda rng, n, k: rng.normal(size=(n, k))),
    "poisson": (PoissonLoss, lambda rng, n, k: rng.poisson(2.0, size=(n, k)) * 1.0),
}


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("name", LOSSES)
def test_loss_backward_matches_finite_differences(name, weighted, rng):
    """backward gives the gradient of the summed loss; divided by n (or the sum of the
    weights) it is the gradient of the mean loss that ``loss`` reports."""
    make, target = LOSSES[name]
    n, k = 7, 3
    z, y = rng.normal(size=(n, k)), target(rng, n, k)
    sw = rng.uniform(0.5, 2, size=n) if weighted else None
    loss = make()

    def f():
        return loss.loss(y, loss.forward(z.copy()), sw)

    p = loss.forward(z.copy())
    analytic = loss.backward(y, p, sw) / (n if sw is None else sw.sum())
    assert relative_difference(analytic, numeric_gradient(f, z)) < 1e-9


def test_squared_error_reports_the_mean_over_outputs_as_sklearn_does(rng):
    y, p = rng.normal(size=(5, 3)), rng.normal(size=(5, 3))
    summed = SquaredError(average_outputs=False).loss(y, p)
    assert SquaredError().loss(y, p) == pytest.approx(summed / 3, rel=1e-15)
