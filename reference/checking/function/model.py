"""``check_model``: every custom module of a model checked on the inputs it really saw, and
the first wrong one in backward order named (what people do by hand with Karpathy's
``cmp()`` and ``retain_grad()`` on each intermediate).

One forward of a copy of the model runs with hooks on every submodule that capture its
inputs. A module is *custom* when something in it replaces autograd's own gradient: a
``torch.autograd.Function`` (or a custom op) called in its own forward (not only in a
child's), a backward hook registered on it (``register_full_backward_hook``, or a pre-hook),
or a ``Tensor.register_hook`` called while it runs. Each custom module is checked by
``check_function`` on the inputs it saw (those that required grad differentiated, with its
parameters); modules built only of standard torch operations are counted as trusted, not
checked. ``loss_fn(output)``, when given, runs after the model and is checked as one more
module when it is custom.
"""

import copy
import inspect
from dataclasses import dataclass, field

import torch
from torch.autograd.function import BackwardCFunction

from reference.checking.core.report import Report
from reference.checking.function import read
from reference.checking.function.calls import first_line
from reference.checking.function.check import run
from reference.checking.function.report import FunctionReport
from reference.checking.function.spy import custom


@dataclass(repr=False)
class ModelReport(Report):
    """The verdict of ``check_model``. ``ok``: every custom module's backward is the gradient
    of its own forward. ``modules``: the custom modules in backward order (the last to run
    forward first), each ``{"name", "kind", "why", "ok", "text"}`` (``text``: the first
    sentence of its report) with its ``FunctionReport`` in ``reports`` under the same name.
    ``first_wrong``: the first NOT OK module in backward order (None when all are OK).
    ``trusted``: the modules of standard torch operations, not checked."""

    ok: bool
    modules: list[dict]
    first_wrong: str | None
    trusted: int
    diagnosis: list[str]
    reports: dict[str, FunctionReport] = field(default_factory=dict)

    def __str__(self) -> str:
        lines = [f"check_model: {'OK' if self.ok else 'NOT OK'}",
                 f"custom modules, in backward order: {len(self.modules)} checked; "
                 f"{self.trusted} built of standard torch operations, trusted"]
        width = max([6] + [len(m["name"]) for m in self.modules])
        for m in self.modules:
            mark = {True: "OK", False: "NOT OK", None: "-"}[m["ok"]]
            text = f"  {m['text']}" if m["text"] and m["ok"] is not True else ""
            lines.append(f"  {mark:<7} {m['name']:<{width}} {m['kind']} ({m['why']}){text}")
        if self.diagnosis:
            lines.append("diagnosis:")
            lines += [f"  - {sentence}" for sentence in self.diagnosis]
        return "\n".join(lines)


@dataclass
class _Seen:
    """What one module did in the capture forward: its first call's arguments, what made it
    custom, and when its forward ended."""

    module: torch.nn.Module
    args: tuple | None = None
    kwargs: dict | None = None
    why: list[str] = field(default_factory=list)
    nodes: set = field(default_factory=set)
    ended: int = -1
    calls: int = 0
    boundary: set = field(default_factory=set)


class _Loss(torch.nn.Module):
    """A loss function as a module, so that its hooks capture what it is given."""

    def __init__(self, fn: object) -> None:
        super().__init__()
        self.fn = fn

    def forward(self, *args: object) -> object:
        return self.fn(*args)


def _copy(value: object) -> object:
    if isinstance(value, torch.Tensor):
        return value.detach().clone().requires_grad_(value.requires_grad and
                                                     value.is_floating_point())
    if isinstance(value, (list, tuple)):
        return type(value)(_copy(v) for v in value)
    return value


def _nodes(outputs: object, boundary: set[int]) -> set:
    """The custom Function nodes in the graph of ``outputs``, not beyond ``boundary``."""
    found, seen = set(), set()
    stack = [t.grad_fn for t in _tensors(outputs) if t.grad_fn is not None]
    while stack:
        node = stack.pop()
        if node is None or id(node) in seen or id(node) in boundary:
            continue
        seen.add(id(node))
        if isinstance(node, BackwardCFunction) and custom(node._forward_cls):
            found.add(node)
        stack += [n for n, _ in node.next_functions if n is not None]
    return found


def _tensors(value: object) -> list[torch.Tensor]:
    if isinstance(value, torch.Tensor):
        return [value]
    if isinstance(value, (list, tuple)):
        return [t for v in value for t in _tensors(v)]
    if isinstance(value, dict):
        return [t for v in value.values() for t in _tensors(v)]
    return []


def _capture(model: torch.nn.Module, inputs: list, loss: torch.nn.Module | None
             ) -> dict[str, _Seen]:
    """One forward with hooks on every module (see the module docstring)."""
    modules = list(model.named_modules())
    if loss is not None:
        modules.append(("loss_fn", loss))
    seen = {name: _Seen(m) for name, m in modules}
    stack: list[str] = []
    clock = [0]
    handles = []

    def pre(name: str):
        def hook(module, args, kwargs):
            info = seen[name]
            info.calls += 1
            if info.args is None:
                info.args, info.kwargs = _copy(args), dict(kwargs)
                info.boundary = {id(t.grad_fn) for t in _tensors((args, kwargs))
                                 if t.grad_fn is not None}
            stack.append(name)
        return hook

    def post(name: str):
        def hook(module, args, kwargs, output):
            info = seen[name]
            if info.ended < 0:
                info.nodes = _nodes(output, getattr(info, "boundary", set()))
                clock[0] += 1
                info.ended = clock[0]
            if stack and stack[-1] == name:
                stack.pop()
        return hook

    original = torch.Tensor.register_hook

    def register_hook(tensor, hook):
        if stack and "registers a tensor hook" not in seen[stack[-1]].why:
            seen[stack[-1]].why.append("registers a tensor hook")
        return original(tensor, hook)
    for name, m in modules:
        handles.append(m.register_forward_pre_hook(pre(name), with_kwargs=True))
        handles.append(m.register_forward_hook(post(name), with_kwargs=True))
        if m._backward_hooks or getattr(m, "_backward_pre_hooks", None):
            seen[name].why.append("has a backward hook")
    torch.Tensor.register_hook = register_hook
    try:
        with torch.enable_grad():
            given = [x.detach().clone().requires_grad_() if isinstance(x, torch.Tensor) and
                     x.is_floating_point() else x for x in inputs]
            out = model(*given)
            if loss is not None:
                loss(out)
    finally:
        torch.Tensor.register_hook = original
        for handle in handles:
            handle.remove()
    # a Function belongs to the innermost module that called it
    for name, info in seen.items():
        inner = set()
        for other, child in seen.items():
            if other != name and other.startswith(f"{name}.") or (name == "" and other
                                                                  and other != "loss_fn"):
                inner |= child.nodes
        own = info.nodes - inner
        classes = sorted({n._forward_cls.__name__ for n in own})
        if classes:
            info.why.insert(0, "calls " + ", ".join(classes))
    return seen


def check_model(model: torch.nn.Module, *inputs: object, loss_fn: object = None,
                rtol: float | None = None, seed: int = 0) -> ModelReport:
    """Check every custom module of ``model`` on what it saw in ``model(*inputs)`` (and
    ``loss_fn(output)``); see the module docstring. ``rtol`` and ``seed`` go to
    ``check_function``.

    Example
    -------
    >>> import torch
    >>> model = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.Tanh())
    >>> report = check_model(model, torch.randn(4, 3))
    >>> report.ok, report.trusted
    (True, 3)
    """
    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}.")
    if not inputs:
        raise ValueError("check_model needs the model's inputs after the model.")
    if loss_fn is not None and not callable(loss_fn):
        raise TypeError(f"loss_fn must be a function of the model's output, got "
                        f"{type(loss_fn).__name__}.")
    read.settings(rtol, seed, False)
    try:
        twin = copy.deepcopy(model)
    except Exception as error:  # noqa: BLE001
        raise ValueError(f"model cannot be copied ({first_line(error)}): check_model runs a "
                         "copy, so that yours is never changed.") from error
    loss = None if loss_fn is None else loss_fn if isinstance(loss_fn, torch.nn.Module) \
        else _Loss(loss_fn)
    if isinstance(loss, torch.nn.Module) and loss is loss_fn:
        loss = copy.deepcopy(loss)
    try:
        seen = _capture(twin, list(inputs), loss)
    except Exception as error:  # noqa: BLE001
        raise ValueError(f"model raised {first_line(error)} (check_model called it as "
                         "model(*inputs) on a copy).") from error
    ran = [(name, info) for name, info in seen.items() if info.ended >= 0]
    custom = sorted([(n, i) for n, i in ran if i.why], key=lambda item: -item[1].ended)
    holders = {n for n, _ in custom} | {n[: i] for n, _ in custom
                                         for i in range(len(n)) if n[i] == "."} | \
        ({""} if custom else set())
    trusted = sum(1 for n, i in ran if not i.why and n not in holders)
    modules, reports, diagnosis = [], {}, []
    for name, info in custom:
        label = name or "(the model)"
        entry = {"name": label, "kind": type(info.module).__name__ if name != "loss_fn" or
                 not isinstance(info.module, _Loss) else "loss_fn",
                 "why": "; ".join(info.why), "ok": None, "text": ""}
        try:
            report = _check_module(info, rtol, seed)
            reports[label] = report
            entry["ok"] = report.ok
            entry["text"] = report.diagnosis[0] if report.diagnosis else ""
        except (TypeError, ValueError) as error:
            entry["ok"] = False
            entry["text"] = f"could not be checked: {error}"
        if info.calls > 1:
            entry["why"] += f"; called {info.calls} times, checked on its first call"
        modules.append(entry)
    first = next((m for m in modules if m["ok"] is not True), None)
    if first is not None:
        diagnosis.append(f"The first wrong custom module in backward order is {first['name']} "
                         f"({first['kind']})" + (f": {first['text']}" if first["text"] else ".")
                         )
    elif not modules:
        diagnosis.append("No module of the model replaces autograd's gradient: nothing custom "
                         "to check.")
    return ModelReport(first is None, modules, None if first is None else first["name"],
                       trusted, diagnosis, reports)


def _check_module(info: _Seen, rtol: float | None, seed: int) -> FunctionReport:
    module = info.module
    args = list(info.args or ())
    if info.kwargs:
        try:
            bound = inspect.signature(module.forward).bind(*args, **info.kwargs)
        except TypeError as error:
            raise ValueError(f"it was called with keyword arguments ({error})") from error
        args = list(bound.args)
        if bound.kwargs:
            raise ValueError("it was called with keyword-only arguments")
    found = read.target(module, len(args), None)
    chosen = [k for k, v in enumerate(args) if isinstance(v, torch.Tensor) and
              v.is_floating_point() and v.requires_grad]
    found.slots = [read.Slot(found.names[k], args[k], arg=k) for k in chosen]
    taken = {s.name for s in found.slots}
    for name, p in module.named_parameters():
        if p.requires_grad and p.is_floating_point():
            found.slots.append(read.Slot(name if name not in taken else f"self.{name}", p,
                                         param=name))
    if not found.slots:
        raise ValueError("nothing in it requires grad")
    return run(found, args, rtol, seed, False)
