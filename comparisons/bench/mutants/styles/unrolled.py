"""The unrolled style: two or three layers written out with named variables.

    z1 = X @ W1 + b1
    hidden = np.maximum(0, z1)
    scores = hidden @ W2 + b2
    ...
    dscores = (probs - Y) / n
    dW2 = hidden.T @ dscores
    dhidden = dscores @ W2.T
    dhidden[z1 <= 0] = 0

Rows as samples, W (n_in, n_out); params a list or a dict of W1, b1, ...
"""

import numpy as np

from comparisons.bench.mutants import idioms
from comparisons.bench.mutants.architectures import Architecture
from comparisons.bench.mutants.writer import FORWARD, Source, Writer


def _hidden_name(L: int, k: int) -> str:
    return "hidden" if L == 2 else f"hidden{k}"


def write(arch: Architecture, rng: np.random.Generator) -> Source:
    """The unrolled grad_fn for ``arch`` (one or two hidden layers)."""
    idiom = idioms.Idiom(arch, matmul=str(rng.choice(["@", "np.dot"])),
                         sums=str(rng.choice(["np", "method"])))
    L = arch.n_layers
    n = str(rng.choice(["n", "N"]))
    alpha = str(rng.choice(["alpha", "reg"]))
    h = ["X"] + [_hidden_name(L, k) for k in range(1, L)]  # h[k]: the input of layer k + 1
    p = "probs" if arch.output == "softmax" else "out"
    w = Writer()
    with w.block("def grad_fn(params, X, Y):"):
        if arch.alpha:
            w.add(f"{alpha} = {arch.alpha}")
        if arch.container == "list":
            w.add(", ".join(f"W{k}, b{k}" for k in range(1, L + 1)) + " = params")
        else:
            for k in range(1, L + 1):
                w.add(f"W{k}, b{k} = params['W{k}'], params['b{k}']")
        if idioms.label_line(arch, "Y"):
            w.add(idioms.label_line(arch, "Y"), FORWARD)
        w.add(f"{n} = X.shape[0]", FORWARD)
        for k in range(1, L):
            w.add(f"z{k} = {idiom.linear(h[k - 1], f'W{k}', f'b{k}')}", FORWARD)
            w.add(f"{h[k]} = {idioms.activation(arch, f'z{k}', rng)}", FORWARD)
        w.add(f"scores = {idiom.linear(h[L - 1], f'W{L}', f'b{L}')}", FORWARD)
        idioms.write_output(w, arch, idiom, "scores", p, "exp_scores", FORWARD)
        if arch.returns_loss:
            arrays = [f"W{k}" for k in range(1, L + 1)]
            arrays += [f"b{k}" for k in range(1, L + 1)] if arch.l2_biases else []
            idioms.write_loss(w, arch, idiom, p, "Y", n, alpha, idioms.squares(arrays, idiom))
        idioms.write_output_delta(w, arch, rng, idiom, p, "Y", n, "dscores", f"d{p}", True)
        delta = "dscores"
        for k in range(L, 0, -1):
            dW = idioms.with_l2(arch, idiom.grad_W(h[k - 1], delta), f"W{k}", alpha, n, False)
            db = idioms.with_l2(arch, idiom.grad_b(delta), f"b{k}", alpha, n, True)
            w.add(f"dW{k} = {dW}", (f"dW{k}",))
            w.add(f"db{k} = {db}", (f"db{k}",))
            if k > 1:
                dh = f"d{h[k - 1]}"
                w.add(f"{dh} = {idiom.grad_h(delta, f'W{k}')}", (f"h{k - 1}",))
                delta = idioms.write_derivative(w, arch, rng, f"dz{k - 1}", dh, f"z{k - 1}",
                                                h[k - 1], (f"z{k - 1}",), in_place=True)
        grads = [f"dW{k}, db{k}" for k in range(1, L + 1)]
        if arch.container == "dict":
            grads = [f"'W{k}': dW{k}, 'b{k}': db{k}" for k in range(1, L + 1)]
            returned = "{" + ", ".join(grads) + "}"
        else:
            returned = "[" + ", ".join(grads) + "]"
        nodes = tuple(f"d{kind}{k}" for k in range(L, 0, -1) for kind in "Wb")
        w.add(f"return loss, {returned}" if arch.returns_loss else f"return {returned}", nodes)
    return w.source()
