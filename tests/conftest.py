import numpy as np
import pytest


@pytest.fixture
def rng():
    """A fresh, seeded generator for each test."""
    return np.random.default_rng(0)


@pytest.fixture(scope="session")
def quick_report(tmp_path_factory):
    """The folder of one ``python -m comparisons --quick`` run, shared by the tests that read
    the report (its files, its schema, the page in a browser)."""
    from comparisons.cli import main

    out = tmp_path_factory.mktemp("report")
    assert main(["--quick", "--quiet", "--out", str(out)]) == 0
    return out
