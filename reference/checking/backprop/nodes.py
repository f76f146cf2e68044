"""Your intermediate gradients, node by node, and the first wrong step.

A backward pass meets the nodes in the order ``backward_order`` gives ("p", "z<L>", then
"h<k>" and "z<k>" for each hidden layer from the top, and "x"; see ``reference.NODES``).
Each node you hand over is compared with the reference at that node, in backward order:
exact (round-off), close (within the tolerance) or wrong, with the worst element. The first
wrong node is where the mistake is made: its upstream node is right and it is not, so the
local step between them (local gradient x upstream gradient = downstream gradient) is the one
that broke. That step is tried with every slip of the grammar (``grammar``), on your own
upstream node where it is right, and the slip that gives your node is named; else a constant
factor, or the values of another node (an array overwritten in place), or where it is worst.
"""

import numpy as np

from reference.checking.backprop.grammar.program import Context, Step
from reference.checking.backprop.grammar.slips import SLIPS, parse
from reference.checking.compare import Comparison, compare

NODES = """The nodes of a network with L dense layers, numbered from 1 as the lecture numbers
them: layer k computes z_k = h_(k-1) W_k + b_k and, below the output, h_k = f(z_k), with
h_0 = X. A backward pass meets, in this order: "p" (dL/dp, the output unit's value, when it
computes it), "z<L>" (dL/d scores, the output layer's pre-activation), then for each hidden
layer k from the top "h<k>" (dL/dh_k, after the multiply by W^T) and "z<k>" (dL/dz_k, after
the activation's derivative), and last "x" (dL/dX)."""


def backward_order(n_layers: int) -> list[str]:
    """The nodes in the order a backward pass meets them."""
    order = ["p", f"z{n_layers}"]
    for k in range(n_layers - 1, 0, -1):
        order += [f"h{k}", f"z{k}"]
    return order + ["x"]


def check_names(nodes: dict[str, str], n_layers: int) -> None:
    """Refuse a mapping to nodes this network does not have, naming the entry."""
    known = backward_order(n_layers)
    for name, node in nodes.items():
        if node not in known:
            raise ValueError(f"nodes[{name!r}] = {node!r} is not a node of this network; its "
                             f"nodes are {', '.join(known)} (see reference.NODES).")


def program_node(node: str) -> str:
    """A public node name as the program's: "z2" -> "dz2", "h1" -> "dh1", "x" -> "dx"."""
    return "dx" if node == "x" else "dp" if node == "p" else f"d{node}"


def reference_nodes(done: dict, p: np.ndarray, Y: np.ndarray, output: str, loss: str,
                    L: int, scale: float) -> dict[str, np.ndarray]:
    """The right value at every public node, under the convention's scale."""
    with np.errstate(divide="ignore", invalid="ignore"):
        dp = p - Y if loss == "squared_error" or output == "identity" else \
            -Y / p if output == "softmax" else (p - Y) / (p * (1 - p))
    out = {"p": scale * dp, "x": scale * done["dx"]}
    for k in range(1, L + 1):
        out[f"z{k}"] = scale * done[f"dz{k}"]
        if k < L:
            out[f"h{k}"] = scale * done[f"dh{k}"]
    return out


def _oriented(yours: object, ref: np.ndarray) -> object:
    """Yours as (n_samples, width) when it holds the samples as columns."""
    array = np.asarray(yours)
    if array.ndim == 2 and array.shape == ref.shape[::-1] and ref.shape[0] != ref.shape[1]:
        return array.T
    return yours


def check_nodes(given: dict[str, object], nodes: dict[str, str],
                reference: dict[str, np.ndarray], steps: list[Step], done: dict,
                ctx: Context, scale: float, rtol: float
                ) -> tuple[list[tuple[str, str, Comparison]], str | None]:
    """(rows, sentence): one row per handed-over node in backward order (the user's name, the
    node, the comparison), and a sentence naming the first wrong node and its local step."""
    order = backward_order(ctx.L)
    by_node = {node: name for name, node in nodes.items() if name in given}
    rows, first_wrong, right = [], None, {}
    for node in order:
        if node not in by_node:
            continue
        name = by_node[node]
        yours = _oriented(given[name], reference[node])
        result = compare(name, yours, reference[node], rtol=rtol)
        rows.append((name, node, result))
        if result.ok:
            right[node] = np.asarray(yours, dtype=np.float64)
        elif first_wrong is None:
            first_wrong = (name, node, result, yours)
    if first_wrong is None:
        return rows, None
    name, node, result, yours = first_wrong
    return rows, first_wrong_sentence(name, node, result, yours, by_node, right, reference,
                                      steps, done, ctx, scale, rtol)


def first_wrong_sentence(name: str, node: str, result: Comparison, yours: object,
                         by_node: dict[str, str], right: dict[str, np.ndarray],
                         reference: dict[str, np.ndarray], steps: list[Step], done: dict,
                         ctx: Context, scale: float, rtol: float) -> str:
    head = f"{name} ({node}) is the first wrong node"
    if result.problem:
        return f"{head}: {result.problem}."
    if node == "p":
        return f"{head}: dL/dp, the loss's gradient at the output unit's value, is wrong."
    yours = np.asarray(yours, dtype=np.float64)
    target = program_node(node)
    index = next(i for i, step in enumerate(steps) if step.node == target)
    step = steps[index]
    s = dict(done)
    used = []
    for read in step.reads():  # your own upstream node where it is right
        public = _public(read)
        if public in right:
            s[read] = right[public] / scale
            used.append(f"your {by_node[public]} ({public}), which is right")
    given = f" (given {', '.join(used)})" if used else ""
    for slip in SLIPS:
        if not isinstance(step, slip.kind):
            continue
        for key in slip.keys(step, ctx):
            new = slip.apply(step, key, ctx)
            if new is None or new == step:
                continue
            try:
                with np.errstate(all="ignore"):
                    value = scale * new.run(s, ctx)
            except Exception:  # noqa: BLE001 - a slip whose shapes do not fit here
                continue
            if value.shape == yours.shape and compare(name, yours, value, rtol=rtol).ok:
                return f"{head}{given}: {slip.words(step, new, key, ctx)}."
    for other, value in reference.items():  # the values of another node: overwritten?
        if other != node and np.shape(value) == yours.shape and \
                compare(name, yours, value, rtol=rtol).ok:
            return (f"{head}: it holds the right values of {other}, not of {node} (is the "
                    "array overwritten in place by a later step, or handed over from the "
                    "wrong variable?).")
    ref = scale * step.run(s, ctx)
    if (ref * ref).sum() > 0 and ref.shape == yours.shape:
        factor = float((yours * ref).sum() / (ref * ref).sum())
        if abs(factor - 1) > 10 * rtol and compare(name, yours, factor * ref, rtol=rtol).ok:
            return f"{head}{given}: it is {factor:.4g} times the right value."
    where = result.worst_index
    detail = (f"; at {where} yours is {result.yours:.4g} where the right value is "
              f"{result.reference:.4g}" if where is not None else "")
    return (f"{head}{given}: its local step is not one the checker's grammar of slips "
            f"gives{detail}.")


def _public(name: str) -> str:
    kind, k = parse(name)
    return {"dz": f"z{k}", "dh": f"h{k}", "dx": "x", "dp": "p"}.get(kind, "")
