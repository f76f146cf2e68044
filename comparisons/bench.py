"""python -m comparisons.bench: seconds per epoch of scratch, scikit-learn and the torch twin
(both conventions) on MNIST-shaped data, beside this machine's measured GEMM peak.

Data: ``make_classification`` with 60,000 samples, 784 features and 10 classes (float32 and
float64 copies of it). For each configuration (hidden layers, batch size, solver, dtype) every
framework fits for ``--epochs`` epochs, repeatedly and in alternating order after a warm-up;
an epoch's time is taken between consecutive epoch ends (so set-up is not counted), and the
median over repeats and epochs is reported. The work of an epoch is 6 * n_samples * n_weights
floating-point operations (forward, and backward for both the weights and the inputs), so
``share of peak`` = that count / (epoch seconds * GEMM peak of the dtype), the peak being the
best of two measurements taken before and after that configuration's runs.
Peak memory: the largest traced NumPy allocation during a fit (tracemalloc; torch's allocator
is not traced), shown beside the size of the training data.
"""

import argparse
import itertools
import json
import os
import sys
import time
import tracemalloc
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import sklearn.neural_network as sk
from sklearn.base import BaseEstimator
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning

import scratch
from reference.torch_estimators import TorchMLPClassifier

FRAMEWORKS = ("scratch", "sklearn", "torch", "torch_native")


def gemm_peak(dtype: str, n: int = 2048, repeats: int = 5) -> float:
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


def make(framework: str, params: dict) -> BaseEstimator:
    if framework == "scratch":
        return scratch.MLPClassifier(**params)
    if framework == "sklearn":
        return sk.MLPClassifier(**params)
    if framework == "torch":
        return TorchMLPClassifier(**params)
    return TorchMLPClassifier(conventions="torch", **params)


@contextmanager
def epoch_clock(model: BaseEstimator) -> Iterator[list[float]]:
    """Record time.perf_counter() at each epoch end (after the epoch's updates)."""
    stamps = []
    original = model._update_no_improvement_count

    def stamp(*args: Any, **kwargs: Any) -> None:
        stamps.append(time.perf_counter())
        return original(*args, **kwargs)

    model._update_no_improvement_count = stamp
    try:
        yield stamps
    finally:
        del model._update_no_improvement_count


def epoch_seconds(framework: str, params: dict, X: np.ndarray, y: np.ndarray,
                  pause: float = 0.5) -> list[float]:
    """Durations of epochs 2.. of one fit (the first includes set-up). The pause before it
    lets the previous framework's idle BLAS/OpenMP threads stop spinning on the 2 cores."""
    time.sleep(pause)
    model = make(framework, params)
    with epoch_clock(model) as stamps, warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y)
    return list(np.diff(stamps))


def peak_memory(framework: str, params: dict, X: np.ndarray, y: np.ndarray) -> int:
    """Largest traced NumPy allocation (bytes) during a one-epoch fit."""
    model = make(framework, {**params, "max_iter": 1})
    tracemalloc.start()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(X, y)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def configurations(quick: bool) -> list[tuple]:
    hidden = [(100,)] if quick else [(100,), (256, 128)]
    batches = [100, 200]
    solvers = ["adam"] if quick else ["sgd", "adam"]
    dtypes = ["float32"] if quick else ["float32", "float64"]
    return list(itertools.product(hidden, batches, solvers, dtypes))


def n_weights(hidden: tuple[int, ...], n_features: int = 784, n_classes: int = 10) -> int:
    units = [n_features, *hidden, n_classes]
    return sum(a * b for a, b in zip(units[:-1], units[1:]))


def run(n_samples: int = 60000, epochs: int = 3, repeats: int = 5, quick: bool = False,
        frameworks: tuple[str, ...] = FRAMEWORKS,
        progress: Callable[[str], None] = print) -> dict:
    X64, y = make_classification(n_samples=n_samples, n_features=784, n_informative=100,
                                 n_classes=10, random_state=0)
    configs = configurations(quick)
    data = {dt: X64.astype(dt) for dt in sorted({c[3] for c in configs})}
    peaks = {dt: gemm_peak(dt) for dt in data}
    results = []
    for hidden, batch, solver, dtype in configs:
        X = data[dtype]
        peak = gemm_peak(dtype)  # measured next to each configuration: the machine drifts
        params = dict(hidden_layer_sizes=hidden, batch_size=batch, solver=solver,
                      max_iter=epochs, tol=0.0, n_iter_no_change=epochs + 1, random_state=0,
                      learning_rate_init=1e-3 if solver == "adam" else 1e-2)
        times = {f: [] for f in frameworks}
        for f in frameworks:  # warm-up: one short fit each
            epoch_seconds(f, {**params, "max_iter": 2}, X[:5000], y[:5000])
        for r in range(repeats):
            order = frameworks if r % 2 == 0 else frameworks[::-1]
            for f in order:
                times[f].extend(epoch_seconds(f, params, X, y))
        peak = max(peak, gemm_peak(dtype))
        peaks[dtype] = max(peaks[dtype], peak)
        flops = 6 * n_samples * n_weights(hidden)
        row = {"hidden": list(hidden), "batch_size": batch, "solver": solver, "dtype": dtype,
               "epoch_flops": flops, "gemm_peak_flops": peak, "frameworks": {}}
        for f in frameworks:
            median = float(np.median(times[f]))
            row["frameworks"][f] = {"epoch_seconds": times[f], "median": median,
                                    "share_of_peak": flops / median / peak}
        for f in ("scratch", "sklearn"):
            if f in frameworks:
                row["frameworks"][f]["peak_memory_bytes"] = peak_memory(f, params, X, y)
        row["data_bytes"] = int(X.nbytes)
        results.append(row)
        progress(summary_line(row))
    return {"n_samples": n_samples, "epochs": epochs, "repeats": repeats,
            "gemm_peak_flops": peaks, "configurations": results}


def summary_line(row: dict) -> str:
    parts = [f"{'-'.join(map(str, [784, *row['hidden'], 10]))} {row['solver']} "
             f"batch {row['batch_size']} {row['dtype']}:"]
    for f, r in row["frameworks"].items():
        parts.append(f"{f} {r['median']:.3f}s ({100 * r['share_of_peak']:.0f}%)")
    return " ".join(parts)


def table(results: dict) -> str:
    frameworks = list(results["configurations"][0]["frameworks"])
    head = ("| network | solver | batch | dtype | "
            + " | ".join(f"{f} s/epoch (% of peak)" for f in frameworks)
            + " | scratch / sklearn | scratch / torch | scratch peak memory / data |")
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for row in results["configurations"]:
        fw = row["frameworks"]
        cells = [f"{fw[f]['median']:.3f} ({100 * fw[f]['share_of_peak']:.0f}%)"
                 for f in frameworks]
        ratio_sk = fw["scratch"]["median"] / fw["sklearn"]["median"] if "sklearn" in fw else 0
        ratio_t = fw["scratch"]["median"] / fw["torch"]["median"] if "torch" in fw else 0
        memory = fw["scratch"].get("peak_memory_bytes", 0) / row["data_bytes"]
        network = "-".join(map(str, [784, *row["hidden"], 10]))
        lines.append(f"| {network} | {row['solver']} | {row['batch_size']} | {row['dtype']} | "
                     + " | ".join(cells) + f" | {ratio_sk:.2f} | {ratio_t:.2f} | {memory:.2f} |")
    peaks = ", ".join(f"{dt} {p / 1e9:.0f} GFLOP/s" for dt, p in
                      results["gemm_peak_flops"].items())
    return ("\n".join(lines) + f"\n\nMeasured GEMM peak (best in the run): {peaks}; each row's "
            "share uses the peak measured next to it.")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m comparisons.bench",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="784-100-10, adam, float32 only, 10,000 samples")
    parser.add_argument("--samples", type=int, default=None)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--out", default="report", help="folder for bench.json and bench.md")
    args = parser.parse_args(argv)
    n_samples = args.samples or (10000 if args.quick else 60000)
    results = run(n_samples, args.epochs, args.repeats, args.quick,
                  progress=lambda line: print(line, file=sys.stderr, flush=True))
    results["table"] = table(results)
    results["command"] = " ".join(["python -m comparisons.bench", *(argv or sys.argv[1:])])
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "bench.json"), "w") as f:
        json.dump(results, f, indent=1)
    with open(os.path.join(args.out, "bench.md"), "w") as f:
        f.write(results["table"] + "\n")
    print(results["table"])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
