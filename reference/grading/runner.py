"""Grading a submission: its code runs in a child process (``child.py``), the judging here.

``grade_submission`` takes a submission read by ``submission.py``, has a child run its cells, then
grades each exercise with ``exercises.grade`` as a notebook cell would, except that the
function it is handed is a ``Remote``: each call sends the case to the child as data and
gets the answer back as data, within what is left of the exercise's time limit. The
references, the mistakes' fingerprints and the verdicts never leave this process.

One exercise's fate is its own. A call that runs past the time limit has its child killed
(and everything it started) and a fresh child runs the submission again for the exercises
left; so does a child that ends (``os._exit``, a crash, a limit of the grader's). ``sys.exit``
inside a function is caught in the child and costs that exercise only. A cell that runs past
its own limit, ends the process or sends what the grader cannot read is skipped from that
statement on in the next child (``Session``). Each load of the submission has its own time
limit (a slow but honest top level is not refused for being loaded again), and each
exercise may start at most ``MAX_RESTARTS`` children: one that exhausts them scores 0, and
the next exercise has its own.
"""

import builtins
import dataclasses
import time
from dataclasses import dataclass

import numpy as np

from reference.grading.child import (
    Child,
    ChildBroken,
    ChildEnded,
    ChildTimeout,
    Limits,
    Output,
)
from reference.grading.exercises import ALLOWED_IMPORTS, EXERCISES, POINTS, grade
from reference.grading.sandbox import wire
from reference.grading.submission import Submission
from reference.grading.text import printable

LOAD_BUDGET = 60.0  # seconds for a .py file's top level, each time it is loaded
NOTEBOOK_BUDGET = 180.0  # seconds for all of a notebook's cells, each time
CELL_MIN = 20.0  # seconds a notebook cell may always take (its imports, a small training)
MAX_RESTARTS = 8  # children started for one exercise, at most


class _Stop(BaseException):
    """Ends the exercise being graded: a BaseException, so that no ``except Exception`` in
    the grading code swallows it. ``text`` is the verdict's reason."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


class _Restart(Exception):
    """The child died or ran out of time while loading: run the submission again."""


def _raised(header: dict) -> BaseException:
    """The exception a student's function raised, as the grading code should see it: the
    built-in class itself when it is one (a TypeError stays a TypeError), else an
    Exception subclass of the same name."""
    name = str(header.get("raised", "Exception"))[:60]
    message = str(header.get("message", ""))[:300]
    builtin = getattr(builtins, name, None) if header.get("builtin") is True else None
    if isinstance(builtin, type) and issubclass(builtin, Exception):
        try:
            return builtin(message)
        except Exception:  # noqa: BLE001 - a built-in that wants other arguments
            pass
    return type(name if name.isidentifier() else "Exception", (Exception,), {})(message)


def _refusal(header: dict) -> str | None:
    """The first thing the guard refused while the code ran, in one sentence, or None."""
    refused = header.get("refused")
    if not (isinstance(refused, list) and refused and isinstance(refused[0], list) and
            len(refused[0]) == 2):
        return None
    what, why = (str(v)[:200] for v in refused[0])
    if what.startswith("importing "):
        return f"it needs {what.removeprefix('importing ')}, which the grader does not " \
               f"allow: {why}"
    return f"the grader does not allow {what}: {why}"


class Remote:
    """The student's function as ``exercises.grade`` calls it. Each call goes to the child
    as data (its arrays, its plain values, a dict argument as a handle the child keeps:
    an Adam step's ``state``), and the answer comes back as data; what the function wrote
    into its array arguments is written into the grader's, as if it had run here. The
    exercise's time limit is spent by the calls alone."""

    def __init__(self, session: "Session", name: str, seconds: float) -> None:
        self.session, self.name, self.left, self.limit = session, name, seconds, seconds
        self.handles: dict[int, int] = {}  # id(dict) -> handle
        self.held: dict[int, dict] = {}  # handle -> the dict (kept alive: no id reused)
        self.calls = 0

    def __call__(self, *args: object, **kwargs: object) -> object:
        if self.left <= 0:
            raise _Stop(f"its calls ran past the time limit of {self.limit:g} s (an "
                        "infinite loop?)")
        if self.session.child is None:  # a call after its process ended (a caught _Stop)
            raise _Stop(f"its process ended inside {self.name}")
        self.calls += 1
        message, arrays = wire.encode({"kind": "call", "id": self.calls, "name": self.name},
                                      [list(args), [[k, v] for k, v in kwargs.items()]],
                                      state=self.handles)
        self._hold([*args, *kwargs.values()])
        child, start = self.session.child, time.monotonic()
        deadline = start + self.left
        try:
            child.send(message, deadline)
            while True:
                header, _ = child.receive(deadline, refs=arrays)
                if header.get("id") == self.calls and header["kind"] in (
                        "answer", "failed", "unreadable"):
                    break
            # threads this call left running past the limit are this call's, not the next's
            reason = child.watch.now(walk=False) if child.watch else None
            if reason is not None:
                raise ChildEnded(reason)
        except ChildTimeout:
            self.session.discard()
            self.left = 0
            raise _Stop(f"its calls ran past the time limit of {self.limit:g} s (an "
                        "infinite loop?)") from None
        except ChildEnded as error:
            self.session.discard()
            raise _Stop(f"its process ended inside {self.name} ({error})") from None
        except ChildBroken as error:
            self.session.discard()
            raise _Stop(f"its process sent something the grader cannot read inside "
                        f"{self.name} ({error})") from None
        finally:
            self.left -= time.monotonic() - start
        return self._answer(header, arrays)

    def _hold(self, values: list) -> None:
        for value in values:
            if isinstance(value, dict) and id(value) in self.handles:
                self.held.setdefault(self.handles[id(value)], value)

    def _answer(self, header: dict, arrays: list) -> object:
        """The answer of a checked frame (``frames.check``): its value, what it wrote into
        its array arguments, the keys of the dicts the child keeps."""
        kind = header["kind"]
        if kind == "unreadable":
            return wire.Opaque(f"answer that cannot be read ({header['message']})")
        if kind == "failed":
            if "exit" in header:
                raise _Stop(f"it exited with sys.exit({header['exit']}) inside {self.name}")
            refusal = _refusal(header)
            if refusal:
                raise _Stop(refusal)
            raise _raised(header)
        value = header.get("value")
        if not isinstance(value, list) or len(value) != 2 or not isinstance(value[1], list):
            self.session.discard()
            raise _Stop(f"its process sent something the grader cannot read inside "
                        f"{self.name} (a malformed answer)")
        answer, written = value
        for k, new in zip(header["wrote"], written):
            if 0 <= k < len(arrays) and isinstance(new, np.ndarray):
                self._write(arrays[k], new)
        for handle, keys in header["states"].items():
            state = self.held.get(int(handle) if handle.isdigit() else -1)
            if state is not None:
                state.clear()
                state.update(dict.fromkeys(keys, "(kept by the child)"))
        return answer

    @staticmethod
    def _write(target: np.ndarray, new: np.ndarray) -> None:
        if not target.flags.writeable:
            raise ValueError("assignment destination is read-only")
        if target.shape == new.shape:
            np.copyto(target, new, casting="unsafe")
        elif target.dtype.kind in "fc":
            target[...] = np.nan  # reshaped in place: no longer what was given


@dataclass
class CellState:
    """Where a cell stopped, and why (the child's report, or the grader's own)."""

    statement: int
    line: object
    kind: str  # raised, exit, timeout, ended, broken, not run
    header: dict  # checked (``frames.check``), or the grader's own


class Session:
    """A submission's code in a child, for as many children as it takes: each new child
    runs the cells again, each stopped where an earlier one ran out of time or died."""

    def __init__(self, submission: Submission, timeout: float, limits: Limits,
                 output: Output) -> None:
        self.submission, self.limits, self.output = submission, limits, output
        py = submission.kind == "py"
        self.cell_budget = LOAD_BUDGET if py else max(2 * timeout, CELL_MIN)
        self.load_budget = LOAD_BUDGET if py else NOTEBOOK_BUDGET
        self.child: Child | None = None
        self.skip: dict[int, int] = {}  # cell index -> the statement it stops at
        self.states: dict[int, CellState] = {}
        self.defined: set[str] = set()
        self.started = 0  # children started for the exercise being graded
        self.gave_up: str | None = None  # for good: no load can ever finish
        self.landlock, self.seccomp = 0, False

    def discard(self) -> None:
        if self.child is not None:
            self.child.stop()
            self.child = None

    def begin(self) -> None:
        """A new exercise: its own budget of restarts."""
        self.started = 0

    def ready(self) -> bool:
        """A child with the submission loaded; False when there is none to be had for this
        exercise (``why_not`` says why)."""
        while self.child is None and self.gave_up is None and self.started < MAX_RESTARTS:
            self.started += 1
            self.child = Child(self.limits, self.output)
            self.child.start([(cell.filename, cell.source) for cell in self.submission.cells])
            self.landlock = self.child.hello["landlock"]
            self.seccomp = self.child.hello["seccomp"]
            try:
                self._load()
            except _Restart:
                self.discard()
        return self.child is not None

    def why_not(self) -> str:
        """Why ``ready`` found no child for this exercise."""
        return self.gave_up or f"its code stopped its process {MAX_RESTARTS} times while it " \
                               "was loaded again for this exercise"

    def _load(self) -> None:
        """Run the cells in the new child, within the load's own time limit, noting where
        each stopped; ``_Restart`` when the child must be replaced."""
        cells = self.submission.cells
        message, _ = wire.encode(
            {"kind": "load", "module": "submission" if self.submission.kind == "py"
             else "__main__", "file": self.submission.path.name if
             self.submission.kind == "py" else None, "names": list(EXERCISES),
             "await": self.submission.kind != "py",
             "skip": [[c, s] for c, s in self.skip.items()]})
        start = time.monotonic()
        end = start + self.load_budget
        cell, statement, line, cell_end = None, 0, None, end
        last = None  # (cell, statement, line) of the last statement begun
        try:
            self.child.send(message, end)
            while True:
                header, _ = self.child.receive(min(cell_end, end))
                kind, index = header["kind"], header.get("cell", -1)
                if kind == "cell" and 0 <= index < len(cells):
                    cell, statement, line = index, 0, None
                    cell_end = time.monotonic() + self.cell_budget
                elif kind == "statement" and index == cell:
                    statement, line = max(0, header["statement"]), header["line"]
                    last = (cell, statement, line)
                elif kind == "done" and index == cell:
                    if "raised" in header or "exit" in header:
                        self.states[cell] = CellState(
                            max(0, header.get("statement", 0)), line,
                            "exit" if "exit" in header else "raised", header)
                    elif "stopped" not in header:
                        self.states.pop(cell, None)
                    cell, cell_end = None, end
                elif kind == "loaded":
                    reason = self.child.watch.now() if self.child.watch else None
                    if reason is not None:
                        # what the top level left (threads, files) is past a limit: made by
                        # a statement it ran, at latest the last one; the next child stops
                        # before that one (one statement further back per restart)
                        self._stopped(*(last or (None, 0, None)), "ended", {"how": reason})
                    self.defined = set(header["defined"]) & set(EXERCISES)
                    return
        except ChildTimeout:
            self._stopped(cell, statement, line, "timeout", {"total": end < cell_end})
        except ChildEnded as error:
            self._stopped(cell, statement, line, "ended", {"how": str(error)})
        except ChildBroken as error:
            self._stopped(cell, statement, line, "broken", {"how": str(error)})

    def _stopped(self, cell: int | None, statement: int, line: object, kind: str,
                 header: dict) -> None:
        """Record where the load stopped, so that the next child stops there too."""
        if cell is None:  # between cells: the child lied about its progress, or died
            cell = next((c for c in range(len(self.submission.cells))
                         if c not in self.skip and c not in self.states), None)
            if cell is None:
                self.gave_up = "its code did not finish loading"
                raise _Restart
            statement, line = 0, None
        self.skip[cell] = statement
        self.states[cell] = CellState(statement, line, kind, header)
        if header.get("total"):  # the whole load's time ran out: the cells after wait
            for later in range(cell + 1, len(self.submission.cells)):
                self.skip[later] = 0
                self.states[later] = CellState(0, None, "not run", {})
        raise _Restart

    # -- words --------------------------------------------------------------------------
    def why(self, index: int) -> str:
        """Why cell ``index`` stopped, in a sentence without its end: "the notebook raised
        ZeroDivisionError at line 4 of your cell 7 (division by zero)"."""
        state, s = self.states[index], self.submission
        header = state.header
        code = "the file" if s.kind == "py" else "the notebook"
        at = s.place(index, header.get("where"), state.line if state.line is not None
                     else header.get("line"))
        here = s.place(index, None, state.line)
        if state.kind == "raised":
            refusal = _refusal(header)
            if refusal:
                return f"{code} stopped at {at}: {refusal}"
            message = header.get("message", "")
            return f"{code} raised {header.get('raised')} at {at}" + \
                (f" ({message})" if message else "")
        if state.kind == "exit":
            return f"{code} called sys.exit({header.get('exit')}) at {at}"
        if state.kind == "timeout" and header.get("total") and s.kind != "py":
            return (f"{code} ran past the time its cells may take ({self.load_budget:g} s in "
                    f"all) at {here} and was stopped")
        if state.kind == "timeout":
            limit = "its" if s.kind == "py" else "a cell's"
            return (f"{code} ran past {limit} time limit of {self.cell_budget:g} s at {here} "
                    "and was stopped")
        if state.kind == "ended":
            return f"{code} ended its process at {here} ({header.get('how')})"
        if state.kind == "broken":
            return f"{code}'s process sent something the grader cannot read at {here} " \
                   f"({header.get('how')})"
        return f"{s.subject(index)} was not run: the submission's loading time " \
               f"({self.load_budget:g} s) ran out"

    def notes(self) -> list[str]:
        """What went wrong in the cells, cell by cell (syntax errors included)."""
        s = self.submission
        found = [(n, text) for n, (text, _) in s.problems.items()]
        found += [(s.cells[i].number, self.why(i)) for i in self.states]
        return [text + "." for _, text in sorted(found)]

    def missing(self, name: str) -> str:
        """Why exercise ``name`` is not a function after the run."""
        bindings = self.submission.bindings.get(name, [])
        for index, statement, _ in bindings:
            state = self.states.get(index)
            if state is not None and state.statement <= statement:
                return f"not graded: {self.why(index)} before defining it"
        if not bindings:
            for text, source in self.submission.problems.values():
                if f"def {name}" in source:
                    return f"not graded: {text}"
            return "not attempted (it is not defined)"
        return "not attempted (it is not a function)"


@dataclass
class Report:
    """A graded submission: one result per exercise (name, score, max_score, output,
    execution_time), the notes on its cells, the tail of what it printed, how it was
    isolated, the seed, and the time it took."""

    results: list[dict]
    notes: list[str]
    streams: list[tuple[str, str]]  # (what: "stdout: 1,234 bytes", the end of it)
    isolation: str
    seed: int
    seconds: float

    @property
    def printed(self) -> str:
        """What the code printed (the end of each stream), each headed by its size."""
        return "\n".join(f"--- {what} ---\n{text}" for what, text in self.streams)

    @property
    def total(self) -> float:
        return sum(r["score"] for r in self.results)


def _result(name: str, score: float, output: str, seconds: float = 0.0) -> dict:
    return {"name": name, "score": float(score), "max_score": float(POINTS), "output": output,
            "execution_time": round(seconds, 3)}


def _isolation(landlock: int, seccomp: bool) -> str:
    return ("a process of its own with an audit guard" +
            (f", Landlock (ABI {landlock})" if landlock else
             " (no Landlock on this machine: its files are guarded by the audit hook only)") +
            (" and a seccomp filter" if seccomp else ""))


def _grade_one(session: Session, name: str, seed: int, timeout: float) -> dict:
    began = time.monotonic()
    session.begin()
    if not session.ready():
        return _result(name, 0, f"{name}: not graded: {session.why_not()}.")
    if name not in session.defined:
        return _result(name, 0, f"{name}: {session.missing(name)}.")
    try:
        verdict = grade(name, Remote(session, name, timeout), seed=seed)
        score, text = verdict.points, verdict.text
    except _Stop as stop:
        score, text = 0.0, f"{name}: NOT OK: {stop.text}."
    return _result(name, score, text, time.monotonic() - began)


def grade_submission(submission: Submission, seed: int, timeout: float,
                     limits: Limits = Limits()) -> Report:
    """Grade every exercise of ``submission`` on cases drawn from ``seed``, each within
    ``timeout`` seconds of its own calls."""
    start, output, sessions = time.monotonic(), Output(), {}
    allowed = {name: frozenset(ALLOWED_IMPORTS.get(name, ())) | limits.allow
               for name in EXERCISES}
    order = sorted(enumerate(EXERCISES), key=lambda item: (
        allowed[item[1]] != limits.allow, sorted(allowed[item[1]]), item[0]))
    results = {}  # the exercises that allow an import run last, in a child of their own
    try:
        for index, name in order:
            allow = allowed[name]
            if allow not in sessions:
                for other in sessions.values():
                    other.discard()  # one child at a time
                sessions[allow] = Session(submission, timeout,
                                          dataclasses.replace(limits, allow=allow), output)
            session = sessions[allow]
            results[name] = _grade_one(session, name, seed * 1000 + index, timeout)
    finally:
        for session in sessions.values():
            session.discard()
    results = [results[name] for name in EXERCISES]
    main = next(iter(sessions.values()))
    streams = [(f"{name}: {tail.total:,} bytes" + (f", the last {tail.limit:,} kept"
                                                  if tail.total > tail.limit else ""),
                printable(tail.text(), None, lines=True))
               for name, tail in (("stdout", output.stdout), ("stderr", output.stderr))
               if tail.total]
    return Report(results, main.notes(), streams, _isolation(main.landlock, main.seccomp), seed,
                  time.monotonic() - start)
