"""``python -m comparisons.bench``: scratch's speed beside what a user would pick instead.

- ``contenders.py``: what scratch is timed against (scikit-learn, the torch twin, plain
  PyTorch loops, bare NumPy, the unavoidable parts, the GEMM floor).
- ``measure.py``: adjacent pairs, probes of the machine's speed, discarded pairs.
- ``table.py``: the results as Markdown (docs/bench.md).
- ``cli.py``: the command's arguments and files.
- ``profile.py``: where a scratch epoch's time goes, timed inside a real fit (its command
  is ``python -m comparisons.profile_epoch``).
- ``checker.py``: ``python -m comparisons.bench.checker``, how long ``check_backprop`` takes
  on an idle machine and beside busy processes.
- ``mutants/``: ``python -m comparisons.bench.mutants``, the checker's yardstick: random
  networks, correct backward passes written as source in six styles, machine-made mutants of
  them, and the figures (crashes, false OK, false alarms, named).
"""
