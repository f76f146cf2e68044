"""``check_optimizer``: hold *your* optimizer step against torch's and scikit-learn's.

Your ``step_fn(params, grads)`` updates a list of arrays, in place or by returning the new
list, keeping whatever state it needs between calls. The checker calls it ``steps`` times on
gradients it draws (signs random, magnitudes spread from 1e-10 to 1, so that where epsilon
sits and whether the moments are bias-corrected both show), and runs the same steps through
the real ``torch.optim`` optimizers and scikit-learn's ``SGDOptimizer`` and ``AdamOptimizer``.
It says which framework's update yours equals; where it equals none, it tries the usual
variants (Adam without bias correction, epsilon inside the square root, weight decay
coupled where it should be decoupled, momentum as an average, ...) and names the one that
fits, or the first step where yours departs.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
from sklearn.neural_network._stochastic_optimizers import AdamOptimizer, SGDOptimizer

from reference.checking.gradients import relative_difference

OPTIMIZERS = ("sgd", "momentum", "nesterov", "adam", "adamw")


@dataclass
class OptimizerReport:
    """The verdict of ``check_optimizer``.

    ``ok``: your step equals a framework's update of the optimizer you named (within
    ``rtol`` at every step). ``matches``: every reference your step equals, e.g.
    ``["torch.optim.Adam"]``. ``diagnosis``: what differs, in sentences. ``errors``: the
    largest relative difference from each framework reference over the steps.
    """

    ok: bool
    optimizer: str
    matches: list[str]
    diagnosis: list[str]
    errors: dict[str, float] = field(default_factory=dict)

    def __str__(self) -> str:
        lines = [f"check_optimizer ({self.optimizer}): {'OK' if self.ok else 'NOT OK'}",
                 "matches: " + (", ".join(self.matches) if self.matches else "no framework")]
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


def _references(optimizer: str, lr: float, momentum: float, betas: tuple[float, float],
                eps: float, weight_decay: float) -> dict[str, Callable]:
    """name -> run(start, grads) for the frameworks' updates of ``optimizer``."""
    refs = {}
    if optimizer in ("sgd", "momentum", "nesterov"):
        mu = 0.0 if optimizer == "sgd" else momentum
        nesterov = optimizer == "nesterov"
        refs["torch.optim.SGD"] = lambda s, g: _torch_run(
            torch.optim.SGD, dict(lr=lr, momentum=mu, nesterov=nesterov,
                                  weight_decay=weight_decay), s, g)
        if weight_decay == 0:
            refs["scikit-learn's SGDOptimizer"] = lambda s, g: _sklearn_run(
                lambda p: SGDOptimizer(p, lr, "constant", mu, nesterov), s, g)
    elif optimizer == "adam":
        refs["torch.optim.Adam"] = lambda s, g: _torch_run(
            torch.optim.Adam, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay),
            s, g)
        if weight_decay == 0:
            refs["scikit-learn's AdamOptimizer"] = lambda s, g: _sklearn_run(
                lambda p: AdamOptimizer(p, lr, betas[0], betas[1], eps), s, g)
    else:
        refs["torch.optim.AdamW"] = lambda s, g: _torch_run(
            torch.optim.AdamW, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay),
            s, g)
    return refs


# --- the usual variants, written out -----------------------------------------------------------

def _sgd_variant(kind: str, lr: float, mu: float, nesterov: bool, wd: float) -> Callable:
    def run(start: list[np.ndarray], grads: list[list[np.ndarray]]) -> list:
        params, buffers, trajectory = [p.copy() for p in start], None, []
        for step in grads:
            new = []
            for k, (p, g) in enumerate(zip(params, step)):
                g = g + wd * p if kind != "decay_without_lr" else g
                if buffers is None:
                    buffers = [None] * len(params)
                if kind == "average_momentum":  # buf = mu buf + (1 - mu) g
                    buffers[k] = (1 - mu) * g if buffers[k] is None else \
                        mu * buffers[k] + (1 - mu) * g
                else:
                    buffers[k] = g.copy() if buffers[k] is None else mu * buffers[k] + g
                direction = g + mu * buffers[k] if (nesterov != (kind == "other_nesterov")) \
                    else buffers[k]
                if kind == "ascent":
                    p = p + lr * direction
                else:
                    p = p - lr * direction
                if kind == "decay_without_lr":
                    p = p - wd * params[k]
                new.append(p)
            params = new
            trajectory.append([p.copy() for p in params])
        return trajectory
    return run


def _adam_variant(kind: str, lr: float, betas: tuple[float, float], eps: float, wd: float,
                  decoupled: bool) -> Callable:
    b1, b2 = betas
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


def _variants(optimizer: str, lr: float, momentum: float, betas: tuple[float, float],
              eps: float, weight_decay: float) -> dict[str, tuple[Callable, str]]:
    if optimizer in ("sgd", "momentum", "nesterov"):
        mu = 0.0 if optimizer == "sgd" else momentum
        nesterov = optimizer == "nesterov"
        other = "classic momentum" if nesterov else "Nesterov momentum"
        asked = "Nesterov momentum" if nesterov else "classic momentum"
        texts = {k: v.format(other=other, asked=asked) for k, v in SGD_VARIANTS.items()}
        kinds = ["ascent"] + (["average_momentum", "other_nesterov"] if mu else []) + \
            (["decay_without_lr"] if weight_decay else [])
        return {k: (_sgd_variant(k, lr, mu, nesterov, weight_decay), texts[k]) for k in kinds}
    decoupled = optimizer == "adamw"
    how = ("AdamW decays the weights apart from the gradient (decoupled), yours adds wd * params "
           "to the gradient (coupled, Adam's weight_decay)" if decoupled else
           "Adam's weight_decay adds wd * params to the gradient (coupled), yours decays the "
           "weights apart from it (decoupled, AdamW's)")
    texts = {k: v.format(other="coupled" if decoupled else "decoupled", how=how)
             for k, v in ADAM_VARIANTS.items()}
    kinds = ["ascent", "no_bias_correction", "no_m_correction", "no_v_correction",
             "eps_inside_sqrt", "t_not_incremented", "betas_swapped"]
    if weight_decay:
        kinds += ["other_weight_decay"] + (["decay_without_lr", "decay_after_step"]
                                           if decoupled else [])
    return {k: (_adam_variant(k, lr, betas, eps, weight_decay, decoupled), texts[k])
            for k in kinds}


# --- the checker ---------------------------------------------------------------------------------

def _draw(shapes: Sequence[tuple[int, ...]], steps: int, seed: int
          ) -> tuple[list[np.ndarray], list[list[np.ndarray]]]:
    rng = np.random.default_rng(seed)
    start = [rng.normal(size=shape) for shape in shapes]
    grads = [[rng.choice([-1.0, 1.0], size=shape) * 10.0 ** rng.uniform(-10, 0, size=shape)
              for shape in shapes] for _ in range(steps)]
    return start, grads


def _run_user(step_fn: Callable, start: list[np.ndarray], grads: list[list[np.ndarray]]
              ) -> tuple[list[list[np.ndarray]], bool]:
    params, trajectory, touched = [p.copy() for p in start], [], False
    for step in grads:
        given = [g.copy() for g in step]
        result = step_fn(params, given)
        if result is not None:
            params = [np.asarray(p, dtype=np.float64) for p in result]
        touched = touched or any(not np.array_equal(a, b) for a, b in zip(given, step))
        trajectory.append([np.array(p, dtype=np.float64, copy=True) for p in params])
    return trajectory, touched


def _distance(a: list[list[np.ndarray]], b: list[list[np.ndarray]]) -> tuple[float, int | None]:
    """Largest relative difference over the steps, and the first step (1-based) that
    differs by more than 1e-12 relative."""
    worst, first = 0.0, None
    for step, (x, y) in enumerate(zip(a, b), start=1):
        here = max(relative_difference(p, q) for p, q in zip(x, y))
        worst = max(worst, here)
        if first is None and here > 1e-12:
            first = step
    return worst, first


def check_optimizer(step_fn: Callable, *, optimizer: str, lr: float, momentum: float = 0.9,
                    betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                    weight_decay: float = 0.0, steps: int = 10,
                    shapes: Sequence[tuple[int, ...]] = ((5, 4), (4,)), seed: int = 0,
                    rtol: float = 1e-6) -> OptimizerReport:
    """Check ``step_fn(params, grads)`` (a fresh optimizer's step) against the frameworks'.

    ``optimizer`` is "sgd", "momentum" (classic), "nesterov", "adam" or "adamw", with your
    step's hyperparameters ``lr``, ``momentum``, ``betas``, ``eps`` and ``weight_decay``
    (coupled for sgd/momentum/nesterov/adam, as torch's ``weight_decay``; decoupled for
    adamw).

    Example
    -------
    >>> report = check_optimizer(my_adam.step, optimizer="adam", lr=1e-3)
    >>> print(report)  # doctest: +SKIP
    """
    if optimizer not in OPTIMIZERS:
        raise ValueError(f"optimizer must be one of {OPTIMIZERS}, got {optimizer!r}.")
    start, grads = _draw(shapes, steps, seed)
    theirs, touched = _run_user(step_fn, start, grads)
    errors, firsts, matches = {}, {}, []
    for name, run in _references(optimizer, lr, momentum, betas, eps, weight_decay).items():
        errors[name], firsts[name] = _distance(theirs, run(start, grads))
        if errors[name] <= rtol:
            matches.append(name)
    diagnosis = []
    if touched:
        diagnosis.append("Your step changed the gradient arrays it was given (an in-place "
                         "operation on grads); the frameworks leave them alone.")
    if not matches:
        diagnosis += _explain(theirs, optimizer, lr, momentum, betas, eps, weight_decay,
                              start, grads, rtol, firsts)
    elif len(matches) > 1 and optimizer in ("momentum", "nesterov"):
        diagnosis.append("torch keeps the momentum buffer without the learning rate and "
                         "scikit-learn its velocity with it; the two agree while the learning "
                         "rate is constant, as here (see docs/conventions.md for when they "
                         "part).")
    return OptimizerReport(bool(matches), optimizer, matches, diagnosis, errors)


def _explain(theirs: list, optimizer: str, lr: float, momentum: float, betas: tuple,
             eps: float, weight_decay: float, start: list, grads: list, rtol: float,
             firsts: dict) -> list[str]:
    for kind, (run, text) in _variants(optimizer, lr, momentum, betas, eps,
                                       weight_decay).items():
        if _distance(theirs, run(start, grads))[0] <= rtol:
            return [f"Your step differs from the frameworks' in one known way: {text}."]
    for other in OPTIMIZERS:
        if other == optimizer:
            continue
        for name, run in _references(other, lr, momentum, betas, eps, weight_decay).items():
            if _distance(theirs, run(start, grads))[0] <= rtol:
                return [f"Your step is {name}'s update for optimizer={other!r}, not "
                        f"{optimizer!r}."]
    first = min((f for f in firsts.values() if f is not None), default=None)
    if first == 1:
        return ["The very first step already differs from every framework's: check the "
                "update rule itself (its sign, the learning rate, and for Adam where epsilon "
                "and the bias correction go)."]
    return [f"The first {first - 1} step(s) agree, step {first} differs: the state carried "
            "between steps (the momentum buffer, the moments, the step count) is updated "
            "differently."]
