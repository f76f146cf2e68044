"""The lecture's worked example, backpropagated by hand, node by node.

Forward:  z = W x,  h = sigmoid(z),  s = u^T h
          with x: (n_in,), W: (n_hidden, n_in), u: (n_hidden,)
Backward: every node receives an *upstream* gradient ds/d(node output), multiplies it by its
*local* gradient d(output)/d(input), and hands the product *downstream*:

    s = u^T h      multiply gate: ds/du = h, ds/dh = u (each input gets the other one)
    h = sigmoid(z) local gradient h (1 - h), elementwise
    z = W x        ds/dW = delta x^T (an outer product), ds/dx = W^T delta, delta = ds/dz
"""

import numpy as np
from numpy.typing import ArrayLike


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def worked_example(W: ArrayLike, x: ArrayLike, u: ArrayLike) -> dict:
    """Forward and backward through the example; returns a dict of every value and gradient.

    Keys: z, h, s (forward values); ds_ds (= 1), ds_du, ds_dh, local_sigmoid (= h (1 - h)),
    delta (= ds/dz), ds_dW (= delta x^T, shape of W) and ds_dx.
    """
    W, x, u = (np.asarray(a, dtype=np.float64) for a in (W, x, u))
    z = W @ x
    h = sigmoid(z)
    s = u @ h
    ds_ds = 1.0                      # the gradient of s with respect to itself
    ds_du = h * ds_ds                # multiply swaps: u's gradient is the other input, h
    ds_dh = u * ds_ds                # ... and h's gradient is u
    local_sigmoid = h * (1 - h)      # sigmoid'(z), read from the output
    delta = local_sigmoid * ds_dh    # local x upstream = downstream
    ds_dW = np.outer(delta, x)       # dS/dW = delta x^T
    ds_dx = W.T @ delta
    return dict(z=z, h=h, s=s, ds_ds=ds_ds, ds_du=ds_du, ds_dh=ds_dh,
                local_sigmoid=local_sigmoid, delta=delta, ds_dW=ds_dW, ds_dx=ds_dx)


def node_table(result: dict) -> list[tuple]:
    """Rows (node, local gradient, upstream gradient, downstream gradient) for printing."""
    return [
        ("s = u^T h  (to h)", "u", result["ds_ds"], result["ds_dh"]),
        ("s = u^T h  (to u)", "h", result["ds_ds"], result["ds_du"]),
        ("h = sigmoid(z)", result["local_sigmoid"], result["ds_dh"], result["delta"]),
        ("z = W x  (to W)", "x^T", result["delta"], result["ds_dW"]),
        ("z = W x  (to x)", "W^T", result["delta"], result["ds_dx"]),
    ]
