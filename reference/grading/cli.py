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
import sys
import time
from pathlib import Path

PROG = "python -m reference.grade"


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__.split("\n\n")[0])
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
    if args.json is not None and args.json.is_dir():
        parser.error(f"--json {args.json} is a folder; give a file path")
    return args


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
        args.json.parent.mkdir(parents=True, exist_ok=True)
        temporary = args.json.with_name(args.json.name + ".partial")
        temporary.write_text(json.dumps(gradescope(results, time.perf_counter() - start),
                                        indent=1))
        temporary.replace(args.json)
    return 0
