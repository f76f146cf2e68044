"""Which known kind a layer is, read from what its forward computes (``check_layer`` without
``kind=``).

Each kind the checker knows (``kinds.KINDS``) is bound to your inputs the way ``kind=``
would bind it; a kind whose binding cannot be made (no weight matrix for "dense", no 4-d
input for "conv2d") is skipped, never raised. The first kind with a convention whose output
equals your forward's within the forward tolerance is the layer's, on these inputs: a
forward that computes ReLU on them is a ReLU here, whatever its name. The order puts the
kinds that ask least first (an activation before a dense layer), and a random forward
(dropout) is not recognised: its output says nothing fixed.
"""

import math

import numpy as np

from reference.checking.compare import relative_difference
from reference.checking.layer.kinds import KINDS
from reference.checking.layer.kinds.base import Binding, Convention, run

ORDER = ("relu", "leaky_relu", "sigmoid", "tanh", "softmax", "dense", "conv2d", "maxpool2d",
         "batchnorm", "layernorm", "softmax_cross_entropy", "squared_error")


def recognise(inputs: list, names: list[str], wanted: list[int], out: np.ndarray,
              tolerance: float) -> tuple[str, Binding, Convention] | None:
    """(kind, binding, convention) of the first known kind your forward computes on these
    inputs, or None.

    >>> import numpy as np
    >>> x = np.random.default_rng(0).normal(size=(4, 3))
    >>> recognise([x], ["x"], [0], np.tanh(x), 1e-9)[0]
    'tanh'
    """
    y = np.asarray(out, dtype=np.float64)
    for kind in ORDER:
        try:
            binding = KINDS[kind](inputs, names, wanted, out)
            arrays = {role: np.asarray(inputs[k], dtype=np.float64)
                      for role, k in binding.roles.items()}
            for convention in binding.conventions:
                theirs = run(convention.forward, arrays)[0]
                if theirs.size == y.size and math.isfinite(difference := relative_difference(
                        y.reshape(theirs.shape), theirs)) and difference <= tolerance:
                    return kind, binding, convention
        except Exception:  # noqa: BLE001 - a kind that cannot be bound to these inputs
            continue
    return None
