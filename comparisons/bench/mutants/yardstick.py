"""The yardstick: ``check_backprop`` on every unmutated pass and every kept mutant, and what
it got wrong.

``measure(seed, count)`` checks architectures ``seed``, ``seed + 1``, ... until ``count``
mutants are checked, and returns a ``Measurement``: one ``Check`` per pass and mutant, the
mutants' tally, the figures (crashes, false OK, false alarms, named, named at the mutated
location, wrong arrays flagged, named among the reproducible) and the failures, each with
what reproduces it (seed, mutant source, the report's text or the traceback).
"""

import functools
import inspect
import time
import traceback
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from comparisons.bench.mutants.architectures import expectation
from comparisons.bench.mutants.cases import Case, Tally, cases_for_seed
from comparisons.bench.mutants.forms import canonical, canonical_gradients
from comparisons.bench.mutants.objective import other_convention
from comparisons.bench.mutants.sources import run

TOLERANCE = 1e-6  # the checker's default: a mutant changing nothing more than this is unseen


@functools.cache
def checker_accepts(name: str) -> bool:
    """Whether ``check_backprop`` takes the keyword ``name`` (``expect`` is being built)."""
    from reference import check_backprop

    return name in inspect.signature(check_backprop).parameters


@dataclass
class Check:
    """The checker's answer on one case."""

    case: Case
    status: str                       # "ok", "not ok" or "crash"
    seconds: float
    text: str                         # the report's text, or the traceback of a crash
    flagged: tuple[str, ...] = ()     # the arrays whose rows are not ok
    named: list | None = None         # report.named; None when the report has none
    loss_ok: bool | None = None
    reproducible: bool | None = None  # the caller's reproducible(case)
    excuse: str | None = None         # why a wrong-looking answer is not held against it
    rows: tuple[str, ...] = ()        # every array's name, in the network's order

    @property
    def is_mutant(self) -> bool:
        return self.case.mutation is not None

    @property
    def named_here(self) -> bool:
        """Whether a named mistake's "where" is one of the mutated line's locations."""
        places = set(self.case.mutation.locations) if self.is_mutant else set()
        return any(set(n.get("where", [])) & places for n in self.named or [])

    @property
    def named_wrongly(self) -> bool:
        """A mistake named at places that cannot reach an array the mutant changed: the
        name cannot be the story of the change (``reach``)."""
        if not (self.is_mutant and self.named and self.rows):
            return False
        reached = set()
        for entry in self.named:
            for place in entry.get("where", []):
                reached |= reach(place, self.rows)
        return not set(self.case.changed) <= reached

    @property
    def wrong_arrays(self) -> bool:
        """The rows marked not ok are not the arrays the mutant changed."""
        return self.status == "not ok" and set(self.flagged) != set(self.case.changed)

    @property
    def false_ok(self) -> bool:
        return self.is_mutant and self.status == "ok" and not self.excuse

    @property
    def false_alarm(self) -> bool:
        return not self.is_mutant and self.status == "not ok" and not self.excuse

    def to_dict(self) -> dict:
        return {**self.case.to_dict(), "status": self.status, "seconds": self.seconds,
                "report": self.text, "flagged": list(self.flagged), "named": self.named,
                "loss_ok": self.loss_ok, "reproducible": self.reproducible,
                "excuse": self.excuse}


def check(case: Case, reproducible: Callable | None = None) -> Check:
    """Run ``check_backprop`` on ``case`` with the architecture's full ``expect`` (when the
    checker takes it); NumPy's and Python's warnings silenced."""
    from reference import check_backprop

    arch = case.arch
    params, X, Y = case.inputs()
    options = dict(activation=arch.activation, output=arch.output, loss=arch.loss,
                   alpha=arch.alpha, negative_slope=arch.negative_slope)
    if checker_accepts("expect"):
        options["expect"] = expectation(arch)
    start = time.perf_counter()
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            report = check_backprop(case.grad_fn(), params, X, Y, **options)
    except Exception:  # noqa: BLE001 - any exception is a crash of the checker
        return Check(case, "crash", time.perf_counter() - start, traceback.format_exc())
    seconds = time.perf_counter() - start
    known = None  # a name is given only where slips reproduce the arrays: named, known
    if case.mutation is not None and reproducible is not None:
        named = getattr(report, "named", None)
        known = True if named and any(entry.get("slip") not in _PROBES for entry in named) \
            else bool(reproducible(case))
    result = Check(case, "ok" if report.ok else "not ok", seconds, str(report),
                   flagged=tuple(row["name"] for row in report.params if not row["ok"]),
                   rows=tuple(row["name"] for row in report.params),
                   named=getattr(report, "named", None), loss_ok=report.loss_ok,
                   reproducible=known)
    result.excuse = _excuse(result, pinned="expect" in options)
    return result


_PROBES = ("accumulates across calls", "writes into its arguments", "shape")  # named, but
#           by the probes, not by slips of the grammar


def reach(place: str, rows: tuple[str, ...]) -> set[str]:
    """The arrays a mistake made at ``place`` (the node vocabulary: "p", "z<k>", "h<k>",
    "dW<k>", "db<k>", "x", "forward", "loss", layers from 1) can change, by their names
    (``rows``: W and b per layer, in the network's order)."""
    layers = len(rows) // 2
    kind, number = place.rstrip("0123456789"), place[len(place.rstrip("0123456789")):]
    if kind in ("z", "h") and number:
        return set(rows[: 2 * int(number)])
    if kind in ("dW", "db") and number:
        index = 2 * (int(number) - 1) + (kind == "db")
        return {rows[index]} if index < len(rows) else set()
    if place == "x":
        return set()
    return set(rows[: 2 * layers])  # "p", the output, the forward pass, the loss: everything


def grammar_reproduces(case: Case) -> bool:
    """``reference.reproducible`` on ``case``: whether some composition of up to two slips
    of the checker's grammar reproduces the mutant's arrays (the search run to its end)."""
    from reference import reproducible

    arch = case.arch
    params, X, Y = case.inputs()
    options = dict(activation=arch.activation, output=arch.output, loss=arch.loss,
                   alpha=arch.alpha, negative_slope=arch.negative_slope,
                   expect=expectation(arch))
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        try:
            return reproducible(case.grad_fn(), params, X, Y, **options)
        except Exception:  # noqa: BLE001 - the check itself counts that as a crash
            return False


def _excuse(result: Check, pinned: bool) -> str | None:
    """Why an answer that looks wrong is not held against the checker: a mutant's change
    below its tolerance; or, without ``expect`` to pin the conventions, a mutant that
    merely follows another convention, or a correct pass whose rows are all right but whose
    mix of conventions the checker refuses."""
    case = result.case
    if case.mutation is None:
        if result.status == "not ok" and not pinned and not result.flagged:
            return "conventions not pinned (no expect): every row is right"
        return None
    if result.status == "ok" and case.largest_change <= TOLERANCE:
        return f"a change of {case.largest_change:.1e}, below the checker's tolerance"
    if pinned or not (result.status == "ok" or result.wrong_arrays):
        return None
    convention = _convention_of(case)
    if convention is None:
        return None
    mine = expectation(case.arch)
    changed = ", ".join(f"{k} {v}" for k, v in convention.items() if mine[k] != v)
    return f"conventions not pinned (no expect): the mutant follows {changed}"


def _convention_of(case: Case) -> dict | None:
    """The other convention a mutant's gradients follow exactly, if any."""
    _, named = run(case.arch, case.grad_fn(), case.inputs())
    dWs, dbs = canonical_gradients(case.arch, named)
    return other_convention(case.arch, canonical(case.arch), dWs, dbs)


@dataclass
class Measurement:
    """Every check of one run, and the mutants' tally."""

    seed: int
    checks: list[Check] = field(default_factory=list)
    tally: Tally = field(default_factory=Tally)
    architectures: int = 0
    seconds: float = 0.0
    expect: bool = False

    @property
    def passes(self) -> list[Check]:
        return [c for c in self.checks if not c.is_mutant]

    @property
    def mutants(self) -> list[Check]:
        return [c for c in self.checks if c.is_mutant]

    def failures(self) -> list[tuple[str, Check]]:
        """(kind, check) for each crash, false OK and false alarm."""
        out = [("crash", c) for c in self.checks if c.status == "crash"]
        out += [("false OK", c) for c in self.checks if c.false_ok]
        out += [("false alarm", c) for c in self.checks if c.false_alarm]
        return out

    def misses(self) -> list[tuple[str, Check]]:
        """(kind, check) for each wrong array flagged and each mistake named elsewhere."""
        out = [("wrong arrays", c) for c in self.mutants if c.wrong_arrays and not c.excuse]
        out += [("named elsewhere", c) for c in self.mutants
                if c.named and not c.named_here]
        return out

    def figures(self) -> dict:
        """The counts, by name; None where the checker does not offer what they need."""
        mutants = self.mutants
        flagged = [c for c in mutants if c.status == "not ok"]
        has_named = any(c.named is not None for c in self.checks if c.status != "crash")
        figures = {
            "architectures": self.architectures,
            "mutants tried": sum(self.tally.counts.values()),
            "dropped: raised": self.tally.counts["raised"],
            "dropped: other structure or shape": self.tally.counts["structure"],
            "dropped: equivalent": self.tally.counts["equivalent"],
            "mutants checked": len(mutants),
            "crashes": sum(c.status == "crash" for c in self.checks),
            "false OK": sum(c.false_ok for c in mutants),
            "false alarms": sum(c.false_alarm for c in self.passes),
            "excused (see excuse)": sum(bool(c.excuse) for c in self.checks),
            "mutants flagged": len(flagged),
            "wrong arrays flagged": sum(c.wrong_arrays and not c.excuse for c in mutants),
            "named": sum(bool(c.named) for c in mutants) if has_named else None,
            "named at the location": sum(c.named_here for c in mutants) if has_named else None,
            "named elsewhere": sum(bool(c.named) and not c.named_here for c in mutants)
            if has_named else None,
            "named wrongly (at places that cannot reach a changed array)":
                sum(c.named_wrongly for c in mutants) if has_named else None,
            "seconds": round(self.seconds, 1),
            "seconds per check (median)": round(float(np.median([c.seconds for c in
                                                                 self.checks])), 3),
            "seconds per check (max)": round(max(c.seconds for c in self.checks), 3),
        }
        reproducible = [c for c in mutants if c.reproducible]
        if any(c.reproducible is not None for c in mutants):
            figures["reproducible"] = len(reproducible)
            share = reproducible and has_named
            figures["named among the reproducible"] = (
                sum(bool(c.named) for c in reproducible) / len(reproducible) if share else None)
            figures["named at the location among the reproducible"] = (
                sum(c.named_here for c in reproducible) / len(reproducible) if share else None)
        return figures

    def to_dict(self) -> dict:
        return {"seed": self.seed, "expect": self.expect, "figures": self.figures(),
                "failures": [{"kind": k, **c.to_dict()} for k, c in self.failures()],
                "misses": [{"kind": k, **c.to_dict()} for k, c in self.misses()],
                "excused": [c.to_dict() for c in self.checks if c.excuse]}


def measure(seed: int, count: int, per_architecture: int = 4,
            reproducible: Callable | None = None,
            progress: Callable[[str], None] | None = None) -> Measurement:
    """Check architectures seed, seed + 1, ... (each pass and up to ``per_architecture`` of
    its mutants) until ``count`` mutants are checked."""
    start = time.perf_counter()
    result = Measurement(seed, expect=checker_accepts("expect"))
    arch_seed = seed
    while len(result.mutants) < count and result.architectures < 100 + 10 * count:
        base, kept, tally = cases_for_seed(arch_seed, min(per_architecture,
                                                          count - len(result.mutants)))
        result.architectures += 1
        result.tally.add(tally)
        for case in [base, *kept]:
            result.checks.append(check(case, reproducible))
        if progress:
            progress(f"{base.arch.describe()}: {len(kept)} mutants")
        arch_seed += 1
    result.seconds = time.perf_counter() - start
    return result
