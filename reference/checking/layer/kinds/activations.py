"""The element-wise activations and the softmax: relu, leaky_relu, sigmoid, tanh, softmax.

Each takes one array x (any shape; the softmax (N, C), over its last axis) and its backward
multiplies dout by the local gradient: the lecture's gates, one at a time.
"""

import numpy as np
import torch
import torch.nn.functional as F

from reference.checking.layer.kinds.base import Binding, Convention, Mistake, param


def _x(wanted: list[int]) -> dict[str, int]:
    return {"x": wanted[0]}


def _near_zero(x: np.ndarray) -> np.ndarray:
    """Entries at or next to 0 (a ReLU's kink): too close for finite differences."""
    scale = max(float(np.sqrt(np.mean(x * x))) if x.size else 0.0, 1e-3)
    return np.abs(x) <= 1e-6 * scale


def relu(inputs: list, names: list[str], wanted: list[int], out: np.ndarray) -> Binding:
    conventions = [Convention({"relu": "max(x, 0); its gradient at x == 0 is 0, as torch's"},
                              lambda t: torch.relu(t["x"]))]

    def mistakes(convention: Convention) -> dict[str, Mistake]:
        return {
            "mask_from_upstream": Mistake(
                "the mask is taken from dout (dout > 0) instead of from x (x > 0)",
                lambda a, dout, y: {"x": dout * (dout > 0)}),
            "mask_wrong_side": Mistake(
                "the mask is on the wrong side of 0: dout where x < 0 instead of x > 0",
                lambda a, dout, y: {"x": dout * (a["x"] < 0)}),
            "output_for_mask": Mistake(
                "dout is multiplied by the output max(x, 0) instead of by the indicator "
                "1[x > 0]", lambda a, dout, y: {"x": dout * np.maximum(a["x"], 0)}),
            "no_mask": Mistake("the mask is missing: dout is passed back unchanged",
                               lambda a, dout, y: {"x": dout.copy()}),
            "mask_at_zero": Mistake(
                "at x == 0 it passes dout on (a mask x >= 0); torch's ReLU passes 0 there",
                lambda a, dout, y: {"x": dout * (a["x"] >= 0)}),
        }
    return Binding(_x(wanted), conventions, mistakes, lambda a: {"x": _near_zero(a["x"])})


def leaky_relu(inputs: list, names: list[str], wanted: list[int], out: np.ndarray
               ) -> Binding:
    x = np.asarray(inputs[wanted[0]], dtype=np.float64)
    slope = None
    for v in inputs:
        if isinstance(v, dict):
            slope = param(v, "negative_slope", "alpha", "slope", "leak")
        elif isinstance(v, float) and not isinstance(v, bool):
            slope = v
    y = np.asarray(out, dtype=np.float64)
    if slope is None:
        negative = x < -1e-12
        slope = float(np.median(y[negative] / x[negative])) if negative.any() else 0.01
    slope = float(slope)
    conventions = [Convention({"negative_slope": f"{slope:g} (f(x) = x for x > 0, "
                                                 f"{slope:g} x below)"},
                              lambda t: F.leaky_relu(t["x"], slope))]

    def mistakes(convention: Convention) -> dict[str, Mistake]:
        return {
            "slope_missing": Mistake(
                "the gradient below 0 is 0 (ReLU's) instead of the slope",
                lambda a, dout, y: {"x": dout * (a["x"] > 0)}),
            "slope_on_the_wrong_side": Mistake(
                "the slope is applied above 0 and 1 below, the wrong way round",
                lambda a, dout, y: {"x": dout * np.where(a["x"] > 0, slope, 1.0)}),
            "mask_from_upstream": Mistake(
                "the sides are chosen by dout's sign instead of x's",
                lambda a, dout, y: {"x": dout * np.where(dout > 0, 1.0, slope)}),
        }
    return Binding(_x(wanted), conventions, mistakes, lambda a: {"x": _near_zero(a["x"])})


def sigmoid(inputs: list, names: list[str], wanted: list[int], out: np.ndarray) -> Binding:
    conventions = [Convention({"sigmoid": "1 / (1 + exp(-x)); its derivative s (1 - s), read "
                                          "from the output s"},
                              lambda t: torch.sigmoid(t["x"]))]
    sig = lambda v: 1 / (1 + np.exp(-v))  # noqa: E731

    def mistakes(convention: Convention) -> dict[str, Mistake]:
        return {
            "derivative_at_x": Mistake(
                "the derivative is taken at the input x (x (1 - x)) instead of at the output "
                "s = sigmoid(x) (s (1 - s))",
                lambda a, dout, y: {"x": dout * a["x"] * (1 - a["x"])}),
            "sigmoid_of_the_output": Mistake(
                "the derivative applies the sigmoid to the output again (sigmoid(s) "
                "(1 - sigmoid(s))) instead of reading it from s",
                lambda a, dout, y: {"x": dout * sig(y) * (1 - sig(y))}),
            "missing_1_minus_s": Mistake("the factor (1 - s) is missing: dout s",
                                         lambda a, dout, y: {"x": dout * y}),
            "missing_s": Mistake("the factor s is missing: dout (1 - s)",
                                 lambda a, dout, y: {"x": dout * (1 - y)}),
            "no_derivative": Mistake("the derivative is missing: dout passed back unchanged",
                                     lambda a, dout, y: {"x": dout.copy()}),
        }
    return Binding(_x(wanted), conventions, mistakes)


def tanh(inputs: list, names: list[str], wanted: list[int], out: np.ndarray) -> Binding:
    conventions = [Convention({"tanh": "tanh(x); its derivative 1 - t^2, read from the output "
                                       "t"}, lambda t: torch.tanh(t["x"]))]

    def mistakes(convention: Convention) -> dict[str, Mistake]:
        return {
            "unsquared": Mistake("the derivative is written 1 - t instead of 1 - t^2",
                                 lambda a, dout, y: {"x": dout * (1 - y)}),
            "tanh_of_the_output": Mistake(
                "the derivative applies tanh to the output again (1 - tanh(t)^2) instead of "
                "reading it from t", lambda a, dout, y: {"x": dout * (1 - np.tanh(y) ** 2)}),
            "derivative_at_x": Mistake(
                "the derivative is taken at the input x (1 - x^2) instead of at the output t",
                lambda a, dout, y: {"x": dout * (1 - a["x"] ** 2)}),
            "no_derivative": Mistake("the derivative is missing: dout passed back unchanged",
                                     lambda a, dout, y: {"x": dout.copy()}),
        }
    return Binding(_x(wanted), conventions, mistakes)


def softmax(inputs: list, names: list[str], wanted: list[int], out: np.ndarray) -> Binding:
    conventions = [Convention({"softmax": "exp(x) / sum(exp(x)) over the last axis (each row "
                                          "sums to 1)"},
                              lambda t: torch.softmax(t["x"], dim=-1))]
    other = [("a softmax over the first axis (the batch): each column sums to 1, not each "
              "row", lambda t: torch.softmax(t["x"], dim=0))]

    def mistakes(convention: Convention) -> dict[str, Mistake]:
        def jacobian(a: dict, dout: np.ndarray, y: np.ndarray) -> dict:
            return {"x": y * (dout - (y * dout).sum(-1, keepdims=True))}
        return {
            "diagonal_only": Mistake(
                "the softmax's Jacobian is cut to its diagonal: dout p (1 - p), without the "
                "-p_i p_j terms that couple the outputs",
                lambda a, dout, y: {"x": dout * y * (1 - y)}),
            "no_jacobian": Mistake("the Jacobian is missing: dout is passed back unchanged",
                                   lambda a, dout, y: {"x": dout.copy()}),
            "sum_term_sign": Mistake(
                "the sum term has the wrong sign: p (dout + sum(p dout)) instead of "
                "p (dout - sum(p dout))",
                lambda a, dout, y: {"x": y * (dout + (y * dout).sum(-1, keepdims=True))}),
            "sum_over_the_batch": Mistake(
                "the sum in p (dout - sum(p dout)) runs over the batch axis instead of the "
                "outputs", lambda a, dout, y: {"x": y * (dout - (y * dout).sum(0,
                                                                               keepdims=True))}),
        }
    return Binding(_x(wanted), conventions, mistakes, other=other)
