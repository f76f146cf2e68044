"""A class in one command: every submission in folders and files, graded one after another
or ``--jobs`` at a time, with a progress bar; one CSV row each, a results.json each, and a
summary with the time per submission.

A folder is searched with its sub-folders (one folder per student, as course sites export
them, or all files side by side) for ``.ipynb`` and ``.py`` files, hidden ones and
``.ipynb_checkpoints`` left out. A submission that cannot be graded is recorded with 0 and
the reason, in the CSV and in its JSON. No output is written over an input. Names and
reasons are shown printable (``text.py``): a file name that is not UTF-8 or holds escape
sequences cannot break the CSV or the terminal. With ``--jobs
N`` each worker process grades its submissions, one at a time, as the single command does
(a subreaper of its own, dying with the grader).
"""

import csv
import io
import os
import signal
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from multiprocessing import get_context
from pathlib import Path

from reference.grading import autograder, processes
from reference.grading.child import Limits
from reference.grading.exercises import EXERCISES, POINTS
from reference.grading.text import NOTE, file_name, printable

PROG = "python -m reference.grade"
SKIPPED = ("__pycache__", ".ipynb_checkpoints")


def find(inputs: list[Path]) -> list[tuple[str, Path]]:
    """(name, path) of every submission: a file as given, a folder's ``.ipynb`` and ``.py``
    files named by their path inside it (with the folder's name when several are given)."""
    found = []
    folders = [p for p in inputs if p.is_dir()]
    for given in inputs:
        if not given.is_dir():
            found.append((given.name, given))
            continue
        for path in sorted(given.rglob("*")):
            inside = path.relative_to(given).parts
            if path.is_file() and path.suffix.lower() in (".py", ".ipynb") and not any(
                    part.startswith(".") or part in SKIPPED for part in inside):
                name = "/".join(inside)
                found.append((f"{given.name}/{name}" if len(folders) > 1 else name, path))
    seen: dict[str, int] = {}
    unique = []
    for name, path in found:  # the same name twice (two folders of one name): numbered
        seen[name] = seen.get(name, 0) + 1
        unique.append((name if seen[name] == 1 else f"{name} ({seen[name]})", path))
    return unique


def json_names(names: list[str]) -> dict[str, str]:
    """name -> its JSON's file name: ``alice.json``, or ``alice.ipynb.json`` when a
    ``alice.py`` is there too; a sub-folder's ``/`` becomes ``__``."""
    flat = {name: name.replace("/", "__").replace(" ", "_") for name in names}
    stems: dict[str, int] = {}
    for name in names:
        stem = flat[name].rsplit(".", 1)[0]
        stems[stem] = stems.get(stem, 0) + 1
    return {name: (flat[name].rsplit(".", 1)[0] if stems[flat[name].rsplit(".", 1)[0]] == 1
                   else flat[name]) + ".json" for name in names}


def grade_one(path: str, seed: int, timeout: float, denied: tuple) -> dict:
    """One submission's row: status ("graded", "not graded" or "error"), the reason, the
    results per exercise, its Gradescope JSON and its time. Runs in a worker too."""
    from reference.grading.runner import grade_submission
    from reference.grading.submission import Ungradable, read

    start = time.monotonic()
    try:
        submission = read(Path(path), list(EXERCISES))
        report = grade_submission(submission, seed, timeout, Limits(denied_paths=denied))
    except Ungradable as why:
        return {"status": "not graded", "reason": str(why), "scores": {},
                "json": autograder.not_graded(str(why)), "seconds": time.monotonic() - start}
    except Exception as error:  # noqa: BLE001 - the grader's own failure, said and counted
        reason = f"the grader failed: {type(error).__name__}: {error}"[:400]
        return {"status": "error", "reason": reason, "scores": {},
                "json": autograder.not_graded(reason), "seconds": time.monotonic() - start}
    return {"status": "graded", "reason": "", "seconds": report.seconds,
            "scores": {r["name"]: r["score"] for r in report.results},
            "json": autograder.gradescope(report)}


def _worker() -> None:
    processes.become_subreaper()
    processes.die_with_parent()

    def stop(signum: int, frame: object) -> None:
        processes.stop_descendants()
        os._exit(128 + signum)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the grader itself stops everything


def _check_outputs(found: list[tuple[str, Path]], json_dir: Path | None
                   ) -> dict[str, Path] | str:
    """name -> JSON path, or why one would overwrite a submission."""
    if json_dir is None:
        return {}
    targets = {name: json_dir / file for name, file in
               json_names([n for n, _ in found]).items()}
    inputs = {os.path.realpath(p) for _, p in found}
    for name, target in targets.items():
        if os.path.realpath(target) in inputs:
            return f"--json-dir {json_dir}: {target.name} would overwrite a submission"
    return targets


def _csv(rows: list[tuple[str, dict]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["submission", *EXERCISES, "total", "max", "status", "reason", "seconds"])
    for name, row in rows:
        scores = [f"{row['scores'].get(e, 0.0):g}" for e in EXERCISES]
        writer.writerow([file_name(name, None), *scores, f"{sum(row['scores'].values()):g}",
                         f"{POINTS * len(EXERCISES):g}", row["status"],
                         printable(row["reason"], NOTE), f"{row['seconds']:.1f}"])
    return out.getvalue()


def _summary(rows: list[tuple[str, dict]], seconds: float, jobs: int, seed: int) -> str:
    times = [row["seconds"] for _, row in rows]
    graded = sum(row["status"] == "graded" for _, row in rows)
    slowest = max(rows, key=lambda r: r[1]["seconds"])
    minutes, rest = divmod(seconds, 60)
    return (f"{len(rows)} submissions: {graded} graded, {len(rows) - graded} not graded; "
            f"{statistics.mean(times):.1f} s per submission (median "
            f"{statistics.median(times):.1f} s, the slowest {slowest[1]['seconds']:.1f} s: "
            f"{file_name(slowest[0])}); {int(minutes)} min {rest:.0f} s in all with {jobs} "
            f"job{'s' if jobs > 1 else ''}; cases drawn from --seed {seed}")


def grade_class(inputs: list[Path], seed: int, timeout: float, jobs: int,
                csv_path: Path | None, json_dir: Path | None) -> int:
    """Grade every submission found in ``inputs``; 0 when each was graded or recorded."""
    from tqdm import tqdm

    found = find(inputs)
    if not found:
        print(f"{PROG}: no .ipynb or .py file in {', '.join(map(str, inputs))}",
              file=sys.stderr)
        return 2
    targets = _check_outputs(found, json_dir)
    if isinstance(targets, str):
        print(f"{PROG}: error: {targets}", file=sys.stderr)
        return 2
    denied = tuple(str(p) for p in inputs)  # no submission reads another's
    start, rows = time.monotonic(), {}
    bar = tqdm(total=len(found), unit="submission", file=sys.stderr, disable=None)
    if jobs == 1:
        for name, path in found:
            bar.set_postfix_str(file_name(name)[-30:])
            rows[name] = grade_one(str(path), seed, timeout, denied)
            bar.update()
    else:
        with ProcessPoolExecutor(jobs, mp_context=get_context("spawn"),
                                 initializer=_worker) as pool:
            futures = {pool.submit(grade_one, str(path), seed, timeout, denied): name
                       for name, path in found}
            for future in as_completed(futures):
                rows[futures[future]] = future.result()
                bar.update()
    bar.close()
    ordered = [(name, rows[name]) for name, _ in found]
    for name, row in ordered:
        if targets:
            autograder.write(targets[name], row["json"])
        total = sum(row["scores"].values())
        print(f"{file_name(name, None)}  " + (
            f"{total:g}/{POINTS * len(EXERCISES):g}  ({row['seconds']:.1f} s)"
            if row["status"] == "graded" else
            f"0/{POINTS * len(EXERCISES):g}  {row['status']}: {printable(row['reason'], NOTE)}"))
    if csv_path is not None:
        target = Path(os.path.realpath(csv_path))
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_name(f".{target.name}.{os.getpid()}.partial")
        temporary.write_text(_csv(ordered), encoding="utf-8")
        temporary.replace(target)
    print(_summary(ordered, time.monotonic() - start, jobs, seed))
    return 1 if any(row["status"] == "error" for _, row in ordered) else 0
