"""The optimizer steps compiled into one pass, when numba is there; optional.

NumPy applies Adam as a dozen whole-array operations, each reading and writing the
parameter vector, after three more that finish the gradient (the L2 term and the division
by the batch size, ``scratch.network.scale_gradients``): fifteen trips through memory per
batch. The loops below make two trips (one finishes the gradient, one updates), and apply
to every element exactly the operations of the NumPy code in ``network.py``, ``adam.py``
and ``sgd.py`` (``fused_kernels.py`` holds the loops), in the same order, with the scalars
rounded to the arrays' dtype as NumPy rounds them, and without fast-math (no fused
multiply-adds, no reassociation): the results are the same to the last bit, in float32 and
float64 (tests/test_fused.py holds them equal).

``kernels()`` compiles them on first use (numba keeps them in its cache for the next
process); it returns ``(None, None)`` when numba is missing, when ``MLP_TWINS_NO_NUMBA`` is
set, or when compiling fails, and then ``adam.py`` and ``sgd.py`` run their NumPy code, which
stays the readable reference.
"""

import functools
import os
import warnings
from collections.abc import Callable

import numpy as np

from scratch.network import scale_gradients


@functools.cache
def kernels() -> tuple[Callable | None, Callable | None]:
    """(adam, sgd): the compiled steps, or (None, None) where they cannot be had."""
    if os.environ.get("MLP_TWINS_NO_NUMBA"):
        return None, None
    try:
        from scratch.optim.fused_kernels import adam, sgd
    except ImportError:  # no numba
        return None, None
    try:  # compile both dtypes now, so that a failure shows here and not in a fit
        for dtype in (np.float32, np.float64):
            one, half = np.ones(2, dtype=dtype), dtype(0.5)
            for scale in (True, False):
                adam(one.copy(), one.copy(), one.copy(), one.copy(), *(half,) * 6, scale, 1,
                     half, half)
                sgd(one.copy(), one.copy(), one.copy(), half, half, True, scale, 1, half, half)
    except Exception as error:  # noqa: BLE001 - any failure means: use NumPy
        warnings.warn(f"the compiled optimizer steps are unavailable ({error}); using NumPy")
        return None, None
    return adam, sgd


def usable(*arrays: np.ndarray) -> bool:
    """Whether the kernels can take these arrays: 1-D, contiguous, one float dtype."""
    first = arrays[0]
    return all(a.ndim == 1 and a.flags.c_contiguous and a.dtype == first.dtype
               for a in arrays) and first.dtype in (np.float32, np.float64)


def plain_scalars(*values: object) -> bool:
    """Whether these are Python ints and floats, which NumPy rounds to the array's dtype
    before using (a NumPy float64 would make NumPy compute in float64 and round after)."""
    return all(type(v) in (int, float) for v in values)


def finish_gradients(raw: tuple[int, float, int] | None, compiled: bool, params: np.ndarray,
                     grads: np.ndarray, tmp: np.ndarray) -> tuple[bool, int, object, object]:
    """Finish ``grads`` if they are still sums (``raw`` = (n_coef, alpha, n) given): by the
    compiled step in its own pass when it runs and can take these scalars, else here, by
    NumPy's ``scale_gradients``. Returns the compiled step's last four arguments (scale,
    n_coef, alpha, n), the scalars rounded to the arrays' dtype as NumPy rounds them."""
    d = params.dtype.type
    if raw is not None and compiled and plain_scalars(*raw):
        n_coef, alpha, n = raw
        return True, n_coef, d(alpha), d(n)
    if raw is not None:
        scale_gradients(params, grads, *raw, tmp)
    return False, 0, d(0.0), d(1)
