"""deeplearning.ai's style: samples as columns, a ``parameters`` dict, a ``cache`` dict.

    Z1 = np.dot(W1, X) + b1
    A1 = np.tanh(Z1)
    ...
    cache = {"Z1": Z1, "A1": A1, ...}
    dZ2 = A2 - Y
    dW2 = 1 / m * np.dot(dZ2, cache["A1"].T)
    db2 = 1 / m * np.sum(dZ2, axis=1, keepdims=True)
    dA1 = np.dot(W2.T, dZ2)
    dZ1 = dA1 * (1 - np.power(cache["A1"], 2))

W (n_out, n_in), biases (n_out, 1); the 1/m of the batch mean usually at each dW and db.
"""

import numpy as np

from comparisons.bench.mutants import idioms
from comparisons.bench.mutants.architectures import Architecture
from comparisons.bench.mutants.writer import FORWARD, Source, Writer


def write(arch: Architecture, rng: np.random.Generator) -> Source:
    """The deeplearning.ai-style grad_fn for ``arch``."""
    idiom = idioms.Idiom(arch, matmul="np.dot", sums="np")
    L = arch.n_layers
    at_delta = bool(rng.random() < 0.3)
    A = ["X"] + [f'cache["A{k}"]' for k in range(1, L)]  # A[k]: the input of layer k + 1
    w = Writer()
    with w.block("def grad_fn(parameters, X, Y):"):
        if arch.alpha:
            w.add(f"lambd = {arch.alpha}")
        w.add("m = X.shape[1]", FORWARD)
        for k in range(1, L + 1):
            w.add(f'W{k} = parameters["W{k}"]')
            w.add(f'b{k} = parameters["b{k}"]')
        if idioms.label_line(arch, "Y"):
            w.add(idioms.label_line(arch, "Y"), FORWARD)
        for k in range(1, L):
            w.add(f"Z{k} = {idiom.linear('X' if k == 1 else f'A{k - 1}', f'W{k}', f'b{k}')}",
                  FORWARD)
            w.add(f"A{k} = {idioms.activation(arch, f'Z{k}', rng)}", FORWARD)
        w.add(f"Z{L} = {idiom.linear('X' if L == 1 else f'A{L - 1}', f'W{L}', f'b{L}')}",
              FORWARD)
        idioms.write_output(w, arch, idiom, f"Z{L}", f"A{L}", "T", FORWARD)
        cached = ", ".join(f'"Z{k}": Z{k}, "A{k}": A{k}' for k in range(1, L))
        w.add(f"cache = {{{cached}}}", FORWARD)
        if arch.returns_loss:
            arrays = [f"W{k}" for k in range(1, L + 1)]
            arrays += [f"b{k}" for k in range(1, L + 1)] if arch.l2_biases else []
            idioms.write_loss(w, arch, idiom, f"A{L}", "Y", "m", "lambd",
                              idioms.squares(arrays, idiom), one_over=True, name="cost")
        idioms.write_output_delta(w, arch, rng, idiom, f"A{L}", "Y", "m", f"dZ{L}", f"dA{L}",
                                  at_delta)
        for k in range(L, 0, -1):
            dW, db = idiom.grad_W(A[k - 1], f"dZ{k}"), idiom.grad_b(f"dZ{k}")
            if not at_delta and arch.batch == "mean":
                dW, db = f"1 / m * {dW}", f"1 / m * {db}"
            w.add(f"dW{k} = {idioms.with_l2(arch, dW, f'W{k}', 'lambd', 'm', False)}",
                  (f"dW{k}",))
            w.add(f"db{k} = {idioms.with_l2(arch, db, f'b{k}', 'lambd', 'm', True)}",
                  (f"db{k}",))
            if k > 1:
                w.add(f"dA{k - 1} = {idiom.grad_h(f'dZ{k}', f'W{k}')}", (f"h{k - 1}",))
                _derivative(w, arch, rng, k - 1)
        grads = ", ".join(f'"W{k}": dW{k}, "b{k}": db{k}' for k in range(1, L + 1))
        w.add(f"grads = {{{grads}}}", tuple(f"d{kind}{k}" for k in range(L, 0, -1)
                                            for kind in "Wb"))
        w.add("return cost, grads" if arch.returns_loss else "return grads")
    return w.source()


def _derivative(w: Writer, arch: Architecture, rng: np.random.Generator, k: int) -> None:
    """dZk from dAk; relu as the course's relu_backward (a copy, zeroed where Z <= 0)."""
    where = (f"z{k}",)
    if arch.activation == "relu" and rng.random() < 0.6:
        w.add(f"dZ{k} = np.array(dA{k}, copy=True)", where)
        w.add(f'dZ{k}[cache["Z{k}"] <= 0] = 0', where)
        return
    idioms.write_derivative(w, arch, rng, f"dZ{k}", f"dA{k}", f'cache["Z{k}"]',
                            f'cache["A{k}"]', where)

