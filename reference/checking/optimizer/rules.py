"""An optimizer's update as the choices its writer makes, and the update it gives.

``Rule`` holds the choices (the family, the hyperparameters, and how each step is written:
the momentum buffer's form and when it is updated, which moment is corrected with which
beta and exponent, where epsilon sits, how the weight decay enters, the sign, how often lr
multiplies). ``Stepper`` runs a rule, one step at a time, on flat float64 arrays: every
update here is per coordinate, so a rule can be replayed on a sample of the coordinates.

The frameworks' rules (``frameworks.py``) are ``Rule`` values, held against the real
``torch.optim`` and scikit-learn optimizers by the tests; the slips (``slips.py``) are
changes of one choice.

    >>> import numpy as np
    >>> s = Stepper(Rule("sgd", lr=0.1))
    >>> s.step(np.array([1.0]), np.array([2.0]))
    array([0.8])
"""

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Rule:
    """One update rule. Families: "sgd" (with momentum, Nesterov), "adam", "rmsprop",
    "adagrad". Defaults are torch's choices."""

    family: str
    lr: float
    momentum: float = 0.0
    nesterov: bool = False
    dampening: float = 0.0
    velocity: str = "buffer"  # "buffer" (torch), "velocity" (scikit-learn: v = mu v - lr g),
    #                          "cs231n" (v_prev = v; v = mu v - lr g; p += -mu v_prev + (1+mu) v),
    #                          "cs231n_swapped" (the same with v and v_prev swapped)
    stale: bool = False  # the step reads the momentum buffer before updating it
    from_zero: bool = False  # the buffer starts at 0 (torch's first buffer is g itself)
    betas: tuple[float, float] = (0.9, 0.999)
    eps: float = 1e-8
    m_correction: str = "b1"  # "b1" (right), "b2", "none"
    v_correction: str = "b2"  # "b2" (right), "b1", "none"
    t_offset: int = 0  # the bias corrections use t + t_offset
    t_frozen: bool = False  # t stays at 1
    t_per_array: bool = False  # t counts arrays, not steps
    eps_at: str = "corrected"  # sqrt(v_hat) + eps (torch); "uncorrected": sqrt(v) + eps with
    #                            lr sqrt(1 - b2^t) / (1 - b1^t) (scikit-learn); "inside":
    #                            sqrt(v_hat + eps); "none": no eps
    m_of_g: bool = True  # m averages g (False: g^2)
    v_of: str = "g2"  # v averages g^2 ("g": g itself; "abs": |g|)
    weight_new: bool = True  # a moving average weighs the new value by (1 - beta) (False: 1)
    alpha: float = 0.99
    alpha_swapped: bool = False  # RMSprop: v = (1 - alpha) v + alpha g^2
    centered: bool = False
    initial: float = 0.0  # Adagrad's initial accumulator
    accumulate: str = "sum"  # Adagrad: "sum" (right) or "average" (RMSprop's, 0.99)
    root: bool = True  # Adagrad and RMSprop divide by the root of the accumulator
    weight_decay: float = 0.0
    decay: str = "coupled"  # g += wd p; "decoupled": p *= 1 - lr wd first (AdamW);
    #                         "decoupled_no_lr": p *= 1 - wd; "decoupled_after": after the step
    sign: int = -1  # -1: descent; +1: the step climbs the loss
    lr_power: int = 1  # how many times lr multiplies the step
    noop: bool = False  # the step changes nothing


class Stepper:
    """A rule's state for one set of flat parameters; ``step(p, g)`` returns the new p."""

    def __init__(self, rule: Rule, array_of: np.ndarray | None = None, arrays: int = 1
                 ) -> None:
        self.rule = rule
        self.t = 0
        self.array_of, self.arrays = array_of, arrays  # each coordinate's parameter array
        self.a = self.b = self.c = None  # the rule's buffers (momentum, moments, sums)

    def step(self, p: np.ndarray, g: np.ndarray) -> np.ndarray:
        r = self.rule
        if r.noop:
            return p.copy()
        self.t += 1
        lr = r.lr ** r.lr_power
        if r.weight_decay and r.decay == "coupled":
            g = g + r.weight_decay * p
        elif r.weight_decay and r.decay == "decoupled":
            p = p * (1 - r.lr * r.weight_decay)
        elif r.weight_decay and r.decay == "decoupled_no_lr":
            p = p * (1 - r.weight_decay)
        step = {"sgd": self._sgd, "adam": self._adam, "rmsprop": self._rmsprop,
                "adagrad": self._adagrad}[r.family](g, lr)
        if r.family == "sgd" and r.velocity != "buffer":
            p = p + (-r.sign) * step  # the velocity forms carry their own sign
        else:
            p = p + r.sign * step
        if r.weight_decay and r.decay == "decoupled_after":
            p = p - r.lr * r.weight_decay * p
        return p

    def _sgd(self, g: np.ndarray, lr: float) -> np.ndarray:
        r, mu = self.rule, self.rule.momentum
        if mu == 0:
            return lr * g
        if r.velocity == "velocity":  # scikit-learn: v = mu v - lr g; update = v (Nesterov:
            old = np.zeros_like(g) if self.a is None else self.a  # mu v - lr g)
            self.a = mu * old - lr * g
            return (mu * self.a - lr * g) if r.nesterov else (old if r.stale else self.a)
        if r.velocity in ("cs231n", "cs231n_swapped"):
            v_prev = np.zeros_like(g) if self.a is None else self.a
            self.a = mu * v_prev - lr * g
            v, v_prev = (self.a, v_prev) if r.velocity == "cs231n" else (v_prev, self.a)
            return -mu * v_prev + (1 + mu) * v
        old = self.a  # torch: buf = mu buf + (1 - dampening) g, the first buf = g
        if old is None and r.from_zero:
            old = np.zeros_like(g)
        self.a = g.copy() if old is None else mu * old + (1 - r.dampening) * g
        buf = (np.zeros_like(g) if old is None else old) if r.stale else self.a
        return lr * (g + mu * buf if r.nesterov else buf)

    def _average(self, old: np.ndarray | None, new: np.ndarray, beta: float) -> np.ndarray:
        old = np.zeros_like(new) if old is None else old
        return beta * old + ((1 - beta) if self.rule.weight_new else 1.0) * new

    def _adam(self, g: np.ndarray, lr: float) -> np.ndarray:
        r = self.rule
        b1, b2 = r.betas
        self.a = self._average(self.a, g if r.m_of_g else g * g, b1)
        second = {"g2": g * g, "g": g, "abs": np.abs(g)}[r.v_of]
        self.b = self._average(self.b, second, b2)
        t = 1 if r.t_frozen else self.t + r.t_offset
        if r.t_per_array:  # t += 1 inside the loop over the arrays: array k sees its own t
            index = np.zeros_like(g) if self.array_of is None else self.array_of
            t = (self.t - 1) * self.arrays + index + 1 + r.t_offset
        correction = {"b1": lambda: 1 - b1 ** t, "b2": lambda: 1 - b2 ** t,
                      "none": lambda: 1.0}
        with np.errstate(divide="ignore", invalid="ignore"):
            if r.eps_at == "uncorrected":  # scikit-learn's AdamOptimizer
                lr_t = lr * np.sqrt(correction[r.v_correction]()) / correction[r.m_correction]()
                return lr_t * self.a / (np.sqrt(self.b) + r.eps)
            m_hat = self.a / correction[r.m_correction]()
            v_hat = self.b / correction[r.v_correction]()
            root = {"corrected": np.sqrt(v_hat) + r.eps, "inside": np.sqrt(v_hat + r.eps),
                    "none": np.sqrt(v_hat)}[r.eps_at]
            return lr * m_hat / root

    def _rmsprop(self, g: np.ndarray, lr: float) -> np.ndarray:
        r = self.rule
        alpha = 1 - r.alpha if r.alpha_swapped else r.alpha
        self.b = self._average(self.b, g * g, alpha)
        second = self.b
        if r.centered:
            self.c = self._average(self.c, g, alpha)
            second = self.b - self.c ** 2
        with np.errstate(invalid="ignore", divide="ignore"):
            base = np.sqrt(second) if r.root else second
            denominator = np.sqrt(second + r.eps) if r.eps_at == "inside" else \
                base + (0.0 if r.eps_at == "none" else r.eps)
            step = g / denominator
        if r.momentum > 0:
            self.a = step if self.a is None else r.momentum * self.a + step
            return lr * self.a
        return lr * step

    def _adagrad(self, g: np.ndarray, lr: float) -> np.ndarray:
        r = self.rule
        if self.b is None:
            self.b = np.full_like(g, r.initial)
        self.b = 0.99 * self.b + 0.01 * g * g if r.accumulate == "average" else self.b + g * g
        with np.errstate(invalid="ignore", divide="ignore"):
            base = np.sqrt(self.b) if r.root else self.b
            denominator = np.sqrt(self.b + r.eps) if r.eps_at == "inside" else \
                base + (0.0 if r.eps_at == "none" else r.eps)
            return lr * g / denominator


def replay(rule: Rule, start: np.ndarray, grads: list[np.ndarray],
           array_of: np.ndarray | None = None, arrays: int = 1) -> np.ndarray:
    """The parameters after each step, (steps, coordinates), of ``rule`` from ``start``
    (flat) on the gradients of each step (flat); ``array_of``: the parameter array each
    coordinate belongs to, of ``arrays`` (for a step count that counts arrays)."""
    stepper, p, out = Stepper(rule, array_of, arrays), start.copy(), []
    for g in grads:
        p = stepper.step(p, g)
        out.append(p)
    return np.array(out)
