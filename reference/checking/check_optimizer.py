"""``check_optimizer``: hold *your* optimizer step against torch's and scikit-learn's.

Your ``step_fn(params, grads)`` updates a list of arrays, in place or by returning the new
list (both are accepted, and the report says which it saw), keeping whatever state it needs
between calls. The checker calls it ``steps`` times on gradients it draws (signs random,
magnitudes spread from 1e-10 to 1, so that where epsilon sits and whether the moments are
bias-corrected both show), and runs the same steps through the real ``torch.optim``
optimizers (SGD, Adam, AdamW, RMSprop, Adagrad) and scikit-learn's ``SGDOptimizer`` and
``AdamOptimizer``. It says which framework's update yours equals; where it equals none, it
tries the usual variants (Adam without bias correction, epsilon inside the square root,
weight decay coupled where it should be decoupled, momentum as an average, RMSprop centred
or not, Adagrad's initial accumulator, ...) and names the one that fits, or the first step
where yours departs from the framework it follows longest.

A step that writes NaN, infinity or complex values, returns another number of arrays or
arrays of other shapes, is never OK.
"""

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import torch
from sklearn.neural_network._stochastic_optimizers import AdamOptimizer, SGDOptimizer

from reference.checking.compare import problem_with
from reference.checking.core.report import Report

OPTIMIZERS = ("sgd", "momentum", "nesterov", "adam", "adamw", "rmsprop", "adagrad")
MAX_STEPS = 10_000


@dataclass
class OptimizerReport(Report):
    """The verdict of ``check_optimizer``.

    ``ok``: your step equals a framework's update of the optimizer you named (within
    ``rtol`` at every step, relative to how far the parameters have moved, so that a small
    learning rate hides nothing). ``matches``: every reference your step equals, e.g.
    ``["torch.optim.Adam"]``. ``diagnosis``: what differs, in sentences. ``errors``: the
    largest such relative difference from each framework reference over the steps. ``mode``:
    "in place" or "returned" (how your step handed back the new parameters).
    """

    ok: bool
    optimizer: str
    matches: list[str]
    diagnosis: list[str]
    errors: dict[str, float] = field(default_factory=dict)
    mode: str = "in place"

    def __str__(self) -> str:
        how = "updates the arrays in place" if self.mode == "in place" else \
            "returns the new arrays"
        lines = [f"check_optimizer ({self.optimizer}): {'OK' if self.ok else 'NOT OK'}",
                 "matches: " + (", ".join(self.matches) if self.matches else "no framework"),
                 f"your step {how}"]
        lines += [f"  {name:<34} largest relative difference {error:.1e}"
                  for name, error in self.errors.items()]
        if self.diagnosis:
            lines.append("diagnosis:")
            lines += [f"  - {sentence}" for sentence in self.diagnosis]
        return "\n".join(lines)


# --- the references ----------------------------------------------------------------------------

def _torch_run(cls: type, options: dict, start: list[np.ndarray],
               grads: list[list[np.ndarray]]) -> list[list[np.ndarray]]:
    params = [torch.tensor(p, requires_grad=True) for p in start]
    optimizer = cls(params, **options)
    trajectory = []
    for step in grads:
        for p, g in zip(params, step):
            p.grad = torch.tensor(g)
        optimizer.step()
        trajectory.append([p.detach().numpy().copy() for p in params])
    return trajectory


def _sklearn_run(make: Callable, start: list[np.ndarray],
                 grads: list[list[np.ndarray]]) -> list[list[np.ndarray]]:
    params = [p.copy() for p in start]
    optimizer = make(params)
    trajectory = []
    for step in grads:
        optimizer.update_params(params, [g.copy() for g in step])
        trajectory.append([p.copy() for p in params])
    return trajectory


@dataclass(frozen=True)
class Settings:
    """The hyperparameters of the step under check."""

    lr: float
    momentum: float
    betas: tuple[float, float]
    eps: float
    weight_decay: float
    alpha: float
    centered: bool
    initial_accumulator_value: float


def _references(optimizer: str, s: Settings) -> dict[str, Callable]:
    """name -> run(start, grads) for the frameworks' updates of ``optimizer``."""
    refs = {}
    wd = s.weight_decay
    if optimizer in ("sgd", "momentum", "nesterov"):
        mu = 0.0 if optimizer == "sgd" else s.momentum
        nesterov = optimizer == "nesterov"
        refs["torch.optim.SGD"] = lambda a, g: _torch_run(
            torch.optim.SGD, dict(lr=s.lr, momentum=mu, nesterov=nesterov, weight_decay=wd),
            a, g)
        if wd == 0:
            refs["scikit-learn's SGDOptimizer"] = lambda a, g: _sklearn_run(
                lambda p: SGDOptimizer(p, s.lr, "constant", mu, nesterov), a, g)
    elif optimizer == "adam":
        refs["torch.optim.Adam"] = lambda a, g: _torch_run(
            torch.optim.Adam, dict(lr=s.lr, betas=s.betas, eps=s.eps, weight_decay=wd), a, g)
        if wd == 0:
            refs["scikit-learn's AdamOptimizer"] = lambda a, g: _sklearn_run(
                lambda p: AdamOptimizer(p, s.lr, s.betas[0], s.betas[1], s.eps), a, g)
    elif optimizer == "adamw":
        refs["torch.optim.AdamW"] = lambda a, g: _torch_run(
            torch.optim.AdamW, dict(lr=s.lr, betas=s.betas, eps=s.eps, weight_decay=wd), a, g)
    elif optimizer == "rmsprop":
        refs["torch.optim.RMSprop"] = lambda a, g: _torch_run(
            torch.optim.RMSprop, dict(lr=s.lr, alpha=s.alpha, eps=s.eps, weight_decay=wd,
                                      momentum=s.momentum, centered=s.centered), a, g)
    else:
        refs["torch.optim.Adagrad"] = lambda a, g: _torch_run(
            torch.optim.Adagrad, dict(lr=s.lr, eps=s.eps, weight_decay=wd,
                                      initial_accumulator_value=s.initial_accumulator_value),
            a, g)
    return refs


# --- the usual variants, written out -----------------------------------------------------------

def _sgd_variant(kind: str, s: Settings, mu: float, nesterov: bool) -> Callable:
    lr, wd = s.lr, s.weight_decay

    def run(start: list[np.ndarray], grads: list[list[np.ndarray]]) -> list:
        params, buffers, trajectory = [p.copy() for p in start], [None] * len(start), []
        for step in grads:
            new = []
            for k, (p, g) in enumerate(zip(params, step)):
                g = g + wd * p if kind != "decay_without_lr" else g
                if kind == "average_momentum":  # buf = mu buf + (1 - mu) g
                    buffers[k] = (1 - mu) * g if buffers[k] is None else \
                        mu * buffers[k] + (1 - mu) * g
                else:
                    buffers[k] = g.copy() if buffers[k] is None else mu * buffers[k] + g
                direction = g + mu * buffers[k] if (nesterov != (kind == "other_nesterov")) \
                    else buffers[k]
                p = p + lr * direction if kind == "ascent" else p - lr * direction
                if kind == "decay_without_lr":
                    p = p - wd * params[k]
                new.append(p)
            params = new
            trajectory.append([p.copy() for p in params])
        return trajectory
    return run


def _adam_variant(kind: str, s: Settings, decoupled: bool) -> Callable:
    lr, eps, wd = s.lr, s.eps, s.weight_decay
    b1, b2 = s.betas
    if kind == "betas_swapped":
        b1, b2 = b2, b1

    def run(start: list[np.ndarray], grads: list[list[np.ndarray]]) -> list:
        params = [p.copy() for p in start]
        m = [np.zeros_like(p) for p in params]
        v = [np.zeros_like(p) for p in params]
        use_decoupled = decoupled != (kind == "other_weight_decay")
        trajectory = []
        for t, step in enumerate(grads, start=1):
            t_used = 1 if kind == "t_not_incremented" else t
            for k, g in enumerate(step):
                p = params[k]
                if wd and use_decoupled and kind != "decay_after_step":
                    p = p * (1 - (1 if kind == "decay_without_lr" else lr) * wd)
                elif wd and not use_decoupled:
                    g = g + wd * p
                m[k] = b1 * m[k] + (1 - b1) * g
                v[k] = b2 * v[k] + (1 - b2) * g * g
                m_hat = m[k] if kind in ("no_bias_correction", "no_m_correction") \
                    else m[k] / (1 - b1**t_used)
                v_hat = v[k] if kind in ("no_bias_correction", "no_v_correction") \
                    else v[k] / (1 - b2**t_used)
                if kind == "eps_inside_sqrt":
                    denominator = np.sqrt(v_hat + eps)
                else:
                    denominator = np.sqrt(v_hat) + eps
                update = lr * m_hat / denominator
                p = p + update if kind == "ascent" else p - update
                if wd and use_decoupled and kind == "decay_after_step":
                    p = p - lr * wd * p
                params[k] = p
            trajectory.append([p.copy() for p in params])
        return trajectory
    return run


def _rmsprop_variant(kind: str, s: Settings) -> Callable:
    lr, eps, wd, rho, mu = s.lr, s.eps, s.weight_decay, s.alpha, s.momentum
    centered = s.centered != (kind == "other_centered")

    def run(start: list[np.ndarray], grads: list[list[np.ndarray]]) -> list:
        params = [p.copy() for p in start]
        sq = [np.zeros_like(p) for p in params]
        avg = [np.zeros_like(p) for p in params]
        buf = [np.zeros_like(p) for p in params]
        trajectory = []
        for step in grads:
            for k, g in enumerate(step):
                g = g + wd * params[k]
                if kind == "alpha_swapped":  # the smoothing constant weighs the new gradient
                    sq[k] = (1 - rho) * sq[k] + rho * g * g
                else:
                    sq[k] = rho * sq[k] + (1 - rho) * g * g
                second = sq[k]
                if centered:
                    avg[k] = rho * avg[k] + (1 - rho) * g
                    second = sq[k] - avg[k] ** 2
                denominator = np.sqrt(second + eps) if kind == "eps_inside_sqrt" else \
                    np.sqrt(second) + eps
                if mu > 0:
                    buf[k] = mu * buf[k] + g / denominator
                    update = lr * buf[k]
                else:
                    update = lr * g / denominator
                params[k] = params[k] + update if kind == "ascent" else params[k] - update
            trajectory.append([p.copy() for p in params])
        return trajectory
    return run


def _adagrad_variant(kind: str, s: Settings) -> Callable:
    lr, eps, wd, start_value = s.lr, s.eps, s.weight_decay, s.initial_accumulator_value

    def run(start: list[np.ndarray], grads: list[list[np.ndarray]]) -> list:
        params = [p.copy() for p in start]
        initial = 0.0 if kind == "accumulator_from_zero" else \
            (0.1 if kind == "accumulator_from_0.1" else start_value)
        total = [np.full_like(p, initial) for p in params]
        trajectory = []
        for step in grads:
            for k, g in enumerate(step):
                g = g + wd * params[k]
                if kind == "running_average":
                    total[k] = 0.99 * total[k] + 0.01 * g * g
                else:
                    total[k] = total[k] + g * g
                denominator = np.sqrt(total[k] + eps) if kind == "eps_inside_sqrt" else \
                    np.sqrt(total[k]) + eps
                update = lr * g / denominator
                params[k] = params[k] + update if kind == "ascent" else params[k] - update
            trajectory.append([p.copy() for p in params])
        return trajectory
    return run


SGD_VARIANTS = {
    "ascent": "it climbs the loss: params += lr * grad instead of -=",
    "average_momentum": "the momentum buffer is an average, buf = mu buf + (1 - mu) g (torch's "
                        "dampening = mu); torch and scikit-learn accumulate buf = mu buf + g",
    "other_nesterov": "it is {other}, not {asked}: Nesterov's step adds mu * buf to the "
                      "gradient, classic momentum steps along buf",
    "decay_without_lr": "the weight decay is not multiplied by the learning rate (params -= "
                        "wd * params instead of lr * wd * params)",
}
ADAM_VARIANTS = {
    "ascent": "it climbs the loss: params += the step instead of -=",
    "no_bias_correction": "the moments are not bias-corrected: m / (1 - b1^t) and "
                          "v / (1 - b2^t) are missing, so the first steps are far too small",
    "no_m_correction": "the first moment is not bias-corrected (m / (1 - b1^t) is missing)",
    "no_v_correction": "the second moment is not bias-corrected (v / (1 - b2^t) is missing)",
    "eps_inside_sqrt": "epsilon is inside the square root, sqrt(v_hat + eps), where torch and "
                       "scikit-learn add it outside, sqrt(v_hat) + eps",
    "t_not_incremented": "the step count t is not incremented: the bias correction stays that "
                         "of the first step",
    "betas_swapped": "beta_1 and beta_2 are swapped (m decays with beta_2, v with beta_1)",
    "other_weight_decay": "the weight decay is {other}: {how}",
    "decay_without_lr": "the decoupled weight decay is not multiplied by the learning rate "
                        "(params *= 1 - wd instead of 1 - lr * wd)",
    "decay_after_step": "the decoupled weight decay is applied after the Adam step; torch's "
                        "AdamW applies it to the weights before",
}
RMSPROP_VARIANTS = {
    "ascent": "it climbs the loss: params += the step instead of -=",
    "eps_inside_sqrt": "epsilon is inside the square root, sqrt(v + eps), where torch adds it "
                       "outside, sqrt(v) + eps",
    "other_centered": "it is {other} RMSprop, not {asked}: the centred one divides by "
                      "sqrt(v - mean(g)^2), the plain one by sqrt(v)",
    "alpha_swapped": "the smoothing constant weighs the new gradient: v = (1 - alpha) v + "
                     "alpha g^2 instead of alpha v + (1 - alpha) g^2",
}
ADAGRAD_VARIANTS = {
    "ascent": "it climbs the loss: params += the step instead of -=",
    "eps_inside_sqrt": "epsilon is inside the square root, sqrt(sum + eps), where torch adds it "
                       "outside, sqrt(sum) + eps",
    "accumulator_from_zero": "the accumulator starts at 0 instead of "
                             "initial_accumulator_value = {start:g}",
    "accumulator_from_0.1": "the accumulator starts at 0.1 (TensorFlow's default) instead of "
                            "initial_accumulator_value = {start:g} (torch's default is 0)",
    "running_average": "the squared gradients are averaged (RMSprop's running average), not "
                       "summed as Adagrad sums them",
}


def _variants(optimizer: str, s: Settings) -> dict[str, tuple[Callable, str]]:
    if optimizer in ("sgd", "momentum", "nesterov"):
        mu = 0.0 if optimizer == "sgd" else s.momentum
        nesterov = optimizer == "nesterov"
        other = "classic momentum" if nesterov else "Nesterov momentum"
        asked = "Nesterov momentum" if nesterov else "classic momentum"
        texts = {k: v.format(other=other, asked=asked) for k, v in SGD_VARIANTS.items()}
        kinds = ["ascent"] + (["average_momentum", "other_nesterov"] if mu else []) + \
            (["decay_without_lr"] if s.weight_decay else [])
        return {k: (_sgd_variant(k, s, mu, nesterov), texts[k]) for k in kinds}
    if optimizer == "rmsprop":
        other, asked = ("plain", "centred") if s.centered else ("centred", "plain")
        return {k: (_rmsprop_variant(k, s), v.format(other=other, asked=asked))
                for k, v in RMSPROP_VARIANTS.items()}
    if optimizer == "adagrad":
        kinds = [k for k in ADAGRAD_VARIANTS if not (
            k == "accumulator_from_zero" and s.initial_accumulator_value == 0)
            and not (k == "accumulator_from_0.1" and s.initial_accumulator_value == 0.1)]
        return {k: (_adagrad_variant(k, s),
                    ADAGRAD_VARIANTS[k].format(start=s.initial_accumulator_value))
                for k in kinds}
    decoupled = optimizer == "adamw"
    how = ("AdamW decays the weights apart from the gradient (decoupled), yours adds wd * params "
           "to the gradient (coupled, Adam's weight_decay)" if decoupled else
           "Adam's weight_decay adds wd * params to the gradient (coupled), yours decays the "
           "weights apart from it (decoupled, AdamW's)")
    texts = {k: v.format(other="coupled" if decoupled else "decoupled", how=how)
             for k, v in ADAM_VARIANTS.items()}
    kinds = ["ascent", "no_bias_correction", "no_m_correction", "no_v_correction",
             "eps_inside_sqrt", "t_not_incremented", "betas_swapped"]
    if s.weight_decay:
        kinds += ["other_weight_decay"] + (["decay_without_lr", "decay_after_step"]
                                           if decoupled else [])
    return {k: (_adam_variant(k, s, decoupled), texts[k]) for k in kinds}


# --- the checker ---------------------------------------------------------------------------------

def _draw(shapes: Sequence[tuple[int, ...]], steps: int, seed: int
          ) -> tuple[list[np.ndarray], list[list[np.ndarray]]]:
    rng = np.random.default_rng(seed)
    start = [rng.normal(size=shape) for shape in shapes]
    grads = [[rng.choice([-1.0, 1.0], size=shape) * 10.0 ** rng.uniform(-10, 0, size=shape)
              for shape in shapes] for _ in range(steps)]
    return start, grads


class _Refused(Exception):
    """The step's result cannot be compared: the sentence says why."""


def _run_user(step_fn: Callable, start: list[np.ndarray], grads: list[list[np.ndarray]]
              ) -> tuple[list[list[np.ndarray]], bool, str]:
    """The user's trajectory, whether it wrote into its gradients, and how it handed back
    the parameters ("in place" or "returned"); raises ``_Refused`` with the reason when a
    step's result cannot be compared."""
    params, trajectory, touched, mode = [p.copy() for p in start], [], False, "in place"
    for t, step in enumerate(grads, start=1):
        given = [g.copy() for g in step]
        try:
            result = step_fn(params, given)
        except Exception as error:
            raise ValueError(f"step_fn raised {type(error).__name__} at step {t}: {error}"
                             .split("\n")[0]) from error
        if result is not None:
            if not isinstance(result, (list, tuple)):
                raise _Refused(f"Step {t} returned a {type(result).__name__}; a step returns "
                               "nothing (it updates params in place) or the list of new "
                               "parameters.")
            if len(result) != len(params):
                raise _Refused(f"Step {t} returned {len(result)} array(s) for {len(params)} "
                               "parameters: one new array per parameter.")
            mode = "returned"
            params = list(result)
        for k, p in enumerate(params):
            problem = problem_with(p)
            if problem is not None:
                raise _Refused(f"After step {t}, parameter {k} is not usable: {problem}.")
            if np.shape(p) != start[k].shape:
                raise _Refused(f"After step {t}, parameter {k} has shape {np.shape(p)}; it "
                               f"had {start[k].shape}.")
        params = [np.array(p, dtype=np.float64) for p in params]
        touched = touched or any(not np.array_equal(a, b) for a, b in zip(given, step))
        trajectory.append([p.copy() for p in params])
    return trajectory, touched, mode


def _distance(a: list[list[np.ndarray]], b: list[list[np.ndarray]],
              start: list[np.ndarray]) -> tuple[float, int | None]:
    """Largest difference over the steps, relative to how far the parameters moved (so that
    a tiny learning rate cannot hide a wrong step), and the first step (1-based) that differs
    by more than 1e-12 of it (NaN and infinity count as differing). A difference of float64
    round-off in the parameters themselves (a few ulps per step) is not counted."""
    worst, first = 0.0, None
    eps = np.finfo(np.float64).eps
    for step, (x, y) in enumerate(zip(a, b), start=1):
        here = 0.0
        for p, q, p0 in zip(x, y, start):
            p, q = np.asarray(p, dtype=np.float64), np.asarray(q, dtype=np.float64)
            if not (np.isfinite(p).all() and np.isfinite(q).all()):
                here = math.inf
                break
            moved = max(float(np.abs(p - p0).max(initial=0)), float(np.abs(q - p0).max(
                initial=0)))
            gap = float(np.abs(p - q).max(initial=0))
            gap = max(0.0, gap - 16 * step * eps * float(np.abs(q).max(initial=0)))
            here = max(here, 0.0 if gap == 0 else (gap / moved if moved > 0 else math.inf))
        worst = max(worst, here)
        if first is None and not here <= 1e-12:
            first = step
    return worst, first


def _check_flag(name: str, value: object) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {value!r}.")
    return bool(value)


def _check_number(name: str, value: object, low: float, high: float = math.inf,
                  low_open: bool = False, high_open: bool = True) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a number, got {type(value).__name__}.")
    value = float(value)
    if not (math.isfinite(value) and (value > low if low_open else value >= low)
            and (value < high if high_open else value <= high)):
        raise ValueError(f"{name} must be a finite number in {'(' if low_open else '['}{low:g}, "
                         f"{high:g}{')' if high_open else ']'}, got {value}.")
    return value


def check_optimizer(step_fn: Callable, *, optimizer: str, lr: float,
                    momentum: float | None = None, betas: tuple[float, float] = (0.9, 0.999),
                    eps: float | None = None, weight_decay: float = 0.0, alpha: float = 0.99,
                    centered: bool = False, initial_accumulator_value: float = 0.0,
                    steps: int = 10, shapes: Sequence[tuple[int, ...]] = ((5, 4), (4,)),
                    seed: int = 0, rtol: float = 1e-6) -> OptimizerReport:
    """Check ``step_fn(params, grads)`` (a fresh optimizer's step) against the frameworks'.

    ``optimizer`` is "sgd", "momentum" (classic), "nesterov", "adam", "adamw", "rmsprop" or
    "adagrad", with your step's hyperparameters: ``lr``; ``momentum`` (default 0.9 for
    momentum and nesterov, 0 for rmsprop); ``betas``; ``eps`` (default 1e-8, Adagrad's
    1e-10); ``weight_decay`` (coupled, as torch's ``weight_decay``, except decoupled for
    adamw); RMSprop's smoothing ``alpha`` and ``centered``; Adagrad's
    ``initial_accumulator_value``. The step may update ``params`` in place or return the
    new list.

    Example
    -------
    >>> import numpy as np
    >>> def sgd_step(params, grads):
    ...     for p, g in zip(params, grads):
    ...         p -= 0.1 * g
    >>> check_optimizer(sgd_step, optimizer="sgd", lr=0.1).ok
    True
    """
    if not callable(step_fn):
        raise TypeError(f"step_fn must be a function step_fn(params, grads), got "
                        f"{type(step_fn).__name__}.")
    if optimizer not in OPTIMIZERS:
        raise ValueError(f"optimizer must be one of {OPTIMIZERS}, got {optimizer!r}.")
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or \
            not 1 <= steps <= MAX_STEPS:
        raise ValueError(f"steps must be a whole number from 1 to {MAX_STEPS}, got {steps!r}.")
    if momentum is None:
        momentum = 0.9 if optimizer in ("momentum", "nesterov") else 0.0
    if eps is None:
        eps = 1e-10 if optimizer == "adagrad" else 1e-8
    if not (isinstance(betas, (tuple, list)) and len(betas) == 2):
        raise TypeError(f"betas must be a pair (beta_1, beta_2), got {betas!r}.")
    settings = Settings(
        _check_number("lr", lr, 0.0, 1e6, low_open=True, high_open=False),
        _check_number("momentum", momentum, 0, 1),
        (_check_number("betas[0]", betas[0], 0, 1), _check_number("betas[1]", betas[1], 0, 1)),
        _check_number("eps", eps, 0.0, low_open=True),
        _check_number("weight_decay", weight_decay, 0.0),
        _check_number("alpha", alpha, 0, 1, high_open=False), _check_flag("centered", centered),
        _check_number("initial_accumulator_value", initial_accumulator_value, 0.0))
    rtol = _check_number("rtol", rtol, 0.0, low_open=True)
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or \
            not 0 <= seed < 2**63:
        raise ValueError(f"seed must be a whole number from 0 to 2^63 - 1, got {seed!r}.")
    if not isinstance(shapes, (tuple, list)) or not shapes or not all(
            isinstance(s, (tuple, list)) and all(
                isinstance(d, (int, np.integer)) and not isinstance(d, bool) and d > 0
                for d in s) for s in shapes):
        raise ValueError(f"shapes must be a list of array shapes of positive sizes, got "
                         f"{shapes!r}.")
    if sum(int(np.prod(s)) for s in shapes) * steps > 10**8:
        raise ValueError("shapes x steps is too large to check: keep it under 10^8 numbers.")
    start, grads = _draw([tuple(s) for s in shapes], int(steps), seed)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # small tensors: threads only wait for a core
    try:
        return _check(step_fn, optimizer, settings, start, grads, rtol)
    finally:
        torch.set_num_threads(threads)


def _check(step_fn: Callable, optimizer: str, s: Settings, start: list, grads: list,
           rtol: float) -> OptimizerReport:
    try:
        theirs, touched, mode = _run_user(step_fn, start, grads)
    except _Refused as refused:
        return OptimizerReport(False, optimizer, [], [str(refused)], {})
    errors, firsts, matches = {}, {}, []
    for name, run in _references(optimizer, s).items():
        errors[name], firsts[name] = _distance(theirs, run(start, grads), start)
        if errors[name] <= rtol:
            matches.append(name)
    diagnosis = []
    if touched:
        diagnosis.append("Your step changed the gradient arrays it was given (an in-place "
                         "operation on grads); the frameworks leave them alone.")
    if not matches:
        diagnosis += _explain(theirs, optimizer, s, start, grads, rtol, errors, firsts)
    elif len(matches) > 1 and optimizer in ("momentum", "nesterov"):
        diagnosis.append("torch keeps the momentum buffer without the learning rate and "
                         "scikit-learn its velocity with it; the two agree while the learning "
                         "rate is constant, as here (see docs/conventions.md for when they "
                         "part).")
    return OptimizerReport(bool(matches), optimizer, matches, diagnosis, errors, mode)


def _explain(theirs: list, optimizer: str, s: Settings, start: list, grads: list, rtol: float,
             errors: dict, firsts: dict) -> list[str]:
    for kind, (run, text) in _variants(optimizer, s).items():
        if _distance(theirs, run(start, grads), start)[0] <= rtol:
            return [f"Your step differs from the frameworks' in one known way: {text}."]
    for other in OPTIMIZERS:
        if other == optimizer:
            continue
        usual = replace(s, momentum=s.momentum or 0.9) if other in ("momentum", "nesterov") \
            else replace(s, momentum=0.0) if other == "rmsprop" else s
        for name, run in _references(other, usual).items():
            if _distance(theirs, run(start, grads), start)[0] <= rtol:
                return [f"Your step is {name}'s update for optimizer={other!r}, not "
                        f"{optimizer!r}."]
    # the framework yours follows longest (then most closely), and where it leaves it
    order = list(firsts)  # ties (equal to 6 digits) go to the first reference: torch's
    name = max(firsts, key=lambda k: (firsts[k] or math.inf, -float(f"{errors[k]:.6g}"),
                                      -order.index(k)))
    first = firsts[name]
    if first == 1:
        return [f"The very first step already differs from {name}'s (the closest framework): "
                "check the update rule itself (its sign, the learning rate, and for Adam "
                "where epsilon and the bias correction go)."]
    return [f"The first {first - 1} step(s) agree with {name}'s, step {first} differs: the "
            "state carried between steps (the momentum buffer, the moments, the step count) "
            "is updated differently."]
