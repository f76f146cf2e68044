"""A multilayer perceptron written from scratch in NumPy that follows scikit-learn's exactly.

Where to find each step:

- ``activations.py``: identity, logistic, tanh, relu, leaky relu (forward and backward)
- ``dense.py``: the fully connected layer z = X W + b
- ``losses.py``: output layers with their losses (softmax cross-entropy, logistic, squared
  error, Poisson); each gives the gradient p - y
- ``initialization.py``: scikit-learn's Glorot-uniform draws
- ``network.py``: the layers stacked, flat parameters, scikit-learn's L2-penalised objective
- ``sgd.py``, ``adam.py``, ``lbfgs.py``: the optimizers; ``schedules.py``: learning rates
- ``batching.py``: mini-batches and shuffling; ``training.py``: the epoch loop and stopping
- ``mlp.py``: ``MLPClassifier`` and ``MLPRegressor`` with scikit-learn's interface
"""

from scratch.mlp import MLPClassifier, MLPRegressor

__all__ = ["MLPClassifier", "MLPRegressor"]
