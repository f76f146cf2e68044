"""Where no framework's update matches a step: which slips of the grammar reproduce it.

Every framework's rule of the optimizer the user named is replayed with each slip of
``slips.SLIPS`` made (one, then two of different kinds), on the sampled coordinates and the
same gradients, and compared with the user's parameters step by step, by the verdict's own
measure (the difference relative to how far the parameters moved). A slip is named only
when it reproduces every step within the tolerance. Else: another optimizer's update, when
the step is one; else what the step does (it does not move, it climbs, it is too long or
too short by a factor) and the first step where it leaves the closest framework.
"""

import math
from dataclasses import replace

import numpy as np

from reference.checking.optimizer.frameworks import (
    OPTIMIZERS,
    Reference,
    Settings,
    references,
    usual,
)
from reference.checking.optimizer.rules import Rule, replay
from reference.checking.optimizer.slips import variants


def distance(yours: np.ndarray, theirs: np.ndarray, start: np.ndarray) -> float:
    """The largest difference over the steps, relative to how far the parameters moved at
    each step (the verdict's measure, on the sampled coordinates)."""
    worst = 0.0
    eps = np.finfo(np.float64).eps
    previous = start
    for step, (p, q) in enumerate(zip(yours, theirs), start=1):
        if not (np.isfinite(p).all() and np.isfinite(q).all()):
            return math.inf
        moved = max(float(np.abs(q - previous).max(initial=0)),
                    float(np.abs(p - previous).max(initial=0)))
        gap = max(0.0, float(np.abs(p - q).max(initial=0))
                  - 16 * step * eps * float(np.abs(q).max(initial=0)))
        worst = max(worst, 0.0 if gap == 0 else (gap / moved if moved > 0 else math.inf))
        previous = q
    return worst


def explain(run: object, optimizer: str, s: Settings, refs: list[Reference], rtol: float
            ) -> tuple[list[str], list[dict]]:
    """(sentences, named entries) for a step no framework matches."""
    def reproduces(rule: Rule) -> bool:
        with np.errstate(all="ignore"):
            theirs = replay(rule, run.start, run.grads, run.array_of, run.arrays)
        return distance(run.yours, theirs, run.start) <= rtol

    for ref in refs:  # one slip, then two of different kinds, from each framework's rule
        found = [(slip, words) for slip, rule, words in variants(ref.rule) if reproduces(rule)]
        if found:
            slip, words = found[0]
            same = [w for s_, w in found[1:] if s_ != slip][:1]
            also = f" (the same numbers as: {same[0]})" if same else ""
            return _named(f"Your step differs from {ref.name}'s in one way: {words}{also}.",
                          [slip])
    for ref in refs:
        singles = variants(ref.rule)
        for i, (slip_a, rule_a, words_a) in enumerate(singles):
            for slip_b, rule_b, words_b in singles[i + 1:]:
                if slip_a == slip_b and slip_a != "hyperparameter":
                    continue
                both = _both(ref.rule, rule_a, rule_b)
                if both is not None and reproduces(both):
                    return _named(f"Your step differs from {ref.name}'s in two ways: {words_a}; "
                                  f"and {words_b}.", [slip_a, slip_b])
    for other in OPTIMIZERS:  # another optimizer's update
        if other == optimizer:
            continue
        for ref in references(other, usual(other, s)):
            if reproduces(ref.rule):
                return [f"Your step is {ref.name}'s update for optimizer={other!r}, not "
                        f"{optimizer!r}."], []
    return _what_it_does(run, refs, rtol), []


def explain_broken(run: object, s: Settings, refs: list[Reference], rtol: float
                   ) -> tuple[list[str], list[dict]]:
    """A step that wrote NaN or infinity: the slip that agrees with every step before it
    and gives non-finite values at exactly the same coordinates at that step, if one does."""
    for ref in refs:
        for slip, rule, words in variants(ref.rule):
            with np.errstate(all="ignore"):
                theirs = replay(rule, run.start, run.grads, run.array_of, run.arrays)
            if not np.array_equal(~np.isfinite(theirs[-1]), run.broken_mask):
                continue
            if len(run.yours) and distance(run.yours, theirs[:-1], run.start) > rtol:
                continue
            return _named(f"Your step differs from {ref.name}'s in one way: {words}; that is "
                          "what gives NaN or infinity at exactly those places.", [slip])
    return [], []


def _both(base: Rule, a: Rule, b: Rule) -> Rule | None:
    """Both changes made: the fields each changed from ``base``, together."""
    changes = {}
    for changed in (a, b):
        for name in base.__dataclass_fields__:
            if getattr(changed, name) != getattr(base, name):
                if name in changes and changes[name] != getattr(changed, name):
                    return None
                changes[name] = getattr(changed, name)
    return replace(base, **changes)


def _named(sentence: str, slips: list[str]) -> tuple[list[str], list[dict]]:
    return [sentence], [{"slip": "+".join(slips), "where": ["step"], "text": sentence}]


def _what_it_does(run: object, refs: list[Reference], rtol: float) -> list[str]:
    """What a step no slip explains does, against the closest framework: it does not move,
    it climbs, it is a factor too long or too short; and where it leaves that framework."""
    ref = min(refs, key=lambda r: (-(run.distances[r.name].first or math.inf),
                                   run.distances[r.name].worst))
    with np.errstate(all="ignore"):
        theirs = replay(ref.rule, run.start, run.grads, run.array_of, run.arrays)
    yours_moves = run.yours - np.vstack([run.start, run.yours[:-1]])
    their_moves = theirs - np.vstack([run.start, theirs[:-1]])
    sentences = []
    size = float(np.linalg.norm(their_moves))
    mine = float(np.linalg.norm(yours_moves))
    if size > 0 and np.isfinite(mine):
        cosine = float(np.sum(yours_moves * their_moves)) / (size * mine) if mine else 0.0
        ratio = mine / size
        if mine == 0 or ratio < 1e-6:
            sentences.append(f"Your step does not move the parameters ({ref.name}'s moves "
                             "them every step): the update never reaches params (a new "
                             "name, or a copy).")
        elif cosine < -0.5:
            sentences.append(f"Your step climbs the loss: it moves the parameters against "
                             f"{ref.name}'s direction (their cosine is {cosine:.2f}).")
        elif cosine > 0.999 and abs(ratio - 1) > 1e-3:
            sentences.append(f"Your steps point the way {ref.name}'s do but are {ratio:.3g} "
                             "times as long: check the learning rate and the scale of the "
                             "update.")
    first = run.distances[ref.name].first
    if first == 1 or first is None:
        sentences.append(f"The very first step already differs from {ref.name}'s (the "
                         "closest framework), and no slip of the grammar (one or two: the "
                         "moments, the bias corrections, epsilon's place, the weight decay, "
                         "the order of updates, Nesterov's look-ahead, the sign, the "
                         "learning rate, the hyperparameters) reproduces it: check the update "
                         "rule itself.")
    else:
        sentences.append(f"The first {first - 1} step(s) agree with {ref.name}'s, step {first} "
                         "differs: the state carried between steps (the momentum buffer, the "
                         "moments, the step count) is updated differently, and no slip of the "
                         "grammar reproduces it.")
    return sentences
