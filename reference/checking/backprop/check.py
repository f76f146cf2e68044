"""``check_backprop``: hold *your* backward pass against the references, and name the bug.

You give your network's parameters as you keep them (a list ``[W1, b1, W2, b2]``, a dict
such as CS231n's ``net.params`` or a ``state_dict``, Nielsen's ``(biases, weights)``; NumPy
arrays or torch tensors; each W as (n_in, n_out) or (n_out, n_in), biases as (n,), (1, n) or
(n, 1)) and your function ``grad_fn(params, X, Y)``, which returns the gradients in any of
those forms, or ``(loss, gradients)``. The checker runs in stages, each a module:

1. **read** (``read``): the arguments, each checked with a one-line error naming it;
2. **probe** (``calls``, ``pair``): your ``grad_fn`` called twice on copies (an answer that
   changes between calls accumulates), what it wrote into its arguments, and your gradients
   paired with the parameters by name, position or shape, each array named by your name;
3. **reference** (``network``, ``program``): the declared network's forward pass and the
   right backward pass as a program of local steps;
4. **explain** (``fit``, ``search``, ``grammar``): the conventions under which your arrays
   are exact; where none, the slips of the grammar (a local step made wrong: an operand
   transposed or read from the wrong array, a derivative in another form or at the wrong
   node, a sum over the wrong axis, a factor found from your numbers, ...) that reproduce
   your arrays exactly; a mistake is named only then;
5. **your loss** (``loss``, ``agreement``): your loss against the declared network's (is your
   forward pass the declared one?) and your gradients against your loss's own changes, at
   its precision;
6. **your nodes** (``nodes``): intermediate gradients you hand over, in backward order, and
   the first wrong step;
7. **verdict**: OK only when every array is right under an allowed convention, your loss
   agrees with your gradients (or you turned that check off), and nothing else is wrong:
   NaN, infinity, complex values, missing or extra arrays, gradients that change between two
   calls, a ``grad_fn`` that writes into its arguments. Your arrays are never modified.
"""

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
from numpy.typing import ArrayLike
from threadpoolctl import threadpool_limits

from reference.checking.backprop import agreement, pair
from reference.checking.backprop import loss as loss_check
from reference.checking.backprop.calls import Result, call
from reference.checking.backprop.conventions import (
    allowed,
    candidates,
    familiarity,
    objective,
)
from reference.checking.backprop.grammar.fit import Fit
from reference.checking.backprop.grammar.network import Forward
from reference.checking.backprop.grammar.program import Context, program, run, store
from reference.checking.backprop.grammar.search import Explanation, Search, nodes_of
from reference.checking.backprop.nodes import check_names, check_nodes, reference_nodes
from reference.checking.backprop.read import Settings, array, targets, validate
from reference.checking.backprop.references import Network, self_check
from reference.checking.backprop.words import join, where_it_starts
from reference.checking.compare import problem_with, relative_difference
from reference.checking.core.precision import NAMES, carried, said, tolerance
from reference.checking.core.report import Report
from reference.checking.structures import Leaves, arrange, leaves, shape_of, to_numpy
from reference.checking.structures import match as pair_arrays


@dataclass(repr=False)
class BackpropReport(Report):
    """The verdict of ``check_backprop``.

    ``ok``: every gradient array is exact (within its tolerance) under an allowed convention,
    your loss agrees with it, and nothing else is wrong (see ``diagnosis``). ``objective``:
    the objective your gradient was checked as the gradient of, in words, and ``conventions``
    its choices one by one. ``params``: one row per array, in the network's order from the
    input, named as you name them (``name``, ``shape``, ``ok``, ``rel_error``: the largest
    |yours - reference| over the largest magnitude, ``tolerance``, and ``worst_index`` with
    ``yours`` and ``reference``, the values there). ``diagnosis``: sentences naming what is
    wrong and where. ``named``: the mistakes named, each ``{"slip", "where", "text"}`` with
    ``where`` in the node vocabulary of ``reference.NODES`` (and "dW<k>", "db<k>" for layer
    k's gradient steps); empty when nothing is named. ``loss_ok``: whether your gradients are
    the gradient of the loss your function returns (None if it returns none, or it could not
    be checked). ``forward``: whether your loss is the declared network's, in words (None
    without a loss). ``reading``: how your arrays were read. ``nodes``: one row per
    intermediate gradient you handed over. ``references``: how closely the checker's own
    reference agrees with torch autograd, scikit-learn's backprop and finite differences.
    """

    ok: bool
    conventions: dict[str, str]
    params: list[dict]
    diagnosis: list[str]
    loss_ok: bool | None
    references: dict[str, float | None] = field(default_factory=dict)
    tolerance: float = 1e-6
    precision: str = "float64"
    reading: list[str] = field(default_factory=list)
    nodes: list[dict] = field(default_factory=list)
    named: list[dict] = field(default_factory=list)
    objective: str = ""
    assumed: bool = False
    forward: str | None = None

    def __str__(self) -> str:
        head = f"check_backprop: {'OK' if self.ok else 'NOT OK'}"
        if self.ok and self.objective:
            head += f" for {self.objective}"
            if self.assumed:
                head += " (assumed: your function returns no loss and expect= pins nothing)"
        tolerances = sorted({row.get("tolerance", self.tolerance) for row in self.params})
        if len(tolerances) > 1:
            precision = "precision per array: " + ", ".join(
                f"{row['name']} {row['tolerance']:.0e}" for row in self.params)
        else:
            precision = (f"precision: {self.precision}, an array is right when its relative "
                         f"error is at most {(tolerances or [self.tolerance])[0]:.0e}")
        lines = [head, precision]
        if self.reading:
            lines.append("read as:")
            lines += [f"  {sentence}" for sentence in self.reading]
        if self.conventions:
            lines.append("conventions:")
            lines += [f"  {key}: {value}" for key, value in self.conventions.items()]
        width = max([6] + [len(row["name"]) for row in self.params + self.nodes])
        lines.append(f"  {'array':<{width}} {'shape':<12} {'ok':<4} relative error   worst")
        for row in self.params + self.nodes:
            error = "-" if row["rel_error"] is None else f"{row['rel_error']:.1e}"
            worst = "" if row.get("worst_index") is None or row["ok"] else (
                f"at {row['worst_index']}: yours {row['yours']:.4g}, right "
                f"{row['reference']:.4g}")
            shape = str(tuple(row["shape"])) if row.get("shape") is not None else "-"
            mark = "yes" if row["ok"] else "NO"
            lines.append(f"  {row['name']:<{width}} {shape:<12} {mark:<4} {error:<16} {worst}"
                         .rstrip())
        if self.forward:
            lines.append(f"forward: {self.forward}")
        if self.loss_ok is not None:
            lines.append("loss: your gradients are " + ("" if self.loss_ok else "NOT ")
                         + "the gradient of the loss your function returns")
        if self.diagnosis:
            lines.append("diagnosis:")
            lines += [f"  - {sentence}" for sentence in self.diagnosis]
        if self.references:
            shown = ", ".join(f"{k} {'n/a' if v is None else f'{v:.0e}'}"
                              for k, v in self.references.items())
            lines.append(f"the reference itself, against: {shown}")
        return "\n".join(lines)


def check_backprop(grad_fn: Callable, params: Sequence[ArrayLike] | Mapping[str, ArrayLike],
                   X: ArrayLike, Y: ArrayLike, *, activation: str = "logistic",
                   output: str = "softmax", loss: str = "cross_entropy", alpha: float = 0.0,
                   rtol: float | None = None, negative_slope: float = 0.01,
                   nodes: Mapping[str, str] | None = None, check_loss: bool = True,
                   expect: str | Mapping[str, object] | None = None,
                   label_smoothing: float = 0.0) -> BackpropReport:
    """Check ``grad_fn``'s gradients of a multilayer perceptron; see the module docstring.

    Parameters
    ----------
    grad_fn : callable
        ``grad_fn(params, X, Y)`` -> gradients shaped like ``params`` (a list, tuple or dict),
        or (loss, gradients); it receives copies, in the form you gave.
    params : list, tuple or dict of arrays (or tensors)
        Each layer's W, as (n_in, n_out) or (n_out, n_in), and its bias.
    X : array (n_samples, n_features); samples as columns are recognised and said.
    Y : integer labels (n_samples,) or a one-hot / indicator / target matrix
        (n_samples, n_outputs); passed to ``grad_fn`` as given.
    activation : hidden activation, one of identity, logistic, tanh, relu, leaky_relu.
    output : "softmax", "logistic" (one sigmoid per output) or "identity".
    loss : "cross_entropy" or "squared_error".
    alpha : the L2 strength your code uses (0: no L2 term is checked).
    rtol : largest relative error an array may have and count as exact; by default the
        precision each of your arrays carries (1e-6 for float64, 1e-3 for float32).
    nodes : {your name: node} for intermediate gradients your ``grad_fn`` hands over (in
        its gradient dict, or as a last returned dict); nodes are "p", "z<L>", "h<k>",
        "z<k>", "x" (``reference.NODES``).
    check_loss : False to leave your loss out of the verdict.
    expect : the conventions your code means, pinned so that a gradient following another
        is NOT OK: a preset ("sklearn", "torch", "cs231n", "textbook") or a dict with any of
        "batch" ("mean"/"sum"), "outputs" ("mean"/"sum"), "squared_error" ("half"/"full"),
        "l2" ("alpha/2 * sum W^2", "alpha * sum W^2", "alpha/(2n) * sum W^2",
        "alpha/n * sum W^2"), "l2_biases" (True/False).
    label_smoothing : the targets smoothed as torch's ``CrossEntropyLoss(label_smoothing=)``
        smooths them: (1 - eps) Y + eps / K (softmax with cross-entropy only).

    Example
    -------
    >>> report = check_backprop(my_gradients, [W0, b0, W1, b1], X, y, activation="tanh")
    >>> print(report)  # doctest: +SKIP
    """
    settings = validate(grad_fn, activation, output, loss, alpha, rtol, negative_slope, nodes,
                        check_loss, expect, label_smoothing)
    with threadpool_limits(limits=1, user_api="blas"):  # many small products: one thread is
        return _check(grad_fn, params, X, Y, settings)  # fastest, and never waits for a core


def assert_backprop(grad_fn: Callable, params: Sequence[ArrayLike] | Mapping[str, ArrayLike],
                    X: ArrayLike, Y: ArrayLike, **kwargs: object) -> BackpropReport:
    """``check_backprop`` for your own tests: raises ``AssertionError(str(report))`` unless
    the report is ok; returns the report otherwise."""
    report = check_backprop(grad_fn, params, X, Y, **kwargs)
    if not report.ok:
        raise AssertionError(str(report))
    return report


# --- the stages ----------------------------------------------------------------------------------

@dataclass
class _Read:
    """Stage 1: the arguments read (scikit-learn's layout: ``canonical`` arrays W0, b0, ...
    are the leaves ``leaf_of``; ``values`` the user's leaves as float64)."""

    X: np.ndarray
    target: np.ndarray
    P: object
    values: list[np.ndarray]
    arrangement: object
    canonical: list[str]
    leaf_of: list[int]
    n: int
    L: int
    K: int


def _read(params: object, X_user: object, Y_user: object, s: Settings) -> _Read:
    X = array("X", X_user)
    if X.ndim != 2 or X.shape[0] == 0 or X.shape[1] == 0:
        raise ValueError(f"X must be (n_samples, n_features) with at least one of each, got "
                         f"shape {X.shape}.")
    P = leaves(params, "params")
    values = [array(f"params[{name!r}]" if name else f"params[{k}]", v)
              for k, (name, v) in enumerate(zip(P.names, P.values))]
    arrangement = arrange(P.names, [v.shape for v in values], X.shape[1], X.shape[0])
    if arrangement.x_transposed:
        X = X.T
    n, L = X.shape[0], len(arrangement.order) // 2
    leaf_of = arrangement.order
    K = values[leaf_of[-1]].size
    Y = array("Y", Y_user)
    if arrangement.x_transposed and Y.ndim == 2 and Y.shape == (K, n) and K != n:
        Y = Y.T
    target = targets(Y, s.output, K, n, s.smoothing)
    check_names(s.nodes, L)
    canonical = [f"{kind}{i}" for i in range(L) for kind in ("W", "b")]
    return _Read(X, target, P, values, arrangement, canonical, leaf_of, n, L, K)


def reproducible(grad_fn: Callable, params: Sequence[ArrayLike] | Mapping[str, ArrayLike],
                 X: ArrayLike, Y: ArrayLike, **kwargs: object) -> bool:
    """Whether some composition of up to two slips of the grammar reproduces ``grad_fn``'s
    arrays exactly under an allowed convention: ``check_backprop``'s search run to its end,
    screening every element, with no early stop. It measures the search itself (the mutant
    yardstick, ``python -m comparisons.bench.mutants``); takes ``check_backprop``'s
    arguments."""
    keys = ("activation", "output", "loss", "alpha", "rtol", "negative_slope", "nodes",
            "check_loss", "expect", "label_smoothing")
    unknown = set(kwargs) - set(keys)
    if unknown:
        raise TypeError(f"reproducible() got unexpected keyword arguments {sorted(unknown)}.")
    defaults = dict(activation="logistic", output="softmax", loss="cross_entropy", alpha=0.0,
                    rtol=None, negative_slope=0.01, nodes=None, check_loss=True, expect=None,
                    label_smoothing=0.0)
    settings = validate(grad_fn, **{k: kwargs.get(k, v) for k, v in defaults.items()})
    with threadpool_limits(limits=1, user_api="blas"):
        return bool(_check(grad_fn, params, X, Y, settings, exhaustive=True).named)


def _check(grad_fn: Callable, params: object, X_user: object, Y_user: object,
           s: Settings, exhaustive: bool = False) -> BackpropReport:
    r = _read(params, X_user, Y_user, s)

    # --- probe: two calls, the pairing, what cannot be compared --------------------------------
    first = call(grad_fn, r.P, X_user, Y_user, set(s.nodes))
    second = call(grad_fn, r.P, X_user, Y_user, set(s.nodes))
    G = first.grads
    pairing = pair_arrays(r.P, G, [v.shape for v in r.values], [shape_of(v) for v in G.values])
    names = pair.display_names(r.P, r.arrangement, G)
    diagnosis: list[str] = []
    reading = pair.reading(r.P, r.arrangement, pairing, names, X_user)
    problems = pair.array_problems(r.canonical, r.leaf_of, pairing, G, r.values, r.n,
                                   diagnosis)
    probes = _probes(r, first, second, G, pairing, diagnosis)
    user = [None if problems[c] else to_numpy(G.values[pairing.pairs[leaf]]).astype(np.float64)
            for c, leaf in enumerate(r.leaf_of)]
    carried_by = _carried(r, G, pairing, user, first, X_user)
    tol = [s.rtol if s.rtol is not None else tolerance(b) for b in carried_by]

    # --- reference, your loss's changes, and the explanation, per layout tried -------------------
    layouts = [r.arrangement.transposed] if not r.arrangement.ambiguous else \
        [[False] * r.L, [True] * r.L]
    ctx = Context(s.activation, s.output, s.loss, s.slope, r.L)
    unkinked = _kinks(r, layouts[0], s)
    points = _loss_points(grad_fn, r, first, user, X_user, Y_user, s, layouts[0], unkinked)
    best = None
    for layout in layouts:
        attempt = _explain(r, s, ctx, user, tol, layout, points, exhaustive)
        if best is None or attempt[0].rank_key < best[0].rank_key:
            best = attempt
    outcome, fit, fwd, done, layout = best
    e = outcome.explanation
    conv = fit.conventions[e.row]

    # --- rows and words ---------------------------------------------------------------------------
    D0 = [done[f"{kind}{k}"].ravel() for k in range(1, r.L + 1) for kind in ("dW", "db")]
    E = [fit.s[e.row] * d + fit._l2(e.row, k, None) * fit.theta[k] for k, d in enumerate(D0)]
    rows = _rows(r, fit, E, layout, tol)
    named = _probe_names(r, probes, problems, rows, diagnosis)
    _second_call_rows(r, rows, second, pairing, probes, E, layout, tol)
    overflow = _overflow(r, s, ctx, done, G, pairing, layout, problems)
    if overflow:
        diagnosis.append(overflow)
        named.append({"slip": "probabilities", "where": [f"z{r.L}"], "text": overflow})
    if outcome.note:
        diagnosis.append(outcome.note)
    if e.made and e.exact and not overflow:
        wrong = [row["name"] for row in rows if not row["ok"]] or \
            [n for m in e.made for n in m.nodes if n in r.canonical]
        text = "; ".join(m.words for m in e.made)
        named_arrays = all(m.slip in ("data_factor", "l2_factor", "l1") for m in e.made)
        sentence = (text + "." if named_arrays else
                    f"{join(wrong)} {'is' if len(wrong) == 1 else 'are'} wrong: {text}.")
        diagnosis.append(sentence)
        named.append({"slip": "+".join(m.slip for m in e.made), "where": nodes_of(e.made),
                      "text": sentence})
    elif not all(row["ok"] for row in rows):
        start = where_it_starts(r.canonical, [row["ok"] for row in rows],
                                [u is not None for u in user], r.L)
        wrong = [row["name"] for row in rows if not row["ok"] and row["rel_error"] is not None]
        if wrong and start:
            text = (f"{join(wrong)} {'matches' if len(wrong) == 1 else 'match'} no slip of the "
                    f"checker's grammar under any allowed convention; {start}.")
            if e.made and e.share < 0.9:
                text += (f" Closest: {'; '.join(m.words for m in e.made)}, which leaves "
                         f"{100 * e.share:.0f}% of the difference unexplained.")
            diagnosis.append(text)
    declared = bool({"l2", "l2_per_sample"} & set(s.expect))  # a mix you declared is yours
    unusual = bool(familiarity(conv)) and s.alpha > 0 and all(row["ok"] for row in rows) and \
        not e.made and not declared
    if unusual:
        diagnosis.append(_unusual_sentence(conv, r.n))
    diagnosis += _precision_notes(r, user, carried_by, first.loss_itemsize, s.rtol)
    known = any(row["ok"] for row in rows) or (e.exact and bool(e.made))
    conventions = {"layout": pair.layout_words(layout[0], r.arrangement.ambiguous)}
    if known:
        conventions.update(conv.words(s.loss, s.output, r.n, r.K, s.alpha))

    # --- your loss: the declared forward, and the gradient of your loss -------------------------
    loss_ok, forward_words = None, None
    if first.loss is not None:
        forward_words = agreement.words(first.loss, first.loss_itemsize, fwd, fit, e.row,
                                        [canonical_value(r, c, layout) for c in
                                         range(2 * r.L)], s)
    if first.loss is not None and s.check_loss:
        loss_ok = _loss_verdict(r, first, user, points, fit, e, layout, diagnosis, rows)

    # --- your nodes -----------------------------------------------------------------------------
    node_rows, missing_nodes = _nodes(r, s, first, done, fwd, ctx, fit.s[e.row], tol,
                                      diagnosis)

    references = self_check(Network(fwd.coefs, fwd.intercepts, r.n, r.K, s.alpha), r.X,
                            r.target, conv, E, s.activation, s.output, s.loss, s.slope,
                            lambda flat: unkinked(flat))
    ok = (all(row["ok"] for row in rows) and not probes and not unusual
          and loss_ok is not False
          and all(row["ok"] for row in node_rows) and not missing_nodes)
    rename = lambda text: pair.rename(text, names, r.canonical)  # noqa: E731
    for row in rows:
        row["name"] = rename(row["name"])
    for entry in named:
        entry["text"] = rename(entry["text"])
    precision = NAMES.get(min(carried_by), "float64")
    return BackpropReport(
        bool(ok), conventions, rows, [rename(text) for text in diagnosis], loss_ok,
        references, max(tol) if tol else tolerance(8), precision, reading,
        node_rows, named, objective(conv, s.loss, s.output, r.K, s.alpha),
        first.loss is None and not s.expect, rename(forward_words) if forward_words else None)


# --- stage helpers -------------------------------------------------------------------------------

def _probes(r: _Read, first: object, second: object, G: object, pairing: object,
            diagnosis: list[str]) -> list[str]:
    """What is wrong whatever the numbers: arrays extra, misordered, duplicated, changing
    between calls, arguments written into. Each said in ``diagnosis``; returns their kinds."""
    found = []
    if pairing.extra:
        extra = [G.names[j] or f"number {j + 1}" for j in pairing.extra]
        diagnosis.append(f"grad_fn returned {len(pairing.extra)} array(s) more than there are "
                         f"parameters ({', '.join(map(str, extra))}): one gradient per "
                         "parameter, nothing else" + (" (intermediate gradients go in nodes=)"
                                                      if G.named else "") + ".")
        found.append("extra")
    if pairing.reordered and r.P.kind in ("list", "tuple") and G.kind in ("list", "tuple"):
        given_order = [r.canonical[r.leaf_of.index(k)] for k in sorted(
            range(len(r.leaf_of)), key=lambda k: pairing.pairs[k]
            if pairing.pairs[k] is not None else len(r.leaf_of))]
        diagnosis.append(f"grad_fn returns the gradients in another order than params "
                         f"({', '.join(given_order)} for {', '.join(r.canonical)}): each was "
                         "checked against its own parameter (paired by shape), but code that "
                         "pairs them by position (for p, g in zip(params, grads)) updates the "
                         "wrong arrays.")
        found.append("misordered")
    duplicated = pair.duplicates(r.canonical, r.leaf_of, pairing, G)
    if duplicated:
        diagnosis += duplicated
        found.append("duplicated")
    changed = [r.canonical[c] for c, leaf in enumerate(r.leaf_of)
               if pairing.pairs[leaf] is not None and not pair.same_values(
                   G.values[pairing.pairs[leaf]], second.grads.values[pairing.pairs[leaf]]
                   if pairing.pairs[leaf] < len(second.grads.values) else None)]
    if changed:
        diagnosis.append(f"grad_fn returned different gradients for the same inputs on a "
                         f"second call ({join(changed)}): are gradients accumulated across "
                         "calls without being reset to zero?")
        found.append(("changed", changed, diagnosis[-1]))
    wrote = pair.wrote(first, r.canonical, r.leaf_of)
    if wrote:
        diagnosis.append(f"grad_fn wrote into its arguments: {join(wrote)} changed during the "
                         "call. A gradient function must leave its inputs alone (work on "
                         "copies); yours were not touched, since the checker passed copies.")
        found.append(("wrote", wrote, diagnosis[-1]))
    return found


def _steps_of(names: list[str], r: _Read) -> list[str]:
    """The checker's array names (W0, b1) as the steps that compute their gradients."""
    return [f"d{name[0]}{int(name[1:]) + 1}" for name in names if name in r.canonical]


def _probe_names(r: _Read, probes: list, problems: list, rows: list[dict],
                 diagnosis: list[str]) -> list[dict]:
    """The ``named`` entries for what the probes found: gradients that accumulate across
    calls, arguments written into, a gradient of a shape that says its mistake."""
    named = []
    for probe in probes:
        if isinstance(probe, tuple) and probe[0] == "changed":
            named.append({"slip": "accumulates across calls",
                          "where": _steps_of(probe[1], r), "text": probe[2]})
        elif isinstance(probe, tuple) and probe[0] == "wrote":
            named.append({"slip": "writes into its arguments", "where": ["forward"],
                          "text": probe[2]})
    for c, problem in enumerate(problems):
        if problem and any(words in problem for words in (
                "transposed", "sum ran over every axis", "not summed over the batch")):
            named.append({"slip": "shape", "where": _steps_of([r.canonical[c]], r),
                          "text": problem + ("" if problem.endswith(".") else ".")})
    return named


def _second_call_rows(r: _Read, rows: list[dict], second: object, pairing: object,
                      probes: list, E: list[np.ndarray], layout: list[bool],
                      tol: list[float]) -> None:
    """Arrays that changed on a second call are wrong (a gradient that depends on how often
    it was asked for is no gradient): their rows show the second call's values."""
    changed = next((probe[1] for probe in probes if isinstance(probe, tuple)
                    and probe[0] == "changed"), [])
    for c, leaf in enumerate(r.leaf_of):
        j = pairing.pairs[leaf]
        if r.canonical[c] not in changed or j is None or j >= len(second.grads.values):
            continue
        value = second.grads.values[j]
        if problem_with(value) is not None or to_numpy(value).size != E[c].size:
            rows[c]["ok"] = False
            continue
        g = _canonical_grad(to_numpy(value).astype(np.float64), c, r, layout)
        error = relative_difference(g, E[c])
        flat = int(np.abs(g - E[c]).argmax())
        shape = r.values[leaf].shape
        rows[c].update(ok=False, rel_error=error if math.isfinite(error) else None,
                       worst_index=pair.user_index(flat, c, shape, layout), yours=float(g[flat]),
                       reference=float(E[c][flat]))


def _overflow(r: _Read, s: Settings, ctx: Context, done: dict, G: object, pairing: object,
              layout: list[bool], problems: list) -> str | None:
    """Where your arrays hold NaN or infinity: a softmax that overflows, when computing it
    without subtracting each row's maximum (in float64, and in float32) gives NaN at exactly
    the same places."""
    if s.output != "softmax" or not any(p and ("NaN" in p or "infinity" in p)
                                        for p in problems if p):
        return None
    from reference.checking.backprop.grammar.program import rerun

    steps = program(r.L, s.activation)
    z = done[f"z{r.L}"]
    for dtype, limit in ((np.float64, "709"), (np.float32, "88")):
        with np.errstate(all="ignore"):
            e = np.exp(z.astype(dtype))
            done_here = dict(done)
            done_here["p:overflow"] = (e / e.sum(axis=1, keepdims=True)).astype(np.float64)
        made = rerun(steps, done_here, ctx, {0: replace(steps[0], probs="p:overflow")})
        if made is None:
            continue
        same = True  # the output layer's arrays, read straight from the delta (below it, a
        for c, leaf in enumerate(r.leaf_of):  # mask written as an assignment clears NaN that
            if c < 2 * (r.L - 1):  # a mask written as a product keeps: both are right)
                continue
            j = pairing.pairs[leaf]
            if j is None:
                continue
            yours = to_numpy(G.values[j])
            if yours.size != r.values[leaf].size:
                same = False
                break
            mine = made[f"{'dW' if c % 2 == 0 else 'db'}{c // 2 + 1}"]
            yours = _canonical_grad(np.asarray(yours, dtype=np.float64), c, r, layout)
            if not np.array_equal(~np.isfinite(yours), ~np.isfinite(mine.ravel())):
                same = False
                break
        if same:
            return (f"The softmax overflows: exp(z) without subtracting each row's maximum is "
                    f"infinite for scores above {limit} ({np.dtype(dtype).name}), and inf/inf is "
                    "NaN, at exactly the places your output layer's gradients hold NaN: "
                    "subtract each row's max before exp (softmax(z) = softmax(z - max z)).")
    return None


def canonical_value(r: _Read, c: int, layout: list[bool],
                    moved: dict[int, np.ndarray] | None = None) -> np.ndarray:
    """Canonical array c (W0, b0, ...) in scikit-learn's layout (W (n_in, n_out), b flat)."""
    leaf = r.leaf_of[c]
    a = (moved or {}).get(leaf, r.values[leaf])
    return (a.T if layout[c // 2] else a) if c % 2 == 0 else a.reshape(-1)


def _kinks(r: _Read, layout: list[bool], s: Settings) -> Callable[[list[np.ndarray]], bool]:
    """A test that a set of canonical arrays leaves every ReLU unit on the side it is on."""
    def pattern(flat: list[np.ndarray]) -> bytes:
        if s.activation not in ("relu", "leaky_relu"):
            return b""
        fwd = Forward(r.X, r.target, flat[0::2], [b.ravel() for b in flat[1::2]],
                      s.activation, "identity", "squared_error", s.slope)
        return b"".join(np.packbits(z > 0).tobytes() for z in fwd.zs[:-1])
    base = pattern([canonical_value(r, c, layout) for c in range(2 * r.L)])
    return lambda flat: pattern(flat) == base


def _loss_points(grad_fn: Callable, r: _Read, first: object, user: list, X_user: object,
                 Y_user: object, s: Settings, layout: list[bool],
                 unkinked: Callable) -> list:
    """Your loss's changes along one step per array (none without a usable loss)."""
    if first.loss is None or not s.check_loss or not math.isfinite(first.loss) or \
            first.loss_itemsize < 4:
        return []

    def loss_at(leaf: int, moved: np.ndarray) -> float:
        new = list(r.values)
        new[leaf] = moved
        result = call(grad_fn, r.P, X_user, Y_user, set(s.nodes), values=new, watch=False)
        return math.nan if result.loss is None else result.loss

    grads_by_leaf = [None] * len(r.values)
    for c, leaf in enumerate(r.leaf_of):
        if user[c] is not None and user[c].size == r.values[leaf].size:
            grads_by_leaf[leaf] = user[c].reshape(r.values[leaf].shape)
    dtypes = [to_numpy(v).dtype if to_numpy(v).dtype.kind == "f" else np.dtype(np.float64)
              for v in r.P.values]

    def valid(leaf: int, moved: np.ndarray) -> bool:
        if leaf in r.leaf_of[-2:]:  # the output layer moves no kink
            return True
        c = r.leaf_of.index(leaf)
        flat = [canonical_value(r, j, layout, {leaf: moved} if j == c else None)
                for j in range(2 * r.L)]
        return unkinked(flat)

    measure = lambda seed, only: loss_check.measure(  # noqa: E731
        loss_at, r.values, dtypes, grads_by_leaf, first.loss, valid, first.loss_itemsize,
        seed=seed, random_only=only)
    points = measure(0, False)
    verdict = loss_check.check(points, r.values, grads_by_leaf, [True] * len(r.values),
                               [""] * len(r.values), first.loss_itemsize, (0.0, 0.0),
                               first.loss, r.n, r.K)
    if verdict.ok is False:  # to say how they differ: more steps
        points += measure(1, True) + measure(2, True)
    return points


@dataclass
class _Outcome:
    explanation: Explanation
    note: str | None = None  # exact under a convention expect= does not allow, said

    @property
    def rank_key(self) -> tuple:
        e = self.explanation
        return (not e.exact, len(e.made), e.share, e.rank)


def _explain(r: _Read, s: Settings, ctx: Context, user: list, tol: list[float],
             layout: list[bool], points: list, exhaustive: bool = False) -> tuple:
    """The explanation of the user's arrays under one layout: (outcome, fit, forward,
    the right program's filled store, layout)."""
    flat = [canonical_value(r, c, layout) for c in range(2 * r.L)]
    fwd = Forward(r.X, r.target, flat[0::2], flat[1::2], s.activation, s.output, s.loss,
                  s.slope)
    steps = program(r.L, s.activation)
    done = run(steps, store(fwd), ctx)
    grads = [None if g is None else _canonical_grad(g, c, r, layout) for c, g in
             enumerate(user)]
    conventions = candidates(s.loss, s.output, r.K, s.alpha)
    fit = Fit(r.canonical, grads, [a.ravel() for a in flat], tol, r.n, r.K, s.alpha,
              conventions)
    distance = _loss_distance(r, fit, done, points, layout)
    prefer = lambda row: (familiarity(conventions[row]), round(distance(row), 3), row)  # noqa
    rows = [k for k, c in enumerate(conventions) if allowed(c, s.expect, s.alpha)]
    search = Search(fit, steps, done, ctx, rows, prefer, exhaustive, s.smoothing)
    clean = search.clean()
    if clean is not None:
        return _Outcome(clean), fit, fwd, done, layout
    note = None
    if len(rows) < len(conventions):  # exact under a convention expect= does not allow?
        free = Search(fit, steps, done, ctx, list(range(len(conventions))), prefer).clean()
        if free is not None:
            theirs = objective(conventions[free.row], s.loss, s.output, r.K, s.alpha)
            note = (f"Every array is exact for {theirs}, but expect= pins "
                    f"{_pinned_words(s.expect)}: your gradient follows another convention "
                    "than the one you declared.")
    return _Outcome(search.explain(), note), fit, fwd, done, layout


def _pinned_words(pinned: dict) -> str:
    return ", ".join(f"{key}={value!r}" for key, value in pinned.items())


def _canonical_grad(g: np.ndarray, c: int, r: _Read, layout: list[bool]) -> np.ndarray:
    """The user's gradient of canonical array c, flat, in scikit-learn's layout."""
    shape = r.values[r.leaf_of[c]].shape
    if c % 2 == 0:
        shaped = g.reshape(shape)
        return (shaped.T if layout[c // 2] else shaped).ravel()
    return g.ravel()


def _loss_distance(r: _Read, fit: Fit, done: dict, points: list, layout: list[bool]
                   ) -> Callable[[int], float]:
    """How far each convention's gradient is from the changes of the user's own loss (0
    without a loss): the loss says which objective the user meant."""
    if not points:
        return lambda row: 0.0
    D0 = [done[f"{kind}{k}"].ravel() for k in range(1, r.L + 1) for kind in ("dW", "db")]
    steps = []
    for point in points:  # a step in the user's layout, as a step in scikit-learn's
        c = r.leaf_of.index(point.leaf)
        step = point.step.reshape(r.values[point.leaf].shape)
        if c % 2 == 0 and layout[c // 2]:
            step = step.T
        steps.append((c, step.ravel(), point.change))
    theirs = np.array([change for _, _, change in steps])
    cache: dict[int, float] = {}

    def distance(row: int) -> float:
        if row not in cache:
            ours = np.array([(fit.s[row] * D0[c] + fit._l2(row, c, None) * fit.theta[c])
                             @ step for c, step, _ in steps])
            cache[row] = relative_difference(ours, theirs)
        return cache[row]
    return distance


def _rows(r: _Read, fit: Fit, E: list[np.ndarray], layout: list[bool], tol: list[float]
          ) -> list[dict]:
    rows = []
    for c, (g, e) in enumerate(zip(fit.grads, E)):
        shape = r.values[r.leaf_of[c]].shape
        row = {"name": r.canonical[c], "shape": tuple(shape), "ok": False, "rel_error": None,
               "tolerance": tol[c], "worst_index": None, "yours": None, "reference": None}
        if g is not None:
            error = relative_difference(g, e)
            row["rel_error"] = error if math.isfinite(error) else None
            row["ok"] = error <= tol[c]
            flat = int(np.abs(g - e).argmax())
            row.update(worst_index=pair.user_index(flat, c, shape, layout),
                       yours=float(g[flat]), reference=float(e[flat]))
        rows.append(row)
    return rows


def _loss_verdict(r: _Read, first: object, user: list, points: list, fit: Fit,
                  e: Explanation, layout: list[bool], diagnosis: list[str],
                  rows: list[dict]) -> bool | None:
    """Your gradients against your loss's changes; sentences added to ``diagnosis``."""
    is_weight = [False] * len(r.values)
    leaf_names = [None] * len(r.values)
    for c, leaf in enumerate(r.leaf_of):
        is_weight[leaf] = c % 2 == 0
        leaf_names[leaf] = r.canonical[c]
    grads_by_leaf = [None] * len(r.values)
    for c, leaf in enumerate(r.leaf_of):
        if user[c] is not None and user[c].size == r.values[leaf].size:
            grads_by_leaf[leaf] = user[c].reshape(r.values[leaf].shape)
    l2w = fit.l2w[e.row] * _user_l2_multiple(e, fit)
    verdict = loss_check.check(points, r.values, grads_by_leaf, is_weight, leaf_names,
                               first.loss_itemsize, (l2w, fit.l2b[e.row]), first.loss, r.n,
                               r.K)
    all_right = all(row["ok"] for row in rows)
    if verdict.ok is False and all_right:
        diagnosis.append("Every array is exact for the objective described under "
                         "conventions, but together they are not the gradient of the loss "
                         "your function returns, so the verdict is NOT OK "
                         "(check_loss=False leaves your loss out of it):")
    if verdict.sentence and (all_right or verdict.ok is None or verdict.explained
                             or not math.isfinite(first.loss)):
        diagnosis.append(verdict.sentence)
    elif verdict.ok is False:
        diagnosis.append("The loss check fails too; mend the gradients above first.")
    return verdict.ok


def _user_l2_multiple(e: Explanation, fit: Fit) -> float:
    """The multiple of the convention's L2 coefficient the user's weight gradients carry (an
    L2 slip found in every weight: -1 for a wrong sign, 0 when missing, ...)."""
    for m in e.made:
        weights = [n for n in m.nodes if n.startswith("W")]
        if m.slip == "l2_factor" and m.value is not None and \
                len(weights) == sum(name[0] == "W" for name in fit.names):
            return m.value
    return 1.0


def _nodes(r: _Read, s: Settings, first: object, done: dict, fwd: Forward, ctx: Context,
           scale: float, tol: list[float], diagnosis: list[str]) -> tuple[list[dict], bool]:
    if not s.nodes:
        return [], False
    given = dict(first.intermediates)
    missing = [name for name in s.nodes if name not in given]
    if missing:
        diagnosis.append(f"nodes names {join(missing)}, but grad_fn did not hand "
                         f"{'it' if len(missing) == 1 else 'them'} over (return them in the "
                         "gradient dict, or as a last dict).")
    reference = reference_nodes(done, fwd.p, fwd.Y, s.output, s.loss, r.L, scale)
    rtol = s.rtol if s.rtol is not None else max(tol)
    results, sentence = check_nodes(given, s.nodes, reference, program(r.L, s.activation),
                                    done, ctx, scale, rtol)
    rows = []
    for name, node, result in results:
        rows.append({"name": name, "node": node, "shape": shape_of(given[name]),
                     "ok": result.ok, "verdict": result.verdict,
                     "rel_error": None if math.isinf(result.rel_error) else result.rel_error,
                     "tolerance": rtol, "worst_index": result.worst_index,
                     "yours": result.yours, "reference": result.reference})
    if sentence:
        diagnosis.append(sentence)
    extra = [k for k in first.intermediates if k not in s.nodes]
    if extra:
        diagnosis.append(f"grad_fn handed over {join(extra)}, which nodes does not map to a "
                         "node of the network.")
    return rows, bool(missing) or bool(extra)


def _carried(r: _Read, G: Leaves, pairing: object, user: list, first: Result,
             X_user: object) -> list[int]:
    """The bytes of precision each of your gradient arrays carries (8 where none is read).

    A float32 or float16 array carries its dtype's. A float64 array whose values are all
    float32 numbers carries float32's only with evidence that the computation ran in float32:
    the loss carries float32's, or the parameters or X do, or (with no loss returned) every
    gradient array whose values say anything does, and there are two or more. Without it
    the array is held to float64's tolerance, so rounding a wrong gradient to float32
    numbers cannot buy it float32's tolerance.
    """
    arrays = [to_numpy(G.values[pairing.pairs[leaf]]) if user[c] is not None else None
              for c, leaf in enumerate(r.leaf_of)]
    by_values = [carried(a) if a is not None else 8 for a in arrays]
    inputs = [to_numpy(v) for v in r.P.values]
    try:
        inputs.append(to_numpy(X_user))
    except Exception:  # noqa: BLE001 - X that is not an array says nothing
        pass
    evidence = first.loss_itemsize < 8 or any(
        a.dtype.kind == "f" and carried(a) < 8 for a in inputs)
    if first.loss is None:
        told = [said(a) for a in arrays if a is not None and said(a) is not None]
        evidence = evidence or (len(told) > 1 and all(b < 8 for b in told))
    return [b if a is None or a.dtype.itemsize < 8 or evidence else 8
            for a, b in zip(arrays, by_values)]


def _precision_notes(r: _Read, user: list, carried_by: list[int], loss_itemsize: int,
                     rtol: float | None = None) -> list[str]:
    """Notes on precision: gradients that carry less than float64, said with their arrays
    and the tolerance they are held to (``rtol`` where the caller gave one)."""
    low = [r.canonical[c] for c, (u, b) in enumerate(zip(user, carried_by))
           if u is not None and b < 8]
    notes = []
    if low:
        dtypes = {str(to_numpy(v).dtype) for v in r.P.values}
        float64 = dtypes == {"float64"}
        notes.append(f"Note: {join(low)} carr{'ies' if len(low) == 1 else 'y'} float32's "
                     "precision" + (" although your parameters are float64 (your function "
                                    "computes in float32)" if float64 else "")
                     + (f", so {'it is' if len(low) == 1 else 'they are'} held to float32's "
                        "tolerance (1e-3); the other arrays to their own." if rtol is None else
                        f"; every array is held to the rtol given ({rtol:.0e})."))
    if loss_itemsize == 4 and not low:
        notes.append("Note: your loss carries float32's precision (it was computed in "
                     "float32), so it is checked at float32's.")
    return notes


def _unusual_sentence(conv: object, n: int) -> str:
    """A convention that mixes two frameworks' choices: every array is exact for it, but it
    is not an objective anyone writes on purpose, so it is reported, not passed."""
    if conv.batch == "sum":
        return (f"Your gradient sums the data part over the batch but divides its L2 term by "
                f"the batch size n = {n}: the sum's data part with the mean's L2 term. Every "
                "array is exact for sum of the losses + alpha/(2n) sum W^2, which mixes the "
                "two conventions: divide the data part by n as well (the mean), or not the L2 "
                "term (the sum). If that objective is the one you mean, pass alpha/n as "
                "alpha.")
    return (f"Your gradient divides the L2 term by the batch size n = {n} (scikit-learn's "
            "choice) and penalises the biases too (torch's weight_decay, which does not "
            "divide by n): every array is exact for mean loss + alpha/(2n) (sum W^2 + sum "
            "b^2), which mixes the two. Drop the biases' L2 term, or do not divide it by n.")


__all__ = ["check_backprop", "assert_backprop", "BackpropReport", "problem_with"]
