import fcntl
import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from threadpoolctl import threadpool_limits

from tests.folders import users_folder

# One BLAS thread and one torch thread in the test process: the suite's many small products
# run faster so, calm (tests/test_trajectories.py and test_gradients.py: 54 s against 60 s)
# and far faster beside a busy process (59 s against 86 s), measured on 2026-12-02 on the
# project's 2-core machine. Results do not depend on it (the twins agree to round-off
# either way); processes the tests start keep their default threads, as a user's would,
# except under pytest-xdist (below).
threadpool_limits(limits=1)
torch.set_num_threads(1)


def pytest_configure(config):
    """Under pytest-xdist (``-n``), before its workers start: one OpenMP and BLAS thread in
    every process of the run (the workers, and the notebooks' kernels, the pages' blocks and
    the commands the tests start), since every core runs a worker already. With more,
    OpenMP's threads spin waiting for each other on a core the other worker holds: set only
    inside the workers (too late for the OpenMP that scikit-learn loads), its tests and
    torch's ran 4 to 12 times slower than alone (measured 2026-12-07)."""
    if getattr(config.option, "numprocesses", None):
        for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ.setdefault(name, "1")


@pytest.fixture
def rng():
    """A fresh, seeded generator for each test."""
    return np.random.default_rng(0)


def shared_folder(tmp_path_factory, name: str, make) -> Path:
    """The folder ``name`` that ``make(folder)`` fills, made once for the whole session, even
    under pytest-xdist: its workers share the parent of their temporary folders, and the
    first to ask makes it (under a lock) while any other waits. Tests only read it."""
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent
    folder, done = root / name, root / f"{name}.done"
    with open(root / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            shutil.rmtree(folder, ignore_errors=True)  # a make that failed before
            folder.mkdir()
            make(folder)
            done.touch()
    return folder


@pytest.fixture(scope="session")
def quick_report(tmp_path_factory):
    """The folder of one ``python -m comparisons --quick`` run, shared by the tests that read
    the report (its files, its schema, the page in a browser)."""
    from comparisons.cli import main

    def make(out):
        assert main(["--quick", "--quiet", "--out", str(out)]) == 0

    # a long folder name, as a user's own can be: the page shows the command with its --out
    # path, which must still fit a phone's width (tests/test_report_browser.py)
    return shared_folder(tmp_path_factory,
                         "reports-of-the-three-frameworks-kept-in-a-long-folder", make)


@pytest.fixture(scope="session")
def xor_report(tmp_path_factory):
    """One ``python -m comparisons --dataset xor --quick --seeds 1`` run over a user's folder,
    shared by the tests of what such a run does: ``before`` holds a copy of the folder as it
    was (the user's files, an old report.md and a benchmark's bench.json), ``after`` the
    folder the run wrote into."""
    from comparisons.bench import measure as bench
    from comparisons.bench import table as bench_table
    from comparisons.bench.contenders import Config
    from comparisons.cli import main

    def make(folder):
        out = users_folder(folder / "after")
        (out / "report.md").write_text("an old report")
        tiny = Config((16,), 100, "adam", "float32", n_samples=1000, epochs=2)
        threads = torch.get_num_threads()  # (the benchmark sets its own)
        try:
            results = bench.run(repeats=1, say=lambda line: None, chosen=([tiny], []),
                                contenders=("numpy_bare", "gemm_floor"))
        finally:
            torch.set_num_threads(threads)
        results["table"] = bench_table.table(results)
        (out / "bench.json").write_text(json.dumps(results))
        shutil.copytree(out, folder / "before")
        assert main(["--dataset", "xor", "--quick", "--seeds", "1", "--quiet",
                     "--out", str(out)]) == 0

    folder = shared_folder(tmp_path_factory, "xor-report-over-a-users-folder", make)
    return folder / "before", folder / "after"
