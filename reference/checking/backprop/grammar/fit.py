"""Does a candidate gradient explain the user's arrays, under which convention, and how well?

A correct gradient of any usual objective is, array by array, ``G_k = s D_k + l2_k theta_k``
(``conventions``): D the gradient of the unit data loss, s the convention's scale, l2_k the
multiple of the array itself its L2 term adds (0 for an unpenalised array). ``Fit`` holds the
user's arrays and the candidate conventions, and answers two questions about a candidate D
(the right one, or one with slips made):

- ``errors``: each array's relative error under given conventions (the verdict's measure);
- ``match``: the numbers that bring D closest to the user's arrays, found by weighted least
  squares (s, the L2 coefficients of weights and biases, and the numbers a candidate carries:
  ``D(t) = D + sum_j t_j B_j`` for a factor at a step or targets smoothed by some epsilon, and
  the L2 term of a group of arrays off by its own multiple), then snapped to the nearest
  allowed conventions and verified under them with ``errors``.

Each array is weighted by its own size, so that a small bias counts as much as a large
weight. Large arrays enter the least squares through a sample of their elements (the
largest and a random spread); the verdict always reads every element.
"""

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from reference.checking.backprop.conventions import Convention

SAMPLE = 400  # elements per array in the least squares


@dataclass
class Match:
    """A candidate's best agreement: the convention row, the numbers found (``t``, and
    ``l2``: array -> its L2 term as a multiple of the weights' coefficient, where a group's
    own), each array's relative error, and whether every usable array is within its
    tolerance."""

    row: int
    t: np.ndarray
    l2: dict[int, float]
    errors: np.ndarray
    ok: bool


@dataclass
class Fit:
    """The user's arrays (canonical order W0, b0, W1, ...; flat; None where unusable), the
    parameters, each array's tolerance, and the candidate conventions."""

    names: list[str]
    grads: list[np.ndarray | None]
    theta: list[np.ndarray]
    tol: list[float]
    n: int
    K: int
    alpha: float
    conventions: list[Convention]
    weight: list[bool] = field(init=False)
    usable: list[int] = field(init=False)

    def __post_init__(self) -> None:
        self.weight = [name[0] == "W" for name in self.names]
        self.usable = [k for k, g in enumerate(self.grads) if g is not None]
        self.size = [float(np.abs(g).max(initial=0.0)) if g is not None else 0.0
                     for g in self.grads]
        largest = max(self.size, default=0.0)  # an array of zeros weighs as a small one
        self.weight_of = [1.0 / max(size, 1e-3 * largest, 1e-300) for size in self.size]
        rng = np.random.default_rng(0)
        self.sample = []
        for g in self.grads:
            if g is None or g.size <= SAMPLE:
                self.sample.append(None)
            else:
                top = np.argsort(-np.abs(g))[: SAMPLE // 4]
                spread = rng.choice(g.size, size=SAMPLE, replace=False)
                self.sample.append(np.unique(np.concatenate([top, spread])))
        self.s = np.array([c.scale(self.n, self.K) for c in self.conventions])
        self.l2w = np.array([c.l2(self.n) * self.alpha for c in self.conventions])
        self.l2b = np.array([self.l2w[r] if c.biases else 0.0
                             for r, c in enumerate(self.conventions)])
        self.tolerance = np.array(self.tol)

    # --- the measure ----------------------------------------------------------------------------

    def _l2(self, rows: list[int] | int, k: int, l2: dict[int, float] | None) -> np.ndarray:
        """Array k's L2 coefficient under the rows: the convention's, or where ``l2`` gives
        one, that multiple of the weights' coefficient."""
        if l2 is not None and k in l2:
            return self.l2w[rows] * l2[k]
        return self.l2w[rows] if self.weight[k] else self.l2b[rows]

    def errors(self, D: list[np.ndarray], rows: list[int] | None = None,
               l2: dict[int, float] | None = None, sampled: bool = False) -> np.ndarray:
        """(rows x arrays) relative errors of D's arrays under each convention row (``l2``:
        array -> its L2 term as a multiple of the weights' coefficient where it differs from
        the convention's); inf where the user's array is unusable. ``sampled``: large arrays
        read at their sample of elements only (to rank candidates, never for a verdict)."""
        rows = list(range(len(self.conventions))) if rows is None else list(rows)
        out = np.full((len(rows), len(self.names)), math.inf)
        s = self.s[rows][:, None]
        for k in self.usable:
            g, d, t = self.grads[k], D[k], self.theta[k]
            if sampled and self.sample[k] is not None:
                pick = self.sample[k]
                g, d, t = g[pick], d[pick], t[pick]
            E = s * d[None, :] + self._l2(rows, k, l2)[:, None] * t[None, :]
            with np.errstate(invalid="ignore", over="ignore"):
                diff = np.abs(E - g[None, :]).max(axis=1, initial=0.0)
                big = np.maximum(np.abs(E).max(axis=1, initial=0.0), self.size[k])
                out[:, k] = np.where(big > 0, diff / np.where(big > 0, big, 1.0), 0.0)
        out[~np.isfinite(out)] = math.inf
        return out

    def within(self, errors: np.ndarray) -> np.ndarray:
        """(rows x arrays): which arrays are within their tolerance."""
        return errors <= self.tolerance[None, :]

    def fits(self, errors: np.ndarray) -> np.ndarray:
        """Per row: every usable array within its tolerance."""
        return np.all(self.within(errors)[:, self.usable], axis=1)

    def residual(self, D: list[np.ndarray], row: int, l2: dict[int, float] | None = None
                 ) -> float:
        """How far D under convention ``row`` is from the user's arrays: the root of the
        summed mean squares of each array's difference relative to its size."""
        total = 0.0
        for k in self.usable:
            E = self.s[row] * D[k] + self._l2(row, k, l2) * self.theta[k]
            size = max(self.size[k], float(np.abs(E).max(initial=0.0)), 1e-300)
            with np.errstate(invalid="ignore", over="ignore"):
                r = float(np.mean(((E - self.grads[k]) / size) ** 2))
            total += r if math.isfinite(r) else 1e300
        return math.sqrt(total)

    # --- finding the numbers --------------------------------------------------------------------

    def match(self, D: list[np.ndarray], B: list[list[np.ndarray]] = (),
              groups: list[list[int]] = (), rows: list[int] | None = None,
              prefer: Callable[[int], tuple] = lambda r: (r,)) -> Match | None:
        """The allowed convention (among ``rows``) and numbers that bring D closest to the
        user's arrays; see the module docstring. None when nothing can be fitted."""
        rows = list(range(len(self.conventions))) if rows is None else rows
        if not rows or not self.usable:
            return None
        found = self._least_squares(D, B, groups)
        if found is None:
            return None
        solution, M = found
        used = np.abs(M).max(axis=0) > 0
        return self._snap(D, B, groups, rows, solution, used, self.alpha > 0, prefer)

    def _least_squares(self, D: list[np.ndarray], B: list[list[np.ndarray]],
                       groups: list[list[int]]) -> tuple[np.ndarray, np.ndarray] | None:
        """The weighted least-squares solution (s, [l2_W, l2_b], t..., group l2...) and its
        matrix; None when nothing is usable or finite."""
        if not self.usable:
            return None
        grouped = {k: j for j, group in enumerate(groups) for k in group}
        penalised = self.alpha > 0
        width = 1 + (2 if penalised else 0) + len(B) + len(groups)
        columns: list[list[np.ndarray]] = [[] for _ in range(width)]
        target = []
        for k in self.usable:
            pick = self.sample[k]
            take = (lambda a: a) if pick is None else (lambda a, p=pick: a[p])
            w = self.weight_of[k]
            theta = take(self.theta[k])
            zero = np.zeros_like(theta)
            target.append(w * take(self.grads[k]))
            columns[0].append(w * take(D[k]))
            if penalised:
                shared = k not in grouped
                columns[1].append(w * theta if shared and self.weight[k] else zero)
                columns[2].append(w * theta if shared and not self.weight[k] else zero)
            base = 3 if penalised else 1
            for j, b in enumerate(B):
                columns[base + j].append(w * take(b[k]))
            for j in range(len(groups)):
                columns[base + len(B) + j].append(w * theta if grouped.get(k) == j else zero)
        M = np.column_stack([np.concatenate(c) for c in columns])
        y = np.concatenate(target)
        with np.errstate(all="ignore"):
            if not (np.isfinite(M).all() and np.isfinite(y).all()):
                return None
            solution, *_ = np.linalg.lstsq(M, y, rcond=None)
        return solution, M

    def free(self, D: list[np.ndarray]) -> tuple[float, float, float] | None:
        """(s, l2 of the weights, l2 of the biases) that bring D closest to the user's
        arrays, not snapped to any convention (a factor on every array shows here)."""
        m = self._least_squares(D, [], [])
        if m is None:
            return None
        solution = m[0]
        return (float(solution[0]), float(solution[1]) if self.alpha > 0 else 0.0,
                float(solution[2]) if self.alpha > 0 else 0.0)

    def _snap(self, D: list, B: list, groups: list, rows: list[int], solution: np.ndarray,
              used: np.ndarray, penalised: bool, prefer: Callable[[int], tuple]
              ) -> Match | None:
        """Verify the found numbers under the allowed conventions nearest to them; among
        those that fit, the preferred."""
        s = solution[0]
        distance = []
        for r in rows:
            d = abs(s - self.s[r]) / abs(self.s[r])
            if penalised and self.l2w[r] > 0:
                if used[1]:
                    d += abs(solution[1] - self.l2w[r]) / self.l2w[r]
                if used[2]:
                    d += abs(solution[2] - self.l2b[r]) / self.l2w[r]
            distance.append(d if math.isfinite(d) else math.inf)
        order = np.argsort(distance)
        nearest = distance[order[0]]
        trial = [rows[i] for i in order if distance[i] <= nearest + 1e-6][:8] + \
            [rows[i] for i in order[:2]]
        base = 3 if penalised else 1
        best, good = None, []
        for r in dict.fromkeys(trial):
            t = solution[base: base + len(B)] / self.s[r]
            l2 = {k: float(solution[base + len(B) + j] / self.l2w[r])
                  for j, group in enumerate(groups) for k in group} if self.l2w[r] > 0 else {}
            if groups and not l2:
                continue
            Dt = D if not len(B) else [d + sum(tj * b[k] for tj, b in zip(t, B))
                                       for k, d in enumerate(D)]
            errors = self.errors(Dt, [r], l2 or None)[0]
            ok = bool(np.all(errors[self.usable] <= self.tolerance[self.usable]))
            found = Match(r, t, l2, errors, ok)
            if ok:
                good.append(found)
            elif best is None or _worse(best, found, self):
                best = found
        if good:
            return min(good, key=lambda m: prefer(m.row))
        if groups:  # the numbers are the group's: the snapped row stands
            return best
        # the least squares are pulled by the arrays still wrong: rank the candidate under
        # the convention that makes the most arrays right
        every = self.errors([d + sum(tj * b[k] for tj, b in zip(best.t, B))
                             if len(B) else d for k, d in enumerate(D)], rows, sampled=True)
        wrong = np.sum(every[:, self.usable] > self.tolerance[self.usable], axis=1)
        logs = np.log10(np.clip(every[:, self.usable], 1e-17, 1e3)).sum(axis=1)
        i = int(np.lexsort((logs, wrong))[0])
        if rows[i] == best.row:
            return best
        return Match(rows[i], best.t * self.s[best.row] / self.s[rows[i]], {}, every[i],
                     False)

    def wrong_count(self, errors: np.ndarray) -> int:
        return int(np.sum(errors[self.usable] > self.tolerance[self.usable]))


def _worse(a: Match, b: Match, fit: Fit) -> bool:
    """Whether match a is worse than b: more wrong arrays, then larger errors."""
    key = lambda m: (fit.wrong_count(m.errors),  # noqa: E731
                     float(np.sum(np.log10(np.clip(m.errors[fit.usable], 1e-17, 1e3)))))
    return key(a) > key(b)
