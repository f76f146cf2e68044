"""Are your gradients the gradient of the loss your own function returns?

For each parameter array, the loss is evaluated at steps of h and 2h either side of the
weights along one direction (your gradient's own direction plus a random one), and the change
it makes is compared with what your gradient predicts for that step (g . step). The steps are
taken in your arrays' own dtype and the step actually taken, after rounding, is the one used.

The comparison has an error model, so that a right gradient is never called wrong:

- **round-off**: the loss's rounding noise at the precision it carries (float64, or float32
  when it was computed in float32, which its value shows: ``core.precision``), and the step
  is chosen so that the change stands well above it;
- **truncation**: Richardson's combination of the h and 2h differences (error O(h^5)), with
  the gap between the two differences as an estimate of what is left;
- **an absolute floor**: where the gradient is nearly orthogonal to the step (an output bias
  whose gradient is nearly zero), the prediction is compared with the size a random
  projection of the whole array's gradient has, not with its own tiny value.

Where they disagree, a least-squares fit says how: your loss is a constant times the
objective your gradient differentiates (a loss summed while the gradient averages), or it
holds an L2 term on the weights (or the biases) that your gradient lacks, doubles, or
divides by the batch size, with the fix that fits the ratio found.
"""

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

TOLERANCE = {8: 1e-5, 4: 2e-3}  # relative precision of the check, by the loss's bytes
NOISE = 32  # a loss's rounding error, in units of round-off of its value


@dataclass
class Point:
    """One measured step: the array (the user's leaf index), the step actually taken
    (flattened, in the array's own layout), the loss's change, and its error allowance
    (rounding noise plus the truncation left)."""

    leaf: int
    step: np.ndarray
    change: float
    noise: float


@dataclass
class LossCheck:
    """``ok``: your gradients predict your loss's changes (None: could not be checked, see
    ``sentence``); ``tolerance``: the relative precision of the check; ``points``: the
    measured steps; ``sentence``: what is wrong, or why it could not be checked."""

    ok: bool | None
    tolerance: float
    points: list[Point]
    sentence: str | None = None
    explained: bool = False  # the sentence names how loss and gradient differ


def measure(loss_at: Callable[[int, np.ndarray], float], values: list[np.ndarray],
            dtypes: list[np.dtype], grads: list[np.ndarray | None], loss0: float,
            valid: Callable[[int, np.ndarray], bool], itemsize: int, seed: int = 0,
            random_only: bool = False) -> list[Point]:
    """Measure the loss's change along one step per array. ``loss_at(k, moved)``: the user's
    loss with array k replaced by ``moved``; ``values``: the arrays (float64, their own
    shapes); ``grads``: the user's gradients in the same shapes (None: unusable);
    ``valid(k, moved)``: False where the step would cross a ReLU kink; ``itemsize``: the
    bytes of precision the loss carries; ``random_only``: a random direction alone (more
    equations for the explanation), not mixed with yours."""
    rng = np.random.default_rng(seed)
    eps = np.finfo({2: np.float16, 4: np.float32}.get(itemsize, np.float64)).eps
    noise = NOISE * eps * max(abs(loss0), 1e-300)
    tolerance = TOLERANCE.get(itemsize, 1e-5)
    points = []
    for k, (theta, g) in enumerate(zip(values, grads)):
        if g is None or theta.size == 0:
            continue
        rms = float(np.sqrt(np.mean(g * g)))
        direction = rng.normal(size=theta.shape) + (g / rms if rms > 0 and not random_only
                                                    else 0.0)
        slope = abs(float(g.ravel() @ direction.ravel()))
        scale = max(float(np.sqrt(np.mean(theta * theta))), 1e-2)
        target = 10 * noise / tolerance  # the change we want: far above the noise
        h = min(0.1 * scale, target / (2 * slope)) if slope > 0 else 0.1 * scale
        h = max(h, 1e-12 * scale)
        for attempt in range(5):
            point = _central(loss_at, k, theta, dtypes[k], direction, h, valid)
            if point is None:  # a kink in between: a smaller step
                h /= 10
                continue
            change, step, truncation = point
            if abs(change) < target / 10 and h < 0.1 * scale:  # too small to see: larger (the
                h = min(0.1 * scale, h * 10) if attempt < 3 else 0.1 * scale  # last try: the
                continue  # largest step, where a loss that does not move at all is measured)
            points.append(Point(k, step.ravel(), change, 3 * noise + truncation))
            break
    return points


def _central(loss_at: Callable, k: int, theta: np.ndarray, dtype: np.dtype,
             direction: np.ndarray, h: float, valid: Callable
             ) -> tuple[float, np.ndarray, float] | None:
    """The loss's change from theta - h v to theta + h v by Richardson's extrapolation over
    h and 2h (error O(h^5)), the step actually taken, and what is left of the truncation
    (a tenth of the two differences' disagreement, which is O(h^3))."""
    def pair(size: float) -> tuple[float, np.ndarray] | None:
        plus = np.asarray(theta + size * direction).astype(dtype).astype(np.float64)
        minus = np.asarray(theta - size * direction).astype(dtype).astype(np.float64)
        if not (valid(k, plus) and valid(k, minus)):
            return None
        return loss_at(k, plus) - loss_at(k, minus), plus - minus

    first, second = pair(h), pair(2 * h)
    if first is None or second is None:
        return None
    change = (8 * first[0] - second[0]) / 6
    step = (8 * first[1] - second[1]) / 6
    gap = abs(second[0] * float(first[1].ravel() @ first[1].ravel()) /
              max(float(second[1].ravel() @ first[1].ravel()), 1e-300) - first[0])
    return change, step, 0.1 * gap


def check(points: list[Point], values: list[np.ndarray], grads: list[np.ndarray | None],
          is_weight: list[bool], names: list[str], itemsize: int, l2: tuple[float, float],
          loss0: float, n: int, K: int) -> LossCheck:
    """Your gradients against the measured changes of your loss; see the module docstring.
    ``l2``: the multiples of W and of b that the user's gradients hold as their L2 terms;
    ``names``: each array's name, for the sentence; n, K: the batch size and the outputs."""
    tolerance = TOLERANCE.get(itemsize)
    if not np.isfinite(loss0):
        return LossCheck(False, tolerance or 1e-5, [],
                         f"Your loss is {loss0}: a loss that is not a finite number has no "
                         "gradient to check against (look for log(0), overflow in exp, or a "
                         "division by zero).")
    if tolerance is None:
        return LossCheck(None, float("nan"), [], "Your loss is computed in float16: its "
                         "rounding noise is too large for finite differences to check your "
                         "gradients against it, so it was not checked (the gradients were "
                         "still checked against the references).")
    if not points:
        why = ("no step could be taken without crossing a ReLU kink" if any(
            g is not None and g.size for g in grads) else "no gradient was usable to step along")
        return LossCheck(None, tolerance, [], f"Your loss could not be checked: {why}.")
    predicted = np.array([grads[p.leaf].ravel() @ p.step for p in points])
    measured = np.array([p.change for p in points])
    allowance = np.array([p.noise for p in points])
    floor = np.array([float(np.linalg.norm(grads[p.leaf])) * float(np.linalg.norm(p.step))
                      / np.sqrt(max(p.step.size, 1)) for p in points])
    scale = np.maximum(np.maximum(np.abs(predicted), np.abs(measured)), floor)
    if np.all(np.abs(measured - predicted) <= tolerance * scale + allowance):
        return LossCheck(True, tolerance, points)
    sentence, explained = _explain(points, values, predicted, measured, is_weight, tolerance,
                                   l2, names, n, K, scale, allowance)
    return LossCheck(False, tolerance, points, sentence, explained)


def _explain(points: list[Point], values: list[np.ndarray], predicted: np.ndarray,
             measured: np.ndarray, is_weight: list[bool], tolerance: float,
             l2: tuple[float, float], names: list[str], n: int, K: int, scale: np.ndarray,
             allowance: np.ndarray) -> tuple[str, bool]:
    """(sentence, whether it names the difference). Split your gradient's prediction into
    its data part and its L2 terms, and fit measured = a * data + c_W * (W . step) +
    c_b * (b . step): a says how the loss's data part relates to your gradient's, c_W and
    c_b what L2 terms the loss really holds."""
    w = np.array([values[p.leaf].ravel() @ p.step if is_weight[p.leaf] else 0.0
                  for p in points])
    b = np.array([0.0 if is_weight[p.leaf] else values[p.leaf].ravel() @ p.step
                  for p in points])
    data = predicted - l2[0] * w - l2[1] * b
    columns = [data] + [c for c in (w, b) if c.any()]
    A = np.column_stack(columns)
    coef, *_ = np.linalg.lstsq(A, measured, rcond=None)
    determined = len(measured) >= 2 * A.shape[1] and \
        np.linalg.cond(A / np.maximum(np.abs(A).max(axis=0), 1e-300)) < 1e6
    fitted = determined and np.all(
        np.abs(A @ coef - measured) <= 10 * tolerance * scale + allowance + 1e-300)
    if fitted and coef[0] != 0:
        a = coef[0]
        c_w = coef[1] if w.any() else l2[0]
        c_b = coef[-1] if b.any() else l2[1]
        size = np.abs(measured).max()
        seen = lambda c, col, mine: abs(c - mine) * np.abs(col).max() > tolerance * size  # noqa
        sentences = []
        if abs(a - 1) > 1e-3:
            sentences.append(f"The data part of your loss is {a:.4g} times that of the "
                             f"objective your gradient is the gradient of"
                             f"{_factor_hint(a, n, K)}.")
        if w.any() and seen(c_w, w, l2[0]):
            sentences.append(_l2_sentence(c_w, l2[0], "W", n))
        if b.any() and seen(c_b, b, l2[1]):
            sentences.append(_l2_sentence(c_b, l2[1], "b", n))
        if sentences:
            return " ".join(sentences), True
    off = [names[p.leaf] for p, m, u, s, e in zip(points, measured, predicted, scale, allowance)
           if abs(m - u) > tolerance * s + e]
    where = "" if len(off) == len(points) else \
        f" (along {', '.join(dict.fromkeys(off))}; along the other arrays it agrees)"
    return ("Your gradients are not the gradient of the loss your function returns, and no "
            f"scale or L2 term explains the difference{where}: if the gradient is wrong (see "
            "above), mend it first; else check that both come from the same forward pass.",
            False)


def _l2_sentence(in_loss: float, mine: float, array: str, n: int) -> str:
    """How the L2 term of the loss (its gradient ``in_loss`` x array) differs from the one
    your gradient adds (``mine`` x array), with the fix that fits the ratio."""
    what = "weights" if array == "W" else "biases"
    if abs(mine) < 1e-15:
        return (f"Your loss has an L2 term on the {what} (its gradient {in_loss:.3g} {array}) "
                "that your gradient lacks.")
    if abs(in_loss) < 1e-3 * abs(mine):
        return (f"Your gradient adds an L2 term on the {what} ({mine:.3g} {array}) that your "
                "loss does not have.")
    ratio = in_loss / mine
    head = (f"the loss's L2 term has the gradient {in_loss:.3g} {array}, your gradient adds "
            f"{mine:.3g} {array}")
    if ratio < 0:
        return f"The L2 term has opposite signs in your loss and your gradient: {head}."
    near = lambda v: abs(ratio - v) <= 1e-3 * v  # noqa: E731
    if near(2.0):
        return (f"The L2 term of your loss is twice what your gradient differentiates: {head} "
                f"(a penalty l2 * sum {array}^2 has the gradient 2 l2 {array}; write it "
                f"l2/2 * sum {array}^2 to match an update that adds l2 {array}).")
    if near(0.5):
        return (f"The L2 term of your loss is half what your gradient differentiates: {head} "
                f"(a penalty l2/2 * sum {array}^2 has the gradient l2 {array}, not "
                f"2 l2 {array}).")
    if n > 1 and near(float(n)):
        return (f"The L2 term of your loss is n = {n} (the batch size) times what your "
                f"gradient differentiates: {head}. Your gradient divides its L2 term by n "
                "once more than your loss does: divide both by n, or neither.")
    if n > 1 and near(1 / n):
        return (f"The L2 term of your loss is 1/n = 1/{n} of what your gradient "
                f"differentiates: {head}. Your loss divides its L2 term by the batch size n "
                "where your gradient does not: divide both by n, or neither.")
    return (f"The L2 term of your loss is {ratio:.3g} times what your gradient differentiates: "
            f"{head}. Write the penalty and its gradient from one formula: c/2 * sum "
            f"{array}^2 has the gradient c {array}.")


def _factor_hint(a: float, n: int, K: int) -> str:
    """What a constant factor between your loss and your gradient's objective points to."""
    hints = [(n, f" (n = {n}: the loss sums over the batch while the gradient averages)"),
             (1 / n, f" (1/n = 1/{n}: the loss averages over the batch while the gradient "
                     "sums)"),
             (2.0, " (2: e.g. squared error without its 1/2 in the loss but with it in the "
                   "gradient)"),
             (0.5, " (1/2: e.g. squared error with its 1/2 in the loss but without it in the "
                   "gradient)"),
             (-1.0, " (-1: the gradient is that of -loss)")]
    if K > 1:
        hints += [(K, f" (K = {K}: the loss sums over the outputs while the gradient "
                      "averages)"),
                  (1 / K, f" (1/K = 1/{K}: the loss averages over the outputs while the "
                          "gradient sums)")]
    return next((text for value, text in hints if n > 1 or value not in (n, 1 / n)
                 if abs(a - value) <= 1e-3 * abs(value)), "")
