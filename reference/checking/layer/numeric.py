"""Finite differences of a layer's own forward, along directions and at coordinates.

What a backward pass must equal is the gradient of phi(inputs) = sum(dout * forward(inputs))
(for a loss, its value times dout). Along a direction v the derivative of phi is <grad, v>,
so a few random directions test a whole gradient array at the cost of a few forward calls,
and an error anywhere in it shows (its projection on a random direction is almost never 0).

Each estimate takes phi at t = 0, +-h, +-2h: the central differences over h and 2h, and
Richardson's combination of the two (error O(h^4)). A kink (ReLU at 0, a tie in a max-pool
window) shows in two ways, both checked: the one-sided slopes on either side of t = 0 jump
(a kink at the point), or the estimates over h and 2h disagree (a kink within 2h); the step
is then made smaller, and a direction that keeps meeting one is left out and counted.
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
