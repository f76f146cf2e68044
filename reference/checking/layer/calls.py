"""Calling a user's layer the way it expects to be called, on copies, and reading what its
backward returns.

``forward(*inputs)`` returns ``out`` or, as CS231n's layers do, ``(out, cache)`` (any 2-tuple
is read that way). ``backward(dout, cache)`` follows a forward that returned a cache,
``backward(dout, *inputs)`` one that did not. Only floating-point NumPy arrays are
differentiated (for a loss, only the first input); everything else (a ``conv_param`` or
``bn_param`` dict, a mask of booleans or integers, labels, a mode string, a number) is passed
through unchanged. Every call gets fresh copies (dicts deep-copied: a batchnorm's forward
writes its running statistics into its ``bn_param``), so the caller's arrays are never
touched; what a call writes into its array inputs is noticed.
"""

import copy
import inspect
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np


def parameter_names(forward: Callable, count: int) -> list[str]:
    """The forward's own names for its inputs (``x``, ``w``, ``b``, ``bn_param``), or x0,
    x1, ... where its signature does not give them."""
    try:
        params = list(inspect.signature(forward).parameters.values())
    except (TypeError, ValueError):
        params = []
    names = []
    for p in params:
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            names.append(p.name)
        elif p.kind == p.VAR_POSITIONAL:
            break
    names = names[:count]
    names += [f"x{i}" for i in range(len(names), count)]
    if len(set(names)) != len(names):
        return [f"x{i}" for i in range(count)]
    return names


def differentiable(value: object) -> bool:
    return isinstance(value, np.ndarray) and value.dtype.kind == "f"


def fresh(value: object) -> object:
    """A copy a call may do anything with."""
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, (Mapping, list)):
        return copy.deepcopy(value)
    return value


@dataclass
class Forward:
    """One forward call: its output (as returned), the cache (None without one), and the
    names of the array inputs it wrote into."""

    out: object
    cache: object
    has_cache: bool
    wrote: list[str]
    given: list[object]


def run_forward(forward: Callable, inputs: list[object], names: list[str],
                replaced: dict[int, np.ndarray] | None = None) -> Forward:
    """``forward`` on fresh copies of ``inputs`` (input k replaced by ``replaced[k]``, in its
    own dtype)."""
    given = [fresh(v) for v in inputs]
    for k, value in (replaced or {}).items():
        given[k] = np.asarray(value).astype(inputs[k].dtype)
    before = [v.copy() if isinstance(v, np.ndarray) else None for v in given]
    try:
        result = forward(*given)
    except Exception as error:
        raise ValueError(f"forward raised {type(error).__name__}: {error}".split("\n")[0]
                         + " (check_layer called it as forward(*inputs) with copies of your "
                         "inputs)") from error
    wrote = [names[k] for k, (a, b) in enumerate(zip(given, before))
             if b is not None and not (a.shape == b.shape and
                                       np.array_equal(a, b, equal_nan=True))]
    if isinstance(result, tuple) and len(result) == 2:
        return Forward(result[0], result[1], True, wrote, given)
    return Forward(result, None, False, wrote, given)


def run_backward(backward: Callable, dout: object, fwd: Forward) -> object:
    """``backward(dout, cache)`` or ``backward(dout, *inputs)``, on copies."""
    args = [fresh(fwd.cache)] if fwd.has_cache else [fresh(v) for v in fwd.given]
    try:
        return backward(fresh(dout), *args)
    except Exception as error:
        how = "backward(dout, cache)" if fwd.has_cache else "backward(dout, *inputs)"
        raise ValueError(f"backward raised {type(error).__name__}: {error}".split("\n")[0]
                         + f" (check_layer called it as {how})") from error


_MARKS = re.compile(r"^(d_?|grad_?)|(_?grad)$")


def read_gradients(result: object, names: list[str], wanted: list[int]
                   ) -> tuple[dict[int, object], list[str]]:
    """The returned gradients by input index, and sentences for what cannot be read: a
    tuple or list in the inputs' order (of the differentiable ones, or of all of them), a
    single array for a single input, or a dict keyed by the inputs' names ("dx" or "x")."""
    problems: list[str] = []
    count = len(wanted)
    if isinstance(result, Mapping):
        bare = {_MARKS.sub("", str(k)): v for k, v in result.items()}
        bare.update({str(k): v for k, v in result.items()})
        found = {k: bare[names[k]] for k in wanted if names[k] in bare}
        unknown = [str(k) for k in result if str(k) not in names
                   and _MARKS.sub("", str(k)) not in names]
        if unknown:
            problems.append(f"backward returned gradients for {', '.join(unknown)}, which are "
                            f"not inputs of forward ({', '.join(names)}).")
        return found, problems
    if isinstance(result, (list, tuple)):
        values = list(result)
        if len(values) == count:
            return dict(zip(wanted, values)), problems
        if len(values) == len(names):  # one per input, the passed-through ones included
            return {k: values[k] for k in wanted}, problems
        problems.append(f"backward returned {len(values)} gradient(s) for {count} "
                        f"differentiable input(s) ({', '.join(names[k] for k in wanted)}).")
        return dict(zip(wanted, values[:count])), problems
    if count == 1:
        return {wanted[0]: result}, problems
    problems.append(f"backward returned one {type(result).__name__} for {count} "
                    f"differentiable inputs ({', '.join(names[k] for k in wanted)}): return "
                    "a tuple with one gradient each, in the inputs' order.")
    return {}, problems
