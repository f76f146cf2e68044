"""The pytest plugin mlp_twins (reference/pytest_plugin.py): the checks fixture, its
defaults (call > marker > configuration file), the summary section, --checks-json, the
assertions on reports, and the section of docs/checking.md that shows it, each run by pytest
on a test file as a user writes it (in this process, or in a fresh one where the plugin must
be found by its entry point)."""

import contextlib
import importlib.metadata
import inspect
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import reference  # loaded before the runs in this process, which keep what was loaded before
from comparisons.tools.doc_blocks import blocks
from reference import pytest_plugin

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parents[1]
SLIP = {}  # "sentence": the slip's diagnosis in the checker's current words (checkers_loaded)

NETS = '''
import numpy as np
import pytest

from reference import assert_backprop, check_backprop
from scratch.lecture.textbook_net import TextbookNet

rng = np.random.default_rng(0)
X, Y = rng.normal(size=(8, 4)), np.eye(2)[rng.integers(0, 2, size=8)]
PARAMS = TextbookNet.init(n_features=4, n_hidden=3, n_classes=2)
NET = {"activation": "logistic", "output": "logistic", "alpha": 0.01}
BOOK = TextbookNet(l2=0.01).gradients  # exact gradients; its cost's L2 term is twice theirs


class SlipNet(TextbookNet):
    def sigmoid_derivative(self, z, a):
        return z * (1 - z)


SLIP = SlipNet(l2=0.01).gradients


def relu_forward(x):
    return np.maximum(x, 0), x


def relu_backward(dout, cache):
    return dout * (cache > 0)


def sgd_step(params, grads):
    for p, g in zip(params, grads):
        p -= 0.1 * g


def sgd_climbs(params, grads):
    for p, g in zip(params, grads):
        p += 0.1 * g
'''

@pytest.fixture(scope="module", autouse=True)
def checkers_loaded():
    """Each checker run once in this process first: the runs in this process drop the modules
    they load (pytester's rule), and torch's cannot be loaded twice. hypothesis, whose pytest
    plugin loads it in every run, is loaded once for all (3 s a run otherwise)."""
    with contextlib.suppress(ImportError):
        import hypothesis  # noqa: F401
    exec(compile(NETS, "nets", "exec"), names := {})
    reference.check_backprop(names["BOOK"], names["PARAMS"], names["X"], names["Y"],
                             check_loss=False, **names["NET"])
    slip = reference.check_backprop(names["SLIP"], names["PARAMS"], names["X"], names["Y"],
                                    check_loss=False, **names["NET"])
    assert not slip.ok and slip.diagnosis[0].startswith("W0 and b0 are wrong: ")
    SLIP["sentence"] = slip.diagnosis[0]
    reference.check_layer(names["relu_forward"], names["relu_backward"],
                          names["rng"].normal(size=(3, 4)), kind="relu")
    reference.check_optimizer(names["sgd_step"], optimizer="sgd", lr=0.1)


@pytest.fixture
def columns(monkeypatch):
    """The terminal's width in the runs: 120 columns unless a test sets another."""
    monkeypatch.setenv("COLUMNS", "120")


def _section(result: pytest.RunResult) -> list[str]:
    """The lines of the summary section "checks", from its title to its count."""
    lines = result.outlines
    starts = [i for i, line in enumerate(lines) if re.fullmatch(r"=+ checks =+", line)]
    if not starts:
        return []
    end = next(i for i in range(starts[0], len(lines))
               if re.fullmatch(r"\d+ checks?: \d+ OK, \d+ NOT OK", lines[i]))
    return lines[starts[0]:end + 1]


def _error_lines(result: pytest.RunResult) -> list[str]:
    return [line for line in result.errlines if line.startswith("ERROR:")]


# --- installed with the project, found by pytest, turned off by -p no:mlp_twins --------------

def test_the_entry_point_is_installed_in_the_pytest11_group():
    points = importlib.metadata.entry_points(group="pytest11", name="mlp_twins")
    assert [point.value for point in points] == ["reference.pytest_plugin"]


def test_loading_the_plugin_imports_neither_the_checkers_nor_torch():
    code = ("import sys, pytest; import reference.pytest_plugin; "
            "print(sorted({'reference.checking', 'torch', 'numpy', 'sklearn'} "
            "& set(sys.modules)))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, check=True)
    assert done.stdout.strip() == "[]"


RELU = NETS + '''

def test_relu(checks):
    assert checks.layer(relu_forward, relu_backward, rng.normal(size=(3, 4)), kind="relu")
'''


@pytest.mark.slow  # runs pytest in a fresh process: 6 s
def test_a_fresh_pytest_finds_the_plugin_by_itself(pytester):
    pytester.makepyfile(test_user=RELU)
    found = pytester.runpytest_subprocess()  # no conftest.py, no -p: the entry point
    found.assert_outcomes(passed=1)
    assert "1 check: 1 OK, 0 NOT OK" in found.outlines


def test_p_no_mlp_twins_removes_the_fixture_the_summary_and_the_option(pytester):
    pytester.makepyfile(test_user=RELU)
    off = pytester.runpytest("-p", "no:mlp_twins")
    off.assert_outcomes(errors=1)
    off.stdout.fnmatch_lines(["*fixture 'checks' not found*"])
    assert not _section(off)
    result = pytester.runpytest("-p", "no:mlp_twins", "--checks-json", "out.json")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "--checks-json" in result.stderr.str()


# --- the fixture ----------------------------------------------------------------------------

def test_each_method_runs_its_checker_returns_the_report_and_fails_when_not_ok(pytester,
                                                                              columns):
    pytester.makepyfile(test_user=NETS + '''

def test_backprop_ok(checks):
    report = checks.backprop(BOOK, PARAMS, X, Y, check_loss=False, **NET)
    assert report.ok and checks.reports == [report]


def test_backprop_slip(checks):
    checks.backprop(SLIP, PARAMS, X, Y, check_loss=False, **NET)
    raise RuntimeError("not reached: the check has failed the test")


def test_layer_and_optimizer_ok(checks):
    assert checks.layer(relu_forward, relu_backward, rng.normal(size=(3, 4)), kind="relu").ok
    assert checks.optimizer(sgd_step, optimizer="sgd", lr=0.1).matches


def test_optimizer_climbs(checks):
    checks.optimizer(sgd_climbs, optimizer="sgd", lr=0.1)
''')
    result = pytester.runpytest()
    result.assert_outcomes(passed=2, failed=2)
    out = result.stdout.str()
    assert SLIP["sentence"] in out and "check_optimizer (sgd): NOT OK" in out
    assert "not reached" not in out
    assert "reference/checking" not in out and "pytest_plugin.py" not in out  # no traceback
    result.stdout.fnmatch_lines(["*_ test_backprop_slip _*", "check_backprop: NOT OK"])


def test_checks_function_is_a_clear_failure_while_check_function_does_not_exist(
        pytester, monkeypatch):
    monkeypatch.delattr(reference, "check_function", raising=False)  # an older mlp-twins
    monkeypatch.setattr(reference, "_WHERE", {k: v for k, v in reference._WHERE.items()
                                              if k != "check_function"})
    pytester.makepyfile(test_user='''
def test_function(checks):
    checks.function(lambda x: x, 1.0)
''')
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["checks.function needs reference.check_function, which this "
                                 "version of mlp-twins does not have."])


class _FunctionReport:
    """A report as check_function's will be: rows like check_layer's, ok, to_dict, text."""

    def __init__(self, ok: bool, tolerance: float) -> None:
        self.ok, self.tolerance = ok, tolerance
        self.rows = [{"name": "x", "shape": [3], "ok": ok, "rel_error": 0.0 if ok else 0.5,
                      "worst_index": [2], "yours": 1.0, "reference": 2.0}]
        self.diagnosis = [] if ok else ["x is wrong: the planted slip."]

    def __bool__(self) -> bool:
        return self.ok

    def to_dict(self) -> dict:
        return {"ok": self.ok, "rows": self.rows, "conventions": {},
                "diagnosis": self.diagnosis, "tolerance": self.tolerance,
                "named": [] if self.ok else [{"slip": "planted", "where": "x",
                                              "text": "x carries the planted slip."}]}

    def __str__(self) -> str:
        return f"check_function: {'OK' if self.ok else 'NOT OK'} " + " ".join(self.diagnosis)


def _check_function(fn, *inputs, rtol=None, atol=0.0):
    return _FunctionReport(bool(fn(*inputs)), 1e-6 if rtol is None else rtol)


def test_checks_function_runs_check_function_once_it_exists(pytester, monkeypatch, columns):
    monkeypatch.setattr(reference, "check_function", _check_function, raising=False)
    pytester.makepyfile(test_user='''
import pytest


@pytest.mark.checks(rtol=1e-3, atol=1e-9)  # atol: a key check_function alone takes
def test_ok(checks):
    assert checks.function(lambda x: True, 1.0).tolerance == 1e-3


def test_not_ok(checks):
    checks.function(lambda x: False, 1.0)
''')
    result = pytester.runpytest("--checks-json", "checks.json")
    result.assert_outcomes(passed=1, failed=1)
    assert "check_function: NOT OK x is wrong: the planted slip." in result.outlines
    lines = _section(result)
    assert lines[1].split() == ["test_user.py::test_ok", "check_function", "OK"]
    assert "NOT OK  x carries the planted slip.  worst x[2]: yours 1, right 2" in lines[2]
    entries = json.loads((pytester.path / "checks.json").read_text())
    assert [(e["checker"], e["ok"]) for e in entries] == [("check_function", True),
                                                        ("check_function", False)]
    assert entries[1]["named"][0]["slip"] == "planted"


# --- defaults: the call over the marker over the configuration file -------------------------

PRECEDENCE = NETS + '''

def test_file(checks):  # checks_check_loss = false lets the book's cost pass
    assert checks.backprop(BOOK, PARAMS, X, Y, **NET).tolerance == 1e-3


@pytest.mark.checks(rtol=1e-4, check_loss=True)
def test_marker_over_file(checks):
    with pytest.raises(pytest.fail.Exception, match="check_backprop: NOT OK"):
        checks.backprop(BOOK, PARAMS, X, Y, **NET)
    assert checks.reports[0].tolerance == 1e-4


@pytest.mark.checks(rtol=1e-4)
def test_call_over_marker(checks):
    assert checks.backprop(BOOK, PARAMS, X, Y, rtol=1e-5, **NET).tolerance == 1e-5


@pytest.mark.checks(rtol=1e-2)
class TestNearestMarker:
    @pytest.mark.checks(rtol=1e-4)
    def test_the_function_s(self, checks):
        assert checks.backprop(BOOK, PARAMS, X, Y, **NET).tolerance == 1e-4

    def test_the_class_s(self, checks):
        assert checks.backprop(BOOK, PARAMS, X, Y, **NET).tolerance == 1e-2


@pytest.mark.checks(check_loss=True, seed=3)
def test_a_key_goes_to_the_checkers_taking_it(checks):
    assert checks.layer(relu_forward, relu_backward, rng.normal(size=(3, 4)), kind="relu")
    assert checks.optimizer(sgd_step, optimizer="sgd", lr=0.1, rtol=1e-9)
'''

CONFIGURATIONS = {
    "pytest.ini": ("pytest.ini", "[pytest]\nchecks_rtol = 1e-3\nchecks_check_loss = false\n"),
    "pyproject ini_options": ("pyproject.toml", "[tool.pytest.ini_options]\n"
                              "checks_rtol = 1e-3\nchecks_check_loss = false\n"),
    "pyproject native": ("pyproject.toml", "[tool.pytest]\nchecks_rtol = 1e-3\n"
                         "checks_check_loss = false\n"),
    "-o": None,
}


@pytest.mark.parametrize("configuration", CONFIGURATIONS)
def test_defaults_come_from_the_call_then_the_marker_then_the_configuration(pytester,
                                                                          configuration):
    pytester.makepyfile(test_user=PRECEDENCE)
    args = ()
    if CONFIGURATIONS[configuration] is None:
        args = ("-o", "checks_rtol=1e-3", "-o", "checks_check_loss=false")
    else:
        name, text = CONFIGURATIONS[configuration]
        (pytester.path / name).write_text(text)
    result = pytester.runpytest(*args)
    result.assert_outcomes(passed=6)


def test_without_defaults_the_checkers_own_apply(pytester):
    pytester.makepyfile(test_user=NETS + '''

def test_loss_checked(checks):
    with pytest.raises(pytest.fail.Exception):
        checks.backprop(BOOK, PARAMS, X, Y, **NET)
    assert checks.reports[0].tolerance == 1e-6
''')
    pytester.runpytest().assert_outcomes(passed=1)


@pytest.mark.parametrize("where, args, named", [
    ("marker", (), "unknown key rtoll (did you mean rtol?)"),
    ("pytest.ini", (), "checks_rtoll in pytest.ini: unknown key checks_rtoll "
                       "(did you mean checks_rtol?)"),
    ("pyproject.toml", (), "checks_rtoll in pyproject.toml: unknown key checks_rtoll"),
    ("-o", ("-o", "checks_rtoll=1"), "checks_rtoll in -o: unknown key checks_rtoll"),
    ("not a single value", ("-o", "checks_nodes=x"), "checks_nodes in -o: nodes is not a "
                                                     "single value"),
    ("positional", (), "@pytest.mark.checks on test_user.py::test_a: keyword arguments only"),
])
def test_an_unknown_key_is_a_one_line_usage_error_at_collection(pytester, where, args, named):
    marker = {"marker": "@pytest.mark.checks(rtoll=1e-3)\n",
              "positional": "@pytest.mark.checks(1e-3)\n"}.get(where, "")
    pytester.makepyfile(test_user=f'''
import pathlib
import pytest


{marker}def test_a(checks):
    pathlib.Path("ran").write_text("")
''')
    if where == "pytest.ini":
        (pytester.path / "pytest.ini").write_text("[pytest]\nchecks_rtoll = 1e-3\n")
    if where == "pyproject.toml":
        pytester.makepyprojecttoml("[tool.pytest.ini_options]\nchecks_rtoll = 1e-3\n")
    result = pytester.runpytest(*args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    [error] = _error_lines(result)
    assert named in error
    assert not (pytester.path / "ran").exists()


CHECKERS = [reference.check_backprop, reference.check_layer, reference.check_optimizer]
if getattr(reference, "check_function", None) is not None:
    CHECKERS.append(reference.check_function)


def test_the_key_table_is_the_checkers_keyword_arguments():
    takes = set()
    for checker in CHECKERS:
        takes |= pytest_plugin._keywords(checker)
    assert set(pytest_plugin.KEYS) <= takes, "keys no checker takes any more"
    assert takes <= set(pytest_plugin.KEYS), "keys to add to KEYS (checks_<key> options)"
    kinds = {"float": (float, type(None)), "bool": (bool,), "int": (int,),
             "string": (str, type(None))}
    for checker in CHECKERS:
        for p in inspect.signature(checker).parameters.values():
            kind = pytest_plugin.KEYS.get(p.name)
            if kind and p.default is not p.empty:
                assert isinstance(p.default, kinds[kind]), (p.name, p.default)


# --- the summary section ---------------------------------------------------------------------

SUMMARY = NETS + '''

def test_two_checks(checks):
    checks.backprop(BOOK, PARAMS, X, Y, check_loss=False, **NET)
    checks.layer(relu_forward, relu_backward, rng.normal(size=(3, 4)), kind="relu")


def test_slip(checks):
    checks.backprop(SLIP, PARAMS, X, Y, check_loss=False, **NET)


def test_optimizer(checks):
    checks.optimizer(sgd_step, optimizer="sgd", lr=0.1)


def test_climbs(checks):
    checks.optimizer(sgd_climbs, optimizer="sgd", lr=0.1)


def test_no_check():
    pass
'''


def test_the_summary_has_one_line_per_check_and_the_count(pytester, columns):
    pytester.makepyfile(test_user=SUMMARY)
    result = pytester.runpytest("--checks-json", "checks.json")
    result.assert_outcomes(passed=3, failed=2)
    title, *lines, count = _section(result)
    assert count == "5 checks: 3 OK, 2 NOT OK"
    assert [line.split()[:3] for line in lines] == [
        ["test_user.py::test_two_checks", "check_backprop", "OK"],
        ["test_user.py::test_two_checks", "check_layer", "OK"],
        ["test_user.py::test_slip", "check_backprop", "NOT"],
        ["test_user.py::test_optimizer", "check_optimizer", "OK"],
        ["test_user.py::test_climbs", "check_optimizer", "NOT"]]
    assert len(title) == 120
    entries = json.loads((pytester.path / "checks.json").read_text())
    for line, entry in zip(lines, entries):
        if not entry["ok"]:  # the diagnosis's first sentence, cut
            assert f"  NOT OK  {entry['diagnosis'][0][:20]}" in line and "..." in line
    assert all(len(line) <= 120 for line in lines)  # within the terminal, every line
    # (at 120 columns the sentence takes the room: the worst element is left out)
    assert all("  worst " not in line for line in lines)


def test_the_sentence_is_cut_to_the_terminal_width(pytester, monkeypatch):
    pytester.makepyfile(test_user=SUMMARY)
    monkeypatch.setenv("COLUMNS", "200")
    wide = _section(pytester.runpytest("-k", "slip or climbs"))
    monkeypatch.setenv("COLUMNS", "300")
    wider = _section(pytester.runpytest("-k", "slip or climbs"))
    assert all(len(line) <= 200 for line in wide)
    assert wide[1].split("  worst ")[1] == wider[1].split("  worst ")[1]  # never cut
    assert "..." in wide[1] and len(wide[1]) > 180
    assert len(wider[1]) > len(wide[1]) and SLIP["sentence"] in wider[1]


def test_q_keeps_the_not_ok_lines_and_the_count(pytester, columns):
    pytester.makepyfile(test_user=SUMMARY)
    result = pytester.runpytest("-q")
    title, *lines, count = _section(result)
    assert [line.split()[0] for line in lines] == ["test_user.py::test_slip",
                                                  "test_user.py::test_climbs"]
    assert all(" NOT OK  " in line for line in lines)
    assert count == "5 checks: 3 OK, 2 NOT OK"


def test_nothing_is_printed_when_no_check_ran(pytester):
    pytester.makepyfile(test_user=SUMMARY)
    result = pytester.runpytest("-k", "no_check")
    result.assert_outcomes(passed=1)
    assert not _section(result) and "checks" not in result.stdout.str()


# --- --checks-json ------------------------------------------------------------------------------

def test_checks_json_is_written_when_tests_fail_one_entry_per_check(pytester):
    pytester.makepyfile(test_user=SUMMARY)
    (pytester.path / "out").mkdir()
    result = pytester.runpytest("--checks-json", "out/checks.json")
    result.assert_outcomes(passed=3, failed=2)
    assert os.listdir(pytester.path / "out") == ["checks.json"]  # nothing left half-done
    entries = json.loads((pytester.path / "out" / "checks.json").read_text())
    assert [(e["test_id"], e["checker"], e["ok"]) for e in entries] == [
        ("test_user.py::test_two_checks", "check_backprop", True),
        ("test_user.py::test_two_checks", "check_layer", True),
        ("test_user.py::test_slip", "check_backprop", False),
        ("test_user.py::test_optimizer", "check_optimizer", True),
        ("test_user.py::test_climbs", "check_optimizer", False)]
    for entry in entries:
        assert {"rows", "conventions", "diagnosis", "named", "report"} <= entry.keys()
        assert entry["rows"] and entry["report"]["ok"] == entry["ok"]
    assert [row["name"] for row in entries[2]["rows"]] == ["W0", "b0", "W1", "b1"]
    assert entries[2]["diagnosis"][0].startswith(SLIP["sentence"])
    assert entries[2]["conventions"] == entries[2]["report"]["conventions"] != {}
    assert entries[4]["rows"][0]["name"] == "torch.optim.SGD"


def test_checks_json_of_a_session_without_checks_is_an_empty_list(pytester):
    pytester.makepyfile(test_plain="def test_nothing():\n    pass\n")
    pytester.runpytest("--checks-json", "checks.json").assert_outcomes(passed=1)
    assert json.loads((pytester.path / "checks.json").read_text()) == []


@pytest.mark.parametrize("path, problem", [
    ("missing/checks.json", "does not exist"),
    ("folder", "it is a folder"),
    ("file.txt/checks.json", "does not exist"),
])
def test_a_checks_json_path_that_cannot_be_written_is_a_usage_error_before_any_test(
        pytester, path, problem):
    pytester.makepyfile(test_user='''
import pathlib


def test_a():
    pathlib.Path("ran").write_text("")
''')
    (pytester.path / "folder").mkdir()
    (pytester.path / "file.txt").write_text("")
    result = pytester.runpytest("--checks-json", path)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    [error] = _error_lines(result)
    assert f"--checks-json {path}: cannot be written" in error and problem in error
    assert not (pytester.path / "ran").exists()


# --- assertions on reports ------------------------------------------------------------------

def test_assert_report_shows_the_report_and_comparisons_explain_themselves(pytester):
    pytester.makepyfile(test_user=NETS + '''

def test_bare():
    report = check_backprop(SLIP, PARAMS, X, Y, check_loss=False, **NET)
    assert report


def test_equals_true():
    assert check_backprop(SLIP, PARAMS, X, Y, check_loss=False, **NET) == True


def test_is_true_when_ok():
    assert check_backprop(BOOK, PARAMS, X, Y, check_loss=False, **NET) is True


def test_ok_asserts():
    assert check_backprop(BOOK, PARAMS, X, Y, check_loss=False, **NET)


def test_assert_backprop():
    assert_backprop(SLIP, PARAMS, X, Y, check_loss=False, **NET)
''')
    result = pytester.runpytest()
    result.assert_outcomes(passed=1, failed=4)
    out = result.stdout.str()
    blocks_ = {name: out[out.index(f"_ {name} _"):] for name in
               ("test_bare", "test_equals_true", "test_is_true_when_ok", "test_assert_backprop")}
    bare = blocks_["test_bare"][:blocks_["test_bare"].index("_ test_equals_true _")]
    section = bare[bare.index("checks: the report asserted"):]
    assert section.index("check_backprop: NOT OK") < section.index(SLIP["sentence"])
    equals = blocks_["test_equals_true"]
    assert "assert check_backprop: NOT OK" in equals and "  - " + SLIP["sentence"] in equals
    assert "check_backprop: OK, but a report is never True: write `assert report`" in \
        blocks_["test_is_true_when_ok"]
    own = blocks_["test_assert_backprop"]
    assert SLIP["sentence"] in own and "checks: the report asserted" not in own


# --- the docs --------------------------------------------------------------------------------

@pytest.mark.slow  # runs pytest in a fresh process: 7 s
def test_the_docs_test_file_prints_the_summary_the_page_shows(tmp_path):
    text = (ROOT / "docs" / "checking.md").read_text()
    start = text.index("\n## In your test suite\n")
    section = text[start:text.index("\n## ", start + 1)]
    code, shown = [block.code for block in blocks(section)][:2]
    (tmp_path / "test_net.py").write_text(code)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"} | {"COLUMNS": "120"}
    done = subprocess.run([sys.executable, "-m", "pytest", "test_net.py"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=600, env=env)
    assert (done.returncode, done.stderr) == (1, "")
    printed = re.search(r"^=+ checks =+\n.*?^\d+ checks?: [^\n]*", done.stdout, re.M | re.S)
    assert printed, done.stdout
    assert printed.group(0).splitlines() == shown.strip().splitlines(), \
        f"docs/checking.md, In your test suite: the text block is now\n{printed.group(0)}"


# --- what a user writing against the description found (a blind run, 2026-12-06) -----------

def test_every_summary_line_fits_the_terminal(pytester, monkeypatch):
    pytester.makepyfile(test_user=SUMMARY)
    for width in (60, 100, 140):
        monkeypatch.setenv("COLUMNS", str(width))
        lines = _section(pytester.runpytest("-k", "slip or climbs"))
        head = len("test_user.py::test_climbs  check_optimizer  NOT OK  ") + 12
        assert all(len(line) <= max(width, head) for line in lines), (width, lines)


def test_nesterov_and_double_backward_are_configuration_keys_and_alpha_is_backprops(pytester):
    pytester.makeini("[pytest]\nchecks_nesterov = true\nchecks_alpha = 0.5\n")
    pytester.makepyfile(test_user='''
import numpy as np


def test_nesterov_and_rmsprop(checks):
    state = {}

    def nesterov(params, grads):
        for k, (p, g) in enumerate(zip(params, grads)):
            buf = state[k] = g.copy() if k not in state else 0.9 * state[k] + g
            p -= 0.1 * (g + 0.9 * buf)

    checks.optimizer(nesterov, optimizer="sgd", lr=0.1, momentum=0.9)
    torch_state = {}

    def rmsprop(params, grads):  # torch's defaults: alpha = 0.99 (the ini's alpha is L2's)
        for k, (p, g) in enumerate(zip(params, grads)):
            v = torch_state[k] = 0.99 * torch_state.get(k, 0.0) + 0.01 * g * g
            p -= 0.01 * g / (np.sqrt(v) + 1e-8)

    checks.optimizer(rmsprop, optimizer="rmsprop", lr=0.01)
''')
    pytester.runpytest().assert_outcomes(passed=1)


def test_a_bad_configuration_value_is_a_usage_error_naming_its_key(pytester):
    pytester.makeini("[pytest]\nchecks_rtol = abc\n")
    pytester.makepyfile(test_user="def test_nothing():\n    pass\n")
    result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert any("checks_rtol" in line for line in result.errlines), result.errlines


def test_a_json_file_that_cannot_be_replaced_is_refused_before_any_test(pytester):
    target = pytester.path / "ro.json"
    target.write_text("[]")
    target.chmod(0o444)
    pytester.makepyfile(test_user="def test_ran():\n    open('ran', 'w').close()\n")
    if os.access(target, os.W_OK):  # root writes read-only files: nothing to refuse there
        pytest.skip("this user can write a read-only file")
    result = pytester.runpytest("--checks-json", str(target))
    assert result.ret == pytest.ExitCode.USAGE_ERROR and not (pytester.path / "ran").exists()


def test_a_failed_assert_shows_the_asserted_report_only(pytester):
    pytester.makepyfile(test_user='''
import numpy as np
from reference import check_layer


def test_two_reports():
    x = np.random.default_rng(0).normal(size=(3, 4))
    unused = check_layer(lambda x: np.tanh(x), lambda d, x: d * (1 - x), x)
    asserted = check_layer(lambda x: np.maximum(x, 0), lambda d, x: -d * (x > 0), x)
    assert asserted
''')
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    text = "\n".join(result.outlines)
    section = text.split("checks: the report asserted")[1]
    assert "yours -1.304, right 1.304" in section, text  # the asserted one, not the other
