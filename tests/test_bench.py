"""The benchmark command works (speed itself is measured by the command, not asserted here),
and a scratch fit's memory stays within the data plus one working copy plus buffers."""

import tracemalloc
import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

import scratch
from comparisons import bench


def test_quick_benchmark_reports_every_framework():
    results = bench.run(n_samples=1500, epochs=2, repeats=1, quick=True,
                        progress=lambda line: None)
    assert set(results["gemm_peak_flops"]) == {"float32"}
    for row in results["configurations"]:
        assert set(row["frameworks"]) == set(bench.FRAMEWORKS)
        for f in row["frameworks"].values():
            assert f["median"] > 0 and 0 < f["share_of_peak"]
        assert row["frameworks"]["scratch"]["peak_memory_bytes"] > 0
    assert "% of peak" in bench.table(results)


def test_gemm_peak_is_a_plausible_flop_rate():
    assert 1e8 < bench.gemm_peak("float32", n=256, repeats=2) < 1e14


@pytest.mark.parametrize("early_stopping", [False, True])
def test_scratch_fit_memory_is_the_data_plus_one_copy_plus_buffers(early_stopping):
    rng = np.random.default_rng(0)
    X = rng.random((20000, 200), dtype=np.float32)  # 16 MB
    y = rng.integers(0, 10, len(X))
    model = scratch.MLPClassifier((64,), max_iter=1, batch_size=200,
                                  early_stopping=early_stopping, validation_fraction=0.1)
    tracemalloc.start()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(X, y)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    buffers = 8 * 1024**2  # weights, optimizer state, per-batch work arrays: well under this
    allowed = buffers + (X.nbytes if early_stopping else 0)  # the split copies the data once
    assert peak <= allowed, (peak, allowed)
