"""What a notebook's code finds in the process that runs it, where Jupyter would have given
it IPython and the grader's package: ``get_ipython()`` (``Shell``), ``display``, and the
``reference.grading`` names a notebook uses (``grade``, ``Grade``), all of them inert.

IPython turned ``%...`` and ``!...`` into calls to ``Shell`` (``submission.py``): shell
commands are not run and most magics are skipped; ``%time`` and ``%timeit`` run their
statement once (their options, ``-n 3 -r 1``, dropped), ``%%time``-like cell magics their
body, ``%%writefile`` writes its file (in the child's folder: the guard refuses any other).
The notebook's own ``grade(...)`` cells get a ``Grade`` that says the grader grades after the
cells ran: the verdicts are the grader's, judged in its own process on the answers.

Standard library only: ``main.py`` loads this file by its path.
"""

import ast
import os
import shlex
import sys
from dataclasses import dataclass

SKIPPED = "the grader runs no shell commands and skips magics"
RUN_BODY = frozenset({"time", "timeit", "capture", "prun"})  # %%time: the body runs
QUIET = frozenset({"matplotlib", "load_ext", "autoreload", "config", "pinfo", "pinfo2"})
TIMEIT_VALUES = frozenset({"-n", "-r", "-p"})  # options of %timeit that take a value
TIMEIT_FLAGS = frozenset({"-t", "-c", "-q", "-o"})


def statement_of(line: str) -> str:
    """The statement of a ``%time``/``%timeit`` line, its leading options dropped:
    ``-n 3 -r 1 f()`` -> ``f()``."""
    words = line.split(" ")
    while words:
        word = words[0]
        if word == "":
            words.pop(0)
        elif word in TIMEIT_VALUES:
            del words[:2]
        elif word[:2] in TIMEIT_VALUES and word[2:].isdigit() or word in TIMEIT_FLAGS:
            words.pop(0)  # -n3
        else:
            break
    return " ".join(words)


@dataclass
class Grade:
    """What ``grade(...)`` gives a notebook here: ``ok`` and the points as a right answer's
    would be, so that a cell asserting them runs on as it would in Jupyter; they mean
    nothing: the grader grades every exercise after the cells ran, in its own process."""

    ok: bool = True
    text: str = ""
    points: float = 10.0
    max_points: float = 10.0
    name: str = ""

    def __str__(self) -> str:
        return self.text

    __repr__ = __str__


def grade(name: str, fn: object, seed: object = None) -> Grade:
    """The notebook's own ``grade`` cells, here: the grader grades after the cells ran."""
    return Grade(text=f"{name}: graded by python -m reference.grade", name=str(name))


class Shell:
    """``get_ipython()`` in the grader: the calls IPython's conversion of a notebook makes."""

    def __init__(self, namespace: dict) -> None:
        self.user_ns = namespace

    def _skip(self, what: str) -> None:
        print(f"({SKIPPED}: {what})", file=sys.stderr)

    def _run(self, source: str, first_line: int = 0) -> None:
        filename = sys._getframe(2).f_code.co_filename  # the cell that called the magic
        tree = ast.parse(source, filename)
        ast.increment_lineno(tree, first_line)
        exec(compile(tree, filename, "exec"), self.user_ns)

    def run_line_magic(self, name: str, line: str, _stack_depth: int = 1) -> None:
        if name in ("time", "timeit"):
            self._run(statement_of(line))
        elif name not in QUIET:
            self._skip(f"%{name} {line}"[:80])

    def run_cell_magic(self, name: str, line: str, cell: str) -> None:
        if name == "writefile":
            self._write(line, cell)
        elif name in RUN_BODY:
            setup = statement_of(line) if name == "timeit" else ""
            if setup.strip():
                self._run(setup)
            self._run(cell, 1)  # the body starts on the line after %%name
        else:
            self._skip(f"%%{name}")

    def _write(self, line: str, cell: str) -> None:
        """``%%writefile [-a] NAME``: the cell into NAME, as IPython writes it."""
        words = shlex.split(line)
        append = any(w in ("-a", "--append") for w in words)
        names = [w for w in words if w not in ("-a", "--append")]
        if len(names) != 1:
            raise SyntaxError(f"%%writefile takes one file name, got {line!r}")
        path = os.path.expanduser(names[0])
        print(f"{'Appending to' if append and os.path.exists(path) else 'Writing'} {path}")
        with open(path, "a" if append else "w", encoding="utf-8") as f:
            f.write(cell)

    def system(self, command: str) -> None:
        self._skip(f"!{command}"[:80])

    def getoutput(self, command: str) -> list:
        self._skip(f"!{command}"[:80])
        return []

    def magic(self, line: str) -> None:
        self._skip(f"%{line}"[:80])


def display(*values: object, **options: object) -> None:
    for value in values:
        print(repr(value))
