"""Calling a student's function safely and reading its answer without being fooled.

Every call gets copies of its inputs, and a function that writes into them is told so. An
answer is compared only when it is made of finite real numbers of the right shapes: NaN,
infinity, complex values, objects, strings, None and a wrong count of values are never
right, and each is said in words. A list and a tuple are the same answer.
"""

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from reference.checking.compare import problem_with, relative_difference

RTOL = 1e-9


@dataclass
class Called:
    """One call: the answer (a tuple of values, or None), and the names of the inputs the
    function wrote into."""

    answer: tuple | None
    wrote: list[str]


def call(fn: Callable, args: dict[str, object], count: int = 0) -> Called:
    """``fn(**args)`` positionally, on copies; raises what the function raises. ``count``:
    how many values the exercise returns (1: whatever comes back is that one value, a list
    of lists included)."""
    given = {k: (np.array(v, copy=True) if isinstance(v, np.ndarray) else v)
             for k, v in args.items()}
    result = fn(*given.values())
    wrote = [k for k, v in args.items() if isinstance(v, np.ndarray)
             and not (np.shape(given[k]) == v.shape and np.array_equal(given[k], v))]
    if result is None:
        return Called(None, wrote)
    one = count == 1 or not isinstance(result, (tuple, list))
    values = (result,) if one else tuple(result)
    return Called(values, wrote)


def problems(answer: tuple, expected: tuple, what: list[str]) -> list[str]:
    """Why ``answer`` cannot be compared with ``expected`` (value by value), in words."""
    if len(answer) != len(expected):
        return [f"it returns {len(answer)} value{'s' if len(answer) != 1 else ''}, "
                f"{len(expected)} expected ({', '.join(what)})"]
    found = []
    for name, value, right in zip(what, answer, expected):
        problem = problem_with(value)
        if problem is not None:
            found.append(f"{name}: {problem}")
            continue
        shape, want = np.shape(value), np.shape(right)
        if shape != want and not (np.size(value) == np.size(right)
                                  and np.squeeze(np.zeros(shape)).shape == want):
            found.append(f"{name} is transposed: shape {shape}, expected {want}"
                         if shape == want[::-1] else f"{name} has shape {shape}, expected "
                         f"{want}")
    return found


def equal(answer: tuple, expected: tuple, rtol: float = RTOL) -> bool:
    """Every value within ``rtol`` of its expected one (shapes that differ only by axes of
    length 1 count as the same: a (1, n) bias gradient is an (n,) one with a batch axis)."""
    return len(answer) == len(expected) and all(
        relative_difference(a, e) <= rtol for a, e in zip(answer, expected))


def kept_axis(answer: tuple, expected: tuple) -> list[int]:
    """Indices of values right in every number but with an extra axis of length 1."""
    return [k for k, (a, e) in enumerate(zip(answer, expected))
            if np.shape(a) != np.shape(e) and np.size(a) == np.size(e)]
