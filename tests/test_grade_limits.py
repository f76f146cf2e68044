"""The grader's limits cost only what crosses them: restarts are budgeted per exercise, a slow
but honest top level is loaded again as often as needed, and a submission that fills its
folder, nests folders without end or starts threads without end is stopped, the result
saying so, while the exercises it answered before keep their marks."""

import os
import subprocess
import time

import nbformat
import pytest

from reference.grading import runner, submission
from reference.grading.exercises import EXERCISES, POINTS
from reference.grading.watch import folder_usage, remove_folder
from tests.gallery.model_answers import SOURCES


def _grade(path, timeout: float = 2.0, **limits: object) -> runner.Report:
    return runner.grade_submission(submission.read(path, list(EXERCISES)), 5, timeout,
                                   runner.Limits(**limits))


def _results(report: runner.Report) -> dict[str, dict]:
    return {r["name"]: r for r in report.results}


@pytest.mark.slow  # grades submissions in sandboxed processes: 2 s
def test_each_exercise_has_its_own_budget_of_restarts(tmp_path):
    """Nine cells end the process as it loads: the first exercise spends its eight restarts
    on them (and scores 0, saying why), the next one loads past the ninth and the rest are
    graded."""
    cells = ["import os\nimport numpy as np\n",
             *[f"os._exit({k})  # an experiment that ends its process\n" for k in range(1, 10)],
             *SOURCES.values()]
    path = tmp_path / "stops.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c)
                                                   for c in cells]), path)
    results = _results(_grade(path))
    assert results["sigmoid_backward"]["score"] == 0
    assert results["sigmoid_backward"]["output"] == (
        f"sigmoid_backward: not graded: its code stopped its process {runner.MAX_RESTARTS} "
        "times while it was loaded again for this exercise.")
    assert all(results[n]["score"] == POINTS for n in list(EXERCISES)[1:]), results


@pytest.mark.slow  # grades submissions in sandboxed processes: 11 s
def test_a_slow_top_level_is_loaded_again_as_often_as_its_exercises_need(tmp_path,
                                                                         monkeypatch):
    """A top level that takes most of its time limit, and four exercises that loop: each
    loop costs a new load, and every load has the whole limit (none is charged to a pool
    the next ones would find empty)."""
    monkeypatch.setattr(runner, "LOAD_BUDGET", 2.5)
    looping = ["sigmoid_backward", "relu_backward", "dense_backward", "softmax_cross_entropy"]
    path = tmp_path / "slow.py"
    path.write_text("import time\nimport numpy as np\n\ntime.sleep(1.5)  # its experiment\n\n\n"
                    + "\n\n".join(f"def {n}(*args):\n    while True:\n        pass\n"
                                  if n in looping else source
                                  for n, source in SOURCES.items()))
    results = _results(_grade(path, timeout=0.5))
    assert {n: r["score"] for n, r in results.items()} == {
        n: 0.0 if n in looping else POINTS for n in EXERCISES}, results
    assert all("ran past the time limit of 0.5 s" in results[n]["output"] for n in looping)


def _file(cells: list[str], tmp_path) -> object:
    path = tmp_path / "limits.py"
    path.write_text("\n\n".join(cells))
    return path


def test_a_submission_that_fills_its_folder_is_stopped_and_told_why(tmp_path):
    """RLIMIT_FSIZE bounds one file; the grader bounds the folder: files of 4 MiB each, a
    folder limited to 8 MiB."""
    path = _file(["import time\nimport numpy as np\n", SOURCES["sigmoid_backward"],
                  "for k in range(6):\n"
                  "    with open(f'part{k}.bin', 'wb') as f:\n"
                  "        f.write(b'x' * 4 * 2**20)\n"
                  "time.sleep(5)\n", SOURCES["relu_backward"]], tmp_path)
    report = _grade(path, folder_bytes=8 * 2**20)
    results = _results(report)
    assert results["sigmoid_backward"]["score"] == POINTS
    assert results["relu_backward"]["score"] == 0
    assert "the grader stopped it: it wrote more than 8 MiB into its folder" in \
        results["relu_backward"]["output"], results["relu_backward"]


def test_a_submission_that_nests_folders_without_end_is_stopped(tmp_path):
    path = _file(["import os, time\nimport numpy as np\n", SOURCES["sigmoid_backward"],
                  "for _ in range(1500):\n    os.mkdir('d')\n    os.chdir('d')\n"
                  "time.sleep(5)\n", SOURCES["relu_backward"]], tmp_path)
    results = _results(_grade(path))
    assert results["sigmoid_backward"]["score"] == POINTS
    assert "it made folders more than 64 deep" in results["relu_backward"]["output"]


def test_the_graders_folders_are_removed_however_deep(tmp_path):
    top = tmp_path / "work"
    top.mkdir()
    fd = os.open(top, os.O_RDONLY)
    for _ in range(1200):  # deeper than Python's recursion limit, as rmtree would need
        os.mkdir("d", dir_fd=fd)
        fd, above = os.open("d", os.O_RDONLY, dir_fd=fd), fd
        os.close(above)
    with open(os.open("f", os.O_WRONLY | os.O_CREAT, dir_fd=fd), "wb") as f:
        f.write(b"x" * 5000)
    os.chmod(fd, 0o500)  # read-only, as the code may leave it
    os.close(fd)
    try:
        size, count, deep = folder_usage(str(top), None, 10**6, 64)
        assert deep and count <= 66
        assert folder_usage(str(top), None, 10**6, 2000)[1] == 1201
        remove_folder(str(top))
        assert not top.exists()
    finally:  # whatever happened: pytest's own cleanup of old folders recurses too
        subprocess.run(["chmod", "-R", "u+rwx", str(top)], capture_output=True)
        subprocess.run(["rm", "-rf", str(top)], capture_output=True)


def test_threads_past_the_limit_are_refused_with_a_reason(tmp_path):
    path = _file(["import threading\nimport numpy as np\n", SOURCES["sigmoid_backward"],
                  "stop = threading.Event()\n"
                  "for _ in range(40):\n"
                  "    threading.Thread(target=stop.wait, daemon=True).start()\n",
                  SOURCES["relu_backward"]], tmp_path)
    results = _results(_grade(path, threads=16))
    assert results["sigmoid_backward"]["score"] == POINTS
    assert results["relu_backward"]["output"].startswith(
        "relu_backward: not graded: the file stopped at line ")
    assert "the grader does not allow more than 16 threads at once" in \
        results["relu_backward"]["output"]


def test_threads_past_the_watched_limit_stop_the_process(tmp_path):
    """The bound in Python can be undone from Python; the grader also counts the process's
    threads from outside."""
    path = _file(["import threading, time\nimport numpy as np\n", SOURCES["sigmoid_backward"],
                  "stop = threading.Event()\n"
                  "for _ in range(40):\n"
                  "    threading.Thread(target=stop.wait, daemon=True).start()\n"
                  "time.sleep(5)\n", SOURCES["relu_backward"]], tmp_path)
    start = time.monotonic()
    results = _results(_grade(path, threads=100, os_threads=20))
    assert time.monotonic() - start < 30
    assert results["sigmoid_backward"]["score"] == POINTS, results["sigmoid_backward"]
    assert "the grader stopped it: it ran" in results["relu_backward"]["output"]
    assert "threads at once, more than the 20 it allows" in results["relu_backward"]["output"]


@pytest.mark.slow  # grades a submission three times in sandboxed processes: 2 s
def test_threads_a_top_level_leaves_running_are_its_own_never_the_next_exercises(tmp_path):
    """The top level starts threads and goes on: the statement that started them is found
    (the load is stopped before it), and the right answers defined before it keep their marks
    however soon after the load they are called (the watcher's own look may come later)."""
    path = _file(["import threading\nimport numpy as np\n", SOURCES["sigmoid_backward"],
                  "stop = threading.Event()\n"
                  "for _ in range(40):\n"
                  "    threading.Thread(target=stop.wait, daemon=True).start()\n"
                  "x = 1\n", SOURCES["relu_backward"]], tmp_path)
    for _ in range(3):  # the race it once lost: the answers come before the watcher looks
        results = _results(_grade(path, threads=100, os_threads=20))
        assert results["sigmoid_backward"]["score"] == POINTS, results["sigmoid_backward"]
        relu = results["relu_backward"]["output"]
        loop = path.read_text().splitlines().index("for _ in range(40):") + 1
        assert relu.startswith(f"relu_backward: not graded: the file ended its process at "
                               f"line {loop} "), relu
        assert "threads at once, more than the 20 it allows" in relu


@pytest.mark.slow  # grades a submission three times in sandboxed processes: 1 s
def test_threads_an_exercise_leaves_running_are_its_own_never_the_next_ones(tmp_path):
    """An answer that leaves threads past the limit costs its exercise only: the next one,
    right, keeps its marks."""
    path = _file(["import threading\nimport numpy as np\n"
                  "def sigmoid_backward(grad_out, out):\n"
                  "    for _ in range(40):\n"
                  "        threading.Thread(target=threading.Event().wait, daemon=True).start()\n"
                  "    return grad_out * out * (1 - out)\n", SOURCES["relu_backward"]],
                 tmp_path)
    for _ in range(3):
        results = _results(_grade(path, threads=100, os_threads=20))
        sigmoid = results["sigmoid_backward"]["output"]
        assert "its process ended inside sigmoid_backward (the grader stopped it: it ran" \
            in sigmoid, sigmoid
        assert results["relu_backward"]["score"] == POINTS, results["relu_backward"]


@pytest.mark.parametrize("limit", ["folder_bytes", "os_threads"])
def test_the_limits_leave_an_honest_submission_alone(limit, tmp_path):
    path = tmp_path / "alice.py"
    path.write_text("import numpy as np\n\n\n" + "\n\n".join(SOURCES.values()))
    report = _grade(path, **{limit: {"folder_bytes": 2**20, "os_threads": 8}[limit]})
    assert sum(r["score"] for r in report.results) == POINTS * len(EXERCISES)
