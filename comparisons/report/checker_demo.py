"""The checker at work, for the report: the textbook's network checked as written, and again
with the classic mistake planted (the same two checks docs/checking.md walks through)."""

import numpy as np

from reference import check_backprop, check_optimizer
from scratch.lecture.textbook_net import TextbookNet
from scratch.optim.adam import Adam


class DerivativeAtZ(TextbookNet):
    """The textbook's network with the classic mistake: sigmoid's derivative taken at z."""

    def sigmoid_derivative(self, z: np.ndarray, a: np.ndarray) -> np.ndarray:
        return z * (1 - z)


def _adam_step(params: list[np.ndarray], grads: list[np.ndarray], state: dict) -> None:
    """scratch's Adam (scikit-learn's epsilon placement) over the arrays, one flat vector."""
    flat = np.concatenate([p.ravel() for p in params])
    if "adam" not in state:
        state["adam"] = Adam(flat, learning_rate_init=1e-3)
    state["adam"].step(flat, np.concatenate([g.ravel() for g in grads]))
    start = 0
    for p in params:
        p[...] = flat[start : start + p.size].reshape(p.shape)
        start += p.size


def run() -> dict:
    """Each check's verdict, as printed, and its headline numbers."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(20, 6))
    Y = np.eye(3)[rng.integers(0, 3, size=20)]
    params = TextbookNet.init(n_features=6, n_hidden=5, n_classes=3)
    out = {}
    for key, net in (("textbook", TextbookNet(l2=0.01)), ("mistake", DerivativeAtZ(l2=0.01))):
        report = check_backprop(net.gradients, params, X, Y, activation="logistic",
                                output="logistic", alpha=0.01)
        out[key] = {"ok": report.ok, "loss_ok": report.loss_ok, "text": str(report)}
    state: dict = {}
    report = check_optimizer(lambda p, g: _adam_step(p, g, state), optimizer="adam", lr=1e-3)
    out["optimizer"] = {"ok": report.ok, "matches": report.matches, "text": str(report)}
    return out
