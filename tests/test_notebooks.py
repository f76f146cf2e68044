"""The lecture's notebooks run top to bottom in a fresh kernel, without an error or a warning,
and the stored .ipynb files hold their sources' cells (with outputs, for a code host)."""

import re

import jupytext
import nbformat
import pytest
from nbclient import NotebookClient

from comparisons.tools.notebooks import ROOT, execute, same_cells, sources

NOTEBOOKS = sources()


def test_there_is_a_notebook_for_every_part_of_the_lecture():
    names = [s.stem for s in NOTEBOOKS]
    assert len(names) >= 7 and "09_exercises" in names


@pytest.mark.parametrize("source", NOTEBOOKS, ids=[s.stem for s in NOTEBOOKS])
@pytest.mark.slow  # runs notebooks in fresh kernels: 83 s at most, 142 s for its 10
def test_the_notebook_runs_clean_and_its_stored_copy_is_current(source):
    notebook, seconds = execute(source)
    streams = [o for c in notebook.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in streams if o.get("name") == "stderr"], "a warning was printed"
    assert not [o for o in streams if o.output_type == "error"]
    stored = nbformat.read(source.with_suffix(".ipynb"), 4)
    assert same_cells(stored, source), "python -m comparisons.tools.notebooks --update"
    outputs = [o for c in stored.cells if c.cell_type == "code" for o in c.outputs]
    assert outputs and not [o for o in outputs if o.get("name") == "stderr"]


def _run_filled(fill: dict[str, str]) -> str:
    """Run the exercises notebook with each exercise's cell replaced; its printed text."""
    notebook = jupytext.read(ROOT / "notebooks" / "09_exercises.py")
    for cell in notebook.cells:
        match = re.match(r"def (\w+)\(", cell.source)
        if cell.cell_type == "code" and match and match.group(1) in fill:
            cell.source = fill[match.group(1)]
    NotebookClient(notebook, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(ROOT)}}).execute()
    return "".join(o.get("text", "") + o.get("data", {}).get("text/plain", "")
                   for c in notebook.cells if c.cell_type == "code" for o in c.outputs)


NAMES = ["sigmoid_backward", "relu_backward", "dense_backward", "softmax_cross_entropy",
         "adam_step", "backprop", "backprop_steps"]


@pytest.mark.slow  # runs notebooks in fresh kernels: 6 s
def test_the_exercises_filled_with_the_solutions_all_pass():
    fill = {name: f"from tests.gallery.model_answers import answer as solution\n"
                  f"{name} = solution({name!r})\ngrade({name!r}, {name})" for name in NAMES}
    fill["dropout_forward"] = ("from tests.gallery.model_answers import answer as solution\n"
                               "dropout_forward = solution('dropout_forward')\n"
                               "dropout_backward = solution('dropout_backward')\n"
                               "print(grade('dropout_forward', dropout_forward))\n"
                               "print(grade('dropout_backward', dropout_backward))")
    text = _run_filled(fill)
    assert text.count(": OK") == len(NAMES) + 2, text
    assert "NOT OK" not in text and "not attempted" not in text, text


@pytest.mark.slow  # runs notebooks in fresh kernels: 4 s
def test_the_exercises_filled_with_mistakes_are_each_caught():
    mistakes = {
        "sigmoid_backward": "def sigmoid_backward(grad_out, out):\n    return out * (1 - out)",
        "backprop": "def backprop(params, X, Y):\n"
                    "    W0, b0, W1, b1 = params\n"
                    "    z = X @ W0 + b0\n    h = 1 / (1 + np.exp(-z))\n"
                    "    e = np.exp(h @ W1 + b1)\n    p = e / e.sum(1, keepdims=True)\n"
                    "    delta = (p - Y) / len(X)\n    delta_h = delta @ W1.T  # no f'(z)\n"
                    "    return [X.T @ delta_h, delta_h.sum(0), h.T @ delta, delta.sum(0)]",
    }
    text = _run_filled({name: source + f"\n\n\ngrade({name!r}, {name})"
                        for name, source in mistakes.items()})
    assert "sigmoid_backward: NOT OK: the local gradient h (1 - h) alone" in text
    assert "backprop: NOT OK" in text and "derivative is missing" in text


STORED = [s.with_suffix(".ipynb") for s in NOTEBOOKS]


@pytest.mark.parametrize("stored", STORED, ids=[s.stem for s in STORED])
def test_the_stored_notebook_is_valid_and_opens_in_jupyter(stored, tmp_path):
    """What a reader does with the file: a code host renders it (nbconvert's HTML exporter),
    Jupyter opens it (jupyter_server's contents manager, which validates it and says so)."""
    from jupyter_server.services.contents.filemanager import FileContentsManager
    from nbconvert import HTMLExporter

    notebook = nbformat.read(stored, 4)
    nbformat.validate(notebook)  # raises on a schema error
    html, _ = HTMLExporter().from_notebook_node(notebook)
    first_heading = next(c.source for c in notebook.cells if c.cell_type == "markdown")
    title = first_heading.splitlines()[0].lstrip("# ").strip()
    assert title and title.split()[0] in html
    assert "<img" in html or "data:image/png" in html or stored.stem == "09_exercises"
    opened = FileContentsManager(root_dir=str(stored.parent)).get(stored.name)
    assert opened["type"] == "notebook" and opened["format"] == "json"
    assert opened.get("message") in (None, ""), opened.get("message")
    assert len(opened["content"]["cells"]) == len(notebook.cells)
