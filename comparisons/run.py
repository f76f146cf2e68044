"""The run behind ``python -m comparisons`` (its arguments checked by ``cli.py`` first): load
the data, train every model over the seeds, run the checks, the textbook's and the lecture's
experiments, and draw the figures. Imported only once the arguments are known to be good,
since it loads torch, scikit-learn and matplotlib.
"""

import argparse
import datetime
import json
import os
import platform
import sys
import time

import numpy as np
import scipy
import sklearn
import torch
from tqdm import tqdm

from comparisons import data
from comparisons.data import digits_images
from comparisons.outputs import UsageError
from comparisons.report import (
    checker_demo,
    experiments,
    figures,
    lecture,
    lecture_figures,
    plotting,
    textbook,
)
from comparisons.report.conventions import ROWS

PROG = "python -m comparisons"


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
    import mlxtend

    return {"python": platform.python_version(), "numpy": np.__version__,
            "scipy": scipy.__version__, "torch": torch.__version__,
            "scikit-learn": sklearn.__version__, "mlxtend": mlxtend.__version__}


def prepare(args: argparse.Namespace) -> dict:
    """Load what the run needs (MNIST read and checked once); UsageError if it cannot be."""
    names = ["xor", "digits", "mnist"] if args.dataset == "all" else [args.dataset]
    mnist = None
    if "mnist" in names:
        try:
            mnist = data.mnist(args.data_dir)  # read (and checked) once for the whole run
        except (FileNotFoundError, ValueError) as error:
            raise UsageError(str(error)) from None
    return {"names": names, "seeds": args.seeds, "mnist": mnist, "jobs": args.jobs,
            "definitions": experiments.datasets(args.quick, mnist)}


def run(args: argparse.Namespace, argv: list[str], plan: dict) -> tuple[dict, dict]:
    """Every experiment; (results, figures: name -> (figure, caption, alt text, the figure
    laid out for a phone))."""
    started = time.perf_counter()
    names, seeds, jobs, definitions = (plan["names"], plan["seeds"], plan["jobs"],
                                       plan["definitions"])
    book_seeds, book_epochs = min(seeds, 3), 50 if args.quick else 200
    total = (len(names) * (seeds * len(experiments.MODELS) + 2) + len(ROWS) + 1
             + (book_seeds * len(textbook.FRAMEWORKS) if "mnist" in names else 0))
    # (the checker and the lecture run in the last step)
    progress = tqdm(total=total, disable=args.quiet, file=sys.stderr, unit="step",
                    desc="comparisons")
    results = {"schema_version": 1,
               "created": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
               "command": " ".join([PROG, *argv]),
               "settings": {"seeds": seeds, "quick": args.quick, "datasets": names,
                            "jobs": jobs},
               "versions": versions(), "machine": machine(), "datasets": {}}
    kept = {}
    for name in names:
        ds = definitions[name]
        progress.set_description(f"{name}: fitting")
        runs, kept[name] = experiments.accuracy_runs(ds, seeds, jobs, progress)
        X_tr, X_te, y_tr, _ = ds.load(0)
        progress.set_description(f"{name}: gradients")
        gradient = experiments.gradient_check(ds)
        progress.update(1)
        progress.set_description(f"{name}: trajectory")
        traj = experiments.trajectory(ds)
        progress.update(1)
        results["datasets"][name] = {
            "source": ds.source, "n_train": len(X_tr), "n_test": len(X_te),
            "n_features": X_tr.shape[1], "n_classes": len(np.unique(y_tr)), "params": ds.params,
            "models": runs, "accuracy_vs_sklearn": experiments.compare_to_sklearn(runs),
            "gradient_check": gradient, "trajectory": traj}
    if "mnist" in names:
        progress.set_description("textbook")
        results["textbook"] = textbook.run(plan["mnist"][0], book_seeds, book_epochs, jobs,
                                           progress)
        results["textbook"]["source"] = plan["mnist"][1]

    progress.set_description("conventions")
    results["conventions"] = experiments.convention_trajectories(
        6 if args.quick else 12, jobs, progress)
    progress.set_description("checker")
    results["checker"] = checker_demo.run()
    progress.set_description("lecture")
    ancestor_errors, ancestor_models = lecture.ancestors()
    xor_counts, single_layer_models = lecture.xor_single_layer()
    results["lecture"] = {
        "ancestors": ancestor_errors,
        "xor_single_layer": xor_counts,
        "worked_example": lecture.worked_example_check(),
        "gates": lecture.gates(),
        "sigmoid_derivative": lecture.sigmoid_derivative_check(),
        "reverse_vs_forward": lecture.reverse_vs_forward(
            (16, 64, 256) if args.quick else (16, 64, 256, 512, 1024)),
        "vanishing_gradients": lecture.vanishing_gradients(),
        "vanishing_in_training": lecture.vanishing_in_training(
            seeds=2 if args.quick else 3, epochs=15 if args.quick else 30, jobs=jobs),
        "dropout": lecture.dropout_gap(seeds=4 if args.quick else 10,
                                       epochs=40 if args.quick else 80, jobs=jobs),
    }
    progress.update(1)
    progress.close()

    bench_path = os.path.join(args.out, "bench.json")
    if os.path.exists(bench_path):  # written by python -m comparisons.bench --out DIR
        with open(bench_path) as f:
            results["benchmark"] = json.load(f)
    results["settings"]["wall_seconds"] = time.perf_counter() - started
    figs = make_figures(results, kept, single_layer_models, ancestor_models, definitions)
    with plotting.phone():  # the same figures laid out for a narrow screen
        narrow = make_figures(results, kept, single_layer_models, ancestor_models, definitions)
    return results, {name: (*figs[name], narrow[name][0]) for name in figs}


def make_figures(results: dict, kept: dict, single_layer_models: dict, ancestor_models: dict,
                 definitions: dict) -> dict[str, tuple]:
    """name -> (figure, caption, alt text), for every figure the results allow (laid out for
    a phone under ``plotting.phone()``)."""
    datasets, lec = results["datasets"], results["lecture"]
    figs = {
        "accuracy": (figures.accuracy(datasets), "test accuracy per seed"),
        "fit_times": (figures.fit_times(datasets), "fit time per model"),
        "gradients": (figures.gradient_agreement(datasets),
                      "relative gradient differences per layer"),
        "trajectories": (figures.trajectories(results["conventions"]),
                         "distance from scikit-learn per epoch"),
        "loss_curves": (figures.loss_curves(datasets), "loss curves overlaid"),
        "ancestors_errors": (lecture_figures.ancestors_errors(lec["ancestors"]),
                             "misclassified points per epoch"),
        "ancestors_lines": (lecture_figures.ancestors_lines(ancestor_models),
                            "single-layer decision lines"),
        "worked_example": (lecture_figures.worked_example(lec["worked_example"]),
                           "worked example graph"),
        "reverse_forward": (lecture_figures.reverse_forward(lec["reverse_vs_forward"]),
                            "reverse mode against forward mode"),
        "vanishing": (lecture_figures.vanishing(lec["vanishing_gradients"]),
                      "vanishing gradients"),
        "vanishing_training": (lecture_figures.vanishing_training(lec["vanishing_in_training"]),
                               "vanishing gradients during training"),
        "dropout": (lecture_figures.dropout(lec["dropout"]), "dropout"),
    }
    if "textbook" in results:
        figs["textbook"] = (figures.textbook(results["textbook"]), "textbook network loss")
    if "benchmark" in results:
        figs["benchmark"] = (figures.benchmark(results["benchmark"]), "benchmark")
    if "xor" in kept:
        figs["xor"] = (figures.xor_boundaries(kept["xor"], single_layer_models), "XOR boundaries")
    for name in kept:
        shape = definitions[name].image_shape
        if shape is None:
            continue
        run = kept[name]["scratch"]
        figs[f"confusion_{name}"] = (figures.confusion(
            datasets[name]["models"]["scratch"]["confusion_matrix"],
            f"{name}: scratch, seed 0, test set"), f"{name} confusion matrix")
        figs[f"misclassified_{name}"] = (figures.misclassified(
            lecture_images(name, shape, run), run["y_test"], run["y_pred"],
            f"{name}: misclassified test images (true as predicted)"), f"{name} misclassified")
    captions = {**figures.CAPTIONS, **lecture_figures.CAPTIONS}
    kind = {name: name.split("_")[0] if name.startswith(("confusion_", "misclassified_"))
            else name for name in figs}  # one caption serves every data set's confusion matrix
    return {name: (fig, captions[kind[name]], alt) for name, (fig, alt) in figs.items()}


def lecture_images(name: str, shape: tuple[int, int], run: dict) -> np.ndarray:
    """The seed-0 test images: raw digits (before scaling), or the MNIST pixels."""
    return digits_images(0) if name == "digits" else run["X_test"].reshape(-1, *shape)
