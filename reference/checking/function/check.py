"""``check_function``: a PyTorch custom backward held to its own forward.

``check_function(fn, *inputs)`` runs in stages, each a function of this module (leaning on
a module of its own), in this order:

1. **read** (``read``): the form of ``fn``, the differentiated inputs and their names;
2. **call** (``_call``; ``calls``, ``spy``): your forward on copies, your backward with a
   random upstream gradient for every output, what each custom Function's backward returns
   raw;
3. **reference** (``_reference``; ``reference``): finite differences of your forward in
   float64, entry by entry for an elementwise forward, else along random directions; kinks
   left out and counted;
4. **precision** (``_reference``, ``_rows_ok``): a float32 or float16 function run again in
   float64, and each row's verdict (``explain.triage`` words it);
5. **probe** (``_probe``; ``probes``, ``double``): what gradcheck does not try;
6. **locate** and 7. **explain** (``_explain``; ``inline``, ``explain``, ``core.local``): the
   whole reference for the wrong rows, their worst element, and the slips of one local step
   that reproduce your gradients, or the closest slip and what it leaves;
8. **verdict** (``_report``; ``report``): OK only when every row and every probe is.
"""

import random
from dataclasses import dataclass

import numpy as np
import torch
from threadpoolctl import threadpool_limits

from reference.checking.compare import problem_with, relative_difference
from reference.checking.core import local
from reference.checking.core.precision import NAMES, tolerance
from reference.checking.function import explain, read
from reference.checking.function.calls import Backward, Caller, Graph, first_line, flatten
from reference.checking.function.calls import numpy as as_numpy
from reference.checking.function.double import second
from reference.checking.function.inline import inline_gradients
from reference.checking.function.probes import PROBES, Context, Finding
from reference.checking.function.reference import Reference
from reference.checking.function.report import FunctionReport
from reference.checking.function.spy import Spy, functions_in

SMALL = 2000  # inputs of at most this many entries get the second derivative by default
PRECISION_ONLY = 10  # a precision effect is OK up to this many times the dtype's tolerance


def check_function(fn: object, *inputs: object, rtol: float | None = None, seed: int = 0,
                   double_backward: bool = False, names: list[str] | None = None
                   ) -> FunctionReport:
    """Check ``fn``'s backward against the gradient of its own forward; see the module
    docstring.

    ``fn``: a ``torch.autograd.Function`` subclass or its ``apply``, an ``nn.Module``, a
    ``torch.library.custom_op``, or a callable taking tensors and returning a tensor or a
    tuple of them. ``inputs``: its positional arguments; floating-point tensors are
    differentiated (only those with ``requires_grad`` set, when some have it), everything
    else passed through. ``rtol``: the largest relative error a gradient may have (default:
    1e-6 for float64, 1e-3 for float32, 5e-2 for float16). ``seed``: for the upstream
    gradients and the directions (no global random state is changed). ``double_backward``:
    also check the second derivative (done anyway for small inputs whose backward is not
    ``once_differentiable``). ``names``: your names for the inputs, where the forward's
    signature does not give them.

    Example
    -------
    >>> import torch
    >>> class Square(torch.autograd.Function):
    ...     @staticmethod
    ...     def forward(ctx, x):
    ...         ctx.save_for_backward(x)
    ...         return x * x
    ...     @staticmethod
    ...     def backward(ctx, grad_output):
    ...         x, = ctx.saved_tensors
    ...         return 2 * x * grad_output
    >>> check_function(Square, torch.randn(4, 3, dtype=torch.float64)).ok
    True
    """
    read.settings(rtol, seed, double_backward)
    if not inputs:
        raise ValueError("check_function needs fn's inputs after fn.")
    found = read.target(fn, len(inputs), names)
    found.slots = read.slots(found, list(inputs))
    return run(found, list(inputs), rtol, int(seed), double_backward)


def run(found: read.Target, inputs: list, rtol: float | None, seed: int,
        double_backward: bool) -> FunctionReport:
    """The check of a target already read (``check_model`` chooses its slots itself), with
    torch's and NumPy's global state kept as it was."""
    np_state, py_state = np.random.get_state(), random.getstate()
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # small operations: more threads only wait for busy cores
    try:
        with torch.random.fork_rng(devices=[]), threadpool_limits(limits=1, user_api="blas"):
            return _check(found, list(inputs), rtol, int(seed), double_backward)
    finally:
        torch.set_num_threads(threads)
        np.random.set_state(np_state)
        random.setstate(py_state)


def assert_function(fn: object, *inputs: object, **kwargs: object) -> FunctionReport:
    """``check_function`` for your own tests: raises ``AssertionError(str(report))`` unless
    the report is ok; returns the report otherwise."""
    report = check_function(fn, *inputs, **kwargs)
    if not report.ok:
        raise AssertionError(str(report))
    return report


# --- stages ---------------------------------------------------------------------------------

@dataclass
class _Yours:
    """Your gradients per input (float64, as returned: any shape; None where unusable),
    whether each was returned, and the sentence for each that cannot be read."""

    values: list[np.ndarray | None]
    problems: list[str | None]


def _forward(caller: Caller) -> Graph:
    try:
        return caller.graph()
    except ValueError:
        raise
    except Exception as error:  # noqa: BLE001
        raise ValueError(f"fn raised {first_line(error)} (check_function called it as "
                         "fn(*inputs) with copies of your inputs).") from error


def _yours(found: read.Target, graph: Graph, done: Backward, spy: Spy) -> _Yours:
    """Your gradients: for a Function called directly, what its backward returned, raw
    (never reshaped, cast or summed); otherwise what autograd gives."""
    n = len(found.slots)
    values: list[np.ndarray | None] = [None] * n
    problems: list[str | None] = [None] * n
    raw = None
    if found.direct:
        passed = {id(p): k for k, p in enumerate(graph.passed)}
        call = next((c for c in spy.order if c.cls is found.function and any(
            m is not None and m.ident in passed for m in c.args)), None)
        if call is not None and call.returns:
            raw = call.returns[0]
    for k, slot in enumerate(found.slots):
        if raw is not None:
            i = slot.arg
            value = raw[i] if i is not None and i < len(raw) else "missing"
            if isinstance(value, str):
                problems[k] = f"backward returned no gradient for {slot.name}"
                continue
        elif done.error is not None:
            problems[k] = f"backward raised {done.error}"
            continue
        else:
            value = done.grads[k]
        if value is None:
            values[k] = np.zeros(tuple(slot.value.shape))
            continue
        problem = problem_with(value.detach().to(torch.float64)
                               if isinstance(value, torch.Tensor) and value.is_floating_point()
                               else value)
        if problem is not None:
            problems[k] = f"the gradient for {slot.name} is not usable: {problem}"
            continue
        values[k] = as_numpy(value) if isinstance(value, torch.Tensor) else \
            np.asarray(value, dtype=np.float64)
    return _Yours(values, problems)


def _run(caller: Caller, classes: list[type], upstream: list[torch.Tensor]
         ) -> tuple[Graph, Backward, Spy]:
    with Spy(classes) as spy:
        graph = _forward(caller)
        done = caller.backward(graph, upstream)
    return graph, done, spy


def _float64(found: read.Target, inputs: list, seed: int, kept: int
             ) -> tuple[Caller | None, str | None]:
    """A caller in float64, or None and why the forward cannot run in float64."""
    caller = Caller(found, inputs, True, seed)
    try:
        graph = caller.graph()
    except Exception as error:  # noqa: BLE001
        return None, f"on float64 copies it raises {first_line(error)}"
    if len(graph.outputs) != kept:
        return None, "on float64 copies it returns other outputs"
    low = [str(o.dtype).replace("torch.", "") for o in graph.outputs
           if o.dtype != torch.float64]
    if low:
        return None, f"given float64 copies it still returns {low[0]}"
    return caller, None


@dataclass
class _Run:
    """What the stages hand on: the callers (your dtypes; float64, or None and why), the
    first graph and backward with what the spy saw, the upstream gradients, your gradients
    (and in float64), the reference and the tolerances, the rows' verdicts."""

    found: read.Target
    caller: Caller
    classes: list[type]
    upstream: list[torch.Tensor]
    g64: list[np.ndarray]
    graph: Graph
    first: Backward
    spy: Spy
    yours: _Yours
    reading: list[str]
    caller64: Caller | None = None
    why: str | None = None
    yours64: _Yours | None = None
    ref: Reference | None = None
    tol: list[float] | None = None
    tol64: list[float] | None = None
    itemsize: int = 8
    verdicts: list[tuple] | None = None
    verdicts64: list[tuple] | None = None
    row_ok: list[bool] | None = None

    @property
    def names(self) -> list[str]:
        return [s.name for s in self.found.slots]

    @property
    def low(self) -> bool:
        return min(s.value.element_size() for s in self.found.slots) < 8

    @property
    def ref_caller(self) -> Caller:
        return self.caller64 if self.caller64 is not None else self.caller


def _check(found: read.Target, inputs: list, rtol: float | None, seed: int,
           double_backward: bool) -> FunctionReport:
    run = _call(found, inputs, seed)
    if run is None:
        return _disconnected(found, Caller(found, inputs, False, seed),
                             _reading(found, inputs))
    _reference(run, inputs, rtol, seed)
    _rows_ok(run)
    raised, raised_named = _raised(run.first, run.names, run.spy)
    if raised:  # autograd refused what backward returned: no gradient reaches any input
        run.row_ok = [False] * len(run.names)
    ctx, findings = _probe(run, double_backward, seed)
    rows, named, sentences = _explain(run, ctx, findings, raised, raised_named)
    return _report(run, rows, findings, named, sentences)


def _call(found: read.Target, inputs: list, seed: int) -> _Run | None:
    """Stage 2: your forward on copies, a random upstream gradient for every differentiable
    output, your backward spied on; None when no output requires grad."""
    caller = Caller(found, inputs, False, seed)
    graph0 = _forward(caller)
    if not graph0.outputs:
        return None
    low = min(s.value.element_size() for s in found.slots) < 8
    if not low:  # a float32 overflow is told by the float64 run (stage 4)
        _finite(graph0.outputs)
    classes = functions_in(graph0.outputs)
    if found.function is not None and found.function not in classes:
        classes.insert(0, found.function)
    rng = np.random.default_rng(seed)
    upstream = [torch.from_numpy(rng.normal(size=tuple(o.shape))).to(o.dtype)
                for o in graph0.outputs]
    graph, first, spy = _run(caller, classes, upstream)
    reading = _reading(found, inputs)
    if graph.drew:
        reading.append("your forward draws random numbers: every call was given the same "
                       "draws (torch's generator seeded alike), so that it can be "
                       "differentiated")
    return _Run(found, caller, classes, upstream, [as_numpy(u) for u in upstream], graph,
                first, spy, _yours(found, graph, first, spy), reading)


def _reference(run: _Run, inputs: list, rtol: float | None, seed: int) -> None:
    """Stages 3 and 4: finite differences of your forward in float64 (at your precision
    where it cannot run in float64), and your backward run again in float64."""
    sizes = [s.value.element_size() for s in run.found.slots]
    run.tol = [float(rtol) if rtol is not None else tolerance(b) for b in sizes]
    run.tol64 = [float(rtol) if rtol is not None else tolerance(8) for _ in sizes]
    if run.low:
        run.caller64, run.why = _float64(run.found, inputs, seed, len(run.graph.outputs))
    _finite(run.caller64.graph().outputs if run.caller64 is not None else run.graph.outputs)
    run.itemsize = 8 if (not run.low or run.caller64 is not None) else min(sizes)
    run.ref = Reference(run.ref_caller, run.g64, run.itemsize,
                        min(run.tol64) if run.itemsize == 8 else min(run.tol), seed)
    for k in range(len(run.names)):
        run.ref.measure(k)
    if run.caller64 is not None:
        graph64, first64, spy64 = _run(run.caller64, run.classes,
                                       [torch.from_numpy(u) for u in run.g64])
        run.yours64 = _yours(run.found, graph64, first64, spy64)


def _rows_ok(run: _Run) -> None:
    """Each row's verdict: at your precision, and in float64 where it runs there (right in
    float64 and off at your precision is precision only, OK while it stays within
    PRECISION_ONLY times your precision's tolerance)."""
    n = range(len(run.names))
    run.verdicts = [_verdict(run.ref, k, run.yours, run.tol[k], run.names[k]) for k in n]
    if run.yours64 is not None:
        run.verdicts64 = [_verdict(run.ref, k, run.yours64, run.tol64[k], run.names[k])
                          for k in n]
    run.row_ok = []
    for k in n:
        ok, error, problem = run.verdicts[k]
        if run.verdicts64 is not None and problem is None and ok is not None:
            ok = run.verdicts64[k][0] is True and (ok or error <= PRECISION_ONLY * run.tol[k])
        run.row_ok.append(ok is True)


def _probe(run: _Run, double_backward: bool, seed: int) -> tuple[Context, list[Finding]]:
    """Stage 5: every probe of ``PROBES``, and the second derivative."""
    ctx = Context(run.found, run.caller, run.upstream, run.graph, run.first, run.spy,
                  run.tol, run.classes)
    findings = []
    for probe in PROBES:
        try:
            findings.append(probe(ctx))
        except Exception as error:  # noqa: BLE001 - a probe that cannot run is said, not raised
            findings.append(Finding(probe.__name__, probe.__name__, None,
                                    f"not judged: {first_line(error)}"))
    total = sum(s.value.numel() for s in run.found.slots)
    if double_backward or total <= SMALL:
        # a backward that returns a lower precision than it is given is held to that one
        returned = min([t.element_size() for c in run.spy.order for raw in c.returns[:1]
                        for t in raw if isinstance(t, torch.Tensor) and t.is_floating_point()]
                       + [run.itemsize])
        tol = min(run.tol64) if run.itemsize == 8 else min(run.tol)
        findings.append(second(run.ref_caller, run.classes, run.g64,
                               max(tol, tolerance(returned)),
                               [r.kinks for r in run.ref.rows], min(run.itemsize, returned),
                               double_backward, seed))
    return ctx, findings


def _explain(run: _Run, ctx: Context, findings: list[Finding], raised: str | None,
             raised_named: list[dict]) -> tuple[list[dict], list[dict], list[str]]:
    """Stages 6 and 7: the whole reference for the wrong rows, the rows, and the slips of
    one local step that reproduce your gradients (or the worst element and the closest)."""
    ref, names = run.ref, run.names
    use = run.yours64 if run.yours64 is not None else run.yours
    use_tol = run.tol64 if run.yours64 is not None else run.tol
    wrong = [k for k in range(len(names)) if not run.row_ok[k] and use.values[k] is not None]
    traced = _whole(ref, run.ref_caller, run.classes, run.g64, wrong, use)
    whole = [ref.rows[k].whole if ref.rows[k].whole is not None and ref.rows[k].how != "sample"
             else (use.values[k] if run.row_ok[k] and use.values[k] is not None
                   and use.values[k].shape == ref.x[k].shape else None)
             for k in range(len(names))]
    rows = [_row(k, names[k], ref, run.yours, run.verdicts[k], run.row_ok[k], whole[k])
            for k in range(len(names))]
    named, sentences = list(raised_named), [raised] if raised and not raised_named else []
    if wrong and not ctx.changing:  # a backward that changes between calls has no one value
        zero = next((f for f in findings if f.id == "zero"), None)
        usable = [v if (whole[k] is not None or run.row_ok[k]) else None
                  for k, v in enumerate(use.values)]
        if any(usable[k] is not None for k in wrong) and all(
                w is not None for k, w in enumerate(whole) if usable[k] is not None):
            ev = explain.evidence(names, ref, run.ref_caller,
                                  [usable[k] if k in wrong else None for k in range(len(names))],
                                  [w if w is not None else np.zeros(ref.x[k].shape)
                                   for k, w in enumerate(whole)],
                                  run.g64, use_tol, traced, _offset(ctx, zero))
            found = local.diagnose(ev)
            named += found.named
            sentences += found.sentences
        sentences += [_sampled(k, names[k], ref, use.values[k]) for k in wrong
                      if whole[k] is None and ref.rows[k].sample]
    return rows, named, sentences


def _report(run: _Run, rows: list[dict], findings: list[Finding], named: list[dict],
            sentences: list[str]) -> FunctionReport:
    """Stage 8: probes spoil their rows; OK only when every row and every probe is."""
    names, ref = run.names, run.ref
    for finding in findings:
        if finding.ok is False:
            for k, values in finding.spoils.items():
                _spoil(rows[k], values if run.row_ok[k] and rows[k]["ok"] else None)
        if finding.id == "double" and not all(run.row_ok):
            finding.named = []  # a wrong second derivative is named beside a right first one
        named += finding.named
    named = [e for i, e in enumerate(named)  # one entry per mistake and place
             if (e["slip"], e["where"]) not in [(n["slip"], n["where"]) for n in named[:i]]]
    probe_named = [e for f in findings for e in f.named]
    if probe_named and not [e for e in named if e not in probe_named]:
        sentences = []  # what the probes named explains the values; the rows show them
    covered = {name for entry in named for name in entry["where"]}
    sentences += [problem for k, (_, _, problem) in enumerate(run.verdicts)
                  if problem and names[k] not in covered]
    reading = list(run.reading)
    for k, name in enumerate(names):
        if ref.rows[k].kinks is not None:
            count = int(ref.rows[k].kinks.sum())
            reading.append(f"{name}: {count} entr{'y sits' if count == 1 else 'ies sit'} at "
                           "a kink (the derivative jumps there): left out of finite "
                           "differences")
    reading.append(_how(ref, names, run.itemsize))
    precision = read.dtype_name(min((s.value.dtype for s in run.found.slots),
                                    key=lambda d: torch.finfo(d).eps * -1))
    triage = None
    if run.low:
        triage = explain.triage(precision, [(v[0], v[1]) for v in run.verdicts],
                                None if run.verdicts64 is None else
                                [(v[0], v[1]) for v in run.verdicts64], run.why,
                                PRECISION_ONLY * max(run.tol))
    ok = all(r["ok"] for r in rows) and all(f.ok is not False for f in findings)
    diagnosis = [entry["text"] for entry in named] + sentences
    probes = [{"probe": f.id, "title": f.title, "ok": f.ok, "text": f.text} for f in findings]
    return FunctionReport(bool(ok), rows, probes, named, list(dict.fromkeys(diagnosis)),
                          run.found.label, max(run.tol),
                          precision + (", also run in float64" if run.caller64 is not None
                                       else ""), triage, reading)


# --- stage helpers ------------------------------------------------------------------------------

def _verdict(ref: Reference, k: int, yours: _Yours, tol: float, name: str
             ) -> tuple[bool | None, float | None, str | None]:
    """(ok, relative error, a sentence where the gradient cannot be compared)."""
    value = yours.values[k]
    if value is None:
        return False, None, (yours.problems[k] or f"no gradient for {name}") + "."
    shape = ref.x[k].shape
    if value.shape != shape:
        words = f"the gradient for {name} has shape {tuple(value.shape)} but {name} is {shape}"
        if value.shape == shape[::-1]:
            words += ": it is transposed"
        return False, None, words + " (it was not reshaped)."
    ok, error = ref.verdict(k, value, tol)
    if ok is None:
        why = ("the rounding of your forward's outputs hides the change finite differences "
               "need" if ref.rows[k].noisy else "every step of finite differences met a kink")
        return False, None, f"{name} could not be checked: {why}."
    return ok, error, None


def _finite(outputs: list[torch.Tensor]) -> None:
    """A one-line error where the forward's outputs are not finite numbers."""
    for t in outputs:
        problem = problem_with(t.detach().to(torch.float64))
        if problem is not None:
            raise ValueError(f"fn's output cannot be checked at these inputs: {problem}.")


def _raised(first: Backward, names: list[str], spy: Spy) -> tuple[str | None, list[dict]]:
    """When the first backward raised: the sentence (no gradient reaches any input), and the
    mistake named where torch's message says which it is."""
    if first.error is None:
        return None, []
    text = f"backward raised {first.error}: no gradient reaches {_join(names)}"
    if "view size is not compatible with input tensor's size and stride" in first.error:
        text = (f"backward calls .view on grad_output, which arrives non-contiguous here (a "
                f"transposed or strided view, as real graphs give): {first.error} (use "
                ".reshape, or .contiguous() first)")
        return text, [{"slip": "non-contiguous grad_output", "where": names, "text": text + "."}]
    if "NoneType" in first.error:
        text = (f"backward raised {first.error}: an output's gradient arrives as None (an "
                "output that is not used, with set_materialize_grads(False)) and backward does "
                "not handle it")
        return text, [{"slip": "None grad_output not handled", "where": names,
                       "text": text + "."}]
    return text, []


def _join(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _whole(ref: Reference, caller: Caller, classes: list[type], upstream: list[np.ndarray],
           wrong: list[int], use: _Yours):
    """The whole reference for the wrong rows (autograd on your forward once it agrees with
    finite differences, else column by column, else a sample); the traced gradients, when
    they agree."""
    if not wrong:
        return None
    traced = inline_gradients(caller, classes)
    found = traced({}, upstream)
    if found is not None and all(found[k].shape == ref.x[k].shape and ref.accept(k, found[k])
                                 for k in range(len(found))):
        for k in range(len(found)):
            if ref.rows[k].whole is None:
                ref.rows[k].whole, ref.rows[k].how = found[k], "autograd"
        return traced
    for k in wrong:
        row = ref.rows[k]
        if row.whole is None and not ref.coordinates(k):
            value = use.values[k]
            if value is not None and value.shape == ref.x[k].shape:
                ref.sample(k, value)
    return None


def _row(k: int, name: str, ref: Reference, yours: _Yours, verdict: tuple, ok: bool,
         whole: np.ndarray | None) -> dict:
    value = yours.values[k]
    row = {"name": name, "shape": tuple(ref.x[k].shape), "ok": bool(ok),
           "rel_error": verdict[1], "worst_index": None, "yours": None, "reference": None,
           "kinks": 0 if ref.rows[k].kinks is None else int(ref.rows[k].kinks.sum()),
           "returned_shape": None if value is None or value.shape == ref.x[k].shape
           else tuple(value.shape)}
    if ok or value is None or value.shape != ref.x[k].shape:
        return row
    mask = ref.rows[k].kinks
    if whole is not None:
        diff = np.abs(value - whole)
        if mask is not None:
            diff = np.where(mask, -1.0, diff)
        worst = tuple(int(i) for i in np.unravel_index(int(np.argmax(diff)), diff.shape))
        keep = slice(None) if mask is None else ~mask
        row.update(rel_error=relative_difference(value[keep], whole[keep]),
                   worst_index=worst, yours=float(value[worst]),
                   reference=float(whole[worst]))
    elif ref.rows[k].sample:
        at = max(ref.rows[k].sample, key=lambda item: abs(value[item[0]] - item[1]))
        row.update(worst_index=at[0], yours=float(value[at[0]]), reference=float(at[1]))
    return row


def _sampled(k: int, name: str, ref: Reference, value: np.ndarray) -> str:
    sample = ref.rows[k].sample
    at = max(sample, key=lambda item: abs(value[item[0]] - item[1]))
    mine, right = local.distinct(float(value[at[0]]), float(at[1]))
    return (f"{name} is wrong; finite differences at {len(sample)} of its entries (the one "
            "halving along directions leads to, the largest of yours and some at random) "
            f"put the worst at {at[0]}: yours {mine}, right {right}.")


def _spoil(row: dict, values: tuple[np.ndarray, np.ndarray] | None) -> None:
    row["ok"] = False
    if values is None:
        return
    seen, expected = values
    if seen is None or expected is None or seen.shape != expected.shape:
        return
    diff = np.abs(seen - expected)
    worst = tuple(int(i) for i in np.unravel_index(int(np.argmax(diff)), diff.shape))
    row.update(rel_error=relative_difference(seen, expected), worst_index=worst,
               yours=float(seen[worst]), reference=float(expected[worst]))


def _offset(ctx: Context, zero: Finding | None) -> list[np.ndarray | None] | None:
    """Your gradients for a zero grad_output, where the probe found them not zero."""
    if zero is None or zero.ok is not False or not zero.spoils:
        return None
    return [None if zero.spoils.get(k) is None else zero.spoils[k][0]
            for k in range(len(ctx.found.slots))]


def _reading(found: read.Target, inputs: list) -> list[str]:
    chosen = {s.arg for s in found.slots if s.arg is not None}
    differentiated = [s.name for s in found.slots]
    passed = [found.names[i] for i in range(len(inputs)) if i not in chosen]
    text = f"inputs: {', '.join(differentiated)} differentiated"
    if passed:
        text += f"; {', '.join(passed)} passed through"
    return [text]


def _how(ref: Reference, names: list[str], itemsize: int) -> str:
    ways = {"elementwise": "entry by entry (elementwise)", "directions":
            "along random directions", "autograd": "along random directions",
            "coordinates": "along random directions", "sample": "along random directions"}
    groups: dict[str, list[str]] = {}
    for k, name in enumerate(names):
        groups.setdefault(ways[ref.rows[k].how], []).append(name)
    parts = [f"{how} for {', '.join(who)}" for how, who in groups.items()]
    precision = "float64" if itemsize == 8 else NAMES.get(itemsize, "float64")
    return f"reference: finite differences of your own forward in {precision}, " + \
        "; ".join(parts)


def _disconnected(found: read.Target, caller: Caller, reading: list[str]) -> FunctionReport:
    """fn's floating outputs do not require grad: nothing reaches the inputs."""
    result = flatten(caller._call(caller.start()))
    if not any(t.is_floating_point() for t in result):
        raise ValueError("fn returned no floating-point tensor (check_function needs a "
                         "tensor, or a tuple of tensors, to differentiate).")
    text = ("no output of fn requires grad: autograd cannot reach the inputs (a .detach(), "
            ".numpy() or torch.no_grad() inside it, or every output marked "
            "non-differentiable)")
    rows = [{"name": s.name, "shape": tuple(s.value.shape), "ok": False, "rel_error": None,
             "worst_index": None, "yours": None, "reference": None, "kinks": 0}
            for s in found.slots]
    return FunctionReport(False, rows, [], [], [text + "."], found.label,
                          max(tolerance(s.value.element_size()) for s in found.slots),
                          NAMES.get(min(s.value.element_size() for s in found.slots),
                                    "float64"), None, reading)
