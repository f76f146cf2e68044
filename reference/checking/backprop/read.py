"""Reading check_backprop's arguments: each checked, with a one-line error naming it.

``validate`` checks the keyword arguments; ``array`` reads X, Y or a parameter as float64
(refusing NaN, infinity, complex and non-numbers by name); ``targets`` reads Y as the
network's target matrix, smoothed where the loss smooths it.
"""

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from reference.checking.backprop.conventions import read_expect
from reference.checking.compare import problem_with
from reference.checking.structures import to_numpy
from scratch.layers.activations import ACTIVATIONS

OUTPUTS = ("softmax", "logistic", "identity")
LOSSES = ("cross_entropy", "squared_error")


def number(name: str, value: object, low: float = 0.0, low_open: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a number, got {type(value).__name__}.")
    value = float(value)
    if not math.isfinite(value) or value < low or (low_open and value == low):
        raise ValueError(f"{name} must be a finite number {'>' if low_open else '>='} {low:g}, "
                         f"got {value}.")
    return value


@dataclass(frozen=True)
class Settings:
    """check_backprop's keyword arguments, checked."""

    activation: str
    output: str
    loss: str
    alpha: float
    rtol: float | None
    slope: float
    nodes: dict[str, str]
    check_loss: bool
    expect: dict[str, object]
    smoothing: float


def validate(grad_fn: object, activation: object, output: object, loss: object,
             alpha: object, rtol: object, negative_slope: object, nodes: object,
             check_loss: object, expect: object, label_smoothing: object) -> Settings:
    """The keyword arguments checked, each with a one-line error naming it."""
    if not callable(grad_fn):
        raise TypeError(f"grad_fn must be a function grad_fn(params, X, Y), got "
                        f"{type(grad_fn).__name__}.")
    if not isinstance(activation, str) or activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, got {activation!r}.")
    if not (isinstance(output, str) and isinstance(loss, str)) or output not in OUTPUTS or \
            loss not in LOSSES or (output, loss) == ("identity", "cross_entropy"):
        raise ValueError(f"output must be one of {OUTPUTS} and loss one of {LOSSES} (not "
                         f"identity with cross_entropy), got {output!r}, {loss!r}.")
    alpha = number("alpha", alpha)
    rtol = None if rtol is None else number("rtol", rtol, low_open=True)
    slope = number("negative_slope", negative_slope)
    if nodes is not None and not (isinstance(nodes, Mapping) and all(
            isinstance(k, str) and isinstance(v, str) for k, v in nodes.items())):
        raise TypeError("nodes must be a dict from your names to the network's nodes, e.g. "
                        "{'dscores': 'z2', 'dhidden': 'z1'}.")
    if not isinstance(check_loss, bool):
        raise TypeError(f"check_loss must be True or False, got {check_loss!r}.")
    smoothing = number("label_smoothing", label_smoothing)
    if smoothing >= 1:
        raise ValueError(f"label_smoothing must be in [0, 1), got {smoothing}.")
    if smoothing > 0 and (output, loss) != ("softmax", "cross_entropy"):
        raise ValueError("label_smoothing applies to output='softmax' with "
                         f"loss='cross_entropy' (torch's CrossEntropyLoss), not {output!r} "
                         f"with {loss!r}.")
    return Settings(activation, output, loss, alpha, rtol, slope, dict(nodes or {}),
                    check_loss, read_expect(expect), smoothing)


def array(name: str, value: object) -> np.ndarray:
    """``value`` as a float64 array of finite numbers, or the error naming it."""
    problem = problem_with(value)
    if problem is not None:
        raise (TypeError if "NaN" not in problem and "infinity" not in problem
               else ValueError)(f"{name} cannot be checked: {problem}.")
    return to_numpy(value).astype(np.float64)


def targets(Y: np.ndarray, output: str, n_outputs: int, n: int, smoothing: float = 0.0
            ) -> np.ndarray:
    """Y as the network's target matrix (n_samples, n_outputs), smoothed as torch's
    CrossEntropyLoss(label_smoothing=eps) smooths it: (1 - eps) Y + eps / K."""
    Y = _target_matrix(Y, output, n_outputs, n)
    return Y if smoothing == 0 else (1 - smoothing) * Y + smoothing / n_outputs


def _target_matrix(Y: np.ndarray, output: str, n_outputs: int, n: int) -> np.ndarray:
    if Y.ndim == 0 or Y.shape[0] != n:
        raise ValueError(f"Y has {Y.shape[0] if Y.ndim else 'no'} rows but X has {n} samples: "
                         "give one target (a label or a row) per sample.")
    if Y.ndim == 2 and Y.shape[1] == n_outputs:
        return Y
    if Y.ndim == 1 or (Y.ndim == 2 and Y.shape[1] == 1):
        y = Y.ravel()
        if output == "identity" or (output == "logistic" and n_outputs == 1):
            return y.reshape(-1, 1)
        labels = y.astype(int)
        if labels.min() < 0 or labels.max() >= n_outputs or not np.array_equal(labels, y):
            raise ValueError(f"Y holds labels {np.unique(y)[:10]}, but the network has "
                             f"{n_outputs} outputs: give labels 0..K-1 or a one-hot matrix.")
        return np.eye(n_outputs)[labels]
    raise ValueError(f"Y has shape {Y.shape}; the network has {n_outputs} outputs: give "
                     f"labels (n_samples,) or targets (n_samples, {n_outputs}).")
