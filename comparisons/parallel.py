"""Independent fits, ``jobs`` at a time, each on one thread, with the same results for any
``jobs``.

Each task runs with one BLAS/OpenMP thread (threadpoolctl) and one torch thread, in the
parent process (``jobs=1``) or in ``jobs`` worker processes (joblib's loky backend; arrays
of more than a megabyte reach the workers as memory maps, not copies). A fit's numbers then
do not depend on how many run beside it, so the report is bit-identical for any ``--jobs``.

A Ctrl-C must stop the run, not leave a half-trained model in the report: scikit-learn (and
the twins, as it does) catch ``KeyboardInterrupt`` inside ``fit`` and only warn "Training
interrupted by user." Inside a task that warning is an error, which the caller sees as
``KeyboardInterrupt``.

joblib, threadpoolctl and torch are imported where they are used, so that a command can ask
for ``default_jobs()`` before it loads them.
"""

import os
import sys
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

INTERRUPTED = "Training interrupted by user"


def default_jobs() -> int:
    """The machine's cores (those this process may use)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


@contextmanager
def one_thread() -> Iterator[None]:
    """One BLAS/OpenMP thread and one torch thread, restored afterwards."""
    import torch
    from threadpoolctl import threadpool_limits

    torch_threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with threadpool_limits(limits=1):
            yield
    finally:
        torch.set_num_threads(torch_threads)


@contextmanager
def interrupts_stop_fits() -> Iterator[None]:
    """Turn a fit's "Training interrupted by user." warning back into KeyboardInterrupt."""
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=INTERRUPTED)
        try:
            yield
        except UserWarning as warning:
            if INTERRUPTED in str(warning):
                raise KeyboardInterrupt from None
            raise


def stop_workers() -> None:
    """Kill the worker processes that parallel runs started, if any. After a Ctrl-C none may
    be left behind: idle, loky's workers would otherwise live on for minutes, holding their
    memory and the terminal's output."""
    if "joblib" not in sys.modules:  # no parallel run has started
        return
    from joblib.externals.loky import reusable_executor

    executor = reusable_executor._executor
    if executor is not None:
        executor.shutdown(wait=True, kill_workers=True)


def _run_task(function: Callable, args: tuple) -> Any:
    with one_thread(), interrupts_stop_fits():
        return function(*args)


def run_tasks(tasks: Sequence[tuple[Callable, tuple]], jobs: int = 1,
              progress: Any = None) -> list:
    """[function(*args) for function, args in tasks], ``jobs`` at a time, in order.
    ``progress.update(1)`` after each task that finishes."""
    results = []
    if jobs == 1:
        stream = (_run_task(function, args) for function, args in tasks)
    else:
        import joblib

        parallel = joblib.Parallel(n_jobs=jobs, backend="loky", return_as="generator")
        stream = parallel(joblib.delayed(_run_task)(function, args) for function, args in tasks)
    for result in stream:
        results.append(result)
        if progress is not None:
            progress.update(1)
    return results
