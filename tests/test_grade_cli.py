"""``python -m reference.grade``: whole submissions (``.py`` files and ``.ipynb`` notebooks
assembled from the blind gallery of ``tests/gallery/student_answers.py``) get the marks their
answers deserve; a loop, a raise or a broken cell costs only its exercise; what cannot be
graded exits 2 with one line and still gets its JSON (0 and the reason); the Gradescope
results validate against its format; no output is written over a submission."""

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import jsonschema
import jupytext
import nbformat
import numpy as np
import pytest

from reference.grading import cli, runner, submission
from reference.grading.exercises import EXERCISES, POINTS
from tests.gallery.student_answers import ANSWERS, SUBMISSIONS

ROOT = Path(__file__).resolve().parents[1]
BY_NAME = {a["name"]: a for a in ANSWERS}

# Gradescope's autograder results (https://gradescope-autograders.readthedocs.io, "Output
# format"): the keys it reads, and no others, so that a misspelt key fails here.
GRADESCOPE = {
    "type": "object", "additionalProperties": False, "required": ["score", "tests"],
    "properties": {
        "score": {"type": "number", "minimum": 0}, "execution_time": {"type": "number"},
        "output": {"type": "string"}, "visibility": {"enum": ["visible", "hidden",
                                                               "after_due_date",
                                                               "after_published"]},
        "tests": {"type": "array", "items": {
            "type": "object", "additionalProperties": False,
            "required": ["name", "score", "max_score", "output"],
            "properties": {"name": {"type": "string"}, "score": {"type": "number"},
                           "max_score": {"type": "number"}, "output": {"type": "string"},
                           "visibility": {"enum": ["visible", "hidden", "after_due_date",
                                                   "after_published"]}}}}}}


def _source(names: list[str]) -> str:
    return "\n\n".join(BY_NAME[n]["source"] for n in names)


def _py(tmp_path: Path, submission_name: str) -> Path:
    path = tmp_path / f"{submission_name}.py"
    path.write_text(_source(SUBMISSIONS[submission_name]["answers"]))
    return path


def _notebook(tmp_path: Path, names: list[str], name: str = "alice") -> Path:
    """The handed-out notebook with each exercise's cell replaced by an answer's source."""
    notebook = jupytext.read(ROOT / "notebooks" / "09_exercises.py")
    answers = {BY_NAME[n]["exercise"]: BY_NAME[n]["source"] for n in names}
    for cell in notebook.cells:
        match = re.search(r"^def (\w+)\(", cell.source, re.M)
        if cell.cell_type == "code" and match and match.group(1) in answers:
            cell.source = answers[match.group(1)]
            if match.group(1) == "dropout_forward" and "dropout_backward" in answers:
                cell.source += "\n\n" + answers["dropout_backward"]
    path = tmp_path / f"{name}.ipynb"
    nbformat.write(notebook, path)
    return path


def grade(path: Path, seed: int = 0, timeout: float = 5.0) -> runner.Report:
    return runner.grade_submission(submission.read(path, list(EXERCISES)), seed, timeout)


def _scores(report: runner.Report) -> dict[str, float]:
    return {r["name"]: r["score"] for r in report.results}


@pytest.mark.parametrize("name", sorted(SUBMISSIONS))
@pytest.mark.slow  # grades submissions in sandboxed processes: 3 s at most, 6 s for its 9
def test_a_python_submission_gets_full_marks_exactly_where_deserved(name, tmp_path):
    report = grade(_py(tmp_path, name), seed=3, timeout=3)
    assert [r["name"] for r in report.results] == list(EXERCISES)
    full = set(SUBMISSIONS[name]["expected_full"])
    assert _scores(report) == {e: (POINTS if e in full else 0.0) for e in EXERCISES}
    answered = {BY_NAME[n]["exercise"] for n in SUBMISSIONS[name]["answers"]}
    for r in report.results:
        if r["name"] not in answered:
            assert "not attempted" in r["output"]
    if name == "with_infinite_loop":  # the loop costs its exercise only, and says so
        adam = next(r for r in report.results if r["name"] == "adam_step")
        assert "ran past the time limit of 3 s" in adam["output"]


def test_a_line_that_raises_at_the_top_costs_what_follows_and_says_where(tmp_path):
    path = tmp_path / "half.py"
    path.write_text(_source(SUBMISSIONS["all_right"]["answers"][:3])
                    + "\n\nimport no_such_module_here\n\n"
                    + _source(SUBMISSIONS["all_right"]["answers"][3:]))
    results = grade(path).results
    line = path.read_text().splitlines().index("import no_such_module_here") + 1
    for r in results[:3]:
        assert r["score"] == POINTS, r
    for r in results[3:]:
        assert r["score"] == 0 and "not graded" in r["output"], r
        assert f"the file raised ModuleNotFoundError at line {line}" in r["output"]
        assert r["output"].endswith("before defining it.")


@pytest.mark.slow  # grades submissions in sandboxed processes: 3 s
def test_a_top_level_loop_is_stopped_within_the_budget(tmp_path, monkeypatch):
    monkeypatch.setattr(runner, "LOAD_BUDGET", 3.0)
    path = tmp_path / "spin.py"
    path.write_text("import numpy as np\nwhile True:\n    pass\n\n"
                    + BY_NAME["sigmoid_right_vectorised"]["source"])
    start = time.perf_counter()
    report = grade(path, timeout=0.5)
    assert time.perf_counter() - start < 3 + 15  # stopped once: the next load stops before it
    assert all(r["score"] == 0 for r in report.results)
    assert "the file ran past its time limit of 3 s at line 2 and was stopped" in \
        report.results[0]["output"]
    assert report.notes == ["the file ran past its time limit of 3 s at line 2 and was "
                            "stopped."]


@pytest.mark.slow  # grades submissions in sandboxed processes: 3 s
def test_the_time_limit_counts_the_students_calls_and_not_the_time_between_them(tmp_path):
    """The grader's references run between the student's calls; on a busy machine they may
    take seconds, and a correct answer must not pay for them."""
    path = tmp_path / "slow.py"
    path.write_text("import time\n\n\ndef relu_backward(grad_out, x):\n"
                    "    time.sleep(0.3)\n    return grad_out * (x > 0)\n")
    session = runner.Session(submission.read(path, list(EXERCISES)), 1.0,
                             runner.Limits(), runner.Output())
    try:
        assert session.ready()
        slow = runner.Remote(session, "relu_backward", seconds=1.0)
        for _ in range(3):  # 0.9 s of the student's time, 1.5 s of the grader's between
            slow(np.ones(2), np.ones(2))
            time.sleep(0.5)
        with pytest.raises(runner._Stop, match="ran past the time limit of 1 s"):
            slow(np.ones(2), np.ones(2))  # past 0.1 s left
        with pytest.raises(runner._Stop):
            slow(np.ones(2), np.ones(2))  # nothing left
    finally:
        session.discard()


def test_a_notebook_with_every_answer_right_gets_full_marks(tmp_path):
    report = grade(_notebook(tmp_path, SUBMISSIONS["all_right_unusual"]["answers"]), 5)
    assert _scores(report) == dict.fromkeys(EXERCISES, float(POINTS))
    notes = " ".join(r["output"] for r in report.results)
    assert "keeps a batch axis" in notes and "returns the new parameter" in notes
    assert report.notes == []


def test_the_untouched_notebook_is_all_not_attempted(tmp_path):
    path = tmp_path / "09_exercises.ipynb"
    path.write_bytes((ROOT / "notebooks" / "09_exercises.ipynb").read_bytes())
    report = grade(path)
    assert all(r["score"] == 0 and "not attempted" in r["output"] for r in report.results), \
        report.results
    assert report.notes == []  # its `from reference.grading import grade` cells ran


@pytest.mark.slow  # grades submissions in sandboxed processes: 4 s
def test_a_notebook_cell_that_raises_or_spins_costs_its_exercise_only(tmp_path, monkeypatch):
    monkeypatch.setattr(runner, "CELL_MIN", 4.0)
    path = _notebook(tmp_path, SUBMISSIONS["all_right"]["answers"])
    notebook = nbformat.read(path, 4)
    for number, cell in enumerate(notebook.cells, start=1):
        if "def relu_backward" in cell.source:
            cell.source += "\n\nwhile True:\n    pass\n"  # after the def: still graded
            relu = (number, cell.source.splitlines().index("while True:") + 1)
        if "def softmax_cross_entropy" in cell.source:
            cell.source = "import numpy as np\n\n\n1 / 0\n\n" + cell.source  # before the def
            softmax = number
    nbformat.write(notebook, path)
    report = grade(path, 0, 1)
    results = {r["name"]: r for r in report.results}
    assert results["relu_backward"]["score"] == POINTS
    assert results["relu_backward"]["output"].endswith("OK (equal to the reference to "
                                                       "float64 round-off).")  # no note here
    assert results["softmax_cross_entropy"]["score"] == 0
    assert results["softmax_cross_entropy"]["output"] == (
        f"softmax_cross_entropy: not graded: the notebook raised ZeroDivisionError at line 4 "
        f"of your cell {softmax} (division by zero) before defining it.")
    assert [n for n, r in results.items() if r["score"] == POINTS] == \
        [n for n in EXERCISES if n != "softmax_cross_entropy"]
    assert report.notes == [
        f"the notebook ran past a cell's time limit of 4 s at line {relu[1]} of your cell "
        f"{relu[0]} and was stopped.",
        f"the notebook raised ZeroDivisionError at line 4 of your cell {softmax} (division "
        "by zero)."]


def test_a_memorised_answer_does_not_pass_another_seed():
    from reference.grading.exercises import grade as grade_one
    from tests.gallery.model_answers import answer

    seen: dict[bytes, object] = {}
    right = answer("sigmoid_backward")

    def learn(grad_out, out):
        seen[grad_out.tobytes() + out.tobytes()] = right(grad_out, out)
        return seen[grad_out.tobytes() + out.tobytes()]

    assert grade_one("sigmoid_backward", learn, seed=0).ok

    def recite(grad_out, out):
        return seen.get(grad_out.tobytes() + out.tobytes(), grad_out * 0)

    assert grade_one("sigmoid_backward", recite, seed=0).ok  # the very same cases
    assert not grade_one("sigmoid_backward", recite, seed=1).ok


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "reference.grade", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=600)


@pytest.mark.slow  # grades a submission in sandboxed processes: 5 s
def test_the_command_prints_a_line_per_exercise_and_writes_gradescope_json(tmp_path):
    path = _py(tmp_path, "typical")
    out = tmp_path / "results" / "alice.json"
    done = _run(str(path), "--json", str(out), "--seed", "7", cwd=ROOT)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert [line.split()[0] for line in lines] == [*EXERCISES, "total"]
    assert lines[-1].split()[1] == f"{3 * POINTS}/{len(EXERCISES) * POINTS}"
    assert lines[-1].endswith("(cases drawn from --seed 7)")
    results = json.loads(out.read_text())
    jsonschema.validate(results, GRADESCOPE)
    assert results["score"] == 3 * POINTS == sum(t["score"] for t in results["tests"])
    assert [t["name"] for t in results["tests"]] == list(EXERCISES)
    assert "(seed 7)" in results["output"]
    assert not [p for p in out.parent.iterdir() if p.name != "alice.json"]


@pytest.mark.parametrize("make,words", [
    (lambda d: d / "missing.ipynb", "no such file"),
    (lambda d: (d / "answers.txt").write_text("def f(): pass") and d / "answers.txt",
     "not a notebook (.ipynb) or a Python file (.py)"),
    (lambda d: (d / "broken.py").write_text("def f(:\n    pass\n") and d / "broken.py",
     "a syntax error at line 1"),
    (lambda d: (d / "broken.ipynb").write_text("{not json") and d / "broken.ipynb",
     "not a readable notebook"),
])
def test_what_cannot_be_graded_exits_2_with_one_line_and_a_json_of_0(make, words, tmp_path,
                                                                     capsys):
    path = make(tmp_path)
    out = tmp_path / "results.json"
    assert cli.main([str(path), "--json", str(out)]) == 2
    err = capsys.readouterr()
    assert err.out == "" and len(err.err.strip().splitlines()) == 1 and words in err.err
    results = json.loads(out.read_text())
    jsonschema.validate(results, GRADESCOPE)
    assert results["score"] == 0 and words in results["output"]
    assert all(t["score"] == 0 and words in t["output"] for t in results["tests"])


def test_a_folder_without_submissions_exits_2(tmp_path, capsys):
    assert cli.main([str(tmp_path)]) == 2
    assert "no .ipynb or .py file" in capsys.readouterr().err


@pytest.mark.parametrize("args,words", [(["--timeout", "0"], "--timeout"),
                                        (["--timeout", "nan"], "--timeout"),
                                        (["--seed", "-1"], "--seed"),
                                        (["--jobs", "0"], "--jobs")])
def test_bad_options_are_refused_by_name(args, words, tmp_path, capsys):
    with pytest.raises(SystemExit) as stop:
        cli.main([str(_py(tmp_path, "all_right")), *args])
    err = capsys.readouterr().err
    assert stop.value.code == 2 and words in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("make,words", [
    (lambda d: os.mkfifo(d / "r.json") or d / "r.json", "not a regular file"),
    (lambda d: (d / "r.json").mkdir() or d / "r.json", "is a folder"),
    (lambda d: (d / "a.py").write_text("x") and d / "a.py" / "r.json", "is a file"),
    (lambda d: d / "all_right.py", "is one of the submissions"),
])
def test_json_where_no_file_can_be_written_is_refused_before_grading(make, words, tmp_path,
                                                                      capsys):
    source = _py(tmp_path, "all_right")
    before = source.read_bytes()
    with pytest.raises(SystemExit) as stop:
        cli.main([str(source), "--json", str(make(tmp_path))])
    err = capsys.readouterr()
    assert stop.value.code == 2 and words in err.err, err.err
    assert len(err.err.strip().splitlines()) == 1 and err.out == ""
    assert source.read_bytes() == before


def test_json_through_a_link_writes_the_file_it_points_to(tmp_path):
    real, link = tmp_path / "real.json", tmp_path / "link.json"
    real.write_text("{}")
    link.symlink_to(real)
    assert cli.main([str(_py(tmp_path, "partial")), "--json", str(link)]) == 0
    assert link.is_symlink() and json.loads(real.read_text())["score"] == 3 * POINTS


def test_help_is_one_screen_and_names_every_option():
    done = _run("--help", cwd=ROOT)
    assert done.returncode == 0
    for option in ("--json", "--csv", "--json-dir", "--jobs", "--seed", "--timeout",
                   "--autograder"):
        assert option in done.stdout
