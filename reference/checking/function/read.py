"""Reading ``check_function``'s arguments: the form ``fn`` takes, which inputs are
differentiated and what they are called; each argument that cannot be checked is a one-line
``TypeError`` or ``ValueError`` naming it.

``fn`` may be a ``torch.autograd.Function`` subclass (its ``apply`` is called), its
``apply``, an ``nn.Module`` (its parameters are differentiated too, named as the module
names them), a ``torch.library.custom_op`` (or an ``OpOverload``), or any callable that takes
tensors and returns a tensor or a tuple of them. Floating-point tensors are differentiated
(only those with ``requires_grad`` set, when some have it); everything else is passed
through.
"""

import inspect
import math
from dataclasses import dataclass, field

import numpy as np
import torch

from reference.checking.compare import problem_with

FunctionClass = type(torch.autograd.Function)


@dataclass
class Slot:
    """One differentiated input: a positional argument (``arg``) or a module parameter
    (``param``), its name, and the user's tensor (never touched)."""

    name: str
    value: torch.Tensor
    arg: int | None = None
    param: str | None = None


@dataclass
class Target:
    """What is checked: ``label`` (for sentences), the Function class when ``fn`` is one or
    its ``apply`` (``function``), the module, the custom op, the plain callable, and the
    names of the positional inputs."""

    label: str
    names: list[str]
    function: type | None = None
    module: torch.nn.Module | None = None
    op: object | None = None
    plain: object | None = None
    slots: list[Slot] = field(default_factory=list)

    @property
    def direct(self) -> bool:
        """Whether fn is one Function called once on the inputs: its backward's raw
        returns are the rows' gradients, position by position."""
        return self.function is not None


def is_function_class(fn: object) -> bool:
    return isinstance(fn, type) and issubclass(fn, torch.autograd.Function)


def old_style(cls: type) -> bool:
    """Whether forward takes ctx (no ``setup_context``)."""
    from torch.autograd.function import _is_setup_context_defined

    return not _is_setup_context_defined(cls.setup_context)


def backward_of(cls: type) -> str:
    """The name of the method torch calls for cls's backward: "vjp" or "backward"."""
    return "vjp" if cls.vjp is not torch.autograd.Function.vjp else "backward"


def forward_names(cls: type) -> list[str] | None:
    """The names of a Function's forward inputs (ctx left out), None without a
    signature."""
    try:
        params = list(inspect.signature(cls.forward).parameters.values())
    except (TypeError, ValueError):
        return None
    if old_style(cls) and params:
        params = params[1:]
    return _positional(params)


def _positional(params: list[inspect.Parameter]) -> list[str]:
    names = []
    for p in params:
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            names.append(p.name)
        elif p.kind == p.VAR_POSITIONAL:
            break
    return names


def _signature_names(fn: object) -> list[str]:
    try:
        return _positional(list(inspect.signature(fn).parameters.values()))
    except (TypeError, ValueError):
        return []


def target(fn: object, count: int, names: object) -> Target:
    """``fn`` read into a Target (see the module docstring)."""
    if is_function_class(fn):
        cls = fn
    elif inspect.ismethod(fn) and is_function_class(fn.__self__) and fn.__name__ == "apply":
        cls = fn.__self__
    else:
        cls = None
    if cls is not None:
        if cls.backward is torch.autograd.Function.backward and \
                cls.vjp is torch.autograd.Function.vjp:
            raise TypeError(f"fn: {cls.__name__} defines no backward (nor vjp): there is "
                            "nothing to check.")
        found = Target(cls.__name__, forward_names(cls) or [], function=cls)
    elif isinstance(fn, torch.nn.Module):
        found = Target(type(fn).__name__, _signature_names(fn.forward), module=fn)
    elif type(fn).__name__ == "CustomOpDef" and hasattr(fn, "_init_fn"):
        found = Target(getattr(fn, "_qualname", "custom op"),
                       _signature_names(fn._init_fn), op=fn)
    elif isinstance(fn, (torch._ops.OpOverload, torch._ops.OpOverloadPacket)):
        schema = fn._schema if isinstance(fn, torch._ops.OpOverload) else None
        found = Target(str(fn), [a.name for a in schema.arguments] if schema else [], op=fn)
    elif callable(fn):
        found = Target(getattr(fn, "__name__", type(fn).__name__), _signature_names(fn),
                       plain=fn)
    else:
        raise TypeError("fn must be a torch.autograd.Function subclass, its apply, an "
                        "nn.Module, a custom op or a function taking tensors, got "
                        f"{type(fn).__name__}.")
    found.names = _names(found.names, count, names)
    return found


def _names(found: list[str], count: int, given: object) -> list[str]:
    if given is not None:
        if isinstance(given, str) or not all(isinstance(n, str) for n in given):
            raise TypeError("names must be a list of strings, one per input, got "
                            f"{given!r}.")
        given = list(given)
        if len(given) != count or len(set(given)) != count:
            raise ValueError(f"names must give {count} different names, one per input, got "
                             f"{given!r}.")
        return given
    found = found[:count]
    found += [f"input{i}" for i in range(len(found), count)]
    return found if len(set(found)) == count else [f"input{i}" for i in range(count)]


def slots(found: Target, inputs: list) -> list[Slot]:
    """The differentiated inputs: floating tensors (those with ``requires_grad``, when some
    have it), then a module's parameters that require grad."""
    floating = [k for k, v in enumerate(inputs)
                if isinstance(v, torch.Tensor) and v.is_floating_point()]
    chosen = [k for k in floating if inputs[k].requires_grad] or floating
    out = [Slot(found.names[k], inputs[k], arg=k) for k in chosen]
    if found.module is not None:
        taken = {s.name for s in out}
        for name, p in found.module.named_parameters():
            if p.requires_grad and p.is_floating_point():
                out.append(Slot(name if name not in taken else f"{found.label}.{name}", p,
                                param=name))
    if not out:
        hint = " (a NumPy array is passed through: give torch.tensor(...))" if any(
            isinstance(v, np.ndarray) for v in inputs) else ""
        raise ValueError("check_function differentiates floating-point tensors, and none of "
                         f"the inputs ({', '.join(found.names)}) is one{hint}.")
    for slot in out:
        if slot.value.layout != torch.strided:
            raise ValueError(f"input {slot.name} cannot be checked: it is a "
                             f"{slot.value.layout} tensor (give a dense one).")
        problem = problem_with(slot.value.detach().to(torch.float64))
        if problem is not None:
            raise ValueError(f"input {slot.name} cannot be checked: {problem}.")
    return out


def dtype_name(dtype: torch.dtype) -> str:
    """float32, bfloat16, ..."""
    return str(dtype).replace("torch.", "")


def settings(rtol: object, seed: object, double_backward: object) -> None:
    """One-line errors for the keyword arguments."""
    if rtol is not None and (isinstance(rtol, bool) or not isinstance(rtol, (int, float))
                             or not math.isfinite(rtol) or rtol <= 0):
        raise ValueError(f"rtol must be a finite number > 0, got {rtol!r}.")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a whole number >= 0, got {seed!r}.")
    if not isinstance(double_backward, bool):
        raise TypeError(f"double_backward must be True or False, got {double_backward!r}.")
