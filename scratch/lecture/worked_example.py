"""The lecture's worked example, backpropagated by hand, node by node.

Forward:  z = W x,  h = sigmoid(z),  s = u^T h
          with x: (n_in,), W: (n_hidden, n_in), u: (n_hidden,)
Backward: every node receives an *upstream* gradient ds/d(node output), multiplies it by its
*local* gradient d(output)/d(input), and hands the product *downstream*:

    s = u^T h      multiply gate: ds/du = h, ds/dh = u (each input gets the other one)
    h = sigmoid(z) local gradient h (1 - h), elementwise
    z = W x        ds/dW = delta x^T (an outer product), ds/dx = W^T delta, delta = ds/dz

``LECTURE`` is the lecture's shape, four inputs and two hidden units, with small integers
chosen so that a student can redo it with a pencil: z comes out as (0, 2), so h is
(1/2, 0.8808) and the sigmoid's local gradients are (1/4, 0.1050).
"""

import numpy as np
from numpy.typing import ArrayLike

LECTURE = {
    "W": [[1, 1, 0, 1],
          [0, 2, 1, 0]],
    "x": [1, 0, 2, -1],
    "u": [3, -2],
}


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
    return dict(W=W, x=x, u=u, z=z, h=h, s=s, ds_ds=ds_ds, ds_du=ds_du, ds_dh=ds_dh,
                local_sigmoid=local_sigmoid, delta=delta, ds_dW=ds_dW, ds_dx=ds_dx)


def _n(value: float) -> str:
    """A number as a student writes it: integers bare, the rest to 4 decimals."""
    value = float(value)
    return str(int(value)) if value == int(value) else f"{value:.4f}"


def node_rows(result: dict) -> list[dict]:
    """Every node of the graph with its forward value and, going backward, its local
    gradient, the upstream gradient it receives and the downstream gradient it hands on,
    each as numbers, with ``rule`` writing out downstream = local x upstream."""
    r = result
    rows = [{"node": "s = u1 h1 + u2 h2", "value": _n(r["s"]), "local": "1",
             "upstream": "1", "downstream": "1", "rule": "ds/ds = 1: where backprop starts"}]
    for i in range(len(r["u"])):
        k = i + 1
        rows.append({"node": f"u{k}", "value": _n(r["u"][i]), "local": f"h{k} = {_n(r['h'][i])}",
                     "upstream": "1", "downstream": _n(r["ds_du"][i]),
                     "rule": f"ds/du{k} = h{k} x 1 = {_n(r['ds_du'][i])} (multiply swaps)"})
        rows.append({"node": f"h{k} = sigmoid(z{k})", "value": _n(r["h"][i]),
                     "local": f"u{k} = {_n(r['u'][i])}", "upstream": "1",
                     "downstream": _n(r["ds_dh"][i]),
                     "rule": f"ds/dh{k} = u{k} x 1 = {_n(r['ds_dh'][i])} (multiply swaps)"})
    for i in range(len(r["z"])):
        k = i + 1
        rows.append({"node": f"z{k} = W{k}. x", "value": _n(r["z"][i]),
                     "local": f"h{k} (1 - h{k}) = {_n(r['local_sigmoid'][i])}",
                     "upstream": _n(r["ds_dh"][i]), "downstream": _n(r["delta"][i]),
                     "rule": f"delta{k} = {_n(r['local_sigmoid'][i])} x {_n(r['ds_dh'][i])} = "
                             f"{_n(r['delta'][i])}"})
    for i in range(r["ds_dW"].shape[0]):
        for j in range(r["ds_dW"].shape[1]):
            rows.append({"node": f"W{i + 1}{j + 1}", "value": _n(r["W"][i, j]),
                         "local": f"x{j + 1} = {_n(r['x'][j])}", "upstream": _n(r["delta"][i]),
                         "downstream": _n(r["ds_dW"][i, j]),
                         "rule": f"ds/dW{i + 1}{j + 1} = delta{i + 1} x{j + 1} = "
                                 f"{_n(r['delta'][i])} x {_n(r['x'][j])} = "
                                 f"{_n(r['ds_dW'][i, j])}"})
    return rows


def node_table(result: dict) -> list[tuple]:
    """Rows (node, local gradient, upstream gradient, downstream gradient) for printing."""
    return [
        ("s = u^T h  (to h)", "u", result["ds_ds"], result["ds_dh"]),
        ("s = u^T h  (to u)", "h", result["ds_ds"], result["ds_du"]),
        ("h = sigmoid(z)", result["local_sigmoid"], result["ds_dh"], result["delta"]),
        ("z = W x  (to W)", "x^T", result["delta"], result["ds_dW"]),
        ("z = W x  (to x)", "W^T", result["delta"], result["ds_dx"]),
    ]
