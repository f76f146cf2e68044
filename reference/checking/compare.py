"""How every verdict compares two arrays, and ``compare``: one line per array for notebooks.

``relative_difference(a, b)`` is max |a - b| / max(max |a|, max |b|): 0 for equal arrays,
about 1e-16 for float64 round-off. It can never let a wrong answer through: NaN, infinity,
complex values, non-numbers and arrays of another size give ``inf``, never a small number.

``compare(name, yours, reference)`` is Karpathy's ``cmp()`` from his "backprop ninja"
exercise, with the place where the two differ most::

    >>> compare("dlogits", dlogits, reference_dlogits)          # doctest: +SKIP
    dlogits      | exact: False | close: True  | max diff 3.1e-17 | worst at (3, 7): ...
"""

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

EXACT = 64  # "exact": within this many units of round-off (machine epsilon) of the reference


def as_real(a: object) -> np.ndarray | None:
    """``a`` as a float64 array, or None when it holds anything but finite real numbers."""
    try:
        if hasattr(a, "detach"):  # a torch tensor
            a = a.detach().cpu().numpy()
        array = np.asarray(a)
    except Exception:  # noqa: BLE001 - anything that is not an array is not an answer
        return None
    if np.ma.is_masked(a):  # np.asarray would drop the mask and read the hidden values
        return None
    if array.dtype.kind not in "iuf":
        return None
    array = array.astype(np.float64, copy=False)
    return array if np.isfinite(array).all() else None


def problem_with(a: object) -> str | None:
    """Why ``a`` is not an array of finite real numbers, in words, or None if it is one."""
    if a is None:
        return "it is None"
    try:
        if hasattr(a, "detach"):
            a = a.detach().cpu().numpy()
        array = np.asarray(a)
    except Exception as error:  # noqa: BLE001
        return f"it is not an array ({type(error).__name__})"
    if np.ma.is_masked(a):
        return (f"it is a masked array with {int(np.ma.count_masked(a))} of its {array.size} "
                "entries masked (missing)")
    if array.dtype.kind == "c":
        return "it holds complex numbers"
    if array.dtype.kind == "b":
        return "it holds booleans, not numbers"
    if array.dtype.kind not in "iuf":
        return f"it holds {array.dtype} values, not numbers"
    if array.dtype.kind == "f":
        nan, inf = int(np.isnan(array).sum()), int(np.isinf(array).sum())
        if nan or inf:
            parts = ([f"NaN at {nan}"] if nan else []) + ([f"infinity at {inf}"] if inf else [])
            return f"it holds {' and '.join(parts)} of its {array.size} entries"
    return None


def _aligned(a: object, b: object) -> tuple[np.ndarray, np.ndarray] | None:
    x, y = as_real(a), as_real(b)
    if x is None or y is None:
        return None
    if x.shape != y.shape:
        if x.size != y.size or x.squeeze().shape != y.squeeze().shape:
            return None
        x, y = x.reshape(y.shape), y
    return x, y


def relative_difference(a: ArrayLike, b: ArrayLike) -> float:
    """max |a - b| / max(max |a|, max |b|): 0 for equal arrays, ~1e-16 for round-off; ``inf``
    when either holds NaN, infinity, complex or non-numeric values, or their sizes differ
    (shapes that differ only by axes of length 1 are compared as one)."""
    pair = _aligned(a, b)
    if pair is None:
        return float("inf")
    x, y = pair
    scale = max(np.abs(x).max(initial=0.0), np.abs(y).max(initial=0.0))
    return 0.0 if scale == 0 else float(np.abs(x - y).max() / scale)


@dataclass
class Comparison:
    """One array against its reference: ``verdict`` "exact" (round-off), "close" (within
    ``rtol``) or "wrong"; the largest difference, relative (``rel_error``) and absolute
    (``max_diff``); the worst element's index and both values there; ``problem`` says why
    the array could not be compared (NaN, another shape, ...)."""

    name: str
    verdict: str
    rel_error: float
    max_diff: float
    rtol: float
    worst_index: tuple[int, ...] | None = None
    yours: float | None = None
    reference: float | None = None
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.verdict in ("exact", "close")

    def __str__(self) -> str:
        head = (f"{self.name:<14} | exact: {str(self.verdict == 'exact'):<5} | "
                f"close: {str(self.ok):<5}")
        if self.problem:
            return f"{head} | {self.problem}"
        where = "" if self.worst_index is None else (
            f" | worst at {self.worst_index}: yours {self.yours:.6g}, "
            f"reference {self.reference:.6g}")
        return f"{head} | max diff {self.max_diff:.1e} (relative {self.rel_error:.1e}){where}"

    __repr__ = __str__


def _tolerance(dtype: np.dtype) -> float:
    return {2: 1e-2, 4: 1e-4}.get(np.dtype(dtype).itemsize, 1e-6) if \
        np.dtype(dtype).kind == "f" else 1e-6


def compare(name: str, yours: ArrayLike, reference: ArrayLike, *, rtol: float | None = None
            ) -> Comparison:
    """``yours`` against ``reference``: exact, close or wrong, with the worst element.

    ``rtol`` defaults to the precision of ``yours`` (1e-6 for float64, 1e-4 for float32,
    1e-2 for float16). Returns a ``Comparison``, which prints as one line.

    Example
    -------
    >>> import numpy as np
    >>> result = compare("dh", np.array([1.0, 2.0]), np.array([1.0, 2.5]))
    >>> result.verdict, result.worst_index, result.yours, result.reference
    ('wrong', (1,), 2.0, 2.5)
    """
    if rtol is not None and (isinstance(rtol, (bool, np.bool_)) or not isinstance(
            rtol, (int, float, np.integer, np.floating)) or not np.isfinite(rtol) or rtol <= 0):
        raise ValueError(f"rtol must be a finite number > 0, got {rtol!r}.")
    problem = problem_with(yours)
    dtype = getattr(np.asarray(yours) if problem is None else None, "dtype", np.float64)
    rtol = _tolerance(dtype) if rtol is None else float(rtol)
    if problem is not None:
        return Comparison(name, "wrong", float("inf"), float("inf"), rtol,
                          problem=f"yours: {problem}")
    ref_problem = problem_with(reference)
    if ref_problem is not None:
        raise ValueError(f"compare: the reference for {name} is not usable: {ref_problem}.")
    x, y = as_real(yours), as_real(reference)
    if x.shape != y.shape and (x.size != y.size or x.squeeze().shape != y.squeeze().shape):
        return Comparison(name, "wrong", float("inf"), float("inf"), rtol,
                          problem=f"yours has shape {x.shape}, the reference {y.shape}")
    x = x.reshape(y.shape)
    diff = np.abs(x - y)
    rel = relative_difference(x, y)
    scale = max(np.abs(x).max(initial=0.0), np.abs(y).max(initial=0.0))
    exact = rel == 0.0 or diff.max(initial=0.0) <= EXACT * np.finfo(dtype).eps * scale
    verdict = "exact" if exact else "close" if rel <= rtol else "wrong"
    worst = tuple(int(i) for i in np.unravel_index(int(diff.argmax()), diff.shape)) \
        if diff.size else None
    return Comparison(name, verdict, rel, float(diff.max(initial=0.0)), rtol, worst,
                      None if worst is None else float(x[worst]),
                      None if worst is None else float(y[worst]))
