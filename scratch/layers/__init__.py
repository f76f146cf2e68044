"""The layers, one module per kind, each with its forward and backward side by side.

- ``activations.py``: identity, logistic, tanh, relu, leaky relu; ``backward`` reads the
  derivative from the cached output (or input).
- ``dense.py``: the fully connected layer z = X W + b; ``backward`` records
  grad_W = X^T grad_out and grad_b, and returns grad_out W^T.
- ``dropout.py``: inverted dropout (torch's arithmetic).
- ``losses.py``: the output units with their losses (softmax cross-entropy, logistic,
  squared error, Poisson), each giving the output delta p - y.
- ``initialization.py``: scikit-learn's Glorot-uniform draws and ``nn.Linear``'s.
- ``batchnorm.py`` and ``layernorm.py``: batch and layer normalisation (what came after the
  lecture's third generation), the backward pass as a graph of the lecture's gates.
- ``conv.py``: 2-D convolution (a cross-correlation, as frameworks define it), in plain loops
  to read and by im2col to run; ``pooling.py``: 2-D max pooling, the max gate on windows.
  They are references for the checkers and the lessons, not a CNN framework: the estimators
  do not use them.

They import NumPy only (and each other): the network, the optimizers and the estimators are
built on them, never the other way round.
"""
