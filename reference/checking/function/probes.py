"""The probes gradcheck does not make: each a small function, each a line of the report, each
able to make it NOT OK (``PROBES``, in the report's order).

- ``twice``: backward called again on the same graph, and after a fresh forward, gives the
  same gradient (not: accumulated into a buffer, or drawn at random);
- ``noncontiguous``: a non-contiguous grad_output (a transposed or strided view) gives the
  gradient a contiguous copy gives (not: its memory read as if contiguous);
- ``zero``: a zero grad_output gives zero gradients (no term added that does not depend on
  it);
- ``scaled``: grad_output times 3 gives the gradient times 3 (it is multiplied by
  grad_output, once);
- ``shapes``, ``dtypes``, ``count``: what each custom Function's backward returns, raw,
  before autograd sums, casts or checks it: a gradient of its input's shape (a broadcast
  input's too), dtype and device; one per forward input, None for each non-tensor;
- ``writes``: the forward writes into no input unless it says so (``mark_dirty``), the
  backward into neither grad_output nor the inputs;
- ``saved``: no tensor saved for backward is changed in place before backward reads it.

Each returns a ``Finding``: its verdict (None: it does not apply), its sentence, the inputs
it spoils (with the values it saw, for their rows) and what it names.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch

from reference.checking.compare import relative_difference
from reference.checking.function.calls import Backward, Caller, Graph, numpy
from reference.checking.function.read import Target
from reference.checking.function.spy import Call, Spy, changed_after_save


@dataclass
class Context:
    """What the probes read: the target, the caller (the inputs' own dtypes), the upstream
    gradients used, the first call (its graph, its backward, its spy), each input's
    tolerance, and the custom Function classes in the graph."""

    found: Target
    caller: Caller
    upstream: list[torch.Tensor]
    graph: Graph
    first: Backward
    spy: Spy
    tolerance: list[float]
    classes: list[type]
    changing: bool = False  # the backward changes between calls: value probes not judged

    @property
    def names(self) -> list[str]:
        return [s.name for s in self.found.slots]

    def run(self, upstream: list[torch.Tensor]) -> tuple[Backward, Spy]:
        """A fresh forward and a backward with ``upstream``, spied on."""
        with Spy(self.classes) as spy:
            graph = self.caller.graph()
            done = self.caller.backward(graph, upstream)
        return done, spy


@dataclass
class Finding:
    """One probe's outcome: ``ok`` (None: not applicable), ``text`` (a sentence), the inputs
    it spoils (index -> (what was seen, what was expected), or None where no values are
    compared), and the mistakes it names."""

    id: str
    title: str
    ok: bool | None
    text: str = ""
    spoils: dict[int, tuple[np.ndarray, np.ndarray] | None] = field(default_factory=dict)
    named: list[dict] = field(default_factory=list)


def _grads(done: Backward) -> list[np.ndarray | None]:
    return [None if g is None else numpy(g) for g in done.grads]


def _join(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _differ(a: np.ndarray | None, b: np.ndarray | None, tol: float) -> bool:
    if a is None or b is None:
        return (a is None) != (b is None) and not np.all((a if b is None else b) == 0)
    return a.shape != b.shape or relative_difference(a, b) > tol


def _zeros_like_none(values: list, shapes: list) -> list[np.ndarray]:
    return [np.zeros(s) if v is None else v for v, s in zip(values, shapes)]


# --- the probes ----------------------------------------------------------------------------

def twice(ctx: Context) -> Finding:
    title = "backward called twice gives the same gradient"
    first = _grads(ctx.first)
    if ctx.first.error:
        return Finding("twice", title, None, "not judged: backward raised on the first call")
    again = ctx.caller.backward(ctx.graph, ctx.upstream)
    fresh, _ = ctx.run(ctx.upstream)
    everything = dict.fromkeys(range(len(first)))
    for done, when in ((again, "called a second time on the same graph"),
                       (fresh, "called after a second forward")):
        if done.error:
            ctx.changing = True
            if "modified by an inplace operation" in done.error:
                text = (f"backward changes a tensor saved for backward in place: {when}, it "
                        f"raises {done.error}")
                slip = "in-place change to a saved tensor"
            else:
                text = (f"backward raised when {when}: {done.error} (it is not reentrant: "
                        "it frees or changes what it saved)")
                slip = "not reentrant"
            return Finding("twice", title, False, text, everything,
                           [{"slip": slip, "where": ctx.names, "text": text + "."}])
    second, third = _grads(again), _grads(fresh)
    floor = [t / 100 for t in ctx.tolerance]
    changed = [k for k in range(len(first)) if _differ(first[k], second[k], floor[k]) or
               _differ(first[k], third[k], floor[k])]
    if not changed:
        return Finding("twice", title, True)
    ctx.changing = True
    shapes = [tuple(s.value.shape) for s in ctx.found.slots]
    a, b, c = (_zeros_like_none(v, shapes) for v in (first, second, third))
    growing = all(a[k].shape == b[k].shape == c[k].shape and (
        relative_difference(b[k] - a[k], a[k]) <= 1e-6 or
        relative_difference(b[k] - a[k], c[k] - b[k]) <= 1e-6) for k in changed)
    who = _join([ctx.names[k] for k in changed])
    if growing:
        text = (f"{who}: backward returns a different gradient each time it is called "
                "(each call adds to the last: it accumulates into a buffer it never resets, "
                "where it should return a fresh gradient)")
        slip = "accumulates across calls"
    else:
        text = (f"{who}: backward returns a different gradient each time it is called, "
                "with no pattern: it is nondeterministic (it draws random numbers, or reads "
                "something that changes)")
        slip = "nondeterministic"
    spoils = {k: (b[k], a[k]) for k in changed}
    return Finding("twice", title, False, text, spoils,
                   [{"slip": slip, "where": [ctx.names[k] for k in changed],
                     "text": text + "."}])


def _strided(g: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor] | None:
    """A non-contiguous tensor equal to g, and g's values as a backward that reads its
    memory in order (ignoring its strides) would see them; None for a 0-d or 1-entry g."""
    if g.numel() < 2:
        return None
    if g.dim() >= 2:
        order = tuple(range(g.dim() - 1, -1, -1))
        base = g.permute(order).contiguous()
        view = base.permute(order)
        return view, base.reshape(g.shape)
    base = torch.zeros(2 * g.numel(), dtype=g.dtype)
    base[::2] = g
    return base[::2], base[: g.numel()].clone()


def noncontiguous(ctx: Context) -> Finding:
    title = "a non-contiguous grad_output gives the same gradient as a contiguous one"
    made = [_strided(g) for g in ctx.upstream]
    if all(m is None for m in made) or ctx.first.error:
        return Finding("noncontiguous", title, None, "not applicable: every output is a "
                       "single number" if not ctx.first.error else "not judged")
    views = [g if m is None else m[0] for g, m in zip(ctx.upstream, made)]
    done, _ = ctx.run(views)
    if done.error:
        text = (f"backward raised on a non-contiguous grad_output: {done.error} (use "
                ".reshape or .contiguous() where it calls .view)")
        return Finding("noncontiguous", title, False, text,
                       named=[{"slip": "non-contiguous grad_output", "where": ctx.names,
                               "text": text + "."}])
    if ctx.changing:
        return Finding("noncontiguous", title, None, "not judged: backward changes between "
                       "calls")
    first, seen = _grads(ctx.first), _grads(done)
    wrong = [k for k in range(len(first)) if _differ(seen[k], first[k], ctx.tolerance[k])]
    if not wrong:
        return Finding("noncontiguous", title, True)
    misread = [g if m is None else m[1] for g, m in zip(ctx.upstream, made)]
    as_if, _ = ctx.run(misread)
    read_flat = not as_if.error and not any(
        _differ(_grads(as_if)[k], seen[k], ctx.tolerance[k]) for k in wrong)
    who = _join([ctx.names[k] for k in wrong])
    text = (f"{who}: with a non-contiguous grad_output (a transposed or strided view, as real "
            "graphs give) backward returns another gradient than with a contiguous copy"
            + (": it reads grad_output's memory in order as if it were contiguous (call "
               "grad_output.contiguous() first)" if read_flat else ""))
    named = [{"slip": "non-contiguous grad_output", "where": [ctx.names[k] for k in wrong],
              "text": text + "."}] if read_flat else []
    return Finding("noncontiguous", title, False, text,
                   {k: (seen[k], first[k]) for k in wrong if seen[k] is not None
                    and first[k] is not None}, named)


def zero(ctx: Context) -> Finding:
    title = "a zero grad_output gives zero gradients"
    if ctx.first.error:
        return Finding("zero", title, None, "not judged")
    done, _ = ctx.run([torch.zeros_like(g) for g in ctx.upstream])
    if done.error:
        return Finding("zero", title, False, f"backward raised on a zero grad_output: "
                       f"{done.error}")
    if ctx.changing:
        return Finding("zero", title, None, "not judged: backward changes between calls")
    seen = _grads(done)
    first = _grads(ctx.first)
    wrong = []
    for k, (s, f) in enumerate(zip(seen, first)):
        if s is None:
            continue
        size = max(float(np.abs(f).max(initial=0.0)) if f is not None else 0.0, 1e-300)
        if float(np.abs(s).max(initial=0.0)) > ctx.tolerance[k] * size:
            wrong.append(k)
    if not wrong:
        return Finding("zero", title, True)
    who = _join([ctx.names[k] for k in wrong])
    return Finding("zero", title, False,
                   f"{who}: a zero grad_output gives a gradient that is not zero: backward "
                   "adds a term that does not depend on grad_output",
                   {k: (seen[k], np.zeros_like(seen[k])) for k in wrong})


def scaled(ctx: Context) -> Finding:
    title = "grad_output times 3 gives the gradient times 3"
    if ctx.first.error:
        return Finding("scaled", title, None, "not judged")
    done, _ = ctx.run([3 * g for g in ctx.upstream])
    if done.error:
        return Finding("scaled", title, False, f"backward raised on grad_output times 3: "
                       f"{done.error}")
    if ctx.changing:
        return Finding("scaled", title, None, "not judged: backward changes between calls")
    seen, first = _grads(done), _grads(ctx.first)
    wrong = [k for k in range(len(first)) if first[k] is not None and
             _differ(seen[k], 3 * first[k], ctx.tolerance[k])]
    if not wrong:
        return Finding("scaled", title, True)
    who = _join([ctx.names[k] for k in wrong])
    same = all(seen[k] is not None and not _differ(seen[k], first[k], ctx.tolerance[k])
               for k in wrong)
    nine = all(seen[k] is not None and not _differ(seen[k], 9 * first[k], ctx.tolerance[k])
               for k in wrong)
    how = (": the gradient does not change at all, so backward does not multiply by "
           "grad_output" if same else ": it grows 9 times, so grad_output is multiplied in "
           "twice" if nine else ": backward is not linear in grad_output")
    return Finding("scaled", title, False, f"{who}: grad_output times 3 does not give the "
                   f"gradient times 3{how}",
                   {k: (seen[k], 3 * first[k]) for k in wrong if seen[k] is not None})


def _slot_of(ctx: Context, call: Call, position: int) -> int | None:
    """The differentiated input a Function's argument is, when it was passed as it is."""
    meta = call.args[position] if position < len(call.args) else None
    if meta is None:
        return None
    for k, p in enumerate(ctx.graph.passed):
        if id(p) == meta.ident:
            return k
    return None


def _returns(ctx: Context) -> list[tuple[Call, tuple]]:
    return [(call, raw) for call in ctx.spy.order for raw in call.returns[:1]]


def shapes(ctx: Context) -> Finding:
    title = "each gradient returned has its input's shape"
    problems, spoils, named = [], {}, []
    for call, raw in _returns(ctx):
        names = call.names
        for i, (g, meta) in enumerate(zip(raw, call.args)):
            if not isinstance(g, torch.Tensor) or meta is None or tuple(g.shape) == meta.shape:
                continue
            try:
                broadcast = torch.broadcast_shapes(meta.shape, tuple(g.shape)) == \
                    tuple(g.shape)
            except RuntimeError:
                broadcast = False
            text = (f"{call.cls.__name__}'s backward returns a gradient of shape "
                    f"{tuple(g.shape)} for {names[i]}, whose shape is {meta.shape}")
            if broadcast:
                text += (": the gradient of a broadcast input is not summed back to its "
                         "shape (autograd summed it silently; sum it yourself)")
            problems.append(text)
            k = _slot_of(ctx, call, i)
            if k is not None:
                spoils[k] = None
            if broadcast and not ctx.found.direct:
                named.append({"slip": "not_reduced", "where": [names[i]], "text": text + "."})
    if not _returns(ctx):
        return Finding("shapes", title, None, "not applicable: no custom Function's backward "
                       "ran")
    return Finding("shapes", title, not problems, "; ".join(problems), spoils, named)


def dtypes(ctx: Context) -> Finding:
    title = "each gradient returned has its input's dtype and device"
    problems, spoils, named = [], {}, []
    for call, raw in _returns(ctx):
        names = call.names
        for i, (g, meta) in enumerate(zip(raw, call.args)):
            if not isinstance(g, torch.Tensor) or meta is None:
                continue
            if g.dtype != meta.dtype or g.device != meta.device:
                what = (f"dtype {g.dtype}" if g.dtype != meta.dtype else f"device {g.device}")
                given = meta.dtype if g.dtype != meta.dtype else meta.device
                text = (f"{call.cls.__name__}'s backward returns the gradient of {names[i]} "
                        f"in {what}, where {names[i]} is {given} (autograd casts it silently)")
                problems.append(text)
                named.append({"slip": "wrong dtype", "where": [names[i]], "text": text + "."})
                k = _slot_of(ctx, call, i)
                if k is not None:
                    spoils[k] = None
    if not _returns(ctx):
        return Finding("dtypes", title, None, "not applicable: no custom Function's backward "
                       "ran")
    return Finding("dtypes", title, not problems, "; ".join(problems), spoils, named)


def count(ctx: Context) -> Finding:
    title = "backward returns one gradient per forward input, None for each non-tensor"
    problems, spoils, named = [], {}, []
    for call, raw in _returns(ctx):
        names = call.names
        n = len(call.args)
        if len(raw) < n:
            missing = names[len(raw):]
            text = (f"{call.cls.__name__}'s backward returns {len(raw)} value(s) for its {n} "
                    f"forward inputs: none for {_join(missing)} (return None for each input "
                    "that needs no gradient)")
            problems.append(text)
            named.append({"slip": "gradient missing", "where": missing, "text": text + "."})
            for i in range(len(raw), n):
                k = _slot_of(ctx, call, i)
                if k is not None:
                    spoils[k] = None
        extra = [i for i, g in enumerate(raw) if g is not None and
                 (i >= n or call.args[i] is None)]
        if extra:
            which = [names[i] if i < n else f"a {i + 1}th input forward does not have"
                     for i in extra]
            text = (f"{call.cls.__name__}'s backward returns a gradient for {_join(which)}, "
                    "which is not a tensor: return None there")
            problems.append(text)
            named.append({"slip": "gradient for a non-tensor input",
                          "where": [w for w in which], "text": text + "."})
    if not _returns(ctx):
        return Finding("count", title, None, "not applicable: no custom Function's backward "
                       "ran")
    return Finding("count", title, not problems, "; ".join(problems), spoils, named)


def writes(ctx: Context) -> Finding:
    title = "forward and backward write into no input (unless marked dirty) nor grad_output"
    problems, spoils, named = [], {}, []
    names = ctx.names
    if ctx.graph.wrote:
        who = _join([names[k] for k in ctx.graph.wrote])
        text = (f"forward writes into {who} without telling autograd: call "
                f"ctx.mark_dirty({who}) in a forward that changes its input in place, and "
                "return it")
        problems.append(text)
        named.append({"slip": "writes its input without mark_dirty",
                      "where": [names[k] for k in ctx.graph.wrote], "text": text + "."})
        spoils.update({k: None for k in ctx.graph.wrote})
    for call in ctx.spy.order:  # a Function inside fn writing into a tensor fn computed
        inner = [i for i in call.wrote if _slot_of(ctx, call, i) is None]
        if inner:
            who = _join([call.names[i] for i in inner])
            text = (f"{call.cls.__name__}'s forward writes into its input {who} without "
                    f"telling autograd (ctx.mark_dirty({who})): what autograd differentiates "
                    "is no longer what was computed")
            problems.append(text)
            wrong = [names[k] for k in range(len(names))]
            named.append({"slip": "writes its input without mark_dirty", "where": wrong,
                          "text": text + "."})
    if ctx.first.wrote_upstream:
        text = "backward writes into grad_output (the tensor autograd hands it may be shared)"
        problems.append(text)
        named.append({"slip": "writes into grad_output", "where": ["grad_output"],
                      "text": text + "."})
    if ctx.first.wrote_inputs:
        who = _join([names[k] for k in ctx.first.wrote_inputs])
        text = f"backward writes into the forward's input {who}"
        problems.append(text)
        named.append({"slip": "backward writes into its inputs",
                      "where": [names[k] for k in ctx.first.wrote_inputs], "text": text + "."})
        spoils.update({k: None for k in ctx.first.wrote_inputs})
    note = ""
    if not problems and ctx.graph.dirtied:
        note = (f"forward changes {_join([names[k] for k in ctx.graph.dirtied])} in place, "
                "and tells autograd so")
    return Finding("writes", title, not problems, "; ".join(problems) or note, spoils, named)


def saved(ctx: Context) -> Finding:
    title = "tensors saved for backward are not changed before backward reads them"
    problems, named = [], []
    for call in ctx.spy.order:
        changed = changed_after_save(call)
        if changed:
            text = (f"{call.cls.__name__}'s forward changes a tensor in place after saving it "
                    f"with ctx.save_for_backward (saved tensor number {changed[0] + 1}): "
                    "backward reads the changed values")
            problems.append(text)
            named.append({"slip": "in-place change to a saved tensor",
                          "where": ctx.names, "text": text + "."})
    if ctx.first.error and "modified by an inplace operation" in ctx.first.error:
        text = ("a tensor saved for backward is changed in place after the forward saved it: "
                + ctx.first.error)
        problems.append(text)
        named.append({"slip": "in-place change to a saved tensor", "where": ctx.names,
                      "text": text + "."})
    return Finding("saved", title, not problems, "; ".join(problems), {}, named)


PROBES: list[Callable[[Context], Finding]] = [twice, noncontiguous, zero, scaled, shapes,
                                              dtypes, count, writes, saved]
