"""The precision each array and each loss carries, read from its dtype and from its values.

An array is held to the precision it carries, not to its neighbours': a float32 bias beside
float64 weights loosens the bias alone. A float64 array whose values all came out of a float32
computation (a float32 model handed over as float64) carries float32's precision, and that
shows in its values: a float32 number written as float64 has the last 29 bits of its 52-bit
mantissa zero, which a float64 computation gives with probability 2^-29 per value. Simple
numbers (0.5, 3.0) have even more zero bits and say nothing either way, so they are not
counted.

    >>> import numpy as np
    >>> carried(np.random.default_rng(0).normal(size=50).astype(np.float32).astype(np.float64))
    4
    >>> carried(np.random.default_rng(0).normal(size=50))
    8
"""

import numpy as np

RTOL = {8: 1e-6, 4: 1e-3, 2: 5e-2}  # an array is right within this, by the bytes it carries
NAMES = {8: "float64", 4: "float32", 2: "float16"}


def _zero_bits(values: np.ndarray) -> np.ndarray:
    """How many of the lowest bits of each float64 mantissa are zero (52 for 0)."""
    bits = values.astype(np.float64).view(np.uint64) & np.uint64((1 << 52) - 1)
    low = bits & (~bits + np.uint64(1))  # the lowest set bit
    with np.errstate(divide="ignore"):
        return np.where(bits == 0, 52, np.log2(low.astype(np.float64))).astype(int)


def carried(array: object) -> int:
    """The bytes of precision ``array`` carries: its dtype's, or 4 for a float64 array
    whose values (at least 8 of them not simple) are all float32 numbers."""
    return said(array) or 8


def said(array: object) -> int | None:
    """What ``carried`` reads, or None where the values are too few to say (fewer than 8
    that are not simple numbers in a float64 array) or the array is not floating."""
    a = np.asarray(array)
    if a.dtype.kind != "f":
        return None
    if a.dtype.itemsize < 8:
        return a.dtype.itemsize
    values = a[np.isfinite(a) & (a != 0)].ravel()
    zeros = _zero_bits(values)
    informative = zeros < 40  # values with few zero bits: not simple numbers
    if informative.sum() < 8:
        return None
    return 4 if np.all(zeros[informative] >= 29) else 8


def carried_scalar(value: float, dtype: np.dtype | None = None) -> int:
    """The bytes of precision a loss carries: its dtype's (a NumPy or torch float32), or 4
    when a Python float is exactly a float32 number that is not a simple one."""
    if dtype is not None and np.dtype(dtype).kind == "f" and np.dtype(dtype).itemsize < 8:
        return np.dtype(dtype).itemsize
    if not np.isfinite(value) or value == 0:
        return 8
    zeros = int(_zero_bits(np.array([value]))[0])
    return 4 if 29 <= zeros < 45 else 8


def tolerance(itemsize: int) -> float:
    return RTOL.get(itemsize, 1e-6)
