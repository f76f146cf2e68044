"""The PyTorch twin, weight exchange between scikit-learn, scratch and torch, and adapters
that reach into scikit-learn's MLP.

- ``torch_estimators.py``: ``TorchMLPClassifier``, ``TorchMLPRegressor``
- ``torch_mlp.py``, ``torch_network.py``, ``torch_losses.py``, ``torch_optimizers.py``
- ``exchange.py``: ``transfer``, ``load_into_torch``, ``weights_from_torch``
- ``sklearn_adapters.py``: scikit-learn's gradients at given weights, fits from given weights
- ``gradients.py``: one gradient question answered four ways
"""

from reference.exchange import load_into_torch, transfer, weights_from_torch
from reference.torch_estimators import TorchMLPClassifier, TorchMLPRegressor

__all__ = ["TorchMLPClassifier", "TorchMLPRegressor", "transfer", "load_into_torch",
           "weights_from_torch"]
