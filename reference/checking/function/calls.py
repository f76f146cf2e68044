"""Calling the user's ``fn`` on copies: its forward in the inputs' own dtypes or in float64,
its backward through autograd.

Every call gets fresh copies (tensors cloned, lists and dicts deep-copied, a module
deep-copied once per ``Caller``), so the user's tensors, their ``requires_grad`` and their
module are never touched. Each forward runs with torch's generator seeded the same way and
restored afterwards (NumPy's and ``random``'s too), so a forward that draws random numbers (a
dropout mask) gives the same output on every call and can be differentiated; backward calls
draw from the running generators, so a backward that draws shows it on a second call. A
differentiated argument is passed as a clone of a leaf, so that a forward may change it in
place (with ``mark_dirty``) and what it wrote is seen.
"""

import copy
import random
from dataclasses import dataclass

import numpy as np
import torch

from reference.checking.function.read import Target


def _same_state(state: tuple, seed: int) -> bool:
    """Whether NumPy's global state is still the one ``np.random.seed(seed)`` set."""
    fresh = np.random.RandomState(seed).get_state()
    return state[2] == fresh[2] and np.array_equal(state[1], fresh[1])


def flatten(result: object) -> list[torch.Tensor]:
    """The tensors in a forward's result, in order (tuples, lists and dicts opened)."""
    if isinstance(result, torch.Tensor):
        return [result]
    if isinstance(result, (tuple, list)):
        return [t for item in result for t in flatten(item)]
    if isinstance(result, dict):
        return [t for item in result.values() for t in flatten(item)]
    return []


def _same_strides(t: torch.Tensor) -> torch.Tensor:
    """A copy of t with t's strides (a non-contiguous view stays one): what a backward
    writes into it is seen, and the caller's tensor is never touched."""
    out = torch.empty_strided(t.size(), t.stride(), dtype=t.dtype, device=t.device)
    if t.stride() and any(s == 0 for s in t.stride()) or not _dense(t):
        base = torch.zeros(t.untyped_storage().nbytes() // t.element_size(), dtype=t.dtype)
        out = base.as_strided(t.size(), t.stride(), t.storage_offset())
    out.copy_(t.detach())
    return out


def _dense(t: torch.Tensor) -> bool:
    """Whether t's strides cover its storage without gaps or overlaps (a permutation of a
    contiguous layout)."""
    order = sorted(range(t.dim()), key=lambda i: t.stride(i))
    expected = 1
    for i in order:
        if t.size(i) != 1 and t.stride(i) != expected:
            return False
        expected *= t.size(i)
    return True


def first_line(error: BaseException) -> str:
    """An exception as one line: its type and its message's first line."""
    text = str(error).strip()
    return f"{type(error).__name__}: {text.splitlines()[0]}" if text else type(error).__name__


def numpy(t: torch.Tensor) -> np.ndarray:
    return t.detach().cpu().to(torch.float64).numpy()


def _fresh(value: object, float64: bool) -> object:
    if isinstance(value, torch.Tensor):
        copied = value.detach().clone()
        if float64 and copied.is_floating_point():
            copied = copied.to(torch.float64)
        return copied
    if isinstance(value, (list, dict, tuple)):
        try:
            copied = copy.deepcopy(value)
        except Exception:  # noqa: BLE001 - what cannot be copied is passed as it is
            return value
        if float64:
            return _to64(copied)
        return copied
    return value


def _to64(value: object) -> object:
    if isinstance(value, torch.Tensor) and value.is_floating_point():
        return value.to(torch.float64)
    if isinstance(value, list):
        return [_to64(v) for v in value]
    if isinstance(value, tuple):
        return tuple(_to64(v) for v in value)
    if isinstance(value, dict):
        return {k: _to64(v) for k, v in value.items()}
    return value


@dataclass
class Graph:
    """One forward with autograd recording: the leaves (one per slot), the tensors passed,
    their values before the call, the result's tensors, and what the forward wrote."""

    leaves: list[torch.Tensor]
    passed: list[torch.Tensor]
    before: list[torch.Tensor]
    outputs: list[torch.Tensor]
    wrote: list[int]  # slots whose tensor the forward changed without telling autograd
    dirtied: list[int]  # slots changed in place and declared (mark_dirty, or a tracked op)
    drew: bool  # the forward drew from torch's generator


@dataclass
class Backward:
    """One backward call: the gradients per slot (None where autograd gave none), the
    error it raised (its first line), and what it wrote into."""

    grads: list[torch.Tensor | None]
    error: str | None
    wrote_upstream: bool
    wrote_inputs: list[int]


class Caller:
    """Calls ``fn`` in the inputs' own dtypes, or (``float64``) on float64 copies of every
    floating tensor and of the module."""

    def __init__(self, found: Target, inputs: list, float64: bool, seed: int) -> None:
        self.found, self.inputs, self.float64, self.seed = found, inputs, float64, seed
        self.slots = found.slots
        self.module = None
        if found.module is not None:
            try:
                self.module = copy.deepcopy(found.module)
            except Exception:  # noqa: BLE001 - functional_call swaps its parameters back
                self.module = found.module
            if float64:
                self.module = self.module.to(torch.float64)
        self.kept: list[int] | None = None  # the differentiable outputs, by position
        self.grad_mode = False  # outputs() with autograd on: a forward that needs it
        self.dtypes = [torch.float64 if float64 else s.value.dtype for s in self.slots]

    # --- calling ------------------------------------------------------------------------------

    def _call(self, values: list[torch.Tensor]) -> object:
        """fn on fresh copies of the inputs, the slots' tensors given by ``values``."""
        args = [_fresh(v, self.float64) for v in self.inputs]
        params = {}
        for slot, value in zip(self.slots, values):
            if slot.arg is not None:
                args[slot.arg] = value
            else:
                params[slot.param] = value
        found = self.found
        numpy_state, python_state = np.random.get_state(), random.getstate()
        np.random.seed(self.seed)  # a forward drawing from NumPy or random: the same draws
        random.seed(self.seed)
        with torch.random.fork_rng(devices=[]):
            torch.default_generator.manual_seed(self.seed)  # the CPU's: what fork_rng keeps
            before = torch.get_rng_state()
            if self.module is not None:
                result = torch.func.functional_call(self.module, params, tuple(args))
            elif found.function is not None:
                result = found.function.apply(*args)
            elif found.op is not None:
                result = found.op(*args)
            else:
                result = found.plain(*args)
            self._drew = not torch.equal(before, torch.get_rng_state())
        self._drew = self._drew or not _same_state(np.random.get_state(), self.seed)
        np.random.set_state(numpy_state)
        random.setstate(python_state)
        return result

    def tensor(self, k: int, value: np.ndarray | torch.Tensor) -> torch.Tensor:
        if isinstance(value, torch.Tensor):
            return value.detach().to(self.dtypes[k]).clone()
        return torch.from_numpy(np.ascontiguousarray(value)).to(self.dtypes[k])

    def start(self) -> list[torch.Tensor]:
        return [self.tensor(k, s.value) for k, s in enumerate(self.slots)]

    def outputs(self, replaced: dict[int, np.ndarray] | None = None) -> list[np.ndarray]:
        """The differentiable outputs (float64 NumPy), slots in ``replaced`` changed; no
        autograd."""
        values = self.start()
        for k, v in (replaced or {}).items():
            values[k] = self.tensor(k, v)
        if self.grad_mode:
            values = [v.requires_grad_() for v in values]
        with torch.set_grad_enabled(self.grad_mode):
            try:
                result = flatten(self._call(values))
            except Exception:
                if self.grad_mode:
                    raise
                self.grad_mode = True  # a forward that needs autograd on (a tensor hook)
                return self.outputs(replaced)
        return [numpy(result[i]) for i in self.kept]

    def graph(self, values: list[torch.Tensor] | None = None) -> Graph:
        """One forward with autograd recording (``values``: the slots' tensors)."""
        leaves = [v.requires_grad_() for v in (values or self.start())]
        passed = [leaf.clone() if slot.arg is not None else leaf
                  for leaf, slot in zip(leaves, self.slots)]
        before = [p.detach().clone() for p in passed]
        with torch.enable_grad():
            outputs = flatten(self._call(passed))
        if self.kept is None:
            self.kept = [i for i, t in enumerate(outputs) if t.is_floating_point()
                         and t.requires_grad]
        elif len(outputs) <= max(self.kept, default=-1):
            raise ValueError("fn returned fewer tensors on a second call than on the first")
        wrote, dirtied = [], []
        for k, (p, b) in enumerate(zip(passed, before)):
            if p.shape == b.shape and torch.equal(p.detach(), b):
                continue
            node = p.grad_fn
            declared = node is not None and type(node).__name__ != "CloneBackward0"
            (dirtied if declared and self.slots[k].arg is not None else wrote).append(k)
        return Graph(leaves, passed, before, [outputs[i] for i in self.kept], wrote, dirtied,
                     self._drew)

    def backward(self, graph: Graph, upstream: list[torch.Tensor],
                 create_graph: bool = False) -> Backward:
        """autograd's gradients of the differentiable outputs, given ``upstream``."""
        given = [u if create_graph else _same_strides(u) for u in upstream]
        inputs_then = [p.detach().clone() for p in graph.passed]
        error = None
        grads: list[torch.Tensor | None] = [None] * len(graph.leaves)
        try:
            found = torch.autograd.grad(graph.outputs, graph.leaves, given,
                                        allow_unused=True, retain_graph=True,
                                        create_graph=create_graph)
            # copies: a backward may hand back a buffer of its own and change it later
            grads = [g if g is None or create_graph else g.detach().clone() for g in found]
        except Exception as e:  # noqa: BLE001 - what backward raises is a finding
            error = first_line(e)
        wrote_upstream = any(not (u.shape == c.shape and torch.equal(u.detach(), c.detach()))
                             for u, c in zip(upstream, given))
        wrote_inputs = [k for k, (p, b) in enumerate(zip(graph.passed, inputs_then))
                        if not (p.shape == b.shape and torch.equal(p.detach(), b))]
        return Backward(grads, error, wrote_upstream, wrote_inputs)
