"""What each custom Function saw and returned, read while autograd runs it.

Autograd checks, sums and casts what a backward returns before anyone sees it: a gradient
of a broadcast input left unreduced is summed silently, one of the wrong dtype cast. To
check what your backward really returns, ``Spy`` wraps, while it is active, each custom
Function class found in the graph: its ``apply`` records the arguments (``Call``), its
ctx's ``save_for_backward`` what is saved and at which version, and its ``backward`` (or
``vjp``) what it returns, raw. Every class is restored as it was when the spy ends.

``functions_in`` finds the custom Function classes in a graph (``torch.library.custom_op``
with ``register_autograd`` runs one too), and ``once_differentiable`` whether a class's
backward is marked so.
"""

import inspect
from dataclasses import dataclass, field

import torch
from torch.autograd.function import BackwardCFunction

from reference.checking.function.patches import Patches
from reference.checking.function.read import backward_of, forward_names


@dataclass
class Meta:
    """A tensor argument as it was passed: shape, dtype, device, and its identity."""

    shape: tuple
    dtype: torch.dtype
    device: torch.device
    ident: int


@dataclass
class Call:
    """One call of a custom Function: its class, its arguments (a ``Meta`` per tensor,
    None for anything else), the tensors saved for backward with their version and values
    then, and what each backward call returned (raw, as a tuple)."""

    cls: type
    args: list[Meta | None]
    saved: list[tuple[torch.Tensor, int, torch.Tensor]] = field(default_factory=list)
    returns: list[tuple] = field(default_factory=list)
    wrote: list[int] = field(default_factory=list)  # arguments changed, mark_dirty not called

    @property
    def names(self) -> list[str]:
        names = forward_names(self.cls) or []
        return names[: len(self.args)] + [f"input{i}" for i in range(len(names),
                                                                      len(self.args))]


def custom(cls: type) -> bool:
    """Whether a Function class is the user's: torch's own (the one behind
    ``register_full_backward_hook``, ...) are not; a ``torch.library.custom_op``'s is."""
    module = getattr(cls, "__module__", "") or ""
    return not module.startswith("torch.") or module.startswith("torch._library")


def functions_in(outputs: list[torch.Tensor]) -> list[type]:
    """The custom Function classes whose nodes are in the graph of ``outputs``."""
    found, seen = [], set()
    stack = [t.grad_fn for t in outputs if isinstance(t, torch.Tensor) and
             t.grad_fn is not None]
    while stack:
        node = stack.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, BackwardCFunction):
            cls = node._forward_cls
            if cls not in found and custom(cls):
                found.append(cls)
        stack += [n for n, _ in getattr(node, "next_functions", ()) if n is not None]
    return found


def once_differentiable(cls: type) -> bool:
    """Whether cls's backward is wrapped by ``torch.autograd.function.once_differentiable``."""
    fn = getattr(cls, backward_of(cls))
    code = getattr(fn, "__code__", None)
    return hasattr(fn, "__wrapped__") and code is not None and \
        code.co_filename.replace("\\", "/").endswith("torch/autograd/function.py")


def _meta(value: object) -> Meta | None:
    if isinstance(value, torch.Tensor):
        return Meta(tuple(value.shape), value.dtype, value.device, id(value))
    return None


class Spy(Patches):
    """See the module docstring; ``calls``: by the id of their graph node (the ctx), in the
    order made (``order``)."""

    def __init__(self, classes: list[type]) -> None:
        super().__init__()
        self.classes = list(classes)
        self.calls: dict[int, Call] = {}
        self.order: list[Call] = []
        self._nodes: list[object] = []  # kept alive: their ids key ``calls``
        self._stack: list[Call] = []

    def __enter__(self) -> "Spy":
        for cls in self.classes:
            self._patch(cls, "apply", classmethod(self._apply(cls)))
            name = backward_of(cls)
            self._patch(cls, name, staticmethod(self._backward(cls, name)))
            ctx_cls = getattr(cls, "_backward_cls", None)
            if ctx_cls is not None:
                self._patch(ctx_cls, "save_for_backward", self._save())
        return self

    def _apply(self, cls: type):
        original = inspect.getattr_static(cls, "apply")
        spy = self

        def apply(actual, *args, **kwargs):
            call = Call(actual, [_meta(a) for a in args])
            before = [(i, a._version, a.detach().clone()) for i, a in enumerate(args)
                      if isinstance(a, torch.Tensor)]
            spy._stack.append(call)
            try:
                result = original.__get__(None, actual)(*args, **kwargs)
            finally:
                spy._stack.pop()
            outputs = result if isinstance(result, tuple) else (result,)
            node = None
            for out in outputs:
                found = getattr(out, "grad_fn", None)
                if isinstance(found, BackwardCFunction) and found._forward_cls is actual:
                    node = found
                    spy.calls[id(node)] = call
                    spy._nodes.append(node)
                    break
            for i, version, values in before:
                arg = args[i]
                changed = arg._version != version and not (
                    arg.shape == values.shape and torch.equal(arg.detach(), values))
                declared = node is not None and arg.grad_fn is node  # mark_dirty rebases it
                if changed and node is not None and not declared:
                    call.wrote.append(i)
            spy.order.append(call)
            return result
        return apply

    def _backward(self, cls: type, name: str):
        original = inspect.getattr_static(cls, name)
        spy = self

        def backward(ctx, *grads):
            result = original.__get__(None, cls)(ctx, *grads)
            call = spy.calls.get(id(ctx))
            if call is None:
                call = spy.calls[id(ctx)] = Call(ctx._forward_cls, [])
                spy._nodes.append(ctx)
                spy.order.append(call)
            call.returns.append(result if isinstance(result, tuple) else (result,))
            return result
        return backward

    def _save(self):
        spy = self

        def save_for_backward(ctx, *tensors):
            call = next((c for c in reversed(spy._stack)
                         if c.cls is getattr(ctx, "_forward_cls", None)), None)
            if call is not None:
                call.saved += [(t, t._version, t.detach().clone()) for t in tensors
                               if isinstance(t, torch.Tensor)]
            return torch.autograd.function.FunctionCtx.save_for_backward(ctx, *tensors)
        return save_for_backward


def changed_after_save(call: Call) -> list[int]:
    """The positions among the saved tensors changed in place after being saved."""
    return [i for i, (t, version, values) in enumerate(call.saved)
            if t._version != version and not (t.shape == values.shape and
                                               torch.equal(t.detach(), values))]
