"""The gradient a backward pass should produce, and the gradients the classic mistakes produce.

``data_gradient`` backpropagates the **unit** data loss through a multilayer perceptron:
summed over the samples, summed over the outputs, squared error with its 1/2. Every
convention a framework or a textbook picks (the mean over the batch, torch's mean over the
outputs, squared error without the 1/2) multiplies this gradient by one number, and the L2
penalty adds a multiple of the weights; ``reference.check_backprop`` finds those numbers.

With ``mistake=`` it makes one of the classic mistakes instead (``MISTAKES`` describes each),
at hidden layer ``layer`` (the activation after dense layer ``layer``) or at the output, so
that the checker can recognise a user's gradient by its fingerprint.

Shapes: coefs[i] is (n_in, n_out) (scikit-learn's layout), intercepts[i] is (n_out,); X is
(n_samples, n_features), Y (n_samples, n_outputs). Returns [dW0, db0, dW1, db1, ...].
"""

from dataclasses import dataclass

import numpy as np

from scratch.layers.activations import make_activation


@dataclass(frozen=True)
class Mistake:
    """One classic backprop mistake: where it happens and what it is, in words."""

    where: str  # "hidden": a hidden layer's backward step; "layer": one layer's weight or bias
    #             gradient; "output": the output delta
    text: str  # a sentence; {act}, {right}, {at_z}, {of_h}: see ``FORMS``
    activations: tuple[str, ...] = ()  # hidden activations it applies to (empty: all)
    outputs: tuple[tuple[str, str], ...] = ()  # (output, loss) pairs it applies to
    square: bool = False  # only possible when the layer's W is square (shapes allow it)


MISTAKES = {
    "derivative_at_z": Mistake(
        "hidden", "the {act} derivative is taken at the pre-activation z ({at_z}) instead of "
        "at the unit's output h = {act}(z) ({right})", activations=("logistic", "tanh")),
    "derivative_of_the_output": Mistake(
        "hidden", "the {act} derivative is applied to the unit's output h as if it were z "
        "({of_h}) instead of read from it ({right})", activations=("logistic", "tanh")),
    "missing_derivative": Mistake(
        "hidden", "the activation's derivative is missing: the error passed back is "
        "delta_next W^T, never multiplied by f'(z)", activations=("logistic", "tanh", "relu",
                                                                  "leaky_relu")),
    "relu_wrong_side": Mistake(
        "hidden", "ReLU's derivative is taken on the wrong side of 0: 1 where z < 0 instead of "
        "where z > 0", activations=("relu", "leaky_relu")),
    "backward_without_transpose": Mistake(
        "hidden", "the backward multiply uses W where it needs its transpose: delta_next W "
        "instead of delta_next W^T", square=True),
    "weight_gradient_transposed": Mistake(
        "layer", "the weight gradient is transposed: delta^T X instead of X^T delta (the "
        "lecture's dS/dW = delta x^T, in the other layout)", square=True),
    "weight_gradient_from_the_output": Mistake(
        "layer", "the weight gradient is built from the layer's own output h instead of its "
        "input: h^T delta instead of x^T delta", square=True),
    "bias_gradient_first_sample": Mistake(
        "layer", "the bias gradient is the first sample's delta, not the sum over the batch"),
    "cross_entropy_delta_with_squared_error": Mistake(
        "output", "the output delta is p - y, the gradient that softmax or sigmoid outputs "
        "give with cross-entropy, but the loss is squared error through sigmoid outputs: it "
        "lacks the sigmoid's derivative p (1 - p)", outputs=(("logistic", "squared_error"),)),
    "sigmoid_derivative_with_cross_entropy": Mistake(
        "output", "the output delta is multiplied by the output's derivative p (1 - p), a "
        "squared-error habit: with cross-entropy the derivative cancels and the delta is "
        "p - y", outputs=(("logistic", "cross_entropy"), ("softmax", "cross_entropy"))),
    "softmax_gradient_for_sigmoid_outputs": Mistake(
        "output", "the gradient is that of a softmax output, but the outputs are independent "
        "sigmoids (output='logistic'): the forward pass and the gradient disagree about the "
        "output", outputs=(("logistic", "cross_entropy"),)),
    "sigmoid_gradient_for_softmax_outputs": Mistake(
        "output", "the gradient is that of independent sigmoid outputs, but the output is a "
        "softmax", outputs=(("softmax", "cross_entropy"),)),
}


FORMS = {  # how each activation's derivative is written: right, at z, of the output h
    "logistic": {"right": "h (1 - h)", "at_z": "z (1 - z)",
                 "of_h": "sigmoid(h) (1 - sigmoid(h))"},
    "tanh": {"right": "1 - h^2", "at_z": "1 - z^2", "of_h": "1 - tanh(h)^2"},
}


def describe(name: str, activation: str) -> str:
    """Mistake ``name``'s sentence, written for ``activation``."""
    forms = FORMS.get(activation, {"right": "f'(z)", "at_z": "f'(z) at z", "of_h": "f'(h)"})
    return MISTAKES[name].text.format(act=activation, **forms)


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


OUTPUTS = {"softmax": _softmax, "logistic": _sigmoid, "identity": lambda z: z}


def forward(coefs: list[np.ndarray], intercepts: list[np.ndarray], X: np.ndarray,
            activation: str, output: str, negative_slope: float = 0.01
            ) -> tuple[list[np.ndarray], list[np.ndarray], np.ndarray]:
    """(pre-activations z per layer, layer inputs h per layer, outputs p)."""
    zs, inputs, h = [], [], np.asarray(X, dtype=np.float64)
    for i, (W, b) in enumerate(zip(coefs, intercepts)):
        inputs.append(h)
        z = h @ W + b
        zs.append(z)
        if i < len(coefs) - 1:
            h = make_activation(activation, negative_slope).forward(z.copy())
    return zs, inputs, OUTPUTS[output](zs[-1])


def unit_loss(p: np.ndarray, Y: np.ndarray, output: str, loss: str) -> np.ndarray:
    """The per-sample unit data loss (summed over outputs, squared error halved)."""
    if loss == "squared_error":
        return 0.5 * ((p - Y) ** 2).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        if output == "softmax":
            return -(np.where(Y == 0, 0.0, Y * np.log(p))).sum(axis=1)
        return -(np.where(Y == 0, 0.0, Y * np.log(p))
                 + np.where(Y == 1, 0.0, (1 - Y) * np.log(1 - p))).sum(axis=1)


def _output_delta(p: np.ndarray, Y: np.ndarray, output: str, loss: str,
                  mistake: str | None) -> np.ndarray:
    """d(unit loss)/dz at the output, per sample: (n_samples, n_outputs)."""
    error = p - Y
    if mistake == "cross_entropy_delta_with_squared_error":
        return error
    if mistake == "sigmoid_derivative_with_cross_entropy":
        return error * p * (1 - p)
    if loss == "cross_entropy" or output == "identity":
        return error  # a canonical pair: the output's derivative cancels
    if output == "logistic":
        return error * p * (1 - p)
    return p * (error - (p * error).sum(axis=1, keepdims=True))  # softmax with squared error


def _derivative(z: np.ndarray, activation: str, negative_slope: float,
                mistake: str | None = None) -> np.ndarray:
    """f'(z), read from the output h = f(z) as scikit-learn and scratch read it (0 at a ReLU
    kink), or as ``mistake`` gets it wrong."""
    h = make_activation(activation, negative_slope).forward(z.copy())
    if mistake == "missing_derivative":
        return np.ones_like(z)
    if mistake == "derivative_at_z":
        return z * (1 - z) if activation == "logistic" else 1 - z**2
    if mistake == "derivative_of_the_output":
        f_h = make_activation(activation).forward(h.copy())
        return f_h * (1 - f_h) if activation == "logistic" else 1 - f_h**2
    if mistake == "relu_wrong_side":  # 1 below 0, the slope (0 for ReLU) above
        return np.where(z < 0, 1.0, negative_slope if activation == "leaky_relu" else 0.0)
    if activation == "logistic":
        return h * (1 - h)
    if activation == "tanh":
        return 1 - h**2
    if activation == "relu":
        return (z > 0).astype(np.float64)
    if activation == "leaky_relu":
        return np.where(z > 0, 1.0, negative_slope)
    return np.ones_like(z)


def data_gradient(coefs: list[np.ndarray], intercepts: list[np.ndarray], X: np.ndarray,
                  Y: np.ndarray, activation: str, output: str, loss: str,
                  negative_slope: float = 0.01, mistake: str | None = None,
                  layer: int | None = None) -> list[np.ndarray]:
    """[dW0, db0, dW1, db1, ...] of the unit data loss; with ``mistake``, as that mistake
    computes it. ``layer`` is the dense layer whose arrays the mistake corrupts first: for a
    mistake in a hidden activation's backward step, the layer just below that activation (its
    arrays and every layer's below go wrong); for a mistake in a weight or bias gradient, that
    layer alone. Output mistakes need no layer."""
    kind = MISTAKES[mistake].where if mistake is not None else None
    used_output = {"softmax_gradient_for_sigmoid_outputs": "softmax",
                   "sigmoid_gradient_for_softmax_outputs": "logistic"}.get(mistake, output)
    zs, inputs, p = forward(coefs, intercepts, X, activation, used_output, negative_slope)
    delta = _output_delta(p, Y, used_output, loss, mistake if kind == "output" else None)
    grads = [None] * (2 * len(coefs))
    for i in reversed(range(len(coefs))):
        here = mistake if layer == i and kind == "layer" else None
        if here == "weight_gradient_from_the_output":
            own = p if i == len(coefs) - 1 else \
                make_activation(activation, negative_slope).forward(zs[i].copy())
            dW = own.T @ delta
        else:
            dW = inputs[i].T @ delta
        grads[2 * i] = dW.T if here == "weight_gradient_transposed" else dW
        grads[2 * i + 1] = delta[0].copy() if here == "bias_gradient_first_sample" \
            else delta.sum(axis=0)
        if i == 0:
            break
        below = mistake if layer == i - 1 and kind == "hidden" else None
        W = coefs[i] if below == "backward_without_transpose" else coefs[i].T
        delta = (delta @ W) * _derivative(zs[i - 1], activation, negative_slope, below)
    return grads
