"""Adam (Kingma and Ba, 2014), with epsilon where scikit-learn or torch puts it."""

import numpy as np

from scratch.optim import fused
from scratch.optim.fused import finish_gradients, usable


class Adam:
    """m <- b1 m + (1 - b1) g;  v <- b2 v + (1 - b2) g**2;  t counts steps (batches), then

    "sklearn": params -= lr sqrt(1 - b2^t) / (1 - b1^t) * m / (sqrt(v) + eps)
    "torch":   params -= lr / (1 - b1^t) * m / (sqrt(v / (1 - b2^t)) + eps)

    Same rule, eps in a different place: torch's eps equals scikit-learn's only when
    eps_torch = eps_sklearn / sqrt(1 - b2^t) (31.6x apart at t = 1 with b2 = 0.999).
    ``weight_decay`` > 0 is AdamW's decoupled decay, params -= lr * weight_decay * params
    before the step.
    """

    def __init__(self, params: np.ndarray, learning_rate_init: float = 0.001,
                 beta_1: float = 0.9, beta_2: float = 0.999, epsilon: float = 1e-8,
                 convention: str = "sklearn", weight_decay: float = 0.0) -> None:
        self.learning_rate_init = learning_rate_init
        self.learning_rate = float(learning_rate_init)
        self.beta_1, self.beta_2, self.epsilon = beta_1, beta_2, epsilon
        self.convention = convention
        self.weight_decay = weight_decay
        self.t = 0
        self.m = np.zeros_like(params)
        self.v = np.zeros_like(params)
        self._tmp, self._step = np.empty_like(params), np.empty_like(params)
        self._fused = fused.kernels()[0] if convention == "sklearn" and not weight_decay else None

    def step(self, params: np.ndarray, grads: np.ndarray,
             raw: tuple[int, float, int] | None = None) -> None:
        """One update of ``params`` in place from ``grads`` (no allocation). With ``raw`` =
        (n_coef, alpha, n), ``grads`` are still sums: they are finished first
        (``scratch.network.scale_gradients``), in the same pass when compiled."""
        b1, b2, tmp, step = self.beta_1, self.beta_2, self._tmp, self._step
        self.t += 1
        fused = self._fused is not None and usable(params, grads, self.m, self.v)
        scaling = finish_gradients(raw, fused, params, grads, tmp)
        if fused:
            self.learning_rate = float(
                self.learning_rate_init * np.sqrt(1 - b2**self.t) / (1 - b1**self.t))
            d = params.dtype.type  # the scalars rounded as NumPy rounds them
            self._fused(params, grads, self.m, self.v, d(b1), d(b2), d(1 - b1), d(1 - b2),
                        d(self.learning_rate), d(self.epsilon), *scaling)
            return  # the same arithmetic as below, in one pass (scratch/optim/fused.py)
        if self.weight_decay:
            params -= np.multiply(params, self.learning_rate_init * self.weight_decay, out=tmp)
        self.m *= b1
        self.m += np.multiply(grads, 1 - b1, out=tmp)
        self.v *= b2
        self.v += np.multiply(np.square(grads, out=tmp), 1 - b2, out=tmp)
        if self.convention == "torch":
            self.learning_rate = float(self.learning_rate_init / (1 - b1**self.t))
            denom = np.sqrt(self.v, out=tmp)
            denom /= np.sqrt(1 - b2**self.t)
        else:
            self.learning_rate = float(
                self.learning_rate_init * np.sqrt(1 - b2**self.t) / (1 - b1**self.t)
            )
            denom = np.sqrt(self.v, out=tmp)
        denom += self.epsilon
        np.multiply(self.m, self.learning_rate, out=step)
        step /= denom
        params -= step

    def state(self) -> dict:
        """A copy of what the next step depends on: the moments, the step count, the rate."""
        return {"solver": "adam", "m": self.m.copy(), "v": self.v.copy(), "t": self.t,
                "learning_rate": float(self.learning_rate)}

    def set_state(self, state: dict) -> None:
        """Continue from ``state`` (from ``state()`` of this or the torch twin's Adam)."""
        self.m[...], self.v[...] = state["m"], state["v"]
        self.t, self.learning_rate = int(state["t"]), state["learning_rate"]

    def iteration_ends(self, samples_seen: int) -> None:
        """Adam has no learning-rate schedule."""

    def trigger_stopping(self, msg: str, verbose: bool | int) -> bool:
        if verbose:
            print(msg + " Stopping.")
        return True
