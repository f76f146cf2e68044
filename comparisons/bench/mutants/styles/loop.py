"""The loop style: lists of caches, one loop forward and one backward, any form at all.

    hs, zs = [X], []
    for W, b in zip(Ws[:-1], bs[:-1]):
        z = hs[-1] @ W + b
        ...
    for k in range(len(Ws) - 1, -1, -1):
        grads_W[k] = hs[k].T @ delta
        ...

It holds params as a list, a dict or Nielsen's (biases, weights), W either way round, samples
as rows or columns: the style the architectures' every option goes through.
"""

import numpy as np

from comparisons.bench.mutants import idioms
from comparisons.bench.mutants.architectures import Architecture
from comparisons.bench.mutants.forms import array_names
from comparisons.bench.mutants.writer import FORWARD, Source, Writer


def _unpack(w: Writer, arch: Architecture) -> None:
    """Ws and bs, lists of the layers' arrays as the params hold them."""
    if arch.container == "list":
        w.add("Ws, bs = params[0::2], params[1::2]")
    elif arch.container == "nielsen":
        w.add("bs, Ws = params")
    else:
        names = array_names(arch)
        w.add(f"Ws = [params[key] for key in {names[0::2]!r}]")
        w.add(f"bs = [params[key] for key in {names[1::2]!r}]")


def _pack(w: Writer, arch: Architecture) -> str:
    """Lines building the returned gradients; returns the expression to return."""
    if arch.container == "list":
        w.add("grads = []")
        with w.block("for dW, db in zip(grads_W, grads_b):"):
            w.add("grads += [dW, db]")
        return "grads"
    if arch.container == "nielsen":
        return "(grads_b, grads_W)"
    names = array_names(arch)
    w.add("grads = {}")
    with w.block(f"for key_W, key_b, dW, db in zip({names[0::2]!r}, {names[1::2]!r}, "
                 "grads_W, grads_b):"):
        w.add("grads[key_W], grads[key_b] = dW, db")
    return "grads"


def write(arch: Architecture, rng: np.random.Generator) -> Source:
    """The loop-style grad_fn for ``arch``; ``rng`` picks the idioms."""
    idiom = idioms.Idiom(arch, matmul=str(rng.choice(["@", "np.dot"])),
                         sums=str(rng.choice(["np", "method"])))
    L = arch.n_layers
    at_delta = bool(rng.random() < 0.7)
    dW_nodes = tuple(f"dW{k}" for k in range(L, 0, -1))
    db_nodes = tuple(f"db{k}" for k in range(L, 0, -1))
    h_nodes = tuple(f"h{k}" for k in range(L - 1, 0, -1))
    z_nodes = tuple(f"z{k}" for k in range(L - 1, 0, -1))
    w = Writer()
    with w.block("def grad_fn(params, X, Y):"):
        if arch.alpha:
            w.add(f"alpha = {arch.alpha}")
        _unpack(w, arch)
        if idioms.label_line(arch, "Y"):
            w.add(idioms.label_line(arch, "Y"), FORWARD)
        w.add(f"n = X.shape[{idiom.sample_axis}]", FORWARD)
        w.add("hs, zs = [X], []")
        with w.block("for W, b in zip(Ws[:-1], bs[:-1]):", FORWARD):
            w.add(f"z = {idiom.linear('hs[-1]', 'W', 'b')}", FORWARD)
            w.add("zs.append(z)", FORWARD)
            w.add(f"hs.append({idioms.activation(arch, 'z', rng)})", FORWARD)
        w.add(f"z = {idiom.linear('hs[-1]', 'Ws[-1]', 'bs[-1]')}", FORWARD)
        idioms.write_output(w, arch, idiom, "z", "p", "e", FORWARD)
        if arch.returns_loss:
            arrays = "Ws + bs" if arch.l2_biases else "Ws"
            penalised = f"sum({idiom.reduce('sum', 'A ** 2')} for A in {arrays})"
            idioms.write_loss(w, arch, idiom, "p", "Y", "n", "alpha", penalised)
        idioms.write_output_delta(w, arch, rng, idiom, "p", "Y", "n", "delta", "dp", at_delta)
        w.add("grads_W, grads_b = [None] * len(Ws), [None] * len(bs)")
        with w.block("for k in range(len(Ws) - 1, -1, -1):",
                     dW_nodes + db_nodes + h_nodes + z_nodes):
            dW, db = idiom.grad_W("hs[k]", "delta"), idiom.grad_b("delta")
            if not at_delta and arch.batch == "mean":
                dW, db = idioms.divide(dW, ["n"]), idioms.divide(db, ["n"])
            w.add(f"grads_W[k] = {idioms.with_l2(arch, dW, 'Ws[k]', 'alpha', 'n', False)}",
                  dW_nodes)
            w.add(f"grads_b[k] = {idioms.with_l2(arch, db, 'bs[k]', 'alpha', 'n', True)}",
                  db_nodes)
            if L > 1:
                with w.block("if k > 0:", h_nodes + z_nodes):
                    w.add(f"dh = {idiom.grad_h('delta', 'Ws[k]')}", h_nodes)
                    idioms.write_derivative(w, arch, rng, "delta", "dh", "zs[k - 1]", "hs[k]",
                                            z_nodes)
        returned = _pack(w, arch)
        w.add(f"return loss, {returned}" if arch.returns_loss else f"return {returned}")
    return w.source()
