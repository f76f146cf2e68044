"""The PyTorch twin: scikit-learn's MLP over ``torch.nn``, autograd and ``torch.optim``.

- ``torch_estimators.py``: ``TorchMLPClassifier`` and ``TorchMLPRegressor`` (scratch's
  estimator shell, torch's model, gradients and updates).
- ``torch_mlp.py``: the ``nn.Module``; ``torch_network.py``: its loss and gradients as the
  shell asks for them; ``torch_losses.py``: the data loss and L2 penalty in either
  framework's conventions; ``torch_optimizers.py``: ``torch.optim`` made to follow
  scikit-learn's steps (Adam's epsilon, momentum buffers across learning-rate changes).
- ``exchange.py``: weights from any of scikit-learn, scratch and torch into any other.
- ``sklearn_adapters.py``: scikit-learn's own ``_backprop`` at given weights, and its fit
  from given weights.
"""
