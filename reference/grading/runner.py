"""Grading the exercise functions a submission defined, each within a time limit.

Runs where the student's code runs (a fresh Python process for a ``.py`` file, the fresh
Jupyter kernel that executed a notebook). Each exercise's calls to the student's function
run under a SIGALRM timer (``_Budget``), so an infinite loop costs that exercise and nothing
else, and the grader's own work (its references, torch's lazy imports in their first use)
is never counted against the student. The results go back as one JSON line on stdout, after
``MARK``.
"""

import json
import signal
import sys
import time
from collections.abc import Callable

from reference.grading.exercises import EXERCISES, POINTS, grade

MARK = "@@grading-results@@"


class _Timeout(BaseException):
    """Raised in the student's code when its time is up (a BaseException, so that a bare
    ``except Exception`` in the student's code cannot swallow it)."""


def _alarm(signum: int, frame: object) -> None:
    raise _Timeout


class _Budget:
    """The student's function on a time budget: the alarm runs only while the function does,
    and each call spends from what is left, so the grader's own references are never counted
    (``--timeout`` is the student's time, on a busy machine too)."""

    def __init__(self, fn: Callable, seconds: float) -> None:
        self.fn, self.left = fn, seconds

    def __call__(self, *args: object, **kwargs: object) -> object:
        if self.left <= 0:
            raise _Timeout
        signal.setitimer(signal.ITIMER_REAL, self.left)
        start = time.perf_counter()
        try:
            return self.fn(*args, **kwargs)
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            self.left -= time.perf_counter() - start


def grade_namespace(namespace: dict, seed: int, timeout: float,
                    reasons: dict[str, str] | None = None) -> list[dict]:
    """One result per exercise: name, score, max_score, output, execution_time.
    ``reasons``: why an exercise may be missing (a cell or a line that raised before it)."""
    results = []
    previous = signal.signal(signal.SIGALRM, _alarm)
    try:
        for index, name in enumerate(EXERCISES):
            fn = namespace.get(name)
            start = time.perf_counter()
            if not callable(fn):
                why = (reasons or {}).get(name, "it is not defined")
                results.append({"name": name, "score": 0.0, "max_score": float(POINTS),
                                "output": f"{name}: not attempted ({why}).",
                                "execution_time": 0.0})
                continue
            try:
                verdict = grade(name, _Budget(fn, timeout), seed=seed * 1000 + index)
                score, output = verdict.points, verdict.text
            except _Timeout:
                score, output = 0.0, (f"{name}: NOT OK: its calls ran past the time limit "
                                      f"of {timeout:g} s (an infinite loop?).")
            if name in (reasons or {}):
                output += f" (note: {reasons[name]})"
            results.append({"name": name, "score": float(score), "max_score": float(POINTS),
                            "output": output,
                            "execution_time": round(time.perf_counter() - start, 3)})
    finally:
        signal.signal(signal.SIGALRM, previous)
    return results


def report(results: list[dict], write: Callable[[str], object] = sys.stdout.write) -> None:
    """The results as one marked JSON line (for the process that runs the grading)."""
    write(MARK + json.dumps(results) + "\n")
