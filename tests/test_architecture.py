"""The floors and rooms hold: import-linter's contracts pass on the code, and each fails when
one forbidden import is planted in a copy of it; every package's docstring is its map; the
architecture page's table is the code's."""

import ast
import importlib
import os
import pkgutil
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from comparisons.tools import architecture

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("scratch", "reference", "comparisons")
LINT = Path(sys.executable).with_name("lint-imports")

# contract id -> (module to plant the import in, the forbidden import)
BROKEN = {
    "floors": ("scratch/network.py", "import reference.checking.gradients"),
    "scratch-rooms": ("scratch/layers/dense.py", "import scratch.network"),
    "lecture-apart": ("scratch/lecture/perceptron.py", "import scratch.estimators.base"),
    "lecture-no-loop": ("scratch/lecture/vanishing.py", "import scratch.optim.adam"),
    "scratch-from-scratch": ("scratch/layers/losses.py", "import torch"),
    "reference-rooms": ("reference/twin/torch_mlp.py", "import reference.grading.exercises"),
    "comparisons-rooms": ("comparisons/bench/table.py", "import comparisons.report.tables"),
}


def lint(folder: Path, contract: str | None = None) -> subprocess.CompletedProcess:
    args = [str(LINT), "--no-cache"] + (["--contract", contract] if contract else [])
    env = {**os.environ, "PYTHONPATH": str(folder)}  # ahead of the installed project
    return subprocess.run(args, cwd=folder, env=env, capture_output=True, text=True,
                          timeout=300)


@pytest.fixture(scope="module")
def copy_of_the_code(tmp_path_factory):
    folder = tmp_path_factory.mktemp("code")
    for package in PACKAGES:
        shutil.copytree(ROOT / package, folder / package,
                        ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", folder)
    return folder


def test_every_contract_is_kept_by_the_code():
    run = lint(ROOT)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "7 kept, 0 broken" in run.stdout


@pytest.mark.parametrize("contract", sorted(BROKEN))
def test_a_planted_import_breaks_its_contract(copy_of_the_code, contract):
    module, line = BROKEN[contract]
    path = copy_of_the_code / module
    original = path.read_text()
    path.write_text(original + f"\n{line}  # planted by the test\n")
    try:
        run = lint(copy_of_the_code, contract)
    finally:
        path.write_text(original)
    assert run.returncode != 0, run.stdout
    assert "BROKEN" in run.stdout and "0 kept, 1 broken" in run.stdout


def test_the_contracts_named_here_are_the_ones_in_pyproject():
    import tomllib

    contracts = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    assert {c["id"] for c in contracts["contracts"]} == set(BROKEN)


def _packages():
    for name in PACKAGES:
        package = importlib.import_module(name)
        yield name, package
        for info in pkgutil.walk_packages(package.__path__, name + "."):
            if info.ispkg:
                yield info.name, importlib.import_module(info.name)


@pytest.mark.parametrize("name,package", list(_packages()), ids=lambda v: getattr(v, "__name__", v))
def test_each_package_docstring_names_everything_it_holds(name, package):
    held = [info.name for info in pkgutil.iter_modules(package.__path__)
            if info.name != "__main__"]
    doc = package.__doc__ or ""
    missing = [h for h in held if h not in doc]
    assert not missing, f"{name}'s docstring does not name {missing}"


@pytest.mark.parametrize("name,package", list(_packages()), ids=lambda v: getattr(v, "__name__", v))
def test_no_package_top_level_holds_more_than_a_dozen_modules(name, package):
    held = [info.name for info in pkgutil.iter_modules(package.__path__)
            if info.name != "__main__"]
    assert len(held) <= 13, f"{name} holds {len(held)}: {held}"


def test_scratch_never_imports_scikit_learns_network_code():
    for path in (ROOT / "scratch").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            assert not any(n.startswith("sklearn.neural_network") for n in names), path


def test_the_architecture_page_holds_the_rooms_the_code_has():
    stored = architecture.current(ROOT / "docs" / "architecture.md")
    assert stored == architecture.picture(), \
        "python -m comparisons.tools.architecture --update docs/architecture.md"
