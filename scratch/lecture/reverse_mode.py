"""Why backpropagation runs right to left: the same gradient, reverse mode and forward mode.

Take a chain of L sigmoid layers of width n and a score at the end,

    h_0 = x,  h_l = sigmoid(W_l h_{l-1}),  s = u^T h_L,

and ask for ds/dx, the gradient of one number with respect to n inputs. By the chain rule it
is a product of Jacobians, u^T J_L ... J_1 with J_l = diag(h_l (1 - h_l)) W_l, and the
product can be taken from either end:

- **reverse mode** (backpropagation) starts from the vector u and multiplies it by one
  Jacobian after another, right to left in the graph: each step is a matrix-vector product,
  about n^2 multiply-adds, L n^2 in all;
- **forward mode** starts from dx/dx = I and pushes whole Jacobians forward, left to right:
  each step is a matrix-matrix product, about n^3 multiply-adds, L n^3 in all, to get the
  same n numbers.

Both reuse the h_l computed on the way forward (the lecture's point: values computed once
are not computed again). One output and many inputs is the shape of every loss, which is why
frameworks differentiate in reverse.
"""

import time

import numpy as np


def forward_pass(Ws: list[np.ndarray], x: np.ndarray) -> list[np.ndarray]:
    """[h_1, ..., h_L]: the activations, kept for either mode to reuse."""
    hs, h = [], x
    for W in Ws:
        h = 1.0 / (1.0 + np.exp(-(W @ h)))
        hs.append(h)
    return hs


def reverse_mode(Ws: list[np.ndarray], hs: list[np.ndarray], u: np.ndarray
                 ) -> tuple[np.ndarray, int]:
    """(ds/dx, multiply-adds): a vector carried right to left, one matrix-vector product
    (and one elementwise product) per layer."""
    g, ops = u, 0
    for W, h in zip(reversed(Ws), reversed(hs)):
        g = W.T @ (g * h * (1 - h))
        ops += W.size + h.size
    return g, ops


def forward_mode(Ws: list[np.ndarray], hs: list[np.ndarray], u: np.ndarray
                 ) -> tuple[np.ndarray, int]:
    """(ds/dx, multiply-adds): the Jacobian dh_l/dx carried left to right, one
    matrix-matrix product per layer, and u^T times it at the end."""
    J = np.eye(Ws[0].shape[1])
    ops = 0
    for W, h in zip(Ws, hs):
        J = (h * (1 - h))[:, None] * (W @ J)
        ops += W.shape[0] * W.shape[1] * J.shape[1] + J.size
    return u @ J, ops + J.size


def compare(widths: list[int], depth: int = 4, repeats: int = 5, seed: int = 0) -> list[dict]:
    """For each width: the two gradients' largest difference, each mode's multiply-adds and
    its best time over ``repeats`` (seconds) on this machine."""
    rng = np.random.default_rng(seed)
    rows = []
    for n in widths:
        Ws = [rng.normal(0, 1 / np.sqrt(n), (n, n)) for _ in range(depth)]
        x, u = rng.normal(size=n), rng.normal(size=n)
        hs = forward_pass(Ws, x)
        row = {"width": n, "depth": depth}
        results = {}
        for name, mode in (("reverse", reverse_mode), ("forward", forward_mode)):
            best = np.inf
            for _ in range(repeats):
                start = time.perf_counter()
                results[name] = mode(Ws, hs, u)
                best = min(best, time.perf_counter() - start)
            row[f"{name}_ops"], row[f"{name}_seconds"] = results[name][1], best
        row["difference"] = float(np.abs(results["reverse"][0] - results["forward"][0]).max())
        rows.append(row)
    return rows
