"""What scratch is held against, and what holds *your* code against the references.

The map:

- ``twin/``: the PyTorch twin: ``torch_estimators`` (``TorchMLPClassifier``,
  ``TorchMLPRegressor``) over ``torch_mlp`` (the ``nn.Module``), ``torch_network`` (its loss
  and gradients), ``torch_losses`` and ``torch_optimizers``; ``exchange`` (weights between
  scikit-learn, scratch and torch: ``transfer``) and ``sklearn_adapters`` (scikit-learn's
  own gradients at given weights, fits from given weights).
- ``checking/``: the checkers: ``check_backprop`` (a whole network's backward pass, with
  ``backprop_variants``, the right gradient and the classic mistakes, and
  ``backprop_conventions``), ``check_optimizer`` (an optimizer step against ``torch.optim``
  and scikit-learn's), and ``gradients`` (one gradient question answered by scratch, torch,
  scikit-learn and finite differences).
- ``grading/``: the notebooks' exercises and their grader (``exercises``).
"""

from reference.checking.check_backprop import BackpropReport, assert_backprop, check_backprop
from reference.checking.check_optimizer import OptimizerReport, check_optimizer
from reference.twin.exchange import load_into_torch, transfer, weights_from_torch
from reference.twin.torch_estimators import TorchMLPClassifier, TorchMLPRegressor

__all__ = ["TorchMLPClassifier", "TorchMLPRegressor", "transfer", "load_into_torch",
           "weights_from_torch", "check_backprop", "assert_backprop", "BackpropReport",
           "check_optimizer", "OptimizerReport"]
