"""``MLPClassifier`` and ``MLPRegressor``: scikit-learn's estimator surface over the network.

- ``classifier.py``: ``MLPClassifier`` (labels binarised, one logistic unit for two
  classes, a softmax for more, K logistic units for multilabel targets).
- ``regressor.py``: ``MLPRegressor`` (squared error or Poisson).
- ``base.py``: ``BaseMLP``, what both share (and the hooks the torch twin overrides).
- ``parameters.py``: the hyperparameters as one declarative table.
- ``fit_state.py``: the bookkeeping and weights a first fit sets.
- ``fitted.py``: what a fitted estimator computes (outputs, score, loss and gradients) and
  its model file.
- ``rollback.py``: a failed fit leaves the estimator exactly as it was.
"""

from scratch.estimators.classifier import MLPClassifier
from scratch.estimators.regressor import MLPRegressor

__all__ = ["MLPClassifier", "MLPRegressor"]
