"""The pytest plugin ``mlp_twins``: the checkers as a fixture in your own test suite.

Installed with the project (the ``pytest11`` entry point ``mlp_twins`` in pyproject.toml):
nothing goes into conftest.py, and ``pytest -p no:mlp_twins`` turns it off. It gives

- the fixture ``checks``: ``checks.backprop(grad_fn, params, X, Y, **kw)``,
  ``checks.layer(forward, backward, *inputs, **kw)``, ``checks.optimizer(step_fn, **kw)``
  and ``checks.function(fn, *inputs, **kw)`` (once ``reference.check_function`` exists) run
  the checker, record its report and return it; a report that is NOT OK fails the test
  with the report's text (``pytest.fail``, no traceback into the checker);
- default keyword arguments: ``@pytest.mark.checks(rtol=1e-5, check_loss=False)`` for one
  test (or a class, a module), ``checks_rtol = 1e-5`` ... in the configuration file (or
  ``-o``) for the suite; the call wins over the marker, the marker over the file. A key goes
  to each checker that takes it; an unknown one is a usage error at collection;
- the terminal summary section "checks": one line per check (test id, checker, OK or NOT
  OK with the first diagnosis sentence and the worst element), then the count; ``-q``
  keeps the NOT OK lines and the count;
- ``--checks-json PATH``: every check as JSON (a list: test_id, checker, ok, rows,
  conventions, diagnosis, named, and the whole report), written atomically when the
  session ends, whatever its outcome; a path that cannot be written is a usage error
  before any test runs;
- ``assert report`` on a report that is NOT OK shows the report's text (a report's repr is
  its text), and comparing a report with ``== True`` or ``is True`` explains itself.

The checkers are imported on the first check, never when pytest loads the plugin
(``reference`` imports its checkers lazily), so that loading it costs every pytest run
nothing.
"""

import inspect
import json
import os
import tempfile
from collections.abc import Callable, Generator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:  # only for the annotations: loading the plugin imports no checker
    from numpy.typing import ArrayLike

    from reference.checking.backprop.check import BackpropReport
    from reference.checking.function.report import FunctionReport
    from reference.checking.layer.check import LayerReport
    from reference.checking.optimizer.check import OptimizerReport

# The checkers' keyword arguments, the keys of the marker and of the checks_<key> options:
# the type of the configuration-file option, or None for a key the marker alone can give
# (not a scalar). tests/test_pytest_plugin.py holds this table to the checkers' signatures;
# a marker may also give a keyword a checker has gained since (see _checker_keywords).
KEYS = {
    "rtol": "float", "check_loss": "bool", "activation": "string", "output": "string",
    "loss": "string", "alpha": "float", "negative_slope": "float", "nodes": None,
    "kind": "string", "seed": "int", "optimizer": "string", "lr": "float",
    "momentum": "float", "betas": None, "eps": "float", "weight_decay": "float",
    "centered": "bool", "initial_accumulator_value": "float", "steps": "int", "shapes": None,
    "expect": "string", "label_smoothing": "float", "nesterov": "bool",
    "double_backward": "bool", "names": None,
}
# Keys that mean different things to different checkers go to one of them only: alpha is
# check_backprop's L2 strength (give RMSprop's smoothing constant in check_optimizer's call).
ONLY = {"alpha": "check_backprop"}
INI_PREFIX = "checks_"
CHECKERS = {"backprop": "check_backprop", "layer": "check_layer",
            "optimizer": "check_optimizer", "function": "check_function"}
SECTION = "checks"
MIN_SENTENCE = 40  # below this much room for the sentence, the worst element is left out

records_key = pytest.StashKey[list]()
json_key = pytest.StashKey["Path | None"]()


# --- registration -------------------------------------------------------------------------

def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("mlp_twins", "mlp-twins checks (the checks fixture)")
    group.addoption("--checks-json", metavar="PATH", default=None,
                    help="write every check's report as JSON to PATH when the session ends")
    for key, kind in KEYS.items():
        if kind is not None:
            parser.addini(INI_PREFIX + key, f"default {key}= for the checks fixture's checkers "
                          "(a call's keyword, then @pytest.mark.checks, win over it)",
                          type=kind, default=None)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "checks(**defaults): default keyword arguments for the checks fixture's "
                   "checkers in this test (a call's keyword wins over them, they over the "
                   "checks_<key> options)")
    config.stash[records_key] = []
    config.stash[json_key] = _writable(config.getoption("checks_json"), config)


def _writable(path: str | None, config: pytest.Config) -> Path | None:
    """The --checks-json path, absolute, once shown writable; a UsageError otherwise."""
    if path is None:
        return None
    target = config.invocation_params.dir / Path(path).expanduser()
    problem = None
    if target.is_dir():
        problem = "it is a folder"
    elif not target.parent.is_dir():
        problem = f"the folder {target.parent} does not exist"
    else:
        try:
            handle, probe = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
            os.close(handle)
            os.unlink(probe)
            if target.exists():  # a file there must take our replacement (not immutable)
                with open(target, "ab"):
                    pass
        except OSError as error:
            problem = error.strerror or str(error)
    if problem:
        raise pytest.UsageError(f"--checks-json {path}: cannot be written: {problem}.")
    return target


# --- the keys: marker and configuration file, checked at collection ------------------------

def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config,
                                  items: list[pytest.Item]) -> None:
    for key, where in _configured_keys(config):
        name = key[len(INI_PREFIX):]
        if KEYS.get(name, None) is None:
            scalar = name in KEYS
            raise pytest.UsageError(
                f"{key} in {where}: " + (f"{name} is not a single value; give it in "
                                         "@pytest.mark.checks or in the call" if scalar else
                                         _unknown_words(name, INI_PREFIX)))
        try:
            config.getini(key)  # a value of the wrong type: a usage error naming the key
        except (ValueError, pytest.UsageError) as error:  # (pytest 9 raises the latter)
            raise pytest.UsageError(f"{key} in {where}: {error}.") from None
    for item in items:
        for marker in item.iter_markers(SECTION):
            if marker.args:
                raise pytest.UsageError(f"@pytest.mark.checks on {item.nodeid}: keyword "
                                        f"arguments only, got {marker.args!r}.")
            for key in marker.kwargs:
                if key not in KEYS and key not in _checker_keywords():
                    raise pytest.UsageError(f"@pytest.mark.checks on {item.nodeid}: "
                                            + _unknown_words(key))


def _unknown_words(key: str, prefix: str = "") -> str:
    """One line: the key is unknown, the nearest known one, all of them."""
    import difflib

    near = difflib.get_close_matches(key, KEYS, n=1)
    hint = f" (did you mean {prefix}{near[0]}?)" if near else ""
    return (f"unknown key {prefix}{key}{hint}; the keys are the checkers' keyword arguments: "
            + ", ".join(sorted(KEYS)) + ".")


def _configured_keys(config: pytest.Config) -> list[tuple[str, str]]:
    """(key, where) for each checks_<key> in the configuration file and in -o."""
    found = []
    if config.inipath is not None:
        found += [(key, config.inipath.name) for key in _file_keys(config.inipath)]
    for override in config.getoption("override_ini") or ():
        found.append((override.split("=", 1)[0].strip(), "-o"))
    return [(key, where) for key, where in found if key.startswith(INI_PREFIX)]


def _file_keys(path: Path) -> list[str]:
    """The keys of pytest's table in a configuration file pytest has already read."""
    try:
        text = path.read_text()
    except OSError:
        return []
    if path.suffix == ".toml":
        import tomllib

        try:
            document = tomllib.loads(text)
        except tomllib.TOMLDecodeError:
            return []
        tool = document.get("tool", {}).get("pytest", {})
        tables = [document.get("pytest", {}), tool, tool.get("ini_options", {})]
        return [key for table in tables if isinstance(table, dict) for key in table]
    import configparser

    parser = configparser.ConfigParser(interpolation=None, strict=False)
    try:
        parser.read_string(text)
    except configparser.Error:
        return []
    return [key for name in ("pytest", "tool:pytest") if parser.has_section(name)
            for key in parser[name]]


def _checker_keywords() -> set[str]:
    """Every keyword argument the checkers there are take (check_function's too, once it
    exists); imports them, so it is asked only about a key the table does not know."""
    checkers = [_checker(name) for name in CHECKERS.values()]
    return set().union(*(_keywords(c) for c in checkers if c is not None))


# --- the fixture -----------------------------------------------------------------------------

@pytest.fixture
def checks(request: pytest.FixtureRequest) -> "Checks":
    """The checkers, for this test: each call runs one, records its report for the summary
    and --checks-json, returns it, and fails the test when it is NOT OK."""
    return Checks(request.node, request.config)


class Checks:
    """``checks.backprop``, ``.layer``, ``.optimizer``, ``.function``: the checkers of
    ``reference`` with this test's defaults (call > @pytest.mark.checks > checks_<key>);
    ``checks.reports``: the reports of this test's checks so far."""

    def __init__(self, node: pytest.Item, config: pytest.Config) -> None:
        self.node, self.config = node, config
        self.reports: list = []

    def backprop(self, grad_fn: Callable,
                 params: "Sequence[ArrayLike] | Mapping[str, ArrayLike]", X: "ArrayLike",
                 Y: "ArrayLike", **kwargs: object) -> "BackpropReport":
        """``reference.check_backprop(grad_fn, params, X, Y, **kwargs)``, recorded."""
        __tracebackhide__ = True
        return self._run("backprop", (grad_fn, params, X, Y), kwargs)

    def layer(self, forward: Callable, backward: Callable, *inputs: object,
              **kwargs: object) -> "LayerReport":
        """``reference.check_layer(forward, backward, *inputs, **kwargs)``, recorded."""
        __tracebackhide__ = True
        return self._run("layer", (forward, backward, *inputs), kwargs)

    def optimizer(self, step_fn: Callable, **kwargs: object) -> "OptimizerReport":
        """``reference.check_optimizer(step_fn, **kwargs)``, recorded."""
        __tracebackhide__ = True
        return self._run("optimizer", (step_fn,), kwargs)

    def function(self, fn: object, *inputs: object, **kwargs: object) -> "FunctionReport":
        """``reference.check_function(fn, *inputs, **kwargs)`` (a PyTorch custom autograd
        Function), recorded."""
        __tracebackhide__ = True
        return self._run("function", (fn, *inputs), kwargs)

    def _run(self, what: str, args: tuple, kwargs: dict):
        __tracebackhide__ = True
        name = CHECKERS[what]
        checker = _checker(name)
        if checker is None:
            pytest.fail(f"checks.{what} needs reference.{name}, which this version of "
                        "mlp-twins does not have.", pytrace=False)
        report = checker(*args, **{**self.defaults(checker), **kwargs})
        self.reports.append(report)
        self.config.stash[records_key].append(_entry(self.node.nodeid, name, report))
        if not report:
            pytest.fail(str(report), pytrace=False)
        return report

    def defaults(self, checker: Callable) -> dict:
        """The configuration file's, then the markers' (the nearest last) keyword arguments
        that ``checker`` takes."""
        takes = {key for key in _keywords(checker)
                 if ONLY.get(key, checker.__name__) == checker.__name__}
        found = {}
        for key, kind in KEYS.items():
            if kind is not None and key in takes:
                value = self.config.getini(INI_PREFIX + key)
                if value is not None:
                    found[key] = value
        for marker in reversed(list(self.node.iter_markers(SECTION))):
            found.update({k: v for k, v in marker.kwargs.items() if k in takes})
        return found


def _checker(name: str):
    import reference  # the first check pays for torch and scikit-learn, not the plugin

    return getattr(reference, name, None)


def _keywords(checker) -> set[str]:
    """The arguments ``checker`` takes by keyword with a default (all, with ``**kwargs``)."""
    parameters = inspect.signature(checker).parameters.values()
    if any(p.kind is p.VAR_KEYWORD for p in parameters):
        return set(KEYS)
    return {p.name for p in parameters if p.kind is p.KEYWORD_ONLY
            or (p.kind is p.POSITIONAL_OR_KEYWORD and p.default is not p.empty)}


# --- what is recorded: one entry per check ---------------------------------------------------

def _entry(test_id: str, checker: str, report) -> dict:
    """The JSON entry of one check: plain values only."""
    whole = report.to_dict()
    return {"test_id": test_id, "checker": checker, "ok": bool(report),
            "rows": _rows(whole), "conventions": whole.get("conventions", {}),
            "diagnosis": whole.get("diagnosis", []), "named": whole.get("named", []),
            "report": whole}


def _rows(whole: dict) -> list[dict]:
    """A report's rows: one per array (backprop: params then nodes; layer, function: rows);
    an optimizer's, one per framework reference with its largest relative difference."""
    if "rows" in whole:
        return whole["rows"]
    if "params" in whole:
        return whole["params"] + whole.get("nodes", [])
    return [{"name": ref, "ok": ref in whole.get("matches", []), "rel_error": error}
            for ref, error in whole.get("errors", {}).items()]


def _worst(entry: dict) -> str:
    """The worst element of the worst wrong row: ``W1[0, 7]: yours 0.0071, right -0.075``."""
    wrong = [r for r in entry["rows"] if not r.get("ok") and r.get("worst_index") is not None
             and r.get("yours") is not None and r.get("reference") is not None]
    if not wrong:
        return ""
    row = max(wrong, key=lambda r: -1.0 if r.get("rel_error") is None else r["rel_error"])
    index = ", ".join(str(i) for i in row["worst_index"])
    return (f"{row['name']}[{index}]: yours {row['yours']:.4g}, "
            f"right {row['reference']:.4g}")


def _sentence(entry: dict) -> str:
    """The first sentence naming what is wrong: a named slip's, else the diagnosis's."""
    named = entry["named"]
    if named and named[0].get("text"):
        return named[0]["text"]
    return entry["diagnosis"][0] if entry["diagnosis"] else "see the report"


# --- the summary section and the JSON file ---------------------------------------------------

def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, exitstatus: int,
                            config: pytest.Config) -> None:
    records = config.stash.get(records_key, [])
    if not records:
        return
    shown = [e for e in records if not e["ok"]] if config.get_verbosity() < 0 else records
    terminalreporter.write_sep("=", SECTION)
    width = config.get_terminal_writer().fullwidth
    id_width = max([0] + [len(e["test_id"]) for e in shown])
    label_width = max([0] + [len(e["checker"]) for e in shown])
    for entry in shown:
        terminalreporter.write_line(_summary_line(entry, id_width, label_width, width))
    bad = sum(not e["ok"] for e in records)
    terminalreporter.write_line(f"{len(records)} check{'s' if len(records) != 1 else ''}: "
                                f"{len(records) - bad} OK, {bad} NOT OK")


def _summary_line(entry: dict, id_width: int, label_width: int, width: int) -> str:
    """One line of the section, within ``width`` where the test id allows: the sentence is
    cut to fit, and the worst element goes first when there is no room for both."""
    head = f"{entry['test_id']:<{id_width}}  {entry['checker']:<{label_width}}  "
    if entry["ok"]:
        return head + "OK"
    worst = _worst(entry)
    tail = f"  worst {worst}" if worst else ""
    sentence = _sentence(entry)
    room = width - len(head) - len("NOT OK  ") - len(tail)
    if len(sentence) > room and room < MIN_SENTENCE and tail:  # the sentence says more
        tail, room = "", width - len(head) - len("NOT OK  ")
    return f"{head}NOT OK  {_cut(sentence, max(room, 12))}{tail}"


def _cut(sentence: str, room: int) -> str:
    """``sentence`` in at most ``room`` characters, cut after a word and marked ``...``."""
    if len(sentence) <= room:
        return sentence
    cut = sentence[:room - 3]
    space = cut.rfind(" ")
    return (cut[:space] if space > len(cut) - 12 else cut).rstrip(" ,;:") + "..."


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    target = config.stash.get(json_key, None)
    if target is None:
        return
    text = json.dumps(config.stash[records_key], indent=1, allow_nan=False)
    try:
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
        try:
            with os.fdopen(handle, "w") as out:
                out.write(text + "\n")
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(temporary, 0o666 & ~umask)
            os.replace(temporary, target)  # the file is whole or not there: atomic
        except BaseException:
            os.unlink(temporary)
            raise
    except OSError as error:
        config.get_terminal_writer().line(f"--checks-json {target}: not written: {error}",
                                          red=True)
        if session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.INTERNAL_ERROR


# --- assertions on reports -------------------------------------------------------------------

def _is_report(value: object) -> bool:
    """A checker's report: made in ``reference``, with ``ok`` and ``to_dict``."""
    return (type(value).__module__.startswith("reference.") and hasattr(value, "ok")
            and callable(getattr(value, "to_dict", None)))


def _report_label(report) -> str:
    """check_backprop, check_layer (batchnorm), check_optimizer (adam): as its text begins."""
    name = "check_" + type(report).__name__.removesuffix("Report").lower()
    whole = report.to_dict()
    what = whole.get("kind") or whole.get("optimizer")
    return f"{name} ({what})" if what else name


def pytest_assertrepr_compare(config: pytest.Config, op: str, left: object,
                              right: object) -> list[str] | None:
    """``report == True``, ``report is True``: the verdict, the diagnosis, the report."""
    if op not in ("==", "is"):
        return None
    for report, other in ((left, right), (right, left)):
        if _is_report(report) and other is True:
            label = _report_label(report)
            if report:
                never = "is never True" if op == "is" else "never equals True"
                return [f"{label}: OK, but a report {never}: write `assert report` (its truth "
                        "value is its verdict) or `assert report.ok`"]
            diagnosis = report.to_dict().get("diagnosis", [])
            return [f"{label}: NOT OK", *(f"  - {sentence}" for sentence in diagnosis), "",
                    *str(report).splitlines()]
    return None


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]
                              ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """``assert report`` on a report that is NOT OK: pytest shows the report's repr, which is
    its text; where the assertion's message holds only part of it, the whole text is added
    under the failure (only for the report the failing statement asserted)."""
    report = yield
    if report.failed and call.excinfo is not None and \
            call.excinfo.errisinstance(AssertionError):
        message = str(call.excinfo.value)
        tb = call.excinfo.tb
        while tb.tb_next is not None:
            tb = tb.tb_next
        for value in list(tb.tb_frame.f_locals.values()):
            if not (_is_report(value) and not value):
                continue
            shown = str(value).replace("\n", "\\n")  # as pytest's repr shows it: one line,
            if shown[:40] in message and shown[-40:] in message:  # its middle cut: this one
                report.sections.append((f"{SECTION}: the report asserted", str(value)))
                break
    return report
