"""Correct backward passes as source code: written in the architecture's style, compiled, and
held against the independent reference before anything is mutated.

``generate(arch)`` returns the ``Source``; ``compile_source`` turns any source (a mutant's
too) into the function; ``verify`` measures a pass against torch autograd.
"""

import linecache
from collections.abc import Callable
from itertools import count

import numpy as np

from comparisons.bench.mutants.architectures import Architecture
from comparisons.bench.mutants.forms import (
    canonical,
    canonical_gradients,
    copied,
    given,
    named_arrays,
    split,
)
from comparisons.bench.mutants.objective import reference, relative_error
from comparisons.bench.mutants.styles import WRITERS
from comparisons.bench.mutants.writer import Source

EXACT = 1e-6  # a generated pass must equal the reference this closely, in every array
_files = count()


class GeneratorError(AssertionError):
    """A generated pass is not the gradient it claims to be: a bug of this generator."""


def generate(arch: Architecture) -> Source:
    """The correct grad_fn for ``arch``, in its code style (the seed picks the idioms)."""
    return WRITERS[arch.style](arch, np.random.default_rng([arch.seed, 2]))


def compile_source(source: Source, label: str = "generated") -> Callable:
    """The function ``source`` defines. Its text is registered with ``linecache`` under a
    name carrying ``label``, so a traceback shows the generated lines."""
    filename = f"<{label} #{next(_files)}>"
    lines = source.text.splitlines(keepends=True)
    linecache.cache[filename] = (len(source.text), None, lines, filename)
    namespace = {"np": np}
    exec(compile(source.text, filename, "exec"), namespace)
    return namespace[source.name]


def run(arch: Architecture, grad_fn: Callable, inputs: tuple) -> tuple[float | None, dict]:
    """(loss or None, name -> gradient) from ``grad_fn`` on a copy of ``inputs``
    ((params, X, Y) as ``forms.given`` makes them); NumPy's warnings silenced. Raises
    whatever grad_fn raises, and ``forms.StructureError`` on a wrongly shaped answer."""
    with np.errstate(all="ignore"):
        loss, grads = split(arch, grad_fn(*copied(*inputs)))
    return loss, named_arrays(arch, grads)


def verify(arch: Architecture, source: Source) -> float:
    """The largest relative error of the pass (every gradient, and the loss it returns)
    against torch autograd on the same objective; GeneratorError above ``EXACT``."""
    canon = canonical(arch)
    loss, named = run(arch, compile_source(source), given(arch, canon))
    ref_loss, ref_Ws, ref_bs = reference(arch, canon)
    dWs, dbs = canonical_gradients(arch, named)
    errors = [relative_error(a, b) for a, b in zip(dWs + dbs, ref_Ws + ref_bs)]
    if loss is not None:
        errors.append(relative_error(np.array(loss), np.array(ref_loss)))
    worst = max(errors)
    if not worst <= EXACT:
        raise GeneratorError(f"{arch.describe()}: the generated pass is off by {worst:.2e}\n"
                             f"{source.text}")
    return worst
