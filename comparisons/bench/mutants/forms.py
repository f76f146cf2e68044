"""An architecture's arrays: drawn once in one canonical form, then held as its code holds them.

Canonical: ``Ws[k]`` (n_in, n_out), ``bs[k]`` (n_out,), X (n_samples, n_features), Y
(n_samples, n_outputs) floats. ``given`` turns them into what ``grad_fn`` and the checker
receive; ``split`` and ``canonical_gradients`` read a ``grad_fn``'s answer back;
``named_arrays`` names each gradient as the checker names its rows.
"""

from dataclasses import dataclass

import numpy as np

from comparisons.bench.mutants.architectures import Architecture

# params as an architecture's code holds them: a list (W0, b0, W1, ...), Nielsen's
# (biases, weights), or a dict by key
Params = list[np.ndarray] | tuple[list[np.ndarray], list[np.ndarray]] | dict[str, np.ndarray]


class StructureError(ValueError):
    """A grad_fn's answer is not shaped like its params."""


@dataclass
class Canonical:
    """The arrays of one architecture, in the canonical form (shapes above)."""

    Ws: list[np.ndarray]
    bs: list[np.ndarray]
    X: np.ndarray
    Y: np.ndarray
    labels: np.ndarray | None  # (n_samples,) integers when Y is one-hot or binary


def canonical(arch: Architecture) -> Canonical:
    """The seed's weights (N(0, 1/n_in)), biases (N(0, 0.5^2)), inputs and targets."""
    rng = np.random.default_rng([arch.seed, 1])
    Ws = [rng.normal(0, 1 / np.sqrt(a), (a, b)) for a, b in zip(arch.sizes, arch.sizes[1:])]
    bs = [rng.normal(0, 0.5, b) for b in arch.sizes[1:]]
    n, k = arch.n_samples, arch.n_outputs
    X = rng.normal(size=(n, arch.sizes[0]))
    labels = None
    if arch.output == "softmax":
        labels = rng.integers(0, k, n)
        Y = np.eye(k)[labels]
    elif arch.output == "logistic" and arch.loss == "cross_entropy":
        Y = rng.integers(0, 2, (n, k)).astype(float)
        labels = Y[:, 0].astype(int) if k == 1 else None
    elif arch.output == "logistic":
        Y = rng.uniform(0, 1, (n, k))
    else:
        Y = rng.normal(size=(n, k))
    return Canonical(Ws, bs, X, Y, labels)


def array_names(arch: Architecture) -> list[str]:
    """The checker's name for each array, in the order of the params."""
    L = arch.n_layers
    if arch.container == "list":
        return [f"{kind}{k}" for k in range(L) for kind in "Wb"]
    if arch.container == "nielsen":
        return [f"biases[{k}]" for k in range(L)] + [f"weights[{k}]" for k in range(L)]
    return [key for k in range(1, L + 1) for key in _keys(arch, k)]


def _keys(arch: Architecture, k: int) -> tuple[str, str]:
    """The dict keys of layer ``k`` (from 1): ("W1", "b1") or ("fc1.weight", "fc1.bias")."""
    if arch.keys == "W1":
        return f"W{k}", f"b{k}"
    return f"fc{k}.weight", f"fc{k}.bias"


def _hold_weight(arch: Architecture, W: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(W.T if arch.torch_layout else W)


def _hold_bias(arch: Architecture, b: np.ndarray) -> np.ndarray:
    return b.reshape({"flat": (-1,), "row": (1, -1), "column": (-1, 1)}[arch.bias]).copy()


def given(arch: Architecture, canon: Canonical) -> tuple:
    """(params, X, Y) as ``grad_fn`` and the checker receive them."""
    Ws = [_hold_weight(arch, W) for W in canon.Ws]
    bs = [_hold_bias(arch, b) for b in canon.bs]
    if arch.container == "list":
        params = [a for pair in zip(Ws, bs) for a in pair]
    elif arch.container == "nielsen":
        params = (bs, Ws)
    else:
        params = {}
        for k, (W, b) in enumerate(zip(Ws, bs), start=1):
            key_W, key_b = _keys(arch, k)
            params[key_W], params[key_b] = W, b
    X = np.ascontiguousarray(canon.X.T if arch.columns else canon.X)
    if arch.labels:
        Y = canon.labels.copy()
    else:
        Y = np.ascontiguousarray(canon.Y.T if arch.columns else canon.Y)
    return params, X, Y


def copied(params: Params, X: np.ndarray, Y: np.ndarray
           ) -> tuple[Params, np.ndarray, np.ndarray]:
    """A deep copy of (params, X, Y), so a grad_fn that writes into them changes nothing."""
    if isinstance(params, dict):
        params = {k: v.copy() for k, v in params.items()}
    elif isinstance(params, tuple):
        params = tuple([a.copy() for a in part] for part in params)
    else:
        params = [a.copy() for a in params]
    return params, X.copy(), Y.copy()


def split(arch: Architecture, returned: object) -> tuple[float | None, object]:
    """(loss or None, gradients) from what ``grad_fn`` returned."""
    if not arch.returns_loss:
        return None, returned
    if not (isinstance(returned, tuple) and len(returned) == 2):
        raise StructureError(f"expected (loss, gradients), got {type(returned).__name__}")
    loss = np.asarray(returned[0], dtype=float)
    if loss.size != 1:
        raise StructureError(f"the loss has shape {loss.shape}")
    return float(loss.reshape(())), returned[1]


def named_arrays(arch: Architecture, grads: object) -> dict[str, np.ndarray]:
    """name -> gradient array, checked to be shaped like the params (StructureError if not)."""
    names = array_names(arch)
    if arch.container == "list":
        if not isinstance(grads, (list, tuple)) or len(grads) != len(names):
            raise StructureError("gradients are not a list like the params")
        arrays = list(grads)
    elif arch.container == "nielsen":
        if not (isinstance(grads, (list, tuple)) and len(grads) == 2
                and all(isinstance(g, (list, tuple)) and len(g) == arch.n_layers
                        for g in grads)):
            raise StructureError("gradients are not (biases, weights) like the params")
        arrays = list(grads[0]) + list(grads[1])
    else:
        if not isinstance(grads, dict) or set(grads) != set(names):
            raise StructureError("gradients are not a dict with the params' keys")
        arrays = [grads[name] for name in names]
    out = {}
    for name, array, shape in zip(names, arrays, _shapes(arch)):
        if not isinstance(array, np.ndarray) or array.shape != shape:
            raise StructureError(f"{name} has shape {np.shape(array)}, not {shape}")
        out[name] = array.astype(float)
    return out


def _shapes(arch: Architecture) -> list[tuple]:
    """The shape of each params array, in ``array_names`` order."""
    canon_shapes = [((a, b), (b,)) for a, b in zip(arch.sizes, arch.sizes[1:])]
    W = [(b, a) if arch.torch_layout else (a, b) for (a, b), _ in canon_shapes]
    b = [{"flat": (n,), "row": (1, n), "column": (n, 1)}[arch.bias]
         for _, (n,) in canon_shapes]
    if arch.container == "nielsen":
        return b + W
    return [s for pair in zip(W, b) for s in pair]


def canonical_gradients(arch: Architecture, named: dict[str, np.ndarray]) -> tuple:
    """(dWs, dbs) in the canonical form from ``named_arrays``' answer."""
    arrays = list(named.values())
    L = arch.n_layers
    if arch.container == "nielsen":
        bs, Ws = arrays[:L], arrays[L:]
    else:
        Ws, bs = arrays[0::2], arrays[1::2]
    return ([W.T if arch.torch_layout else W for W in Ws], [b.reshape(-1) for b in bs])
