"""Reading a submission as Python reads it, in the grader (nothing of it runs here).

A ``.py`` file is decoded as Python decodes it (a byte-order mark, a ``coding:`` line, CRLF
or CR line ends: ``importlib.util.decode_source``) and is one cell. A ``.ipynb`` notebook
(nbformat 3, or 4.0 to 4.5, as JupyterLab, VS Code or Colab save it) gives its code cells,
each turned into Python by IPython's ``TransformerManager`` (``%magic`` and ``!shell``
become ``get_ipython()`` calls, which the child answers: ``sandbox.Shell``). Each cell is
parsed here (a notebook's top-level ``await`` as IPython runs it): a cell with a syntax
error is set aside with the reason (the others still run), and where each exercise's name
is bound (``def``, assignment, import) is noted, so that an exercise missing after the run
can be told why.

A submission's size is its code's: a ``.py`` file of at most ``MAX_BYTES``, a notebook
whose code cells hold at most that much (its outputs, figures included, do not count; the
file itself may be up to ``MAX_NOTEBOOK_BYTES``). The code reaches the child as a file,
never over the channel, whatever its size.
"""

import ast
import importlib.util
import json
from dataclasses import dataclass, field
from pathlib import Path

MAX_BYTES = 50 * 2**20  # of code: a data set pasted into a file is a few megabytes
MAX_NOTEBOOK_BYTES = 512 * 2**20  # of a notebook with its outputs (figures, printed data)
NOTEBOOK_FLAGS = ast.PyCF_ONLY_AST | ast.PyCF_ALLOW_TOP_LEVEL_AWAIT  # as IPython parses


class Ungradable(Exception):
    """The submission cannot be graded at all: the sentence says why."""


@dataclass
class Cell:
    """One cell's Python: ``number`` its place among the notebook's cells (from 1, markdown
    included; 0 for a ``.py`` file), ``filename`` what tracebacks call it."""

    number: int
    filename: str
    source: str


@dataclass
class Submission:
    path: Path
    kind: str  # "py" or "ipynb"
    cells: list[Cell]
    problems: dict[int, tuple[str, str]] = field(default_factory=dict)
    # cell number -> (why it cannot run: a syntax error, its source)
    bindings: dict[str, list[tuple[int, int, int]]] = field(default_factory=dict)
    # exercise name -> [(index in cells, statement index, line)] where a statement binds it

    def subject(self, index: int) -> str:
        """The cell at ``index`` as the student knows it."""
        return "the file" if self.kind == "py" else f"your cell {self.cells[index].number}"

    def place(self, index: int, where: object, line: object = None) -> str:
        """"line L" of the file, or "line L of your cell N" of a notebook: the innermost
        frame of the student's code in a traceback (``where`` = [filename, line]), else
        ``line`` of the cell at ``index``."""
        filename, number = self.cells[index].filename, line
        if isinstance(where, list) and len(where) == 2 and isinstance(where[1], int) and \
                any(c.filename == where[0] for c in self.cells):
            filename, number = where
        if not isinstance(number, int) or isinstance(number, bool):
            return "an unknown line" + ("" if self.kind == "py" else
                                        f" of your cell {self.cells[index].number}")
        if self.kind == "py":
            return f"line {number}"
        cell = next(c for c in self.cells if c.filename == filename)
        return f"line {number} of your cell {cell.number}"


def _python(path: Path, data: bytes) -> list[Cell]:
    if b"\0" in data:
        raise Ungradable(f"{path}: not a Python file (it holds null bytes)")
    try:
        source = importlib.util.decode_source(data)
    except (SyntaxError, UnicodeDecodeError, LookupError) as error:
        raise Ungradable(f"{path}: not a Python file Python can decode ({error})") from None
    try:
        compile(source, path.name, "exec", dont_inherit=True)
    except SyntaxError as error:
        raise Ungradable(f"{path}: a syntax error at line {error.lineno}: {error.msg}") \
            from None
    except (ValueError, RecursionError, MemoryError) as error:
        raise Ungradable(f"{path}: not a Python file ({type(error).__name__})") from None
    return [Cell(0, path.name, source)]


def _code_cells(path: Path, data: bytes) -> list[tuple[int, str]]:
    """(number, source) of each code cell, whatever nbformat 3 or 4 variant saved it."""
    try:
        notebook = json.loads(data)
    except (ValueError, RecursionError):
        raise Ungradable(f"{path}: not a readable notebook (not JSON)") from None
    if not isinstance(notebook, dict):
        raise Ungradable(f"{path}: not a readable notebook (no cells)")
    metadata = notebook.get("metadata") if isinstance(notebook.get("metadata"), dict) else {}
    language = str((metadata.get("language_info") or {}).get("name", "python")
                   if isinstance(metadata.get("language_info"), dict) else "python")
    if not language.lower().startswith("python"):
        raise Ungradable(f"{path}: a {language} notebook, not a Python one")
    if notebook.get("nbformat") == 3 or "worksheets" in notebook:
        sheets = notebook.get("worksheets") or []
        cells = [c for s in sheets if isinstance(s, dict) for c in s.get("cells") or []]
        key = "input"
    else:
        cells, key = notebook.get("cells"), "source"
    if not isinstance(cells, list):
        raise Ungradable(f"{path}: not a readable notebook (no cells)")
    found = []
    for number, cell in enumerate(cells, start=1):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        vscode = (cell.get("metadata") or {}).get("vscode") if isinstance(
            cell.get("metadata"), dict) else None
        if isinstance(vscode, dict) and str(vscode.get("languageId", "python")) != "python":
            continue  # a VS Code cell in another language
        source = cell.get(key, cell.get("source", ""))
        if isinstance(source, list):
            source = "".join(s for s in source if isinstance(s, str))
        if isinstance(source, str):
            found.append((number, source))
    return found


def _megabytes(size: int) -> str:
    return f"{size // 2**20} MB"


def _notebook(path: Path, data: bytes) -> tuple[list[Cell], dict[int, tuple[str, str]]]:
    try:
        from IPython.core.inputtransformer2 import TransformerManager
        transform = TransformerManager().transform_cell
    except ImportError:  # without IPython: magics and shell lines become comments
        def transform(source: str) -> str:
            return "\n".join("# " + line if line.lstrip().startswith(("%", "!")) else line
                             for line in source.splitlines()) + "\n"
    cells, problems = [], {}
    code = _code_cells(path, data)
    size = sum(len(source.encode("utf-8", "surrogatepass")) for _, source in code)
    if size > MAX_BYTES:
        raise Ungradable(f"{path}: its code cells hold more than {_megabytes(MAX_BYTES)} "
                         "(its outputs left aside); keep data in files of their own")
    for number, source in code:
        try:
            python = transform(source)
        except Exception:  # noqa: BLE001 - IPython's own parsing gave up: Python's decides
            python = source
        try:
            compile(python, f"<cell {number}>", "exec", NOTEBOOK_FLAGS, dont_inherit=True)
        except SyntaxError as error:
            problems[number] = (f"your cell {number} has a syntax error at line "
                                f"{error.lineno}: {error.msg}", source)
            continue
        except (ValueError, RecursionError, MemoryError) as error:
            problems[number] = (f"your cell {number} cannot be read "
                                f"({type(error).__name__})", source)
            continue
        cells.append(Cell(number, f"<cell {number}>", python))
    return cells, problems


def _bindings(cells: list[Cell], names: list[str], flags: int
              ) -> dict[str, list[tuple[int, int, int]]]:
    found: dict[str, list[tuple[int, int, int]]] = {}
    for index, cell in enumerate(cells):
        tree = compile(cell.source, cell.filename, "exec", flags, dont_inherit=True)
        for number, statement in enumerate(tree.body):
            bound, todo = set(), [statement]
            while todo:  # the module's own names: not a function's or a class's locals
                node = todo.pop()
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                    bound.add(node.name)
                    continue
                if isinstance(node, ast.Lambda):
                    continue
                if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                    bound.add(node.id)
                elif isinstance(node, (ast.Import, ast.ImportFrom)):
                    bound.update((a.asname or a.name).split(".")[0] for a in node.names)
                todo.extend(ast.iter_child_nodes(node))
            for name in bound & set(names):
                found.setdefault(name, []).append((index, number, statement.lineno))
    return found


def read(path: Path, names: list[str]) -> Submission:
    """The submission at ``path`` (resolved by the caller), ready to run; raises
    ``Ungradable`` with the reason when it cannot be graded at all."""
    if not path.exists():
        raise Ungradable(f"{path}: no such file")
    if not path.is_file():
        raise Ungradable(f"{path}: not a file")
    suffix = path.suffix.lower()
    if suffix not in (".py", ".ipynb"):
        raise Ungradable(f"{path}: not a notebook (.ipynb) or a Python file (.py)")
    size, limit = path.stat().st_size, MAX_BYTES if suffix == ".py" else MAX_NOTEBOOK_BYTES
    if size > limit:
        raise Ungradable(f"{path}: larger than {_megabytes(limit)}" + (
            "; keep data in files of their own" if suffix == ".py" else
            " even with its outputs; clear them (Edit > Clear All Outputs) and submit it "
            "again"))
    try:
        data = path.read_bytes()
    except OSError as error:
        raise Ungradable(f"{path}: cannot be read ({error.strerror})") from None
    if suffix == ".py":
        cells, problems, flags = _python(path, data), {}, ast.PyCF_ONLY_AST
    else:
        (cells, problems), flags = _notebook(path, data), NOTEBOOK_FLAGS
    return Submission(path, suffix[1:], cells, problems, _bindings(cells, names, flags))
