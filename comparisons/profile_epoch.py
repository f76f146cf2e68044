"""python -m comparisons.profile_epoch: where a scratch epoch's time goes, and so what its
gap to the GEMM floor is made of.

The parts are timed inside a real fit (``time.perf_counter`` around the calls the training
loop makes), so they add up to the epoch and the fit's result is bit for bit the one without
the timers:

- **gather**: the batch's rows copied out of X (``training._RowTaker.take``);
- **matrix products**: every ``np.matmul`` of the dense layers (forward, weight gradients,
  input gradients);
- **rest of loss and gradient**: what ``loss_and_gradients`` does besides the products:
  activations and their derivatives, softmax, the loss value, the L2 penalty, the output
  delta, the bias sums;
- **optimizer**: the optimizer's step (with scikit-learn's L2 term and 1/n folded in);
- **left**: the loop itself and the per-epoch bookkeeping (the shuffle, the loss curve,
  the stopping test), plus the timers' own cost (about a microsecond per timed call).

Beside them, the GEMM floor's own time per batch (``contenders.gemm_floor_epochs``, the same
products at the same shapes and nothing else), measured right after each fit so that both
see the same speed of the machine, says how far the loop's products and the whole epoch are
from it. Then ``contenders.unavoidable_epochs`` (the same products on each gathered batch,
and the optimizer's step, and nothing else: what every shuffled mini-batch loop with this
optimizer must do), timed between two more floors, says how far above the floor any such
loop starts before it computes a bias, an activation or a loss.
The first epoch of each fit is left out; figures are medians over the remaining epochs of
``--fits`` fits, with the lowest and highest.

Its arguments are checked before numpy, scikit-learn or torch is imported (exit status 2,
one line); Ctrl-C or SIGTERM stops it with status 130 or 143 and no table. The timing
itself is in ``comparisons/bench/profile.py``.

Example (about 20 seconds)::

    python -m comparisons.profile_epoch --batch 200 --fits 1
"""

import sys

from comparisons import signals
from comparisons.arguments import Parser
from comparisons.parallel import interrupts_stop_fits

PROG = "python -m comparisons.profile_epoch"
LIMITS = {"hidden": (1, 4096), "batch": (1, 60000), "fits": (1, 20)}


def main(argv: list[str] | None = None) -> int:
    parser = Parser(prog=PROG, description=__doc__.split("\n\n")[0])
    parser.add_argument("--hidden", type=int, default=100,
                        help="hidden units (one layer), 1 to 4096")
    parser.add_argument("--batch", type=int, nargs="+", default=[100, 200],
                        help="batch sizes, each from 1 to 60000 (the data's samples)")
    parser.add_argument("--solver", choices=("adam", "sgd"), default="adam")
    parser.add_argument("--dtype", choices=("float32", "float64"), default="float32")
    parser.add_argument("--fits", type=int, default=3, help="fits of 4 epochs each, 1 to 20")
    args = parser.parse_args(argv)
    for name, (low, high) in LIMITS.items():
        for value in (args.batch if name == "batch" else [getattr(args, name)]):
            if not low <= value <= high:
                parser.error(f"--{name} must be from {low} to {high}, not {value}")
    try:
        with signals.stopping(), interrupts_stop_fits():  # a fit's "interrupted" warning too
            from comparisons.bench.contenders import Config
            from comparisons.bench.profile import profile, table

            for batch in args.batch:
                config = Config((args.hidden,), batch, args.solver, args.dtype, epochs=4)
                print(table(profile(config, args.fits)), end="\n\n", flush=True)
    except KeyboardInterrupt:
        print(f"{PROG}: {signals.name()}; the table of the interrupted fit is not printed.",
              file=sys.stderr)
        return signals.status()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
