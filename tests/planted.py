"""Mistakes planted by code apart from the checker: the catalogue of classic backprop
mistakes the checker named before its grammar of slips, kept as an independent way to compute
mistaken gradients (``data_gradient(..., mistake=, layer=)``, ``MISTAKES``). The checker's
grammar must name every one of them (tests/test_check_backprop.py). Shapes: coefs[i] is
(n_in, n_out), intercepts[i] (n_out,); X (n_samples, n_features), Y (n_samples, n_outputs).
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
    at_output: bool = False  # with layer="every", also made at a sigmoid output's derivative
    above_input: bool = False  # a layer mistake only possible above the first layer


SMOOTH = ("logistic", "tanh")
KINKED = ("relu", "leaky_relu")

MISTAKES = {
    # --- a hidden layer's backward step: the derivative f'(z) ---------------------------------
    "derivative_at_z": Mistake(
        "hidden", "the {act} derivative is taken at the pre-activation z ({at_z}) instead of "
        "at the unit's output h = {act}(z) ({right})", activations=SMOOTH, at_output=True),
    "derivative_of_the_output": Mistake(
        "hidden", "the {act} derivative is applied to the unit's output h as if it were z "
        "({of_h}) instead of read from it ({right})", activations=SMOOTH, at_output=True),
    "missing_derivative": Mistake(
        "hidden", "the activation's derivative is missing: the error passed back is "
        "delta_next W^T, never multiplied by f'(z)", activations=SMOOTH + KINKED),
    "derivative_squared": Mistake(
        "hidden", "the {act} derivative is applied twice ({right} squared)",
        activations=SMOOTH, at_output=True),
    "tanh_derivative_unsquared": Mistake(
        "hidden", "tanh's derivative is written 1 - h instead of 1 - h^2",
        activations=("tanh",)),
    "sigmoid_derivative_without_1_minus_h": Mistake(
        "hidden", "the sigmoid's derivative lacks its factor (1 - h): h instead of h (1 - h)",
        activations=("logistic",), at_output=True),
    "sigmoid_derivative_without_h": Mistake(
        "hidden", "the sigmoid's derivative lacks its factor h: (1 - h) instead of h (1 - h)",
        activations=("logistic",), at_output=True),
    "relu_wrong_side": Mistake(
        "hidden", "ReLU's derivative is taken on the wrong side of 0: 1 where z < 0 instead of "
        "where z > 0", activations=KINKED),
    "relu_derivative_is_its_output": Mistake(
        "hidden", "ReLU's derivative is taken as its output h = max(z, 0) instead of the "
        "indicator 1[z > 0]", activations=("relu",)),
    "relu_mask_from_the_gradient": Mistake(
        "hidden", "ReLU's mask is taken from the incoming gradient (dL/dh > 0) instead of "
        "from the unit (z > 0)", activations=("relu",)),
    "leaky_slope_missing": Mistake(
        "hidden", "leaky ReLU's derivative is ReLU's: 0 below zero instead of the slope",
        activations=("leaky_relu",)),
    "derivative_of_the_layer_above": Mistake(
        "hidden", "the activation's derivative is taken from the layer above (f'(z) of the "
        "next layer, of the same width) instead of from this layer's own z"),
    "passed_down_before_the_derivative": Mistake(
        "hidden", "the error passed down to this layer is taken from dL/dh of the layer above, "
        "before that layer's activation derivative, instead of from its dL/dz: dh W^T "
        "instead of dz W^T"),
    "backward_without_transpose": Mistake(
        "hidden", "the backward multiply uses W where it needs its transpose: delta_next W "
        "instead of delta_next W^T", square=True),
    "backward_without_weights": Mistake(
        "hidden", "the error is passed down without multiplying by the weights: delta_next "
        "instead of delta_next W^T", square=True),
    # --- a dense layer's own gradients ---------------------------------------------------------
    "weight_gradient_transposed": Mistake(
        "layer", "the weight gradient is transposed: delta^T X instead of X^T delta (the "
        "lecture's dS/dW = delta x^T, in the other layout)", square=True),
    "weight_gradient_from_the_output": Mistake(
        "layer", "the weight gradient is built from the layer's own output h instead of its "
        "input: h^T delta instead of x^T delta", square=True),
    "weight_gradient_from_z": Mistake(
        "layer", "the weight gradient is built from the layer's input before its activation "
        "(z of the layer below) instead of after it (h = f(z)): z^T delta instead of h^T "
        "delta", above_input=True),
    "gradients_before_the_derivative": Mistake(
        "layer", "the layer's weight and bias gradients are taken from dL/dh, before the "
        "activation's derivative, instead of from dL/dz = dL/dh * f'(z)",
        activations=SMOOTH + KINKED),
    "weight_gradient_before_the_derivative": Mistake(
        "layer", "the weight gradient is taken from dL/dh, before the activation's "
        "derivative (the bias gradient after it): h^T dh instead of h^T dz",
        activations=SMOOTH + KINKED),
    "bias_gradient_before_the_derivative": Mistake(
        "layer", "the bias gradient is summed from dL/dh, before the activation's derivative "
        "(the weight gradient after it): sum dh instead of sum dz",
        activations=SMOOTH + KINKED),
    "bias_gradient_first_sample": Mistake(
        "layer", "the bias gradient is the first sample's delta, not the sum over the batch"),
    "bias_gradient_last_sample": Mistake(
        "layer", "the bias gradient is the last sample's delta, not the sum over the batch "
        "(assigned in the loop over the samples instead of added)"),
    # --- the output delta ----------------------------------------------------------------------
    "cross_entropy_delta_with_squared_error": Mistake(
        "output", "the output delta is p - y, the gradient that softmax or sigmoid outputs "
        "give with cross-entropy, but the loss is squared error through sigmoid outputs: it "
        "lacks the sigmoid's derivative p (1 - p)", outputs=(("logistic", "squared_error"),)),
    "softmax_jacobian_missing": Mistake(
        "output", "the output delta is p - y, but the loss is squared error through a "
        "softmax: it lacks the softmax's Jacobian", outputs=(("softmax", "squared_error"),)),
    "softmax_jacobian_diagonal": Mistake(
        "output", "the softmax's Jacobian is reduced to its diagonal p (1 - p): the terms "
        "-p_i p_j that couple the outputs are missing",
        outputs=(("softmax", "squared_error"), ("softmax", "cross_entropy"))),
    "sigmoid_derivative_with_cross_entropy": Mistake(
        "output", "the output delta is multiplied by the output's derivative p (1 - p), a "
        "squared-error habit: with cross-entropy the derivative cancels and the delta is "
        "p - y", outputs=(("logistic", "cross_entropy"), ("softmax", "cross_entropy"))),
    "logits_for_probabilities": Mistake(
        "output", "the output delta uses the scores z instead of the probabilities: z - y "
        "instead of p - y (the softmax or sigmoid is missing in the backward pass)",
        outputs=(("logistic", "cross_entropy"), ("softmax", "cross_entropy"))),
    "derivative_at_the_output_layer": Mistake(
        "output", "the hidden activation's derivative f'(z) is applied to the output delta "
        "(the scores) instead of to the hidden layer's error",
        activations=SMOOTH + KINKED),
    "target_not_subtracted": Mistake(
        "output", "the target is not subtracted: the output delta is p instead of p - y",
        outputs=(("softmax", "cross_entropy"), ("logistic", "cross_entropy"),
                 ("identity", "squared_error"))),
    "softmax_applied_twice": Mistake(
        "output", "a softmax is applied before a loss that applies its own (softmax before "
        "torch's CrossEntropyLoss): the gradient is that of the softmax of the softmax",
        outputs=(("softmax", "cross_entropy"),)),
    "sigmoid_applied_twice": Mistake(
        "output", "a sigmoid is applied before a loss that applies its own (sigmoid before "
        "torch's BCEWithLogitsLoss): the gradient is that of the sigmoid of the sigmoid",
        outputs=(("logistic", "cross_entropy"),)),
    "log_softmax_missing": Mistake(
        "output", "the scores are used as log-probabilities: the loss is -z_y (torch's "
        "nll_loss on raw scores, without log_softmax), whose gradient is -y",
        outputs=(("softmax", "cross_entropy"),)),
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


def applies(name: str, activation: str, output: str, loss: str) -> bool:
    """Whether mistake ``name`` can be made in this network at all."""
    mistake = MISTAKES[name]
    if mistake.activations and activation not in mistake.activations:
        return False
    return not mistake.outputs or (output, loss) in mistake.outputs


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * z))  # no overflow for large |z|


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


def _softmax_backward(p: np.ndarray, grad_p: np.ndarray) -> np.ndarray:
    """dL/dz of a softmax from dL/dp: p * (grad_p - sum_j p_j grad_p_j)."""
    return p * (grad_p - (p * grad_p).sum(axis=1, keepdims=True))


def _output_delta(z: np.ndarray, p: np.ndarray, Y: np.ndarray, output: str, loss: str,
                  mistake: str | None) -> np.ndarray:
    """d(unit loss)/dz at the output, per sample: (n_samples, n_outputs)."""
    error = p - Y
    if mistake in ("cross_entropy_delta_with_squared_error", "softmax_jacobian_missing"):
        return error
    if mistake == "sigmoid_derivative_with_cross_entropy":
        return error * p * (1 - p)
    if mistake == "logits_for_probabilities":
        return z - Y
    if mistake == "target_not_subtracted":
        return p.copy()
    if mistake == "softmax_applied_twice":  # q = softmax(p): dL/dp = q - y, through p's softmax
        return _softmax_backward(p, _softmax(p) - Y)
    if mistake == "sigmoid_applied_twice":
        return (_sigmoid(p) - Y) * p * (1 - p)
    if mistake == "log_softmax_missing":
        return -Y.astype(np.float64)
    if mistake == "softmax_jacobian_diagonal":
        grad_p = error if loss == "squared_error" else -Y / p
        return grad_p * p * (1 - p)
    if output == "logistic" and loss == "squared_error" and mistake in MISTAKES:
        return error * _derivative(z, "logistic", 0.0, mistake, h=p)  # made at the output too
    if loss == "cross_entropy" or output == "identity":
        return error  # a canonical pair: the output's derivative cancels
    if output == "logistic":
        return error * p * (1 - p)
    return _softmax_backward(p, error)  # softmax with squared error


def _derivative(z: np.ndarray, activation: str, negative_slope: float,
                mistake: str | None = None, upstream: np.ndarray | None = None,
                h: np.ndarray | None = None) -> np.ndarray:
    """f'(z), read from the output h = f(z) as scikit-learn and scratch read it (0 at a ReLU
    kink), or as ``mistake`` gets it wrong (``upstream``: dL/dh, for a mask taken from it)."""
    if h is None:
        h = make_activation(activation, negative_slope).forward(z.copy())
    if mistake == "missing_derivative":
        return np.ones_like(z)
    if mistake == "derivative_at_z":
        return z * (1 - z) if activation == "logistic" else 1 - z**2
    if mistake == "derivative_of_the_output":
        f_h = make_activation(activation).forward(h.copy())
        return f_h * (1 - f_h) if activation == "logistic" else 1 - f_h**2
    if mistake == "derivative_squared":
        right = _derivative(z, activation, negative_slope, h=h)
        return right * right
    if mistake == "tanh_derivative_unsquared":
        return 1 - h
    if mistake == "sigmoid_derivative_without_1_minus_h":
        return h.copy()
    if mistake == "sigmoid_derivative_without_h":
        return 1 - h
    if mistake == "relu_wrong_side":  # 1 below 0, the slope (0 for ReLU) above
        return np.where(z < 0, 1.0, negative_slope if activation == "leaky_relu" else 0.0)
    if mistake == "relu_derivative_is_its_output":
        return h.copy()
    if mistake == "relu_mask_from_the_gradient":
        return (upstream > 0).astype(np.float64)
    if mistake == "leaky_slope_missing":
        return (z > 0).astype(np.float64)
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
                  layer: int | str | None = None, record: dict | None = None
                  ) -> list[np.ndarray]:
    """[dW0, db0, dW1, db1, ...] of the unit data loss; with ``mistake``, as that mistake
    computes it. ``layer`` is the dense layer whose arrays the mistake corrupts first: for a
    mistake in a hidden activation's backward step, the layer just below that activation (its
    arrays and every layer's below go wrong); for a mistake in a weight or bias gradient, that
    layer alone; "every" makes it everywhere it can be made. Output mistakes need no layer.
    ``record``, a dict, receives each node's unit gradient (see ``NODES``)."""
    kind = MISTAKES[mistake].where if mistake is not None else None
    used_output = {"softmax_gradient_for_sigmoid_outputs": "softmax",
                   "sigmoid_gradient_for_softmax_outputs": "logistic"}.get(mistake, output)
    zs, inputs, p = forward(coefs, intercepts, X, activation, used_output, negative_slope)
    out_mistake = mistake if kind == "output" or (
        layer in ("every", "output") and mistake is not None and MISTAKES[mistake].at_output) \
        else None
    shifted = mistake == "derivative_at_the_output_layer"
    delta = _output_delta(zs[-1], p, Y, used_output, loss, None if shifted else out_mistake)
    if shifted:  # the hidden layers' derivative moved up to the output delta
        delta = delta * _derivative(zs[-1], activation, negative_slope)
    L = len(coefs)
    if record is not None:
        with np.errstate(divide="ignore", invalid="ignore"):
            record["p"] = p - Y if loss == "squared_error" or output == "identity" else \
                -Y / p if output == "softmax" else (p - Y) / (p * (1 - p))
        record[f"z{L}"] = delta.copy()
    grads = [None] * (2 * L)
    upstream_h = delta  # dL/dh of the layer below, once the loop has passed it
    for i in reversed(range(L)):
        here = mistake if kind == "layer" and layer in (i, "every") else None
        w_source = b_source = delta
        if i < L - 1:  # dL/dh of this hidden layer, before its derivative: upstream_h
            if here == "gradients_before_the_derivative":
                w_source = b_source = upstream_h
            elif here == "weight_gradient_before_the_derivative":
                w_source = upstream_h
            elif here == "bias_gradient_before_the_derivative":
                b_source = upstream_h
        dz_here = delta
        if here == "weight_gradient_from_the_output":
            own = p if i == L - 1 else \
                make_activation(activation, negative_slope).forward(zs[i].copy())
            dW = own.T @ w_source
        elif here == "weight_gradient_from_z" and i > 0:
            dW = zs[i - 1].T @ w_source
        else:
            dW = inputs[i].T @ w_source
        grads[2 * i] = dW.T if here == "weight_gradient_transposed" else dW
        grads[2 * i + 1] = b_source[0].copy() if here == "bias_gradient_first_sample" else \
            b_source[-1].copy() if here == "bias_gradient_last_sample" else b_source.sum(axis=0)
        below = mistake if kind == "hidden" and layer in (i - 1, "every") else None
        passed = upstream_h if below == "passed_down_before_the_derivative" and i < L - 1 \
            else dz_here
        if below == "backward_without_weights":
            upstream_h = passed.copy()
        else:
            W = coefs[i] if below == "backward_without_transpose" else coefs[i].T
            upstream_h = passed @ W
        if i == 0:
            if record is not None:
                record["x"] = upstream_h
            break
        if record is not None:
            record[f"h{i}"] = upstream_h.copy()
        if shifted:
            local = np.ones_like(zs[i - 1])
        elif below == "derivative_of_the_layer_above":
            local = _derivative(zs[i], activation, negative_slope)
        else:
            local = _derivative(zs[i - 1], activation, negative_slope, below,
                                upstream=upstream_h)
        delta = upstream_h * local
        if record is not None:
            record[f"z{i}"] = delta.copy()
    return grads
