"""Plumbing shared by the held-out galleries: arrays by the report's names, finite differences,
and the ``self_check`` each gallery runs on itself.

The held-out galleries (``deeplearning_ai``, ``nnfs_objects``, ``leaky_regressor``,
``float32_smoothing``, ``torch_manual_backward``) were written without reading the checker:
each case's ``wrong`` set and ``first_wrong_node`` come from running the planted mistake beside
the same code without it (``measure``), and ``self_check`` holds every correct case against
central finite differences of an independent float64 loss written in the gallery itself.
"""

import copy
from collections.abc import Mapping

import numpy as np

#: a gradient array differs from its correct twin when its relative difference exceeds this
DIFFERS = 1e-6


def to_numpy(a):
    """A NumPy copy of ``a`` (a torch tensor, an array or a number)."""
    if hasattr(a, "detach"):
        return a.detach().cpu().numpy().copy()
    return np.array(a, copy=True)


def named_arrays(obj):
    """{name: array}: dict keys as they are, a plain list as W0, b0, W1, b1, ... by position."""
    if isinstance(obj, Mapping):
        return {str(k): to_numpy(v) for k, v in obj.items()}
    return {("W" if i % 2 == 0 else "b") + str(i // 2): to_numpy(a) for i, a in enumerate(obj)}


def unpack(result):
    """(loss, gradients, intermediates) from what a ``grad_fn`` returns."""
    if isinstance(result, tuple) and len(result) in (2, 3) and np.ndim(to_numpy(result[0])) == 0:
        loss = float(to_numpy(result[0]))
        inter = result[2] if len(result) == 3 else {}
        return loss, result[1], inter
    return None, result, {}


def run(made, times=2):
    """Call a case's ``grad_fn`` ``times`` times on fresh copies, as a checker would.

    Returns a list of (loss, {name: gradient}, {intermediate name: array}).
    """
    grad_fn, params, X, Y, _ = made
    calls = []
    for _ in range(times):
        loss, grads, inter = unpack(grad_fn(copy.deepcopy(params), copy.deepcopy(X),
                                            copy.deepcopy(Y)))
        calls.append((loss, named_arrays(grads), {k: to_numpy(v) for k, v in inter.items()}))
    return calls


def rel_diff(a, b):
    """max |a - b| / max |b|; infinite when the shapes differ or ``a`` is not finite where b is."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        return np.inf
    if not np.all(np.isfinite(a)):
        return np.inf
    scale = max(float(np.max(np.abs(b))) if b.size else 0.0, 1e-12)
    return float(np.max(np.abs(a - b))) / scale if a.size else 0.0


def measure(bug_made, base_made, node_map=None, node_order=()):
    """(wrong arrays, first wrong node) of a planted mistake against the same code without it.

    Both run twice (a gradient that accumulates across calls shows on the second call); an
    array is wrong when any call differs by more than ``DIFFERS``.
    """
    bug_calls, base_calls = run(bug_made), run(base_made)
    wrong, node_wrong = set(), set()
    for (_, g_bug, i_bug), (_, g_base, i_base) in zip(bug_calls, base_calls):
        for name in g_base:
            if name not in g_bug or rel_diff(g_bug[name], g_base[name]) > DIFFERS:
                wrong.add(name)
        for name in i_base:
            if name not in i_bug or rel_diff(i_bug[name], i_base[name]) > DIFFERS:
                node_wrong.add(node_map[name] if node_map else name)
    first = next((node for node in node_order if node in node_wrong), None)
    return wrong, first


def finite_differences(loss64, P, X, Y, *, h=1e-6, mode="central", add=None):
    """{name: dL/dP[name]} by finite differences of ``loss64(P, X, Y, add)`` in float64.

    mode : "central", or {name: ("backward", step)} for arrays whose derivative sits on a
        ReLU kink (one-sided from below, second order); the others stay central.
    """
    P = {k: np.array(v, dtype=np.float64) for k, v in P.items()}
    grads = {}
    base = loss64(P, X, Y, add)
    per_array = mode if isinstance(mode, dict) else {}
    default = ("central", h) if per_array else (mode, h)
    for name, arr in P.items():
        mode, h = per_array.get(name, default)
        g = np.zeros_like(arr)
        for idx in np.ndindex(arr.shape):
            old = arr[idx]
            arr[idx] = old - h
            lo = loss64(P, X, Y, add)
            if mode == "central":
                arr[idx] = old + h
                g[idx] = (loss64(P, X, Y, add) - lo) / (2 * h)
            else:  # one-sided from below, second order: the side a ReLU's zero derivative
                arr[idx] = old - 2 * h  # at its kink agrees with
                g[idx] = (3 * base - 4 * lo + loss64(P, X, Y, add)) / (2 * h)
            arr[idx] = old
        grads[name] = g
    return grads


def node_differences(loss64, P, X, Y, shapes, *, h=1e-6):
    """{node: dL/dnode} by finite differences, perturbing each node additively in the forward
    (``add={node: delta}``); node "x" perturbs X itself."""
    P = {k: np.array(v, dtype=np.float64) for k, v in P.items()}
    out = {}
    for node, shape in shapes.items():
        if node == "x":
            out[node] = finite_differences(lambda Q, _X, _Y, _add: loss64(P, Q["x"], Y, None),
                                           {"x": X}, None, None, h=h)["x"]
            continue
        delta = np.zeros(shape)
        g = np.zeros(shape)
        for idx in np.ndindex(shape):
            delta[idx] = h
            hi = loss64(P, X, Y, {node: delta})
            delta[idx] = -h
            lo = loss64(P, X, Y, {node: delta})
            delta[idx] = 0.0
            g[idx] = (hi - lo) / (2 * h)
        out[node] = g
    return out


def self_check(cases, baselines, independent, node_order=(), verbose=True):
    """Hold a gallery against itself; raise AssertionError listing every problem.

    cases : the gallery's CASES.
    baselines : {bug case name: make of the same code without the mistake}.
    independent : {correct case name: (loss64, tol, fd mode)}, loss64(P, X, Y, add) in float64
        on {report name: array}, X and Y as the case gives them (NumPy).
    """
    problems = []
    for case in cases:
        made = case["make"]()
        kwargs = made[4]
        node_map = kwargs.get("nodes")
        if case["bug"] is None:
            loss64, tol, mode = independent[case["name"]]
            (loss, grads, inter), = run(made, times=1)
            P = named_arrays(made[1])
            X, Y = to_numpy(made[2]), to_numpy(made[3])
            fd = finite_differences(loss64, P, X, Y, mode=mode)
            for name, g in fd.items():
                err = rel_diff(grads[name], g)
                if not err <= tol:
                    problems.append(f"{case['name']}: {name} is {err:.1e} from finite differences")
            if loss is not None:
                ref = loss64({k: np.array(v, dtype=np.float64) for k, v in P.items()}, X, Y, None)
                if not abs(loss - ref) <= tol * max(1.0, abs(ref)):
                    problems.append(f"{case['name']}: loss {loss!r} against {ref!r}")
            if node_map:
                shapes = {node_map[k]: v.shape for k, v in inter.items()}
                fd_nodes = node_differences(loss64, P, X, Y, shapes)
                for k, v in inter.items():
                    err = rel_diff(v, fd_nodes[node_map[k]])
                    if not err <= tol:
                        problems.append(f"{case['name']}: node {k} is {err:.1e} from differences")
            if verbose:
                print(f"  ok   {case['name']}: correct (finite differences agree)")
            continue
        wrong, first = measure(made, baselines[case["name"]](), node_map, node_order)
        if not wrong and first is None:
            problems.append(f"{case['name']}: the planted mistake changes no gradient")
        if wrong != set(case["wrong"]):
            problems.append(f"{case['name']}: wrong is {sorted(wrong)}, the case says "
                            f"{sorted(case['wrong'])}")
        if first != case.get("first_wrong_node"):
            problems.append(f"{case['name']}: first wrong node is {first}, the case says "
                            f"{case.get('first_wrong_node')}")
        if verbose:
            print(f"  bug  {case['name']}: spoils {sorted(wrong)}"
                  + (f", first node {first}" if first else ""))
    if problems:
        raise AssertionError("\n".join(problems))
    return True
