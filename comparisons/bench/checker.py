"""``python -m comparisons.bench.checker``: how long ``check_backprop`` and ``check_function``
take, idle and busy.

A checker lives in its user's test suite, which rarely runs alone: beside another test
process, a notebook kernel, a build. So each measurement runs in a fresh process with the
default environment (no thread variables set), on a correct ReLU network written the way a
user writes it (``grad_fn`` returning (loss, gradients), NumPy), in three states of the
machine: idle; beside one busy process (a pure-Python loop: one core taken); and beside a
parallel job (NumPy matrix products with their default threads: every core taken). It
prints the first check in the process (libraries warm, nothing else) and the median of the
next ones, for 784-100-10 on a batch of 32 and 784-256-128-10 on a batch of 128; and for
``check_function`` on a correct ``torch.autograd.Function`` with 10,000 input entries (goal:
2 s), one checked along random directions (tanh(x W), x 100 x 80 and W 80 x 25) and one
elementwise (a sigmoid on 100 x 100), in float64.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

CONFIGS = {"784-100-10, batch 32": ([784, 100, 10], 32),
           "784-256-128-10, batch 128": ([784, 256, 128, 10], 128)}
GOALS = {"784-100-10, batch 32": 0.1, "784-256-128-10, batch 128": 0.5}

FUNCTIONS = {"tanh(x W), x 100x80, W 80x25 (10,000 entries)": "tanh_linear",
             "sigmoid, x 100x100 (10,000 entries)": "sigmoid"}
FUNCTION_GOAL = 2.0

_BUSY = {"busy": "while True: pass",
         "parallel": "import numpy as np\na = np.random.rand(1500, 1500)\n"
                     "while True: a @ a"}


def _network(units: list[int], n: int) -> tuple:
    import numpy as np

    rng = np.random.default_rng(0)
    params = []
    for a, b in zip(units[:-1], units[1:]):
        params += [rng.normal(0, 1 / np.sqrt(a), (a, b)), rng.normal(0, 0.1, b)]
    X = rng.normal(size=(n, units[0]))
    Y = np.eye(units[-1])[rng.integers(0, units[-1], n)]

    def grad_fn(params: list, X: np.ndarray, Y: np.ndarray) -> tuple:
        hs, count = [X], len(X)
        for i in range(0, len(params) - 2, 2):
            hs.append(np.maximum(hs[-1] @ params[i] + params[i + 1], 0))
        z = hs[-1] @ params[-2] + params[-1]
        p = np.exp(z - z.max(1, keepdims=True))
        p /= p.sum(1, keepdims=True)
        loss = -np.log(p[Y.astype(bool)]).mean()
        delta, grads = (p - Y) / count, []
        for i in range(len(params) - 2, -1, -2):
            grads = [hs[i // 2].T @ delta, delta.sum(0)] + grads
            if i:
                delta = (delta @ params[i].T) * (hs[i // 2] > 0)
        return loss, grads

    return grad_fn, params, X, Y


def measure_here(units: list[int], n: int, repeats: int) -> dict:
    """In this process: the seconds of the first check and of the next ``repeats``."""
    from reference import check_backprop

    grad_fn, params, X, Y = _network(units, n)
    times = []
    for _ in range(repeats + 1):
        start = time.perf_counter()
        report = check_backprop(grad_fn, params, X, Y, activation="relu")
        times.append(time.perf_counter() - start)
        if not report.ok:
            raise RuntimeError(f"the benchmark's network should pass:\n{report}")
    return {"first": times[0], "median": statistics.median(times[1:]),
            "lowest": min(times[1:]), "highest": max(times[1:])}


def _function(kind: str) -> tuple:
    """A correct custom autograd Function, written as its users write one, and its inputs
    (10,000 entries in all)."""
    import torch

    class TanhLinear(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x, w):
            y = torch.tanh(x @ w)
            ctx.save_for_backward(x, w, y)
            return y

        @staticmethod
        def backward(ctx, grad_output):
            x, w, y = ctx.saved_tensors
            grad_z = grad_output * (1 - y * y)
            return grad_z @ w.t(), x.t() @ grad_z

    class Sigmoid(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            y = torch.sigmoid(x)
            ctx.save_for_backward(y)
            return y

        @staticmethod
        def backward(ctx, grad_output):
            y, = ctx.saved_tensors
            return grad_output * y * (1 - y)

    g = torch.Generator().manual_seed(0)
    if kind == "tanh_linear":
        return TanhLinear, (torch.randn(100, 80, generator=g, dtype=torch.float64),
                            0.1 * torch.randn(80, 25, generator=g, dtype=torch.float64))
    return Sigmoid, (torch.randn(100, 100, generator=g, dtype=torch.float64),)


def measure_function_here(kind: str, repeats: int) -> dict:
    """In this process: the seconds of the first check_function and of the next
    ``repeats``."""
    from reference import check_function

    fn, inputs = _function(kind)
    times = []
    for _ in range(repeats + 1):
        start = time.perf_counter()
        report = check_function(fn, *inputs)
        times.append(time.perf_counter() - start)
        if not report.ok:
            raise RuntimeError(f"the benchmark's Function should pass:\n{report}")
    return {"first": times[0], "median": statistics.median(times[1:]),
            "lowest": min(times[1:]), "highest": max(times[1:])}


def measure(config: str, state: str, repeats: int) -> dict:
    """``config`` checked in a fresh process, the machine ``state`` ("idle", "busy",
    "parallel")."""
    env = {k: v for k, v in os.environ.items() if not k.endswith("_NUM_THREADS")}
    neighbour = None
    if state != "idle":
        neighbour = subprocess.Popen([sys.executable, "-c", _BUSY[state]], env=env)
        time.sleep(1.0)  # let it take its cores
    try:
        if config in FUNCTIONS:
            code = (f"import json; from comparisons.bench.checker import "
                    f"measure_function_here; print(json.dumps(measure_function_here("
                    f"{FUNCTIONS[config]!r}, {repeats})))")
        else:
            units, n = CONFIGS[config]
            code = (f"import json; from comparisons.bench.checker import measure_here; "
                    f"print(json.dumps(measure_here({units!r}, {n}, {repeats})))")
        done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                              text=True, timeout=600, check=True)
    finally:
        if neighbour is not None:
            neighbour.kill()
            neighbour.wait()
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m comparisons.bench.checker",
                                     description="How long check_backprop and "
                                                 "check_function take, idle and beside busy "
                                                 "processes.")
    parser.add_argument("--repeats", type=int, default=5, help="checks after the first")
    parser.add_argument("--states", nargs="+", default=["idle", "busy", "parallel"],
                        choices=["idle", "busy", "parallel"])
    parser.add_argument("--checkers", nargs="+", default=["backprop", "function"],
                        choices=["backprop", "function"])
    args = parser.parse_args(argv)
    if not 1 <= args.repeats <= 100:
        parser.error("--repeats must be from 1 to 100")
    if "backprop" in args.checkers:
        print(f"check_backprop, seconds per check ({os.cpu_count()} cores; a fresh process "
              "per row, the default environment; goal: 0.1 s and 0.5 s)")
        _table("network", CONFIGS, GOALS, args)
    if "function" in args.checkers:
        print(f"check_function, seconds per check ({os.cpu_count()} cores; a fresh process "
              f"per row, the default environment; goal: {FUNCTION_GOAL:g} s)")
        _table("Function", FUNCTIONS, dict.fromkeys(FUNCTIONS, FUNCTION_GOAL), args)
    return 0


def _table(what: str, configs: dict, goals: dict, args: argparse.Namespace) -> None:
    print(f"| {what} | machine | first check | median of the next | lowest | highest | goal |")
    print("|---|---|---|---|---|---|---|")
    for config in configs:
        for state in args.states:
            r = measure(config, state, args.repeats)
            met = "met" if max(r["first"], r["median"]) <= goals[config] else "NOT met"
            print(f"| {config} | {state} | {r['first']:.3f} | {r['median']:.3f} | "
                  f"{r['lowest']:.3f} | {r['highest']:.3f} | {goals[config]} s: {met} |",
                  flush=True)


if __name__ == "__main__":
    raise SystemExit(main())
