"""Calling the user's ``grad_fn`` the way it expects to be called, and reading what it returns.

``grad_fn`` always receives copies, in the user's own structure and types (a dict stays a
dict, tensors stay tensors of their dtype), so nothing it does can reach the caller's arrays;
what it changes in them is noticed and named. Its result may be the gradients (a list, tuple,
dict, or a tuple of lists such as Nielsen's ``(nabla_b, nabla_w)``), ``(loss, gradients)``,
and, when intermediate nodes are asked for, those in a dict: as extra entries of a gradient
dict, or as a last element ``(loss, gradients, intermediates)``.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from reference.checking.core.precision import carried_scalar
from reference.checking.structures import Leaves, copy_of, leaves, like, to_numpy


@dataclass
class Result:
    """One call's loss (None if none returned, NaN kept as NaN), its gradients as leaves,
    the intermediate gradients handed over by name, and what the call wrote into: the
    parameters' leaf indices, and "X" or "Y"."""

    loss: float | None
    grads: Leaves
    intermediates: dict[str, Any] = field(default_factory=dict)
    wrote_params: list[int] = field(default_factory=list)
    wrote_inputs: list[str] = field(default_factory=list)
    loss_itemsize: int = 8  # the precision the loss carries (4: computed in float32)


def _scalar(value: object) -> float | None:
    """A loss: a number, or an array or tensor of one element; None for anything else."""
    if isinstance(value, (bool, str, bytes)) or value is None:
        return None
    if isinstance(value, (int, float, np.integer, np.floating)):
        return float(value)
    if isinstance(value, (np.ndarray, np.generic)) or hasattr(value, "detach"):
        array = to_numpy(value)
        if array.size == 1 and array.dtype.kind in "iuf":
            return float(array.reshape(()))
    return None


def _loss_dtype(value: object) -> np.dtype | None:
    """The dtype a returned loss was computed in, where it says (a NumPy or torch scalar)."""
    if isinstance(value, (list, tuple)) and len(value) == 1:
        value = value[0]
    if isinstance(value, (np.ndarray, np.generic)) or hasattr(value, "detach"):
        try:
            return to_numpy(value).dtype
        except Exception:  # noqa: BLE001
            return None
    return None


def _describe(value: object) -> str:
    return "None" if value is None else f"a {type(value).__name__}"


def parse(result: object, node_names: set[str]) -> tuple[float | None, object, dict]:
    """(loss, gradients structure, intermediates) from what ``grad_fn`` returned."""
    if result is None or isinstance(result, (str, bytes, int, float, np.generic)) or \
            (hasattr(result, "detach") and not isinstance(result, (list, tuple, Mapping))):
        raise TypeError(f"grad_fn returned {_describe(result)}; it must return the gradients "
                        "(a list, tuple or dict of arrays shaped like params) or (loss, "
                        "gradients).")
    loss, grads, intermediates = None, result, {}
    if isinstance(result, (list, tuple)) and len(result) in (2, 3) and \
            _scalar(result[0]) is not None and isinstance(result[1], (list, tuple, Mapping)):
        loss, grads = _scalar(result[0]), result[1]
        if len(result) == 3:
            intermediates = result[2]
    elif isinstance(result, (list, tuple)) and len(result) == 2 and node_names and \
            isinstance(result[1], Mapping) and set(result[1]) <= node_names:
        grads, intermediates = result
    if isinstance(result, (list, tuple)) and len(result) == 3 and loss is None and \
            node_names and isinstance(result[2], Mapping) and set(result[2]) <= node_names:
        grads, intermediates = list(result[:2]), result[2]
    if not isinstance(intermediates, Mapping):
        raise TypeError(f"grad_fn returned {_describe(intermediates)} as its third value; it "
                        "must be a dict of the intermediate gradients named in nodes.")
    if isinstance(grads, Mapping) and node_names:
        extra = {k: v for k, v in grads.items() if k in node_names}
        if extra:
            intermediates = {**extra, **intermediates}
            grads = {k: v for k, v in grads.items() if k not in node_names}
    return loss, grads, dict(intermediates)


def call(grad_fn: Callable, params: Leaves, X: object, Y: object, node_names: set[str],
         values: list[np.ndarray] | None = None, watch: bool = True) -> Result:
    """``grad_fn`` on copies of the parameters (or on ``values``, each in its parameter's
    form), X and Y; see the module docstring. ``watch``: notice what it writes into them."""
    given = [copy_of(v) if values is None else like(v, values[k])
             for k, v in enumerate(params.values)]
    X_copy, Y_copy = copy_of(X), copy_of(Y)
    try:
        result = grad_fn(params.rebuild(given), X_copy, Y_copy)
    except Exception as error:
        raise ValueError(f"grad_fn raised {type(error).__name__}: {error}".split("\n")[0]
                         + " (check_backprop called it as grad_fn(params, X, Y) with copies "
                         "of your arguments)") from error
    loss, grads, intermediates = parse(result, node_names)
    raw_loss = result[0] if isinstance(result, (list, tuple)) and loss is not None else None
    itemsize = carried_scalar(loss, _loss_dtype(raw_loss)) if loss is not None else 8
    wrote, inputs = [], []
    if watch:
        before = params.values if values is None else [like(v, values[k]) for k, v in
                                                        enumerate(params.values)]
        wrote = [k for k, (a, b) in enumerate(zip(given, before)) if not _same(a, b)]
        inputs = [name for name, a, b in (("X", X_copy, X), ("Y", Y_copy, Y))
                  if not _same(a, b)]
    if isinstance(grads, (list, tuple)) and not grads:
        raise TypeError("grad_fn returned an empty list; it must return one gradient per "
                        "parameter.")
    returned = leaves(grads, "grad_fn's gradients")
    returned.values = [_snapshot(v) for v in returned.values]  # a later call may write into
    intermediates = {k: _snapshot(v) for k, v in intermediates.items()}  # what it returned
    return Result(loss, returned, intermediates, wrote, inputs, itemsize)


def _snapshot(value: object) -> object:
    """A copy of a returned array, as NumPy (torch's .grad tensors are reused by the next
    backward); anything that is not an array is kept as it is, to be named."""
    try:
        array = to_numpy(value)
    except Exception:  # noqa: BLE001
        return value
    if np.ma.is_masked(array):
        return array.copy()  # still masked: its missing entries are named, not read
    return np.array(array, copy=True) if array.dtype.kind in "biufc" else value


def _same(a: object, b: object) -> bool:
    try:
        x, y = to_numpy(a), to_numpy(b)
    except Exception:  # noqa: BLE001 - replaced by something that is not an array
        return False
    return x.shape == y.shape and np.array_equal(x, y, equal_nan=x.dtype.kind in "fc")
