"""How a style writes one step: products, transposes and sums (``Idiom``), and the steps every
style shares: an activation and its derivative, the output unit, the loss, dL/dz at the
output, the L2 term. Each ``write_*`` adds lines to a ``Writer`` with the nodes they compute.
"""

from dataclasses import dataclass

import numpy as np

from comparisons.bench.mutants.architectures import Architecture
from comparisons.bench.mutants.writer import LOSS, Writer


def atom(x: str) -> str:
    """``x`` as an operand: in parentheses unless it is a name, a call, an index or ``.T``."""
    depth = 0
    for i, char in enumerate(x):
        depth += char in "([{"
        depth -= char in ")]}"
        if depth == 0 and (char in " +*/@<>=%" or (char == "-" and i == 0)):
            return f"({x})"
    return x


def _product(x: str) -> bool:
    """Whether ``x`` is a product or quotient at its top level (``2 * (p - y)``, ``-a / b``),
    which ``/`` can follow without parentheses."""
    depth = 0
    for i, char in enumerate(x):
        depth += char in "([{"
        depth -= char in ")]}"
        if depth == 0 and (char in "+<>=%" or (char == "-" and i > 0)):
            return False
    return True


def divide(expr: str, factors: list[str]) -> str:
    """``expr / f`` or ``expr / (f1 * f2)``; ``expr`` itself when there is no factor."""
    if not factors:
        return expr
    below = factors[0] if len(factors) == 1 else f"({' * '.join(factors)})"
    return f"{expr if _product(expr) else atom(expr)} / {below}"


@dataclass(frozen=True)
class Idiom:
    """The layer algebra in one style's words, for the architecture's layout.

    Rows: h (n_samples, width), z = h W + b; columns: h (width, n_samples), z = W h + b
    (each with W transposed when the layout asks). ``matmul`` is "@", "np.dot" or "method"
    (``a.dot(b)``); ``sums`` is "np" (``np.sum(x, axis=0)``), "method" (``x.sum(axis=0)``)
    or "positional" (``x.sum(0)``).
    """

    arch: Architecture
    matmul: str = "@"
    transpose: str = ".T"
    sums: str = "np"

    @property
    def sample_axis(self) -> int:
        return 1 if self.arch.columns else 0

    @property
    def class_axis(self) -> int:
        return 0 if self.arch.columns else 1

    def mm(self, a: str, b: str) -> str:
        if self.matmul == "np.dot":
            return f"np.dot({a}, {b})"
        if self.matmul == "method":
            return f"{atom(a)}.dot({b})"
        return f"{atom(a)} @ {atom(b)}"

    def t(self, a: str) -> str:
        return f"{atom(a)}{self.transpose}"

    def reduce(self, how: str, x: str, axis: int | None = None, keepdims: bool = False) -> str:
        """``how`` ("sum" or "max") over ``axis`` (None: everything)."""
        if axis is None:
            return f"{atom(x)}.{how}()" if self.sums != "np" else f"np.{how}({x})"
        keep = ", keepdims=True" if keepdims else ""
        if self.sums == "np":
            return f"np.{how}({x}, axis={axis}{keep})"
        if self.sums == "method":
            return f"{atom(x)}.{how}(axis={axis}{keep})"
        return f"{atom(x)}.{how}({axis}{keep})"

    def _bias(self, b: str) -> str:
        """b as the forward pass adds it: a flat b meets columns as ``b[:, None]``."""
        return f"{atom(b)}[:, None]" if self.arch.columns and self.arch.bias == "flat" else b

    def linear(self, h: str, W: str, b: str) -> str:
        """z from the layer's input h, weights W and biases b."""
        a = self.arch
        if a.columns:
            product = self.mm(W, h) if a.torch_layout else self.mm(self.t(W), h)
        else:
            product = self.mm(h, self.t(W)) if a.torch_layout else self.mm(h, W)
        return f"{product} + {self._bias(b)}"

    def grad_W(self, h: str, dz: str) -> str:
        """dL/dW, shaped like W, from the layer's input h and dL/dz."""
        a = self.arch
        if a.columns:
            return self.mm(dz, self.t(h)) if a.torch_layout else self.mm(h, self.t(dz))
        return self.mm(self.t(dz), h) if a.torch_layout else self.mm(self.t(h), dz)

    def grad_h(self, dz: str, W: str) -> str:
        """dL/dh of the layer's input from dL/dz."""
        a = self.arch
        if a.columns:
            return self.mm(self.t(W), dz) if a.torch_layout else self.mm(W, dz)
        return self.mm(dz, W) if a.torch_layout else self.mm(dz, self.t(W))

    def grad_b(self, dz: str) -> str:
        """dL/db, shaped like b: dz summed over the samples."""
        return self.reduce("sum", dz, self.sample_axis, keepdims=self.arch.bias != "flat")


def label_line(arch: Architecture, Y: str) -> str | None:
    """The statement turning integer labels into targets shaped like the output, or None."""
    if not arch.labels:
        return None
    if arch.output == "softmax":
        return f"{Y} = np.eye({arch.n_outputs})[{Y}]" + (".T" if arch.columns else "")
    return f"{Y} = {Y}.reshape({'1, -1' if arch.columns else '-1, 1'})"


def activation(arch: Architecture, z: str, rng: np.random.Generator) -> str:
    """The hidden activation of ``z`` as an expression."""
    s = arch.negative_slope
    choices = {
        "identity": [z],
        "logistic": [f"1 / (1 + np.exp(-{atom(z)}))"],
        "tanh": [f"np.tanh({z})"],
        "relu": [f"np.maximum(0, {z})", f"np.maximum({z}, 0)", f"{atom(z)} * ({z} > 0)"],
        "leaky_relu": [f"np.where({z} > 0, {z}, {s} * {atom(z)})",
                       f"np.maximum({z}, {s} * {atom(z)})"],
    }[arch.activation]
    return choices[rng.integers(len(choices))]


def write_derivative(w: Writer, arch: Architecture, rng: np.random.Generator, dz: str,
                     dh: str, z: str | None, h: str, where: tuple, in_place: bool = False) -> str:
    """Lines giving dL/dz from dL/dh; returns the variable that holds it (``dh`` itself when
    it was masked in place, which ``in_place`` allows). ``z`` None: the style kept only h
    (h > 0 exactly where z > 0 for relu and leaky relu)."""
    s, c = arch.negative_slope, z or h
    kind = arch.activation
    if kind == "identity":
        w.add(f"{dz} = {dh}", where)
    elif kind == "logistic":
        w.add(f"{dz} = {dh} * {h} * (1 - {h})", where)
    elif kind == "tanh":
        square = [f"{atom(h)} ** 2", f"np.power({h}, 2)", f"{atom(h)} * {atom(h)}"]
        w.add(f"{dz} = {dh} * (1 - {square[rng.integers(3)]})", where)
    elif kind == "relu":
        variant = rng.integers(4 if in_place else 3)
        if variant == 0:
            w.add(f"{dz} = {dh} * ({c} > 0)", where)
        elif variant == 1:
            w.add(f"{dz} = np.where({c} > 0, {dh}, 0)", where)
        elif variant == 2:
            w.add(f"{dz} = {dh}.copy()", where)
            w.add(f"{dz}[{c} <= 0] = 0", where)
        else:
            w.add(f"{dh}[{c} <= 0] = 0", where)
            return dh
    elif rng.integers(2):
        w.add(f"{dz} = np.where({c} > 0, {dh}, {s} * {dh})", where)
    else:
        w.add(f"{dz} = {dh} * np.where({c} > 0, 1.0, {s})", where)
    return dz


def write_output(w: Writer, arch: Architecture, idiom: Idiom, z: str, p: str, e: str,
                 where: tuple) -> None:
    """Lines giving the output unit's value ``p`` from the scores ``z``."""
    if arch.output == "softmax":
        a = idiom.class_axis
        w.add(f"{e} = np.exp({z} - {idiom.reduce('max', z, a, keepdims=True)})", where)
        w.add(f"{p} = {e} / {idiom.reduce('sum', e, a, keepdims=True)}", where)
    elif arch.output == "logistic":
        w.add(f"{p} = 1 / (1 + np.exp(-{atom(z)}))", where)
    else:
        w.add(f"{p} = {z}", where)


def output_factors(arch: Architecture, n: str, batch: bool = True) -> list[str]:
    """What the data term is divided by: n for a batch mean (when ``batch``), n_outputs for
    averaged outputs."""
    factors = [n] if batch and arch.batch == "mean" else []
    if arch.outputs_apply and arch.outputs == "mean":
        factors.append(str(arch.n_outputs))
    return factors


def squares(arrays: list[str], idiom: Idiom) -> str:
    """The sum of squares of every array named, as one expression."""
    return " + ".join(idiom.reduce("sum", f"{atom(a)} ** 2") for a in arrays)


def l2_factor(arch: Architecture, alpha: str, n: str) -> str:
    """The L2 term's factor before the sum of squares."""
    return {"alpha/2 * sum W^2": f"0.5 * {alpha}", "alpha * sum W^2": alpha,
            "alpha/(2n) * sum W^2": f"{alpha} / (2 * {n})",
            "alpha/n * sum W^2": f"{alpha} / {n}"}[arch.l2]


def l2_gradient(arch: Architecture, A: str, alpha: str, n: str) -> str:
    """The L2 term's gradient with respect to array ``A``."""
    return {"alpha/2 * sum W^2": f"{alpha} * {A}", "alpha * sum W^2": f"2 * {alpha} * {A}",
            "alpha/(2n) * sum W^2": f"{alpha} / {n} * {A}",
            "alpha/n * sum W^2": f"2 * {alpha} / {n} * {A}"}[arch.l2]


def with_l2(arch: Architecture, expr: str, A: str, alpha: str, n: str, bias: bool) -> str:
    """``expr`` plus the L2 gradient of ``A`` when the architecture penalises it."""
    if not arch.alpha or (bias and not arch.l2_biases):
        return expr
    return f"{expr} + {l2_gradient(arch, A, alpha, n)}"


def write_loss(w: Writer, arch: Architecture, idiom: Idiom, p: str, Y: str, n: str,
               alpha: str, penalised: str | None, one_over: bool = False,
               name: str = "loss") -> None:
    """``loss = ...`` (and ``loss += <L2>``); ``penalised`` is the sum of squares to
    penalise, None for no L2 term; ``one_over`` writes ``-1 / n * np.sum(...)``."""
    if arch.loss == "cross_entropy" and arch.output == "softmax":
        inner, sign = f"{Y} * np.log({p})", "-"
    elif arch.loss == "cross_entropy":
        inner, sign = f"{Y} * np.log({p}) + (1 - {Y}) * np.log(1 - {atom(p)})", "-"
    else:
        inner, sign = f"({p} - {Y}) ** 2", "0.5 * " if arch.squared_error == "half" else ""
    total = idiom.reduce("sum", inner)
    factors = output_factors(arch, n)
    if one_over and factors:
        below = factors[0] if len(factors) == 1 else f"({' * '.join(factors)})"
        head = "-1" if sign == "-" else ("0.5" if sign else "1")
        w.add(f"{name} = {head} / {below} * {total}", LOSS)
    else:
        w.add(f"{name} = {divide(sign + total, factors)}", LOSS)
    if arch.alpha and penalised:
        w.add(f"{name} += {l2_factor(arch, alpha, n)} * ({penalised})", LOSS)


def write_output_delta(w: Writer, arch: Architecture, rng: np.random.Generator, idiom: Idiom,
                       p: str, Y: str, n: str, dz: str, dp: str, at_delta: bool) -> None:
    """Lines giving dL/dz at the output (node z<L>), through dL/dp (node "p") when the
    style goes that way. ``at_delta``: the batch mean's 1/n is applied here (else at each
    dW and db)."""
    L = arch.n_layers
    factors = output_factors(arch, n, batch=at_delta)
    two = "2 * " if arch.loss == "squared_error" and arch.squared_error == "full" else ""
    residual = f"{two}({p} - {Y})" if two else f"{p} - {Y}"
    kind = (arch.output, arch.loss)
    via_p = kind == ("softmax", "squared_error") or bool(rng.random() < 0.35)
    if not via_p:
        if kind == ("logistic", "squared_error"):
            w.add(f"{dz} = {divide(f'{atom(residual)} * {p} * (1 - {p})', factors)}", (f"z{L}",))
        else:
            w.add(f"{dz} = {divide(residual, factors)}", (f"z{L}",))
        return
    if kind == ("softmax", "cross_entropy"):
        w.add(f"{dp} = {divide(f'-{Y} / {p}', factors)}", ("p",))
    elif kind == ("logistic", "cross_entropy"):
        w.add(f"{dp} = {divide(f'-({Y} / {p} - (1 - {Y}) / (1 - {p}))', factors)}", ("p",))
    else:
        w.add(f"{dp} = {divide(residual, factors)}", ("p",))
    if arch.output == "softmax":
        inner = idiom.reduce("sum", f"{dp} * {p}", idiom.class_axis, keepdims=True)
        w.add(f"{dz} = {p} * ({dp} - {inner})", (f"z{L}",))
    elif arch.output == "logistic":
        w.add(f"{dz} = {dp} * {p} * (1 - {p})", (f"z{L}",))
    else:
        w.add(f"{dz} = {dp}", (f"z{L}",))
