"""The mutant yardstick (comparisons/bench/mutants): its generator holds (generated passes are
exact, mutants are recorded where they are, equivalent mutants are dropped, every option of
the architectures occurs), and check_backprop measured by it: no crash, no false OK, no false
alarm on a fixed seed and on a fresh one per run."""

import importlib
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import Phase, given, settings
from hypothesis import strategies as st

from comparisons.bench.mutants import cases
from comparisons.bench.mutants.architectures import (
    ACTIVATIONS,
    L2_FORMS,
    STYLES,
    Architecture,
    draw,
)
from comparisons.bench.mutants.cli import describe
from comparisons.bench.mutants.cli import main as cli_main
from comparisons.bench.mutants.forms import array_names
from comparisons.bench.mutants.sources import EXACT, generate, run, verify
from comparisons.bench.mutants.yardstick import measure

FIXED_SEED = 0
OPTION_SEEDS = range(150)  # "a few seeds": every option occurs among these

TWO_LAYERS = Architecture(
    seed=3, style="unrolled", sizes=(3, 4, 2), n_samples=5, activation="relu",
    negative_slope=0.01, output="softmax", loss="cross_entropy", labels=False, alpha=0.0,
    l2="alpha/2 * sum W^2", l2_biases=False, batch="mean", outputs="sum",
    squared_error="half", returns_loss=True, container="list", keys="W1", columns=False,
    torch_layout=False, bias="flat")


# the generator -----------------------------------------------------------------------------

@pytest.mark.parametrize("seed", range(60))
def test_generated_passes_equal_torch_autograd(seed):
    assert verify(draw(seed), generate(draw(seed))) <= EXACT


@pytest.mark.parametrize("style", sorted(STYLES))
def test_each_style_writes_exact_passes(style):
    seeds = [s for s in range(400) if draw(s).style == style][:8]
    assert len(seeds) == 8
    for seed in seeds:
        assert verify(draw(seed), generate(draw(seed))) <= EXACT


def test_every_architecture_option_occurs_over_a_few_seeds():
    archs = [draw(s) for s in OPTION_SEEDS]
    seen = lambda f: {f(a) for a in archs}  # noqa: E731
    assert seen(lambda a: a.style) == set(STYLES)
    assert seen(lambda a: a.n_layers - 1) == {1, 2, 3, 4}
    assert seen(lambda a: a.activation) == set(ACTIVATIONS)
    assert seen(lambda a: (a.output, a.loss)) == {
        ("softmax", "cross_entropy"), ("logistic", "cross_entropy"),
        ("identity", "squared_error"), ("logistic", "squared_error"),
        ("softmax", "squared_error")}
    logistic_ce = [a for a in archs if (a.output, a.loss) == ("logistic", "cross_entropy")]
    assert {a.n_outputs > 1 for a in logistic_ce} == {True, False}  # binary and multilabel
    assert seen(lambda a: a.l2 if a.alpha else None) == set(L2_FORMS) | {None}
    assert seen(lambda a: a.l2_biases if a.alpha else None) == {True, False, None}
    for field, values in {"batch": {"mean", "sum"}, "returns_loss": {True, False},
                          "container": {"list", "dict", "nielsen"},
                          "columns": {True, False}, "torch_layout": {True, False},
                          "bias": {"flat", "row", "column"}, "labels": {True, False},
                          "squared_error": {"half", "full"}}.items():
        assert seen(lambda a: getattr(a, field)) == values, field
    assert seen(lambda a: a.outputs if a.outputs_apply else None) == {"mean", "sum", None}
    assert {1, 64} <= seen(lambda a: a.n_samples)
    assert seen(lambda a: (a.container, a.keys)) >= {("dict", "W1"), ("dict", "fc1.weight")}
    common = [a for a in archs if a.n_layers >= 3 and len(set(a.sizes[1:-1])) == 1
              and a.sizes[-1] != a.sizes[1]]
    assert common, "two or more hidden layers of equal width, output of another width"
    assert any(len(set(a.sizes[1:-1])) > 1 for a in archs)


def test_a_seed_picks_the_same_architecture_and_source():
    assert draw(7) == draw(7) and generate(draw(7)) == generate(draw(7))


@pytest.mark.parametrize("container", ["list", "dict", "nielsen"])
def test_the_checker_names_the_arrays_as_the_generator_does(container):
    from reference import check_backprop

    arch = draw(next(s for s in OPTION_SEEDS if draw(s).container == container))
    base = cases.original(arch)
    report = check_backprop(base.grad_fn(), *base.inputs(), activation=arch.activation,
                            output=arch.output, loss=arch.loss, alpha=arch.alpha,
                            negative_slope=arch.negative_slope)
    assert sorted(row["name"] for row in report.params) == sorted(array_names(arch))


def _line(source, start: str) -> int:
    return next(i for i, text in enumerate(source.lines, 1) if text.strip().startswith(start))


def test_a_mutant_records_its_operator_line_variable_and_location():
    base = cases.original(TWO_LAYERS)
    line = _line(base.source, "dhidden =")
    found = [m for m in cases.all_mutations(base)
             if m.line == line and m.operator == "transpose removed"]
    assert len(found) == 1
    m = found[0]
    assert (m.variable, m.locations, m.part) == ("dhidden", ("h1",), "backward")
    assert ".T" in m.before and ".T" not in m.after
    changed = [i for i, (a, b) in enumerate(zip(base.source.lines, m.text.splitlines()), 1)
               if a != b]
    assert changed == [line]


@pytest.mark.parametrize("seed", range(12))
def test_every_mutant_changes_its_own_lines_and_keeps_their_locations(seed):
    base = cases.original(draw(seed))
    for m in cases.all_mutations(base):
        original, mutated = base.source.lines, m.text.splitlines()
        assert len(mutated) == len(original)
        changed = [i for i, (a, b) in enumerate(zip(original, mutated), 1) if a != b]
        assert changed and changed[0] == m.line, m
        assert set(m.locations) == {n for i in changed for n in base.source.where[i]}
        assert m.part == ("forward" if set(m.locations) <= {"forward", "loss"}
                          else "backward")


def test_equivalent_mutants_are_dropped_and_loss_only_mutants_kept():
    base = cases.original(TWO_LAYERS)
    inputs = base.inputs()
    reference = run(TWO_LAYERS, base.grad_fn(), inputs)
    mutations = cases.all_mutations(base)
    softmax = _line(base.source, "exp_scores =")
    shift_dropped = [m for m in mutations if m.line == softmax and m.operator == "term deleted"
                     and "max" not in m.after]  # exp(z) for exp(z - max z): the same softmax
    assert shift_dropped
    for m in shift_dropped:
        assert cases.classify(base, m, reference, inputs) == "equivalent"
    loss_line = _line(base.source, "loss =")
    loss_only = [cases.classify(base, m, reference, inputs) for m in mutations
                 if m.line == loss_line and m.operator == "sign flipped"]
    assert loss_only and all(isinstance(c, cases.Case) for c in loss_only)
    assert all(c.changed == () and c.loss_changed for c in loss_only)


@pytest.mark.parametrize("seed", range(10))
def test_kept_mutants_differ_and_name_the_arrays_they_change(seed):
    kept, tally = cases.mutant_cases(draw(seed), 6)
    assert kept and tally.counts["kept"] == len(kept)
    names = array_names(draw(seed))
    for case in kept:
        assert case.largest_change > cases.EQUIVALENT
        assert set(case.changed) <= set(names) and (case.changed or case.loss_changed)
        location = case.mutation.locations
        if len(location) == 1 and location[0].startswith(("dW", "db")):
            k = int(location[0][2:]) - 1  # the layer, from 0
            kind = "W" if location[0][1] == "W" else "b"
            position = names.index(_name_of(draw(seed), kind, k))
            assert case.changed == (names[position],), case.mutation


def _name_of(arch, kind: str, k: int) -> str:
    """The checker's name of layer k's (from 0) weights or biases."""
    if arch.container == "nielsen":
        return f"{'weights' if kind == 'W' else 'biases'}[{k}]"
    return array_names(arch)[2 * k + (kind == "b")]


def test_mutations_reach_every_operator():
    found = set()
    for seed in range(30):
        found |= {m.operator for m in cases.all_mutations(cases.original(draw(seed)))}
    from comparisons.bench.mutants.operators import EXPRESSION, STATEMENT

    assert found == set(EXPRESSION) | set(STATEMENT) | {"statements reordered"}


def test_the_command_checks_its_arguments_in_one_line(capsys):
    for argv in (["--count", "0"], ["--seed", "-1"], ["--per-architecture", "99"],
                 ["--json", "/no/such/folder/out.json"]):
        with pytest.raises(SystemExit) as stop:
            cli_main(argv)
        assert stop.value.code == 2
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and "error" in err, argv


@pytest.mark.slow  # runs the command on three mutants: 5 s
def test_the_command_prints_the_table_and_writes_json(tmp_path, capsys):
    out = tmp_path / "mutants.json"
    assert cli_main(["--count", "3", "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "| crashes |" in printed and "| false OK |" in printed and out.exists()


# the yardstick -----------------------------------------------------------------------------

def _failures(result) -> str:
    return "\n".join(describe(kind, check) for kind, check in result.failures())


@pytest.fixture(scope="module")
def fixed():
    """The yardstick on the fixed seed: 15 architectures, 4 mutants each, with the grammar's
    own oracle asked about every mutant the checker does not name."""
    return measure(FIXED_SEED, 60, per_architecture=4, reproducible=_reproducible())


def _has_named(result) -> bool:
    return any(c.named is not None for c in result.checks if c.status != "crash")


def _reproducible():
    """The checker team's ``reproducible(case) -> bool``, once ``reference`` exports it."""
    if getattr(importlib.import_module("reference"), "reproducible", None) is None:
        return None
    from comparisons.bench.mutants.yardstick import grammar_reproduces

    return grammar_reproduces


@pytest.mark.slow  # reads the fixed seed's 60 checked mutants (10 s, once a module)
def test_fixed_seed_no_crash(fixed):
    assert fixed.figures()["crashes"] == 0, _failures(fixed)


@pytest.mark.slow  # reads the fixed seed's 60 checked mutants (10 s, once a module)
def test_fixed_seed_no_false_ok(fixed):
    assert fixed.figures()["false OK"] == 0, _failures(fixed)


@pytest.mark.slow  # reads the fixed seed's 60 checked mutants (10 s, once a module)
def test_fixed_seed_no_false_alarm(fixed):
    assert fixed.figures()["false alarms"] == 0, _failures(fixed)


@pytest.mark.slow  # reads the fixed seed's 60 checked mutants (10 s, once a module)
def test_fixed_seed_exactly_the_changed_arrays_are_flagged(fixed):
    assert fixed.figures()["wrong arrays flagged"] == 0, "\n".join(
        describe(kind, c) for kind, c in fixed.misses() if kind == "wrong arrays")


@pytest.mark.slow  # reads the fixed seed's 60 checked mutants (10 s, once a module)
def test_fixed_seed_named_mistakes_use_the_node_vocabulary(fixed):
    if not _has_named(fixed):
        pytest.skip("report.named does not exist yet")
    for c in fixed.checks:
        L = c.case.arch.n_layers
        nodes = {"p", "x", "forward", "loss"} | {f"{kind}{k}" for k in range(1, L + 1)
                                               for kind in ("z", "dW", "db")}
        nodes |= {f"h{k}" for k in range(1, L)}
        for named in c.named or []:
            assert {"slip", "where", "text"} <= set(named), named
            assert named["where"] and set(named["where"]) <= nodes, (named, L)


@pytest.mark.slow  # reads the fixed seed's 60 checked mutants (10 s, once a module)
def test_fixed_seed_nothing_is_named_wrongly(fixed):
    """No mistake is named at places that cannot reach an array the mutant changed."""
    if not _has_named(fixed):
        pytest.skip("report.named does not exist yet")
    wrong = [c for c in fixed.mutants if c.named_wrongly]
    assert not wrong, "\n".join(describe("named wrongly", c) for c in wrong)


@pytest.mark.slow  # reads the fixed seed's 60 checked mutants (10 s, once a module)
def test_fixed_seed_reproducible_mutants_are_named(fixed):
    reproducible = _reproducible()
    if reproducible is None:
        pytest.skip("no reproducible(case) yet (looked for reference.reproducible)")
    if not _has_named(fixed):
        pytest.skip("report.named does not exist yet")
    unnamed = [c for c in fixed.mutants if c.reproducible and not c.named]
    assert not unnamed, "\n".join(describe("reproducible, not named", c) for c in unnamed)


@pytest.mark.slow  # five fresh seeds of mutants: 7 s
@settings(max_examples=5, deadline=None, phases=[Phase.generate], database=None)
@given(st.integers(1000, 10**6))  # no shrinking: each seed costs seconds, and names itself
def test_fresh_seed_no_crash_no_false_ok_no_false_alarm(seed):
    result = measure(seed, 8, per_architecture=4)
    figures = result.figures()
    assert (figures["crashes"], figures["false OK"], figures["false alarms"]) == (0, 0, 0), \
        f"seed {seed}:\n{_failures(result)}"


def test_the_unmutated_pass_is_no_mutant_and_its_arrays_are_unchanged():
    base = cases.original(replace(TWO_LAYERS, seed=5))
    assert base.mutation is None and base.changed == () and not base.loss_changed
    loss, named = run(base.arch, base.grad_fn(), base.inputs())
    assert np.isfinite(loss) and all(np.all(np.isfinite(a)) for a in named.values())
