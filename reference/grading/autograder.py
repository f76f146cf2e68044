"""Gradescope: its results.json, and its autograder built in one command.

``gradescope(report)`` is the results format Gradescope reads (the total, one visible test
per exercise, and an output with the seed, what went wrong in the cells and the tail of
what the code printed); ``not_graded(reason)`` the same with a 0 and the reason.

``build(OUT.zip)`` (``python -m reference.grade --autograder OUT.zip``) writes the zip
Gradescope's "Configure Autograder" page takes: ``setup.sh`` (run once when the image is
built: Python 3.11, a CPU build of the pinned torch first, then requirements.txt and this
project), ``run_autograder`` (run for each submission: ``python -m
reference.grading.autograder``, which grades the one notebook or ``.py`` file in
``/autograder/submission/`` and writes ``/autograder/results/results.json``, a 0 with the
reason when it cannot be graded), and the project's source. ``AUTOGRADER_ROOT`` (default
``/autograder``) and ``AUTOGRADER_PYTHON`` let the tests run it in a folder of their own.
"""

import json
import os
import re
import secrets
import sys
import time
import zipfile
from pathlib import Path

from reference.grading.text import NOTE, printable

ROOT = Path(__file__).resolve().parents[2]
PRINTED = 2048  # characters of each stream the code printed, in what Gradescope shows
TORCH_INDEX = "https://download.pytorch.org/whl/cpu"
PACKAGES = ("scratch", "reference", "comparisons")
PROJECT_FILES = ("pyproject.toml", "requirements.txt", "README.md")
PREFERRED = ("09_exercises.ipynb", "09_exercises.py")  # the handed-out notebook's name


def gradescope(report: object) -> dict:
    """Gradescope's autograder results of a graded submission (``runner.Report``)."""
    lines = [f"{len(report.results)} exercises graded on cases drawn at grading time "
             f"(seed {report.seed}); your code ran in {report.isolation}."]
    lines += [f"Note: {printable(note, NOTE)}" for note in report.notes]
    for what, text in report.streams:
        lines += [f"What your code printed on {what}; its end:",
                  printable(text[-PRINTED:], None, lines=True)]
    return {"score": report.total, "execution_time": round(report.seconds, 2),
            "output": "\n".join(lines),
            "tests": [{"name": r["name"], "score": r["score"], "max_score": r["max_score"],
                       "output": printable(r["output"], NOTE), "visibility": "visible"}
                      for r in report.results]}


def not_graded(reason: str) -> dict:
    """The results of a submission that could not be graded: 0, and the reason."""
    from reference.grading.exercises import EXERCISES, POINTS

    reason = printable(reason, NOTE)
    return {"score": 0.0, "execution_time": 0.0, "output": f"Not graded: {reason}.",
            "tests": [{"name": name, "score": 0.0, "max_score": float(POINTS),
                       "output": f"{name}: not graded: {reason}.", "visibility": "visible"}
                      for name in EXERCISES]}


def write(path: Path, results: dict) -> None:
    """Write ``results`` at ``path`` whole or not at all (a link: the file it points to)."""
    target = Path(os.path.realpath(path))
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.partial")
    temporary.write_text(json.dumps(results, indent=1))
    temporary.replace(target)


# --- the autograder zip ---------------------------------------------------------------------

def _torch_pin() -> str:
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        if re.match(r"torch\s*==", line):
            return line.split("#")[0].strip().replace(" ", "")
    raise ValueError("requirements.txt pins no torch")


SETUP = """\
#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder's image (Ubuntu): Python
# 3.11 in a virtual environment, a CPU build of the pinned torch first (the default one is a
# CUDA build of several GB), then the pinned requirements and this project.
set -euo pipefail
cd /autograder/source
if ! command -v python3.11 >/dev/null; then
    apt-get update
    apt-get install -y python3.11 python3.11-venv || {{
        apt-get install -y software-properties-common
        add-apt-repository -y ppa:deadsnakes/ppa
        apt-get update
        apt-get install -y python3.11 python3.11-venv
    }}
fi
python3.11 -m venv /autograder/venv
/autograder/venv/bin/pip install --upgrade pip
/autograder/venv/bin/pip install {torch} --index-url {index}
/autograder/venv/bin/pip install -r requirements.txt
/autograder/venv/bin/pip install --no-deps -e .
"""

RUN = """\
#!/usr/bin/env bash
# Gradescope runs this for each submission: it grades the notebook (or .py file) in
# /autograder/submission/ and writes /autograder/results/results.json (a 0 with the reason
# when it cannot be graded). AUTOGRADER_ROOT and AUTOGRADER_PYTHON: for a test outside
# Gradescope.
root="${AUTOGRADER_ROOT:-/autograder}"
python="${AUTOGRADER_PYTHON:-/autograder/venv/bin/python}"
cd "$root/source"
exec "$python" -m reference.grading.autograder "$root"
"""


def _source_files() -> list[Path]:
    files = [ROOT / name for name in PROJECT_FILES]
    for package in PACKAGES:
        files += sorted(p for p in (ROOT / package).rglob("*") if p.is_file() and
                        "__pycache__" not in p.parts and p.suffix != ".pyc")
    return files


def build(out: Path) -> list[str]:
    """Write Gradescope's autograder zip at ``out``; the names of its two scripts and the
    number of the project's files."""
    scripts = {"setup.sh": SETUP.format(torch=_torch_pin(), index=TORCH_INDEX),
               "run_autograder": RUN}
    target = Path(os.path.realpath(out))
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.partial")
    files = _source_files()
    with zipfile.ZipFile(temporary, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in scripts.items():
            info = zipfile.ZipInfo(name, date_time=time.localtime()[:6])
            info.external_attr = 0o100755 << 16  # executable, as Gradescope runs them
            archive.writestr(info, text)
        for path in files:
            archive.write(path, path.relative_to(ROOT).as_posix())
    temporary.replace(target)
    return [*scripts, f"{len(files)} files of the project"]


# --- run_autograder ---------------------------------------------------------------------------

def _choose(folder: Path) -> Path | str:
    """The submission to grade in ``folder``, or why there is none to choose."""
    found = sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in
                   (".py", ".ipynb") and not any(part.startswith(".") for part in
                                                  p.relative_to(folder).parts))
    if len(found) == 1:
        return found[0]
    preferred = [p for p in found if p.name in PREFERRED]
    if len(preferred) == 1:
        return preferred[0]
    if not found:
        return "no notebook (.ipynb) or Python file (.py) was submitted"
    return ("upload one notebook or one .py file; found " +
            ", ".join(p.relative_to(folder).as_posix() for p in found[:6]))


def run(root: Path) -> int:
    """Grade ``root``/submission, write ``root``/results/results.json."""
    from reference.grading.exercises import EXERCISES
    from reference.grading.runner import grade_submission
    from reference.grading.submission import Ungradable, read

    out = root / "results" / "results.json"
    chosen = _choose(root / "submission")
    try:
        if isinstance(chosen, str):
            raise Ungradable(chosen)
        submission = read(chosen, list(EXERCISES))
    except Ungradable as why:
        write(out, not_graded(str(why).replace(str(root / "submission") + "/", "")))
        return 0
    report = grade_submission(submission, secrets.randbelow(2**31), 10.0)
    write(out, gradescope(report))
    print(f"{chosen.name}: {report.total:g} points; {out} written")
    return 0


if __name__ == "__main__":
    from reference.grading import processes

    processes.become_subreaper()
    try:
        status = run(Path(sys.argv[1] if len(sys.argv) > 1 else "/autograder"))
    finally:
        processes.stop_descendants()
    raise SystemExit(status)
