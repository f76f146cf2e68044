"""``python -m reference.grade SUBMISSION... [--json PATH] [--csv PATH] [--json-dir DIR]
[--jobs N] [--seed N] [--timeout SECONDS]``, and ``python -m reference.grade --autograder
OUT.zip``.

One submission (a ``.ipynb`` notebook or a ``.py`` file defining some or all of the
exercises of ``notebooks/09_exercises``): one line per exercise (its points, and the verdict,
the mistake named when the grader knows it), the total, then what went wrong in its cells;
``--json`` writes Gradescope's results.json. A class (a folder, or several files): one row
per submission in ``--csv``, a results.json each in ``--json-dir``, a progress bar and a
summary. ``--autograder`` writes Gradescope's autograder zip. The students' code never runs
in this process: see ``runner.py``.

Exit status: 0 when every submission was graded or recorded, whatever its score; 2, with
one line, for wrong options and for a single submission that cannot be graded at all (its
JSON, score 0 and the reason, is still written); 1 when the grader itself failed on one.
"""

import argparse
import os
import secrets
import signal
import sys
from pathlib import Path
from typing import NoReturn

PROG = "python -m reference.grade"


class _Parser(argparse.ArgumentParser):
    """argparse's parser, its errors in one line (as the comparisons commands say them)."""

    def error(self, message: str) -> NoReturn:
        print(f"{self.prog}: error: {message} (see {self.prog} --help)", file=sys.stderr)
        raise SystemExit(2)


def _parser() -> _Parser:
    parser = _Parser(prog=PROG, description=__doc__.split("\n\n")[1].replace("\n", " "))
    parser.add_argument("submissions", nargs="*", metavar="SUBMISSION",
                        help="a .ipynb notebook or a .py file, or a folder of them (searched "
                             "with its sub-folders)")
    parser.add_argument("--json", metavar="PATH", type=Path,
                        help="one submission: write Gradescope's results.json there")
    parser.add_argument("--csv", metavar="PATH", type=Path,
                        help="a class: one row per submission (its points per exercise, its "
                             "total, or 0 and the reason it could not be graded)")
    parser.add_argument("--json-dir", metavar="DIR", type=Path,
                        help="a class: a results.json per submission in DIR")
    parser.add_argument("--jobs", type=int, default=1,
                        help="submissions graded at once (a class; default 1)")
    parser.add_argument("--seed", type=int, default=None,
                        help="draws the cases (default: drawn now, and printed; a correct "
                             "answer passes for every seed)")
    parser.add_argument("--timeout", type=float, default=10.0,
                        help="seconds each exercise's calls of the student's function may "
                             "take (default 10)")
    parser.add_argument("--autograder", metavar="OUT.zip", type=Path,
                        help="write Gradescope's autograder (setup.sh, run_autograder and "
                             "this project) to OUT.zip, and grade nothing")
    return parser


def _writable(path: Path) -> str | None:
    """Why a file cannot be written at ``path``, or None: only a regular file (new, or
    replaced) in a folder that exists or can be made; a link is written through."""
    target = Path(os.path.realpath(path))
    if target.exists() and not target.is_file():
        return ("is a folder; give a file path" if target.is_dir() else
                "is not a regular file (a FIFO, a device, a terminal); give a file path")
    for parent in target.parents:
        if parent.exists():
            return None if parent.is_dir() else f"cannot be made: {parent} is a file"
    return None


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.autograder is not None:
        if args.submissions or args.csv or args.json or args.json_dir:
            parser.error("--autograder writes the autograder and grades nothing: give it "
                         "alone")
        problem = _writable(args.autograder)
        if problem:
            parser.error(f"--autograder {args.autograder} {problem}")
        return args
    if not args.submissions:
        parser.error("give a submission (a .ipynb or .py file, or a folder of them)")
    if not 0 < args.timeout <= 600:
        parser.error("--timeout must be more than 0 and at most 600 seconds")
    if args.seed is not None and not 0 <= args.seed < 2**31:
        parser.error("--seed must be from 0 to 2^31 - 1")
    if not 1 <= args.jobs <= 64:
        parser.error("--jobs must be from 1 to 64")
    args.inputs = [Path(os.path.abspath(p)) for p in args.submissions]  # from here, any cwd
    args.single = len(args.inputs) == 1 and not args.inputs[0].is_dir() and \
        args.csv is None and args.json_dir is None
    if args.json is not None and not args.single:
        parser.error("--json is for one submission; a class takes --json-dir DIR")
    if args.json_dir is not None and args.json_dir.exists() and not args.json_dir.is_dir():
        parser.error(f"--json-dir {args.json_dir} is not a folder")
    for option, path in (("--json", args.json), ("--csv", args.csv)):
        if path is None:
            continue
        problem = _writable(path) or _an_input(path, args.inputs)
        if problem:
            parser.error(f"{option} {path} {problem}")
    return args


def _an_input(path: Path, inputs: list[Path]) -> str | None:
    """"is ..." when writing ``path`` would overwrite one of the inputs."""
    target = os.path.realpath(path)
    for given in inputs:
        real = os.path.realpath(given)
        if target == real or (os.path.isdir(real) and target.startswith(real + os.sep) and
                              Path(target).suffix.lower() in (".py", ".ipynb")):
            return f"is one of the submissions ({given}); write the results elsewhere"
    return None


def _stop_everything(signum: int, frame: object) -> None:
    """SIGINT or SIGTERM: no process the submissions started is left, then exit."""
    from reference.grading import processes

    signal.signal(signum, signal.SIG_DFL)
    processes.stop_descendants()
    print(f"{PROG}: stopped by {signal.Signals(signum).name}; no process left",
          file=sys.stderr)
    os._exit(128 + signum)


def _single(args: argparse.Namespace, seed: int) -> int:
    from reference.grading import autograder
    from reference.grading.child import Limits
    from reference.grading.exercises import EXERCISES
    from reference.grading.runner import grade_submission
    from reference.grading.submission import Ungradable, read
    from reference.grading.text import NOTE, printable

    path = args.inputs[0]
    try:
        submission = read(path, list(EXERCISES))
    except Ungradable as why:
        print(f"{PROG}: cannot grade {printable(why, NOTE)}", file=sys.stderr)
        if args.json is not None:
            autograder.write(args.json, autograder.not_graded(str(why)))
        return 2
    try:
        report = grade_submission(submission, seed, args.timeout,
                                  Limits(denied_paths=(str(path.parent),)))  # its neighbours
    except RuntimeError as error:  # the grader's own sandbox did not start
        print(f"{PROG}: {str(error).splitlines()[0]}", file=sys.stderr)
        return 1
    width = max(len(r["name"]) for r in report.results)
    for r in report.results:
        verdict = r["output"].split(": ", 1)[1] if ": " in r["output"] else r["output"]
        print(f"{r['name']:<{width}}  {r['score']:>4g}/{r['max_score']:g}  "
              f"{printable(verdict, NOTE)}")
    most = sum(r["max_score"] for r in report.results)
    print(f"{'total':<{width}}  {report.total:>4g}/{most:g}  (cases drawn from --seed {seed})")
    for note in report.notes:
        print(f"note: {printable(note, NOTE)}")
    if args.json is not None:
        autograder.write(args.json, autograder.gradescope(report))
    return 0


def main(argv: list[str] | None = None) -> int:
    """The command's work (a library call: the caller's process is left as it was, but for
    being a child subreaper; ``command`` is the command itself)."""
    args = _arguments(argv)
    if args.autograder is not None:
        from reference.grading import autograder

        written = autograder.build(args.autograder)
        print(f"{args.autograder}: Gradescope's autograder ({', '.join(written)}); upload it "
              "as a zip file in the assignment's Configure Autograder page")
        return 0
    seed = secrets.randbelow(2**31) if args.seed is None else args.seed
    if args.single:
        return _single(args, seed)
    from reference.grading.classroom import grade_class

    return grade_class(args.inputs, seed, args.timeout, args.jobs, args.csv, args.json_dir)


def command(argv: list[str] | None = None) -> int:
    """``python -m reference.grade``: ``main`` in a process that is the grader's own, so
    that on SIGINT, SIGTERM and at its end every process below it is stopped (a child
    subreaper, so that orphans stay below it)."""
    from reference.grading import processes

    processes.become_subreaper()
    for s in (signal.SIGINT, signal.SIGTERM):
        signal.signal(s, _stop_everything)
    try:
        return main(argv)
    finally:
        processes.stop_descendants()
