"""Your forward differentiated by autograd itself, your backward left out: a fast candidate
for the whole reference gradient, trusted only once finite differences agree with it.

Finite differences along a few random directions say *whether* a gradient is right; to say
*where* it is worst, and to try the slips of the grammar on it, the checker needs the
whole right gradient, at other upstream gradients and at other points too. When your
forward is written with torch operations, autograd gives all of that at once: while
``Inline`` is active each custom Function's ``apply`` runs its forward (and
``setup_context``) directly under autograd with a stand-in ctx, so torch differentiates the
operations themselves and your backward is never called; backward hooks of a module and
``Tensor.register_hook`` are left out the same way. ``inline_gradients`` is that gradient as
a function of the point and the upstream gradient. The caller verifies it against its
finite differences along the random directions before it relies on it: a forward that
leaves torch (NumPy, ``.detach()``, a kernel below autograd) gives a gradient the
directions disagree with, and the checker falls back to finite differences.
"""

import copy
import inspect
from collections.abc import Callable

import numpy as np
import torch

from reference.checking.function.calls import Caller, numpy
from reference.checking.function.patches import Patches
from reference.checking.function.read import old_style


class _Ctx:
    """A ctx for a forward run inline: it keeps what is saved, ignores the rest."""

    def __init__(self, args: tuple) -> None:
        self.needs_input_grad = tuple(isinstance(a, torch.Tensor) and a.requires_grad
                                      for a in args)
        self.saved_tensors: tuple = ()
        self.non_differentiable: tuple = ()
        self.materialize_grads = True

    def save_for_backward(self, *tensors: object) -> None:
        self.saved_tensors = tensors

    def save_for_forward(self, *tensors: object) -> None:
        pass

    def mark_dirty(self, *tensors: object) -> None:
        pass

    def mark_non_differentiable(self, *tensors: object) -> None:
        self.non_differentiable = tensors

    def set_materialize_grads(self, value: bool) -> None:
        self.materialize_grads = value


class Inline(Patches):
    """While active, each class's ``apply`` runs its forward under autograd (see the
    module docstring), and ``Tensor.register_hook`` registers nothing."""

    def __init__(self, classes: list[type]) -> None:
        super().__init__()
        self.classes = list(classes)

    def __enter__(self) -> "Inline":
        for cls in self.classes:
            self._patch(cls, "apply", classmethod(_inline_apply))
        self._patch(torch.Tensor, "register_hook", lambda tensor, hook: None)
        return self


def _inline_apply(cls: type, *args: object, **kwargs: object) -> object:
    if old_style(cls):
        ctx = _Ctx(args)
        out = cls.forward(ctx, *args, **kwargs)
    else:
        bound = inspect.signature(cls.forward).bind(*args, **kwargs)
        bound.apply_defaults()
        args = tuple(bound.args)
        out = cls.forward(*args)
        ctx = _Ctx(args)
        cls.setup_context(ctx, args, out)
    if ctx.non_differentiable:
        marked = [id(t) for t in ctx.non_differentiable]
        if isinstance(out, tuple):
            out = tuple(o.detach() if id(o) in marked else o for o in out)
        elif id(out) in marked:
            out = out.detach()
    return out


def _without_hooks(module: torch.nn.Module) -> torch.nn.Module:
    for m in module.modules():
        m._backward_hooks.clear()
        if hasattr(m, "_backward_pre_hooks"):
            m._backward_pre_hooks.clear()
        m._is_full_backward_hook = None
    return module


def inline_gradients(caller: Caller, classes: list[type]
                     ) -> Callable[[dict[int, np.ndarray], list[np.ndarray]],
                                   list[np.ndarray] | None]:
    """gradients(replaced, upstream): autograd's gradient of your forward (see the module
    docstring) with the slots of ``replaced`` at other values, for the upstream gradients
    given (float64 NumPy); None where autograd cannot follow your forward."""
    pure = copy.copy(caller)
    if caller.module is not None:
        try:
            pure.module = _without_hooks(copy.deepcopy(caller.module))
        except Exception:  # noqa: BLE001 - a module that cannot be copied keeps its hooks
            pure.module = caller.module

    def gradients(replaced: dict[int, np.ndarray], upstream: list[np.ndarray]
                  ) -> list[np.ndarray] | None:
        values = pure.start()
        for k, v in replaced.items():
            values[k] = pure.tensor(k, v)
        try:
            with Inline(classes):
                graph = pure.graph(values)
            outputs = [(o, u) for o, u in zip(graph.outputs, upstream) if o.requires_grad]
            if not outputs:
                return None
            grads = torch.autograd.grad([o for o, _ in outputs],
                                        graph.leaves,
                                        [torch.from_numpy(np.asarray(u, dtype=np.float64))
                                         .to(o.dtype).reshape(o.shape) for o, u in outputs],
                                        allow_unused=True)
        except Exception:  # noqa: BLE001 - autograd cannot follow this forward
            return None
        return [np.zeros(tuple(leaf.shape)) if g is None else numpy(g)
                for g, leaf in zip(grads, graph.leaves)]
    return gradients
