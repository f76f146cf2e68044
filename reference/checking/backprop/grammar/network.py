"""The declared network, forward: the values every backward step reads, and their names.

Layers are numbered from 1, as the lecture numbers them: layer k computes
``z_k = h_(k-1) W_k + b_k`` and, below the output, ``h_k = f(z_k)``, with ``h_0 = X``; the
output is ``p = out(z_L)``. ``Forward.values`` names each array the way the backward
program reads it: "X", "z1", "h1", ..., "zL", "p", "Y" (the targets, smoothed when the loss
smooths them).

``FORMS`` are the ways an activation's derivative is written, each a function of the one
array it reads: the right ones (``h (1 - h)`` read from a sigmoid's output h, ``1[z > 0]``
read from a ReLU's input z, ...) and the ways people miswrite them. The grammar of slips
(``grammar``) evaluates a form at the wrong array, or uses another form.

Shapes: X (n_samples, n_features); z_k, h_k (n_samples, n_k); p and Y (n_samples, K);
coefs[k - 1] is W_k as (n_in, n_out), intercepts[k - 1] is b_k as (n_out,).
"""

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from scratch.layers.activations import make_activation


def softmax(z: np.ndarray, axis: int = 1) -> np.ndarray:
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def softmax_unshifted(z: np.ndarray) -> np.ndarray:
    """The softmax without subtracting each row's maximum: overflows for scores above 709."""
    with np.errstate(over="ignore", invalid="ignore"):
        e = np.exp(z)
        return e / e.sum(axis=1, keepdims=True)


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * z))  # no overflow for large |z|


OUTPUTS = {"softmax": softmax, "logistic": sigmoid, "identity": lambda z: z}


@dataclass(frozen=True)
class Form:
    """One way to write an activation's derivative: ``of(v)`` as a function of the array it
    reads, and its words (``{v}`` is that array's name)."""

    of: Callable[[np.ndarray, float], np.ndarray]
    text: str


FORMS = {
    "sigmoid_of_h": Form(lambda v, s: v * (1 - v), "{v} (1 - {v})"),
    "sigmoid_of_z": Form(lambda v, s: sigmoid(v) * (1 - sigmoid(v)),
                         "sigmoid({v}) (1 - sigmoid({v}))"),
    "tanh_of_h": Form(lambda v, s: 1 - v**2, "1 - {v}^2"),
    "tanh_of_z": Form(lambda v, s: 1 - np.tanh(v) ** 2, "1 - tanh({v})^2"),
    "relu": Form(lambda v, s: (v > 0).astype(np.float64), "1[{v} > 0]"),
    "leaky": Form(lambda v, s: np.where(v > 0, 1.0, s), "1 where {v} > 0, else the slope"),
    "one": Form(lambda v, s: np.ones_like(v, dtype=np.float64), "1"),
    # the ways people miswrite them
    "sigmoid_without_1_minus": Form(lambda v, s: np.asarray(v, dtype=np.float64).copy(),
                                    "{v} (without its factor 1 - {v})"),
    "sigmoid_without_h": Form(lambda v, s: 1 - v, "1 - {v} (without its factor {v})"),
    "tanh_unsquared": Form(lambda v, s: 1 - v, "1 - {v} (not squared)"),
    "relu_at_or_above": Form(lambda v, s: (v >= 0).astype(np.float64), "1[{v} >= 0]"),
    "relu_below": Form(lambda v, s: (v < 0).astype(np.float64), "1[{v} < 0] (the wrong side)"),
    "relu_value": Form(lambda v, s: np.maximum(v, 0.0), "max({v}, 0) (the output, not a mask)"),
    "leaky_wrong_side": Form(lambda v, s: np.where(v > 0, s, 1.0),
                             "the slope where {v} > 0 and 1 below (the wrong way round)"),
    "leaky_value": Form(lambda v, s: np.where(v > 0, 1.0, s * v),
                        "1 where {v} > 0, else slope * {v} (the forward's value, not its slope)"),
}

# the right derivative of each hidden activation: (form, the array it reads: "h" or "z")
RIGHT_FORM = {"logistic": ("sigmoid_of_h", "h"), "tanh": ("tanh_of_h", "h"),
              "relu": ("relu", "z"), "leaky_relu": ("leaky", "z"), "identity": ("one", "z")}
# the forms worth trying for each activation: its own, its miswritings, the others' right ones
FAMILY = {"logistic": ("sigmoid_of_z", "sigmoid_without_1_minus", "sigmoid_without_h"),
          "tanh": ("tanh_of_z", "tanh_unsquared"),
          "relu": ("relu_at_or_above", "relu_below", "relu_value", "leaky"),
          "leaky_relu": ("relu", "leaky_wrong_side", "relu_at_or_above", "leaky_value"),
          "identity": ()}


def activation_words(activation: str) -> str:
    return {"logistic": "sigmoid", "leaky_relu": "leaky ReLU", "relu": "ReLU"}.get(
        activation, activation)


@dataclass
class Forward:
    """The declared network's forward pass at the user's parameters (float64)."""

    X: np.ndarray
    Y: np.ndarray
    coefs: list[np.ndarray]
    intercepts: list[np.ndarray]
    activation: str
    output: str
    loss: str
    slope: float
    zs: list[np.ndarray] = field(default_factory=list)  # z_1 .. z_L
    hs: list[np.ndarray] = field(default_factory=list)  # h_0 = X .. h_(L-1)
    p: np.ndarray | None = None

    def __post_init__(self) -> None:
        h = np.asarray(self.X, dtype=np.float64)
        self.zs, self.hs = [], []
        for k, (W, b) in enumerate(zip(self.coefs, self.intercepts), start=1):
            self.hs.append(h)
            z = h @ W + b
            self.zs.append(z)
            if k < len(self.coefs):
                h = make_activation(self.activation, self.slope).forward(z.copy())
        self.p = OUTPUTS[self.output](self.zs[-1])

    @property
    def L(self) -> int:
        return len(self.coefs)

    def values(self) -> dict[str, np.ndarray]:
        """The forward arrays by name: "X", "z1".."zL", "h1".."h(L-1)", "p", "Y"."""
        out = {"X": self.hs[0], "p": self.p, "Y": self.Y}
        for k in range(1, self.L + 1):
            out[f"z{k}"] = self.zs[k - 1]
            if k < self.L:
                out[f"h{k}"] = self.hs[k]
        return out

    def unit_loss(self, p: np.ndarray | None = None) -> float:
        """The unit data loss: summed over the samples and the outputs, squared error with
        its 1/2 (every convention multiplies it by one number)."""
        p, Y = self.p if p is None else p, self.Y
        if self.loss == "squared_error":
            return float(0.5 * ((p - Y) ** 2).sum())
        with np.errstate(divide="ignore", invalid="ignore"):
            if self.output == "softmax":
                return float(-(np.where(Y == 0, 0.0, Y * np.log(p))).sum())
            return float(-(np.where(Y == 0, 0.0, Y * np.log(p))
                           + np.where(Y == 1, 0.0, (1 - Y) * np.log(1 - p))).sum())
