"""Stochastic gradient descent with (Nesterov) momentum, scikit-learn's form."""

import numpy as np

from scratch.schedules import SCHEDULES


class SGD:
    """v <- momentum * v - lr * g;  params += (momentum * v - lr * g) if nesterov else v.

    The velocity ``v`` holds the learning rate inside it, as scikit-learn's does; torch's
    momentum buffer does not (see docs/conventions.md). ``params`` and ``grads`` are the
    network's flat vectors, so one step is a handful of vectorised operations.
    """

    def __init__(self, params, learning_rate_init=0.1, lr_schedule="constant", momentum=0.9,
                 nesterov=True, power_t=0.5):
        self.schedule = SCHEDULES[lr_schedule](learning_rate_init, power_t)
        self.momentum = momentum
        self.nesterov = nesterov
        self.velocity = np.zeros_like(params)
        self._scaled_grad = np.empty_like(params)

    @property
    def learning_rate(self):
        return self.schedule.learning_rate

    def step(self, params, grads):
        """One update of ``params`` in place from ``grads``."""
        lr_g = np.multiply(grads, self.learning_rate, out=self._scaled_grad)
        self.velocity *= self.momentum
        self.velocity -= lr_g
        if self.nesterov:
            params += self.momentum * self.velocity - lr_g
        else:
            params += self.velocity

    def iteration_ends(self, samples_seen):
        self.schedule.epoch_end(samples_seen)

    def trigger_stopping(self, msg, verbose):
        stop, suffix = self.schedule.plateau()
        if verbose:
            print(msg + suffix)
        return stop
