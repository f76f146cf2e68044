"""``check_layer``: any layer's backward pass checked one function at a time.

``check_layer(forward, backward, *inputs, kind=None)`` calls your forward on the inputs and
your backward with a random upstream gradient ``dout`` (1 for a loss), and holds each
gradient your backward returns against the gradient of your *own* forward, by finite
differences (``numeric``): a row is right when it is that gradient. Given ``kind``
(``KINDS``), it also reads your inputs as that layer's (x, w, b, gamma, a ``conv_param``...),
finds the convention your forward follows by comparing outputs (the variance biased or
not, eps inside the square root or not, a cross-correlation or a true convolution, dropout
inverted or not, a loss averaged or summed, ...), computes torch's own operation in float64
under it for the reference (the worst element, and the verdict at kinks, where finite
differences cannot decide and torch's choice counts), and names the classic mistake your
backward makes, when it makes one it knows.
"""

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from threadpoolctl import threadpool_limits

from reference.checking.compare import problem_with, relative_difference
from reference.checking.core import numeric
from reference.checking.core.local import distinct
from reference.checking.core.report import Report
from reference.checking.layer import explain
from reference.checking.layer.calls import (
    differentiable,
    parameter_names,
    read_gradients,
    run_forward,
)
from reference.checking.layer.kinds import KINDS, LOSSES
from reference.checking.layer.kinds.base import Binding, Convention, run
from reference.checking.layer.probes import Probed, probe
from reference.checking.layer.recognise import recognise

RTOL = {8: 1e-6, 4: 1e-3, 2: 3e-2}  # by the bytes of the inputs' floats
FORWARD_RTOL = {8: 1e-9, 4: 1e-5, 2: 3e-3}  # a forward "is" a convention within this


@dataclass(repr=False)
class LayerReport(Report):
    """The verdict of ``check_layer``.

    ``ok``: every gradient is the gradient of your forward (within ``tolerance``), torch's
    choice at the kinks where a kind is given, and nothing else is wrong. ``rows``: one per
    differentiated input (``name``, ``shape``, ``ok``, ``rel_error``, ``worst_index`` (a
    tuple, or None), ``yours``, ``reference``: the values there). ``conventions``: what your
    forward follows, in words. ``diagnosis``: sentences. ``kind``: the kind given, or the
    one recognised from your forward. ``named``: the mistakes named, each ``{"slip",
    "where", "text"}``, only where applying the slip to the right gradient gives yours.
    """

    ok: bool
    rows: list[dict]
    conventions: dict[str, str]
    diagnosis: list[str]
    kind: str | None = None
    tolerance: float = 1e-6
    precision: str = "float64"
    reading: list[str] = field(default_factory=list)
    named: list[dict] = field(default_factory=list)

    def __str__(self) -> str:
        head = f"check_layer{f' ({self.kind})' if self.kind else ''}: " + \
            ("OK" if self.ok else "NOT OK")
        lines = [head, f"precision: {self.precision}, a gradient is right when its relative "
                       f"error is at most {self.tolerance:.0e}"]
        lines += [f"  {sentence}" for sentence in self.reading]
        if self.conventions:
            lines.append("conventions:")
            lines += [f"  {k}: {v}" for k, v in self.conventions.items()]
        width = max([6] + [len(r["name"]) for r in self.rows])
        lines.append(f"  {'input':<{width}} {'shape':<16} {'ok':<4} relative error   worst")
        for r in self.rows:
            error = "-" if r["rel_error"] is None else f"{r['rel_error']:.1e}"
            worst = "" if r["worst_index"] is None or r["ok"] else \
                f"at {r['worst_index']}: yours {r['yours']:.4g}, right {r['reference']:.4g}"
            lines.append(f"  {r['name']:<{width}} {str(r['shape']):<16} "
                         f"{'yes' if r['ok'] else 'NO':<4} {error:<16} {worst}".rstrip())
        if self.diagnosis:
            lines.append("diagnosis:")
            lines += [f"  - {sentence}" for sentence in self.diagnosis]
        return "\n".join(lines)


def check_layer(forward: Callable, backward: Callable, *inputs: object, kind: str | None = None,
                rtol: float | None = None, seed: int = 0) -> LayerReport:
    """Check ``backward`` against the gradient of ``forward``; see the module docstring.

    ``forward(*inputs)`` returns ``out`` or ``(out, cache)``; ``backward(dout, cache)`` (or
    ``backward(dout, *inputs)`` without a cache) returns one gradient per floating-point
    array input (a tuple in their order, one array, or a dict by their names). ``kind``: one
    of ``KINDS`` ("dense", "relu", "leaky_relu", "sigmoid", "tanh", "softmax",
    "softmax_cross_entropy", "squared_error", "dropout", "batchnorm", "layernorm",
    "conv2d", "maxpool2d"), or None. ``rtol``: the largest relative error a gradient may
    have (default: 1e-6 for float64 inputs, 1e-3 for float32). ``seed``: for ``dout`` and
    the finite differences' directions (NumPy's global random state is never touched).

    Example
    -------
    >>> import numpy as np
    >>> def relu_forward(x):
    ...     return np.maximum(x, 0), x
    >>> def relu_backward(dout, cache):
    ...     return dout * (cache > 0)
    >>> x = np.random.default_rng(0).normal(size=(4, 5))
    >>> check_layer(relu_forward, relu_backward, x, kind="relu").ok
    True
    """
    if not callable(forward) or not callable(backward):
        raise TypeError("forward and backward must be functions: forward(*inputs) and "
                        "backward(dout, cache) (or backward(dout, *inputs)).")
    if kind is not None and (not isinstance(kind, str) or kind not in KINDS):
        raise ValueError(f"kind must be one of {sorted(KINDS)} or None, got {kind!r}.")
    if rtol is not None and (isinstance(rtol, (bool, np.bool_)) or not isinstance(
            rtol, (int, float, np.integer, np.floating)) or not math.isfinite(rtol)
            or rtol <= 0):
        raise ValueError(f"rtol must be a finite number > 0, got {rtol!r}.")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a whole number >= 0, got {seed!r}.")
    if not inputs:
        raise ValueError("check_layer needs the layer's inputs after forward and backward.")
    with threadpool_limits(limits=1, user_api="blas"):
        return _check(forward, backward, list(inputs), kind, rtol, int(seed))


def assert_layer(forward: Callable, backward: Callable, *inputs: object,
                 **kwargs: object) -> LayerReport:
    """``check_layer`` for your own tests: raises ``AssertionError(str(report))`` unless the
    report is ok; returns the report otherwise."""
    report = check_layer(forward, backward, *inputs, **kwargs)
    if not report.ok:
        raise AssertionError(str(report))
    return report


def _check(forward: Callable, backward: Callable, inputs: list, kind: str | None,
           rtol: float | None, seed: int) -> LayerReport:
    # --- read: the inputs, which are differentiated, the precision ---------------------------
    names = parameter_names(forward, len(inputs))
    wanted = [k for k, v in enumerate(inputs) if differentiable(v)]
    if kind in LOSSES:
        wanted = wanted[:1] if wanted and wanted[0] == next(
            (k for k, v in enumerate(inputs) if isinstance(v, np.ndarray)), None) else []
    if not wanted:
        raise ValueError("check_layer differentiates floating-point NumPy arrays, and none of "
                         f"the inputs ({', '.join(names)}) is one"
                         + (" (for a loss, the first input)" if kind in LOSSES else "") + ".")
    for k in wanted:
        if inputs[k].size == 0:
            raise ValueError(f"input {names[k]} is empty (shape {inputs[k].shape}): check_layer "
                             "needs at least one value in every array it differentiates (a "
                             "batch of at least one sample).")
        problem = problem_with(inputs[k])
        if problem is not None:
            raise ValueError(f"input {names[k]} cannot be checked: {problem}.")
    itemsize = min(inputs[k].dtype.itemsize for k in wanted)
    precision = {2: "float16", 4: "float32"}.get(itemsize, "float64")
    rtol = RTOL.get(itemsize, 1e-6) if rtol is None else float(rtol)
    diagnosis: list[str] = []
    reading = [f"inputs: {', '.join(names[k] for k in wanted)} differentiated"
               + (f"; {', '.join(n for j, n in enumerate(names) if j not in wanted)}"
                  " passed through" if len(wanted) < len(names) else "")]

    # --- the forward, twice --------------------------------------------------------------------
    first = run_forward(forward, inputs, names)
    out_problem = problem_with(first.out)
    if out_problem is not None:
        raise ValueError(f"forward's output cannot be checked: {out_problem}.")
    out = np.asarray(first.out)
    scalar = out.size == 1 and (out.ndim == 0 or kind in LOSSES)
    second = run_forward(forward, inputs, names)
    random = not (np.shape(second.out) == out.shape and
                  np.array_equal(np.asarray(second.out), out))
    if random:
        diagnosis.append("forward gave different outputs for the same inputs on two calls: it "
                         "draws something new each time (a dropout mask?). Fix its seed or "
                         "hand it the mask, so that its backward can be checked against it.")
    if first.wrote:
        diagnosis.append(f"forward wrote into its input{'s' if len(first.wrote) > 1 else ''} "
                         f"{', '.join(first.wrote)}: a layer must leave them alone (yours were "
                         "not touched: the checker passed copies).")

    # --- the backward, probed -------------------------------------------------------------------
    rng = np.random.default_rng(seed)
    dout = 1.0 if scalar else rng.normal(size=out.shape).astype(
        out.dtype if out.dtype.kind == "f" else np.float64)
    probed = _backward(backward, dout, first, names, wanted)
    grads, problems = read_gradients(probed.first, names, wanted)
    diagnosis += problems + _misordered(grads, inputs, names, wanted)
    dout64 = np.asarray(dout, dtype=np.float64) * np.ones(out.shape)

    # --- the kind: given, or recognised from the forward ----------------------------------------
    binding, convention, reference, kinks = None, None, {}, {}
    arrays: dict = {}
    found_kind = kind
    if kind is not None:
        binding = KINDS[kind](inputs, names, wanted, out)
        arrays = _arrays(binding, inputs)
        convention, sentence = _convention(binding, arrays, out, itemsize, kind)
        if sentence:
            diagnosis.append(sentence)
    elif not random and not problems:
        recognised = recognise(inputs, names, wanted, out, FORWARD_RTOL.get(itemsize, 1e-9))
        if recognised is not None:
            found_kind, binding, convention = recognised
            arrays = _arrays(binding, inputs)
            reading.append(f"recognised as {found_kind}: on these inputs your forward computes "
                           f"torch's {found_kind} ({'; '.join(convention.words.values())})")
    if convention is not None:
        ref = run(convention.forward, arrays, dout64)[1]
        reference = {binding.roles[role]: g for role, g in ref.items()}
        kinks = {binding.roles[role]: m for role, m in binding.kinks(arrays).items()}

    # --- the rows: each gradient against the gradient of your forward ---------------------------
    rows = []
    for k in wanted:
        row, sentences = _row(k, names, inputs, grads.get(k, None), k in grads, reference.get(k),
                              kinks.get(k), forward, dout64, itemsize, rtol, rng, random,
                              np.shape(inputs[wanted[0]])[0] if np.ndim(inputs[wanted[0]])
                              else 1, torch_at_kinks=kind is not None)
        rows.append(row)
        diagnosis += sentences
    ok_rows = all(r["ok"] for r in rows)

    # --- what the probes found ------------------------------------------------------------------
    probe_sentences, probe_wrong, probe_named = _probe_words(probed, grads, names, wanted,
                                                             rtol)
    for row, k in zip(rows, wanted):
        if k in probe_wrong:
            row["ok"] = False
    diagnosis += probe_sentences

    # --- the words: a classic mistake, a slip of the grammar, or where and how much -------------
    named: list[dict] = list(probe_named)
    if not ok_rows:
        found, sentences = _words(rows, binding, convention, arrays, dout64, out, grads, wanted,
                                  names, rtol, found_kind, kind, inputs, forward, itemsize,
                                  reference, kinks)
        named += found
        diagnosis += sentences
    conventions = dict(convention.words) if convention is not None else {}
    not_the_kind = kind is not None and convention is None  # a "layernorm" that is not one
    ok = (all(r["ok"] for r in rows) and not random and not first.wrote and not problems
          and not not_the_kind and not probe_sentences_fail(probed, probe_wrong))
    if not ok and not diagnosis:  # every NOT OK says why
        diagnosis.append(_where(rows))
    return LayerReport(bool(ok), rows, conventions, diagnosis, kind or found_kind, rtol,
                       precision, reading, named)


def _words(rows: list[dict], binding: Binding | None, convention: Convention | None,
           arrays: dict, dout: np.ndarray, out: np.ndarray, grads: dict, wanted: list[int],
           names: list[str], rtol: float, found_kind: str | None, kind: str | None,
           inputs: list, forward: Callable, itemsize: int, reference: dict, kinks: dict
           ) -> tuple[list[dict], list[str]]:
    """The mistakes named and the sentences for the wrong rows: a classic mistake of the
    kind, else a slip of the grammar of one local step (``explain``), else the worst
    element with the closest slip and what it leaves."""
    wrong = {r["name"] for r in rows if not r["ok"]}
    if binding is not None and convention is not None:
        classic = _mistake(binding, convention, arrays, dout, out, grads, wanted, names, rtol)
        if classic:
            return [classic], [classic["text"]]
    yours = []
    for k in wanted:
        g = grads.get(k)
        usable = g is not None and problem_with(g) is None and \
            np.shape(g) == np.shape(inputs[k])  # a shape of its own is said by its row
        yours.append(np.asarray(g, dtype=np.float64) if usable else None)
    right = explain.Right(forward, inputs, names, wanted, itemsize, rtol, binding, convention)
    with np.errstate(all="ignore"):
        found = explain.diagnose(right, yours, [reference.get(k) for k in wanted], dout,
                                 [kinks.get(k) for k in wanted])
    if found is None:
        return [], []
    named = [entry for entry in found.named if set(entry["where"]) & wrong]
    sentences = [entry["text"] for entry in named]
    sentences += [s for s in found.sentences
                  if any(s.startswith(f"{n} ") or s.startswith(f"{n}'s ") for n in wrong)]
    if not sentences and kind is not None and any(
            not r["ok"] and r["worst_index"] is not None for r in rows):
        listed = sorted(wrong)
        sentences.append(f"{', '.join(listed)} {'is' if len(listed) == 1 else 'are'} not the "
                         f"gradient of your forward, and no classic mistake of {kind} the "
                         "checker knows gives it; the table shows where it is worst.")
    return named, sentences


def _arrays(binding: Binding, inputs: list) -> dict:
    return {role: np.asarray(inputs[k], dtype=np.float64) for role, k in binding.roles.items()}


def _backward(backward: Callable, dout: object, first: object, names: list[str],
              wanted: list[int]) -> Probed:
    try:
        return probe(backward, dout, first, names,
                     read=lambda result: read_gradients(result, names, wanted)[0])
    except Exception as error:
        how = "backward(dout, cache)" if first.has_cache else "backward(dout, *inputs)"
        raise ValueError(f"backward raised {type(error).__name__}: {error}".split("\n")[0]
                         + f" (check_layer called it as {how})") from error


def probe_sentences_fail(probed: Probed, wrong: set[int]) -> bool:
    """Whether the probes alone make the verdict NOT OK: a write into dout or an input, a
    gradient that changes on a second call, a second call that raises."""
    return bool(probed.wrote_dout or probed.wrote_inputs or wrong or probed.raised_again)


def _differs(a: object, b: object, rtol: float) -> float | None:
    """The relative difference of two returned gradients (None: the same)."""
    if a is None or b is None or problem_with(a) is not None or problem_with(b) is not None:
        return None
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        return math.inf
    gap = relative_difference(a, b)
    return gap if gap > rtol else None


def _probe_words(probed: Probed, grads: dict, names: list[str], wanted: list[int],
                 rtol: float) -> tuple[list[str], set[int], list[dict]]:
    """The probes' sentences, the inputs whose gradient they show wrong, and what they name
    (``{"slip", "where", "text"}``, as the grammar's)."""
    sentences, wrong, named = [], set(), []
    if probed.wrote_dout:
        who = [names[k] for k in probed.aliased]
        sentences.append(
            "backward writes into dout, the upstream gradient, which another layer may read "
            "too (a residual branch, a gradient handed to two layers)"
            + (f"; the gradient it returns for {', '.join(who)} is dout itself, changed"
               if who else "") + ": compute into a new array (dx = dout * mask, not "
            "dout *= mask).")
        wrong |= set(probed.aliased)
        named.append({"slip": "writes into dout", "where": ["dout"], "text": sentences[-1]})
    if probed.wrote_inputs:
        many = len(probed.wrote_inputs) > 1
        sentences.append(f"backward writes into its input{'s' if many else ''} "
                         f"{', '.join(probed.wrote_inputs)}, which the layer before (and "
                         "any other that reads it) still holds: write into a new array.")
        named.append({"slip": "writes into its inputs", "where": list(probed.wrote_inputs),
                      "text": sentences[-1]})
    if probed.raised_again:
        sentences.append(f"backward raised {probed.raised_again} when called a second time "
                         "with the same dout and cache: it consumes something its first call "
                         "needed.")
    second, _ = read_gradients(probed.second, names, wanted) if probed.second is not None \
        else ({}, [])
    again, _ = read_gradients(probed.again, names, wanted) if probed.again is not None \
        else ({}, [])
    for k in wanted:
        gap = _differs(grads.get(k), second.get(k), rtol)
        if gap is not None:
            wrong.add(k)
            sentences.append(f"{names[k]}: a second call with the same dout and a fresh copy "
                             f"of the cache returns another gradient ({_ratio(grads[k], second[k])}"
                             "): backward keeps something between calls (a buffer it adds into "
                             "and never zeroes, a count or a random draw); a layer's gradient "
                             "depends on its dout and cache alone.")
            named.append({"slip": "accumulates across calls", "where": [names[k]],
                          "text": sentences[-1]})
    changed = [k for k in wanted if k not in wrong and
               _differs(grads.get(k), again.get(k), rtol) is not None]
    if probed.wrote_cache:
        places = ", ".join(probed.wrote_cache)
        if changed:
            wrong |= set(changed)
            sentences.append(f"backward writes into its cache ({places}), so a second call "
                             "on the same cache returns another gradient for "
                             f"{', '.join(names[k] for k in changed)}: right once, wrong on a "
                             "second call (gradient checking and a graph kept for a second "
                             "pass call it twice); compute into a new array.")
            named.append({"slip": "writes into its cache", "where": [names[k] for k in changed],
                          "text": sentences[-1]})
        else:
            sentences.append(f"Note: backward writes into its cache ({places}); a second call "
                             "on the same cache still returns the same gradients, so it does "
                             "no harm here.")
    return sentences, wrong, named


def _ratio(first: object, second: object) -> str:
    a, b = np.asarray(first, dtype=np.float64), np.asarray(second, dtype=np.float64)
    if a.shape == b.shape:
        aa = float((a * a).sum())
        c = float((a * b).sum()) / aa if aa else math.nan
        if math.isfinite(c) and relative_difference(b, c * a) <= 1e-9:
            return f"{c:.4g} times the first"
        if relative_difference(b - a, a) <= 1e-9:
            return "twice the first"
    return f"relative difference {relative_difference(a, b):.1e}" if a.shape == b.shape \
        else f"shape {b.shape} against {a.shape}"


def _where(rows: list[dict]) -> str:
    wrong = [r for r in rows if not r["ok"]]
    if not wrong:
        return "the verdict is NOT OK for the reasons in the table."
    parts = []
    for r in wrong:
        if r["worst_index"] is not None:
            mine, theirs = distinct(r["yours"], r["reference"])
            parts.append(f"{r['name']} is not the gradient of your forward: worst at "
                         f"{r['worst_index']}: yours {mine}, right {theirs}")
        elif r["rel_error"] is not None:
            parts.append(f"{r['name']} is not the gradient of your forward (relative error "
                         f"{r['rel_error']:.1e} along random directions)")
        else:
            parts.append(f"{r['name']} could not be checked")
    return "; ".join(parts) + "."


def _misordered(grads: dict, inputs: list, names: list[str], wanted: list[int]) -> list[str]:
    """A sentence when the returned gradients' shapes fit the inputs only in another order."""
    shapes = {k: np.shape(grads[k]) for k in wanted if k in grads}
    if len(shapes) != len(wanted) or all(shapes[k] == np.shape(inputs[k]) for k in wanted):
        return []
    if sorted(map(str, shapes.values())) != sorted(str(np.shape(inputs[k])) for k in wanted):
        return []
    order = []
    for k in wanted:  # which input's shape each returned gradient has
        match = [j for j in wanted if np.shape(inputs[j]) == shapes[k] and j not in order]
        order.append(match[0] if match else k)
    return [f"backward returns the gradients in another order than the inputs (for "
            f"{', '.join(names[k] for k in wanted)} it returns the gradients of "
            f"{', '.join(names[j] for j in order)}): return them in the inputs' order."]


def _convention(binding: Binding, arrays: dict, out: np.ndarray, itemsize: int, kind: str
                ) -> tuple[Convention | None, str | None]:
    """The convention the user's forward follows, and a sentence where it is not torch's
    or where none is."""
    tol = FORWARD_RTOL.get(itemsize, 1e-9)
    y = np.asarray(out, dtype=np.float64)
    gap = math.inf
    for convention in binding.conventions:
        theirs = run(convention.forward, arrays)[0]
        difference = relative_difference(y.reshape(theirs.shape), theirs) \
            if theirs.size == y.size else math.inf
        if difference <= tol:
            note = None
            if convention.differs_from_torch:
                note = (f"Your forward follows another convention than torch's {kind}: "
                        f"{convention.differs_from_torch} (a right backward for it is still "
                        "right here).")
            return convention, note
        if difference < gap:
            gap = difference
    for words, forward in binding.other:
        theirs = run(forward, arrays)[0]
        if theirs.size == y.size and relative_difference(y.reshape(theirs.shape),
                                                         theirs) <= tol:
            return None, f"Your forward is not {kind}: it computes {words}."
    return None, (f"Your forward is not {kind} under any convention the checker knows: its "
                  f"output differs from torch's {kind} by {gap:.1e} (relative) at best; the "
                  "gradients were checked against your forward only.")


def _row(k: int, names: list[str], inputs: list, grad: object, returned: bool,
         reference: np.ndarray | None, kinks: np.ndarray | None, forward: Callable,
         dout: np.ndarray, itemsize: int, rtol: float, rng: np.random.Generator,
         random: bool, batch: int, torch_at_kinks: bool = True) -> tuple[dict, list[str]]:
    """One input's row of the table, and the sentences it needs (``batch``: the first
    input's number of samples; ``torch_at_kinks``: hold the kinks to torch's choice, as
    where the kind is given; a recognised kind leaves them out)."""
    x = np.asarray(inputs[k])
    name = names[k]
    row = {"name": name, "shape": tuple(x.shape), "ok": False, "rel_error": None,
           "worst_index": None, "yours": None, "reference": None}
    if not returned:
        return row, [f"backward returned no gradient for {name}."]
    problem = problem_with(grad)
    if problem is not None:
        return row, [f"The gradient for {name} is not usable: {problem}."]
    g = np.asarray(grad).astype(np.float64)
    if g.shape != x.shape:
        grown = [a - b for a, b in zip(g.shape[2:], x.shape[2:])]
        padded = (g.ndim == x.ndim == 4 and g.shape[:2] == x.shape[:2] and grown[0] == grown[1]
                  and grown[0] > 0 and grown[0] % 2 == 0)
        per_sample = g.ndim == 1 and g.shape[0] == batch and x.shape != (batch,)
        flattened = x.ndim > 2 and g.shape == (x.shape[0], int(np.prod(x.shape[1:])))
        words = (f"The gradient for {name} has shape {g.shape} but {name} is {x.shape}"
                 + (": it is transposed" if g.shape == x.shape[::-1] else
                    ": one value per sample, summed over the wrong axes (sum over the batch, "
                    "axis 0)" if per_sample else
                    f": {name}'s flattened shape (N, D); reshape it back to {name}.shape"
                    if flattened else
                    f": it keeps the padding (drop {grown[0] // 2} "
                    f"{'row and column' if grown[0] == 2 else 'rows and columns'} on each "
                    "side)" if padded else
                    " (the same numbers of values in another shape)" if g.size == x.size else
                    "") + ".")
        return row, [words]
    sentences = []
    fd_ok = None
    if not random:
        x64 = x.astype(np.float64)

        def phi(moved: np.ndarray) -> float:
            out = np.asarray(run_forward(forward, inputs, names, {k: moved}).out,
                             dtype=np.float64)
            return float(np.sum(dout.reshape(out.shape) * out))

        def magnitude(moved: np.ndarray) -> float:
            out = np.asarray(run_forward(forward, inputs, names, {k: moved}).out,
                             dtype=np.float64)
            return float(np.sum(np.abs(dout.reshape(out.shape) * out)))
        mask = np.zeros(x.shape, dtype=bool) if kinks is None else kinks
        verdicts, gaps, noisy = [], [], False
        for _ in range(2):
            direction = rng.normal(size=x.shape) * ~mask
            if not direction.any():
                break
            estimate = numeric.derivative(phi, x64, direction, itemsize, rtol, magnitude)
            noisy = noisy or estimate.noisy
            verdict, gap = numeric.agrees(estimate, g, rtol)
            verdicts.append(verdict)
            gaps.append(gap)
        usable = [v for v in verdicts if v is not None]
        fd_ok = all(usable) if usable else None
        if usable:
            row["rel_error"] = max(gap for gap in gaps if gap is not None)
        if mask.any():
            sentences.append(f"{name}: {int(mask.sum())} entr{'y' if mask.sum() == 1 else 'ies'}"
                             " sit at a kink, where finite differences cannot decide: left out "
                             "of them" + (", and held to torch's choice there." if
                                          torch_at_kinks else "."))
    if reference is not None:
        ref = reference.astype(np.float64)
        if not torch_at_kinks and kinks is not None and kinks.any():
            ref = np.where(kinks, g, ref)  # your choice at a kink stands
        error = relative_difference(g, ref)
        diff = np.abs(g - ref)
        worst = tuple(int(i) for i in np.unravel_index(int(diff.argmax()), diff.shape))
        row.update(rel_error=error, worst_index=worst, yours=float(g[worst]),
                   reference=float(ref[worst]))
        kink_ok = True
        if kinks is not None and kinks.any():
            scale = max(np.abs(ref).max(), np.abs(g).max(), 1e-300)
            kink_ok = bool(np.all(np.abs(g - ref)[kinks] <= rtol * scale))
            if not kink_ok:
                sentences.append(f"{name}: at the kinks your gradient is not torch's choice "
                                 f"({int((np.abs(g - ref)[kinks] > rtol * scale).sum())} "
                                 "entries differ).")
        row["ok"] = bool((fd_ok if fd_ok is not None else error <= rtol) and kink_ok
                         and error <= rtol)
    elif fd_ok is not None:
        row["ok"] = bool(fd_ok)
        if not fd_ok:
            row.update(_localise(k, names, inputs, g, forward, dout, itemsize, rtol, rng))
    else:
        row["ok"] = False  # not checked is not OK
        sentences.append(f"{name} could not be checked: "
                         + ("its forward is random" if random else
                            "finite differences of your forward cannot resolve its gradient "
                            f"to {rtol:g}: its outputs are so large that their rounding hides "
                            "the change (pass kind= to check against torch's operation)"
                            if noisy else
                            "every step of finite differences met a kink") + ".")
    return row, sentences


def _localise(k: int, names: list[str], inputs: list, g: np.ndarray, forward: Callable,
              dout: np.ndarray, itemsize: int, rtol: float, rng: np.random.Generator) -> dict:
    """Finite differences at a sample of coordinates (the largest of your gradient's and a
    few at random): the worst of them, and the relative error over them."""
    x64 = np.asarray(inputs[k], dtype=np.float64)

    def phi(moved: np.ndarray) -> float:
        out = np.asarray(run_forward(forward, inputs, names, {k: moved}).out,
                         dtype=np.float64)
        return float(np.sum(dout.reshape(out.shape) * out))
    flat = np.argsort(-np.abs(g).ravel())[:12].tolist()
    flat += rng.choice(g.size, size=min(g.size, 12), replace=False).tolist()
    indices = [tuple(int(i) for i in np.unravel_index(f, g.shape))
               for f in dict.fromkeys(flat)]
    found = [(i, v) for i, v in numeric.coordinates(phi, x64, itemsize, rtol, indices)
             if v is not None]
    if not found:
        return {}
    yours = np.array([g[i] for i, _ in found])
    theirs = np.array([v for _, v in found])
    at = int(np.abs(yours - theirs).argmax())
    return {"rel_error": relative_difference(yours, theirs), "worst_index": found[at][0],
            "yours": float(yours[at]), "reference": float(theirs[at])}


def _mistake(binding: Binding, convention: Convention, arrays: dict, dout: np.ndarray,
             out: np.ndarray, grads: dict, wanted: list[int], names: list[str],
             rtol: float) -> dict | None:
    """The classic mistake whose gradients are the user's: ``{"slip", "where", "text"}``."""
    right = run(convention.forward, arrays, dout)[1]
    y = np.asarray(out, dtype=np.float64)
    role_of = {k: role for role, k in binding.roles.items()}
    for key, mistake in binding.mistakes(convention).items():
        try:
            wrong = mistake.gradients(arrays, dout.reshape(y.shape), y)
        except Exception:  # noqa: BLE001 - a mistake that cannot be made here
            continue
        affected, fits = [], True
        for k in wanted:
            role = role_of.get(k)
            if role is None or k not in grads or problem_with(grads[k]) is not None:
                fits = False
                break
            expected = wrong.get(role, right[role])
            if np.shape(grads[k]) != np.shape(expected) or \
                    relative_difference(grads[k], expected) > rtol:
                fits = False
                break
            if relative_difference(expected, right[role]) > rtol:
                affected.append(names[k])
        if fits and affected:
            return {"slip": key, "where": affected,
                    "text": f"{', '.join(affected)} {'is' if len(affected) == 1 else 'are'} "
                            f"wrong: {mistake.text}."}
    return _factor(grads, right, wanted, names, role_of, rtol, len(y) if y.ndim else 1)


def _factor(grads: dict, right: dict, wanted: list[int], names: list[str], role_of: dict,
            rtol: float, n: int) -> dict | None:
    """Where every wrong gradient is one constant times the right one: that, in words."""
    found = []
    for k in wanted:
        role = role_of.get(k)
        if role is None or k not in grads or problem_with(grads[k]) is not None:
            return None
        g, r = np.asarray(grads[k], dtype=np.float64), right[role]
        if g.shape != r.shape:
            return None
        if relative_difference(g, r) <= rtol:
            continue
        rr = float((r * r).sum())
        c = float((g * r).sum()) / rr if rr else 0.0
        if c == 0 or relative_difference(g, c * r) > rtol:
            return None
        found.append((names[k], c))
    if not found:
        return None
    hints = [(-1.0, " (the sign is flipped)"),
             (1 / n, f" (1/N, N = {n}: averaged over the batch where the gradient sums)"),
             (float(n), f" (N = {n}: summed over the batch where the gradient averages)")]
    parts = []
    for name, c in found:
        hint = next((h for v, h in hints if abs(c - v) <= 1e-9 * abs(v) and n > 1 or
                     v == -1.0 and abs(c + 1) <= 1e-9), "")
        parts.append(f"{name} is {c:.4g} times the right gradient{hint}")
    return {"slip": "factor", "where": [name for name, _ in found], "text": "; ".join(parts) + "."}
