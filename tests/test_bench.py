"""The benchmark command works (speed itself is measured by the command, not asserted here):
contenders, paired ratios, discarded pairs, the FLOP count; and a scratch fit's memory stays
within the data plus one working copy plus buffers."""

import tracemalloc
import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

import scratch
from comparisons.bench import measure as bench
from comparisons.bench import table as bench_table
from comparisons.bench.contenders import RUNNERS, Config, data, gemm_flops

TINY = Config((16,), 100, "adam", "float32", n_samples=1000, epochs=2)


def test_the_epoch_flops_count_the_products_actually_performed():
    # 784-100-10: forward and weight gradients of both layers, the input gradient of the
    # second only: 2 x 60,000 x (2 x 79,400 + 1,000) = 19.2 GFLOP, not 6 x n x weights
    assert gemm_flops(Config((100,), 200, "adam", "float32")) == 2 * 60000 * (2 * 79400 + 1000)


@pytest.mark.parametrize("name", ["numpy_bare", "unavoidable", "gemm_floor", "torch_plain",
                                  "scratch"])
def test_each_contender_times_its_epochs(name):
    X, y = data(TINY)
    epochs = RUNNERS[name](Config((16,), 100, "adam", "float32", n_samples=1000, epochs=3), X, y)
    assert len(epochs) == 2 and all(e > 0 for e in epochs)


@pytest.mark.slow  # runs benchmark contenders: 10 s
def test_the_quick_benchmark_pairs_every_contender_with_scratch():
    lines = []
    results = bench.run(repeats=2, say=lines.append, chosen=([TINY], []),
                        contenders=("sklearn", "numpy_bare", "gemm_floor"))
    row = results["rows"][0]
    for name, entry in row["contenders"].items():
        tried = len(entry["ratios"]) + entry["discarded"] + entry["slow_state"]
        assert len(entry["ratios"]) == 2 or tried == 4
        if entry["ratios"]:
            assert entry["ratio_low"] <= entry["ratio"] <= entry["ratio_high"]
            assert entry["ratio"] == pytest.approx(np.median(entry["ratios"]))
    text = bench_table.table(results)
    for name in ("scratch / sklearn", "scratch / gemm_floor", "x floor", "% of peak"):
        assert name in text
    assert len(lines) == 3 and row["peak_memory_over_data"] > 0


@pytest.mark.slow  # runs benchmark contenders: 5 s
def test_a_pair_straddling_a_change_of_speed_is_discarded_and_counted(monkeypatch):
    monkeypatch.setattr(bench, "SETTLE_SECONDS", 0)  # the probe is made up: no threads to wait for
    readings = iter([(1.0, 1.0), (2.0, 2.0)] * 10)  # every pair: the machine halves its speed
    monkeypatch.setattr(bench, "probe", lambda dtype="float32": next(readings))
    lines = []
    results = bench.run(repeats=2, say=lines.append, chosen=([TINY], []),
                        contenders=("gemm_floor",))
    entry = results["rows"][0]["contenders"]["gemm_floor"]
    assert entry["discarded"] + entry["slow_state"] == 4 and entry["ratios"] == []  # 2 x 2 tried
    assert "every pair discarded" in lines[0]
    assert "no clean pair" in bench_table.table(results)


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


@pytest.mark.slow  # reads conftest.xor_report: a report run of about 30 s, once a session
def test_the_report_shows_the_benchmark_found_in_its_folder(xor_report):
    """(conftest.xor_report: a run over a folder holding a quick benchmark's bench.json.)"""
    import json

    _, out = xor_report
    stored = json.loads((out / "bench.json").read_text())
    assert {"numpy_bare", "gemm_floor"} <= set(stored["rows"][0]["contenders"])
    html = (out / "report.html").read_text()
    assert "<h2>Speed</h2>" in html and "alt='benchmark'" in html
    assert "scratch / gemm_floor" in (out / "report.md").read_text()
    assert json.loads((out / "results.json").read_text())["benchmark"] == stored


def test_the_machine_is_named_with_the_versions_that_matter():
    m = bench.machine()
    assert m["cores"] >= 1 and m["cpu"] and m["numpy"] == np.__version__
    assert m["torch"].startswith("2.13.0") and "blas" in m
    line = bench_table._machine_line({"machine": m})[0]
    assert m["cpu"] in line and m["numpy"] in line


@pytest.mark.slow  # runs benchmark contenders: 4 s
def test_a_contender_without_a_clean_pair_is_measured_again_on_the_same_machine(monkeypatch):
    monkeypatch.setattr(bench, "SETTLE_SECONDS", 0)  # the probe is made up: no threads to wait for
    readings = iter([(1.0, 1.0), (2.0, 2.0)] * 10)  # every pair straddles a change of speed
    real_probe = bench.probe
    monkeypatch.setattr(bench, "probe", lambda dtype="float32": next(readings))
    results = bench.run(repeats=1, say=lambda line: None, chosen=([TINY], []),
                        contenders=("gemm_floor",))
    assert results["rows"][0]["contenders"]["gemm_floor"]["ratios"] == []
    monkeypatch.setattr(bench, "probe", lambda dtype="float32": (1.0, 1.0))
    retried = bench.retry_missing(results, repeats=1, tolerance=0.1, say=lambda line: None)
    entry = results["rows"][0]["contenders"]["gemm_floor"]
    assert retried == ["784-16-10 adam 100 float32 gemm_floor"]
    assert len(entry["ratios"]) == 1 and entry["retried"]
    assert entry["discarded"] + entry["slow_state"] == 2  # the first run's, still counted
    assert results["rows"][0]["scratch_median"] == entry["scratch_seconds"][0]
    assert "Measured again with --retry-missing" in bench_table.table(results)
    assert bench.retry_missing(results, 1, 0.1, say=lambda line: None) == []  # nothing left
    monkeypatch.setattr(bench, "probe", real_probe)
    results["machine"] = {**results["machine"], "cpu": "another CPU"}
    with pytest.raises(ValueError, match="another machine"):
        bench.retry_missing(results, 1, 0.1)


def test_a_ratio_whose_spread_crosses_one_or_is_wide_is_marked():
    def entry(low, mid, high):
        return {"ratios": [low, mid, high], "ratio": mid, "ratio_low": low, "ratio_high": high,
                "separable": low > 1 or high < 1, "median": 1.0, "seconds": [1.0],
                "scratch_seconds": [1.0]}

    row = {"config": {"name": "784-16-10", "solver": "adam", "batch": 100, "dtype": "float32"},
           "gemm_flops": 1, "scratch_median": 1.0,
           "contenders": {"a": entry(0.60, 0.62, 0.64), "b": entry(0.95, 0.99, 1.02),
                          "c": entry(0.20, 0.40, 0.60),
                          "d": {**entry(0.91, 0.91, 0.91), "ratios": [0.91]}}}
    line = bench_table.ratios_table({"rows": [row]}).splitlines()[-1]
    cells = [c.strip() for c in line.strip("|").split("|")][4:]
    assert cells == ["0.62 [0.60, 0.64]", "0.99 [0.95, 1.02] not separable",
                     "0.40 [0.20, 0.60] too wide to trust",
                     "0.91 [0.91, 0.91] one pair only, no spread"]


@pytest.mark.slow  # runs benchmark contenders: 4 s
def test_a_contender_the_stored_run_lacks_is_added_in_its_place(monkeypatch):
    monkeypatch.setattr(bench, "SETTLE_SECONDS", 0)  # the probe is made up: no threads to wait for
    monkeypatch.setattr(bench, "probe", lambda dtype="float32": (1.0, 1.0))  # a steady machine
    results = bench.run(repeats=1, say=lambda line: None, chosen=([TINY], []),
                        contenders=("sklearn", "gemm_floor"))
    assert list(results["rows"][0]["contenders"]) == ["sklearn", "gemm_floor"]
    monkeypatch.setattr(bench, "_planned",
                        lambda: {TINY: ("sklearn", "unavoidable", "gemm_floor")})
    added = bench.retry_missing(results, repeats=1, tolerance=0.1, say=lambda line: None)
    row = results["rows"][0]
    assert added == ["784-16-10 adam 100 float32 unavoidable"]
    assert list(row["contenders"]) == ["sklearn", "unavoidable", "gemm_floor"]  # plan's order
    entry = row["contenders"]["unavoidable"]
    assert entry["added"] and "retried" not in entry and len(entry["ratios"]) == 1
    text = bench_table.table(results)
    assert "Added later with --retry-missing" in text and "scratch / unavoidable" in text
    assert bench.retry_missing(results, 1, 0.1, say=lambda line: None) == []  # nothing left
