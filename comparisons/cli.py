"""python -m comparisons: train scratch, the torch twin (in both conventions) and
scikit-learn on XOR and digits over several seeds, check that they are one model, and write
results.json, report.md and report.html."""

import argparse
import datetime
import json
import os
import platform
import sys

import numpy as np
import scipy
import sklearn
import torch
from tqdm import tqdm

from comparisons import experiments, figures, lecture, report
from comparisons.conventions import ROWS
from comparisons.data import digits_images, load_mnist


def machine() -> dict:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {"platform": platform.platform(), "processor": cpu, "cpu_count": os.cpu_count()}


def versions() -> dict:
    return {"python": platform.python_version(), "numpy": np.__version__,
            "scipy": scipy.__version__, "torch": torch.__version__,
            "scikit-learn": sklearn.__version__}


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m comparisons", description=__doc__)
    parser.add_argument("--dataset", choices=["xor", "digits", "mnist", "all"], default=None,
                        help="one data set, or all three (default: xor and digits)")
    parser.add_argument("--seeds", type=int, default=None,
                        help="seeds (train/test splits) per data set (default 5; 2 with --quick)")
    parser.add_argument("--out", default="report", help="output folder (default: report/)")
    parser.add_argument("--quick", action="store_true",
                        help="a reduced run in under a minute (fewer seeds and epochs)")
    parser.add_argument("--data-dir", default=None,
                        help="folder with MNIST's four IDX files (plain or .gz)")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    args = parser.parse_args(argv)
    if args.seeds is not None and args.seeds < 1:
        parser.error("--seeds must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parse(argv)
    names = {None: ["xor", "digits"], "all": ["xor", "digits", "mnist"]}.get(
        args.dataset, [args.dataset])
    seeds = args.seeds or (2 if args.quick else 5)
    if "mnist" in names:
        try:
            load_mnist(args.data_dir)
        except (FileNotFoundError, ValueError) as error:
            print(f"python -m comparisons: {error}", file=sys.stderr)
            return 2
    definitions = experiments.datasets(args.quick, args.data_dir)
    convention_epochs = 6 if args.quick else 12
    total = len(names) * (seeds * len(experiments.MODELS) + 2) + len(ROWS) + 1
    progress = tqdm(total=total, disable=args.quiet, file=sys.stderr, unit="step",
                    desc="comparisons")

    results = {"schema_version": 1,
               "created": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
               "command": " ".join(["python -m comparisons", *argv]),
               "settings": {"seeds": seeds, "quick": args.quick, "datasets": names},
               "versions": versions(), "machine": machine(), "datasets": {}}
    kept = {}
    for name in names:
        ds = definitions[name]
        progress.set_description(f"{name}: fitting")
        runs, kept[name] = experiments.accuracy_runs(ds, seeds, progress)
        X_tr, X_te, y_tr, _ = ds.load(0)
        progress.set_description(f"{name}: gradients")
        gradient = experiments.gradient_check(ds)
        progress.update(1)
        progress.set_description(f"{name}: trajectory")
        traj = experiments.trajectory(ds)
        progress.update(1)
        results["datasets"][name] = {
            "n_train": len(X_tr), "n_test": len(X_te), "n_features": X_tr.shape[1],
            "n_classes": len(np.unique(y_tr)), "params": ds.params, "models": runs,
            "accuracy_vs_sklearn": experiments.compare_to_sklearn(runs),
            "gradient_check": gradient, "trajectory": traj}

    progress.set_description("conventions")
    results["conventions"] = experiments.convention_trajectories(convention_epochs, progress)
    progress.set_description("lecture")
    xor_counts, single_layer_models = lecture.xor_single_layer()
    results["lecture"] = {
        "xor_single_layer": xor_counts,
        "worked_example": lecture.worked_example_check(),
        "gates": lecture.gates(),
        "vanishing_gradients": lecture.vanishing_gradients(),
        "dropout": lecture.dropout_gap(seeds=2 if args.quick else 3,
                                       epochs=100 if args.quick else 200),
    }
    progress.update(1)
    progress.close()

    bench_path = os.path.join(args.out, "bench.json")
    if os.path.exists(bench_path):  # written by python -m comparisons.bench --out DIR
        with open(bench_path) as f:
            results["benchmark"] = json.load(f)
    figs = make_figures(results, kept, single_layer_models, definitions)
    report.write(results, figs, args.out)
    ok, text = report.verdict(results)
    print(text)
    print(f"Wrote {os.path.join(args.out, 'report.html')}, report.md and results.json.")
    return 0


def make_figures(results: dict, kept: dict, single_layer_models: dict,
                 definitions: dict) -> dict[str, str]:
    datasets = results["datasets"]
    figs = {"accuracy": figures.accuracy(datasets), "fit_times": figures.fit_times(datasets),
            "gradients": figures.gradient_agreement(datasets),
            "trajectories": figures.trajectories(results["conventions"]),
            "loss_curves": figures.loss_curves(datasets),
            "vanishing": figures.vanishing(results["lecture"]["vanishing_gradients"]),
            "dropout": figures.dropout(results["lecture"]["dropout"])}
    if "benchmark" in results:
        figs["benchmark"] = figures.benchmark(results["benchmark"])
    if "xor" in kept:
        figs["xor"] = figures.xor_boundaries(kept["xor"], single_layer_models)
    for name in kept:
        shape = definitions[name].image_shape
        if shape is None:
            continue
        run = kept[name]["scratch"]
        figs[f"confusion_{name}"] = figures.confusion(
            datasets[name]["models"]["scratch"]["confusion_matrix"],
            f"{name}: scratch, seed 0, test set")
        images = (lecture_images(name, shape, run))
        figs[f"misclassified_{name}"] = figures.misclassified(
            images, run["y_test"], run["y_pred"], f"{name}: misclassified (true as predicted)")
    return figs


def lecture_images(name: str, shape: tuple[int, int], run: dict) -> np.ndarray:
    """The seed-0 test images: raw digits (before scaling), or the MNIST pixels."""
    return digits_images(0) if name == "digits" else run["X_test"].reshape(-1, *shape)
