"""``python -m reference.grade SUBMISSION [--json PATH] [--seed N] [--timeout SECONDS]``.

Grades a submission (a ``.ipynb`` notebook or a ``.py`` file defining some or all of the
exercises of ``notebooks/09_exercises``) on cases drawn now, prints one line per exercise
(its points out of the maximum, and the verdict, the mistake named when it is one the
grader knows) and the total, and with ``--json`` writes Gradescope's autograder results.
Exit status 0 when the submission was graded, whatever its score; 2, with one line, when it
cannot be graded at all (a missing file, neither a notebook nor a Python file, a syntax
error in a ``.py``).
"""

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import NoReturn

PROG = "python -m reference.grade"


class _Parser(argparse.ArgumentParser):
    """argparse's parser, its errors in one line (as the comparisons commands say them)."""

    def error(self, message: str) -> NoReturn:
        print(f"{self.prog}: error: {message} (see {self.prog} --help)", file=sys.stderr)
        raise SystemExit(2)


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = _Parser(prog=PROG, description=__doc__.split("\n\n")[0])
    parser.add_argument("submission", help="a .ipynb notebook or a .py file")
    parser.add_argument("--json", metavar="PATH", type=Path,
                        help="write Gradescope's results.json there (only when graded)")
    parser.add_argument("--seed", type=int, default=0,
                        help="draws the cases (a correct answer passes for every seed)")
    parser.add_argument("--timeout", type=float, default=10.0,
                        help="seconds each exercise's grading may take (the student's calls)")
    args = parser.parse_args(argv)
    if not 0 < args.timeout <= 600:
        parser.error("--timeout must be more than 0 and at most 600 seconds")
    if not 0 <= args.seed < 2**31:
        parser.error("--seed must be from 0 to 2^31 - 1")
    if args.json is not None:
        problem = _json_problem(args.json)
        if problem:
            parser.error(f"--json {args.json} {problem}")
    return args


def _json_problem(path: Path) -> str | None:
    """Why results cannot be written at ``path``, or None: only a regular file (new, or
    replaced) in a folder that exists or can be made; a link is written through."""
    target = Path(os.path.realpath(path))
    if target.exists() and not target.is_file():
        return ("is a folder; give a file path" if target.is_dir() else
                "is not a regular file (a FIFO, a device, a terminal); give a file path")
    for parent in target.parents:
        if parent.exists():
            return None if parent.is_dir() else f"cannot be made: {parent} is a file"
    return None


def gradescope(results: list[dict], seconds: float) -> dict:
    """Gradescope's autograder results: the total, one test per exercise, visible."""
    return {"score": sum(r["score"] for r in results), "execution_time": round(seconds, 2),
            "output": f"{len(results)} exercises graded on cases drawn at grading time.",
            "tests": [{"name": r["name"], "score": r["score"], "max_score": r["max_score"],
                       "output": r["output"], "visibility": "visible"} for r in results]}


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    from reference.grading.submission import Ungradable, grade_submission

    start = time.perf_counter()
    try:
        results = grade_submission(Path(args.submission), args.seed, args.timeout)
    except Ungradable as why:
        print(f"{PROG}: cannot grade {why}", file=sys.stderr)
        return 2
    width = max(len(r["name"]) for r in results)
    for r in results:
        verdict = r["output"].split(": ", 1)[1] if ": " in r["output"] else r["output"]
        print(f"{r['name']:<{width}}  {r['score']:>4g}/{r['max_score']:g}  {verdict}")
    total, most = sum(r["score"] for r in results), sum(r["max_score"] for r in results)
    print(f"{'total':<{width}}  {total:>4g}/{most:g}")
    if args.json is not None:
        target = Path(os.path.realpath(args.json))  # a link: the file it points to
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_name(target.name + ".partial")
        temporary.write_text(json.dumps(gradescope(results, time.perf_counter() - start),
                                        indent=1))
        temporary.replace(target)
    return 0
