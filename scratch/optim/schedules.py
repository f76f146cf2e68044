"""Learning-rate schedules for SGD, as scikit-learn applies them: at the end of each epoch.

Each schedule holds the current ``learning_rate`` and answers two questions: what the rate is
after an epoch (``epoch_end``), and what to do when training has stopped improving
(``plateau``: return True to stop, or change the rate and return False).
"""


class Constant:
    """lr = learning_rate_init throughout; a plateau stops training."""

    def __init__(self, learning_rate_init: float, power_t: float = 0.5) -> None:
        self.learning_rate_init = learning_rate_init
        self.learning_rate = float(learning_rate_init)
        self.power_t = power_t

    def epoch_end(self, samples_seen: int) -> None:
        """Update the rate after an epoch; ``samples_seen`` counts every sample so far."""

    def plateau(self) -> tuple[bool, str]:
        """Return (stop, message suffix) once the no-improvement count runs out."""
        return True, " Stopping."


class InvScaling(Constant):
    """lr = lr0 / (t + 1) ** power_t after each epoch, t = samples seen so far (not epochs)."""

    def epoch_end(self, samples_seen: int) -> None:
        self.learning_rate = float(self.learning_rate_init) / (samples_seen + 1) ** self.power_t


class Adaptive(Constant):
    """lr /= 5 at each plateau; stop once lr <= 1e-6."""

    def plateau(self) -> tuple[bool, str]:
        if self.learning_rate <= 1e-6:
            return True, " Learning rate too small. Stopping."
        self.learning_rate /= 5.0
        return False, " Setting learning rate to %f" % self.learning_rate


SCHEDULES = {"constant": Constant, "invscaling": InvScaling, "adaptive": Adaptive}
