"""The frameworks' updates: the real ``torch.optim`` and scikit-learn optimizers, stepped in
lockstep with the user's step, each beside the ``Rule`` that writes it out.

``references(optimizer, settings)`` gives, for the optimizer the user named, each framework's
update as a ``Reference``: its name, its rule, and ``start(arrays)`` giving a runner whose
``step(grads)`` returns the parameters after one more step (NumPy, float64). The rules are
held equal to the runners by tests/test_check_optimizer.py.
"""

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from reference.checking.optimizer.rules import Rule

OPTIMIZERS = ("sgd", "momentum", "nesterov", "adam", "adamw", "rmsprop", "adagrad")


@dataclass(frozen=True)
class Settings:
    """The hyperparameters of the step under check."""

    lr: float
    momentum: float
    nesterov: bool
    betas: tuple[float, float]
    eps: float
    weight_decay: float
    alpha: float
    centered: bool
    initial_accumulator_value: float


@dataclass(frozen=True)
class Reference:
    name: str
    rule: Rule
    start: Callable[[list[np.ndarray]], object]


class _Torch:
    def __init__(self, cls: type, options: dict, arrays: list[np.ndarray]) -> None:
        import torch

        self.torch = torch
        self.params = [torch.tensor(a, dtype=torch.float64, requires_grad=True)
                       for a in arrays]
        self.optimizer = cls(self.params, **options)

    def step(self, grads: list[np.ndarray]) -> list[np.ndarray]:
        for p, g in zip(self.params, grads):
            p.grad = self.torch.tensor(g, dtype=self.torch.float64)
        self.optimizer.step()
        return [p.detach().numpy().copy() for p in self.params]


class _Sklearn:
    def __init__(self, make: Callable, arrays: list[np.ndarray]) -> None:
        self.params = [a.copy() for a in arrays]
        self.optimizer = make(self.params)

    def step(self, grads: list[np.ndarray]) -> list[np.ndarray]:
        self.optimizer.update_params(self.params, [g.copy() for g in grads])
        return [p.copy() for p in self.params]


def _torch(cls_name: str, options: dict) -> Callable:
    def start(arrays: list[np.ndarray]) -> _Torch:
        import torch

        return _Torch(getattr(torch.optim, cls_name), options, arrays)
    return start


def _sklearn(kind: str, s: Settings, mu: float, nesterov: bool) -> Callable:
    def start(arrays: list[np.ndarray]) -> _Sklearn:
        from sklearn.neural_network._stochastic_optimizers import AdamOptimizer, SGDOptimizer

        if kind == "sgd":
            return _Sklearn(lambda p: SGDOptimizer(p, s.lr, "constant", mu, nesterov), arrays)
        return _Sklearn(lambda p: AdamOptimizer(p, s.lr, s.betas[0], s.betas[1], s.eps), arrays)
    return start


def momentum_of(optimizer: str, s: Settings) -> tuple[float, bool]:
    """(momentum, nesterov) the named optimizer means: "momentum" and "nesterov" 0.9 unless
    given; "sgd" as torch spells it (momentum=, nesterov=)."""
    if optimizer == "nesterov":
        return s.momentum, True
    return s.momentum, s.nesterov if optimizer == "sgd" else False


def references(optimizer: str, s: Settings) -> list[Reference]:
    """Each framework's update of ``optimizer``, with its rule; see the module docstring."""
    wd, lr = s.weight_decay, s.lr
    if optimizer in ("sgd", "momentum", "nesterov"):
        mu, nesterov = momentum_of(optimizer, s)
        rule = Rule("sgd", lr, momentum=mu, nesterov=nesterov, weight_decay=wd)
        refs = [Reference("torch.optim.SGD", rule, _torch("SGD", dict(
            lr=lr, momentum=mu, nesterov=nesterov, weight_decay=wd)))]
        if wd == 0:
            refs.append(Reference("scikit-learn's SGDOptimizer", replace(
                rule, velocity="velocity" if mu else "buffer"),
                _sklearn("sgd", s, mu, nesterov)))
        return refs
    if optimizer == "adam":
        rule = Rule("adam", lr, betas=s.betas, eps=s.eps, weight_decay=wd)
        refs = [Reference("torch.optim.Adam", rule, _torch("Adam", dict(
            lr=lr, betas=s.betas, eps=s.eps, weight_decay=wd)))]
        if wd == 0:
            refs.append(Reference("scikit-learn's AdamOptimizer",
                                  replace(rule, eps_at="uncorrected"),
                                  _sklearn("adam", s, 0.0, False)))
        return refs
    if optimizer == "adamw":
        rule = Rule("adam", lr, betas=s.betas, eps=s.eps, weight_decay=wd, decay="decoupled")
        return [Reference("torch.optim.AdamW", rule, _torch("AdamW", dict(
            lr=lr, betas=s.betas, eps=s.eps, weight_decay=wd)))]
    if optimizer == "rmsprop":
        rule = Rule("rmsprop", lr, momentum=s.momentum, alpha=s.alpha, eps=s.eps,
                    centered=s.centered, weight_decay=wd)
        return [Reference("torch.optim.RMSprop", rule, _torch("RMSprop", dict(
            lr=lr, alpha=s.alpha, eps=s.eps, weight_decay=wd, momentum=s.momentum,
            centered=s.centered)))]
    rule = Rule("adagrad", lr, eps=s.eps, initial=s.initial_accumulator_value,
                weight_decay=wd)
    return [Reference("torch.optim.Adagrad", rule, _torch("Adagrad", dict(
        lr=lr, eps=s.eps, weight_decay=wd,
        initial_accumulator_value=s.initial_accumulator_value)))]


def usual(optimizer: str, s: Settings) -> Settings:
    """The settings another optimizer is usually run with beside these: the momentum
    optimizers with 0.9 unless given, RMSprop without momentum."""
    if optimizer in ("momentum", "nesterov"):
        return replace(s, momentum=s.momentum or 0.9, nesterov=optimizer == "nesterov")
    if optimizer == "sgd":
        return replace(s, momentum=0.0, nesterov=False)
    if optimizer == "rmsprop":
        return replace(s, momentum=0.0)
    return s
