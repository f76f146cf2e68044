"""Finite differences of a forward (a layer's, a Function's), along directions and at
coordinates.

What a backward pass must equal is the gradient of phi(inputs) = sum(dout * forward(inputs))
(for a loss, its value times dout). Along a direction v the derivative of phi is <grad, v>,
so a few random directions test a whole gradient array at the cost of a few forward calls,
and an error anywhere in it shows (its projection on a random direction is almost never 0).

Each estimate takes phi at t = 0, +-h, +-2h: the central differences over h and 2h, and
Richardson's combination of the two (error O(h^4)). A kink (ReLU at 0, a tie in a max-pool
window) shows in two ways, both checked: the one-sided slopes on either side of t = 0 jump
(a kink at the point), or the estimates over h and 2h disagree (a kink within 2h); the step
is then made smaller, and a direction that keeps meeting one is left out and counted.

Kinks at the point itself are found entry by entry: ``kinked`` tells whether a direction
meets one (the jump between the one-sided slopes stays as the step shrinks), and
``kink_coordinates`` halves a direction's entries until it has the ones that do; for an
elementwise forward ``second_differences`` shows them all at once. ``jvp`` is the outputs'
own derivative along a direction (for an elementwise forward along ones: its whole
derivative, entry by entry).
"""

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

BASE_STEP = {8: 1e-4, 4: 3e-2, 2: 3e-1}  # relative to the input's scale, by bytes per float


@dataclass
class Estimate:
    """phi's derivative along ``direction`` (None where every step tried met a kink)."""

    direction: np.ndarray
    value: float | None
    noise: float
    noisy: bool = False  # no estimate: phi's rounding is too large to resolve the gradient


def derivative(phi: Callable[[np.ndarray], float], x: np.ndarray, direction: np.ndarray,
               itemsize: int, tolerance: float,
               magnitude: Callable[[np.ndarray], float] | None = None) -> Estimate:
    """phi's derivative at x along ``direction``; see the module docstring. ``magnitude(x)``:
    the sum of the absolute terms phi adds up (its rounding error scales with it, not with
    phi's value: a forward with a large constant offset is noisy however small phi is)."""
    eps = np.finfo({2: np.float16, 4: np.float32}.get(itemsize, np.float64)).eps
    scale = max(float(np.sqrt(np.mean(x * x))) if x.size else 0.0, 1e-3)
    norm = float(np.abs(direction).max(initial=0.0)) or 1.0
    h = BASE_STEP.get(itemsize, 1e-4) * scale / norm
    f0 = phi(x)
    noise = 64 * eps * max(abs(f0), magnitude(x) if magnitude else 0.0, 1e-300)
    grown = 0
    for _ in range(7):
        fp1, fm1 = phi(x + h * direction), phi(x - h * direction)
        fp2, fm2 = phi(x + 2 * h * direction), phi(x - 2 * h * direction)
        d1, d2 = (fp1 - fm1) / (2 * h), (fp2 - fm2) / (4 * h)
        value = (4 * d1 - d2) / 3
        size = max(abs(d1), abs(d2), noise / h)
        # one-sided slopes' difference over h (A) and 2h (B): A = h f'', B = 2h f'' where phi
        # is smooth, A = B = the jump J at a kink at t = 0: 2A - B is J, or ~0
        jump = abs(2 * ((fp1 - f0) - (f0 - fm1)) / h - ((fp2 - f0) - (f0 - fm2)) / (2 * h))
        smooth = abs(d1 - d2) <= max(0.1 * size, 20 * noise / h)
        at_point = jump > max(tolerance * size, 40 * noise / h) and abs(d1 - d2) < jump
        if smooth and not at_point:
            if 4 * noise / h <= tolerance * size / 4:
                return Estimate(direction, value, 4 * noise / h)
            if grown < 3:  # the rounding would hide a wrong gradient: a larger step
                h, grown = h * 10, grown + 1
                continue
            return Estimate(direction, None, 0.0, noisy=True)
        h /= 10
    return Estimate(direction, None, 0.0)


def agrees(estimate: Estimate, yours: np.ndarray, tolerance: float
           ) -> tuple[bool | None, float | None]:
    """Whether <yours, direction> equals the estimate, and their relative difference (None,
    None: no estimate)."""
    if estimate.value is None:
        return None, None
    mine = float(np.sum(yours * estimate.direction))
    gap = abs(mine - estimate.value)
    size = max(abs(mine), abs(estimate.value))
    return gap <= tolerance * size + estimate.noise, (gap / size if size else 0.0)


def coordinates(phi: Callable[[np.ndarray], float], x: np.ndarray, itemsize: int,
                tolerance: float, indices: list[tuple[int, ...]]
                ) -> list[tuple[tuple[int, ...], float | None]]:
    """phi's partial derivatives at the given indices (None at a kink)."""
    out = []
    for index in indices:
        e = np.zeros_like(x, dtype=np.float64)
        e[index] = 1.0
        out.append((index, derivative(phi, x, e, itemsize, tolerance).value))
    return out


# --- kinks at the point, and the outputs' own derivative ------------------------------------------

def kinked(phi: Callable[[np.ndarray], float], x: np.ndarray, direction: np.ndarray,
           itemsize: int = 8, f0: float | None = None) -> bool:
    """Whether phi has a kink at x itself along ``direction``: the one-sided slopes' jump,
    (phi(h) - 2 phi(0) + phi(-h)) / h, stays the same as h shrinks a hundredfold (where phi
    is smooth it shrinks with h; a kink near x but not at it leaves the smallest step)."""
    eps = np.finfo({2: np.float16, 4: np.float32}.get(itemsize, np.float64)).eps
    scale = max(float(np.sqrt(np.mean(x * x))) if x.size else 0.0, 1e-3)
    norm = float(np.abs(direction).max(initial=0.0))
    if norm == 0:
        return False
    f0 = phi(x) if f0 is None else f0
    h = BASE_STEP.get(itemsize, 1e-4) * scale / norm
    jumps, slopes = [], []
    for step in (h, h / 10, h / 100):
        fp, fm = phi(x + step * direction), phi(x - step * direction)
        jumps.append(abs(fp - 2 * f0 + fm) / step)
        slopes.append(abs(fp - fm) / (2 * step))
    noise = 64 * eps * max(abs(f0), 1e-300) / (h / 100)
    size = max(slopes)
    return bool(jumps[2] > max(1e-7 * size, 40 * noise)
                and jumps[2] >= 0.5 * jumps[0] and jumps[1] >= 0.5 * jumps[0])


def kink_coordinates(phi: Callable[[np.ndarray], float], x: np.ndarray, itemsize: int = 8,
                     seed: int = 0, budget: int = 400) -> np.ndarray:
    """The entries of x at which phi has a kink (a boolean mask of x's shape), found by
    halving: a random direction restricted to a group of entries meets a kink only if one
    of them sits at one. At most ``budget`` groups are tested; groups left untested when it
    runs out are counted as kinked (left out of finite differences, never passed)."""
    mask = np.zeros(x.shape, dtype=bool)
    if x.size == 0:
        return mask
    base = np.random.default_rng(seed).normal(size=x.shape)
    f0 = phi(x)
    flat_mask = mask.reshape(-1)
    pending = [np.arange(x.size)]
    tests = 0
    while pending:
        group = pending.pop()
        if tests >= budget:
            flat_mask[group] = True
            continue
        direction = np.zeros(x.size)
        direction[group] = base.reshape(-1)[group]
        tests += 1
        if not kinked(phi, x, direction.reshape(x.shape), itemsize, f0):
            continue
        if group.size == 1:
            flat_mask[group] = True
        else:
            half = group.size // 2
            pending += [group[half:], group[:half]]
    return mask


def jvp(forward: Callable[[np.ndarray], list[np.ndarray]], x: np.ndarray,
        direction: np.ndarray, shrink: float = 1.0) -> list[np.ndarray] | None:
    """The derivative of each of the forward's outputs along ``direction`` at x (float64):
    central differences over h and 2h combined by Richardson (``shrink``: h made that many
    times smaller). None where an output is not finite on a step."""
    scale = max(float(np.sqrt(np.mean(x * x))) if x.size else 0.0, 1e-3)
    norm = float(np.abs(direction).max(initial=0.0)) or 1.0
    h = BASE_STEP[8] * scale / norm / shrink
    steps = [forward(x + t * h * direction) for t in (1, -1, 2, -2)]
    out = []
    for p1, m1, p2, m2 in zip(*steps):
        d1, d2 = (p1 - m1) / (2 * h), (p2 - m2) / (4 * h)
        value = (4 * d1 - d2) / 3
        if not np.all(np.isfinite(value)):
            return None
        out.append(value)
    return out


def jacobians(forward: Callable[[np.ndarray], list[np.ndarray]], x: np.ndarray
              ) -> list[np.ndarray] | None:
    """Each output's Jacobian in x, (output size, x.size), column by column from ``jvp``
    along each coordinate; None where a step is not finite, the forward raises there, or x
    is empty."""
    columns = []
    try:
        for i in range(x.size):
            e = np.zeros(x.size)
            e[i] = 1.0
            column = jvp(forward, x, e.reshape(x.shape))
            if column is None:
                return None
            columns.append(column)
    except Exception:  # noqa: BLE001 - a forward that cannot run there
        return None
    if not columns:
        return None
    return [np.stack([c[j].ravel() for c in columns], axis=1) for j in range(len(columns[0]))]


def second_differences(forward: Callable[[np.ndarray], list[np.ndarray]], x: np.ndarray,
                       direction: np.ndarray, shrinks: tuple = (1, 10, 100)
                       ) -> list[list[np.ndarray]]:
    """For each output, (f(x + s v) - 2 f(x) + f(x - s v)) / s at s = h / shrink for each
    of ``shrinks``: an elementwise forward's kinks show entry by entry where these stay the
    same as s shrinks (where it is smooth they shrink with s)."""
    scale = max(float(np.sqrt(np.mean(x * x))) if x.size else 0.0, 1e-3)
    norm = float(np.abs(direction).max(initial=0.0)) or 1.0
    h = BASE_STEP[8] * scale / norm
    f0 = forward(x)
    levels = []
    for s in (h / shrink for shrink in shrinks):
        fp, fm = forward(x + s * direction), forward(x - s * direction)
        levels.append([np.abs(p - 2 * z + m) / s for p, z, m in zip(fp, f0, fm)])
    return [list(per_output) for per_output in zip(*levels)]
