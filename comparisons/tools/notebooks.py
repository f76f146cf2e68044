"""python -m comparisons.tools.notebooks: run the lecture's notebooks and store them with outputs.

Each notebook's source is a percent-format Python file, ``notebooks/NN_name.py`` (it diffs
like code); ``--update`` runs it top to bottom in a fresh kernel and writes
``notebooks/NN_name.ipynb`` with every output, so that it renders on a code host. Volatile
metadata (execution times, counts: set to null, as the notebook schema allows) is left out,
so an unchanged notebook rewrites to the same file except where its outputs truly change.
``--check`` (the default) runs every notebook and fails if one errors or if a stored
``.ipynb`` no longer holds its source's cells.
"""

import argparse
import sys
import time
from pathlib import Path

import jupytext
import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[2]
FOLDER = ROOT / "notebooks"


def sources() -> list[Path]:
    return sorted(FOLDER.glob("[0-9][0-9]_*.py"))


def execute(source: Path, timeout: int = 600) -> tuple[nbformat.NotebookNode, float]:
    """The notebook of ``source`` run top to bottom in a fresh kernel, and the seconds it
    took. Raises ``nbclient.exceptions.CellExecutionError`` on the first failing cell."""
    notebook = jupytext.read(source)
    notebook.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python",
                                       "name": "python3"}
    client = NotebookClient(notebook, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(ROOT)}})
    start = time.perf_counter()
    client.execute()
    return notebook, time.perf_counter() - start


def _clean(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    for index, cell in enumerate(notebook.cells):
        cell.metadata = {}
        cell.id = f"cell-{index:02d}"
        if cell.cell_type == "code":
            cell.execution_count = None
            for output in cell.get("outputs", []):
                if output.output_type == "execute_result":  # its schema requires the key
                    output["execution_count"] = None
                output.get("metadata", {}).clear()
    keep = {"kernelspec", "language_info"}
    notebook.metadata = {k: v for k, v in notebook.metadata.items() if k in keep}
    notebook.metadata.get("language_info", {}).pop("version", None)
    return notebook


def same_cells(stored: nbformat.NotebookNode, source: Path) -> bool:
    fresh = jupytext.read(source)
    return ([(c.cell_type, c.source) for c in stored.cells] ==
            [(c.cell_type, c.source) for c in fresh.cells])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m comparisons.tools.notebooks",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help="notebooks to run (default: all)")
    parser.add_argument("--update", action="store_true", help="write the .ipynb files")
    args = parser.parse_args(argv)
    chosen = [s for s in sources() if not args.names or any(n in s.name for n in args.names)]
    problems = 0
    for source in chosen:
        notebook, seconds = execute(source)
        target = source.with_suffix(".ipynb")
        if args.update:
            nbformat.write(_clean(notebook), target)
        elif not target.exists() or not same_cells(nbformat.read(target, 4), source):
            print(f"{target.name} is out of date: python -m comparisons.tools.notebooks --update",
                  file=sys.stderr)
            problems += 1
        print(f"{source.name}: ran in {seconds:.1f} s")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
