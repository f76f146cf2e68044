"""The losses: softmax_cross_entropy (scores and labels) and squared_error (predictions and
targets). Only the first input is differentiated; labels and targets are passed through. The
output is one number, and the backward's gradient is the loss's (times dout, which is 1).
"""

import numpy as np
import torch
import torch.nn.functional as F

from reference.checking.layer.kinds.base import Binding, Convention, Mistake


def _labels(inputs: list, wanted: list[int], C: int) -> tuple[np.ndarray, str]:
    """The targets as a (N, C) matrix of probabilities, and how they were given."""
    given = [v for k, v in enumerate(inputs) if k != wanted[0] and isinstance(v, np.ndarray)]
    if not given:
        raise ValueError("kind='softmax_cross_entropy' needs the labels among the inputs: "
                         "class indices (N,) or one-hot rows (N, C).")
    y = given[0]
    if y.ndim == 1:
        return np.eye(C)[np.asarray(y, dtype=int)], "class indices"
    return np.asarray(y, dtype=np.float64), "one-hot (or probability) rows"


def softmax_cross_entropy(inputs: list, names: list[str], wanted: list[int],
                          out: np.ndarray) -> Binding:
    x = inputs[wanted[0]]
    if x.ndim != 2:
        raise ValueError(f"kind='softmax_cross_entropy' needs scores of shape (N, C), got "
                         f"{x.shape}.")
    N, C = x.shape
    Y, given = _labels(inputs, wanted, C)
    Yt = torch.tensor(Y)

    def loss(mean: bool):
        return lambda t: (-(Yt * F.log_softmax(t["x"], dim=1)).sum() / (N if mean else 1))
    conventions = [
        Convention({"reduction": "the mean over the batch (torch's CrossEntropyLoss default)",
                    "labels": given}, loss(True)),
        Convention({"reduction": "the sum over the batch", "labels": given}, loss(False),
                   "torch's CrossEntropyLoss averages over the batch (reduction='mean'); "
                   "this one sums"),
    ]

    def mistakes(convention: Convention) -> dict[str, Mistake]:
        mean = "mean" in convention.words["reduction"]
        s, other = (1 / N, 1.0) if mean else (1.0, 1 / N)
        p = lambda a: np.asarray(F.softmax(torch.tensor(a["x"]), 1))  # noqa: E731
        return {
            "other_reduction": Mistake(
                ("the gradient sums over the batch while the loss averages: it is N times "
                 "too large") if mean else ("the gradient averages over the batch while the "
                                            "loss sums: it is N times too small"),
                lambda a, dout, y: {"x": other * (p(a) - Y)}),
            "target_not_subtracted": Mistake(
                "the target is not subtracted: the gradient is p instead of p - y",
                lambda a, dout, y: {"x": s * p(a)}),
            "sign": Mistake("the sign is flipped: y - p instead of p - y",
                            lambda a, dout, y: {"x": s * (Y - p(a))}),
            "scores_for_probabilities": Mistake(
                "the scores are used instead of the softmax's probabilities: x - y instead of "
                "p - y", lambda a, dout, y: {"x": s * (a["x"] - Y)}),
            "sigmoid_habit": Mistake(
                "the gradient is multiplied by p (1 - p), a squared-error habit: with "
                "cross-entropy the softmax's derivative cancels and it is p - y",
                lambda a, dout, y: {"x": s * (p(a) - Y) * p(a) * (1 - p(a))}),
        }
    return Binding({"x": wanted[0]}, conventions, mistakes)


def squared_error(inputs: list, names: list[str], wanted: list[int], out: np.ndarray
                  ) -> Binding:
    pred = inputs[wanted[0]]
    given = [v for k, v in enumerate(inputs) if k != wanted[0] and isinstance(v, np.ndarray)]
    if not given:
        raise ValueError("kind='squared_error' needs the targets among the inputs.")
    target = np.asarray(given[0], dtype=np.float64)
    if target.size != pred.size:
        raise ValueError(f"kind='squared_error': the targets have {target.size} values, the "
                         f"predictions {pred.size}.")
    target_t = torch.tensor(target.reshape(pred.shape))
    N, size = pred.shape[0] if pred.ndim else 1, pred.size
    choices = [(0.5, "1/2 sum", "half the sum of squares (no mean)"),
               (1.0, "sum", "the sum of squares (no mean, no 1/2)"),
               (0.5 / N, "1/(2N) sum", "the mean over the batch of half the squares summed "
                                       "over the outputs"),
               (1.0 / N, "1/N sum", "the mean over the batch of the squares summed over the "
                                    "outputs"),
               (0.5 / size, "1/(2 N K) sum", "half the mean over every element"),
               (1.0 / size, "1/(N K) sum", "the mean over every element (torch's MSELoss)")]

    def loss(c: float):
        return lambda t: c * ((t["x"] - target_t) ** 2).sum()
    conventions = [Convention({"loss": f"{words}: {formula} (pred - y)^2"}, loss(c),
                              None if c == 1.0 / size else "torch's MSELoss takes the mean "
                              "over every element, without the 1/2")
                   for c, formula, words in choices]

    def mistakes(convention: Convention) -> dict[str, Mistake]:
        mine = next(c for c, formula, _ in choices
                    if convention.words["loss"].endswith(f": {formula} (pred - y)^2"))
        found = {}
        for c, formula, words in choices:
            if abs(c - mine) > 1e-12 * mine:
                found[f"gradient_of_{formula}"] = Mistake(
                    f"the gradient is that of {words} ({formula} (pred - y)^2), "
                    f"{2 * c / (2 * mine):.4g} times the gradient of the loss computed",
                    lambda a, dout, y, c=c: {"x": 2 * c * (a["x"] - target.reshape(
                        a["x"].shape))})
        found["sign"] = Mistake("the sign is flipped: y - pred instead of pred - y",
                                lambda a, dout, y: {"x": 2 * mine * (target.reshape(
                                    a["x"].shape) - a["x"])})
        return found
    return Binding({"x": wanted[0]}, conventions, mistakes)
