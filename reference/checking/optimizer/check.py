"""``check_optimizer``: hold *your* optimizer step against torch's and scikit-learn's.

Your ``step_fn(params, grads)`` updates a list of arrays, in place or by returning the new
list (both are accepted, and the report says which it saw), keeping whatever state it needs
between calls. In stages:

1. **read**: the arguments, each checked with a one-line error naming it;
2. **run**: your step and each framework's update (``frameworks``: the real ``torch.optim``
   and scikit-learn optimizers) run in lockstep, ``steps`` times, on gradients drawn step by
   step (signs random, magnitudes spread from 1e-10 to 1, so that where epsilon sits and
   whether the moments are corrected both show), from parameters drawn at the scale of lr
   (so that every step is resolvable in float64 at any lr). Memory stays a few copies of
   the parameters; a sample of the coordinates is kept for the explanation;
3. **probe**: a step that writes NaN, infinity or complex values, returns another number of
   arrays or of other shapes, or writes into the gradients it was given, is never OK;
4. **measure**: each framework's largest difference from yours, relative to how far the
   parameters moved at that step, so that a tiny lr hides nothing: a no-op or an ascent is
   far from any framework at every lr;
5. **explain** (``explain``): where no framework matches, the slips of the grammar
   (``slips``) that reproduce your step exactly, alone or two at once; else another
   optimizer's update; else what the step does (no move, an ascent, too long or too short)
   and the first step where it leaves the closest framework;
6. **verdict**: OK only when a framework's update of the optimizer you named matches, and
   nothing else is wrong.
"""

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from reference.checking.compare import problem_with
from reference.checking.core.report import Report
from reference.checking.optimizer.explain import explain, explain_broken
from reference.checking.optimizer.frameworks import OPTIMIZERS, Settings, references

MAX_STEPS = 10_000
SAMPLE = 2048  # coordinates kept for the explanation


@dataclass(repr=False)
class OptimizerReport(Report):
    """The verdict of ``check_optimizer``.

    ``ok``: your step equals a framework's update of the optimizer you named (within
    ``rtol`` at every step, relative to how far the parameters have moved, so that a small
    learning rate hides nothing), and it leaves the gradients alone. ``matches``: every
    reference your step equals, e.g. ``["torch.optim.Adam"]``. ``diagnosis``: what differs,
    in sentences. ``named``: the slips named, each ``{"slip", "where", "text"}``.
    ``errors``: the largest such relative difference from each framework reference over the
    steps. ``mode``: "in place" or "returned" (how your step handed back the new
    parameters).
    """

    ok: bool
    optimizer: str
    matches: list[str]
    diagnosis: list[str]
    errors: dict[str, float] = field(default_factory=dict)
    mode: str = "in place"
    named: list[dict] = field(default_factory=list)

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


# --- 1. read --------------------------------------------------------------------------------------

def _flag(name: str, value: object) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {value!r}.")
    return bool(value)


def _number(name: str, value: object, low: float, high: float = math.inf,
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
                    momentum: float | None = None, nesterov: bool = False,
                    betas: tuple[float, float] = (0.9, 0.999), eps: float | None = None,
                    weight_decay: float = 0.0, alpha: float = 0.99, centered: bool = False,
                    initial_accumulator_value: float = 0.0, steps: int = 10,
                    shapes: Sequence[tuple[int, ...]] = ((5, 4), (4,)), seed: int = 0,
                    rtol: float | None = None) -> OptimizerReport:
    """Check ``step_fn(params, grads)`` (a fresh optimizer's step) against the frameworks'.

    ``optimizer`` is "sgd" (torch's SGD: ``momentum=`` and ``nesterov=`` as torch spells
    them), "momentum" (classic, 0.9 unless given), "nesterov", "adam", "adamw", "rmsprop" or
    "adagrad", with your step's hyperparameters: ``lr``; ``momentum`` (RMSprop's too);
    ``betas``; ``eps`` (default 1e-8, Adagrad's 1e-10); ``weight_decay`` (coupled, as
    torch's ``weight_decay``, except decoupled for adamw); RMSprop's smoothing ``alpha``
    and ``centered``; Adagrad's ``initial_accumulator_value``. The step may update
    ``params`` in place or return the new list. ``steps`` (1 to 10,000), ``shapes`` (at most
    10^8 numbers with the steps), ``seed``, ``rtol`` (default 1e-6).

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
        _number("lr", lr, 0.0, 1e6, low_open=True, high_open=False),
        _number("momentum", momentum, 0, 1), _flag("nesterov", nesterov),
        (_number("betas[0]", betas[0], 0, 1), _number("betas[1]", betas[1], 0, 1)),
        _number("eps", eps, 0.0, low_open=True), _number("weight_decay", weight_decay, 0.0),
        _number("alpha", alpha, 0, 1, high_open=False), _flag("centered", centered),
        _number("initial_accumulator_value", initial_accumulator_value, 0.0))
    if optimizer in ("sgd", "nesterov") and (settings.nesterov or optimizer == "nesterov") \
            and settings.momentum == 0:
        raise ValueError("nesterov needs a momentum > 0 (as torch's SGD does).")
    rtol = 1e-6 if rtol is None else _number("rtol", rtol, 0.0, low_open=True)
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
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # small tensors: threads only wait for a core
    try:
        return _check(step_fn, optimizer, settings, [tuple(s) for s in shapes], int(steps),
                      int(seed), rtol)
    finally:
        torch.set_num_threads(threads)


# --- 2-4. run, probe, measure -------------------------------------------------------------------

class _Refused(Exception):
    """The step's result cannot be compared: the sentence says why."""


@dataclass
class _Distance:
    """The largest difference from a reference, relative to how far the parameters moved at
    that step, and the first step (1-based) that differs by more than 1e-12 of it."""

    worst: float = 0.0
    first: int | None = None

    def add(self, step: int, yours: list[np.ndarray], theirs: list[np.ndarray],
            before: list[np.ndarray], before_theirs: list[np.ndarray]) -> None:
        here = 0.0
        eps = np.finfo(np.float64).eps
        for p, q, p0, q0 in zip(yours, theirs, before, before_theirs):
            if not (np.isfinite(p).all() and np.isfinite(q).all()):
                here = math.inf
                break
            moved = max(float(np.abs(q - q0).max(initial=0)), float(np.abs(p - q0).max(
                initial=0)))
            gap = float(np.abs(p - q).max(initial=0))
            gap = max(0.0, gap - 16 * step * eps * float(np.abs(q).max(initial=0)))
            here = max(here, 0.0 if gap == 0 else (gap / moved if moved > 0 else math.inf))
        self.worst = max(self.worst, here)
        if self.first is None and not here <= 1e-12:
            self.first = step


def _draw(shapes: list[tuple[int, ...]], rng: np.random.Generator) -> list[np.ndarray]:
    return [rng.choice([-1.0, 1.0], size=shape) * 10.0 ** rng.uniform(-10, 0, size=shape)
            for shape in shapes]


def _sample(shapes: list[tuple[int, ...]], seed: int) -> np.ndarray:
    """Indices into the concatenated flat parameters, at most SAMPLE of them."""
    total = sum(int(np.prod(s)) for s in shapes)
    if total <= SAMPLE:
        return np.arange(total)
    return np.sort(np.random.default_rng(seed + 1).choice(total, SAMPLE, replace=False))


def _flat(arrays: list[np.ndarray], pick: np.ndarray) -> np.ndarray:
    return np.concatenate([np.ravel(a) for a in arrays])[pick]


@dataclass
class Run:
    """What the lockstep run kept: the mode, whether the gradients were written into, each
    reference's distance, and on the sampled coordinates the start, the gradients and your
    parameters after each step."""

    mode: str
    touched: bool
    distances: dict[str, _Distance]
    start: np.ndarray
    grads: list[np.ndarray]
    yours: np.ndarray
    array_of: np.ndarray  # each sampled coordinate's parameter array
    arrays: int
    broken: str | None = None  # why a step's result cannot be compared (then the run stops)
    broken_mask: np.ndarray | None = None  # the sampled coordinates that are not finite


def _run(step_fn: Callable, refs: list, shapes: list[tuple[int, ...]], steps: int, seed: int,
         lr: float) -> Run:
    rng = np.random.default_rng(seed)
    start = [rng.normal(size=shape) * lr for shape in shapes]  # at the scale of the steps
    pick = _sample(shapes, seed)
    runners = {ref.name: ref.start([a.copy() for a in start]) for ref in refs}
    distances = {ref.name: _Distance() for ref in refs}
    theirs = {ref.name: [a.copy() for a in start] for ref in refs}
    params = [a.copy() for a in start]
    mode, touched, sampled_grads, sampled = "in place", False, [], []
    array_of = np.concatenate([np.full(int(np.prod(shape)), k, dtype=float)
                               for k, shape in enumerate(shapes)])[pick]

    def stopped(why: str, mask: np.ndarray | None = None) -> Run:
        return Run(mode, touched, distances, _flat(start, pick), sampled_grads,
                   np.array(sampled), array_of, len(shapes), why, mask)

    for t in range(1, steps + 1):
        grads = _draw(shapes, rng)
        given = [g.copy() for g in grads]
        before = [p.copy() for p in params]
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
            mode, params = "returned", list(result)
        for k, p in enumerate(params):
            problem = problem_with(p)
            if problem is not None:
                why = f"After step {t}, parameter {k} is not usable: {problem}."
                if "NaN" in problem or "infinity" in problem:  # kept, to be explained
                    sampled_grads.append(_flat(grads, pick))
                    flat = _flat([np.asarray(q, dtype=np.float64) if np.asarray(q).shape
                                  == shapes[j] else np.full(shapes[j], np.nan)
                                  for j, q in enumerate(params)], pick)
                    return stopped(why, ~np.isfinite(flat))
                raise _Refused(why)
            if np.shape(p) != shapes[k]:
                raise _Refused(f"After step {t}, parameter {k} has shape {np.shape(p)}; it "
                               f"had {shapes[k]}.")
        params = [np.array(p, dtype=np.float64) for p in params]
        touched = touched or any(not np.array_equal(a, b) for a, b in zip(given, grads))
        for name, runner in runners.items():
            previous = theirs[name]
            theirs[name] = runner.step(grads)
            distances[name].add(t, params, theirs[name], before, previous)
        sampled_grads.append(_flat(grads, pick))
        sampled.append(_flat(params, pick))
    return stopped(None)


def _check(step_fn: Callable, optimizer: str, s: Settings, shapes: list[tuple[int, ...]],
           steps: int, seed: int, rtol: float) -> OptimizerReport:
    refs = references(optimizer, s)
    try:
        run = _run(step_fn, refs, shapes, steps, seed, s.lr)
    except _Refused as refused:
        return OptimizerReport(False, optimizer, [], [str(refused)], {})
    if run.broken:
        sentences, found = explain_broken(run, s, refs, rtol)
        return OptimizerReport(False, optimizer, [], [run.broken] + sentences, {}, run.mode,
                               found)
    errors = {name: d.worst for name, d in run.distances.items()}
    matches = [name for name, error in errors.items() if error <= rtol]
    diagnosis, named = [], []
    if run.touched:
        sentence = ("Your step changed the gradient arrays it was given (an in-place "
                    "operation on grads, such as g += wd * p); the frameworks leave them "
                    "alone, and code that reads the gradients after the step reads yours "
                    "changed, so the verdict is NOT OK.")
        diagnosis.append(sentence)
        named.append({"slip": "writes into grads", "where": ["grads"], "text": sentence})
    if not matches:
        sentences, found = explain(run, optimizer, s, refs, rtol)
        diagnosis += sentences
        named += found
    elif len(matches) > 1 and optimizer in ("momentum", "nesterov") or (
            optimizer == "sgd" and s.momentum and len(matches) > 1):
        diagnosis.append("torch keeps the momentum buffer without the learning rate and "
                         "scikit-learn its velocity with it; the two agree while the learning "
                         "rate is constant, as here (see docs/conventions.md for when they "
                         "part).")
    return OptimizerReport(bool(matches) and not run.touched, optimizer, matches, diagnosis,
                           errors, run.mode, named)
