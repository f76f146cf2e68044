"""Exercises graded in place: write a piece of backpropagation, ``grade`` says whether it is
right and, if not, what is wrong (notebooks/08_exercises.ipynb).

Five exercises, from one layer to a whole network:

- ``sigmoid_backward(grad_out, out)``: dL/dz from dL/dh and the output h = sigmoid(z);
- ``dense_backward(grad_out, X, W)``: (dL/dX, dL/dW, dL/db) of z = X W + b;
- ``softmax_cross_entropy(logits, Y)``: (loss, dL/dlogits) of the mean cross-entropy;
- ``adam_step(param, grad, state, ...)``: one Adam update, in place, keeping its own state;
- ``backprop(params, X, Y)``: the gradients of a one-hidden-layer network.

The reference solutions are scratch's own code (``solution(name)``); the first three are
graded against it on random inputs, with a fingerprint for each typical mistake; the last two
by ``reference.check_optimizer`` and ``reference.check_backprop``.
"""

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from reference.checking.backprop.check import check_backprop
from reference.checking.check_optimizer import check_optimizer
from reference.checking.compare import relative_difference
from scratch.layers.activations import Logistic
from scratch.layers.dense import Dense
from scratch.layers.losses import SoftmaxCrossEntropy
from scratch.network import Network
from scratch.optim.adam import Adam

RTOL = 1e-9


@dataclass
class Grade:
    """A verdict: ``ok``, and ``text`` saying why (what a notebook cell shows)."""

    ok: bool
    text: str

    def __str__(self) -> str:
        return self.text

    __repr__ = __str__


# --- the solutions: scratch's own code -----------------------------------------------------------

def _sigmoid_backward(grad_out: np.ndarray, out: np.ndarray) -> np.ndarray:
    layer = Logistic()
    layer.out = out
    return layer.backward(np.array(grad_out, dtype=float))


def _dense_backward(grad_out: np.ndarray, X: np.ndarray, W: np.ndarray
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    grad_W, grad_b = np.empty_like(W, dtype=float), np.empty(W.shape[1])
    layer = Dense(W, np.zeros(W.shape[1]), grad_W, grad_b)
    layer.forward(X)
    grad_X = layer.backward(grad_out)
    return grad_X, grad_W, grad_b


def _softmax_cross_entropy(logits: np.ndarray, Y: np.ndarray) -> tuple[float, np.ndarray]:
    loss_layer = SoftmaxCrossEntropy()
    p = loss_layer.forward(np.array(logits, dtype=float))
    return loss_layer.loss(Y, p), loss_layer.backward(Y, p) / len(logits)


def _adam_step(param: np.ndarray, grad: np.ndarray, state: dict, lr: float = 1e-3,
               beta_1: float = 0.9, beta_2: float = 0.999, eps: float = 1e-8) -> None:
    if "adam" not in state:
        state["adam"] = Adam(param, lr, beta_1, beta_2, eps)
    state["adam"].step(param, grad)


def _backprop(params: list[np.ndarray], X: np.ndarray, Y: np.ndarray) -> list[np.ndarray]:
    net = Network.from_weights(params[0::2], params[1::2], "logistic", SoftmaxCrossEntropy())
    net.loss_and_gradients(X, Y)
    return [g.copy() for layer in net.layers for g in (layer.grad_W, layer.grad_b)]


SOLUTIONS = {"sigmoid_backward": _sigmoid_backward, "dense_backward": _dense_backward,
             "softmax_cross_entropy": _softmax_cross_entropy, "adam_step": _adam_step,
             "backprop": _backprop}


def solution(name: str) -> Callable:
    """The reference solution of exercise ``name`` (built on scratch's layers)."""
    return SOLUTIONS[name]


# --- grading -----------------------------------------------------------------------------------

def _compare(name: str, yours: object, right: object, fingerprints: dict) -> Grade:
    """Yours against the right answer; if it differs, the first typical mistake it equals."""
    if yours is None:
        return Grade(False, f"{name}: not attempted yet (it returns None).")
    yours_t = yours if isinstance(yours, tuple) else (yours,)
    right_t = right if isinstance(right, tuple) else (right,)
    if len(yours_t) != len(right_t):
        return Grade(False, f"{name}: returns {len(yours_t)} values, {len(right_t)} expected.")
    problems = []
    for k, (a, b) in enumerate(zip(yours_t, right_t)):
        a = np.asarray(a, dtype=float)
        b = np.asarray(b, dtype=float)
        if a.shape != b.shape:
            problems.append(f"value {k + 1} has shape {a.shape}, expected {b.shape}")
        elif relative_difference(a, b) > RTOL:
            problems.append(f"value {k + 1} is off by {relative_difference(a, b):.1e} "
                            "(relative)")
    if not problems:
        return Grade(True, f"{name}: OK, equal to the reference to float64 round-off.")
    for mistake, (wrong, why) in fingerprints.items():
        wrong_t = wrong if isinstance(wrong, tuple) else (wrong,)
        if all(np.shape(a) == np.shape(b) and relative_difference(np.asarray(a, float),
                                                                  np.asarray(b, float)) <= RTOL
               for a, b in zip(yours_t, wrong_t)):
            return Grade(False, f"{name}: NOT OK: {why}.")
    return Grade(False, f"{name}: NOT OK: " + "; ".join(problems) + ".")


def _grade_sigmoid_backward(fn: Callable) -> Grade:
    rng = np.random.default_rng(0)
    z = rng.normal(size=(5, 4))
    out, grad_out = 1 / (1 + np.exp(-z)), rng.normal(size=(5, 4))
    yours = fn(grad_out.copy(), out.copy())
    sig = 1 / (1 + np.exp(-out))
    fingerprints = {
        "upstream_missing": (out * (1 - out), "the local gradient h (1 - h) alone: multiply "
                                              "it by the upstream gradient grad_out"),
        "sigmoid_again": (grad_out * sig * (1 - sig), "sigmoid is applied to h again: h is "
                                                     "already sigmoid(z), so the derivative "
                                                     "is h (1 - h)"),
        "half_formula": (grad_out * out, "the factor (1 - h) is missing"),
        "other_half": (grad_out * (1 - out), "the factor h is missing"),
        "sign": (-grad_out * out * (1 - out), "the sign is flipped"),
    }
    return _compare("sigmoid_backward", yours, _sigmoid_backward(grad_out, out), fingerprints)


def _grade_dense_backward(fn: Callable) -> Grade:
    rng = np.random.default_rng(1)
    X, W, grad_out = rng.normal(size=(6, 4)), rng.normal(size=(4, 3)), rng.normal(size=(6, 3))
    yours = fn(grad_out.copy(), X.copy(), W.copy())
    right = _dense_backward(grad_out, X, W)
    grad_X, grad_W, grad_b = right
    fingerprints = {
        "weights_averaged": ((grad_X, grad_W / 6, grad_b / 6), "dL/dW and dL/db are averaged "
                             "over the batch; here grad_out is already the gradient of the "
                             "batch's loss, so sum (X^T grad_out, grad_out summed)"),
        "bias_averaged": ((grad_X, grad_W, grad_b / 6), "dL/db is averaged over the batch "
                                                        "while dL/dW sums: sum both"),
        "bias_from_first_sample": ((grad_X, grad_W, grad_out[0]), "dL/db is the first "
                                   "sample's gradient: sum grad_out over the batch"),
        "sign": ((-grad_X, -grad_W, -grad_b), "every sign is flipped"),
    }
    if isinstance(yours, tuple) and len(yours) == 3:
        shapes = [np.shape(v) for v in yours]
        if shapes[1] == W.shape[::-1]:
            return Grade(False, "dense_backward: NOT OK: dL/dW is transposed (grad_out^T X): "
                                "it is X^T grad_out, shaped like W (n_in, n_out).")
        if len(shapes[2]) == 2:
            return Grade(False, "dense_backward: NOT OK: dL/db keeps one row per sample: sum "
                                "grad_out over the batch (axis 0).")
        if shapes[0] != X.shape:
            return Grade(False, "dense_backward: NOT OK: dL/dX must be shaped like X: "
                                "grad_out W^T.")
    return _compare("dense_backward", yours, right, fingerprints)


def _grade_softmax_cross_entropy(fn: Callable) -> Grade:
    rng = np.random.default_rng(2)
    logits = rng.normal(size=(7, 4)) * 3
    Y = np.eye(4)[rng.integers(0, 4, 7)]
    yours = fn(logits.copy(), Y.copy())
    loss, grad = _softmax_cross_entropy(logits, Y)
    p = np.exp(logits - logits.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    fingerprints = {
        "summed": ((loss * 7, grad * 7), "the loss and gradient are summed over the batch; "
                                         "the mean divides both by n"),
        "gradient_summed": ((loss, grad * 7), "the loss is the mean but the gradient is "
                                              "summed: divide (p - Y) by n"),
        "sign": ((loss, -grad), "the gradient's sign is flipped: it is p - Y, not Y - p"),
        "sigmoid_habit": ((loss, (p - Y) * p * (1 - p) / 7), "the gradient is multiplied by "
                          "p (1 - p): with cross-entropy, softmax's derivative cancels and "
                          "the gradient is (p - Y) / n"),
        "no_softmax": ((loss, (logits - Y) / 7), "the gradient uses the logits, not the "
                       "softmax probabilities p"),
    }
    return _compare("softmax_cross_entropy", yours, (loss, grad), fingerprints)


def _grade_adam_step(fn: Callable) -> Grade:
    states: dict = {}

    def step(params: list[np.ndarray], grads: list[np.ndarray]) -> None:
        for k, (p, g) in enumerate(zip(params, grads)):
            fn(p, g, states.setdefault(k, {}), lr=1e-3)

    probe = np.zeros(3)
    if fn(probe, np.ones(3), {}, lr=1e-3) is None and not probe.any():
        return Grade(False, "adam_step: not attempted yet (the parameter did not change).")
    report = check_optimizer(step, optimizer="adam", lr=1e-3)
    if report.ok:
        return Grade(True, f"adam_step: OK, equal to {' and '.join(report.matches)}.")
    return Grade(False, "adam_step: NOT OK: " + " ".join(report.diagnosis))


def _grade_backprop(fn: Callable) -> Grade:
    rng = np.random.default_rng(3)
    X, Y = rng.normal(size=(10, 5)), np.eye(3)[rng.integers(0, 3, 10)]
    params = [rng.normal(0, 0.5, (5, 4)), rng.normal(0, 0.1, 4), rng.normal(0, 0.5, (4, 3)),
              rng.normal(0, 0.1, 3)]
    if fn([p.copy() for p in params], X, Y) is None:
        return Grade(False, "backprop: not attempted yet (it returns None).")
    report = check_backprop(fn, params, X, Y, activation="logistic", output="softmax")
    if report.ok and report.conventions.get("batch", "").startswith("averaged"):
        return Grade(True, "backprop: OK, every gradient exact (the mean over the batch).")
    if report.ok:
        return Grade(False, "backprop: NOT OK: the gradients are exact but of the loss summed "
                            "over the batch; this exercise asks for the mean (divide by n).")
    return Grade(False, "backprop: NOT OK: " + " ".join(report.diagnosis))


GRADERS = {"sigmoid_backward": _grade_sigmoid_backward,
           "dense_backward": _grade_dense_backward,
           "softmax_cross_entropy": _grade_softmax_cross_entropy,
           "adam_step": _grade_adam_step, "backprop": _grade_backprop}


def grade(name: str, fn: Callable) -> Grade:
    """Grade your function for exercise ``name``: the verdict (``.ok``, ``.text``), which a
    notebook cell shows as its text."""
    try:
        return GRADERS[name](fn)
    except Exception as error:  # noqa: BLE001 - the student's code may fail in any way
        return Grade(False, f"{name}: NOT OK: it raised {type(error).__name__}: {error}")
