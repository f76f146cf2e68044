"""Which mutants count: run each on the architecture's arrays, drop those that raise or
answer in another structure or shape (not what this measures) and those whose gradients and
loss equal the original's to 1e-9 (equivalent mutants); keep the rest, NaN and inf included,
each with the names of the arrays it changed.
"""

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from comparisons.bench.mutants import mutate
from comparisons.bench.mutants.architectures import Architecture, draw
from comparisons.bench.mutants.forms import StructureError, canonical, given
from comparisons.bench.mutants.objective import relative_error
from comparisons.bench.mutants.sources import compile_source, generate, run, verify
from comparisons.bench.mutants.writer import Source

EQUIVALENT = 1e-9  # relative: a mutant this close to the original in every array is dropped


@dataclass
class Case:
    """One pass handed to the checker: the unmutated pass (``mutation`` None) or a kept
    mutant, with the arrays it changed (the checker's names) and whether the returned loss
    changed. This is what ``reproducible(case)`` receives: ``arch`` (the options and
    ``expectation(arch)``), ``source.text``, ``mutation`` (operator, line, variable,
    locations, before, after), ``changed``, ``grad_fn()`` and ``inputs()`` ((params, X, Y)
    as the checker gets them)."""

    arch: Architecture
    source: Source
    mutation: mutate.Mutation | None = None
    changed: tuple[str, ...] = ()
    loss_changed: bool = False
    nonfinite: bool = False
    largest_change: float = 0.0  # the largest relative change of an array or the loss

    @property
    def seed(self) -> int:
        return self.arch.seed

    def inputs(self) -> tuple:
        """(params, X, Y) as the pass receives them."""
        return given(self.arch, canonical(self.arch))

    def grad_fn(self) -> Callable:
        label = "pass" if self.mutation is None else \
            f"mutant seed={self.seed} line={self.mutation.line} {self.mutation.operator}"
        return compile_source(self.source, label)

    def to_dict(self) -> dict:
        return {"seed": self.seed, "architecture": self.arch.describe(),
                "mutation": None if self.mutation is None else self.mutation.to_dict(),
                "changed": list(self.changed), "loss_changed": self.loss_changed,
                "nonfinite": self.nonfinite, "largest_change": self.largest_change,
                "source": self.source.text}


@dataclass
class Tally:
    """What became of the mutants tried."""

    counts: Counter = field(default_factory=Counter)  # raised, structure, equivalent, kept

    def add(self, other: "Tally") -> None:
        self.counts.update(other.counts)


def original(arch: Architecture) -> Case:
    """The unmutated pass of ``arch``, verified against the reference first."""
    source = generate(arch)
    verify(arch, source)
    return Case(arch, source)


def classify(case: Case, mutation: mutate.Mutation, base: tuple, inputs: tuple
             ) -> Case | Literal["raised", "structure", "equivalent"]:
    """The kept Case, or why the mutant is dropped: "raised", "structure", "equivalent"."""
    arch = case.arch
    try:
        grad_fn = compile_source(mutation.source(case.source), "mutant")
        loss, named = run(arch, grad_fn, inputs)
    except StructureError:
        return "structure"
    except Exception:  # noqa: BLE001 - any error drops the mutant
        return "raised"
    base_loss, base_named = base
    changes = {name: relative_error(named[name], base_named[name]) for name in named}
    loss_change = 0.0 if loss is None else relative_error(np.array(loss), np.array(base_loss))
    largest = max([loss_change, *changes.values()])
    if largest <= EQUIVALENT:
        return "equivalent"
    nonfinite = not all(np.all(np.isfinite(a)) for a in named.values()) or (
        loss is not None and not np.isfinite(loss))
    return Case(arch, mutation.source(case.source), mutation,
                changed=tuple(n for n, c in changes.items() if c > EQUIVALENT),
                loss_changed=loss_change > EQUIVALENT, nonfinite=nonfinite,
                largest_change=largest)


def all_mutations(case: Case) -> list[mutate.Mutation]:
    """Every mutant of the case's source (the operators reading its locals' shapes)."""
    inputs = case.inputs()

    def locals_of(source: Source) -> dict:
        return compile_source(source, "traced")(*inputs)

    return mutate.mutants(case.source, mutate.context(case.source, locals_of))


def balanced_order(candidates: list[mutate.Mutation], rng: np.random.Generator) -> list[int]:
    """The candidates' indices, operators taking turns (in a random order each round), so
    that an operator with many places (a variable replaced) does not crowd out the others."""
    by_operator: dict[str, list[int]] = {}
    for i, m in enumerate(candidates):
        by_operator.setdefault(m.operator, []).append(i)
    queues = [list(rng.permutation(ix)) for ix in by_operator.values()]
    order = []
    while any(queues):
        for q in rng.permutation(len(queues)):
            if queues[q]:
                order.append(int(queues[q].pop()))
    return order


def mutant_cases(arch: Architecture, count: int, forward_share: float = 0.2,
                 base: Case | None = None) -> tuple[list[Case], Tally]:
    """Up to ``count`` kept mutants of ``arch``'s pass, about ``forward_share`` of them in
    the forward pass, drawn in an order the architecture's seed fixes; and the tally of all
    tried."""
    base = base or original(arch)
    rng = np.random.default_rng([arch.seed, 3])
    candidates = all_mutations(base)
    order = balanced_order(candidates, rng)
    n_forward = int(rng.binomial(count, forward_share))
    quota = {"forward": n_forward, "backward": count - n_forward}
    if not any(m.part == "forward" for m in candidates):
        quota = {"forward": 0, "backward": count}
    inputs = base.inputs()
    reference = run(arch, base.grad_fn(), inputs)
    kept, tally = [], Tally()
    for i in order:
        mutation = candidates[i]
        if quota[mutation.part] <= 0:
            continue
        outcome = classify(base, mutation, reference, inputs)
        if isinstance(outcome, Case):
            kept.append(outcome)
            quota[mutation.part] -= 1
            tally.counts["kept"] += 1
        else:
            tally.counts[outcome] += 1
        if not any(quota.values()):
            break
    return kept, tally


def cases_for_seed(seed: int, count: int) -> tuple[Case, list[Case], Tally]:
    """The unmutated pass of architecture ``seed``, up to ``count`` kept mutants, the tally."""
    base = original(draw(seed))
    kept, tally = mutant_cases(base.arch, count, base=base)
    return base, kept, tally
