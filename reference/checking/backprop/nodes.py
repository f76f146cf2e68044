"""The first wrong step: a backward pass's intermediate gradients, node by node.

You hand over the gradients your backward pass computed on its way down (``dscores``,
``dhidden``, ``dz1``, ...) and say which node of the network each one is (``NODES`` in
``variants`` names them: "p", "z2", "h1", "z1", "x" for a network of two dense layers).
Each is compared with the reference at that node, in backward order: exact (round-off),
close (within the tolerance) or wrong, with the worst element. The first wrong node is where
the mistake is made: its upstream node is right and it is not, so the local step between them
(local gradient x upstream gradient = downstream gradient) is the one that broke, and the
checker says which local gradient was used instead, when it is one it knows.
"""

from dataclasses import dataclass

import numpy as np

from reference.checking.backprop.variants import (
    MISTAKES,
    _derivative,
    _output_delta,
    applies,
    describe,
)
from reference.checking.compare import Comparison, compare

HIDDEN_DERIVATIVE_MISTAKES = [name for name, m in MISTAKES.items() if m.where == "hidden"
                              and not name.startswith(("backward_", "passed_down"))
                              and name != "derivative_of_the_layer_above"]


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


@dataclass
class Context:
    """What the local steps need: the forward pass (canonical layout, float64), the targets,
    the declared network, and the scale of the data gradient under the detected convention."""

    coefs: list[np.ndarray]
    zs: list[np.ndarray]
    p: np.ndarray
    Y: np.ndarray
    activation: str
    output: str
    loss: str
    slope: float
    scale: float


def _candidates(node: str, upstream: np.ndarray | None, c: Context,
                above: np.ndarray | None = None) -> tuple[str, dict[str, np.ndarray]]:
    """The right local step at ``node`` in words, and what each known wrong one gives."""
    L = len(c.coefs)
    if node == f"z{L}":
        wrong = {name: c.scale * _output_delta(c.zs[-1], c.p, c.Y, c.output, c.loss, name)
                 for name, m in MISTAKES.items() if m.where == "output"
                 and applies(name, c.activation, c.output, c.loss)}
        if c.output == "logistic" and c.loss == "squared_error":
            wrong.update({name: c.scale * _output_delta(c.zs[-1], c.p, c.Y, c.output, c.loss,
                                                        name)
                          for name, m in MISTAKES.items() if m.at_output})
        return "the output delta", wrong
    if node.startswith("h") or node == "x":
        k = L - 1 if node == "x" else int(node[1:])  # the dense layer above, 0-based: k
        W = c.coefs[0 if node == "x" else k]
        wrong = {}
        if W.shape[0] == W.shape[1]:
            wrong["backward_without_transpose"] = upstream @ W
            wrong["backward_without_weights"] = upstream.copy()
        if above is not None and above.shape == upstream.shape:  # dL/dh of the layer above
            wrong["passed_down_before_the_derivative"] = above @ W.T
        return "the product with the weights above, delta W^T", wrong
    k = int(node[1:])  # z_k, a hidden layer: the derivative of h_k = f(z_k)
    z = c.zs[k - 1]
    wrong = {name: upstream * _derivative(z, c.activation, c.slope, name, upstream=upstream)
             for name in HIDDEN_DERIVATIVE_MISTAKES
             if applies(name, c.activation, c.output, c.loss)}
    return "the activation's derivative f'(z)", wrong


def _upstream_node(order: list[str], node: str) -> str | None:
    at = order.index(node)
    return None if at == 0 or node == "p" else (order[at - 1] if order[at - 1] != "p"
                                                else None)


def check_nodes(given: dict[str, np.ndarray], nodes: dict[str, str],
                reference: dict[str, np.ndarray], c: Context, rtol: float
                ) -> tuple[list[tuple[str, str, Comparison]], str | None]:
    """(rows, sentence): one row per handed-over node in backward order (the user's name, the
    node, the comparison), and a sentence naming the first wrong node and its local step."""
    order = backward_order(len(c.coefs))
    by_node = {node: name for name, node in nodes.items() if name in given}
    rows, first_wrong = [], None
    right: dict[str, np.ndarray] = {}
    for node in order:
        if node not in by_node:
            continue
        name = by_node[node]
        yours, ref = given[name], reference[node]
        yours = _oriented(yours, ref)
        result = compare(name, yours, ref, rtol=rtol)
        rows.append((name, node, result))
        if result.ok:
            right[node] = np.asarray(yours, dtype=np.float64)
        elif first_wrong is None:
            first_wrong = (name, node, result, yours)
    if first_wrong is None:
        return rows, None
    return rows, _first_wrong_sentence(*first_wrong, order, by_node, right, reference, c, rtol)


def _oriented(yours: object, ref: np.ndarray) -> object:
    """Yours as (n_samples, width) when it holds the samples as columns."""
    array = np.asarray(yours)
    if array.ndim == 2 and array.shape == ref.shape[::-1] and ref.shape[0] != ref.shape[1]:
        return array.T
    return yours


def _first_wrong_sentence(name: str, node: str, result: Comparison, yours: object,
                          order: list[str], by_node: dict[str, str],
                          right: dict[str, np.ndarray], reference: dict[str, np.ndarray],
                          c: Context, rtol: float) -> str:
    head = f"{name} ({node}) is the first wrong node"
    if result.problem:
        return f"{head}: {result.problem}."
    up = _upstream_node(order, node)
    if node == "p":
        return f"{head}: dL/dp, the loss's gradient at the output unit's value, is wrong."
    if up is None or node == f"z{len(c.coefs)}":
        upstream, given_words = None, ""
    elif up in right:
        upstream, given_words = right[up], f"given your {by_node[up]} ({up}), which is right"
    else:
        upstream, given_words = reference[up], f"given the right {up}"
    if upstream is None and node != f"z{len(c.coefs)}":
        return f"{head}."
    above_node = _upstream_node(order, up) if up is not None else None
    above = None if above_node is None else right.get(above_node, reference[above_node])
    step, wrong = _candidates(node, upstream, c, above)
    yours = np.asarray(yours, dtype=np.float64)
    for mistake, value in wrong.items():
        if compare(name, yours, value, rtol=rtol).ok:
            return (f"{head}" + (f" ({given_words})" if given_words else "") +
                    f": {describe(mistake, c.activation)}.")
    for other, value in reference.items():  # the values of another node: overwritten?
        if other != node and np.shape(value) == yours.shape and \
                compare(name, yours, value, rtol=rtol).ok:
            return (f"{head}: it holds the right values of {other}, not of {node} (is the "
                    f"array overwritten in place by a later step, or handed over from the "
                    f"wrong variable?).")
    ref = reference[node]
    if (ref * ref).sum() > 0:
        factor = float((yours * ref).sum() / (ref * ref).sum())
        if abs(factor - 1) > 10 * rtol and compare(name, yours, factor * ref, rtol=rtol).ok:
            return (f"{head}" + (f" ({given_words})" if given_words else "") +
                    f": it is {factor:.4g} times the right value, so {step} there is scaled "
                    "by that factor.")
    where = result.worst_index
    detail = (f"; at {where} yours is {result.yours:.4g} where the right value is "
              f"{result.reference:.4g}" if where is not None else "")
    if upstream is not None:
        detail += f" (the upstream gradient there is {np.asarray(upstream)[where]:.4g})" \
            if where is not None and np.asarray(upstream).shape == ref.shape else ""
    return (f"{head}" + (f" ({given_words})" if given_words else "") +
            f": {step} there is not one the checker knows{detail}.")
