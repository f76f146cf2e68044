"""The fully connected layer: out = x W + b (CS231n's ``affine_forward``), or x W^T + b with
W as (n_out, n_in), torch's ``nn.Linear``. An x of more than two axes (N, d1, ..., dk) is
flattened to (N, d1 * ... * dk) first, as CS231n's layer does; its gradient has x's shape.
"""

import numpy as np
import torch

from reference.checking.layer.kinds.base import Binding, Convention, Mistake


def dense(inputs: list, names: list[str], wanted: list[int], out: np.ndarray) -> Binding:
    if len(wanted) < 2:
        raise ValueError("kind='dense' needs x and W (and b) among the inputs, as float "
                         "arrays.")
    x = inputs[wanted[0]]
    D = int(np.prod(x.shape[1:])) if x.ndim > 1 else 1
    rest = wanted[1:]
    w = next((k for k in rest if inputs[k].ndim == 2 and D in inputs[k].shape), None)
    if w is None:
        raise ValueError(f"kind='dense': no weight matrix among the inputs has a side of "
                         f"{D} (x's features): W must be (n_in, n_out) or (n_out, n_in).")
    b = next((k for k in rest if k != w and inputs[k].ndim == 1), None)
    roles = {"x": wanted[0], "w": w} | ({"b": b} if b is not None else {})
    N = x.shape[0]
    W_shape = inputs[w].shape

    def linear(transposed: bool):
        def forward(t: dict) -> torch.Tensor:
            z = t["x"].reshape(N, D) @ (t["w"].T if transposed else t["w"])
            return z + t["b"] if "b" in t else z
        return forward

    layouts = []
    if W_shape[0] == D:
        layouts.append(Convention({"layout": "W as (n_in, n_out): out = x W + b (CS231n's, "
                                             "scikit-learn's)"}, linear(False)))
    if W_shape[1] == D:
        layouts.append(Convention({"layout": "W as (n_out, n_in): out = x W^T + b "
                                             "(torch.nn.Linear's)"}, linear(True)))
    if x.ndim > 2:
        for c in layouts:
            c.words["x"] = f"{x.shape} flattened to ({N}, {D}) per sample"

    def mistakes(convention: Convention) -> dict[str, Mistake]:
        transposed = "n_out, n_in" in convention.words["layout"]
        Wm = lambda a: a["w"].T if transposed else a["w"]  # noqa: E731 - (n_in, n_out)
        xs = lambda a: a["x"].reshape(N, D)  # noqa: E731

        def right(a: dict, dout: np.ndarray) -> dict:
            dw = xs(a).T @ dout
            return {"x": (dout @ Wm(a).T).reshape(a["x"].shape),
                    "w": dw.T if transposed else dw, "b": dout.sum(0)}

        def scaled(a: dict, dout: np.ndarray, roles: tuple, factor: float) -> dict:
            g = right(a, dout)
            return {k: v * factor if k in roles else v for k, v in g.items()}
        found = {
            "averaged": Mistake(
                "dW and db are averaged over the batch (divided by N); dout is already the "
                "gradient of the batch's loss, so they sum over it",
                lambda a, dout, y: scaled(a, dout, ("w", "b"), 1 / N)),
            "bias_averaged": Mistake(
                "db is averaged over the batch (divided by N) while dW sums",
                lambda a, dout, y: scaled(a, dout, ("b",), 1 / N)),
            "bias_first_sample": Mistake(
                "db is the first sample's dout, not the sum over the batch",
                lambda a, dout, y: {**right(a, dout), "b": dout[0].copy()}),
            "dx_sign": Mistake(
                "dx has the wrong sign", lambda a, dout, y: scaled(a, dout, ("x",), -1.0)),
        }
        if W_shape[0] == W_shape[1]:
            found["dx_without_transpose"] = Mistake(
                "dx uses W where it needs its transpose: dout W instead of dout W^T",
                lambda a, dout, y: {**right(a, dout),
                                    "x": (dout @ Wm(a)).reshape(a["x"].shape)})
        return found

    return Binding(roles, layouts, mistakes)
