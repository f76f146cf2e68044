"""The checker's own reference, checked on the spot on the user's very network and batch:
against torch autograd (always), scikit-learn's own backprop (where its conventions apply)
and finite differences of the objective the convention describes (along one direction per
array, steps that would cross a ReLU kink left out)."""

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from reference.checking.backprop.conventions import SKLEARN, Convention
from reference.checking.backprop.grammar.network import Forward
from reference.checking.compare import relative_difference
from reference.twin.sklearn_adapters import sklearn_loss_and_gradients


@dataclass
class Network:
    """The network the reference is checked on: scikit-learn's layout, float64."""

    coefs: list[np.ndarray]
    intercepts: list[np.ndarray]
    n: int
    K: int
    alpha: float


_TORCH_ACTIVATIONS = {"identity": lambda z, s: z, "logistic": lambda z, s: torch.sigmoid(z),
                      "tanh": lambda z, s: torch.tanh(z), "relu": lambda z, s: torch.relu(z),
                      "leaky_relu": lambda z, s: F.leaky_relu(z, s)}


def torch_gradients(p: Network, X: np.ndarray, Y: np.ndarray, conv: Convention,
                    activation: str, output: str, loss: str, slope: float) -> list[np.ndarray]:
    """Autograd on the objective the convention describes."""
    coefs = [torch.tensor(W, requires_grad=True) for W in p.coefs]
    intercepts = [torch.tensor(b, requires_grad=True) for b in p.intercepts]
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # small products: threads only wait for a core
    try:
        return _autograd(coefs, intercepts, p, X, Y, conv, activation, output, loss, slope)
    finally:
        torch.set_num_threads(threads)


def _autograd(coefs: list, intercepts: list, p: Network, X: np.ndarray, Y: np.ndarray,
              conv: Convention, activation: str, output: str, loss: str, slope: float
              ) -> list[np.ndarray]:
    with torch.enable_grad():
        h, Yt = torch.tensor(X), torch.tensor(Y)
        for i, (W, b) in enumerate(zip(coefs, intercepts)):
            z = h @ W + b
            h = _TORCH_ACTIVATIONS[activation](z, slope) if i < len(coefs) - 1 else z
        if loss == "squared_error":
            out = {"softmax": lambda z: torch.softmax(z, 1), "logistic": torch.sigmoid,
                   "identity": lambda z: z}[output](h)
            per_sample = 0.5 * ((out - Yt) ** 2).sum(1)
        elif output == "softmax":
            per_sample = -(Yt * torch.log_softmax(h, 1)).sum(1)
        else:
            per_sample = F.binary_cross_entropy_with_logits(h, Yt, reduction="none").sum(1)
        objective = conv.scale(p.n, p.K) * per_sample.sum()
        c = conv.l2(p.n) * p.alpha
        for W, b in zip(coefs, intercepts):
            objective = objective + 0.5 * c * ((W**2).sum() + ((b**2).sum() if conv.biases
                                                              else 0))
        objective.backward()
    return [t.grad.numpy().ravel() for pair in zip(coefs, intercepts) for t in pair]


def _objective(p: Network, X: np.ndarray, Y: np.ndarray, conv: Convention, activation: str,
               output: str, loss: str, slope: float) -> Callable[[list[np.ndarray]], float]:
    def objective(flat: list[np.ndarray]) -> float:
        coefs, intercepts = flat[0::2], flat[1::2]
        fwd = Forward(X, Y, coefs, intercepts, activation, output, loss, slope)
        data = fwd.unit_loss() * conv.scale(p.n, p.K)
        c = conv.l2(p.n) * p.alpha
        penalty = sum((W**2).sum() for W in coefs) + (
            sum((b**2).sum() for b in intercepts) if conv.biases else 0)
        return data + 0.5 * c * penalty
    return objective


def directional_error(objective: Callable[[list[np.ndarray]], float],
                      params: list[np.ndarray], E: list[np.ndarray],
                      valid: Callable[[list[np.ndarray]], bool]) -> float | None:
    """The relative difference between E's derivative along E's own direction (all arrays
    at once) and the objective's, by fourth-order central differences (None where every
    step tried crosses a kink)."""
    norm = float(np.sqrt(sum(float(e @ e) for e in E)))
    if norm == 0:
        return 0.0
    v = [(e / norm).reshape(theta.shape) for theta, e in zip(params, E)]
    h = 1e-3 * max(max(float(np.abs(t).max(initial=0.0)) for t in params), 1.0)
    for _ in range(4):
        values = []
        for step in (h, -h, 2 * h, -2 * h):
            moved = [theta + step * d for theta, d in zip(params, v)]
            if not valid(moved):
                break
            values.append(objective(moved))
        if len(values) == 4:
            fd = (8 * (values[0] - values[1]) - (values[2] - values[3])) / (12 * h)
            return relative_difference(fd, norm)
        h /= 10
    return None


def self_check(p: Network, X: np.ndarray, Y: np.ndarray, conv: Convention, E: list,
               activation: str, output: str, loss: str, slope: float,
               valid: Callable[[list[np.ndarray]], bool]) -> dict[str, float | None]:
    """How closely the reference ``E`` agrees with torch autograd, scikit-learn's backprop
    (None where its conventions do not apply) and finite differences."""
    worst = lambda a, b: max(relative_difference(x, y) for x, y in zip(a, b))  # noqa: E731
    refs = {"torch autograd": worst(E, torch_gradients(p, X, Y, conv, activation, output,
                                                        loss, slope))}
    canonical = (output, loss) in (("softmax", "cross_entropy"), ("logistic", "cross_entropy"),
                                   ("identity", "squared_error"))
    sklearn_like = conv.batch == "mean" and conv.outputs == "sum" and conv.half and (
        p.alpha == 0 or (conv.l2_form, conv.l2_per_sample, conv.biases) ==
        (SKLEARN.l2_form, SKLEARN.l2_per_sample, SKLEARN.biases))
    refs["scikit-learn's backprop"] = None
    if canonical and sklearn_like and activation in ("identity", "logistic", "tanh", "relu"):
        _, dW, db = sklearn_loss_and_gradients(p.coefs, p.intercepts, X, Y,
                                               activation=activation, out_activation=output,
                                               alpha=p.alpha)
        refs["scikit-learn's backprop"] = worst(E, [g.ravel() for pair in zip(dW, db)
                                                    for g in pair])
    params = [a for pair in zip(p.coefs, p.intercepts) for a in pair]
    refs["finite differences"] = directional_error(
        _objective(p, X, Y, conv, activation, output, loss, slope), params, E, valid)
    return refs
