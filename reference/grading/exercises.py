"""The exercises of ``notebooks/09_exercises``: each graded on cases drawn at grading time,
with the typical mistakes recognised by their fingerprints.

Nine exercises, from one layer to a whole network (``EXERCISES`` holds their order, contracts
and points). ``grade(name, fn)`` grades a function in a notebook cell; ``reference.grade``
(``python -m reference.grade``) grades a whole submission, calling the student's functions
in a process of their own (``runner.Remote``) and judging here. Every case is drawn when
grading (shapes and values from the seed), so nothing a student holds contains an expected
answer, and an answer that memorises one case's output cannot pass.

The references each verdict is judged against are scratch's own layers and the checkers
(``check_backprop``, ``check_optimizer``: torch's and scikit-learn's updates); they are the
grader's, and no function here hands a solution out. Model answers written as a student
would write them, for the teacher, are in the repository's ``tests/gallery/model_answers.py``
(not part of the installed package).
"""

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from reference.checking.backprop.check import check_backprop
from reference.checking.optimizer.check import check_optimizer
from reference.grading.answers import call, equal, kept_axis, problems
from scratch.layers.activations import Logistic
from scratch.layers.dense import Dense
from scratch.layers.losses import SoftmaxCrossEntropy

POINTS = 10
# the backprop exercises are float64: an answer handed over in (or rounded to) float32 or
# float16 is held to float64's tolerance, not to its own dtype's looser one
BACKPROP_RTOL = 1e-6
# exercise -> imports the grader's sandbox allows it although it refuses them to the others
# (sandbox.DENIED: the project, automatic differentiation, ctypes...); none needs one yet
ALLOWED_IMPORTS: dict[str, tuple[str, ...]] = {}


@dataclass
class Grade:
    """A verdict: ``ok``, ``text`` saying why (what a notebook cell shows), and the points."""

    ok: bool
    text: str
    points: float = 0.0
    max_points: float = POINTS
    name: str = ""

    def __str__(self) -> str:
        return self.text

    __repr__ = __str__


def _right(name: str, note: str = "") -> Grade:
    return Grade(True, f"{name}: OK" + (f" ({note})" if note else "") + ".", POINTS,
                 name=name)


def _wrong(name: str, why: str) -> Grade:
    return Grade(False, f"{name}: NOT OK: {why}.", 0.0, name=name)


def _not_attempted(name: str, how: str) -> Grade:
    return Grade(False, f"{name}: not attempted yet ({how}).", 0.0, name=name)


# --- the references: scratch's own code ------------------------------------------------------

def _sigmoid_backward(grad_out: np.ndarray, out: np.ndarray) -> np.ndarray:
    layer = Logistic()
    layer.out = out
    return layer.backward(np.array(grad_out, dtype=float))


def _relu_backward(grad_out: np.ndarray, x: np.ndarray) -> np.ndarray:
    return grad_out * (x > 0)


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


def _dropout_forward(x: np.ndarray, keep: np.ndarray, p: float) -> np.ndarray:
    return x * keep / (1 - p)


def _dropout_backward(grad_out: np.ndarray, keep: np.ndarray, p: float) -> np.ndarray:
    return grad_out * keep / (1 - p)


# --- grading one function ------------------------------------------------------------------------

def _values(name: str, fn: Callable, args: dict, right: tuple, what: list[str],
            fingerprints: dict[str, tuple[tuple, str]]) -> tuple[Grade | None, tuple | None]:
    """(None when ``fn`` gives the right answer on this case, else the verdict; the answer).
    ``fn`` is called once per case: what is graded is what it returned."""
    called = call(fn, args, count=len(right))
    verdict = _judge(name, called, right, what, fingerprints)
    return verdict, called.answer


def _judge(name: str, called: object, right: tuple, what: list[str],
           fingerprints: dict[str, tuple[tuple, str]]) -> Grade | None:
    if called.answer is None:
        return _not_attempted(name, "it returns None")
    if called.wrote:
        return _wrong(name, f"it writes into its argument{'s' if len(called.wrote) > 1 else ''}"
                            f" {', '.join(called.wrote)} (an in-place operation); compute new "
                            "arrays instead, the caller still needs them")
    found = problems(called.answer, right, what)
    if found:
        return _wrong(name, "; ".join(found))
    if equal(called.answer, right):
        return None
    for wrong, why in fingerprints.values():
        wrong = wrong if isinstance(wrong, tuple) else (wrong,)
        if equal(called.answer, wrong):
            return _wrong(name, why)
    from reference.checking.compare import relative_difference

    off = [f"{w} is off by {relative_difference(a, r):.1e} (relative)"
           for w, a, r in zip(what, called.answer, right) if relative_difference(a, r) > 1e-9]
    return _wrong(name, "; ".join(off))


def _cases(name: str, rng: np.random.Generator, fn: Callable, make: Callable,
           count: int = 3) -> Grade:
    """``make(rng)`` -> (args, right, what, fingerprints) for each of ``count`` cases."""
    notes = []
    for _ in range(count):
        args, right, what, fingerprints = make(rng)
        verdict, answer = _values(name, fn, args, right, what, fingerprints)
        if verdict is not None:
            return verdict
        notes += [f"{what[k]} has shape {np.shape(answer[k])}: it keeps a batch axis "
                  f"({np.shape(right[k])} expected; the values are right)"
                  for k in kept_axis(answer, right) if f"{what[k]} has shape" not in
                  " ".join(notes)]
    return _right(name, "; ".join(notes) if notes else
                  "equal to the reference to float64 round-off")


def _sigmoid_case(rng: np.random.Generator) -> tuple:
    n, units = rng.integers(3, 9), rng.integers(2, 7)
    out = 1 / (1 + np.exp(-rng.normal(size=(n, units))))
    grad_out = rng.normal(size=(n, units))
    sig = 1 / (1 + np.exp(-out))
    return ({"grad_out": grad_out, "out": out}, (_sigmoid_backward(grad_out, out),), ["dL/dz"], {
        "upstream_missing": (out * (1 - out), "the local gradient h (1 - h) alone: multiply "
                                              "it by the upstream gradient grad_out"),
        "sigmoid_again": (grad_out * sig * (1 - sig), "sigmoid is applied to h again: h is "
                                                     "already sigmoid(z), so the derivative "
                                                     "is h (1 - h)"),
        "half_formula": (grad_out * out, "the factor (1 - h) is missing"),
        "other_half": (grad_out * (1 - out), "the factor h is missing"),
        "sign": (-grad_out * out * (1 - out), "the sign is flipped")})


def _relu_case(rng: np.random.Generator) -> tuple:
    n, units = rng.integers(3, 9), rng.integers(2, 7)
    x = rng.normal(size=(n, units))
    x.flat[rng.choice(x.size, size=2, replace=False)] = 0.0  # exact zeros: the kink
    grad_out = rng.normal(size=x.shape)
    return ({"grad_out": grad_out, "x": x}, (_relu_backward(grad_out, x),), ["dL/dx"], {
        "at_zero": (grad_out * (x >= 0), "at x == 0 it passes the gradient on; the derivative "
                                         "there is taken as 0 (torch's choice): mask x > 0"),
        "mask_from_upstream": (grad_out * (grad_out > 0), "the mask is taken from grad_out "
                                                          "instead of from x"),
        "wrong_side": (grad_out * (x < 0), "the mask is on the wrong side of 0"),
        "no_mask": (grad_out.copy(), "the mask is missing: grad_out passed back unchanged"),
        "mask_alone": ((x > 0) * 1.0, "it returns the mask x > 0 (the local gradient) alone: "
                                      "multiply it by the upstream gradient grad_out"),
        "times_output": (grad_out * np.maximum(x, 0), "grad_out is multiplied by max(x, 0) "
                                                      "instead of by the indicator x > 0")})


def _dense_case(rng: np.random.Generator) -> tuple:
    n, n_in, n_out = rng.integers(4, 9), rng.integers(2, 6), rng.integers(2, 6)
    X, W, grad_out = rng.normal(size=(n, n_in)), rng.normal(size=(n_in, n_out)), \
        rng.normal(size=(n, n_out))
    gX, gW, gb = _dense_backward(grad_out, X, W)
    return ({"grad_out": grad_out, "X": X, "W": W}, (gX, gW, gb), ["dL/dX", "dL/dW", "dL/db"], {
        "averaged": ((gX, gW / n, gb / n), "dL/dW and dL/db are averaged over the batch; "
                     "grad_out is already the gradient of the batch's loss, so sum (X^T "
                     "grad_out, grad_out summed)"),
        "bias_averaged": ((gX, gW, gb / n), "dL/db is averaged over the batch while dL/dW "
                                            "sums: sum both"),
        "bias_first_sample": ((gX, gW, grad_out[0]), "dL/db is the first sample's gradient: "
                              "sum grad_out over the batch"),
        "weights_averaged": ((gX, gW / n, gb), "dL/dW is averaged over the batch while dL/db "
                                               "sums: grad_out is already the gradient of the "
                                               "batch's loss, so sum both"),
        "weights_transposed": ((gX, gW.T if n_in == n_out else None, gb),
                               "dL/dW is transposed: grad_out^T X instead of X^T grad_out"),
        "sign": ((-gX, -gW, -gb), "every sign is flipped"),
        "dX_without_transpose": ((grad_out @ W if W.shape[0] == W.shape[1] else None, gW, gb),
                                 "dL/dX uses W where it needs W^T")})


def _softmax_case(rng: np.random.Generator) -> tuple:
    n, C = rng.integers(4, 9), rng.integers(3, 6)
    logits = rng.normal(size=(n, C)) * 3
    Y = np.eye(C)[rng.integers(0, C, n)]
    loss, grad = _softmax_cross_entropy(logits, Y)
    p = np.exp(logits - logits.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    p_batch = np.exp(logits - logits.max(0))
    p_batch /= p_batch.sum(0)  # softmax over the wrong axis: the samples
    return ({"logits": logits, "Y": Y}, (loss, grad), ["the loss", "dL/dlogits"], {
        "summed": ((loss * n, grad * n), "the loss and gradient are summed over the batch; the "
                   "mean divides both by n"),
        "gradient_summed": ((loss, grad * n), "the loss is the mean but the gradient is "
                                              "summed: divide (p - Y) by n"),
        "sign": ((loss, -grad), "the gradient's sign is flipped: it is p - Y, not Y - p"),
        "batch_axis": ((-np.mean((Y * np.log(p_batch)).sum(1)), (p_batch - Y) / n),
                       "softmax is normalised over the batch (axis 0), not over each sample's "
                       "classes (axis 1)"),
        "log2": ((loss / np.log(2), grad), "the loss uses log base 2; cross-entropy's log is "
                                           "the natural one (np.log)"),
        "sigmoid_habit": ((loss, (p - Y) * p * (1 - p) / n), "the gradient is multiplied by "
                          "p (1 - p): with cross-entropy, softmax's derivative cancels and "
                          "the gradient is (p - Y) / n"),
        "no_softmax": ((loss, (logits - Y) / n), "the gradient uses the logits, not the "
                       "softmax probabilities p"),
        "target_not_subtracted": ((loss, p / n), "the target is not subtracted: the gradient "
                                  "is (p - Y) / n, not p / n")})


def _dropout_case(rng: np.random.Generator, backward: bool) -> tuple:
    n, units = rng.integers(3, 9), rng.integers(2, 7)
    x = rng.normal(size=(n, units))
    p = float(rng.choice([0.2, 0.3, 0.6]))
    keep = rng.random((n, units)) >= p
    fn = _dropout_backward if backward else _dropout_forward
    what = "dL/dx" if backward else "the output"
    args = {"grad_out" if backward else "x": x, "keep": keep, "p": p}
    return (args, (fn(x, keep, p),), [what], {
        "not_inverted": ((x * keep,), "the kept units are not scaled by 1 / (1 - p): inverted "
                                      "dropout scales them at training time"),
        "keep_probability": ((x * keep / p,), "it divides by p, as if p were the probability "
                                              "to keep; here p is the probability to drop "
                                              "(torch's), so divide by 1 - p"),
        "mask_inverted": ((x * ~keep / (1 - p),), "the mask is inverted: the dropped units pass, "
                                                  "the kept ones do not"),
        "times_p": ((x * keep * (1 - p),), "it multiplies by 1 - p instead of dividing"),
        "no_mask": ((x / (1 - p),), "the mask is missing: every unit is scaled, none dropped"),
        "identity": ((x.copy(),), "it passes its input through unchanged: neither the mask nor "
                                  "the scaling by 1 / (1 - p) is applied")})


def _grade_adam(fn: Callable, rng: np.random.Generator) -> Grade:
    name = "adam_step"
    probe, state = np.zeros(3), {}
    result = fn(probe, np.ones(3), state, lr=1e-3)
    if result is None and not probe.any() and not state:
        return _not_attempted(name, "the parameter did not change and the state stays empty")
    if result is None and not probe.any():
        return _wrong(name, "the parameter did not change: it is rebound (param = param - "
                            "...) inside the function, not updated; update it in place "
                            "(param -= ..., or param[...] = ...)")
    moved = []
    for rate in (0.01, 0.02):
        param = np.zeros(3)
        answer = fn(param, np.ones(3), {}, lr=rate)
        moved.append(np.asarray(answer) if answer is not None and not np.shares_memory(
            np.asarray(answer), param) else param)
    if moved[0].any() and np.array_equal(moved[0], moved[1]):
        return _wrong(name, "it ignores its lr argument: the first step is the same for lr = "
                            "0.01 and lr = 0.02; use lr, not a number of your own")
    states: dict = {}
    returned = {"seen": False}
    # hyperparameters away from the defaults, so that an answer ignoring one is caught
    lr, beta_1, beta_2, eps = (float(rng.choice(v)) for v in
                               ([0.01, 0.02, 0.005], [0.8, 0.85], [0.99, 0.995], [1e-7, 1e-6]))

    def step(params: list, grads: list) -> list:
        new = []
        for k, (p, g) in enumerate(zip(params, grads)):
            answer = fn(p, g.copy(), states.setdefault(k, {}), lr=lr, beta_1=beta_1,
                        beta_2=beta_2, eps=eps)
            if answer is not None and not np.shares_memory(np.asarray(answer), p):
                returned["seen"] = True
                new.append(np.asarray(answer))
            else:
                new.append(p)
        return new

    matrix = (int(rng.integers(2, 6)), int(rng.integers(2, 6)))
    shapes = [matrix, (matrix[1],), matrix]  # two of one shape: each needs its own state
    report = check_optimizer(step, optimizer="adam", lr=lr, betas=(beta_1, beta_2), eps=eps,
                             shapes=shapes, steps=int(rng.integers(12, 17)),
                             seed=int(rng.integers(2**31)))
    if report.ok:
        note = f"equal to {' and '.join(report.matches)}"
        if returned["seen"]:
            note += "; it returns the new parameter where the exercise asks for an in-place " \
                    "update (param -= ...): full marks, but write into param"
        return _right(name, note)
    return _wrong(name, " ".join(report.diagnosis).rstrip("."))


def _backprop_data(rng: np.random.Generator) -> tuple:
    n, n_in, hidden, C = (int(v) for v in (rng.integers(6, 13), rng.integers(3, 7),
                                           rng.integers(3, 7), rng.integers(3, 5)))
    while hidden in (n_in, C):  # no square weight matrix: the layout (n_in, n_out) shows
        hidden += 1
    X, Y = rng.normal(size=(n, n_in)), np.eye(C)[rng.integers(0, C, n)]
    params = [rng.normal(0, 0.5, (n_in, hidden)), rng.normal(0, 0.1, hidden),
              rng.normal(0, 0.5, (hidden, C)), rng.normal(0, 0.1, C)]
    return params, X, Y


def _grade_backprop(fn: Callable, rng: np.random.Generator, steps: bool = False) -> Grade:
    name = "backprop_steps" if steps else "backprop"
    params, X, Y = _backprop_data(rng)  # its first call is check_backprop's own (no other)
    nodes = {"dz2": "z2", "dh1": "h1", "dz1": "z1"} if steps else None
    extra: set[str] = set()

    def asked_steps_only(*args: object) -> object:
        """(grads, steps) with only the steps the exercise asks for (others are ignored)."""
        out = fn(*args)
        if isinstance(out, (tuple, list)) and len(out) == 2 and isinstance(out[1], dict):
            extra.update(str(k) for k in out[1] if k not in nodes)
            return out[0], {k: v for k, v in out[1].items() if k in nodes}
        return out

    try:
        report = check_backprop(asked_steps_only if steps else fn, params, X, Y,
                                activation="logistic", output="softmax", nodes=nodes,
                                check_loss=False, rtol=BACKPROP_RTOL)
    except TypeError as error:
        if str(error).startswith("grad_fn returned None"):
            return _not_attempted(name, "it returns None")
        raise
    if report.ok and report.conventions.get("batch", "").startswith("averaged"):
        note = "every gradient exact (the mean over the batch)" + (", every step right"
                                                                   if steps else "")
        if extra:
            note += f"; the other entries of its dict ({', '.join(sorted(extra))}) are ignored"
        return _right(name, note)
    if report.ok:
        return _wrong(name, "the gradients are exact but of the loss summed over the batch; "
                            "this exercise asks for the mean (divide by n)")
    return _wrong(name, " ".join(report.diagnosis).rstrip("."))


EXERCISES = {
    "sigmoid_backward": lambda fn, rng: _cases("sigmoid_backward", rng, fn, _sigmoid_case),
    "relu_backward": lambda fn, rng: _cases("relu_backward", rng, fn, _relu_case),
    "dense_backward": lambda fn, rng: _cases("dense_backward", rng, fn, _dense_case),
    "softmax_cross_entropy": lambda fn, rng: _cases("softmax_cross_entropy", rng, fn,
                                                    _softmax_case),
    "dropout_forward": lambda fn, rng: _cases("dropout_forward", rng, fn,
                                              lambda r: _dropout_case(r, backward=False)),
    "dropout_backward": lambda fn, rng: _cases("dropout_backward", rng, fn,
                                               lambda r: _dropout_case(r, backward=True)),
    "adam_step": _grade_adam,
    "backprop": _grade_backprop,
    "backprop_steps": lambda fn, rng: _grade_backprop(fn, rng, steps=True),
}


def grade(name: str, fn: Callable, seed: int | None = None) -> Grade:
    """Grade your function for exercise ``name`` on cases drawn now (``seed`` fixes them):
    the verdict (``.ok``, ``.text``, ``.points``), which a notebook cell shows as its text.

    Example
    -------
    >>> def sigmoid_backward(grad_out, out):
    ...     return grad_out * out * (1 - out)
    >>> grade("sigmoid_backward", sigmoid_backward).ok
    True
    """
    if name not in EXERCISES:
        raise ValueError(f"no exercise {name!r}; the exercises are {', '.join(EXERCISES)}.")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer))
                             or seed < 0):
        raise ValueError(f"seed must be a whole number >= 0 or None, got {seed!r}.")
    if not callable(fn):
        return _not_attempted(name, f"{type(fn).__name__} is not a function")
    rng = np.random.default_rng(seed)
    try:
        with np.errstate(all="ignore"):
            verdict = EXERCISES[name](fn, rng)
    except NotImplementedError:
        return _not_attempted(name, "it raises NotImplementedError")
    except Exception as error:  # noqa: BLE001 - the student's code may fail in any way
        cause = error.__cause__ if isinstance(error, ValueError) and error.__cause__ else error
        return _wrong(name, f"it raised {type(cause).__name__}: {cause}".split("\n")[0])
    verdict.name = name
    return verdict
