"""Pairing the user's gradients with the parameters, naming every array by the user's own
name, and saying what cannot be compared (missing, extra, duplicated, misordered, of the wrong
shape, not numbers) and what a call wrote into.
"""

import re

import numpy as np

from reference.checking.backprop.calls import Result
from reference.checking.backprop.words import join
from reference.checking.compare import problem_with
from reference.checking.structures import Arrangement, Leaves, to_numpy


def display_names(P: Leaves, arrangement: Arrangement, grads: Leaves | None) -> list[str]:
    """The user's name for each canonical array (W0, b0, W1, ...): their dict keys; for
    Nielsen's (biases, weights), "biases[0]", "weights[0]"; for a list, a gradient dict's
    keys where it gives them; else W0, b0, ..."""
    order = arrangement.order
    L = len(order) // 2
    if P.kind == "dict" or (P.kind == "nested" and P.named and not P.names[0].startswith(
            "params[")):
        return [P.names[k] for k in order]
    if P.kind == "nested" and arrangement.how.startswith(("all biases", "all weights")):
        return [f"{'weights' if j % 2 == 0 else 'biases'}[{j // 2}]" for j in range(2 * L)]
    if grads is not None and grads.kind == "dict" and len(grads.names) == len(order):
        from reference.checking.structures import _bare

        names = [_bare(grads.names[k]) for k in order]
        weight, bias = re.compile(r"(?i)(w|weight|coef|kernel)"), re.compile(r"(?i)(b|bias)")
        roles_agree = not any((bias if j % 2 == 0 else weight).match(name) and not
                              (weight if j % 2 == 0 else bias).match(name)
                              for j, name in enumerate(names))  # no "b2" for a weight
        if len(set(names)) == len(names) and roles_agree:
            return names
    return [f"{kind}{i}" for i in range(L) for kind in ("W", "b")]


def rename(text: str, names: list[str], canonical: list[str]) -> str:
    """``text`` with the checker's names (W0, b1, ...) replaced by the user's."""
    table = dict(zip(canonical, names))
    return re.sub(r"\b([Wb]\d+)\b", lambda m: table.get(m.group(1), m.group(1)), text)


def same_values(a: object, b: object) -> bool:
    """Whether two returned arrays hold the same values (NaN equal to NaN); anything that
    cannot be compared so (object arrays, strings) is compared element by element."""
    if b is None:
        return False
    try:
        x, y = to_numpy(a), to_numpy(b)
        if x.shape != y.shape:
            return False
        return bool(np.array_equal(x, y, equal_nan=x.dtype.kind in "fc"
                                   and y.dtype.kind in "fc"))
    except Exception:  # noqa: BLE001
        return False


def duplicates(canonical: list[str], leaf_of: list[int], pairing: object, G: Leaves
                ) -> list[str]:
    """Sentences for gradients returned with exactly another parameter's values."""
    seen: dict[bytes, str] = {}
    sentences = []
    for c, leaf in enumerate(leaf_of):
        j = pairing.pairs[leaf]
        if j is None or problem_with(G.values[j]) is not None:
            continue
        array = to_numpy(G.values[j])
        if array.size < 2 or not array.any():
            continue
        key = array.shape.__repr__().encode() + np.ascontiguousarray(array).tobytes()
        if key in seen:
            sentences.append(f"{canonical[c]}'s gradient holds exactly the values of "
                             f"{seen[key]}'s: the same array returned for two parameters.")
        else:
            seen[key] = canonical[c]
    return sentences


def wrote(result: Result, canonical: list[str], leaf_of: list[int]) -> list[str]:
    params = [canonical[leaf_of.index(k)] for k in result.wrote_params]
    return params + result.wrote_inputs


def reading(P: Leaves, arrangement: Arrangement, pairing: object, names: list[str],
             X_user: object) -> list[str]:
    """How the arrays were read, in sentences (the report's "read as")."""
    sentences = [f"params: {join(names)}, the layers found {arrangement.how}"]
    order_words = " (in another order than your parameters)" if pairing.reordered else ""
    sentences.append(f"gradients: paired with the parameters {pairing.how}{order_words}")
    if arrangement.x_transposed:
        sentences.append("X: its samples are columns (n_features, n_samples); checked as such")
    return sentences


def array_problems(canonical: list[str], leaf_of: list[int], pairing: object, G: Leaves,
                    values: list[np.ndarray], n: int, diagnosis: list[str]) -> list[str | None]:
    """Per canonical array, why its gradient cannot be compared (missing, not finite, the
    wrong shape), each said in ``diagnosis``; None where it can."""
    problems = []
    for c, leaf in enumerate(leaf_of):
        name, j = canonical[c], pairing.pairs[leaf]
        if j is None:
            text = f"{name}: grad_fn returned no gradient for it"
        else:
            text = problem_with(G.values[j])
            text = f"{name}'s gradient is not usable: {text}" if text else \
                shape_problem(name, to_numpy(G.values[j]).shape, values[leaf].shape, n)
        problems.append(text)
        if text:
            diagnosis.append(text + ("" if text.endswith(".") else "."))
    return problems


def shape_problem(name: str, shape: tuple[int, ...], param: tuple[int, ...], n: int
                   ) -> str | None:
    size = int(np.prod(param))
    if tuple(shape) == tuple(param) or (name[0] == "b" and int(np.prod(shape)) == size
                                         and len(shape) <= 2 and 1 in tuple(shape) + (1,)):
        return None
    if tuple(shape) == tuple(param)[::-1]:
        return (f"{name}'s gradient has shape {shape} but {name} is {param}: it is transposed "
                "(delta^T X instead of X^T delta, or the other layout's formula)")
    if int(np.prod(shape)) == 1 and size > 1:
        return (f"{name}'s gradient is a single number {tuple(shape)} but {name} is {param}: "
                "the sum ran over every axis (sum over the samples only: axis=0)")
    if name[0] == "b" and tuple(shape)[:1] == (n,):
        return (f"{name}'s gradient has one row per sample {shape}: the bias gradient is not "
                "summed over the batch")
    return f"{name}'s gradient has shape {shape}, but {name} is {param}"


def layout_words(transposed: bool, ambiguous: bool) -> str:
    words = ("(n_out, n_in) per W, torch.nn.Linear's layout (z = x W^T + b)" if transposed
             else "(n_in, n_out) per W, the textbook's and scikit-learn's layout (z = x W + b)")
    if ambiguous:
        words += "; every W is square, so both layouts were tried and this one fits"
    return words


def user_index(flat: int, c: int, shape: tuple[int, ...], layout: list[bool]
                ) -> tuple[int, ...]:
    """A flat index in scikit-learn's layout, as an index into the user's own array."""
    if c % 2 == 0:
        n_in, n_out = (shape[1], shape[0]) if layout[c // 2] else shape
        i, j = divmod(flat, n_out)
        return (j, i) if layout[c // 2] else (i, j)
    return tuple(int(i) for i in np.unravel_index(flat, shape))


def by_leaf(user: list, leaf_of: list[int], count: int) -> list[tuple[int, np.ndarray | None]]:
    """(canonical index, the user's gradient) in leaf order."""
    out = [(0, None)] * count
    for c, leaf in enumerate(leaf_of):
        out[leaf] = (c, user[c])
    return out
