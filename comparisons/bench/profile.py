"""Where a scratch epoch's time goes (``python -m comparisons.profile_epoch`` is its command):
the parts of a real fit timed from inside, beside the GEMM floor and the unavoidable parts.
See ``comparisons/profile_epoch.py`` for what each part holds.
"""

import contextlib
import time
import types
import warnings
from collections.abc import Callable, Iterator

import numpy as np

import scratch
from comparisons.bench.contenders import (
    ESTIMATORS,
    Config,
    data,
    estimator_params,
    gemm_floor_epochs,
    stamp_epoch_ends,
    unavoidable_epochs,
)
from scratch import network, training
from scratch.layers import dense

PARTS = ("gather", "matrix products", "rest of loss and gradient", "optimizer", "left")


class _TimedNumpy(types.ModuleType):
    """NumPy, with ``matmul`` timed: what ``scratch.layers.dense`` sees as ``np`` while
    profiling."""

    def __init__(self, spent: dict[str, float], calls: dict[str, int]) -> None:
        super().__init__("numpy")
        self._spent, self._calls = spent, calls

    def __getattr__(self, name: str) -> object:
        return getattr(np, name)

    def matmul(self, *args: object, **kwargs: object) -> np.ndarray:
        start = time.perf_counter()
        try:
            return np.matmul(*args, **kwargs)
        finally:
            self._spent["matrix products"] += time.perf_counter() - start
            self._calls["matrix products"] += 1


def _timed(function: Callable, key: str, spent: dict, calls: dict) -> Callable:
    def timed(*args: object, **kwargs: object) -> object:
        start = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            spent[key] += time.perf_counter() - start
            calls[key] += 1
    return timed


@contextlib.contextmanager
def timers(spent: dict[str, float], calls: dict[str, int]) -> Iterator[None]:
    """Time the loop's calls into ``spent`` (seconds) and ``calls`` while inside."""
    saved = (dense.np, training._RowTaker.take, scratch.MLPClassifier._new_optimizer,
             network.Network.loss_and_gradients)
    new_optimizer = saved[2]

    def timed_optimizer(est: object, net: object) -> object:
        optimizer = new_optimizer(est, net)
        optimizer.step = _timed(optimizer.step, "optimizer", spent, calls)
        return optimizer

    dense.np = _TimedNumpy(spent, calls)
    training._RowTaker.take = _timed(saved[1], "gather", spent, calls)
    scratch.MLPClassifier._new_optimizer = timed_optimizer
    network.Network.loss_and_gradients = _timed(saved[3], "loss and gradient", spent,
                                                        calls)
    try:
        yield
    finally:
        (dense.np, training._RowTaker.take, scratch.MLPClassifier._new_optimizer,
         network.Network.loss_and_gradients) = saved


def fit(config: Config, X: np.ndarray, y: np.ndarray,
        epoch_ends: Callable[[], None] | None = None) -> scratch.MLPClassifier:
    """The bench's scratch fit (same parameters), calling ``epoch_ends`` after each epoch."""
    model = ESTIMATORS["scratch"](estimator_params(config))
    stamp_epoch_ends(model, then=epoch_ends)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(X, y)
    return model


def profile(config: Config, fits: int = 3) -> dict:
    """Seconds per batch of each part, per epoch (the first of each fit left out), and the
    matrix products' calls per batch."""
    X, y = data(config)
    n_batches = -(-config.n_samples // config.batch)
    epochs: list[dict[str, float]] = []
    spent = dict.fromkeys(("gather", "matrix products", "loss and gradient", "optimizer"), 0.0)
    calls = dict.fromkeys(spent, 0)
    floors: list[float] = []  # the GEMM floor's seconds per batch, measured after each fit
    ratios: list[float] = []  # each fit's median epoch over the floor measured after it
    bounds: list[float] = []  # the unavoidable parts over the floors measured around them
    for _ in range(fits):
        stamps = [time.perf_counter()]

        def epoch_ends() -> None:
            now = time.perf_counter()
            total = now - stamps[-1]
            parts = {"gather": spent["gather"], "matrix products": spent["matrix products"],
                     "rest of loss and gradient": spent["loss and gradient"]
                     - spent["matrix products"], "optimizer": spent["optimizer"]}
            parts["left"] = total - sum(parts.values())
            parts["epoch"] = total
            epochs.append({k: v / n_batches for k, v in parts.items()})
            for key in spent:
                spent[key] = 0.0
            stamps.append(time.perf_counter())

        with timers(spent, calls):
            fit(config, X, y, epoch_ends)
        del epochs[len(epochs) - config.epochs]  # the fit's first epoch: warm-up
        floor = float(np.median(gemm_floor_epochs(config, X, y))) / n_batches  # right after
        floors.append(floor)
        ratios.append(float(np.median([e["epoch"] for e in epochs[1 - config.epochs:]])) / floor)
        bound = float(np.median(unavoidable_epochs(config, X, y))) / n_batches
        floor_after = float(np.median(gemm_floor_epochs(config, X, y))) / n_batches
        bounds.append(2 * bound / (floor + floor_after))
    out = {key: [e[key] for e in epochs] for key in (*PARTS, "epoch")}
    return {"config": config, "parts": out, "gemm_floor": floors, "over_floor": ratios,
            "unavoidable_over_floor": bounds,
            "matmuls_per_batch": calls["matrix products"] / (fits * config.epochs * n_batches)}


def table(result: dict) -> str:
    """Microseconds per batch of each part: median [lowest, highest], and share of the epoch."""
    c = result["config"]
    parts = result["parts"]
    epoch = float(np.median(parts["epoch"]))
    lines = [f"{c.name} {c.solver} batch {c.batch} {c.dtype}, {c.n_samples} samples: "
             f"microseconds per batch, median [lowest, highest] over "
             f"{len(parts['epoch'])} epochs", "",
             "| part | us per batch | share of the epoch |", "|---|---|---|"]
    for key in (*PARTS, "epoch"):
        values = np.array(parts[key]) * 1e6
        lines.append(f"| {key} | {np.median(values):.0f} [{values.min():.0f}, "
                     f"{values.max():.0f}] | {100 * np.median(parts[key]) / epoch:.0f}% |")
    floor = np.array(result["gemm_floor"]) * 1e6
    ratio = np.array(result["over_floor"])
    bound = np.array(result["unavoidable_over_floor"])
    lines += ["", f"The GEMM floor (the same {result['matmuls_per_batch']:g} products per batch "
                  f"alone, measured after each fit): {np.median(floor):.0f} [{floor.min():.0f}, "
                  f"{floor.max():.0f}] us per batch; each fit's epoch over the floor measured "
                  f"after it: {np.median(ratio):.2f}x [{ratio.min():.2f}, {ratio.max():.2f}].",
              "", f"The unavoidable parts alone (contenders.unavoidable_epochs: the same "
                  f"products on each gathered batch, and the optimizer's step; no bias, "
                  f"activation, loss or bookkeeping), over the floors measured before and "
                  f"after them: {np.median(bound):.2f}x [{bound.min():.2f}, {bound.max():.2f}]."]
    return "\n".join(lines)
