"""The reference: the gradient of your *own* forward, by finite differences in float64.

For each differentiated input k, the checker differentiates phi(x_k) = sum_j <g_j, out_j>,
with g_j the random upstream gradient of output j (``core.numeric``):

- an **elementwise** forward in x_k (every output has x_k's shape and depends on it entry
  by entry: J v = (J 1) * v along a random v) is differentiated entry by entry at once, so
  the whole reference is known; its kinks show entry by entry (``second_differences``);
- any other is checked along random **directions** (<yours, v> against phi's derivative
  along v), as torch's fast gradcheck does, after a direction restricted to halves of the
  entries has found those sitting at a kink (``kink_coordinates``).

Kinks are left out of the finite differences and counted. The whole reference, needed to
say where a wrong gradient is worst and to name its slip, comes afterwards, for wrong rows
only (``Reference.whole``): from autograd on your forward (``inline``) once it agrees with
the directions; else, for an input of at most ``COORDINATES`` entries, column by column of
the Jacobian; else at a few entries: the one halving along directions leads to (a wrong
entry among right ones is found in log2(n) steps), the largest of yours and some at random.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from reference.checking.compare import relative_difference
from reference.checking.core import numeric
from reference.checking.function.calls import Caller

COORDINATES = 2048  # inputs up to this many entries get their whole Jacobian column by column
DIRECTIONS = 2


@dataclass
class Row:
    """What finite differences say about one input: its kinks (a mask, or None), the
    estimates along directions, the whole reference where it is known, and whether the
    forward's rounding was too large to resolve it (``noisy``)."""

    kinks: np.ndarray | None = None
    estimates: list[numeric.Estimate] = field(default_factory=list)
    whole: np.ndarray | None = None
    how: str = "directions"  # or "elementwise", "autograd", "coordinates", "sample"
    noisy: bool = False
    sample: list[tuple[tuple, float]] | None = None
    diagonal: list[np.ndarray] | None = None  # elementwise: d out_j / d x_k entry by entry


class Reference:
    """Finite differences of ``caller``'s forward (float64, or the inputs' own precision
    when the forward cannot run in float64: ``itemsize``), for the upstream gradients
    ``upstream`` (float64 NumPy, one per differentiable output)."""

    def __init__(self, caller: Caller, upstream: list[np.ndarray], itemsize: int,
                 tolerance: float, seed: int) -> None:
        self.caller, self.upstream, self.itemsize = caller, upstream, itemsize
        self.tolerance = tolerance  # the tightest the estimates must resolve
        self.rng = np.random.default_rng(seed + 1)
        self.x = [caller.tensor(k, s.value).double().numpy() for k, s in
                  enumerate(caller.slots)]
        self.rows: list[Row] = [Row() for _ in caller.slots]
        self.jacobians: dict[int, list[np.ndarray]] = {}

    # --- phi ----------------------------------------------------------------------------------

    def outputs(self, k: int) -> Callable[[np.ndarray], list[np.ndarray]]:
        return lambda value: self.caller.outputs({k: value})

    def phi(self, k: int) -> Callable[[np.ndarray], float]:
        def phi(value: np.ndarray) -> float:
            return float(sum(np.sum(g.reshape(o.shape) * o)
                             for g, o in zip(self.upstream, self.caller.outputs({k: value}))))
        return phi

    def magnitude(self, k: int) -> Callable[[np.ndarray], float]:
        def magnitude(value: np.ndarray) -> float:
            return float(sum(np.sum(np.abs(g.reshape(o.shape) * o))
                             for g, o in zip(self.upstream, self.caller.outputs({k: value}))))
        return magnitude

    # --- the check ----------------------------------------------------------------------------

    def measure(self, k: int) -> Row:
        """Kinks, then the elementwise derivative or the estimates along directions."""
        row = self.rows[k]
        x = self.x[k]
        if x.size == 0:
            row.whole, row.how = np.zeros(x.shape), "elementwise"
            return row
        if self.itemsize == 8 and self._elementwise(k):
            return row
        phi = self.phi(k)
        first = self.rng.normal(size=x.shape)
        if numeric.kinked(phi, x, first, self.itemsize):
            row.kinks = numeric.kink_coordinates(phi, x, self.itemsize,
                                                 seed=int(self.rng.integers(2**31)))
        keep = np.ones(x.shape) if row.kinks is None else (~row.kinks).astype(float)
        tries = 0
        while len([e for e in row.estimates if e.value is not None]) < DIRECTIONS \
                and tries < 2 * DIRECTIONS:
            direction = (first if tries == 0 else self.rng.normal(size=x.shape)) * keep
            tries += 1
            if not direction.any():
                break
            estimate = numeric.derivative(phi, x, direction, self.itemsize, self.tolerance,
                                          self.magnitude(k))
            row.noisy = row.noisy or estimate.noisy
            row.estimates.append(estimate)
        return row

    def _elementwise(self, k: int) -> bool:
        """Whether the forward is elementwise in input k; if so, its derivative entry by
        entry (kinks found and left out) and the whole reference."""
        x = self.x[k]
        base = self.caller.outputs()
        if not base or any(o.shape != x.shape for o in base):
            return False
        f = self.outputs(k)
        ones = np.ones_like(x)
        # steps along v are 0.2 to 0.6 times those along ones: where a kink is near, the two
        # central differences average different stretches and disagree
        v = np.where(self.rng.random(x.shape) < 0.5, -1.0, 1.0) * \
            self.rng.uniform(0.2, 0.6, x.shape)
        try:
            d = numeric.jvp(f, x, ones)
            jv = numeric.jvp(f, x, v)
            if d is None or jv is None:
                return False
            near = _disagree(jv, d, v)
            if near.mean() > 0.05:
                return False
            scale = max(max(float(np.abs(b).max()) for b in d), 1e-300)
            kinks = self._kinks_at(f, x, scale)
            near &= ~kinks
            for shrink in (100.0, 1e4):
                if not near.any():
                    break
                direction = near.astype(float)
                finer = numeric.jvp(f, x, direction, shrink=shrink)
                finer_v = numeric.jvp(f, x, direction * v, shrink=shrink)
                if finer is None or finer_v is None:
                    return False
                settled = near & ~_disagree(finer_v, finer, v)
                d = [np.where(settled, b, a) for a, b in zip(d, finer)]
                near &= ~settled
            kinks |= near
        except Exception:  # noqa: BLE001 - a forward that fails on a step: use directions
            return False
        row = self.rows[k]
        row.kinks = kinks if kinks.any() else None
        row.diagonal = d
        row.whole = sum(g.reshape(x.shape) * dj for g, dj in zip(self.upstream, d))
        row.how = "elementwise"
        return True

    @staticmethod
    def _kinks_at(f: Callable[[np.ndarray], list[np.ndarray]], x: np.ndarray,
                  scale: float) -> np.ndarray:
        """The entries of an elementwise forward with a kink at x itself: their second
        differences over s, the jump between the one-sided slopes, stay the same as s
        shrinks (smooth: they shrink with s; rounding: they grow as 1/s) and are not small
        beside the derivative."""
        levels = numeric.second_differences(f, x, np.ones_like(x), (10, 100, 1000))
        kinks = np.zeros(x.shape, dtype=bool)
        for a, b, c in levels:
            steady = (b >= 0.5 * a) & (b <= 2 * a) & (c >= 0.5 * b) & (c <= 2 * b)
            kinks |= steady & (c > 1e-3 * scale)
        return kinks

    def verdict(self, k: int, yours: np.ndarray, tolerance: float
                ) -> tuple[bool | None, float | None]:
        """Whether ``yours`` is the gradient (None: it could not be checked), and its
        relative error (over the whole reference, or the largest along the directions)."""
        row = self.rows[k]
        if row.how == "elementwise" or (row.whole is not None and row.how != "sample"):
            mask = row.kinks
            a, b = (yours, row.whole) if mask is None else (yours[~mask], row.whole[~mask])
            error = relative_difference(a, b) if a.size else 0.0
            return bool(error <= tolerance), error
        verdicts, gaps = [], []
        for estimate in row.estimates:
            masked = yours if row.kinks is None else np.where(row.kinks, 0.0, yours)
            verdict, gap = numeric.agrees(estimate, masked, tolerance)
            if verdict is not None:
                verdicts.append(bool(verdict))
                gaps.append(gap)
        if not verdicts:
            return None, None
        return all(verdicts), max(gaps)

    # --- the whole reference, for wrong rows --------------------------------------------------

    def accept(self, k: int, whole: np.ndarray) -> bool:
        """Whether a candidate whole reference agrees with the estimates (and so may be
        used to say where a gradient is worst)."""
        ok, _ = self.verdict_of(k, whole)
        return bool(ok)

    def verdict_of(self, k: int, whole: np.ndarray) -> tuple[bool | None, float | None]:
        row = self.rows[k]
        if row.how == "elementwise":
            mask = row.kinks
            keep = slice(None) if mask is None else ~mask
            return bool(relative_difference(whole[keep], row.whole[keep]) <= 1e-6), None
        saved, row.whole, how = row.whole, None, row.how
        row.how = "directions"
        try:
            return self.verdict(k, whole, max(self.tolerance, 1e-7))
        finally:
            row.whole, row.how = saved, how

    def coordinates(self, k: int) -> bool:
        """The Jacobian of every output in input k, column by column; the whole reference
        from it. False when input k is too large or the forward fails on a step."""
        x = self.x[k]
        outputs = self.caller.outputs()
        if x.size > COORDINATES or x.size * sum(o.size for o in outputs) > 2e7:
            return False
        jac = numeric.jacobians(self.outputs(k), x)
        if jac is None:
            return False
        self.jacobians[k] = jac
        whole = self.vjp_from_jacobian(k, self.upstream)
        if not self.accept(k, whole):
            del self.jacobians[k]
            return False
        self.rows[k].whole, self.rows[k].how = whole, "coordinates"
        return True

    def vjp_from_jacobian(self, k: int, upstream: list[np.ndarray]) -> np.ndarray:
        return sum(J.T @ np.asarray(u, dtype=np.float64).ravel()
                   for J, u in zip(self.jacobians[k], upstream)).reshape(self.x[k].shape)

    def sample(self, k: int, yours: np.ndarray) -> None:
        """Finite differences at a few entries: the one that halving along directions leads
        to (``halve``), the 12 largest of yours and 12 at random."""
        x = self.x[k]
        kinks = self.rows[k].kinks
        flat = [] if (found := self.halve(k, yours)) is None else [found]
        flat += np.argsort(-np.abs(yours).ravel())[:12].tolist()
        flat += self.rng.choice(x.size, size=min(x.size, 12), replace=False).tolist()
        indices = [tuple(int(i) for i in np.unravel_index(f, x.shape))
                   for f in dict.fromkeys(flat)]
        if kinks is not None:
            indices = [i for i in indices if not kinks[i]]
        found = numeric.coordinates(self.phi(k), x, self.itemsize, self.tolerance, indices)
        self.rows[k].sample = [(i, v) for i, v in found if v is not None]
        self.rows[k].how = "sample"

    def halve(self, k: int, yours: np.ndarray, budget: int = 40) -> int | None:
        """The entry (flat index) where your gradient's error concentrates: of two halves of
        the entries, the one along whose random direction <yours, v> and phi's derivative
        differ more is kept, until one entry is left (a wrong entry among right ones is
        found in log2(n) steps)."""
        x = self.x[k]
        kinks = self.rows[k].kinks
        group = np.flatnonzero(np.ones(x.size, dtype=bool) if kinks is None
                               else ~kinks.ravel())
        phi = self.phi(k)
        steps = 0
        while group.size > 1 and steps < budget:
            halves = np.array_split(self.rng.permutation(group), 2)
            gaps = []
            for half in halves:
                direction = np.zeros(x.size)
                direction[half] = self.rng.normal(size=half.size)
                estimate = numeric.derivative(phi, x, direction.reshape(x.shape),
                                              self.itemsize, self.tolerance)
                steps += 1
                mine = float(np.sum(yours.ravel() * direction))
                gaps.append(-1.0 if estimate.value is None else abs(mine - estimate.value))
            group = halves[int(np.argmax(gaps))]
        return int(group[0]) if group.size == 1 else None

def _disagree(jv: list[np.ndarray], d: list[np.ndarray], v: np.ndarray) -> np.ndarray:
    """Entries where the derivative along v is not d * v (beyond round-off)."""
    return np.any([np.abs(a - b * v) > 1e-7 * max(float(np.abs(b * v).max()), 1e-300)
                   for a, b in zip(jv, d)], axis=0)
