"""Train scratch, the torch twin and scikit-learn side by side and report what agrees.

- ``cli.py``: ``python -m comparisons``; ``experiments.py``: accuracy, gradients, trajectories;
  ``lecture.py``: the lecture's experiments; ``conventions.py``: one gap per convention
  (``python -m comparisons.conventions``); ``figures.py``, ``report.py``: the report;
  ``schema.py``: results.json's schema; ``data.py``: XOR, digits, MNIST from IDX files.
"""
