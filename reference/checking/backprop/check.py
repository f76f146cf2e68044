"""``check_backprop``: hold *your* backward pass against the references, and name the bug.

You give your network's parameters as you keep them (a list ``[W1, b1, W2, b2]``, a dict
such as CS231n's ``net.params`` or a ``state_dict``, Nielsen's ``(biases, weights)``; NumPy
arrays or torch tensors; each W as (n_in, n_out) or (n_out, n_in), biases as (n,), (1, n) or
(n, 1)) and your function ``grad_fn(params, X, Y)``, which returns the gradients in any of
those forms, or ``(loss, gradients)``. The checker

1. finds the layers in your parameters and pairs your gradients with them (by name, by
   position or by shape), and names every array by your own name for it;
2. computes the right gradient itself (``variants``; verified on the spot against torch
   autograd, scikit-learn's own backprop where its conventions apply, and finite
   differences: ``references``);
3. finds the conventions under which yours is exact: the batch summed or averaged, the
   outputs summed or averaged, squared error with or without its 1/2, the L2 term's form,
   whether it is divided by the batch size, whether the biases are penalised
   (``conventions``, ``matching``);
4. where none fits, names the mistake: an inconsistency between arrays (a bias gradient
   summed while the weights are averaged, an L2 term with the wrong sign, an array off by a
   factor...) or one of the classic backprop mistakes recognised by its fingerprint
   (``variants.MISTAKES``), in one layer or in every layer; where nothing fits, it says
   where the error enters the backward pass (``words``);
5. when your function returns a loss, checks that your gradients are the gradient of *that*
   loss, at the loss's own precision (``loss``);
6. when you hand over the intermediate gradients of your backward pass (``nodes=``), says
   node by node which are right and names the first wrong step (``nodes``).

The headline is OK only when every array is right, your loss agrees with your gradients (or
you turned that check off), and nothing else is wrong: NaN, infinity, complex values, missing
or extra arrays, gradients that change between two calls, or a ``grad_fn`` that writes into
its arguments. Your arrays are never modified.
"""

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike
from threadpoolctl import threadpool_limits

from reference.checking.backprop import loss as loss_check
from reference.checking.backprop.calls import Result, call
from reference.checking.backprop.conventions import candidates, familiarity
from reference.checking.backprop.matching import (
    Match,
    Problem,
    alternatives,
    find_mistake,
    match,
    scaled_block,
    uniform_data_factor,
)
from reference.checking.backprop.nodes import Context, check_names, check_nodes
from reference.checking.backprop.references import self_check
from reference.checking.backprop.variants import data_gradient, forward
from reference.checking.backprop.words import (
    alternative_sentences,
    join,
    mistake_sentence,
    scaled_block_sentence,
    uniform_factor_sentence,
    where_it_starts,
)
from reference.checking.compare import problem_with, relative_difference
from reference.checking.structures import Arrangement, Leaves, arrange, leaves, shape_of, to_numpy
from reference.checking.structures import match as pair
from scratch.layers.activations import ACTIVATIONS

OUTPUTS = ("softmax", "logistic", "identity")
LOSSES = ("cross_entropy", "squared_error")
RTOL = {8: 1e-6, 4: 1e-3, 2: 5e-2}  # by the bytes of the network's floats


@dataclass
class BackpropReport:
    """The verdict of ``check_backprop``.

    ``ok``: every gradient array is exact (within ``tolerance``) under the detected
    conventions, your loss agrees with it, and nothing else is wrong (see ``diagnosis``).
    ``conventions``: the detected conventions, in words. ``params``: one row per array, in
    the network's order from the input, named as you name them (``name``, ``shape``, ``ok``,
    ``rel_error``: the largest |yours - reference| over the largest magnitude, and
    ``worst_index`` with ``yours`` and ``reference``, the values there). ``diagnosis``:
    sentences naming what is wrong and where. ``loss_ok``: whether your gradients are the
    gradient of the loss your function returns (None if it returns none, or it could not be
    checked). ``reading``: how your arrays were read. ``nodes``: one row per intermediate
    gradient you handed over. ``references``: how closely the checker's own reference agrees
    with torch autograd, scikit-learn's backprop and finite differences.
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

    def __str__(self) -> str:
        lines = [f"check_backprop: {'OK' if self.ok else 'NOT OK'}",
                 f"precision: {self.precision}, an array is right when its relative error is "
                 f"at most {self.tolerance:.0e}"]
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


# --- the arguments ------------------------------------------------------------------------------

def _number(name: str, value: object, low: float = 0.0, low_open: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a number, got {type(value).__name__}.")
    value = float(value)
    if not math.isfinite(value) or value < low or (low_open and value == low):
        raise ValueError(f"{name} must be a finite number {'>' if low_open else '>='} {low:g}, "
                         f"got {value}.")
    return value


def _validate(grad_fn: object, activation: str, output: str, loss: str, alpha: object,
              rtol: object, negative_slope: object, nodes: object, check_loss: object
              ) -> tuple[float, float | None, float]:
    if not callable(grad_fn):
        raise TypeError(f"grad_fn must be a function grad_fn(params, X, Y), got "
                        f"{type(grad_fn).__name__}.")
    if not isinstance(activation, str) or activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, got {activation!r}.")
    if not (isinstance(output, str) and isinstance(loss, str)) or output not in OUTPUTS or \
            loss not in LOSSES or (output, loss) == ("identity", "cross_entropy"):
        raise ValueError(f"output must be one of {OUTPUTS} and loss one of {LOSSES} (not "
                         f"identity with cross_entropy), got {output!r}, {loss!r}.")
    alpha = _number("alpha", alpha)
    rtol = None if rtol is None else _number("rtol", rtol, low_open=True)
    slope = _number("negative_slope", negative_slope)
    if nodes is not None and not (isinstance(nodes, Mapping) and all(
            isinstance(k, str) and isinstance(v, str) for k, v in nodes.items())):
        raise TypeError("nodes must be a dict from your names to the network's nodes, e.g. "
                        "{'dscores': 'z2', 'dhidden': 'z1'}.")
    if not isinstance(check_loss, bool):
        raise TypeError(f"check_loss must be True or False, got {check_loss!r}.")
    return alpha, rtol, slope


def _array(name: str, value: object) -> np.ndarray:
    """``value`` as a float64 array of finite numbers, or the error naming it."""
    problem = problem_with(value)
    if problem is not None:
        raise (TypeError if "NaN" not in problem and "infinity" not in problem
               else ValueError)(f"{name} cannot be checked: {problem}.")
    return to_numpy(value).astype(np.float64)


def _targets(Y: np.ndarray, output: str, n_outputs: int, n: int) -> np.ndarray:
    """Y as the network's target matrix (n_samples, n_outputs)."""
    if Y.ndim == 0 or Y.shape[0] != n:
        raise ValueError(f"Y has {Y.shape[0] if Y.ndim else 'no'} rows but X has {n} samples: "
                         "give one target (a label or a row) per sample.")
    if Y.ndim == 2 and Y.shape[1] == n_outputs:
        return Y
    if Y.ndim == 1 or (Y.ndim == 2 and Y.shape[1] == 1):
        y = Y.ravel()
        if output == "identity" or (output == "logistic" and n_outputs == 1):
            return y.reshape(-1, 1)
        labels = y.astype(int)
        if labels.min() < 0 or labels.max() >= n_outputs or not np.array_equal(labels, y):
            raise ValueError(f"Y holds labels {np.unique(y)[:10]}, but the network has "
                             f"{n_outputs} outputs: give labels 0..K-1 or a one-hot matrix.")
        return np.eye(n_outputs)[labels]
    raise ValueError(f"Y has shape {Y.shape}; the network has {n_outputs} outputs: give "
                     f"labels (n_samples,) or targets (n_samples, {n_outputs}).")


# --- names --------------------------------------------------------------------------------------

def _display_names(P: Leaves, arrangement: Arrangement, grads: Leaves | None) -> list[str]:
    """The user's name for each canonical array (W0, b0, W1, ...): their dict keys; for
    Nielsen's (biases, weights), "biases[0]", "weights[0]"; for a list, a gradient dict's
    keys where it gives them; else W0, b0, ..."""
    order = arrangement.order
    L = len(order) // 2
    if P.kind == "dict" or (P.kind == "nested" and P.named and not P.names[0].startswith(
            "params[")):
        return [P.names[k] for k in order]
    if P.kind == "nested" and arrangement.how.startswith(("all biases", "all weights")):
        return [f"{'weights' if j % 2 == 0 else 'biases'}[{j // 2}]" for j in range(2 * L)]
    if grads is not None and grads.kind == "dict" and len(grads.names) == len(order):
        from reference.checking.structures import _bare

        names = [_bare(grads.names[k]) for k in order]
        weight, bias = re.compile(r"(?i)(w|weight|coef|kernel)"), re.compile(r"(?i)(b|bias)")
        roles_agree = not any((bias if j % 2 == 0 else weight).match(name) and not
                              (weight if j % 2 == 0 else bias).match(name)
                              for j, name in enumerate(names))  # no "b2" for a weight
        if len(set(names)) == len(names) and roles_agree:
            return names
    return [f"{kind}{i}" for i in range(L) for kind in ("W", "b")]


def _rename(text: str, names: list[str], canonical: list[str]) -> str:
    import re

    table = dict(zip(canonical, names))
    return re.sub(r"\b([Wb]\d+)\b", lambda m: table.get(m.group(1), m.group(1)), text)


# --- the checker ---------------------------------------------------------------------------------

def check_backprop(grad_fn: Callable, params: Sequence[ArrayLike] | Mapping[str, ArrayLike],
                   X: ArrayLike, Y: ArrayLike, *, activation: str = "logistic",
                   output: str = "softmax", loss: str = "cross_entropy", alpha: float = 0.0,
                   rtol: float | None = None, negative_slope: float = 0.01,
                   nodes: Mapping[str, str] | None = None, check_loss: bool = True
                   ) -> BackpropReport:
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
        precision of your parameters' floats (1e-6 for float64, 1e-3 for float32).
    nodes : {your name: node} for intermediate gradients your ``grad_fn`` hands over (in
        its gradient dict, or as a last returned dict); nodes are "p", "z<L>", "h<k>",
        "z<k>", "x" (``reference.NODES``).
    check_loss : False to leave your loss out of the verdict.

    Example
    -------
    >>> report = check_backprop(my_gradients, [W0, b0, W1, b1], X, y, activation="tanh")
    >>> print(report)  # doctest: +SKIP
    """
    alpha, rtol, slope = _validate(grad_fn, activation, output, loss, alpha, rtol,
                                   negative_slope, nodes, check_loss)
    with threadpool_limits(limits=1, user_api="blas"):  # many small products: one thread is
        return _check(grad_fn, params, X, Y, activation, output, loss, alpha, rtol, slope,
                      dict(nodes or {}), check_loss)  # fastest, and never waits for a core


def assert_backprop(grad_fn: Callable, params: Sequence[ArrayLike] | Mapping[str, ArrayLike],
                    X: ArrayLike, Y: ArrayLike, **kwargs: object) -> BackpropReport:
    """``check_backprop`` for your own tests: raises ``AssertionError(str(report))`` unless
    the report is ok; returns the report otherwise."""
    report = check_backprop(grad_fn, params, X, Y, **kwargs)
    if not report.ok:
        raise AssertionError(str(report))
    return report


def _check(grad_fn: Callable, params: object, X_user: object, Y_user: object, activation: str,
           output: str, loss: str, alpha: float, rtol: float | None, slope: float,
           nodes: dict[str, str], check_loss: bool) -> BackpropReport:
    X = _array("X", X_user)
    if X.ndim != 2 or X.shape[0] == 0 or X.shape[1] == 0:
        raise ValueError(f"X must be (n_samples, n_features) with at least one of each, got "
                         f"shape {X.shape}.")
    P = leaves(params, "params")
    values = [_array(f"params[{name!r}]" if name else f"params[{k}]", v)
              for k, (name, v) in enumerate(zip(P.names, P.values))]
    floats = [to_numpy(v).dtype for v in P.values if to_numpy(v).dtype.kind == "f"]
    itemsize = min((d.itemsize for d in floats), default=8)
    precision = {2: "float16", 4: "float32"}.get(itemsize, "float64")
    rtol = RTOL.get(itemsize, 1e-6) if rtol is None else rtol
    arrangement = arrange(P.names, [v.shape for v in values], X.shape[1], X.shape[0])
    if arrangement.x_transposed:
        X = X.T
    n, L = X.shape[0], len(arrangement.order) // 2
    canonical = [f"{kind}{i}" for i in range(L) for kind in ("W", "b")]
    leaf_of = arrangement.order  # canonical index -> leaf index
    K = values[leaf_of[-1]].size
    Y = _array("Y", Y_user)
    if arrangement.x_transposed and Y.ndim == 2 and Y.shape == (K, n) and K != n:
        Y = Y.T
    target = _targets(Y, output, K, n)
    check_names(nodes, L)

    first = call(grad_fn, P, X_user, Y_user, set(nodes))
    second = call(grad_fn, P, X_user, Y_user, set(nodes))
    G = first.grads
    shapes_g = [shape_of(v) for v in G.values]
    pairing = pair(P, G, [v.shape for v in values], shapes_g)
    names = _display_names(P, arrangement, G)
    diagnosis, reading = [], _reading(P, arrangement, pairing, names, X_user)
    problems = _array_problems(canonical, leaf_of, pairing, G, values, n, diagnosis)
    if pairing.extra:
        extra = [G.names[j] or f"number {j + 1}" for j in pairing.extra]
        diagnosis.append(f"grad_fn returned {len(pairing.extra)} array(s) more than there are "
                         f"parameters ({', '.join(map(str, extra))}): one gradient per "
                         "parameter, nothing else" + (" (intermediate gradients go in nodes=)"
                                                      if G.named else "") + ".")
    misordered = pairing.reordered and P.kind in ("list", "tuple") and \
        G.kind in ("list", "tuple")
    if misordered:
        given_order = [canonical[leaf_of.index(k)] for k in sorted(
            range(len(leaf_of)), key=lambda k: pairing.pairs[k]
            if pairing.pairs[k] is not None else len(leaf_of))]
        diagnosis.append(f"grad_fn returns the gradients in another order than params "
                         f"({', '.join(given_order)} for {', '.join(canonical)}): each was "
                         "checked against its own parameter (paired by shape), but code that "
                         "pairs them by position (for p, g in zip(params, grads)) updates the "
                         "wrong arrays.")
    diagnosis += _duplicates(canonical, leaf_of, pairing, G)
    changed = [canonical[c] for c, leaf in enumerate(leaf_of)
               if pairing.pairs[leaf] is not None and not _same_values(
                   G.values[pairing.pairs[leaf]], second.grads.values[pairing.pairs[leaf]]
                   if pairing.pairs[leaf] < len(second.grads.values) else None)]
    if changed:
        diagnosis.append(f"grad_fn returned different gradients for the same inputs on a "
                         f"second call ({join(changed)}): are gradients accumulated across "
                         "calls without being reset to zero?")
    wrote = _wrote(first, canonical, leaf_of)
    if wrote:
        diagnosis.append(f"grad_fn wrote into its arguments: {join(wrote)} changed during the "
                         "call. A gradient function must leave its inputs alone (work on "
                         "copies); yours were not touched, since the checker passed copies.")

    user = [None if problems[c] else to_numpy(G.values[pairing.pairs[leaf]]).astype(np.float64)
            for c, leaf in enumerate(leaf_of)]

    def canonical_params(layout: list[bool], moved: dict[int, np.ndarray] | None = None
                         ) -> list[np.ndarray]:
        """[W0, b0, ...] in scikit-learn's layout (W (n_in, n_out), b flat), float64."""
        out = []
        for c, leaf in enumerate(leaf_of):
            a = (moved or {}).get(leaf, values[leaf])
            out.append((a.T if layout[c // 2] else a) if c % 2 == 0 else a.reshape(-1))
        return out

    layouts = [arrangement.transposed] if not arrangement.ambiguous else \
        [[False] * L, [True] * L]
    base_pattern = _pattern(canonical_params(layouts[0]), X, activation, slope)

    def unkinked(flat: list[np.ndarray]) -> bool:
        return _pattern(flat, X, activation, slope) == base_pattern

    points = []
    if first.loss is not None and check_loss and math.isfinite(first.loss) and itemsize >= 4:
        def loss_at(leaf: int, moved: np.ndarray) -> float:
            new = list(values)
            new[leaf] = moved
            result = call(grad_fn, P, X_user, Y_user, set(nodes), values=new, watch=False)
            return math.nan if result.loss is None else result.loss

        grads_by_leaf = [None] * len(values)
        for c, leaf in enumerate(leaf_of):
            if user[c] is not None:
                grads_by_leaf[leaf] = user[c].reshape(values[leaf].shape) \
                    if user[c].size == values[leaf].size else None
        dtypes = [to_numpy(v).dtype if to_numpy(v).dtype.kind == "f" else np.dtype(np.float64)
                  for v in P.values]

        def measure(seed: int, random_only: bool = False) -> list:
            return loss_check.measure(
                loss_at, values, dtypes, grads_by_leaf, first.loss,
                lambda leaf, moved: leaf in leaf_of[-2:]  # the output layer moves no kink
                or unkinked(canonical_params(layouts[0], {leaf: moved})),
                itemsize, seed=seed, random_only=random_only)

        points = measure(0)
        if loss_check.check(points, values, grads_by_leaf, [True] * len(values),
                            [""] * len(values), itemsize, (0.0, 0.0), first.loss, n, K
                            ).ok is False:  # to say how they differ: more steps
            points += measure(1, random_only=True) + measure(2, random_only=True)

    best = None
    for layout in layouts:
        problem = _problem(canonical, user, canonical_params(layout), layout, leaf_of, values,
                           n, K, alpha, loss, output, points)
        D = [a.ravel() for a in data_gradient(problem.coefs, problem.intercepts, X, target,
                                              activation, output, loss, slope)]
        found = match(problem, D, rtol)
        if best is None or found.score < best[1].score:
            best = (layout, found, problem, D)
    layout, found, problem, D = best
    if any(label is None for label in found.labels):
        mistake = find_mistake(problem, X, target, activation, output, loss, slope, rtol, D)
        if mistake is not None:
            found = mistake
    conv = found.conv
    E = problem.expected(D, conv)
    rows = _rows(canonical, names, problem, E, leaf_of, values, layout, rtol)
    if found.mistake is not None:
        diagnosis.append(mistake_sentence(problem, found, X, target, activation, output, loss,
                                          slope, rtol, D))
    elif (block := scaled_block(problem, found)) is not None:
        diagnosis.append(scaled_block_sentence(problem, *block))
    elif not all(label == "ok" for label in found.labels) and (
            s := uniform_data_factor(problem, D, conv, rtol)) is not None and not all(
            label == found.labels[0] and label in ("sign", "times_n", "over_n")
            for label in found.labels):
        diagnosis.append(uniform_factor_sentence(problem, s, alpha))
    else:
        diagnosis += alternative_sentences(problem, found)
        copies = {sentence.split("'")[0] for sentence in _duplicates(canonical, leaf_of,
                                                                      pairing, G)}
        if any(label is None and g is not None and name not in copies for name, label, g in
               zip(canonical, found.labels, problem.grads)):
            diagnosis.append(where_it_starts(problem, found, activation, output, loss))
    unusual = all(r["ok"] for r in rows) and bool(familiarity(conv)) and alpha > 0
    if unusual:
        diagnosis.append(_unusual_sentence(conv, n))
    low = sorted({str(to_numpy(G.values[j]).dtype) for j in pairing.pairs if j is not None
                  and problem_with(G.values[j]) is None
                  and to_numpy(G.values[j]).dtype.kind == "f"
                  and to_numpy(G.values[j]).dtype.itemsize < itemsize})
    if low:
        diagnosis.append(f"Note: your gradients are {' and '.join(low)} while your parameters "
                         f"are {precision}: they carry only {low[0]}'s precision (about "
                         f"{np.finfo(low[0]).eps:.0e}).")
    known = any(r["ok"] for r in rows) or found.explained or found.mistake is not None
    conventions = {"layout": _layout_words(layout[0], arrangement.ambiguous)}
    if known:
        conventions.update(conv.words(loss, output, n, K, alpha))

    loss_ok = None
    if first.loss is not None and check_loss:
        is_weight = [False] * len(values)
        for c, leaf in enumerate(leaf_of):
            is_weight[leaf] = c % 2 == 0
        leaf_names = [None] * len(values)
        for c, leaf in enumerate(leaf_of):
            leaf_names[leaf] = canonical[c]
        verdict = loss_check.check(
            points, values, [None if u is None or u.size != values[leaf_of[c]].size else
                             u.reshape(values[leaf_of[c]].shape) for c, u in
                             _by_leaf(user, leaf_of, len(values))], is_weight, leaf_names,
            itemsize, (_user_l2_gradient(problem, found, conv.l2(n) * alpha),
                       conv.l2(n) * alpha if conv.biases else 0.0), first.loss, n, K)
        loss_ok = verdict.ok
        if verdict.ok is False and all(r["ok"] for r in rows):
            diagnosis.append("Every array is exact for the objective described under "
                             "conventions, but together they are not the gradient of the loss "
                             "your function returns, so the verdict is NOT OK "
                             "(check_loss=False leaves your loss out of it):")
        if verdict.sentence and (all(r["ok"] for r in rows) or verdict.ok is None
                                 or verdict.explained or not math.isfinite(first.loss)):
            diagnosis.append(verdict.sentence)  # (a wrong gradient is not the loss's: said)
        elif verdict.ok is False:
            diagnosis.append("The loss check fails too; mend the gradients above first.")

    node_rows = []
    if nodes:
        given = {**first.intermediates}
        missing = [name for name in nodes if name not in given]
        if missing:
            diagnosis.append(f"nodes names {join(missing)}, but grad_fn did not hand "
                             f"{'it' if len(missing) == 1 else 'them'} over (return them in "
                             "the gradient dict, or as a last dict).")
        zs, _, p_out = forward(problem.coefs, problem.intercepts, X, activation, output, slope)
        record: dict[str, np.ndarray] = {}
        data_gradient(problem.coefs, problem.intercepts, X, target, activation, output, loss,
                      slope, record=record)
        scale = conv.scale(n, K)
        reference = {node: scale * value for node, value in record.items()}
        node_results, sentence = check_nodes(
            given, nodes, reference, Context(problem.coefs, zs, p_out, target, activation,
                                             output, loss, slope, scale), rtol)
        for name, node, result in node_results:
            node_rows.append({"name": name, "node": node, "shape": shape_of(given[name]),
                              "ok": result.ok, "verdict": result.verdict,
                              "rel_error": None if math.isinf(result.rel_error)
                              else result.rel_error, "worst_index": result.worst_index,
                              "yours": result.yours, "reference": result.reference})
        if sentence:
            diagnosis.append(sentence)
        extra_nodes = [k for k in first.intermediates if k not in nodes]
        if extra_nodes:
            diagnosis.append(f"grad_fn handed over {join(extra_nodes)}, which nodes does not "
                             "map to a node of the network.")
        missing_nodes = bool(missing) or bool(extra_nodes)
    else:
        missing_nodes = False

    references = self_check(problem, X, target, conv, E, activation, output, loss, slope,
                            lambda flat: unkinked(flat))
    ok = (all(r["ok"] for r in rows) and not changed and not wrote and not pairing.extra
          and not misordered and not _duplicates(canonical, leaf_of, pairing, G)
          and not unusual
          and loss_ok is not False and all(r["ok"] for r in node_rows) and not missing_nodes)
    rename = lambda text: _rename(text, names, canonical)  # noqa: E731
    for row in rows:
        row["name"] = rename(row["name"])
    return BackpropReport(bool(ok), conventions, rows, [rename(s) for s in diagnosis],
                          loss_ok, references, rtol, precision, reading, node_rows)


# --- helpers of the checker ----------------------------------------------------------------------

def _same_values(a: object, b: object) -> bool:
    if b is None:
        return False
    try:
        x, y = to_numpy(a), to_numpy(b)
    except Exception:  # noqa: BLE001
        return False
    return x.shape == y.shape and np.array_equal(x, y, equal_nan=True)


def _by_leaf(user: list, leaf_of: list[int], count: int) -> list[tuple[int, np.ndarray | None]]:
    """(canonical index, the user's gradient) in leaf order."""
    out = [(0, None)] * count
    for c, leaf in enumerate(leaf_of):
        out[leaf] = (c, user[c])
    return out


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


def _duplicates(canonical: list[str], leaf_of: list[int], pairing: object, G: Leaves
                ) -> list[str]:
    """Sentences for gradients returned with exactly another parameter's values."""
    seen: dict[bytes, str] = {}
    sentences = []
    for c, leaf in enumerate(leaf_of):
        j = pairing.pairs[leaf]
        if j is None or problem_with(G.values[j]) is not None:
            continue
        array = to_numpy(G.values[j])
        if array.size < 2 or not array.any():
            continue
        key = array.shape.__repr__().encode() + np.ascontiguousarray(array).tobytes()
        if key in seen:
            sentences.append(f"{canonical[c]}'s gradient holds exactly the values of "
                             f"{seen[key]}'s: the same array returned for two parameters.")
        else:
            seen[key] = canonical[c]
    return sentences


def _wrote(result: Result, canonical: list[str], leaf_of: list[int]) -> list[str]:
    params = [canonical[leaf_of.index(k)] for k in result.wrote_params]
    return params + result.wrote_inputs


def _reading(P: Leaves, arrangement: Arrangement, pairing: object, names: list[str],
             X_user: object) -> list[str]:
    """How the arrays were read, in sentences (the report's "read as")."""
    sentences = [f"params: {join(names)}, the layers found {arrangement.how}"]
    order_words = " (in another order than your parameters)" if pairing.reordered else ""
    sentences.append(f"gradients: paired with the parameters {pairing.how}{order_words}")
    if arrangement.x_transposed:
        sentences.append("X: its samples are columns (n_features, n_samples); checked as such")
    return sentences


def _array_problems(canonical: list[str], leaf_of: list[int], pairing: object, G: Leaves,
                    values: list[np.ndarray], n: int, diagnosis: list[str]) -> list[str | None]:
    """Per canonical array, why its gradient cannot be compared (missing, not finite, the
    wrong shape), each said in ``diagnosis``; None where it can."""
    problems = []
    for c, leaf in enumerate(leaf_of):
        name, j = canonical[c], pairing.pairs[leaf]
        if j is None:
            text = f"{name}: grad_fn returned no gradient for it"
        else:
            text = problem_with(G.values[j])
            text = f"{name}'s gradient is not usable: {text}" if text else \
                _shape_problem(name, to_numpy(G.values[j]).shape, values[leaf].shape, n)
        problems.append(text)
        if text:
            diagnosis.append(text + ("" if text.endswith(".") else "."))
    return problems


def _shape_problem(name: str, shape: tuple[int, ...], param: tuple[int, ...], n: int
                   ) -> str | None:
    size = int(np.prod(param))
    if tuple(shape) == tuple(param) or (name[0] == "b" and int(np.prod(shape)) == size
                                         and len(shape) <= 2 and 1 in tuple(shape) + (1,)):
        return None
    if tuple(shape) == tuple(param)[::-1]:
        return (f"{name}'s gradient has shape {shape} but {name} is {param}: it is transposed "
                "(delta^T X instead of X^T delta, or the other layout's formula)")
    if int(np.prod(shape)) == 1 and size > 1:
        return (f"{name}'s gradient is a single number {tuple(shape)} but {name} is {param}: "
                "the sum ran over every axis (sum over the samples only: axis=0)")
    if name[0] == "b" and tuple(shape)[:1] == (n,):
        return (f"{name}'s gradient has one row per sample {shape}: the bias gradient is not "
                "summed over the batch")
    return f"{name}'s gradient has shape {shape}, but {name} is {param}"


def _layout_words(transposed: bool, ambiguous: bool) -> str:
    words = ("(n_out, n_in) per W, torch.nn.Linear's layout (z = x W^T + b)" if transposed
             else "(n_in, n_out) per W, the textbook's and scikit-learn's layout (z = x W + b)")
    if ambiguous:
        words += "; every W is square, so both layouts were tried and this one fits"
    return words


def _problem(canonical: list[str], user: list, flat: list[np.ndarray], layout: list[bool],
             leaf_of: list[int], values: list[np.ndarray], n: int, K: int, alpha: float,
             loss: str, output: str, points: list) -> Problem:
    grads = []
    for c, g in enumerate(user):
        if g is None:
            grads.append(None)
        elif c % 2 == 0:
            shaped = g.reshape(values[leaf_of[c]].shape)
            grads.append((shaped.T if layout[c // 2] else shaped).ravel())
        else:
            grads.append(g.ravel())
    loss_points = []
    for point in points:  # a step in the user's layout, as a step in scikit-learn's
        c = leaf_of.index(point.leaf)
        step = point.step.reshape(values[point.leaf].shape)
        if c % 2 == 0 and layout[c // 2]:
            step = step.T
        loss_points.append((c, step.ravel(), point.change))
    return Problem(canonical, grads, [a.ravel() for a in flat], flat[0::2],
                   [b.ravel() for b in flat[1::2]], n, K, alpha,
                   candidates(loss, output, K, alpha), loss_points)


def _rows(canonical: list[str], names: list[str], p: Problem, E: list[np.ndarray],
          leaf_of: list[int], values: list[np.ndarray], layout: list[bool], rtol: float
          ) -> list[dict]:
    rows = []
    for c, (g, e) in enumerate(zip(p.grads, E)):
        shape = values[leaf_of[c]].shape
        row = {"name": canonical[c], "shape": tuple(shape), "ok": False, "rel_error": None,
               "worst_index": None, "yours": None, "reference": None}
        if g is not None:
            error = relative_difference(g, e)
            row["rel_error"] = error if math.isfinite(error) else None
            row["ok"] = error <= rtol
            flat = int(np.abs(g - e).argmax())
            index = _user_index(flat, c, shape, layout)
            row.update(worst_index=index, yours=float(g[flat]), reference=float(e[flat]))
        rows.append(row)
    return rows


def _user_index(flat: int, c: int, shape: tuple[int, ...], layout: list[bool]
                ) -> tuple[int, ...]:
    """A flat index in scikit-learn's layout, as an index into the user's own array."""
    if c % 2 == 0:
        n_in, n_out = (shape[1], shape[0]) if layout[c // 2] else shape
        i, j = divmod(flat, n_out)
        return (j, i) if layout[c // 2] else (i, j)
    return tuple(int(i) for i in np.unravel_index(flat, shape))


def _user_l2_gradient(p: Problem, found: Match, expected: float) -> float:
    """The L2 coefficient the user's weight gradients carry: the convention's (``expected``),
    times the factor of an L2 mistake found in every weight array (-1 for a wrong sign...)."""
    factors = {label: l2 for label, scale, l2, _ in alternatives(p, found.conv, "W0")
               if scale == 1.0 and label.startswith("l2_")}
    labels = {label for name, label in zip(p.names, found.labels) if name[0] == "W"}
    if len(labels) == 1 and (label := labels.pop()) in factors:
        return expected * factors[label]
    return expected


def _pattern(flat: list[np.ndarray], X: np.ndarray, activation: str, slope: float) -> bytes:
    """Which hidden units are positive, for the kinked activations (b'' for the smooth)."""
    if activation not in ("relu", "leaky_relu"):
        return b""
    zs, _, _ = forward(flat[0::2], [b.ravel() for b in flat[1::2]], X, activation, "identity",
                       slope)
    return b"".join(np.packbits(z > 0).tobytes() for z in zs[:-1])

