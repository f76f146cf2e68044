"""Running a submission and grading it: a ``.py`` file in a fresh Python process, a
``.ipynb`` notebook top to bottom in a fresh Jupyter kernel.

A ``.py`` file runs statement by statement (``exec`` of its compiled module), so what it
defines before a line that raises is still graded, and the exercises it did not reach are
told why. A notebook runs every cell even after one raises (a cell that runs past the time
limit is interrupted), and a cell's error is reported with the exercise the cell defines.
Then ``runner.grade_namespace`` grades each exercise where the code ran, within its time
limit, and the results come back as JSON. The whole run is bounded: the process (or the
kernel) is stopped when it outlives the sum of its budgets.
"""

import json
import os
import re
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from reference.grading.exercises import EXERCISES
from reference.grading.runner import MARK

LOAD_BUDGET = 60.0  # seconds for loading a file or running a notebook's cells, beyond grading
GRADING_BUDGET = 60.0  # seconds for the grader's own work (its references), beyond the student's
CELL_MIN = 20.0  # seconds a notebook cell may always take (a student's own imports)
_PRELOAD = "import reference.grading.runner"  # run in the kernel before the student's cells


class Ungradable(Exception):
    """The submission cannot be graded at all: the sentence says why (exit status 2)."""


def check(path: Path) -> str:
    """"py" or "ipynb", or ``Ungradable`` with the reason."""
    if not path.exists():
        raise Ungradable(f"{path}: no such file")
    if path.is_dir() or not path.is_file():
        raise Ungradable(f"{path}: not a file")
    suffix = path.suffix.lower()
    if suffix == ".py":
        try:
            compile(path.read_bytes(), str(path), "exec")
        except SyntaxError as error:
            raise Ungradable(f"{path}: a syntax error at line {error.lineno}: {error.msg}") \
                from None
        except ValueError as error:
            raise Ungradable(f"{path}: not a Python file ({error})") from None
        return "py"
    if suffix == ".ipynb":
        import nbformat

        try:
            nbformat.read(path, as_version=4)
        except Exception as error:  # noqa: BLE001 - anything unreadable is not a notebook
            raise Ungradable(f"{path}: not a readable notebook ({type(error).__name__})") \
                from None
        return "ipynb"
    raise Ungradable(f"{path}: not a notebook (.ipynb) or a Python file (.py)")


_CHILD = r"""
import sys, traceback
from reference.grading.runner import grade_namespace, report
source = open(sys.argv[1], encoding="utf-8").read()
namespace = {"__name__": "submission", "__file__": sys.argv[1]}
reasons = {}
try:
    exec(compile(source, sys.argv[1], "exec"), namespace)
except BaseException as error:
    line = traceback.extract_tb(error.__traceback__)[-1].lineno
    why = f"the file raised {type(error).__name__} at line {line} before defining it"
    reasons = {name: why for name in sys.argv[4].split(",") if name not in namespace}
report(grade_namespace(namespace, int(sys.argv[2]), float(sys.argv[3]), reasons))
"""


def grade_python(path: Path, seed: int, timeout: float) -> list[dict]:
    """Grade a ``.py`` file in a fresh Python process of its own process group, its output
    in files (not pipes, which a background process it starts would hold open); when it ends
    or its budget runs out, whatever it left running in its group is stopped too."""
    budget = LOAD_BUDGET + timeout * len(EXERCISES) + GRADING_BUDGET
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        child = subprocess.Popen([sys.executable, "-c", _CHILD, str(path), str(seed),
                                  str(timeout), ",".join(EXERCISES)], stdout=out, stderr=err,
                                 stdin=subprocess.DEVNULL, cwd=path.parent, text=True,
                                 start_new_session=True)
        try:
            child.wait(timeout=budget)
            late = False
        except subprocess.TimeoutExpired:
            late = True
        finally:
            try:
                os.killpg(child.pid, signal.SIGKILL)  # the child and what it started
            except (ProcessLookupError, PermissionError):
                pass
            child.wait()
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if late and MARK not in stdout:
        return _all("the file did not finish loading and grading within "
                    f"{budget:g} s (a loop at the top level?)")
    return _parse(stdout, stderr)


def _all(why: str) -> list[dict]:
    from reference.grading.exercises import POINTS

    return [{"name": name, "score": 0.0, "max_score": float(POINTS),
             "output": f"{name}: NOT OK: {why}.", "execution_time": 0.0} for name in EXERCISES]


def _parse(stdout: str, stderr: str) -> list[dict]:
    for line in reversed(stdout.splitlines()):
        if line.startswith(MARK):
            return json.loads(line[len(MARK):])
    last = (stderr.strip().splitlines() or ["no message"])[-1][:300]
    return _all(f"the grading process stopped before it finished ({last})")


def grade_notebook(path: Path, seed: int, timeout: float) -> list[dict]:
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.read(path, as_version=4)
    cell_budget = max(2 * timeout, CELL_MIN)  # a student's cell: interrupted past this
    client = NotebookClient(notebook, timeout=cell_budget, kernel_name="python3",
                            allow_errors=True, interrupt_on_timeout=True,
                            resources={"metadata": {"path": str(path.parent)}})
    reasons: dict[str, str] = {}
    try:
        # the kernel process's own log (not the cells' output) would only be noise here
        with client.setup_kernel(stderr=subprocess.DEVNULL):
            # the grader and its libraries (torch among them) loaded first, on their own
            # budget: a student's import cell then takes no time, and a slow machine cannot
            # interrupt torch half-imported and blame the student
            notebook.cells.insert(0, nbformat.v4.new_code_cell(_PRELOAD))
            client.timeout = LOAD_BUDGET
            client.execute_cell(notebook.cells[0], 0)
            client.timeout = cell_budget
            for index, cell in enumerate(notebook.cells):
                if index == 0 or cell.cell_type != "code":
                    continue
                client.execute_cell(cell, index, store_history=True)
                failure = next((o for o in cell.get("outputs", [])
                                if o.output_type == "error"), None)
                if failure is None:
                    continue
                why = (f"its cell ran past {cell_budget:g} s and was interrupted"
                       if failure.ename == "KeyboardInterrupt" else
                       f"its cell raised {failure.ename}: {failure.evalue}"[:200])
                for name in EXERCISES:
                    if re.search(rf"^\s*def {name}\s*\(", cell.source, re.M):
                        reasons[name] = why
            grading = nbformat.v4.new_code_cell(
                "from reference.grading.runner import grade_namespace as __grade, report as "
                f"__report\n__report(__grade(globals(), {seed}, {timeout}, "
                f"{json.dumps(reasons)}))")
            notebook.cells.append(grading)
            client.timeout = timeout * len(EXERCISES) + GRADING_BUDGET
            client.execute_cell(grading, len(notebook.cells) - 1)
    except Exception as error:  # noqa: BLE001 - the kernel died or could not start
        return _all(f"the notebook could not be run to the end ({type(error).__name__}: "
                    f"{str(error)[:200]})")
    text = "".join(o.get("text", "") for o in grading.get("outputs", [])
                   if o.output_type == "stream")
    errors = [o for o in grading.get("outputs", []) if o.output_type == "error"]
    return _parse(text, errors[0].evalue if errors else "")


def grade_submission(path: Path, seed: int, timeout: float) -> list[dict]:
    """The results of every exercise; raises ``Ungradable`` when it cannot be graded."""
    kind = check(path)
    return grade_python(path, seed, timeout) if kind == "py" else \
        grade_notebook(path, seed, timeout)
