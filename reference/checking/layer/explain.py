"""The words for a layer's wrong gradient: which slip of one local step it is (``core.local``).

A layer is one local step: its backward takes ``dout`` and returns its inputs' gradients.
``diagnose`` hands the step's grammar what it reads (``core.local.Evidence``): your
gradients, the right ones whole, the forward's output and the forward itself, and the right
gradients for another ``dout`` or at another point. Where a kind is known (given, or
recognised from your forward) the right gradients are autograd on torch's operation under the
convention your forward follows; otherwise they are finite differences of your own forward,
coordinate by coordinate, as long as the inputs are small enough (``BUDGET`` entries in all;
beyond it the report gives the worst element and no grammar). An entry where finite
differences meet a kink is left out of the comparison.
"""

from collections.abc import Callable

import numpy as np

from reference.checking.core import local, numeric
from reference.checking.layer.calls import run_forward
from reference.checking.layer.kinds.base import Binding, Convention, run

BUDGET = 4000  # entries of the differentiated inputs, in all, for finite differences whole


class Right:
    """The right gradients of a layer, for any ``dout`` and at any point: from torch's
    operation where a kind is known, else by finite differences of your forward.

    ``gradients(dout, replaced)``: per differentiated input (in ``wanted``'s order), the
    right gradient (None where it cannot be found), with inputs ``replaced`` (index into
    ``wanted`` -> array) in place of theirs.
    """

    def __init__(self, forward: Callable, inputs: list, names: list[str], wanted: list[int],
                 itemsize: int, rtol: float, binding: Binding | None = None,
                 convention: Convention | None = None) -> None:
        self.forward, self.inputs, self.names, self.wanted = forward, inputs, names, wanted
        self.itemsize, self.rtol = itemsize, rtol
        self.binding, self.convention = binding, convention
        self.masks: list[np.ndarray | None] = [None] * len(wanted)

    def affordable(self) -> bool:
        if self.convention is not None and set(self.binding.roles.values()) >= set(self.wanted):
            return True
        return sum(np.size(self.inputs[k]) for k in self.wanted) <= BUDGET

    def outputs(self, replaced: dict[int, np.ndarray] | None = None) -> np.ndarray:
        moved = {self.wanted[i]: v for i, v in (replaced or {}).items()}
        return np.asarray(run_forward(self.forward, self.inputs, self.names, moved).out,
                          dtype=np.float64)

    def gradients(self, dout: np.ndarray, replaced: dict[int, np.ndarray] | None = None,
                  record: bool = False) -> list[np.ndarray | None]:
        replaced = replaced or {}
        out: list[np.ndarray | None] = [None] * len(self.wanted)
        if self.convention is not None:
            arrays = {role: np.asarray(replaced.get(self.wanted.index(k), self.inputs[k]),
                                       dtype=np.float64)
                      for role, k in self.binding.roles.items()}
            grads = run(self.convention.forward, arrays, dout)[1]
            for role, k in self.binding.roles.items():
                if k in self.wanted:
                    out[self.wanted.index(k)] = np.asarray(grads[role], dtype=np.float64)
        for i, k in enumerate(self.wanted):
            if out[i] is None and sum(np.size(self.inputs[j]) for j in self.wanted) <= BUDGET:
                out[i], mask = self._numeric(i, dout, replaced)
                if record:
                    self.masks[i] = mask
        return out

    def _numeric(self, i: int, dout: np.ndarray, replaced: dict[int, np.ndarray]
                 ) -> tuple[np.ndarray, np.ndarray]:
        k = self.wanted[i]
        x = np.asarray(replaced.get(i, self.inputs[k]), dtype=np.float64)

        def phi(moved: np.ndarray) -> float:
            y = self.outputs({**replaced, i: moved})
            return float(np.sum(np.asarray(dout, dtype=np.float64).reshape(y.shape) * y))
        indices = [tuple(int(j) for j in index) for index in np.ndindex(x.shape)]
        found = numeric.coordinates(phi, x, self.itemsize, self.rtol, indices)
        grad, mask = np.zeros(x.shape), np.zeros(x.shape, dtype=bool)
        for index, value in found:
            if value is None:
                mask[index] = True
            else:
                grad[index] = value
        return grad, mask


def diagnose(right: Right, yours: list[np.ndarray | None], reference: list[np.ndarray | None],
             dout: np.ndarray, kinks: list[np.ndarray | None]) -> local.Diagnosis | None:
    """The grammar's diagnosis of a layer (None where the right gradients cannot be had
    whole). ``yours``, ``reference`` and ``kinks``: per differentiated input."""
    if not right.affordable():
        return None
    if any(r is None for r in reference):
        found = right.gradients(dout, record=True)
        reference = [r if r is not None else f for r, f in zip(reference, found)]
        kinks = [m if m is not None else right.masks[i] for i, m in enumerate(kinks)]
    if any(r is None for r, y in zip(reference, yours) if y is not None):
        return None
    out = right.outputs()
    tolerance = [max(right.rtol, 1e-8)] * len(yours)
    ev = local.Evidence(
        names=[right.names[k] for k in right.wanted],
        inputs=[np.asarray(right.inputs[k], dtype=np.float64) for k in right.wanted],
        yours=[None if y is None else np.asarray(y, dtype=np.float64) for y in yours],
        reference=reference, outputs=[out], upstream=[np.asarray(dout).reshape(out.shape)],
        tolerance=tolerance, output_names=["out"],
        vjp=lambda upstream: right.gradients(np.asarray(upstream[0])),
        at=lambda replaced: right.gradients(dout, replaced),
        forward=lambda replaced: [right.outputs(replaced)],
        mask=kinks)
    return local.diagnose(ev)
