"""A multilayer perceptron written from scratch in NumPy that follows scikit-learn's exactly.

The map, in the order a student reads it:

- ``layers/``: one module per kind of layer, forward and backward side by side:
  ``activations`` (identity, logistic, tanh, relu, leaky relu), ``dense`` (z = X W + b),
  ``dropout``, ``losses`` (the output units with their losses, each giving p - y) and
  ``initialization`` (scikit-learn's Glorot draws, torch's ``nn.Linear`` draws).
- ``network.py``: the layers stacked, one flat parameter vector, scikit-learn's
  L2-penalised objective and its gradient.
- ``optim/``: the optimizers, one file each: ``sgd`` (with momentum and Nesterov),
  ``adam``, ``lbfgs`` (SciPy's), ``schedules`` (learning rates), and ``fused`` with
  ``fused_kernels`` (the same SGD and Adam steps compiled by numba, bit for bit; optional).
- ``batching.py`` and ``training.py``: the loop: mini-batches and shuffles; epochs, the loss
  curve, early stopping, the L-BFGS fit.
- ``conventions.py``: the places where scikit-learn and PyTorch decide differently, as
  switches.
- ``estimators/``: ``MLPClassifier`` (``classifier``) and ``MLPRegressor`` (``regressor``)
  with scikit-learn's interface, over ``base.BaseMLP``; ``parameters`` (the declarative
  parameter table), ``fit_state`` (what a first fit sets), ``rollback`` (a failed fit leaves
  the estimator as it was).
- ``lecture/``: the lecture's classics, independent of the estimators: ``perceptron``
  (Rosenblatt's and Adaline), ``worked_example`` (the slides' small network by hand),
  ``autodiff`` (a scalar reverse-mode engine), ``reverse_mode`` (reverse against forward
  mode), ``vanishing`` (gradient norms through deep sigmoid stacks), ``textbook_net`` (the
  chapter's network as a student writes it).
- ``files/``: model files: ``persistence`` (save and load, a header schema) over
  ``safe_npz`` (an ``.npz`` reader that trusts nothing).

``docs/architecture.md`` draws the rooms and what each may import.
"""

from scratch.estimators import MLPClassifier, MLPRegressor

__all__ = ["MLPClassifier", "MLPRegressor"]
