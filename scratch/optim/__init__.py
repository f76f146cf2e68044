"""The optimizers, one file each, ordered from simplest to most complex.

- ``schedules.py``: scikit-learn's learning-rate schedules (constant, invscaling, adaptive).
- ``sgd.py``: SGD with momentum and Nesterov momentum, scikit-learn's velocity form.
- ``adam.py``: Adam with scikit-learn's epsilon placement (or torch's).
- ``lbfgs.py``: L-BFGS through SciPy, as scikit-learn calls it.
- ``fused.py`` and ``fused_kernels.py``: the SGD and Adam steps compiled by numba into two
  passes, bit for bit the NumPy steps (used when numba is installed; ``MLP_TWINS_NO_NUMBA=1``
  turns them off).

They update one flat parameter vector in place; they may use the network's gradient
scaling, never the loop or the estimators.
"""
