"""Is your forward pass the declared network's? Your loss against the declared network's loss.

Before a wrong gradient sends anyone to the forward pass, the loss your function returns is
compared with the declared network's loss at the same parameters, under the convention your
gradient follows: ``s * (the unit data loss) + l2_W/2 * sum W^2 + l2_b/2 * sum b^2``. Where
they agree, the report says so and the forward pass is cleared; where they agree under
another convention (a loss summed where the gradient averages, another L2 form), it says
which; where no convention gives your loss, it says how far apart they are, and only then
points at the forward pass.
"""

import numpy as np

from reference.checking.backprop.conventions import objective, penalty
from reference.checking.backprop.grammar.fit import Fit
from reference.checking.backprop.grammar.network import Forward
from reference.checking.backprop.read import Settings

AGREE = {8: 1e-6, 4: 1e-4, 2: 1e-2}  # a loss "is" the declared one within this, by its bytes


def words(loss: float, itemsize: int, fwd: Forward, fit: Fit, row: int,
          flat: list[np.ndarray], s: Settings) -> str:
    """One sentence on how your loss compares with the declared network's."""
    if not np.isfinite(loss):
        return f"your loss is {loss}, so it cannot be compared with the declared network's."
    unit = fwd.unit_loss()
    sq_w = float(sum((a ** 2).sum() for a in flat[0::2]))
    sq_b = float(sum((a ** 2).sum() for a in flat[1::2]))
    value = fit.s * unit + 0.5 * fit.l2w * sq_w + 0.5 * fit.l2b * sq_b
    gap = np.abs(value - loss) / np.maximum(np.maximum(np.abs(value), abs(loss)), 1e-300)
    tol = AGREE.get(itemsize, 1e-6)
    name = lambda r: objective(fit.conventions[r], s.loss, s.output, fit.K, s.alpha)  # noqa
    if gap[row] <= tol:
        return (f"your forward pass agrees with the declared network (your loss equals its "
                f"loss to {gap[row]:.0e})")
    same_data = [r for r in range(len(value)) if gap[r] <= tol
                 and abs(fit.s[r] - fit.s[row]) <= 1e-12 * fit.s[row]]
    if same_data:
        theirs, mine = fit.conventions[same_data[0]], fit.conventions[row]
        return (f"your forward pass agrees with the declared network; the L2 term of your "
                f"loss is {penalty(theirs)}, where your gradient's is {penalty(mine)}")
    others = [r for r in range(len(value)) if gap[r] <= tol]
    if others:
        return (f"your forward pass agrees with the declared network, but your loss is "
                f"{name(others[0])} while your gradient is that of {name(row)}")
    data_only = fit.s * unit
    scaled = np.abs(data_only - loss) / np.maximum(np.abs(data_only), 1e-300)
    if s.alpha > 0 and np.any(scaled <= tol):
        return ("your forward pass agrees with the declared network, but your loss holds no "
                "L2 term")
    return (f"your loss {loss:.6g} is not the declared network's at your parameters "
            f"({value[row]:.6g} for {name(row)}, {100 * gap[row]:.2g}% apart): check that "
            f"your forward pass is the one declared (activation={s.activation!r}, "
            f"output={s.output!r}, loss={s.loss!r}" + (f", label_smoothing={s.smoothing}"
                                                        if s.smoothing else "")
            + ") and computes its loss from the same targets")
