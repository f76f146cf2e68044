"""The PyTorch twin, weight exchange between scikit-learn, scratch and torch, and adapters
that reach into scikit-learn's MLP.

- ``torch_estimators.py``: ``TorchMLPClassifier``, ``TorchMLPRegressor``
- ``torch_mlp.py``, ``torch_network.py``, ``torch_losses.py``, ``torch_optimizers.py``
- ``exchange.py``: ``transfer``, ``load_into_torch``, ``weights_from_torch``
- ``sklearn_adapters.py``: scikit-learn's gradients at given weights, fits from given weights
- ``gradients.py``: one gradient question answered four ways
- ``check_backprop.py``: your backward pass against the references, the bug named
  (``backprop_variants.py``: the right gradient and the classic mistakes;
  ``backprop_conventions.py``: the conventions, as numbers and in words)
- ``check_optimizer.py``: your optimizer step against ``torch.optim`` and scikit-learn's
"""

from reference.check_backprop import BackpropReport, assert_backprop, check_backprop
from reference.check_optimizer import OptimizerReport, check_optimizer
from reference.exchange import load_into_torch, transfer, weights_from_torch
from reference.torch_estimators import TorchMLPClassifier, TorchMLPRegressor

__all__ = ["TorchMLPClassifier", "TorchMLPRegressor", "transfer", "load_into_torch",
           "weights_from_torch", "check_backprop", "assert_backprop", "BackpropReport",
           "check_optimizer", "OptimizerReport"]
