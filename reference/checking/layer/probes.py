"""Calling your backward the way a network does, and watching what it writes.

A backward pass is called with an upstream gradient ``dout`` that other layers may share
(a residual branch hands the same ``dout`` on twice), with the cache of its forward, whose
arrays are often the previous layer's outputs themselves (``cache = (x, w)`` holds the very
``x`` another layer reads), and, during gradient checking or with a graph kept for a second
pass, more than once. So ``probe`` calls it three times, each time on copies (your arrays are
never touched), and records:

- ``wrote_dout``: it wrote into ``dout``;
- ``wrote_inputs``: it wrote into an input, directly (``backward(dout, *inputs)``) or through
  the cache, where the cache holds the input itself;
- ``wrote_cache``: it wrote into another array of the cache (by its place, ``cache[3]``),
  and ``again``: the gradients a second backward gives on that written cache (a write that
  changes what a second call returns is a mistake; one that does not is only said);
- ``second``: the gradients of a second call on fresh copies, the same ``dout`` and cache:
  when they differ from the first's, backward keeps something between calls (a buffer it
  adds into and never zeroes) or draws something new.

>>> import numpy as np
>>> from reference.checking.layer.calls import run_forward
>>> fwd = run_forward(lambda x: (2 * x, x), [np.ones(3)], ["x"])
>>> def in_place(dout, cache):
...     dout *= 2
...     return dout
>>> probed = probe(in_place, np.ones(3), fwd, ["x"], read=lambda result: {0: result})
>>> probed.wrote_dout, probed.aliased
(True, [0])
"""

import copy
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np


@dataclass
class Probed:
    """Three calls of a backward (see the module docstring). ``first``, ``second`` and
    ``again`` are what each returned, copied as it returned (None: not called)."""

    first: object
    second: object = None
    again: object = None
    wrote_dout: bool = False
    wrote_inputs: list[str] = field(default_factory=list)
    wrote_cache: list[str] = field(default_factory=list)
    aliased: list[int] = field(default_factory=list)  # inputs whose gradient IS dout
    raised_again: str | None = None


def _copy(value: object) -> object:
    """A deep copy (arrays, tuples, lists, dicts and plain objects), or ``value`` itself
    where it cannot be copied."""
    try:
        return copy.deepcopy(value)
    except Exception:  # noqa: BLE001 - an object that refuses to be copied is handed as is
        return value


def arrays_in(value: object, path: str = "cache", depth: int = 0) -> list[tuple[str, object]]:
    """(place, array) for every NumPy array in ``value``: in tuples, lists, dicts and plain
    objects' attributes, three levels deep."""
    if isinstance(value, np.ndarray):
        return [(path, value)]
    if depth >= 3:
        return []
    found: list[tuple[str, object]] = []
    if isinstance(value, (tuple, list)):
        for i, item in enumerate(value):
            found += arrays_in(item, f"{path}[{i}]", depth + 1)
    elif isinstance(value, dict):
        for key, item in value.items():
            found += arrays_in(item, f"{path}[{key!r}]", depth + 1)
    elif hasattr(value, "__dict__") and not isinstance(value, type) and not callable(value):
        for key, item in vars(value).items():
            found += arrays_in(item, f"{path}.{key}", depth + 1)
    return found


def _changed(before: np.ndarray, after: np.ndarray) -> bool:
    return before.shape != after.shape or not np.array_equal(before, after, equal_nan=True)


def _call(backward: Callable, dout: object, args: list) -> object:
    result = backward(dout, *args)
    return _copy(result)  # what it returned, before a later call can write into it


def probe(backward: Callable, dout: object, fwd: object, names: list[str],
          read: Callable[[object], dict] | None = None) -> Probed:
    """Call ``backward`` as ``run_backward`` does, three times, on copies; see the module
    docstring. ``fwd``: the forward's call (``calls.Forward``); ``read(result)``: the
    gradients it returned by input index (to tell which of them is ``dout`` itself). Raises
    what the first call raises; a second or third call that raises is recorded
    (``raised_again``)."""
    # the cache and the inputs copied together, so that an input the cache holds stays one
    # array in the copy: a write into it through the cache shows on the input
    cache, given = _copy((fwd.cache, fwd.given)) if fwd.has_cache else (None, _copy(fwd.given))
    args = [cache] if fwd.has_cache else given
    places = arrays_in(cache) if fwd.has_cache else []
    before = [(place, np.array(a, copy=True)) for place, a in places]
    inputs_before = [np.array(v, copy=True) if isinstance(v, np.ndarray) else None
                     for v in given]
    dout_given = _copy(dout)
    returned = backward(dout_given, *args)
    result = Probed(_copy(returned))
    if read is not None and isinstance(dout_given, np.ndarray):
        try:
            result.aliased = [k for k, g in read(returned).items()
                              if isinstance(g, np.ndarray) and np.shares_memory(g, dout_given)]
        except Exception:  # noqa: BLE001 - what cannot be read is said by the reader later
            pass
    if isinstance(dout, np.ndarray):
        result.wrote_dout = _changed(dout, np.asarray(dout_given))
    for k, (v, b) in enumerate(zip(given, inputs_before)):
        if b is not None and isinstance(v, np.ndarray) and _changed(b, v):
            result.wrote_inputs.append(names[k])
    inputs = [v for v in given if isinstance(v, np.ndarray)]
    for (place, a), (_, b) in zip(places, before):
        if _changed(b, a) and not any(np.shares_memory(a, v) for v in inputs):
            result.wrote_cache.append(place)

    try:
        fresh_cache, fresh_given = _copy((fwd.cache, fwd.given))
        result.second = _call(backward, _copy(dout),
                              [fresh_cache] if fwd.has_cache else fresh_given)
        if result.wrote_cache or result.wrote_inputs:
            result.again = _call(backward, _copy(dout), args)  # on what the first call left
    except Exception as error:  # noqa: BLE001 - said in the report
        result.raised_again = f"{type(error).__name__}: {error}".split("\n")[0]
    return result
