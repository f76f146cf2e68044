"""The backward pass as a program of local steps: the lecture's gates, one line each.

A backward pass through a multilayer perceptron is a chain of local steps, each reading a few
named arrays and writing one (local gradient x upstream gradient = downstream gradient):

    dz{L} = p - Y                      OutputDelta: the output delta (softmax or sigmoid with
                                                    cross-entropy; other pairs chain dL/dp)
    dW{k} = h{k-1}^T dz{k}             Matmul       (h0 is X)
    db{k} = sum over the samples dz{k} RowSum
    dh{k-1} = dz{k} W{k}^T             Matmul       (dx for k = 1)
    dz{k-1} = dh{k-1} * f'(h{k-1})     Derivative   (f' read from the array it is written for)

Each step is a small frozen dataclass whose fields are the choices a person makes when
writing that line (which array, transposed or not, which axis, which derivative form, read
from which array). The right program is ``program(...)``; the grammar of slips
(``grammar``) changes one field of one step, and ``rerun`` recomputes what depends on it.

The program computes the gradient of the **unit** data loss (summed over the samples and the
outputs, squared error with its 1/2): every convention multiplies it by one number and adds
an L2 term (``conventions``). Arrays are in scikit-learn's layout: X (n_samples,
n_features), W{k} (n_in, n_out), b{k} (n_out,).
"""

from dataclasses import dataclass, replace

import numpy as np

from reference.checking.backprop.grammar.network import (
    FORMS,
    RIGHT_FORM,
    Forward,
    sigmoid,
    softmax,
    softmax_unshifted,
)


@dataclass(frozen=True)
class Matmul:
    """``node = A @ B``: A and B read by name (each transposed or not; B "I" is no matrix
    at all), the product taken the other way round when ``swap``, the result transposed
    when ``tr``."""

    node: str
    a: str
    b: str
    ta: bool = False
    tb: bool = False
    swap: bool = False
    tr: bool = False
    factor: float = 1.0

    def reads(self) -> tuple[str, ...]:
        return (self.a,) if self.b == "I" else (self.a, self.b)

    def run(self, s: dict, ctx: "Context") -> np.ndarray:
        A = s[self.a].T if self.ta else s[self.a]
        if self.b == "I":
            out = A
        else:
            B = s[self.b].T if self.tb else s[self.b]
            out = B @ A if self.swap else A @ B
        out = out.T if self.tr else out
        return out * self.factor if self.factor != 1.0 else out


@dataclass(frozen=True)
class RowSum:
    """``node = the sum of A over the samples`` ("sum0"), or as slips make it: over the
    other axis ("sum1"), the first or the last sample alone."""

    node: str
    a: str
    how: str = "sum0"
    factor: float = 1.0

    def reads(self) -> tuple[str, ...]:
        return (self.a,)

    def run(self, s: dict, ctx: "Context") -> np.ndarray:
        A = s[self.a]
        out = {"sum0": lambda: A.sum(axis=0), "sum1": lambda: A.sum(axis=1),
               "all": lambda: np.full(A.shape[1], A.sum()),  # np.sum(delta): one number
               "first": lambda: A[0].copy(), "last": lambda: A[-1].copy()}[self.how]()
        return out * self.factor if self.factor != 1.0 else out


@dataclass(frozen=True)
class Derivative:
    """``node = up * form(at) ** power``: the upstream gradient times the activation's
    derivative, written as ``form`` (``network.FORMS``) and read from the array ``at``."""

    node: str
    up: str
    form: str
    at: str
    power: int = 1
    factor: float = 1.0

    def reads(self) -> tuple[str, ...]:
        return (self.up, self.at)

    def run(self, s: dict, ctx: "Context") -> np.ndarray:
        if self.form.startswith("leaky@"):  # a leaky ReLU's derivative with its own slope
            local = FORMS["leaky"].of(s[self.at], float(self.form[6:]))
        else:
            local = FORMS[self.form].of(s[self.at], ctx.slope)
        out = s[self.up] * (local ** self.power if self.power != 1 else local)
        return out * self.factor if self.factor != 1.0 else out


@dataclass(frozen=True)
class OutputDelta:
    """``dz{L}``, the output delta, as its writer's choices make it.

    ``probs``: the probabilities read ("p"; slips: the scores "z{L}", "p:axis0" a softmax
    over the batch, "p:twice" the output applied twice, "p:other" the other output's,
    "p:unshifted" a softmax that overflows). ``target``: "Y" (slips: "Y:next", "Y:previous"
    the labels shifted by one class, "zero": not subtracted), subtracted (``target_sign``
    -1) or added. ``route``: "fused" writes the canonical delta directly (p - Y, times the
    output's derivative where the loss does not cancel it); "chained" computes dL/dp first
    and passes it through the output's backward step (deeplearning.ai's dAL and
    sigmoid_backward; a softmax layer's own backward). ``derivative``: the output's
    backward step, "right" or a slip ("extra", "missing", "diagonal", "outer_as_inner",
    "wrong_axis", "sigmoid_of_z_at_p", "sigmoid_of_h_at_z", "squared"). ``term_sign``: the
    sign of the second term of a chained sigmoid cross-entropy's dL/dp. ("p:none": no
    probabilities at all, the loss -z_y of scores read as log-probabilities.)
    ``hidden_derivative``: the hidden activation's derivative applied here too.
    """

    node: str
    probs: str = "p"
    target: str = "Y"
    target_sign: int = -1
    route: str = "fused"
    derivative: str = "right"
    term_sign: int = -1
    hidden_derivative: bool = False
    factor: float = 1.0

    def reads(self) -> tuple[str, ...]:
        reads = (self.probs, self.target if self.target != "zero" else "Y")
        return reads + ((self.node.replace("dz", "z"),) if self.hidden_derivative or
                        self.derivative == "sigmoid_of_h_at_z" else ())

    def run(self, s: dict, ctx: "Context") -> np.ndarray:
        P = s[self.probs]
        T = np.zeros_like(P) if self.target == "zero" else s[self.target]
        if self.probs == "p:twice":  # out(out(z)) before a loss that applies out itself
            if ctx.loss != "cross_entropy" or self.route != "fused":
                raise _NoChange
            error = P + self.target_sign * T
            out = _output_backward(s["p"], error, "right", ctx, s)
        elif self.route == "fused":
            error = P + self.target_sign * T
            if ctx.loss == "cross_entropy" or ctx.output == "identity":  # the derivative
                out = error if self.derivative == "right" else \
                    _needless(P, error, self.derivative)  # cancels: none to apply
            else:
                out = _output_backward(P, error, self.derivative, ctx, s)
        else:
            with np.errstate(divide="ignore", invalid="ignore"):
                if ctx.loss == "squared_error":
                    grad_p = P + self.target_sign * T
                elif ctx.output == "softmax":
                    grad_p = -T / P
                else:
                    grad_p = -(T / P + self.term_sign * (1 - T) / (1 - P))
            out = _output_backward(P, grad_p, self.derivative, ctx, s)
        if self.hidden_derivative:
            form, _ = RIGHT_FORM[ctx.activation]
            z = s[self.node.replace("dz", "z")]
            out = out * FORMS[form if form in ("relu", "leaky", "one") else
                              form.replace("_of_h", "_of_z")].of(z, ctx.slope)
        return out * self.factor if self.factor != 1.0 else out


def _needless(P: np.ndarray, error: np.ndarray, how: str) -> np.ndarray:
    """The canonical delta p - y times an output derivative the loss has cancelled."""
    if how in ("extra", "diagonal"):
        return error * P * (1 - P)
    if how == "squared":
        return error * (P * (1 - P)) ** 2
    raise _NoChange


def _output_backward(P: np.ndarray, g: np.ndarray, how: str, ctx: "Context", s: dict
                     ) -> np.ndarray:
    """dL/dz from dL/dp = g through the output p = out(z), as ``how`` writes it."""
    output = ctx.output
    if how == "missing" or (output == "identity" and how == "right"):
        return g
    if output == "identity":
        raise _NoChange
    if how == "right":
        if output == "softmax":
            return P * (g - (P * g).sum(axis=1, keepdims=True))
        return g * P * (1 - P)
    if how in ("extra", "diagonal"):
        return g * P * (1 - P)
    if how == "squared":
        return g * (P * (1 - P)) ** 2
    if how == "outer_as_inner" and output == "softmax":  # np.dot(s, s.T) on a 1-d s
        return P * g - (P * P).sum(axis=1, keepdims=True) * g.sum(axis=1, keepdims=True)
    if how == "wrong_axis" and output == "softmax":
        return P * (g - (P * g).sum(axis=0, keepdims=True))
    if how.startswith("form:") and output == "logistic":  # "form:NAME@ARRAY"
        name, at = how[5:].split("@")
        return g * FORMS[name].of(P if at == "p" else s[at], ctx.slope)
    if how == "sigmoid_of_z_at_p" and output == "logistic":
        return g * sigmoid(P) * (1 - sigmoid(P))
    if how == "sigmoid_of_h_at_z" and output == "logistic":
        z = s[f"z{ctx.L}"]
        return g * z * (1 - z)
    raise _NoChange


class _NoChange(Exception):
    """A slip that cannot be made at this step (its shapes or its kind do not allow it)."""


Step = Matmul | RowSum | Derivative | OutputDelta


@dataclass(frozen=True)
class Context:
    """What every step may need besides the arrays it reads."""

    activation: str
    output: str
    loss: str
    slope: float
    L: int


def program(L: int, activation: str) -> list[Step]:
    """The right backward pass of an L-layer network, in the order it runs."""
    form, reads = RIGHT_FORM[activation]
    steps: list[Step] = [OutputDelta(f"dz{L}")]
    for k in range(L, 0, -1):
        steps.append(Matmul(f"dW{k}", f"h{k - 1}", f"dz{k}", ta=True))
        steps.append(RowSum(f"db{k}", f"dz{k}"))
        if k > 1:
            steps.append(Matmul(f"dh{k - 1}", f"dz{k}", f"W{k}", tb=True))
            steps.append(Derivative(f"dz{k - 1}", f"dh{k - 1}", form, f"{reads}{k - 1}"))
        else:
            steps.append(Matmul("dx", "dz1", "W1", tb=True))
    return steps


def store(fwd: Forward) -> dict[str, np.ndarray]:
    """The arrays the program reads before it runs: the forward values, the parameters and
    the derived probabilities that slips read."""
    s = fwd.values()
    s["h0"] = s["X"]
    for k, (W, b) in enumerate(zip(fwd.coefs, fwd.intercepts), start=1):
        s[f"W{k}"], s[f"b{k}"] = W, b
    z = fwd.zs[-1]
    for k in range(1, fwd.L + 1):  # a mask recomputed from x W, the bias forgotten
        s[f"z{k}:nobias"] = fwd.zs[k - 1] - fwd.intercepts[k - 1]
    if fwd.output == "softmax":
        e = np.exp(z - z.max(axis=1, keepdims=True))  # shifted by each row's max, as usual,
        s["p:axis0"] = e / e.sum(axis=0, keepdims=True)  # but normalised over the batch
        s["p:all"] = e / e.sum()  # or over the whole matrix
        with np.errstate(over="ignore", invalid="ignore"):
            s["p:all:unshifted"] = np.exp(z) / np.exp(z).sum()
        s["p:axis0:columns"] = softmax(z, axis=0)
        s["p:twice"] = softmax(fwd.p)
        s["p:other"] = sigmoid(z)
        s["p:unshifted"] = softmax_unshifted(z)
    elif fwd.output == "logistic":
        s["p:twice"] = sigmoid(fwd.p)
        if z.shape[1] > 1:
            s["p:other"] = softmax(z)
    s["p:none"] = np.zeros_like(z)  # the prediction left out: -y
    if fwd.output == "logistic":
        s["p:flipped"] = 1 - fwd.p  # a sigmoid written with exp(z): sigmoid(-z) = 1 - p
    if fwd.Y.shape[1] > 1:
        s["Y:next"] = np.roll(fwd.Y, 1, axis=1)
        s["Y:previous"] = np.roll(fwd.Y, -1, axis=1)
    return s


def run(steps: list[Step], s: dict, ctx: Context) -> dict[str, np.ndarray]:
    """Every step in order on a copy of the store ``s``; returns the filled store."""
    s = dict(s)
    for step in steps:
        s[step.node] = step.run(s, ctx)
    return s


def rerun(steps: list[Step], done: dict, ctx: Context, changes: dict[int, Step]
          ) -> dict[str, np.ndarray] | None:
    """The program with ``changes`` (step index -> new step) made, recomputing only what
    depends on them, from ``done`` (the right program's filled store). None when a changed
    step cannot run here (shapes that do not fit, a slip of another kind of output), or
    gives an array of another shape than the right one."""
    s = dict(done)
    dirty: set[str] = set()
    first = min(changes)
    for i in range(first, len(steps)):
        step = changes.get(i, steps[i])
        if i not in changes and not dirty.intersection(step.reads()):
            continue
        try:
            with np.errstate(all="ignore"):
                value = step.run(s, ctx)
        except (_NoChange, ValueError, IndexError, KeyError):
            return None
        if np.shape(value) != np.shape(done[step.node]):
            try:  # what NumPy broadcasts silently into the array it is added to
                value = np.broadcast_to(value, np.shape(done[step.node])).copy()
            except ValueError:
                return None
        s[step.node] = value
        dirty.add(step.node)
    return s


def gradients(s: dict, L: int) -> list[np.ndarray]:
    """[dW1, db1, ..., dWL, dbL] from a filled store, each flattened (scikit-learn's
    layout)."""
    return [s[f"{kind}{k}"].ravel() for k in range(1, L + 1) for kind in ("dW", "db")]


def downstream(steps: list[Step], index: int) -> set[str]:
    """The nodes a change at step ``index`` can reach (itself included)."""
    reach = {steps[index].node}
    for step in steps[index + 1:]:
        if reach.intersection(step.reads()):
            reach.add(step.node)
    return reach


def with_factor(step: Step, factor: float) -> Step:
    return replace(step, factor=factor)


@dataclass(frozen=True)
class Given:
    """``node = value``: a step replaced by a fixed array (the search feeds the program's
    linear part this way: the gradient is linear in the output delta)."""

    node: str
    value: np.ndarray
    factor: float = 1.0

    def reads(self) -> tuple[str, ...]:
        return ()

    def run(self, s: dict, ctx: Context) -> np.ndarray:
        return self.value
