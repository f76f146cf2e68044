"""Right answers keep their marks whatever else the submission does or however it was saved:
beside exercises that exit, die or swallow signals, printing without newlines or printing
hundreds of megabytes (the grader's memory stays flat), saved with a byte-order mark, a
coding line or CRLF, given by a relative path, saved by JupyterLab, VS Code or Colab, with
magics (options, %%writefile, a top-level await), with a data set pasted in, with figures
saved in it, answering in other array types, importing common libraries, using the
grader's own names, working in its folder; and no process a submission starts outlives the
grader, nor its SIGTERM."""

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import nbformat
import pytest

from reference.grading import cli, runner, submission
from reference.grading.exercises import EXERCISES, POINTS
from reference.grading.sandbox import wire
from tests.gallery.hostile_submissions import NOTEBOOK_ONLY, ROBUST
from tests.gallery.model_answers import SOURCES, SUBMISSION
from tests.test_grade_isolation import grade, write

ROOT = Path(__file__).resolve().parents[1]
FULL = dict.fromkeys(EXERCISES, float(POINTS))


def _scores(report: runner.Report) -> dict[str, float]:
    return {r["name"]: r["score"] for r in report.results}


CASES = [(name, kind) for name in ROBUST for kind in ("py", "ipynb")
         if not (kind == "py" and name in NOTEBOOK_ONLY)]


@pytest.mark.parametrize("name,kind", CASES, ids=[f"{n}-{k}" for n, k in CASES])
def test_right_answers_keep_their_marks_beside_what_exits_dies_or_spins(name, kind, tmp_path):
    report = grade(write(tmp_path, name, ROBUST[name]["cells"], kind), timeout=2.0)
    earned = set(ROBUST[name]["earned"])
    assert _scores(report) == {e: (POINTS if e in earned else 0.0) for e in EXERCISES}
    said = {r["name"]: r["output"] for r in report.results}
    if name == "exits_and_dies_in_other_exercises":
        assert said["relu_backward"].endswith("it exited with sys.exit(0) inside "
                                              "relu_backward.")
        assert "its process ended inside dense_backward (exit status 3" in \
            said["dense_backward"]
        assert "ended inside softmax_cross_entropy (killed by SIGSEGV)" in \
            said["softmax_cross_entropy"]
        assert "ran past the time limit of 2 s" in said["dropout_backward"]


@pytest.mark.parametrize("encode", [
    lambda text: b"\xef\xbb\xbf" + text.encode(),
    lambda text: text.replace("\n", "\r\n").encode(),
    lambda text: ("# -*- coding: latin-1 -*-\nNAME = 'Zoé'\n" + text).encode("latin-1"),
    lambda text: b"\xef\xbb\xbf" + ("# coding: utf-8\r\nNAME = 'Zoé'\r\n" +
                                    text.replace("\n", "\r\n")).encode(),
], ids=["bom", "crlf", "latin-1", "bom-coding-crlf"])
def test_a_file_python_runs_is_graded_as_python_runs_it(encode, tmp_path):
    path = tmp_path / "alice.py"
    path.write_bytes(encode(SUBMISSION))
    compile(path.read_bytes(), str(path), "exec")  # Python itself runs it
    assert _scores(grade(path)) == FULL


def test_a_source_larger_than_a_message_of_the_channel_is_graded(tmp_path):
    """A data set pasted into the file (17 MB, more than a frame of the channel may hold):
    the source reaches the child as a file."""
    path = tmp_path / "big.py"
    data = "0.123456789," * (17 * 2**20 // 12)
    path.write_text(f"DATA = {data!r}\n\n" + SUBMISSION)
    assert path.stat().st_size > wire.MAX_FRAME
    assert _scores(grade(path)) == FULL


@pytest.mark.parametrize("kind", ["py", "ipynb"])
def test_a_submission_whose_code_is_too_large_says_so(kind, tmp_path, monkeypatch):
    monkeypatch.setattr(submission, "MAX_BYTES", 2**20)
    monkeypatch.setattr(submission, "MAX_NOTEBOOK_BYTES", 8 * 2**20)
    code = SUBMISSION + f"\n\nDATA = {'x' * 2**21!r}\n"
    path = tmp_path / f"big.{kind}"
    if kind == "py":
        path.write_text(code)
    else:
        nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code)]), path)
    with pytest.raises(submission.Ungradable, match="1 MB"):
        submission.read(path, list(EXERCISES))
    path.write_text("x" * 9 * 2**20)
    with pytest.raises(submission.Ungradable, match="larger than (1|8) MB"):
        submission.read(path, list(EXERCISES))


def test_a_notebooks_outputs_do_not_count_toward_its_size(tmp_path, monkeypatch):
    """Figures and printed data saved with a notebook are not its code."""
    monkeypatch.setattr(submission, "MAX_BYTES", 2**20)
    figure = nbformat.v4.new_output("display_data", data={"image/png": "A" * 3 * 2**20})
    cells = [nbformat.v4.new_code_cell(SUBMISSION, outputs=[figure])]
    path = tmp_path / "figures.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=cells), path)
    assert path.stat().st_size > 3 * 2**20
    assert _scores(grade(path)) == FULL


def test_a_relative_path_with_a_folder_works_from_any_folder(tmp_path, monkeypatch):
    (tmp_path / "submissions").mkdir()
    (tmp_path / "submissions" / "bob.py").write_text(SUBMISSION)
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")
    assert cli.main(["../submissions/bob.py", "--json", "bob.json", "--timeout", "5"]) == 0
    assert json.loads((tmp_path / "elsewhere" / "bob.json").read_text())["score"] == 90


def _lines(source: str) -> list[str]:
    return source.splitlines(keepends=True)


def _cells(variant: str) -> list[dict]:
    markdown = {"cell_type": "markdown", "metadata": {}, "source": ["# Exercises\n"]}
    cells = [markdown]
    for k, source in enumerate(["import numpy as np\n", *SOURCES.values()]):
        cell = {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
                "source": _lines(source)}
        if variant in ("jupyterlab", "vscode"):
            cell["id"] = f"cell-{k}"
        if variant == "vscode":
            cell["metadata"] = {"vscode": {"languageId": "python"}}
        if variant == "colab":
            cell["metadata"] = {"id": f"x{k}Y", "colab": {"base_uri": "https://localhost"}}
            cell["source"] = source  # one string
        cells.append(cell)
    return cells


def _notebook(variant: str) -> dict:
    kernel = {"display_name": "Python 3", "language": "python", "name": "python3"}
    if variant == "v3":
        return {"metadata": {"name": ""}, "nbformat": 3, "nbformat_minor": 0,
                "worksheets": [{"metadata": {}, "cells": [
                    {"cell_type": "code", "collapsed": False, "language": "python",
                     "metadata": {}, "outputs": [], "input": c["source"]}
                    for c in _cells("v4.0") if c["cell_type"] == "code"]}]}
    metadata = {"kernelspec": kernel, "language_info": {"name": "python", "version": "3.11"}}
    if variant == "vscode":
        metadata["vscode"] = {"interpreter": {"hash": "0" * 64}}
        metadata["orig_nbformat"] = 4
    if variant == "colab":
        metadata = {"colab": {"provenance": [], "name": "alice.ipynb"},
                    "kernelspec": {"name": "python3", "display_name": "Python 3"},
                    "language_info": {"name": "python"}, "accelerator": "GPU"}
    minor = {"jupyterlab": 5, "vscode": 5, "colab": 0, "v4.0": 0, "v4.2": 2}[variant]
    return {"cells": _cells(variant), "metadata": metadata, "nbformat": 4,
            "nbformat_minor": minor}


@pytest.mark.parametrize("variant", ["jupyterlab", "vscode", "colab", "v4.0", "v4.2", "v3"])
def test_notebooks_as_each_editor_saves_them_are_graded(variant, tmp_path):
    path = tmp_path / "alice.ipynb"
    path.write_text(json.dumps(_notebook(variant), indent=1))
    assert _scores(grade(path)) == FULL


def test_magics_and_shell_lines_neither_run_nor_stop_the_cells(tmp_path):
    cells = ["%matplotlib inline\n%load_ext autoreload\n!pip install numpy\n"
             "import numpy as np\nnp.dot?\n",
             "%%time\n" + SOURCES["sigmoid_backward"],
             "%time x = 1\n" + SOURCES["relu_backward"],
             *[SOURCES[n] for n in list(EXERCISES)[2:]]]
    path = tmp_path / "alice.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c)
                                                   for c in cells]), path)
    report = grade(path)
    assert _scores(report) == FULL and report.notes == []
    assert "the grader runs no shell commands" in report.printed


def test_a_cell_that_raised_is_named_by_cell_and_line(tmp_path):
    cells = ["import numpy as np\n", *[SOURCES[n] for n in EXERCISES if n != "relu_backward"],
             "x = 1\ny = 2\n\nz = x / (y - 2)\n\n" + SOURCES["relu_backward"]]
    path = tmp_path / "alice.ipynb"
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Hi")] +
                                        [nbformat.v4.new_code_cell(c) for c in cells])
    nbformat.write(notebook, path)
    report = grade(path)
    assert report.results[1]["output"] == (
        "relu_backward: not graded: the notebook raised ZeroDivisionError at line 4 of your "
        f"cell {len(cells) + 1} (division by zero) before defining it.")
    assert sum(r["score"] for r in report.results) == 80


# --- output ------------------------------------------------------------------------------

def _peak_rss(command: list[str], cwd: Path) -> tuple[int, float, subprocess.CompletedProcess]:
    """(the process's peak resident memory in bytes, its seconds, its run): VmHWM read from
    /proc until it ends."""
    start = time.monotonic()
    process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    peak = 0
    while process.poll() is None:
        try:
            status = Path(f"/proc/{process.pid}/status").read_text()
            peak = max(peak, int(status.split("VmHWM:")[1].split()[0]) * 1024)
        except (OSError, IndexError):
            pass
        time.sleep(0.05)
    out, err = process.communicate()
    return peak, time.monotonic() - start, subprocess.CompletedProcess(
        command, process.returncode, out.decode(), err.decode())


@pytest.mark.slow  # prints hundreds of megabytes through the grader: 10 s
def test_hundreds_of_megabytes_printed_cost_neither_marks_nor_the_graders_memory(tmp_path):
    loud = tmp_path / "loud.py"
    loud.write_text("import sys\nimport numpy as np\n"
                    "for _ in range(150):\n    sys.stdout.write('x' * 2**20)\n"
                    "print('the end', end='')\n\n" + SUBMISSION.replace(
                        "def relu_backward(grad_out, x):\n",
                        "def relu_backward(grad_out, x):\n"
                        "    sys.stderr.write('y' * 50 * 2**20)\n"))
    quiet = tmp_path / "quiet.py"
    quiet.write_text(SUBMISSION)
    command = [sys.executable, "-m", "reference.grade", "--seed", "1", "--json"]
    base, _, done = _peak_rss([*command, "quiet.json", "quiet.py"], tmp_path)
    assert done.returncode == 0, done.stderr
    peak, seconds, done = _peak_rss([*command, "loud.json", "loud.py"], tmp_path)
    assert done.returncode == 0, done.stderr
    results = json.loads((tmp_path / "loud.json").read_text())
    assert results["score"] == 90, results
    assert f"stdout: {150 * 2**20 + 7:,} bytes, the last 65,536 kept; its end:" in \
        results["output"] and results["output"].count("the end") == 1
    assert f"stderr: {50 * 2**20 * 3:,} bytes" in results["output"]  # relu: 3 calls
    assert peak < base + 64 * 2**20, (peak, base)  # 200 MB printed, the grader's memory flat
    print(f"peak RSS {peak / 2**20:.0f} MiB (quiet: {base / 2**20:.0f} MiB), {seconds:.1f} s")


# --- processes ------------------------------------------------------------------------------

HARNESS = """\
import functools, sys
from reference.grading import child, cli
child.Limits = functools.partial(child.Limits, processes=True)  # as if the guard were broken
sys.exit(cli.command(sys.argv[1:]))
"""


def _daemon(marker: str) -> str:
    """Source that leaves a process behind the way a daemon does: double fork, setsid, the
    middle process gone (its child is an orphan, a session of its own)."""
    return ("import subprocess, sys\n"
            "subprocess.Popen([sys.executable, '-c', 'import os, subprocess, sys; os.setsid(); "
            "subprocess.Popen([sys.executable, \"-c\", \"import time; time.sleep(300)\", "
            f"\"{marker}\"], stdout=sys.stdout); os._exit(0)'])\n")


def _left(marker: str) -> list[str]:
    found = subprocess.run(["pgrep", "-f", marker], capture_output=True, text=True).stdout
    return found.split()


def _started(marker: str, seconds: float = 60) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if _left(marker):
            return True
        time.sleep(0.1)
    return False


@pytest.mark.slow  # grades submissions in sandboxed processes: 2 s
def test_an_orphan_the_submission_left_is_stopped_when_its_grading_ends(tmp_path):
    marker = f"orphan-{os.getpid()}-{time.time_ns()}"
    path = tmp_path / "daemon.py"
    path.write_text(_daemon(marker) + "import time\n\n\n" + SUBMISSION.replace(
        "def relu_backward(grad_out, x):\n", "def relu_backward(grad_out, x):\n"
        "    time.sleep(0.5)\n"))  # time for the watcher to see the orphan alive
    seen, stop = [], threading.Event()

    def watch() -> None:
        while not stop.is_set():
            seen.extend(_left(marker))
            time.sleep(0.05)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        report = runner.grade_submission(submission.read(path, list(EXERCISES)), 0, 5,
                                         runner.Limits(processes=True))
    finally:
        stop.set()
        watcher.join()
    assert _scores(report) == FULL
    assert seen, "the orphan never ran"
    assert _left(marker) == []


@pytest.mark.slow  # grades, then signals the grader and waits for its children: 4 s
def test_sigterm_to_the_grader_leaves_no_process_behind(tmp_path):
    marker = f"sigterm-{os.getpid()}-{time.time_ns()}"
    (tmp_path / "harness.py").write_text(HARNESS)
    (tmp_path / "tmp").mkdir()
    (tmp_path / "stuck.py").write_text(
        _daemon(marker) + "import time\n\n\ndef sigmoid_backward(grad_out, out):\n"
        "    while True:\n        try:\n            time.sleep(100)\n"
        "        except BaseException:\n            pass\n")
    grader = subprocess.Popen([sys.executable, "harness.py", "stuck.py", "--timeout", "120"],
                              cwd=tmp_path, env={**os.environ, "TMPDIR": str(tmp_path / "tmp"),
                                                 "PYTHONPATH": str(ROOT)},
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert _started(marker), grader.stderr.read1().decode() if grader.poll() else ""
        time.sleep(1.0)  # the grader is waiting on sigmoid_backward now
        grader.send_signal(signal.SIGTERM)
        assert grader.wait(timeout=30) == 128 + signal.SIGTERM
        assert "no process left" in grader.stderr.read().decode()
        time.sleep(0.2)
        assert _left(marker) == [] and _left(str(tmp_path / "tmp")) == []
    finally:
        grader.kill()
        for pid in _left(marker) + _left(str(tmp_path / "tmp")):
            os.kill(int(pid), signal.SIGKILL)
