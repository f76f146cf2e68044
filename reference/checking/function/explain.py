"""The words: which slip of one local step your gradients are (``core.local``), and whether a
float32 or float16 function's error is precision or a mistake.

``evidence`` gathers what the grammar reads from the checker's findings: your gradients,
the right ones (whole, for the inputs that are wrong), the forward's outputs in float64 and
the forward itself, autograd's gradient of your forward at other points and other upstream
gradients where it agreed with finite differences (``inline``), the broadcast a wrong-shaped
gradient hints at (its gradient before the sum), your gradients for a zero grad_output and
the kinks. ``triage`` is the precision sentence.
"""

from collections.abc import Callable

import numpy as np

from reference.checking.core import local, numeric
from reference.checking.function.calls import Caller
from reference.checking.function.reference import Reference

Traced = Callable[[dict[int, np.ndarray], list[np.ndarray]], list[np.ndarray] | None]


def _expanded(k: int, shape: tuple, ref: Reference, caller: Caller, traced: Traced | None,
              upstream: list[np.ndarray]) -> np.ndarray | None:
    """The gradient of input k broadcast to ``shape`` before the sum back to its own shape:
    the forward given the broadcast input must give the same outputs."""
    x = ref.x[k]
    try:
        if np.broadcast_shapes(x.shape, shape) != tuple(shape) or x.shape == tuple(shape):
            return None
        wide = np.broadcast_to(x, shape).copy()
        base, moved = caller.outputs(), caller.outputs({k: wide})
        if any(a.shape != b.shape or np.abs(a - b).max(initial=0.0) >
               1e-12 * max(np.abs(a).max(initial=0.0), 1e-300) for a, b in zip(base, moved)):
            return None
        if traced is not None:
            found = traced({k: wide}, upstream)
            if found is not None and found[k].shape == tuple(shape):
                return found[k]
        if any(o.shape != tuple(shape) for o in base):
            return None
        f = lambda value: caller.outputs({k: value})  # noqa: E731
        d = numeric.jvp(f, wide, np.ones(shape))
        v = np.random.default_rng(3).normal(size=shape)
        jv = numeric.jvp(f, wide, v)
        if d is None or jv is None or any(
                np.abs(a - b * v).max() > 1e-6 * max(np.abs(b * v).max(), 1e-300)
                for a, b in zip(jv, d)):
            return None
        return sum(g.reshape(shape) * dj for g, dj in zip(upstream, d))
    except Exception:  # noqa: BLE001 - a forward that refuses the broadcast input
        return None


def evidence(names: list[str], ref: Reference, caller: Caller, yours: list[np.ndarray | None],
             whole: list[np.ndarray | None], upstream: list[np.ndarray],
             tolerance: list[float], traced: Traced | None,
             offset: list[np.ndarray | None] | None) -> local.Evidence:
    """The grammar's evidence (see the module docstring)."""
    outputs = caller.outputs()
    expanded, broadcast = {}, [None] * len(names)
    for k, y in enumerate(yours):
        shapes = [] if y is None else [y.shape]
        shapes += [o.shape for o in outputs]
        for shape in dict.fromkeys(shapes):
            if tuple(shape) == ref.x[k].shape:
                continue
            found = _expanded(k, tuple(shape), ref, caller, traced, upstream)
            if found is not None:
                expanded[k], broadcast[k] = found, tuple(shape)
                break
    vjp = at = None
    if traced is not None:
        vjp = lambda u: traced({}, u)  # noqa: E731
        at = lambda replaced: traced(replaced, upstream)  # noqa: E731
    elif len(ref.jacobians) == len(names):
        vjp = lambda u: [ref.vjp_from_jacobian(k, u) for k in range(len(names))]  # noqa: E731
    return local.Evidence(
        names=names, inputs=ref.x, yours=yours, reference=whole, outputs=outputs,
        upstream=upstream, tolerance=tolerance,
        output_names=["out"] if len(outputs) == 1 else [f"out{j}" for j in range(len(outputs))],
        vjp=vjp, at=at, forward=lambda replaced: caller.outputs(replaced),
        broadcast=broadcast, expanded=expanded, offset=offset,
        mask=[r.kinks for r in ref.rows])


def triage(dtype: str, low: list[tuple[bool | None, float | None]],
           high: list[tuple[bool | None, float | None]] | None, why: str | None,
           bound: float) -> str:
    """The precision sentence for a float32 or float16 function: ``low`` its rows' verdicts
    and errors at its own precision, ``high`` in float64 (None: it cannot run in float64,
    ``why``); a precision effect beyond ``bound`` is said to be too large."""
    if high is None:
        return (f"{dtype} only: your function cannot run in float64 ({why}), so it was checked "
                f"at {dtype}'s precision alone")
    worst_low = max((e for _, e in low if e is not None), default=0.0)
    worst_high = max((e for _, e in high if e is not None), default=0.0)
    unusable = any(v is False and e is None for v, e in low)
    if unusable and all(v is True for v, _ in high):
        return (f"precision only, but {dtype} overflows: your gradient cannot be used in "
                f"{dtype} (NaN or infinity, or no value), and is exact in float64 ({dtype}'s "
                "range is exceeded: rescale, or compute in float64)")
    if any(v is False for v, _ in high):
        within = all(v is not False for v, _ in low)
        return (f"a real mistake: wrong in float64 too (by {worst_high:.0e})"
                + (f", though within {dtype}'s tolerance in {dtype}" if within else ""))
    if any(v is False for v, _ in low) and worst_low > bound:
        return (f"precision only, but too much for {dtype}: wrong by {worst_low:.0e} in "
                f"{dtype}, exact in float64 (the formulas are right; {dtype} cannot carry "
                "them: rewrite them stably, or compute in float64)")
    if any(v is False for v, _ in low):
        return f"precision only: wrong by {worst_low:.0e} in {dtype}, exact in float64"
    return (f"within {dtype}'s precision in {dtype} ({worst_low:.0e}), and exact in float64 "
            f"({worst_high:.0e})")
