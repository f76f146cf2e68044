"""The style of someone checking against torch: torch's layout, ``z = x @ w.T + b``.

    z1 = x @ w1.T + b1
    h1 = np.tanh(z1)
    out = h1 @ w2.T + b2
    ...
    grad_out = (p - y) / n
    grad_w2 = grad_out.T @ h1
    grad_b2 = grad_out.sum(0)
    grad_h1 = grad_out @ w2
    grad_z1 = grad_h1 * (1 - h1 ** 2)

Rows as samples, W (n_out, n_in), flat biases; params a list or a state dict
(``fc1.weight``, ``fc1.bias``).
"""

import numpy as np

from comparisons.bench.mutants import idioms
from comparisons.bench.mutants.architectures import Architecture
from comparisons.bench.mutants.writer import FORWARD, Source, Writer


def write(arch: Architecture, rng: np.random.Generator) -> Source:
    """The torch-layout grad_fn for ``arch``."""
    idiom = idioms.Idiom(arch, matmul="@", sums="positional")
    L = arch.n_layers
    h = ["x"] + [f"h{k}" for k in range(1, L)]
    w = Writer()
    with w.block("def grad_fn(params, x, y):"):
        if arch.alpha:
            w.add(f"weight_decay = {arch.alpha}")
        if arch.container == "list":
            w.add(", ".join(f"w{k}, b{k}" for k in range(1, L + 1)) + " = params")
        else:
            for k in range(1, L + 1):
                w.add(f'w{k}, b{k} = params["fc{k}.weight"], params["fc{k}.bias"]')
        if idioms.label_line(arch, "y"):
            w.add(idioms.label_line(arch, "y"), FORWARD)
        w.add("n = x.shape[0]", FORWARD)
        for k in range(1, L):
            w.add(f"z{k} = {idiom.linear(h[k - 1], f'w{k}', f'b{k}')}", FORWARD)
            w.add(f"h{k} = {idioms.activation(arch, f'z{k}', rng)}", FORWARD)
        w.add(f"out = {idiom.linear(h[L - 1], f'w{L}', f'b{L}')}", FORWARD)
        idioms.write_output(w, arch, idiom, "out", "p", "e", FORWARD)
        if arch.returns_loss:
            arrays = [f"w{k}" for k in range(1, L + 1)]
            arrays += [f"b{k}" for k in range(1, L + 1)] if arch.l2_biases else []
            idioms.write_loss(w, arch, idiom, "p", "y", "n", "weight_decay",
                              idioms.squares(arrays, idiom))
        idioms.write_output_delta(w, arch, rng, idiom, "p", "y", "n", "grad_out", "grad_p",
                                  True)
        delta = "grad_out"
        for k in range(L, 0, -1):
            dW = idioms.with_l2(arch, idiom.grad_W(h[k - 1], delta), f"w{k}", "weight_decay",
                                "n", False)
            db = idioms.with_l2(arch, idiom.grad_b(delta), f"b{k}", "weight_decay", "n", True)
            w.add(f"grad_w{k} = {dW}", (f"dW{k}",))
            w.add(f"grad_b{k} = {db}", (f"db{k}",))
            if k > 1:
                w.add(f"grad_h{k - 1} = {idiom.grad_h(delta, f'w{k}')}", (f"h{k - 1}",))
                delta = idioms.write_derivative(w, arch, rng, f"grad_z{k - 1}", f"grad_h{k - 1}",
                                                f"z{k - 1}", h[k - 1], (f"z{k - 1}",))
        if arch.container == "list":
            returned = "[" + ", ".join(f"grad_w{k}, grad_b{k}" for k in range(1, L + 1)) + "]"
        else:
            returned = "{" + ", ".join(f'"fc{k}.weight": grad_w{k}, "fc{k}.bias": grad_b{k}'
                                       for k in range(1, L + 1)) + "}"
        nodes = tuple(f"d{kind}{k}" for k in range(L, 0, -1) for kind in "Wb")
        w.add(f"return loss, {returned}" if arch.returns_loss else f"return {returned}", nodes)
    return w.source()
