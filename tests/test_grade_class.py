"""A class in one command (a folder of 30 ``.py`` and ``.ipynb`` submissions, some broken:
one CSV row each, a Gradescope JSON each, a summary; file names of any bytes), and
Gradescope's autograder built in one command, its ``run_autograder`` run in a fake
``/autograder`` tree."""

import csv
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import jsonschema
import pytest

from reference.grading import cli
from reference.grading.classroom import find, json_names
from reference.grading.exercises import EXERCISES, POINTS
from tests.folders import snapshot
from tests.gallery.hostile_submissions import ATTACKS
from tests.gallery.model_answers import SUBMISSION
from tests.gallery.student_answers import SUBMISSIONS
from tests.test_grade_cli import GRADESCOPE, _notebook, _py
from tests.test_grade_isolation import write

ROOT = Path(__file__).resolve().parents[1]


def _class(folder: Path) -> dict[str, tuple[float, str]]:
    """A folder of 30 submissions; name -> (expected total, expected status)."""
    expected = {}
    for name, entry in SUBMISSIONS.items():  # 9 files, 9 notebooks
        _py(folder, name)
        expected[f"{name}.py"] = (POINTS * len(entry["expected_full"]), "graded")
        (folder / "notebooks").mkdir(exist_ok=True)
        _notebook(folder / "notebooks", entry["answers"], name)
        expected[f"notebooks/{name}.ipynb"] = (POINTS * len(entry["expected_full"]), "graded")
    for name in ("forged_results_then_exit", "borrows_the_projects_layers",
                 "uses_torch_autograd", "kills_the_grader", "forges_the_channel"):
        kind = "ipynb" if name == "kills_the_grader" else "py"
        write(folder, name, ATTACKS[name]["cells"], kind)
        expected[f"{name}.{kind}"] = (POINTS * len(ATTACKS[name]["earned"]), "graded")
    (folder / "carol").mkdir()
    (folder / "carol" / "09_exercises.py").write_text(SUBMISSION)  # a folder per student
    expected["carol/09_exercises.py"] = (90.0, "graded")
    (folder / "dave.py").write_bytes(b"\xef\xbb\xbf" + SUBMISSION.replace("\n", "\r\n")
                                     .encode())
    expected["dave.py"] = (90.0, "graded")
    for name, text, why in (("syntax.py", "def f(:\n", "a syntax error at line 1"),
                            ("empty.py", "", ""),
                            ("broken.ipynb", "{not json", "not a readable notebook"),
                            ("nulls.py", "x = 1\0", "not a Python file"),
                            ("erin.ipynb", json.dumps({"cells": 3}), "no cells")):
        (folder / name).write_text(text)
        expected[name] = (0.0, "graded" if not why else "not graded")
    (folder / "notes.txt").write_text("not a submission")
    (folder / ".ipynb_checkpoints").mkdir()
    (folder / ".ipynb_checkpoints" / "alice-checkpoint.ipynb").write_text("{}")
    assert len(expected) == 30
    return expected


@pytest.mark.slow  # grades a class of 30 in sandboxed processes: 16 s
def test_a_class_of_30_is_graded_in_one_command(tmp_path, capsys):
    folder = tmp_path / "submissions"
    folder.mkdir()
    expected = _class(folder)
    before = snapshot(folder)
    grades, results = tmp_path / "grades.csv", tmp_path / "json"
    status = cli.main([str(folder), "--csv", str(grades), "--json-dir", str(results),
                       "--jobs", "2", "--seed", "3", "--timeout", "3"])
    out = capsys.readouterr().out
    assert status == 0, out
    rows = list(csv.DictReader(grades.open()))
    assert [r["submission"] for r in rows] == sorted(expected)  # one row each, in order
    for row in rows:
        total, state = expected[row["submission"]]
        assert (float(row["total"]), row["status"]) == (total, state), row
        assert float(row["total"]) == sum(float(row[e]) for e in EXERCISES)
        assert row["max"] == "90" and (row["reason"] != "") == (state == "not graded")
    names = json_names(list(expected))
    for name in expected:
        report = json.loads((results / names[name]).read_text())
        jsonschema.validate(report, GRADESCOPE)
        assert report["score"] == expected[name][0]
    assert snapshot(folder) == before
    summary = out.strip().splitlines()[-1]
    assert summary.startswith("30 submissions: 26 graded, 4 not graded; ")
    assert "s per submission" in summary and "with 2 jobs; cases drawn from --seed 3" in summary


def test_the_folder_is_searched_for_submissions_and_their_jsons_never_collide(tmp_path):
    for name in ("alice.py", "alice.ipynb", "bob/09_exercises.ipynb", ".hidden/x.py",
                 "bob/.ipynb_checkpoints/09_exercises-checkpoint.ipynb", "__pycache__/a.py",
                 "notes.md"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("")
    found = [name for name, _ in find([tmp_path])]
    assert found == ["alice.ipynb", "alice.py", "bob/09_exercises.ipynb"]
    assert json_names(found) == {"alice.ipynb": "alice.ipynb.json",
                                 "alice.py": "alice.py.json",
                                 "bob/09_exercises.ipynb": "bob__09_exercises.json"}


def test_file_names_not_utf8_or_with_escapes_are_written_printable(tmp_path, capsys):
    """A file name is the student's too: one that is not UTF-8 (kept by Linux as bytes) or
    holds terminal escapes is graded, and shown with those bytes escaped, in the CSV and on
    the terminal."""
    folder = tmp_path / "submissions"
    folder.mkdir()
    for name in (b"bad\xff\xfe.py", b"\x1b[2K\rmallory.py", b"alice.py"):
        (folder / os.fsdecode(name)).write_text(SUBMISSION)
    grades = tmp_path / "grades.csv"
    assert cli.main([str(folder), "--csv", str(grades), "--seed", "1"]) == 0
    out = capsys.readouterr().out
    text = grades.read_text(encoding="utf-8")  # UTF-8, whatever the names
    rows = {r["submission"]: r for r in csv.DictReader(text.splitlines())}
    assert set(rows) == {"bad\\xff\\xfe.py", "\\x1b[2K\\x0dmallory.py", "alice.py"}
    assert all(r["total"] == "90" for r in rows.values())
    assert "\x1b" not in out + text and "\r" not in out + text
    assert "bad\\xff\\xfe.py  90/90" in out


def test_no_output_is_written_over_a_submission(tmp_path, capsys):
    source = _py(tmp_path, "partial")
    with pytest.raises(SystemExit):
        cli.main([str(tmp_path), "--csv", str(source)])
    assert "is one of the submissions" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        cli.main([str(source), "--json-dir", str(source)])
    assert "is not a folder" in capsys.readouterr().err
    assert source.read_text().startswith("import numpy")


# --- Gradescope's autograder -----------------------------------------------------------------

@pytest.fixture(scope="module")
def autograder(tmp_path_factory):
    """The autograder zip, built by the command and unpacked as Gradescope does."""
    folder = tmp_path_factory.mktemp("autograder")
    assert cli.main(["--autograder", str(folder / "autograder.zip")]) == 0
    with zipfile.ZipFile(folder / "autograder.zip") as archive:
        archive.extractall(folder / "source")
        modes = {i.filename: i.external_attr >> 16 for i in archive.infolist()}
    assert modes["setup.sh"] & 0o111 and modes["run_autograder"] & 0o111
    for script in ("setup.sh", "run_autograder"):
        (folder / "source" / script).chmod(0o755)
    return folder


def test_the_autograder_zip_holds_the_scripts_and_the_project(autograder):
    source = autograder / "source"
    setup = (source / "setup.sh").read_text()
    assert ("pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu"
            in setup)
    assert setup.index("torch==2.13.0") < setup.index("pip install -r requirements.txt")
    assert "python3.11 -m venv" in setup
    for script in ("setup.sh", "run_autograder"):
        assert subprocess.run(["bash", "-n", str(source / script)]).returncode == 0
    assert (source / "requirements.txt").read_text() == (ROOT / "requirements.txt").read_text()
    assert (source / "reference" / "grading" / "sandbox" / "main.py").exists()
    assert not list(source.rglob("__pycache__")) and not (source / "tests").exists()


def _run_autograder(autograder: Path, tree: Path, files: dict[str, str]) -> dict:
    """run_autograder in a fake /autograder tree: source, submission/, results/."""
    shutil.copytree(autograder / "source", tree / "source", symlinks=True)
    (tree / "submission").mkdir()
    for name, text in files.items():
        (tree / "submission" / name).write_text(text)
    done = subprocess.run(["bash", str(tree / "source" / "run_autograder")],
                          env={**os.environ, "AUTOGRADER_ROOT": str(tree),
                               "AUTOGRADER_PYTHON": sys.executable},
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    results = json.loads((tree / "results" / "results.json").read_text())
    jsonschema.validate(results, GRADESCOPE)
    return results


@pytest.mark.slow  # builds the autograder and grades in a fake tree: 4 s
def test_run_autograder_grades_the_submission_in_a_fake_tree(autograder, tmp_path):
    results = _run_autograder(autograder, tmp_path, {"09_exercises.py": SUBMISSION})
    assert results["score"] == 90 and len(results["tests"]) == len(EXERCISES)
    assert "seed" in results["output"] and "Landlock" in results["output"]


@pytest.mark.slow  # builds the autograder and grades in a fake tree: 3 s each
@pytest.mark.parametrize("files,words", [
    ({}, "no notebook (.ipynb) or Python file (.py) was submitted"),
    ({"a.py": SUBMISSION, "b.py": SUBMISSION}, "upload one notebook or one .py file"),
    ({"alice.py": "def f(:\n"}, "a syntax error at line 1"),
])
def test_run_autograder_gives_0_and_the_reason_when_it_cannot_grade(autograder, tmp_path,
                                                                    files, words):
    results = _run_autograder(autograder, tmp_path, files)
    assert results["score"] == 0 and words in results["output"]
    assert all(words in t["output"] for t in results["tests"])
