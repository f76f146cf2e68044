"""Stochastic gradient descent with (Nesterov) momentum, in scikit-learn's or torch's form."""

import numpy as np

from scratch.optim import fused
from scratch.optim.fused import finish_gradients, usable
from scratch.optim.schedules import SCHEDULES


class SGD:
    """scikit-learn's form (``convention="sklearn"``)::

        v <- momentum * v - lr * g;  params += (momentum * v - lr * g) if nesterov else v

    The velocity ``v`` holds the learning rate inside it. torch's form (``"torch"``) keeps a
    buffer without it and applies the current lr at each step::

        buf <- momentum * buf + g;  params -= lr * ((g + momentum * buf) if nesterov else buf)

    With v = -lr * buf the two are the same while lr is constant; when a schedule changes lr,
    torch's buffer must be rescaled by lr_old / lr_new to stay on scikit-learn's path.
    ``params`` and ``grads`` are the network's flat vectors, so a step is a few vectorised
    operations.
    """

    def __init__(self, params: np.ndarray, learning_rate_init: float = 0.1,
                 lr_schedule: str = "constant", momentum: float = 0.9, nesterov: bool = True,
                 power_t: float = 0.5, convention: str = "sklearn") -> None:
        self.schedule = SCHEDULES[lr_schedule](learning_rate_init, power_t)
        self.momentum = momentum
        self.nesterov = nesterov
        self.convention = convention
        self.velocity = np.zeros_like(params)  # v (sklearn) or buf (torch)
        self._tmp, self._step = np.empty_like(params), np.empty_like(params)
        self._fused = fused.kernels()[1] if convention == "sklearn" else None

    @property
    def learning_rate(self) -> float:
        return self.schedule.learning_rate

    def step(self, params: np.ndarray, grads: np.ndarray,
             raw: tuple[int, float, int] | None = None) -> None:
        """One update of ``params`` in place from ``grads`` (no allocation). With ``raw`` =
        (n_coef, alpha, n), ``grads`` are still sums: they are finished first
        (``scratch.network.scale_gradients``), in the same pass when compiled."""
        step = self._step
        fused = self._fused is not None and usable(params, grads, self.velocity)
        scaling = finish_gradients(raw, fused, params, grads, self._tmp)
        if fused:
            d = params.dtype.type  # the scalars rounded as NumPy rounds them
            self._fused(params, grads, self.velocity, d(self.learning_rate), d(self.momentum),
                        self.nesterov, *scaling)
            return  # the same arithmetic as below, in one pass (scratch/optim/fused.py)
        if self.convention == "torch":
            self.velocity *= self.momentum
            self.velocity += grads
            direction = self.velocity
            if self.nesterov:
                direction = np.multiply(self.velocity, self.momentum, out=step)
                direction += grads
            params -= np.multiply(direction, self.learning_rate, out=self._tmp)
            return
        lr_g = np.multiply(grads, self.learning_rate, out=self._tmp)
        self.velocity *= self.momentum
        self.velocity -= lr_g
        if self.nesterov:
            np.multiply(self.velocity, self.momentum, out=step)
            step -= lr_g
            params += step
        else:
            params += self.velocity

    def state(self) -> dict:
        """A copy of what the next step depends on (the rollback of a failed call and model
        files keep it): the velocity, or torch's buffer, and the current learning rate."""
        form = "buffer" if self.convention == "torch" else "velocity"
        return {"solver": "sgd", "form": form, "velocity": self.velocity.copy(),
                "learning_rate": float(self.learning_rate)}

    def set_state(self, state: dict) -> None:
        """Continue from ``state`` (from ``state()`` of this or the torch twin's SGD)."""
        form = "buffer" if self.convention == "torch" else "velocity"
        self.velocity[...] = convert_velocity(state, form)
        self.schedule.learning_rate = state["learning_rate"]

    def iteration_ends(self, samples_seen: int) -> None:
        self.schedule.epoch_end(samples_seen)

    def trigger_stopping(self, msg: str, verbose: bool | int) -> bool:
        stop, suffix = self.schedule.plateau()
        if verbose:
            print(msg + suffix)
        return stop


def convert_velocity(state: dict, form: str) -> np.ndarray:
    """An SGD state's momentum in ``form``: scikit-learn's velocity v holds the learning rate,
    torch's buffer does not, and v = -lr * buf."""
    velocity, lr = state["velocity"], state["learning_rate"]
    if state["form"] == form:
        return velocity
    return -lr * velocity if form == "velocity" else velocity / -lr
