"""The kinds of layer ``check_layer`` knows, one module per family.

- ``base.py``: what a kind provides (``Binding``: the inputs' roles, the conventions, the
  classic mistakes, the kinks).
- ``activations.py``: relu, leaky_relu, sigmoid, tanh, softmax.
- ``dense.py``: the fully connected layer.
- ``losses.py``: softmax_cross_entropy, squared_error.
- ``dropout.py``: dropout, inverted or not.
- ``normalization.py``: batchnorm, layernorm.
- ``conv.py``: conv2d. ``pooling.py``: maxpool2d.

A new kind is a function ``bind(inputs, names, wanted, out) -> Binding`` in one of these
modules (or a new one), added to ``KINDS``.
"""

from reference.checking.layer.kinds.activations import leaky_relu, relu, sigmoid, softmax, tanh
from reference.checking.layer.kinds.conv import conv2d
from reference.checking.layer.kinds.dense import dense
from reference.checking.layer.kinds.dropout import dropout
from reference.checking.layer.kinds.losses import softmax_cross_entropy, squared_error
from reference.checking.layer.kinds.normalization import batchnorm, layernorm
from reference.checking.layer.kinds.pooling import maxpool2d

KINDS = {"dense": dense, "relu": relu, "leaky_relu": leaky_relu, "sigmoid": sigmoid,
         "tanh": tanh, "softmax": softmax, "softmax_cross_entropy": softmax_cross_entropy,
         "squared_error": squared_error, "dropout": dropout, "batchnorm": batchnorm,
         "layernorm": layernorm, "conv2d": conv2d, "maxpool2d": maxpool2d}
LOSSES = ("softmax_cross_entropy", "squared_error")
