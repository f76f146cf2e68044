"""The grammar of slips of ONE local step: a layer's backward, a Function's backward.

A local step takes the upstream gradient and returns its inputs' gradients (the lecture's
gate: downstream = local gradient x upstream). A *slip* is one way of writing such a step
wrong. ``SLIPS`` is their table, kept apart from the search (``diagnose``) that composes
them; each entry says where it applies (``variants``: the ways it can be made at one input,
read from the evidence; none where the shapes do not fit), how it transforms the reference
(``make``), and the sentence it earns (``words``). A slip that cannot be made at an input is
skipped there, never raised.

The evidence (``Evidence``) is plain, what any checker can supply: the differentiated
inputs' names and values, your gradients as returned (any shape), the right gradients, the
forward's outputs and the upstream gradients used; and, where the checker has them, the
right gradients for another upstream gradient (``vjp``: "not multiplied by grad_output" is
vjp(ones)), or at another point (``at``: the derivative read at the output, or from the
wrong saved tensor), the forward itself (``forward``: for an elementwise step the checker
needs neither, the derivatives are found numerically from it), the shapes the inputs are
broadcast to and their gradients before the sum (``expanded``), your gradients for a zero
upstream gradient (``offset``), and the entries left out (``mask``: kinks).

Slips are of two tiers. A *source* gives another gradient in place of the right one: the
upstream gradient left out, multiplied in twice or taken from another output; the local
derivative at the output instead of the input, or the other way round, or read from the
wrong saved tensor; another input's gradient (two swapped); a broadcast input's gradient not
summed, or summed over the wrong axes; a term that does not depend on the upstream gradient;
the upstream gradient handed on unchanged (the identity's gradient: a straight-through
estimator).
A *transform* changes an array: transposed; a constant factor found by least squares (-1 is
the sign, 0 a gradient left at zero), named in words where it is a size of the step (n,
1/n, 2, ...). The search tries for each input the right gradient and every source, each
with no transform, a transposition and/or a factor: compositions of at most two slips. A
composition is *named* only when it reproduces your gradient within its tolerance; where
none does, the words give the worst element and the closest composition with the share of
the difference it leaves, and nothing else.
"""

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from reference.checking.core import numeric

Arrays = list[np.ndarray]
JACOBIAN_BUDGET = 2000  # entries of one input whose Jacobian may be found column by column


@dataclass
class Evidence:
    """What a checker knows of one local step (all arrays float64; see the module
    docstring). ``tolerance``: per input, the relative error within which a candidate
    reproduces your gradient. ``forward(replaced)``: the outputs with the inputs of
    ``replaced`` (index -> array) in place of theirs. ``at(replaced)``: the right gradients
    there, for the same upstream gradient. ``broadcast``: per input, the shape the forward
    broadcasts it to (None: not broadcast)."""

    names: list[str]
    inputs: Arrays
    yours: list[np.ndarray | None]
    reference: Arrays
    outputs: Arrays
    upstream: Arrays
    tolerance: list[float]
    output_names: list[str] | None = None
    vjp: Callable[[Arrays], Arrays | None] | None = None
    at: Callable[[dict[int, np.ndarray]], Arrays | None] | None = None
    forward: Callable[[dict[int, np.ndarray]], Arrays] | None = None
    broadcast: list[tuple | None] | None = None
    expanded: dict[int, np.ndarray] = field(default_factory=dict)
    offset: list[np.ndarray | None] | None = None
    mask: list[np.ndarray | None] | None = None


@dataclass
class Made:
    """One slip made at one input: its table id, the variant, its words, and the number it
    carries (a factor), if any."""

    slip: str
    key: str
    words: str
    value: float | None = None


@dataclass
class Diagnosis:
    """What ``diagnose`` found. ``named``: the mistakes named, each ``{"slip", "where",
    "text"}`` (``where``: the input names; ``slip``: the table ids joined by "+").
    ``sentences``: one per input no composition reproduces (its worst element, the closest
    composition and the share it leaves). ``explained``: per input, the slips that reproduce
    it ([] where it is right; None where none does or it was not usable)."""

    named: list[dict]
    sentences: list[str]
    explained: list[list[Made] | None]


# --- the evidence, with what can be derived from it -----------------------------------------

class Local:
    """The evidence with the derived quantities the slips read, computed once and kept:
    the right gradients for other upstream gradients or at other points (from the evidence,
    or for an elementwise step numerically from its forward)."""

    def __init__(self, ev: Evidence) -> None:
        self.ev = ev
        self.n = len(ev.names)
        self.out_names = ev.output_names or (["out"] if len(ev.outputs) == 1 else
                                             [f"out{j}" for j in range(len(ev.outputs))])
        self._diagonal: dict[tuple, Arrays | None] = {}
        self._at: dict[tuple, Arrays | None] = {}
        self._vjp: dict[tuple, Arrays | None] = {}
        self._jacobian: dict[int, np.ndarray | None] = {}

    # elementwise steps: every output has input k's shape and depends on it entry by entry
    def diagonal(self, k: int, replaced: dict[int, np.ndarray] | None = None
                 ) -> Arrays | None:
        """d_j = d output_j / d input_k entry by entry, at the point (inputs ``replaced``),
        for a step elementwise in input k; None otherwise or without a forward."""
        replaced = replaced or {}
        key = (k,) + _key(replaced)
        if key in self._diagonal:
            return self._diagonal[key]
        self._diagonal[key] = found = self._find_diagonal(k, replaced)
        return found

    def _find_diagonal(self, k: int, replaced: dict[int, np.ndarray]) -> Arrays | None:
        ev = self.ev
        x = replaced.get(k, ev.inputs[k])
        if ev.forward is None or not ev.outputs or any(
                np.shape(o) != np.shape(x) for o in ev.outputs):
            return None

        def f(value: np.ndarray) -> Arrays:
            return [np.asarray(o, dtype=np.float64) for o in ev.forward({**replaced, k: value})]
        try:
            d = numeric.jvp(f, x, np.ones_like(x))
            if d is None:
                return None
            if not replaced:  # is it elementwise? along a random direction, J v = d * v
                v = np.random.default_rng(1).normal(size=x.shape)
                jv = numeric.jvp(f, x, v)
                if jv is None:
                    return None
                for a, b in zip(jv, d):
                    scale = max(float(np.abs(b * v).max(initial=0.0)), 1e-300)
                    if np.abs(a - b * v).max(initial=0.0) > 1e-6 * scale:
                        return None
            elif self.diagonal(k) is None:
                return None
            return d
        except Exception:  # noqa: BLE001 - a forward that cannot run there: no diagonal
            return None

    def vjp(self, upstream: Arrays) -> Arrays | None:
        """The right gradients for another upstream gradient."""
        key = _key(dict(enumerate(upstream)))
        if key in self._vjp:
            return self._vjp[key]
        found = None
        if self.ev.vjp is not None:
            try:
                found = self.ev.vjp(upstream)
            except Exception:  # noqa: BLE001
                found = None
        if found is None:
            found = [self._elementwise_vjp(k, upstream) for k in range(self.n)]
            if all(f is None for f in found):
                found = None
        self._vjp[key] = found
        return found

    def _elementwise_vjp(self, k: int, upstream: Arrays,
                         replaced: dict[int, np.ndarray] | None = None) -> np.ndarray | None:
        d = self.diagonal(k, replaced)
        if d is None:
            return None
        return sum(np.asarray(u).reshape(dj.shape) * dj for u, dj in zip(upstream, d))

    def at(self, replaced: dict[int, np.ndarray]) -> Arrays | None:
        """The right gradients (for the evidence's upstream) with inputs replaced."""
        key = _key(replaced)
        if key in self._at:
            return self._at[key]
        found = None
        if self.ev.at is not None:
            try:
                found = self.ev.at(replaced)
            except Exception:  # noqa: BLE001
                found = None
        if found is None:
            found = [self._elementwise_vjp(k, self.ev.upstream, replaced)
                     for k in range(self.n)]
            if all(f is None for f in found):
                found = None
        self._at[key] = found
        return found

    def jacobian(self, k: int) -> np.ndarray | None:
        """d output / d input k as an (output entries, input k's entries) matrix, found
        column by column from the forward (a one-output step; input k of at most
        ``JACOBIAN_BUDGET`` entries); None otherwise."""
        if k in self._jacobian:
            return self._jacobian[k]
        ev, found = self.ev, None
        x = np.asarray(ev.inputs[k], dtype=np.float64)
        if ev.forward is not None and len(ev.outputs) == 1 and 0 < x.size <= JACOBIAN_BUDGET \
                and x.size * np.size(ev.outputs[0]) <= 50 * JACOBIAN_BUDGET ** 2:
            def f(value: np.ndarray) -> Arrays:
                return [np.asarray(ev.forward({k: value})[0], dtype=np.float64)]
            jac = numeric.jacobians(f, x)
            found = jac[0] if jac is not None else None
        self._jacobian[k] = found
        return found

    def mask(self, k: int, shape: tuple) -> np.ndarray | None:
        m = (self.ev.mask or [None] * self.n)[k]
        return m if m is not None and m.shape == shape and m.any() else None


def _key(arrays: dict[int, np.ndarray]) -> tuple:
    """A cache key for arrays by their contents (an id can be reused once an array is
    gone)."""
    return tuple((j, np.shape(a), hash(np.ascontiguousarray(a, dtype=np.float64).tobytes()))
                 for j, a in sorted(arrays.items()))


# --- the measure ---------------------------------------------------------------------------------

def difference(yours: np.ndarray, candidate: np.ndarray, mask: np.ndarray | None = None
               ) -> float:
    """max |yours - candidate| / max(max |yours|, max |candidate|) over the entries not
    masked; inf for another shape or a value that is not finite."""
    if candidate is None or np.shape(yours) != np.shape(candidate):
        return math.inf
    a, b = np.asarray(yours, dtype=np.float64), np.asarray(candidate, dtype=np.float64)
    if mask is not None:
        a, b = a[~mask], b[~mask]
    if not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
        return math.inf
    size = max(float(np.abs(a).max(initial=0.0)), float(np.abs(b).max(initial=0.0)))
    return float(np.abs(a - b).max(initial=0.0)) / size if size else 0.0


def _share(yours: np.ndarray, candidate: np.ndarray, right: np.ndarray,
           mask: np.ndarray | None) -> float:
    """How much of yours - right the candidate leaves: |yours - candidate| / |yours - right|
    (2-norms over the entries not masked)."""
    if np.shape(candidate) != np.shape(yours) or np.shape(right) != np.shape(yours):
        return math.inf
    keep = slice(None) if mask is None else ~mask
    gap = float(np.linalg.norm((yours - right)[keep]))
    left = float(np.linalg.norm((yours - candidate)[keep]))
    return left / gap if gap and math.isfinite(left) else math.inf


# --- the table: sources ----------------------------------------------------------------------

@dataclass(frozen=True)
class Slip:
    """One kind of slip: ``tier`` "source" (another gradient in the right one's place) or
    "transform" (an array changed); ``variants(local, k)``: its keys at input k;
    ``make(local, k, key, array)``: the changed gradient (None: it cannot be made there);
    ``words(local, k, key)``: its sentence."""

    id: str
    tier: str
    variants: Callable[[Local, int], list[str]]
    make: Callable[[Local, int, str, np.ndarray], np.ndarray | None]
    words: Callable[[Local, int, str], str]
    label: Callable[[str], str] | None = None  # the id a variant is named by, if not ``id``

    def name(self, key: str) -> str:
        return self.id if self.label is None else self.label(key)


def _ones_like(arrays: Arrays) -> Arrays:
    return [np.ones_like(np.asarray(a, dtype=np.float64)) for a in arrays]


def _upstream_keys(local: Local, k: int) -> list[str]:
    m = len(local.ev.upstream)
    keys = ["missing", "twice"]
    if m > 1:
        keys += [f"missing:{j}" for j in range(m)] + [f"negated:{j}" for j in range(m)]
        keys += [f"swap:{a}:{b}" for a, b in itertools.combinations(range(m), 2)
                 if np.shape(local.ev.upstream[a]) == np.shape(local.ev.upstream[b])]
    return keys


def _upstream_make(local: Local, k: int, key: str, right: np.ndarray) -> np.ndarray | None:
    g = [np.asarray(u, dtype=np.float64) for u in local.ev.upstream]
    parts = key.split(":")
    if parts[0] == "missing" and len(parts) == 1:
        u = _ones_like(g)
    elif parts[0] == "missing":
        u = list(g)
        u[int(parts[1])] = np.ones_like(g[int(parts[1])])
    elif parts[0] == "negated":
        u = list(g)
        u[int(parts[1])] = -g[int(parts[1])]
    elif parts[0] == "twice":
        u = [a * a for a in g]
    else:
        a, b = int(parts[1]), int(parts[2])
        u = list(g)
        u[a], u[b] = g[b], g[a]
    found = local.vjp(u)
    return None if found is None else found[k]


def _upstream_words(local: Local, k: int, key: str) -> str:
    parts = key.split(":")
    if parts[0] == "missing" and len(parts) == 1:
        return ("the backward does not multiply by grad_output (the upstream gradient): it "
                "returns the local derivative alone")
    if parts[0] == "missing":
        return (f"the backward does not multiply by the upstream gradient of "
                f"{local.out_names[int(parts[1])]}")
    if parts[0] == "negated":
        return (f"the term of the upstream gradient of {local.out_names[int(parts[1])]} "
                "enters with the wrong sign")
    if parts[0] == "twice":
        return "grad_output is multiplied in twice (the local derivative times its square)"
    a, b = local.out_names[int(parts[1])], local.out_names[int(parts[2])]
    return f"the upstream gradients of {a} and {b} are swapped"


def _constant_keys(local: Local, k: int) -> list[str]:
    offset = (local.ev.offset or [None] * local.n)[k]
    return ["offset"] if offset is not None and np.any(offset != 0) else []


def _constant_make(local: Local, k: int, key: str, right: np.ndarray) -> np.ndarray | None:
    offset = np.asarray(local.ev.offset[k], dtype=np.float64)
    return right + offset if offset.shape == right.shape else None


def _constant_words(local: Local, k: int, key: str) -> str:
    return ("a term that does not depend on grad_output is added (with a zero grad_output "
            "the gradient is not zero)")


def _same_shape(local: Local, k: int) -> list[tuple[str, np.ndarray]]:
    """The arrays a derivative can be read from by mistake: the inputs and the outputs."""
    ev = local.ev
    return [(ev.names[i], x) for i, x in enumerate(ev.inputs)] + \
        [(local.out_names[j], y) for j, y in enumerate(ev.outputs)]


def _at_output_keys(local: Local, k: int) -> list[str]:
    x = local.ev.inputs[k]
    return [str(j) for j, y in enumerate(local.ev.outputs) if np.shape(y) == np.shape(x)
            and not np.array_equal(y, x)]


def _at_output_make(local: Local, k: int, key: str, right: np.ndarray) -> np.ndarray | None:
    found = local.at({k: np.asarray(local.ev.outputs[int(key)], dtype=np.float64)})
    return None if found is None else found[k]


def _at_output_words(local: Local, k: int, key: str) -> str:
    return (f"the local derivative is evaluated at the output ({local.out_names[int(key)]}) "
            f"instead of at the input {local.ev.names[k]}: f'(y) where f'(x) belongs (the "
            "output saved, or read, in the input's place)")


def _law(local: Local, k: int) -> tuple[np.ndarray, str] | None:
    """For a one-output elementwise step y = f(x) whose derivative is a polynomial of degree
    at most 2 in the output, f'(x) = a + b y + c y^2 (found from the numbers, checked on
    every entry): the coefficients and the law in words."""
    ev = local.ev
    if len(ev.outputs) != 1:
        return None
    d = local.diagonal(k)
    if d is None:
        return None
    y, d = np.asarray(ev.outputs[0], dtype=np.float64).ravel(), d[0].ravel()
    mask = local.mask(k, np.shape(ev.inputs[k]))
    keep = np.ones(y.size, dtype=bool) if mask is None else ~mask.ravel()
    y, d = y[keep], d[keep]
    if np.unique(np.round(y, 12)).size < 4:
        return None
    for degree in (1, 2):
        coef = np.polyfit(y, d, degree)
        fit = np.polyval(coef, y)
        if np.abs(fit - d).max() <= 1e-7 * max(np.abs(d).max(), 1e-300):
            coef = np.where(np.abs(coef) < 1e-9 * np.abs(coef).max(), 0.0, coef)
            return coef, _polynomial(coef)
    return None


def _polynomial(coef: np.ndarray) -> str:
    """a + b y + c y^2 in words, highest power first: "y - y^2", "1 - y^2", "y"."""
    text = ""
    for power, c in reversed(list(zip(range(len(coef) - 1, -1, -1), coef))):
        if c == 0:
            continue
        base = {0: "", 1: "y", 2: "y^2"}[power]
        number = "" if base and abs(abs(c) - 1) < 1e-9 else f"{abs(c):.4g}"
        term = f"{number} {base}".strip() if number else base
        if not text:
            text = ("-" if c < 0 else "") + term
        else:
            text += (" - " if c < 0 else " + ") + term
    return text or "0"


def _at_input_keys(local: Local, k: int) -> list[str]:
    ev = local.ev
    if len(ev.outputs) != 1 or np.shape(ev.outputs[0]) != np.shape(ev.inputs[k]):
        return []
    return ["law"] if _law(local, k) is not None else []


def _at_input_make(local: Local, k: int, key: str, right: np.ndarray) -> np.ndarray | None:
    found = _law(local, k)
    if found is None:
        return None
    coef, _ = found
    x = np.asarray(local.ev.inputs[k], dtype=np.float64)
    g = np.asarray(local.ev.upstream[0], dtype=np.float64).reshape(x.shape)
    return g * np.polyval(coef, x)


def _at_input_words(local: Local, k: int, key: str) -> str:
    _, law = _law(local, k)
    return (f"the local derivative, written in terms of the output y ({law}), is evaluated "
            f"at the input {local.ev.names[k]} instead of at the output "
            f"({local.out_names[0]})")


def _saved_keys(local: Local, k: int) -> list[str]:
    """j:T: input j's value replaced by the array T (another input or an output of its
    shape) where input k's derivative reads it; j = k with T the output is ``at_output``."""
    ev = local.ev
    keys = []
    for j, xj in enumerate(ev.inputs):
        for t, (_, value) in enumerate(_same_shape(local, k)):
            is_output = t >= local.n
            if np.shape(value) != np.shape(xj) or (not is_output and t == j):
                continue
            if j == k and is_output:
                continue  # at_output
            if np.array_equal(value, xj):
                continue
            keys.append(f"{j}:{t}")
    return keys


def _saved_make(local: Local, k: int, key: str, right: np.ndarray) -> np.ndarray | None:
    j, t = (int(part) for part in key.split(":"))
    value = _same_shape(local, k)[t][1]
    found = local.at({j: np.asarray(value, dtype=np.float64)})
    return None if found is None else found[k]


def _saved_words(local: Local, k: int, key: str) -> str:
    j, t = (int(part) for part in key.split(":"))
    read = _same_shape(local, k)[t][0]
    return (f"the local derivative reads {read} where it needs {local.ev.names[j]} (the "
            "wrong saved tensor)")


def _through_keys(local: Local, k: int) -> list[str]:
    return [str(j) for j, g in enumerate(local.ev.upstream)
            if np.shape(g) == np.shape(local.ev.inputs[k])]


def _through_make(local: Local, k: int, key: str, right: np.ndarray) -> np.ndarray | None:
    return np.asarray(local.ev.upstream[int(key)], dtype=np.float64).copy()


def _through_words(local: Local, k: int, key: str) -> str:
    upstream = "grad_output" if len(local.ev.upstream) == 1 else \
        f"the upstream gradient of {local.out_names[int(key)]}"
    return (f"the backward hands {upstream} on unchanged, the gradient of the identity: a "
            "straight-through estimator, if that is meant, and not the derivative of the "
            "forward")


def _other_keys(local: Local, k: int) -> list[str]:
    return [str(j) for j in range(local.n) if j != k]


def _other_make(local: Local, k: int, key: str, right: np.ndarray) -> np.ndarray | None:
    return np.asarray(local.ev.reference[int(key)], dtype=np.float64)


def _other_words(local: Local, k: int, key: str) -> str:
    return (f"{local.ev.names[k]}'s gradient is {local.ev.names[int(key)]}'s (the gradient "
            f"of {local.ev.names[int(key)]} returned in its place)")


def _reduce_keys(local: Local, k: int) -> list[str]:
    """How a broadcast input's gradient can be reduced: "none", or the axes summed over
    (and whether their length-1 axes are kept), each a variant whose result differs from the
    right one."""
    if k not in local.ev.expanded:
        return []
    E = local.ev.expanded[k]
    keys = ["none"]
    for r in range(1, E.ndim + 1):
        for axes in itertools.combinations(range(E.ndim), r):
            keys += [f"{','.join(map(str, axes))}:{keep}" for keep in (0, 1)]
    return keys


def _right_axes(local: Local, k: int) -> tuple[int, ...]:
    E, shape = local.ev.expanded[k], np.shape(local.ev.inputs[k])
    lead = E.ndim - len(shape)
    return tuple(range(lead)) + tuple(lead + i for i, s in enumerate(shape)
                                      if s == 1 and E.shape[lead + i] != 1)


def _reduce_make(local: Local, k: int, key: str, right: np.ndarray) -> np.ndarray | None:
    E = np.asarray(local.ev.expanded[k], dtype=np.float64)
    if key == "none":
        return E
    axes, keep = key.split(":")
    axes = tuple(int(a) for a in axes.split(","))
    found = E.sum(axis=axes, keepdims=keep == "1")
    return None if found.shape == right.shape and np.allclose(found, right, rtol=1e-12,
                                                              atol=0) else found


def _reduce_words(local: Local, k: int, key: str) -> str:
    name = local.ev.names[k]
    shape = tuple(np.shape(local.ev.inputs[k]))
    E = local.ev.expanded[k]
    right = _right_axes(local, k)
    where = f"axis {right[0]}" if len(right) == 1 else f"axes {right}"
    if key == "none":
        return (f"the gradient of {name}, broadcast to {tuple(E.shape)} in the forward, is "
                f"not summed back to {name}'s shape {shape}: sum it over {where}")
    axes = tuple(int(a) for a in key.split(":")[0].split(","))
    wrong = f"axis {axes[0]}" if len(axes) == 1 else f"axes {axes}"
    return (f"the gradient of the broadcast {name} is summed over {wrong} instead of {where}")


def _upstream_label(key: str) -> str:
    return {"missing": "not_multiplied", "twice": "multiplied_twice", "negated": "sign",
            "swap": "upstream_swapped"}[key.split(":")[0]]


def _reduce_label(key: str) -> str:
    return "not_reduced" if key == "none" else "wrong_axis"


def _copy_keys(local: Local, k: int) -> list[str]:
    """A value that reaches several outputs (the copy gate) whose gradient keeps one
    output's share: "last" or "first" (in the outputs' order, as a loop writes them)."""
    J = local.jacobian(k)
    if J is None:
        return []
    nonzero = np.abs(J) > 1e-7 * max(float(np.abs(J).max(initial=0.0)), 1e-300)
    return ["last", "first"] if (nonzero.sum(axis=0) > 1).any() else []


def _copy_make(local: Local, k: int, key: str, right: np.ndarray) -> np.ndarray | None:
    J = local.jacobian(k)
    u = np.asarray(local.ev.upstream[0], dtype=np.float64).ravel()
    if J is None or u.size != J.shape[0]:
        return None
    nonzero = np.abs(J) > 1e-7 * max(float(np.abs(J).max(initial=0.0)), 1e-300)
    rows = np.arange(J.shape[0])[:, None]
    pick = np.where(nonzero, rows, -1).max(axis=0) if key == "last" else \
        np.where(nonzero, rows, J.shape[0]).min(axis=0)
    used = nonzero.any(axis=0)
    pick = np.where(used, pick, 0)
    columns = np.arange(J.shape[1])
    found = np.where(used, J[pick, columns] * u[pick], 0.0)
    return found.reshape(np.shape(local.ev.inputs[k]))


def _copy_words(local: Local, k: int, key: str) -> str:
    name = local.ev.names[k]
    return (f"where an entry of {name} reaches several outputs (a value copied: the copy gate "
            f"adds its gradients), {name}'s gradient keeps only the {key} output's share "
            "instead of their sum: an assignment (dx[...] = ..., or dx[idx] += ... with "
            "repeated indices, which adds once) where a sum belongs (+= in the loop, "
            "np.add.at)")


def _untransposed_keys(local: Local, k: int) -> list[str]:
    J = local.jacobian(k)
    if J is None or J.shape[0] != J.shape[1]:
        return []
    return [] if np.allclose(J, J.T, rtol=0, atol=1e-9 * np.abs(J).max(initial=1.0)) \
        else ["J"]


def _untransposed_make(local: Local, k: int, key: str, right: np.ndarray
                       ) -> np.ndarray | None:
    J = local.jacobian(k)
    u = np.asarray(local.ev.upstream[0], dtype=np.float64).ravel()
    return (J @ u).reshape(np.shape(local.ev.inputs[k]))


def _untransposed_words(local: Local, k: int, key: str) -> str:
    return (f"{local.ev.names[k]}'s gradient applies the forward's matrix to grad_output "
            "untransposed (A @ dout where A^T @ dout belongs): an operand of the product not "
            "transposed")


def _product_keys(local: Local, k: int) -> list[str]:
    """For a one-output step y = f(x) of x's shape, written y = x g(x) (g = y / x): where it
    is elementwise, the product rule's terms (f' = g + x g') dropped or negated; otherwise
    "frozen": g (a statistic of x: its norm, its mean square) held constant."""
    ev = local.ev
    x = np.asarray(ev.inputs[k], dtype=np.float64)
    if len(ev.outputs) != 1 or np.shape(ev.outputs[0]) != x.shape:
        return []
    scale = max(float(np.abs(x).max(initial=0.0)), 1e-300)
    if not np.all(np.abs(x) > 1e-8 * scale):
        return []
    if local.diagonal(k) is None:
        return ["frozen"]
    return ["no_second", "no_first", "second_negated", "first_negated"]


def _product_make(local: Local, k: int, key: str, right: np.ndarray) -> np.ndarray | None:
    ev = local.ev
    x = np.asarray(ev.inputs[k], dtype=np.float64)
    g = np.asarray(ev.outputs[0], dtype=np.float64) / x
    if key == "frozen":
        return np.asarray(ev.upstream[0], dtype=np.float64).reshape(x.shape) * g
    d = local.diagonal(k)[0]
    xg = d - g
    local_gradient = {"no_second": g, "no_first": xg, "second_negated": g - xg,
                      "first_negated": xg - g}[key]
    return np.asarray(ev.upstream[0], dtype=np.float64).reshape(x.shape) * local_gradient


def _product_words(local: Local, k: int, key: str) -> str:
    x = local.ev.names[k]
    if key == "frozen":
        return (f"writing the forward as {x} c({x}), the factor c (a statistic of {x}: its "
                f"norm, mean or scale) is held constant: the path through it is left out "
                f"({x}'s gradient is grad_output times y / {x})")
    which = {"no_second": f"the term {x} g'({x}) left out",
             "no_first": f"the term g({x}) left out",
             "second_negated": f"the term {x} g'({x}) with its sign flipped",
             "first_negated": f"the term g({x}) with its sign flipped"}[key]
    return (f"the product rule, writing the forward as {x} g({x}) (its derivative g + {x} g'), "
            f"with {which}")


_ACTIVATIONS = {
    "ReLU's": lambda x: (x > 0).astype(np.float64),
    "the sigmoid's": lambda x: np.exp(-np.abs(x)) / (1 + np.exp(-np.abs(x))) ** 2,
    "tanh's": lambda x: 1 - np.tanh(x) ** 2,
}


def _activation_keys(local: Local, k: int) -> list[str]:
    """Another activation's derivative at x (a backward copied from another layer), for a
    one-output step of x's shape."""
    ev = local.ev
    if len(ev.outputs) != 1 or np.shape(ev.outputs[0]) != np.shape(ev.inputs[k]):
        return []
    return list(_ACTIVATIONS)


def _activation_make(local: Local, k: int, key: str, right: np.ndarray) -> np.ndarray | None:
    x = np.asarray(local.ev.inputs[k], dtype=np.float64)
    g = np.asarray(local.ev.upstream[0], dtype=np.float64).reshape(x.shape)
    return g * _ACTIVATIONS[key](x)


def _activation_words(local: Local, k: int, key: str) -> str:
    return (f"{local.ev.names[k]}'s gradient is grad_output times {key} derivative at "
            f"{local.ev.names[k]}, not this step's (a backward copied from another layer)")


def _sample_keys(local: Local, k: int) -> list[str]:
    """A gradient summed over the batch (an input without the output's batch axis, a
    parameter) that keeps one sample's term: "last" or "first"."""
    ev = local.ev
    if len(ev.outputs) != 1:
        return []
    out_shape, shape = np.shape(ev.outputs[0]), np.shape(ev.inputs[k])
    if len(out_shape) < 2 or out_shape[0] < 2:
        return []
    batched = len(shape) == len(out_shape) and shape[0] == out_shape[0]
    return [] if batched else ["last", "first"]


def _sample_make(local: Local, k: int, key: str, right: np.ndarray) -> np.ndarray | None:
    g = np.asarray(local.ev.upstream[0], dtype=np.float64)
    one = np.zeros_like(g)
    n = g.shape[0] - 1 if key == "last" else 0
    one[n] = g[n]
    found = local.vjp([one])
    return None if found is None else found[k]


def _sample_words(local: Local, k: int, key: str) -> str:
    name = local.ev.names[k]
    return (f"{name}'s gradient is the {key} sample's term alone, not the sum over the batch "
            f"(d{name} assigned, or set to zero, inside the loop over the samples where "
            f"d{name} += belongs)")


def _reversed_keys(local: Local, k: int) -> list[str]:
    """j:axes: another input read reversed along some axes (a kernel flipped, or not) or
    with its last two axes swapped, where input k's derivative reads it."""
    keys = []
    for j, xj in enumerate(local.ev.inputs):
        shape = np.shape(xj)
        if j == k or len(shape) < 1:
            continue
        axes = [a for a, size in enumerate(shape) if size > 1]
        keys += [f"{j}:{a}" for a in axes]
        if len(shape) >= 3 and shape[-1] > 1 and shape[-2] > 1:
            keys.append(f"{j}:{len(shape) - 2},{len(shape) - 1}")
        if len(shape) >= 2 and shape[-1] == shape[-2] > 1:
            keys.append(f"{j}:T")
    return keys


def _reversed_make(local: Local, k: int, key: str, right: np.ndarray) -> np.ndarray | None:
    j, how = key.split(":")
    xj = np.asarray(local.ev.inputs[int(j)], dtype=np.float64)
    moved = np.swapaxes(xj, -1, -2) if how == "T" else \
        np.flip(xj, axis=tuple(int(a) for a in how.split(",")))
    if np.array_equal(moved, xj):
        return None
    found = local.at({int(j): np.ascontiguousarray(moved)})
    return None if found is None else found[k]


def _reversed_words(local: Local, k: int, key: str) -> str:
    j, how = key.split(":")
    other = local.ev.names[int(j)]
    if how == "T":
        return (f"{local.ev.names[k]}'s gradient reads {other} transposed (its last two axes "
                "swapped) where it needs it as it is")
    axes = tuple(int(a) for a in how.split(","))
    where = f"axis {axes[0]}" if len(axes) == 1 else f"axes {axes}"
    return (f"{local.ev.names[k]}'s gradient reads {other} reversed along {where}: a kernel "
            "flipped where the backward must not flip it, or not flipped where it must (a "
            "cross-correlation's backward for its input is a convolution)")


def _operand_keys(local: Local, k: int) -> list[str]:
    """t: the array (another input, or the output) read in place of the factor input k
    multiplies, for a one-output step whose output input k broadcasts to."""
    ev = local.ev
    if len(ev.outputs) != 1:
        return []
    out_shape, shape = np.shape(ev.outputs[0]), np.shape(ev.inputs[k])
    try:
        if np.broadcast_shapes(shape, out_shape) != tuple(out_shape):
            return []
    except ValueError:
        return []
    return [str(t) for t, (_, value) in enumerate(_same_shape(local, k))
            if t != k and np.shape(value) == tuple(out_shape)]


def _operand_make(local: Local, k: int, key: str, right: np.ndarray) -> np.ndarray | None:
    ev = local.ev
    value = np.asarray(_same_shape(local, k)[int(key)][1], dtype=np.float64)
    product = np.asarray(ev.upstream[0], dtype=np.float64).reshape(value.shape) * value
    shape = np.shape(ev.inputs[k])
    lead = product.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(lead + i for i, size in enumerate(shape)
                                      if size == 1 and product.shape[lead + i] != 1)
    return product.sum(axis=axes, keepdims=True).reshape(shape) if axes else \
        product.reshape(shape)


def _operand_words(local: Local, k: int, key: str) -> str:
    read = _same_shape(local, k)[int(key)][0]
    name = local.ev.names[k]
    return (f"{name}'s gradient multiplies grad_output by {read} where it needs what {name} "
            "multiplies in the forward (the multiply gate hands each factor the other one: "
            "here it is read from the wrong array)")


SOURCES = [
    Slip("upstream", "source", _upstream_keys, _upstream_make, _upstream_words,
         _upstream_label),
    Slip("broadcast", "source", _reduce_keys, _reduce_make, _reduce_words, _reduce_label),
    Slip("at_output", "source", _at_output_keys, _at_output_make, _at_output_words),
    Slip("at_input", "source", _at_input_keys, _at_input_make, _at_input_words),
    Slip("saved_tensor", "source", _saved_keys, _saved_make, _saved_words),
    Slip("other_input", "source", _other_keys, _other_make, _other_words),
    Slip("pass_through", "source", _through_keys, _through_make, _through_words),
    Slip("constant", "source", _constant_keys, _constant_make, _constant_words),
    Slip("product_rule", "source", _product_keys, _product_make, _product_words,
         lambda key: "statistic_constant" if key == "frozen" else "product_rule"),
    Slip("other_activation", "source", _activation_keys, _activation_make, _activation_words),
    Slip("one_sample", "source", _sample_keys, _sample_make, _sample_words),
    Slip("other_operand", "source", _operand_keys, _operand_make, _operand_words),
    Slip("operand_reversed", "source", _reversed_keys, _reversed_make, _reversed_words),
    Slip("copy_not_added", "source", _copy_keys, _copy_make, _copy_words),
    Slip("untransposed", "source", _untransposed_keys, _untransposed_make,
         _untransposed_words),
]


# --- the table: transforms -------------------------------------------------------------------

def _transpose_keys(local: Local, k: int) -> list[str]:
    return ["reversed", "last_two"]


def _transpose_make(local: Local, k: int, key: str, array: np.ndarray) -> np.ndarray | None:
    if array.ndim < 2:
        return None
    if key == "reversed":
        return array.T.copy()
    if array.ndim == 2:
        return None  # the same as "reversed"
    return np.swapaxes(array, -1, -2).copy()


def _transpose_words(local: Local, k: int, key: str) -> str:
    return "it is transposed" + ("" if key == "reversed" else " (its last two axes swapped)")


TRANSPOSED = Slip("transposed", "transform", _transpose_keys, _transpose_make,
                  _transpose_words)


def _sizes(local: Local) -> list[tuple[float, str]]:
    """The sizes a factor may be, each with what it is the size of."""
    ev = local.ev
    found: dict[int, str] = {}
    shapes = [(name, np.shape(x)) for name, x in zip(ev.names, ev.inputs)] + \
        [(name, np.shape(y)) for name, y in zip(local.out_names, ev.outputs)] + \
        [(f"the broadcast {ev.names[k]}", np.shape(E)) for k, E in ev.expanded.items()]
    for name, shape in shapes:
        for axis, size in enumerate(shape):
            found.setdefault(int(size), f"the size of {name}'s axis {axis}")
        if len(shape) > 1:
            found.setdefault(int(np.prod(shape)), f"the number of entries of {name}")
        if len(shape) > 2:
            found.setdefault(int(np.prod(shape[:-1])),
                             f"the number of entries of {name} but its last axis")
    return [(float(size), what) for size, what in found.items() if size > 1]


def factor_words(local: Local, c: float) -> tuple[str, str]:
    """The slip id ("sign", "zero" or "factor") and the words for a factor c."""
    return _factor(local, c)[:2]


def _factor(local: Local, c: float) -> tuple[str, str, bool]:
    """factor_words, and whether c is a number a writer puts there (a size, 2, -1, ...)
    rather than one only least squares finds."""
    if c == 0:
        return "zero", "it is zero everywhere", True
    if abs(c + 1) <= 1e-6:
        return "sign", "its sign is flipped (minus the right gradient)", True
    known = [(2.0, ""), (0.5, ""), (3.0, ""), (1 / 3, "")]
    for size, what in _sizes(local):
        known += [(size, f"n = {size:g}, {what}"), (1 / size, f"1/n, n = {size:g}, {what}")]
    for size, what in _sizes(local):  # an attention's 1/sqrt(d), say
        root = math.sqrt(size)
        if abs(root - round(root)) > 1e-9:
            known += [(root, f"sqrt(n), n = {size:g}, {what}"),
                      (1 / root, f"1/sqrt(n), n = {size:g}, {what}")]
    for value, words in known:
        for sign in (1, -1):
            if abs(c - sign * value) <= 1e-6 * value:
                lead = "-" if sign < 0 else ""
                notes = [words] if words else []
                notes += ["the sign flipped"] if sign < 0 else []
                return "factor", (f"it is {lead}{_number(value)} times the right gradient"
                                  + (f" ({', '.join(notes)})" if notes else "")), True
    return "factor", f"it is {c:.6g} times the right gradient", False


def _number(value: float) -> str:
    for power, text in ((2, "sqrt({:g})"), (-2, "1/sqrt({:g})")):
        square = value ** power
        if abs(square - round(square)) < 1e-9 and abs(value - round(value)) > 1e-9 and \
                abs(1 / value - round(1 / value)) > 1e-9:
            return text.format(round(square))
    if value >= 1 or value == 0:
        return f"{value:g}"
    inverse = 1 / value
    return f"1/{inverse:g}" if abs(inverse - round(inverse)) < 1e-9 else f"{value:.4g}"


# --- the search ----------------------------------------------------------------------------

@dataclass
class _Found:
    made: list[Made]
    candidate: np.ndarray
    error: float
    share: float = math.inf


def _sources(local: Local, k: int, right: np.ndarray, tol: float) -> list[tuple[list[Made],
                                                                               np.ndarray]]:
    """The right gradient and every source slip's gradient at input k (those that change
    something)."""
    out: list[tuple[list[Made], np.ndarray]] = [([], right)]
    for slip in SOURCES:
        try:
            keys = slip.variants(local, k)
        except Exception:  # noqa: BLE001 - a slip that does not fit is skipped
            continue
        for key in keys:
            try:
                array = slip.make(local, k, key, right)
                if array is None:
                    continue
                array = np.asarray(array, dtype=np.float64)
                if not np.all(np.isfinite(array)):
                    continue
                if array.shape == right.shape and difference(array, right) <= tol:
                    continue  # no change here
                out.append(([Made(slip.name(key), key, slip.words(local, k, key))], array))
            except Exception:  # noqa: BLE001
                continue
    return out


def _search(local: Local, k: int) -> tuple[list[list[Made]] | None, _Found | None]:
    """The simplest compositions reproducing input k's gradient, the likeliest first ([[]]
    where it is right; None if none does), and the closest composition otherwise."""
    ev = local.ev
    yours = np.asarray(ev.yours[k], dtype=np.float64)
    right = np.asarray(ev.reference[k], dtype=np.float64)
    tol = ev.tolerance[k]
    mask_of = lambda a: local.mask(k, a.shape)  # noqa: E731
    if yours.shape == right.shape and difference(yours, right, mask_of(right)) <= tol:
        return [[]], None
    found: list[_Found] = []
    closest: _Found | None = None
    for made, array in _sources(local, k, right, tol):
        arranged = [(made, array)]
        if len(made) < 2:
            for key in TRANSPOSED.variants(local, k):
                t = TRANSPOSED.make(local, k, key, array)
                if t is not None and not (t.shape == array.shape and
                                          difference(t, array) <= tol):
                    arranged.append((made + [Made("transposed", key, TRANSPOSED.words(
                        local, k, key))], t))
        for steps, candidate in arranged:
            mask = mask_of(candidate)
            error = difference(yours, candidate, mask)
            if steps and error <= tol:
                found.append(_Found(steps, candidate, error))
            if len(steps) < 2 and candidate.shape == yours.shape:
                keep = slice(None) if mask is None else ~mask
                cc = float(np.sum(candidate[keep] ** 2))
                c = float(np.sum(yours[keep] * candidate[keep]) / cc) if cc else math.nan
                if math.isfinite(c) and abs(c - 1) > tol:
                    c = _snap(c)
                    scaled = c * candidate
                    slip, words, known = _factor(local, c)
                    extra = [Made(slip, "", words, c)]
                    if (not steps or slip != "zero") and difference(yours, scaled, mask) <= tol:
                        found.append(_Found(steps + extra, scaled, 0.0))
                    share = _share(yours, scaled, right, mask)
                    if steps and known and (closest is None or share < closest.share):
                        closest = _Found(steps + extra, scaled, math.inf, share)
            if steps:
                share = _share(yours, candidate, right, mask)
                if closest is None or share < closest.share:
                    closest = _Found(steps, candidate, error, share)
    if found:
        order = {"not_multiplied": 0, "multiplied_twice": 1, "upstream_swapped": 2,
                 "not_reduced": 3, "wrong_axis": 4, "at_output": 5, "at_input": 6,
                 "saved_tensor": 7, "other_input": 8, "constant": 9, "pass_through": 10}
        rank = {"sign": -2, "transposed": 50, "factor": 60, "zero": -3}

        def key(f: _Found) -> tuple:
            return (len(f.made), [rank.get(m.slip, order.get(m.slip, 40)) for m in f.made])
        found.sort(key=key)
        fewest = len(found[0].made)
        return [f.made for f in found if len(f.made) == fewest], None
    return None, closest


def _snap(c: float) -> float:
    """A factor within round-off of a simple number, as that number."""
    for value in (1.0, -1.0, 0.0):
        if abs(c - value) <= 1e-12:
            return value
    return c


def diagnose(ev: Evidence) -> Diagnosis:
    """Which composition of slips reproduces each input's gradient; see the module
    docstring."""
    local = Local(ev)
    options: list[list[list[Made]] | None] = []
    closest: list[_Found | None] = []
    for k in range(local.n):
        if ev.yours[k] is None:
            options.append(None)
            closest.append(None)
            continue
        try:
            with np.errstate(all="ignore"):
                found, near = _search(local, k)
        except Exception:  # noqa: BLE001 - a diagnosis never raises
            found, near = None, None
        options.append(found)
        closest.append(near)
    explained = _swaps(options)
    named = _named(local, explained)
    with np.errstate(all="ignore"):
        sentences = [_unexplained(local, k, closest[k]) for k in range(local.n)
                     if explained[k] is None and ev.yours[k] is not None]
    return Diagnosis(named, sentences, explained)


def _swaps(options: list[list[list[Made]] | None]) -> list[list[Made] | None]:
    """Each input's explanation: the likeliest, except that two inputs each explained
    (among their simplest) by the other's gradient are a swap, told as one."""
    chosen = [found[0] if found else None for found in options]
    for k, found in enumerate(options):
        for made in found or []:
            if not made or made[0].slip != "other_input":
                continue
            j = int(made[0].key)
            partner = next((m for m in options[j] or [] if m and m[0].slip == "other_input"
                            and int(m[0].key) == k and len(m) == len(made)), None)
            if partner is not None:
                chosen[k], chosen[j] = made, partner
                break
    return chosen


def _named(local: Local, explained: list[list[Made] | None]) -> list[dict]:
    """The named entries: swapped pairs merged; inputs with the same slips and words
    together."""
    names = local.ev.names
    groups: dict[tuple, list[int]] = {}
    done: set[int] = set()
    entries = []
    for k, made in enumerate(explained):
        if not made or k in done:
            continue
        if made[0].slip == "other_input":
            j = int(made[0].key)
            partner = explained[j] if j < len(explained) else None
            if partner and partner[0].slip == "other_input" and int(partner[0].key) == k:
                rest = "; ".join(dict.fromkeys(m.words for m in made[1:] + partner[1:]))
                text = (f"{names[k]} and {names[j]} are wrong: their gradients are swapped "
                        f"({names[k]} gets {names[j]}'s and {names[j]} gets {names[k]}'s)"
                        + (f"; {rest}" if rest else "") + ".")
                slips = ["swapped"] + list(dict.fromkeys(m.slip for m in made[1:] +
                                                         partner[1:]))
                entries.append({"slip": "+".join(slips), "where": [names[k], names[j]],
                                "text": text})
                done |= {k, j}
                continue
        signature = tuple((m.slip, m.words) for m in made)
        groups.setdefault(signature, []).append(k)
    for signature, ks in groups.items():
        who = _join([names[k] for k in ks])
        words = "; ".join(w for _, w in signature)
        text = f"{who} {'is' if len(ks) == 1 else 'are'} wrong: {words}."
        entries.append({"slip": "+".join(s for s, _ in signature),
                        "where": [names[k] for k in ks], "text": text})
    return entries


def _unexplained(local: Local, k: int, near: _Found | None) -> str:
    ev = local.ev
    name = ev.names[k]
    yours = np.asarray(ev.yours[k], dtype=np.float64)
    right = np.asarray(ev.reference[k], dtype=np.float64)
    if yours.shape != right.shape:
        text = (f"{name}'s gradient has shape {tuple(yours.shape)}, {name} is "
                f"{tuple(right.shape)}, and no slip of the grammar gives that shape from the "
                "right gradient")
    else:
        diff = np.abs(yours - right)
        mask = local.mask(k, right.shape)
        if mask is not None:
            diff = np.where(mask, -1.0, diff)
        worst = tuple(int(i) for i in np.unravel_index(int(np.argmax(diff)), diff.shape))
        mine, theirs = distinct(yours[worst], right[worst])
        text = (f"{name} is wrong and no slip of the grammar (up to two composed) reproduces "
                f"it: worst at {worst}: yours {mine}, right {theirs}")
    if near is not None and near.share < 0.9:
        text += (f". Closest: {'; '.join(m.words for m in near.made)}, which leaves "
                 f"{100 * near.share:.0f}% of the difference unexplained")
    return text + "."


def distinct(a: float, b: float) -> tuple[str, str]:
    """Two numbers written with 4 significant digits, or as many more as it takes to tell
    them apart (up to 12)."""
    for digits in range(4, 13):
        x, y = f"{a:.{digits}g}", f"{b:.{digits}g}"
        if x != y or a == b:
            return x, y
    return x, y


def _join(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
