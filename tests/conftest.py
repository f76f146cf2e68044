import numpy as np
import pytest
import torch
from threadpoolctl import threadpool_limits

# One BLAS thread and one torch thread in the test process: the suite's many small products
# run faster so, calm (tests/test_trajectories.py and test_gradients.py: 54 s against 60 s)
# and far faster beside a busy process (59 s against 86 s), measured on 2026-12-02 on the
# project's 2-core machine. Results do not depend on it (the twins agree to round-off
# either way); processes the tests start keep their default threads, as a user's would.
threadpool_limits(limits=1)
torch.set_num_threads(1)


@pytest.fixture
def rng():
    """A fresh, seeded generator for each test."""
    return np.random.default_rng(0)


@pytest.fixture(scope="session")
def quick_report(tmp_path_factory):
    """The folder of one ``python -m comparisons --quick`` run, shared by the tests that read
    the report (its files, its schema, the page in a browser)."""
    from comparisons.cli import main

    # a long folder name, as a user's own can be: the page shows the command with its --out
    # path, which must still fit a phone's width (tests/test_report_browser.py)
    out = tmp_path_factory.mktemp("reports-of-the-three-frameworks-kept-in-a-long-folder")
    assert main(["--quick", "--quiet", "--out", str(out)]) == 0
    return out
