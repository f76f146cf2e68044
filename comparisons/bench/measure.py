"""The measuring behind ``python -m comparisons.bench``: seconds per epoch of scratch
beside what a user would pick instead, and beside the floor, with the noise handled.

Contenders (``comparisons/bench/contenders.py``): scikit-learn, the torch twin in both conventions,
a plain PyTorch loop and its ``foreach``, ``fused`` and ``torch.compile`` variants, a bare
NumPy loop, and the GEMM floor (only the epoch's matrix products). Data: make_classification,
60,000 x 784, 10 classes.

This machine changes speed by up to 1.7x within minutes, and not evenly (memory-bound work
slows more than matrix products), so no ratio is taken from two runs far apart. Scratch and
each contender run in **adjacent pairs** (their order alternating from repeat to repeat); a
short **probe** of the machine's speed (a matrix product and a pass over memory) runs before
and after each pair; a pair whose probes differ by more than ``--probe-tolerance``, or that
ran while the probes were slower than the run's best by more than twice it, is discarded and
counted, and another pair is run instead (up to twice the repeats). A ratio (scratch /
contender) is the median of the per-pair ratios, given with their spread (lowest and
highest); a ratio whose spread crosses 1 is marked "not separable". Shares of the GEMM floor
and of the machine's peak count the matrix products actually performed
(``contenders.gemm_flops``). On a bad day every pair of a contender may be discarded; then
``--retry-missing`` measures only those again, on the same machine, and the table says which
(it also adds a contender that the stored run lacks, one added since).
"""

import json
import os
import subprocess
import sys
import time
import tracemalloc
import warnings
from collections.abc import Callable
from dataclasses import asdict, replace
from typing import Any

import numpy as np
import torch

from comparisons import signals
from comparisons.bench.contenders import RUNNERS, Config, Skip, data, gemm_flops
from comparisons.bench.table import label, progress

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ALL = ("sklearn", "torch_twin", "torch_twin_native", "torch_plain", "torch_foreach",
       "torch_fused", "torch_compiled", "numpy_bare", "unavoidable", "gemm_floor")
SCALING = ("sklearn", "torch_plain", "numpy_bare", "unavoidable", "gemm_floor")
COMPILE_BUDGET = 600  # seconds a torch.compile contender may take, compilation included


_PROBE_MEMORY = np.ones(8 * 2**20, dtype=np.float32)  # 32 MB: more than the caches hold


def probe(dtype: str = "float32", n: int = 384, repeats: int = 5) -> tuple[float, float]:
    """A quick reading of the machine's speed: the best seconds of an n x n matrix product
    and of one pass over 32 MB of memory (the epochs here are both)."""
    rng = np.random.default_rng(0)
    a, b = rng.random((n, n)).astype(dtype), rng.random((n, n)).astype(dtype)
    out = np.empty((n, n), dtype=dtype)
    gemm = memory = np.inf
    for _ in range(repeats):
        start = time.perf_counter()
        np.matmul(a, b, out=out)
        gemm = min(gemm, time.perf_counter() - start)
        start = time.perf_counter()
        _PROBE_MEMORY.sum()
        memory = min(memory, time.perf_counter() - start)
    return gemm, memory


def _steady(before: tuple, after: tuple, best: list[float], tolerance: float) -> str | None:
    """Why a pair cannot be used, or None: the machine changed speed during it (the probes
    before and after differ), or it ran in a slow state (slower than the best reading of
    the run by more than twice the tolerance)."""
    for b, a, fastest in zip(before, after, best):
        if abs(a / b - 1) > tolerance:
            return "changed"
        if min(a, b) > fastest * (1 + 2 * tolerance):
            return "slow"
    return None


def gemm_peak(dtype: str, n: int = 2048, repeats: int = 3) -> float:
    """Best FLOP/s of an n x n by n x n matrix product in NumPy (this machine's BLAS)."""
    rng = np.random.default_rng(0)
    a, b = rng.random((n, n)).astype(dtype), rng.random((n, n)).astype(dtype)
    out = np.empty((n, n), dtype=dtype)
    np.matmul(a, b, out=out)
    best = np.inf
    for _ in range(repeats):
        start = time.perf_counter()
        np.matmul(a, b, out=out)
        best = min(best, time.perf_counter() - start)
    return 2 * n**3 / best


def _compiled(config: Config) -> list[float]:
    """torch.compile in a process of its own, given up after COMPILE_BUDGET seconds."""
    fields = {**asdict(config), "threads": torch.get_num_threads()}
    try:
        done = subprocess.run([sys.executable, "-m", "comparisons.bench.contenders",
                               "torch_compiled", json.dumps(fields)], capture_output=True,
                              text=True, timeout=COMPILE_BUDGET, cwd=ROOT)
    except subprocess.TimeoutExpired:
        raise Skip(f"torch.compile did not finish within {COMPILE_BUDGET} s") from None
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no message"])[-1]
        raise Skip(f"torch.compile failed here: {last[:200]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    if "skip" in result:
        raise Skip(result["skip"])
    return result["epochs"]


SETTLE_SECONDS = 0.3  # before each run: the previous run's BLAS/OpenMP threads stop spinning


def epoch_seconds(name: str, config: Config, X: np.ndarray, y: np.ndarray) -> float:
    """Median seconds per epoch of one run of ``name`` (its first epoch left out)."""
    time.sleep(SETTLE_SECONDS)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        epochs = _compiled(config) if name == "torch_compiled" else RUNNERS[name](config, X, y)
    signals.raise_if_stopped()  # a fit cut short by Ctrl-C or SIGTERM is not a measurement
    return float(np.median(epochs))


def measure(config: Config, contenders: tuple[str, ...], repeats: int, tolerance: float,
            say: Callable[[str], None], best: list[float] | None = None) -> dict:
    """Every contender's pairs with scratch: their times, ratios and the discarded pairs.
    ``best`` holds the fastest probe readings of the run so far (updated in place)."""
    X, y = data(config)
    for name in ("scratch",) + contenders:  # warm-up: one short run each (numba, threads)
        if name != "torch_compiled":
            try:
                epoch_seconds(name, replace(config, n_samples=2000, epochs=2), X[:2000],
                              y[:2000])
            except Skip:
                pass
    row = {"config": {**asdict(config), "name": config.name}, "gemm_flops": gemm_flops(config),
           "contenders": {}}
    best = best if best is not None else list(probe(config.dtype))
    for name in contenders:
        entry = {"seconds": [], "scratch_seconds": [], "ratios": [], "discarded": 0,
                 "slow_state": 0}
        for attempt in range(2 * repeats):  # up to twice as many pairs as asked, to keep enough
            if len(entry["ratios"]) == repeats:
                break
            order = ("scratch", name) if (attempt + len(name)) % 2 == 0 else (name, "scratch")
            before = probe(config.dtype)
            try:
                times = {n: epoch_seconds(n, config, X, y) for n in order}
            except Skip as reason:
                entry = {"skipped": str(reason)}
                break
            after = probe(config.dtype)
            best[:] = [min(x, y_, z) for x, y_, z in zip(best, before, after)]
            why = _steady(before, after, best, tolerance)
            if why is not None:
                entry["discarded" if why == "changed" else "slow_state"] += 1
                continue
            entry["seconds"].append(times[name])
            entry["scratch_seconds"].append(times["scratch"])
            entry["ratios"].append(times["scratch"] / times[name])
        if "skipped" not in entry and entry["ratios"]:
            ratios = np.array(entry["ratios"])
            entry.update(median=float(np.median(entry["seconds"])),
                         ratio=float(np.median(ratios)), ratio_low=float(ratios.min()),
                         ratio_high=float(ratios.max()),
                         separable=bool(ratios.min() > 1 or ratios.max() < 1))
        row["contenders"][name] = entry
        say(progress(config, name, entry))
    row["scratch_median"] = _scratch_median(row)
    return row


def _scratch_median(row: dict) -> float | None:
    """scratch's median seconds per epoch over every kept pair of the row."""
    kept = [s for e in row["contenders"].values() if e.get("ratios")
            for s in e["scratch_seconds"]]
    return float(np.median(kept)) if kept else None


def peak_memory(config: Config) -> float:
    """Largest traced NumPy allocation of a one-epoch scratch fit, over the data's size."""
    one_epoch = replace(config, epochs=1)
    X, y = data(one_epoch)
    tracemalloc.start()
    try:
        RUNNERS["scratch"](one_epoch, X, y)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return peak / X.nbytes


FLOAT64 = ("sklearn", "torch_plain", "torch_fused", "numpy_bare", "unavoidable", "gemm_floor")
Plan = list[tuple[Config, tuple[str, ...]]]


def configurations(quick: bool) -> tuple[Plan, Plan]:
    """(the main table's configurations, the scaling rows'), each with its contenders: every
    contender for 784-100-10 in float32; the main ones in float64; for the scaling rows
    (20,000 samples, Adam, float32) the ones a ratio is asked of."""
    if quick:
        return [(Config((100,), 200, "adam", "float32", n_samples=10000),
                 ("sklearn", "torch_plain", "numpy_bare", "gemm_floor"))], []
    main = [(Config((100,), batch, solver, "float32"), ALL) for solver in ("adam", "sgd")
            for batch in (100, 200)]
    main += [(Config((100,), 200, solver, "float64"), FLOAT64) for solver in ("adam", "sgd")]
    scaling = [(Config((width,), batch, "adam", "float32", n_samples=20000), SCALING)
               for width in (100, 256, 1024) for batch in (32, 100, 200, 1000)]
    return main, scaling


def machine() -> dict[str, Any]:
    """What the timings were measured on: the CPU, its cores, and the versions that matter."""
    import platform

    import sklearn
    from threadpoolctl import threadpool_info

    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    blas = [f"{i['internal_api']} {i['version']} ({i['num_threads']} threads)"
            for i in threadpool_info() if i["user_api"] == "blas" and "numpy" in i["filepath"]]
    try:
        import numba
        numba_version = numba.__version__
    except ImportError:
        numba_version = "not installed"
    return {"cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version(),
            "numpy": np.__version__, "blas": ", ".join(blas) or "unknown",
            "torch": torch.__version__, "torch_threads": torch.get_num_threads(),
            "scikit-learn": sklearn.__version__, "numba": numba_version}


def run(quick: bool = False, repeats: int = 3, tolerance: float = 0.1,
        say: Callable[[str], None] = print,
        chosen: tuple[list[Config], list[Config]] | None = None,
        contenders: tuple[str, ...] | None = None) -> dict:
    """The main table's and the scaling rows' measurements (``chosen`` and ``contenders``
    replace the configurations and contenders, e.g. for a test)."""
    torch.set_num_threads(os.cpu_count() or 1)
    if chosen is not None:
        main = [(c, contenders or ALL) for c in chosen[0]]
        scaling = [(c, contenders or SCALING) for c in chosen[1]]
    else:
        main, scaling = configurations(quick)
    peaks = {dt: gemm_peak(dt) for dt in ("float32", "float64")}
    results: dict[str, Any] = {"gemm_peak_flops": peaks, "repeats": repeats,
                               "probe_tolerance": tolerance, "rows": [], "scaling": [],
                               "machine": machine()}
    best = {dt: list(probe(dt)) for dt in peaks}  # the run's fastest readings, per dtype
    for config, names in main:
        row = measure(config, names, repeats, tolerance, say, best[config.dtype])
        row["peak_memory_over_data"] = peak_memory(config)
        results["rows"].append(row)
    for config, names in scaling:
        results["scaling"].append(measure(config, names, repeats, tolerance, say,
                                          best[config.dtype]))
    for dt in peaks:  # the best peak seen in the run
        peaks[dt] = max(peaks[dt], gemm_peak(dt))
    return results


def _planned() -> dict[Config, tuple[str, ...]]:
    """Each configuration of the full and the quick run, with the contenders it times now."""
    return {config: names for quick in (False, True) for plan in configurations(quick)
            for config, names in plan}


def retry_missing(results: dict, repeats: int, tolerance: float,
                  say: Callable[[str], None] = print) -> list[str]:
    """Measure again, in place, every contender of ``results`` that kept no clean pair (each
    of its pairs straddled a change of speed), and add any contender that its configuration
    times now but the stored run did not (one added since), on the same machine; discarded
    pairs stay counted. Returns the entries' names ("784-100-10 adam 200 float32 torch_fused")."""
    torch.set_num_threads(os.cpu_count() or 1)
    if results.get("machine") != machine():
        raise ValueError("these results were measured on another machine or with other "
                         "versions; run the whole benchmark again instead")
    best: dict[str, list[float]] = {}
    retried = []
    planned = _planned()
    for row in results["rows"] + results["scaling"]:
        config = Config.from_fields(row["config"])
        stored = row["contenders"]
        names = planned.get(config, tuple(stored))
        missing = tuple(n for n in names if n not in stored
                        or ("skipped" not in stored[n] and not stored[n]["ratios"]))
        if not missing:
            continue
        best.setdefault(config.dtype, list(probe(config.dtype)))
        again = measure(config, missing, repeats, tolerance, say, best[config.dtype])
        for name in missing:
            old, new = stored.get(name), again["contenders"][name]
            if old is None:
                new["added"] = True
            else:
                new["retried"] = True
                if "skipped" not in new:
                    new["discarded"] += old["discarded"]
                    new["slow_state"] += old["slow_state"]
            stored[name] = new
            retried.append(label(row["config"], name))
        row["contenders"] = {n: stored[n] for n in [*names, *stored] if n in stored}
        row["scratch_median"] = _scratch_median(row)
    return retried
