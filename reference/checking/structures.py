"""Reading what a user hands over, in the forms people write it, with their own names.

Parameters come as a list or tuple (``[W1, b1, W2, b2]``), a dict (CS231n's ``net.params``,
a ``state_dict``), or nested (Nielsen's ``(biases, weights)``); arrays may be NumPy arrays or
torch tensors. ``leaves`` flattens any of them into named arrays and can ``rebuild`` the same
structure around new arrays, so that a user's function always receives what it expects.

``arrange`` finds the network in the parameters: which array is which layer's weight and
bias, and whether W is stored (n_in, n_out) or (n_out, n_in). ``match`` pairs the arrays a
gradient function returns with the parameters: by name, by position or by shape.
"""

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from reference.checking.compare import problem_with


def is_tensor(value: object) -> bool:
    return type(value).__module__.startswith("torch") and hasattr(value, "detach")


def _is_array(value: object) -> bool:
    return isinstance(value, (np.ndarray, np.generic)) or is_tensor(value)


def _is_leaf(value: object) -> bool:
    """An array, a tensor, a number, or a (nested) list of numbers: one parameter."""
    if _is_array(value) or isinstance(value, (int, float, complex)):
        return True
    if isinstance(value, (list, tuple)):
        return not any(_is_array(v) or isinstance(v, Mapping) for v in value) and all(
            _is_leaf(v) for v in value)
    return False


def to_numpy(value: object) -> np.ndarray:
    """A leaf as a NumPy array in its own dtype (a tensor detached and moved to the CPU)."""
    if is_tensor(value):
        value = value.detach().cpu()
        if str(value.dtype) == "torch.bfloat16":
            value = value.float()
        return value.numpy()
    if np.ma.is_masked(value):  # kept masked, so that problem_with says entries are missing
        return value
    return np.asarray(value)


def like(original: object, array: np.ndarray) -> object:
    """``array`` in the form of ``original``: a tensor of its dtype and device, or a NumPy
    array of its dtype."""
    if is_tensor(original):
        import torch

        return torch.as_tensor(np.asarray(array), device=original.device).to(original.dtype)
    dtype = np.asarray(original).dtype
    return np.array(array, dtype=dtype if dtype.kind in "fc" else np.float64)


def copy_of(original: object) -> object:
    """A copy the user's function may do anything with."""
    if is_tensor(original):
        return original.detach().clone()
    return np.array(original, copy=True)


@dataclass
class Leaves:
    """A structure of arrays, flattened: ``names`` (the user's dict keys and indices, or
    None for a plain list), ``values`` (the user's objects), and ``rebuild(new)`` giving the
    same structure around new values."""

    names: list[str | None]
    values: list[Any]
    rebuild: Callable[[list[Any]], Any]
    kind: str  # "list", "tuple", "dict" or "nested"

    @property
    def named(self) -> bool:
        return all(name is not None for name in self.names)


def leaves(obj: object, what: str) -> Leaves:
    """Flatten a list, tuple, dict or nesting of them into arrays (see ``Leaves``)."""
    if _is_leaf(obj) and not isinstance(obj, (list, tuple)):
        raise TypeError(f"{what} must be a list, tuple or dict of arrays, got one "
                        f"{type(obj).__name__}.")
    names: list[str | None] = []
    values: list[Any] = []

    def walk(node: object, name: str | None, depth: int) -> Callable[[list], Any]:
        if _is_leaf(node) and depth > 0:
            index = len(values)
            names.append(name)
            values.append(node)
            return lambda new: new[index]
        if isinstance(node, Mapping):
            keys = list(node)
            parts = [walk(node[k], str(k) if name is None else f"{name}.{k}", depth + 1)
                     for k in keys]
            kind = type(node)

            def build(new: list) -> object:
                items = [(k, part(new)) for k, part in zip(keys, parts)]
                try:
                    return kind(items)
                except TypeError:
                    return dict(items)
            return build
        if isinstance(node, (list, tuple)):
            parts = [walk(v, f"{name or ''}[{i}]", depth + 1) for i, v in enumerate(node)]
            kind = tuple if isinstance(node, tuple) else list
            return lambda new: kind(part(new) for part in parts)
        raise TypeError(f"{what} holds a {type(node).__name__} ({name or 'at the top'}); "
                        "it must hold arrays (NumPy arrays or torch tensors).")

    build = walk(obj, None, 0)
    if not values:
        raise ValueError(f"{what} holds no arrays.")
    nested = any(not _is_leaf(v) for v in (obj.values() if isinstance(obj, Mapping)
                                            else obj))
    kind = "nested" if nested else "dict" if isinstance(obj, Mapping) else \
        "tuple" if isinstance(obj, tuple) else "list"
    if kind in ("list", "tuple"):
        names = [None] * len(values)  # named later, by their role in the network
    elif kind == "nested" and not isinstance(obj, Mapping):
        names = [f"{what}{n}" for n in names]  # "params[0][1]"
    return Leaves(names, values, build, kind)


# --- the network in the parameters -------------------------------------------------------------

@dataclass
class Arrangement:
    """Which leaf is which layer's weight and bias: ``order`` lists the leaf indices as
    [W0, b0, W1, b1, ...]; ``transposed[i]``: W i is stored (n_out, n_in); ``ambiguous``:
    every W is square, so both layouts are possible; ``how``: how the order was found;
    ``x_transposed``: X holds the samples as columns."""

    order: list[int]
    transposed: list[bool]
    ambiguous: bool
    how: str
    x_transposed: bool = False


def _bias_size(shape: tuple[int, ...]) -> int | None:
    """The bias's size if ``shape`` is a bias's: (n,), (1, n) or (n, 1)."""
    if len(shape) == 1:
        return shape[0]
    if len(shape) == 2 and 1 in shape:
        return shape[0] * shape[1]
    return None


def _chain(order: list[int], shapes: list[tuple[int, ...]], n_features: int
           ) -> tuple[list[bool | None]] | None:
    """Per layer: W stored (n_out, n_in) (True), (n_in, n_out) (False) or square (None), if
    ``order`` makes a network that starts from ``n_features`` inputs; else None."""
    n_in, layout = n_features, []
    for i in range(0, len(order), 2):
        W, b = shapes[order[i]], shapes[order[i + 1]]
        n_out = _bias_size(b)
        if n_out is None or len(W) != 2 or sorted(W) != sorted((n_in, n_out)):
            return None
        layout.append(None if n_in == n_out else W == (n_out, n_in))
        n_in = n_out
    known = {t for t in layout if t is not None}
    return None if len(known) > 1 else layout


_WEIGHT = re.compile(r"weight|kernel|coef|(?<![a-z])w(?![a-z])", re.IGNORECASE)
_BIAS = re.compile(r"bias|intercept|(?<![a-z])b(?![a-z])", re.IGNORECASE)


def _by_names(names: list[str]) -> list[int] | None:
    """[W0, b0, ...] from names that say weight or bias and share the rest ("fc1.weight"
    with "fc1.bias", "W1" with "b1"), layers in the order they first appear (or by their
    numbers)."""
    roles, keys = [], []
    for name in names:
        plain = name.split(".")[-1] if "." in name else name
        w, b = _WEIGHT.search(plain), _BIAS.search(plain)
        if bool(w) == bool(b):
            return None
        match = w or b
        roles.append("W" if w else "b")
        keys.append(name[: len(name) - len(plain)] + plain[: match.start()]
                    + plain[match.end():])
    layers: dict[str, dict[str, int]] = {}
    for index, (role, key) in enumerate(zip(roles, keys)):
        if role in layers.setdefault(key, {}):
            return None
        layers[key][role] = index
    if any(set(layer) != {"W", "b"} for layer in layers.values()):
        return None
    order = list(layers)
    numbers = [re.findall(r"\d+", key) for key in order]
    if all(numbers) and len({tuple(n) for n in numbers}) == len(numbers):
        order.sort(key=lambda key: [int(n) for n in re.findall(r"\d+", key)])
    return [layers[key][role] for key in order for role in ("W", "b")]


def _by_shapes(shapes: list[tuple[int, ...]], n_features: int) -> list[int] | None:
    """[W0, b0, ...] found by following the shapes from the input, earliest first."""
    unused, order, n_in = list(range(len(shapes))), [], n_features
    while unused:
        for w in unused:
            if len(shapes[w]) != 2 or n_in not in shapes[w]:
                continue
            n_out = shapes[w][1] if shapes[w][0] == n_in else shapes[w][0]
            bias = next((b for b in unused if b != w and _bias_size(shapes[b]) == n_out
                         and (len(shapes[b]) < 2 or shapes[b] != shapes[w])), None)
            if bias is not None:
                order += [w, bias]
                unused = [i for i in unused if i not in (w, bias)]
                n_in = n_out
                break
        else:
            return None
    return order


def arrange(names: list[str | None], shapes: list[tuple[int, ...]], n_features: int,
            n_samples: int) -> Arrangement:
    """Find the layers in the parameters (see ``Arrangement``); raises ``ValueError`` with
    the shapes when no network starting from X's features fits them."""
    count = len(shapes)
    if count < 2 or count % 2:
        raise ValueError(f"params holds {count} array{'s' if count != 1 else ''}; a network "
                         "has a weight matrix and a bias vector per layer (an even number).")
    half = count // 2
    candidates = [("in the order given (W, b per layer)", list(range(count)))]
    if all(name is not None for name in names):
        candidates.append(("by their names", _by_names(names)))
    candidates += [("all weights first, then all biases",
                    [k for i in range(half) for k in (i, half + i)]),
                   ("all biases first, then all weights",
                    [k for i in range(half) for k in (half + i, i)])]
    orientations = [(False, n_features)] + ([(True, n_samples)] if n_samples != n_features
                                            else [])
    # the order given (or the names) in either orientation of X before a reshuffle found by
    # the shapes: shapes can chain up in another order too (X read the other way round)
    tries = [(how, order, flip, n_in) for how, order in candidates for flip, n_in in orientations]
    tries += [("by their shapes", _by_shapes(shapes, n_in), flip, n_in)
              for flip, n_in in orientations]
    for how, order, x_transposed, n_in in tries:
        if order is None or sorted(order) != list(range(count)):
            continue
        layout = _chain(order, shapes, n_in)
        if layout is not None:
            known = {t for t in layout if t is not None}
            transposed = known.pop() if known else False
            return Arrangement(order, [transposed] * len(layout), not known and
                               all(t is None for t in layout), how, x_transposed)
    listed = ", ".join(f"{name or k}: {shape}" for k, (name, shape) in
                       enumerate(zip(names, shapes)))
    raise ValueError(f"params ({listed}) do not make a network for X's {n_features} features: "
                     "give a weight matrix (n_in, n_out) or (n_out, n_in) and a bias of n_out "
                     "values per layer, the first layer taking X's columns.")


# --- gradients to parameters ---------------------------------------------------------------------

_GRAD_PREFIX = re.compile(r"^(d_?|grad_?|nabla_?|g_)", re.IGNORECASE)
_GRAD_SUFFIX = re.compile(r"(_?grad|_?gradient)$", re.IGNORECASE)


def _bare(name: str) -> str:
    """A gradient's name without its gradient marks: "dW1", "grad_W1", "W1_grad" -> "W1"."""
    parts = name.split(".")
    parts[-1] = _GRAD_SUFFIX.sub("", _GRAD_PREFIX.sub("", parts[-1])) or parts[-1]
    return ".".join(parts)


@dataclass
class Matching:
    """``pairs[k]``: the gradient leaf for parameter leaf k (None: missing); ``extra``: the
    gradient leaves no parameter took; ``how``: "by name", "by position" or "by shape";
    ``reordered``: the gradients came in another order than the parameters."""

    pairs: list[int | None]
    extra: list[int]
    how: str
    reordered: bool


def match(params: Leaves, grads: Leaves, param_shapes: list[tuple[int, ...]],
          grad_shapes: list[tuple[int, ...] | None]) -> Matching:
    """Pair each parameter with its gradient: by name when both are named and the names
    agree (a gradient's "d", "grad_" or "_grad" marks aside), else by position when the
    sizes agree there, else by shape (then by size), keeping the order among equals."""
    if params.named and grads.named:
        by_name = {_bare(name): k for k, name in enumerate(grads.names)}
        by_name.update({name: k for k, name in enumerate(grads.names)})
        pairs = [by_name.get(name, by_name.get(_bare(name))) for name in params.names]
        if all(p is not None for p in pairs) and len(set(pairs)) == len(pairs):
            extra = [k for k in range(len(grads.values)) if k not in pairs]
            return Matching(pairs, extra, "by name", False)  # names, not order, pair them
    sizes = [None if s is None else int(np.prod(s)) for s in grad_shapes]
    n = len(param_shapes)
    if len(sizes) >= n and all(sizes[k] == int(np.prod(param_shapes[k])) for k in range(n)):
        return Matching(list(range(n)), list(range(n, len(sizes))), "by position", False)
    pairs: list[int | None] = [None] * n
    used: set[int] = set()
    for exact in (True, False):
        for k, shape in enumerate(param_shapes):
            if pairs[k] is not None:
                continue
            for j, g in enumerate(grad_shapes):
                if j in used or g is None:
                    continue
                if (tuple(g) == tuple(shape)) if exact else \
                        (sizes[j] == int(np.prod(shape))):
                    pairs[k] = j
                    used.add(j)
                    break
    leftover = [j for j in range(len(grad_shapes)) if j not in used]
    for k in range(n):  # what no shape pairs, by position among the leftovers
        if pairs[k] is None and leftover:
            pairs[k] = leftover.pop(0)
    found = [p for p in pairs if p is not None]
    return Matching(pairs, leftover, "by shape", found != sorted(found))


def shape_of(value: object) -> tuple[int, ...] | None:
    """A returned gradient's shape, or None if it is not an array at all."""
    if problem_with(value) is not None and problem_with(value).startswith("it is"):
        return None
    try:
        return tuple(to_numpy(value).shape)
    except Exception:  # noqa: BLE001
        return None
