"""One question, three answers: the gradient of scikit-learn's objective at given weights.

``scratch_gradients``, ``torch_gradients`` (autograd), ``sklearn_gradients`` (its own
backprop) and ``finite_difference_gradients`` (central differences on scratch's loss, through
``finite_differences``, which differentiates any loss function) all take
weights in scikit-learn's layout and an encoded target ``Y`` (n_samples, n_outputs), and return
``(loss, coef_grads, intercept_grads)``. ``assert_same_gradients`` compares any two of them.
"""

from collections.abc import Callable

import numpy as np
import torch

from reference.checking.compare import relative_difference
from reference.twin.exchange import load_into_torch
from reference.twin.sklearn_adapters import sklearn_loss_and_gradients
from reference.twin.torch_losses import data_loss, l2_penalty
from reference.twin.torch_mlp import TorchMLP
from scratch.layers.losses import SquaredError, make_loss
from scratch.network import Network

Gradients = tuple[float, list[np.ndarray], list[np.ndarray]]  # (loss, coef, intercept grads)


def _layer_units(coefs: list[np.ndarray]) -> list[int]:
    return [coefs[0].shape[0]] + [W.shape[1] for W in coefs]


def _scratch_network(coefs: list[np.ndarray], intercepts: list[np.ndarray], activation: str,
                     out_activation: str, negative_slope: float = 0.01,
                     consistent: bool = False) -> Network:
    loss = make_loss(out_activation)
    if consistent and isinstance(loss, SquaredError):
        loss = SquaredError(average_outputs=False)
    return Network.from_weights(coefs, intercepts, activation, loss,
                                negative_slope=negative_slope)


def scratch_gradients(
    coefs: list[np.ndarray], intercepts: list[np.ndarray], X: np.ndarray, Y: np.ndarray, *,
    activation: str, out_activation: str, alpha: float = 0.0,
    sample_weight: np.ndarray | None = None, negative_slope: float = 0.01,
) -> Gradients:
    """scratch's network: loss (as scikit-learn reports it) and backpropagated gradients."""
    net = _scratch_network(coefs, intercepts, activation, out_activation, negative_slope)
    loss = net.loss_and_gradients(X, Y, alpha, sample_weight)
    return (loss, [layer.grad_W.copy() for layer in net.layers],
            [layer.grad_b.copy() for layer in net.layers])


def torch_gradients(
    coefs: list[np.ndarray], intercepts: list[np.ndarray], X: np.ndarray, Y: np.ndarray, *,
    activation: str, out_activation: str, alpha: float = 0.0,
    sample_weight: np.ndarray | None = None, negative_slope: float = 0.01,
) -> Gradients:
    """Autograd through ``TorchMLP`` and ``reference.twin.torch_losses`` (sum over outputs)."""
    model = TorchMLP(_layer_units(coefs), activation, negative_slope=negative_slope,
                     dtype=torch.float64)
    load_into_torch(model, coefs, intercepts)
    X_t = torch.as_tensor(np.asarray(X, dtype=np.float64))
    Y_t = torch.as_tensor(np.asarray(Y, dtype=np.float64))
    sw = None if sample_weight is None else torch.as_tensor(np.asarray(sample_weight, float))
    n = X_t.shape[0] if sw is None else sw.sum()
    loss = data_loss(model(X_t), Y_t, out_activation, sw)
    loss = loss + l2_penalty([lin.weight for lin in model.linears], alpha, n)
    loss.backward()
    coef_grads = [lin.weight.grad.numpy().T.copy() for lin in model.linears]
    intercept_grads = [lin.bias.grad.numpy().copy() for lin in model.linears]
    return loss.item(), coef_grads, intercept_grads


def sklearn_gradients(
    coefs: list[np.ndarray], intercepts: list[np.ndarray], X: np.ndarray, Y: np.ndarray, *,
    activation: str, out_activation: str, alpha: float = 0.0,
    sample_weight: np.ndarray | None = None,
) -> Gradients:
    """scikit-learn's own ``_backprop`` at these weights."""
    return sklearn_loss_and_gradients(coefs, intercepts, X, Y, activation=activation,
                                      out_activation=out_activation, alpha=alpha,
                                      sample_weight=sample_weight)


def finite_differences(loss: Callable[[list[np.ndarray]], float], params: list[np.ndarray],
                       *, h: float = 1e-4, max_coordinates: int | None = None, seed: int = 0,
                       valid: Callable[[list[np.ndarray]], bool] | None = None,
                       ) -> list[tuple[np.ndarray, np.ndarray]]:
    """Fourth-order central differences of any ``loss(params) -> float``, one coordinate at
    a time: dL/dw = [8 (L(w + h) - L(w - h)) - (L(w + 2h) - L(w - 2h))] / 12h, error O(h^4).

    ``params`` is a list of float arrays of any shapes; ``loss`` receives copies with one
    coordinate moved (the caller's arrays are never changed). Every coordinate, or
    ``max_coordinates`` sampled per array. ``valid(moved params)`` may refuse a moved point
    (a step across a ReLU kink, where the loss has no derivative): such coordinates are left
    out. Returns, per array, (flat indices, derivatives).
    """
    rng = np.random.default_rng(seed)
    base = [np.array(p, dtype=np.float64) for p in params]
    out = []
    for k, array in enumerate(base):
        idx = np.arange(array.size)
        if max_coordinates is not None and idx.size > max_coordinates:
            idx = np.sort(rng.choice(idx, max_coordinates, replace=False))
        kept, values = [], []
        for j in idx:
            losses, ok = [], True
            for step in (h, -h, 2 * h, -2 * h):
                moved = [p.copy() for p in base]
                moved[k].flat[j] += step
                ok = ok and (valid is None or valid(moved))
                losses.append(float(loss(moved)))
            if ok:
                kept.append(j)
                values.append((8 * (losses[0] - losses[1]) - (losses[2] - losses[3]))
                              / (12 * h))
        out.append((np.array(kept, dtype=int), np.array(values)))
    return out


def finite_difference_gradients(
    coefs: list[np.ndarray], intercepts: list[np.ndarray], X: np.ndarray, Y: np.ndarray, *,
    activation: str, out_activation: str, alpha: float = 0.0,
    sample_weight: np.ndarray | None = None, negative_slope: float = 0.01, h: float = 1e-4,
) -> Gradients:
    """Fourth-order central differences of the objective whose gradient backprop computes
    (for multi-output squared error: the sum over outputs), one parameter at a time:
    dL/dw = [8 (L(w + h) - L(w - h)) - (L(w + 2h) - L(w - 2h))] / 12h, error O(h^4)."""
    net = _scratch_network(coefs, intercepts, activation, out_activation, negative_slope,
                           consistent=True)
    X = np.asarray(X, dtype=np.float64)
    theta = net.params.copy()

    def objective(flat: list[np.ndarray]) -> float:
        net.params[...] = flat[0]
        return net.loss_and_gradients(X, Y, alpha, sample_weight)

    (_, grad), = finite_differences(objective, [theta], h=h)
    net.params[...] = theta
    loss = net.loss_and_gradients(X, Y, alpha, sample_weight)
    net.grads[...] = grad
    return (loss, [layer.grad_W.copy() for layer in net.layers],
            [layer.grad_b.copy() for layer in net.layers])


def per_layer_differences(grads_a: Gradients,
                          grads_b: Gradients) -> list[tuple[float, float]]:
    """[(coef difference, intercept difference) per layer] between two gradient triples."""
    return [(relative_difference(ga, gb), relative_difference(ia, ib))
            for ga, gb, ia, ib in zip(grads_a[1], grads_b[1], grads_a[2], grads_b[2])]


def assert_same_gradients(grads_a: Gradients, grads_b: Gradients, rtol: float,
                          names: tuple[str, str] = ("a", "b")) -> None:
    """Fail, naming the layer, unless every gradient array agrees to ``rtol`` (relative)."""
    for i, pair in enumerate(per_layer_differences(grads_a, grads_b)):
        for part, difference in zip(("coef", "intercept"), pair):
            assert difference <= rtol, (
                f"layer {i} {part} gradient: {names[0]} vs {names[1]} differ by {difference:.3g}")
