"""What scratch is held against, and what holds *your* code against the references.

The map:

- ``twin/``: the PyTorch twin: ``torch_estimators`` (``TorchMLPClassifier``,
  ``TorchMLPRegressor``) over ``torch_mlp`` (the ``nn.Module``), ``torch_network`` (its loss
  and gradients), ``torch_losses`` and ``torch_optimizers``; ``exchange`` (weights between
  scikit-learn, scratch and torch: ``transfer``) and ``sklearn_adapters`` (scikit-learn's
  own gradients at given weights, fits from given weights).
- ``checking/``: the checkers: ``backprop/`` (``check_backprop``: a whole network's
  backward pass, its conventions found and its mistakes named), ``layer/``
  (``check_layer``: one layer's backward pass, batchnorm to conv2d), ``check_optimizer`` (an
  optimizer step against ``torch.optim`` and scikit-learn's), ``compare`` (one array against
  its reference: the measure every verdict uses), ``structures`` (reading arrays in the forms
  people keep them), and ``gradients`` (one gradient question answered by scratch, torch,
  scikit-learn and finite differences).
- ``grading/``: the notebooks' exercises and their grader (``exercises``), and the command
  that grades a submission; ``grade.py`` is its entry point, ``python -m reference.grade``.
"""

from reference.checking.backprop.check import BackpropReport, assert_backprop, check_backprop
from reference.checking.backprop.variants import NODES
from reference.checking.check_optimizer import OptimizerReport, check_optimizer
from reference.checking.compare import Comparison, compare
from reference.checking.layer.check import LayerReport, assert_layer, check_layer
from reference.twin.exchange import load_into_torch, transfer, weights_from_torch
from reference.twin.torch_estimators import TorchMLPClassifier, TorchMLPRegressor

__all__ = ["TorchMLPClassifier", "TorchMLPRegressor", "transfer", "load_into_torch",
           "weights_from_torch", "check_backprop", "assert_backprop", "BackpropReport",
           "check_optimizer", "OptimizerReport", "compare", "Comparison", "NODES",
           "check_layer", "assert_layer", "LayerReport"]
