"""``torch.optim`` behind the interface the training loop uses, with scikit-learn's
conversions switchable one by one.

- SGD: ``torch.optim.SGD`` (dampening 0); scikit-learn's learning-rate schedules set the
  group's ``lr`` at epoch ends, and under ``momentum="sklearn"`` each momentum buffer is
  multiplied by lr_old / lr_new so that it keeps scikit-learn's velocity.
- Adam: ``torch.optim.Adam`` (``AdamW`` for ``l2="decoupled"``); under
  ``adam_epsilon="sklearn"`` the group's ``eps`` is set before each step to
  eps / sqrt(1 - b2^t), which moves torch's epsilon to where scikit-learn adds it.
- ``l2="weight_decay"``: torch's coupled ``weight_decay=alpha`` on every parameter.

``step(params, grads)`` takes the network's torch parameters; when a new network (a later
``partial_fit`` call) hands in new tensors, the optimizer's state moves to them.
"""

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from reference.twin.exchange import flat_from_torch, torch_from_flat
from scratch.optim.schedules import SCHEDULES
from scratch.optim.sgd import convert_velocity


class _TorchOptimizer:
    """Holds a ``torch.optim`` optimizer of class ``cls`` built with ``options``."""

    def __init__(self, cls: type, params: Sequence[torch.Tensor], **options: Any) -> None:
        self._cls, self._options = cls, options
        self._params = list(params)
        self.optimizer = cls(self._params, **options)

    def _bind(self, params: Sequence[torch.Tensor]) -> None:
        if params[0] is self._params[0]:
            return
        state = self.optimizer.state_dict()
        self._params = list(params)
        self.optimizer = self._cls(self._params, **self._options)
        self.optimizer.load_state_dict(state)

    def _per_param(self, key: str) -> list[torch.Tensor]:
        """State ``key`` of every parameter (zeros where torch has not made it yet)."""
        tensors = []
        for p in self._params:
            value = self.optimizer.state.get(p, {}).get(key)
            tensors.append(torch.zeros_like(p) if value is None else value)
        return tensors

    def _set_per_param(self, values: dict[str, np.ndarray], step: float | None = None) -> None:
        """Put flat (scikit-learn-packed) state arrays back into torch's per-parameter state."""
        unpacked = {key: torch_from_flat(flat, self._params) for key, flat in values.items()}
        for k, p in enumerate(self._params):
            state = self.optimizer.state[p]
            for key, tensors in unpacked.items():
                state[key] = tensors[k]
            if step is not None:
                state["step"] = torch.tensor(float(step), dtype=torch.float32)


class TorchSGD(_TorchOptimizer):
    """``torch.optim.SGD`` with scikit-learn's schedules (and momentum-buffer rescale)."""

    def __init__(self, params: Sequence[torch.Tensor], learning_rate_init: float, lr_schedule: str,
                 momentum: float, nesterov: bool, power_t: float, weight_decay: float = 0.0,
                 rescale_momentum: bool = True) -> None:
        nesterov = bool(nesterov and momentum > 0)  # torch refuses Nesterov without momentum
        super().__init__(torch.optim.SGD, params, lr=learning_rate_init, momentum=momentum,
                         nesterov=nesterov, weight_decay=weight_decay)
        self.schedule = SCHEDULES[lr_schedule](learning_rate_init, power_t)
        self.rescale_momentum = rescale_momentum

    @property
    def learning_rate(self) -> float:
        return self.schedule.learning_rate

    def step(self, params: Sequence[torch.Tensor], grads: Any, raw: None = None) -> None:
        self._bind(params)
        self.optimizer.step()

    def _apply_learning_rate(self, old: float) -> None:
        new = self.schedule.learning_rate
        if new == old:
            return
        for group in self.optimizer.param_groups:
            group["lr"] = new
            if not self.rescale_momentum:
                continue
            for p in group["params"]:
                buffer = self.optimizer.state.get(p, {}).get("momentum_buffer")
                if buffer is not None:
                    buffer.mul_(old / new)

    def state(self) -> dict:
        """A copy of the momentum buffers (scikit-learn's packing) and the learning rate; the
        same form as ``scratch.optim.sgd.SGD.state``."""
        return {"solver": "sgd", "form": "buffer",
                "velocity": flat_from_torch(self._per_param("momentum_buffer")),
                "learning_rate": float(self.learning_rate)}

    def set_state(self, state: dict) -> None:
        """Continue from ``state`` (from ``state()`` of this or scratch's SGD)."""
        self.schedule.learning_rate = state["learning_rate"]
        for group in self.optimizer.param_groups:
            group["lr"] = state["learning_rate"]
        if self.optimizer.defaults["momentum"]:
            self._set_per_param({"momentum_buffer": convert_velocity(state, "buffer")})

    def iteration_ends(self, samples_seen: int) -> None:
        old = self.schedule.learning_rate
        self.schedule.epoch_end(samples_seen)
        self._apply_learning_rate(old)

    def trigger_stopping(self, msg: str, verbose: bool | int) -> bool:
        old = self.schedule.learning_rate
        stop, suffix = self.schedule.plateau()
        if verbose:
            print(msg + suffix)
        self._apply_learning_rate(old)
        return stop


class TorchAdam(_TorchOptimizer):
    """``torch.optim.Adam`` (or ``AdamW``), with scikit-learn's epsilon if asked."""

    def __init__(self, params: Sequence[torch.Tensor], learning_rate_init: float, beta_1: float,
                 beta_2: float, epsilon: float, weight_decay: float = 0.0,
                 decoupled: bool = False, convert_epsilon: bool = True) -> None:
        cls = torch.optim.AdamW if decoupled else torch.optim.Adam
        super().__init__(cls, params, lr=learning_rate_init, betas=(beta_1, beta_2),
                         eps=epsilon, weight_decay=weight_decay)
        self.learning_rate_init = learning_rate_init
        self.learning_rate = float(learning_rate_init)
        self.beta_1, self.beta_2, self.epsilon = beta_1, beta_2, epsilon
        self.convert_epsilon = convert_epsilon
        self.t = 0

    def step(self, params: Sequence[torch.Tensor], grads: Any, raw: None = None) -> None:
        self._bind(params)
        self.t += 1
        if self.convert_epsilon:
            for group in self.optimizer.param_groups:
                group["eps"] = self.epsilon / math.sqrt(1 - self.beta_2**self.t)
        self.optimizer.step()
        self.learning_rate = (self.learning_rate_init * math.sqrt(1 - self.beta_2**self.t)
                              / (1 - self.beta_1**self.t))

    def state(self) -> dict:
        """A copy of the moments (scikit-learn's packing), the step count and the rate; the
        same form as ``scratch.optim.adam.Adam.state``."""
        return {"solver": "adam", "m": flat_from_torch(self._per_param("exp_avg")),
                "v": flat_from_torch(self._per_param("exp_avg_sq")), "t": self.t,
                "learning_rate": float(self.learning_rate)}

    def set_state(self, state: dict) -> None:
        """Continue from ``state`` (from ``state()`` of this or scratch's Adam)."""
        self.t, self.learning_rate = int(state["t"]), state["learning_rate"]
        self._set_per_param({"exp_avg": state["m"], "exp_avg_sq": state["v"]}, step=self.t)

    def iteration_ends(self, samples_seen: int) -> None:
        """Adam has no learning-rate schedule."""

    def trigger_stopping(self, msg: str, verbose: bool | int) -> bool:
        if verbose:
            print(msg + " Stopping.")
        return True


def make_torch_optimizer(est: Any, params: Sequence[torch.Tensor],
                         conventions: dict) -> "TorchSGD | TorchAdam":
    """The torch optimizer for ``est.solver`` with the switches in ``conventions``."""
    decay = est.alpha if conventions["l2"] in ("weight_decay", "decoupled") else 0.0
    if est.solver == "sgd":
        return TorchSGD(params, est.learning_rate_init, est.learning_rate, est.momentum,
                        est.nesterovs_momentum, est.power_t, weight_decay=decay,
                        rescale_momentum=conventions["momentum"] == "sklearn")
    return TorchAdam(params, est.learning_rate_init, est.beta_1, est.beta_2, est.epsilon,
                     weight_decay=decay, decoupled=conventions["l2"] == "decoupled",
                     convert_epsilon=conventions["adam_epsilon"] == "sklearn")
