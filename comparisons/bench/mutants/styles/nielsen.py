"""Nielsen's ``backprop`` (neuralnetworksanddeeplearning.com), on a batch held as columns.

    for b, w in zip(biases[:-1], weights[:-1]):
        z = np.dot(w, activation) + b
        zs.append(z)
        activation = sigmoid(z)
        activations.append(activation)
    ...
    nabla_w[-1] = np.dot(delta, activations[-2].transpose())
    for l in range(2, num_layers):
        z = zs[-l]
        sp = sigmoid_prime(z)
        delta = np.dot(weights[-l + 1].transpose(), delta) * sp

Params (biases, weights), W (n_out, n_in), biases (n_out, 1); the derivative is recomputed
from z, and dL/dh and dL/dz are one line.
"""

import numpy as np

from comparisons.bench.mutants import idioms
from comparisons.bench.mutants.architectures import Architecture
from comparisons.bench.mutants.writer import FORWARD, Source, Writer


def _prime(w: Writer, arch: Architecture, where: tuple) -> None:
    """``sp``, the activation's derivative at ``z``, recomputed from z."""
    s = arch.negative_slope
    if arch.activation == "logistic":
        w.add("s = 1 / (1 + np.exp(-z))", where)
        w.add("sp = s * (1 - s)", where)
        return
    w.add("sp = " + {"identity": "np.ones_like(z)", "tanh": "1 - np.tanh(z) ** 2",
                     "relu": "(z > 0).astype(float)",
                     "leaky_relu": f"np.where(z > 0, 1.0, {s})"}[arch.activation], where)


def write(arch: Architecture, rng: np.random.Generator) -> Source:
    """The Nielsen-style grad_fn for ``arch``."""
    idiom = idioms.Idiom(arch, matmul="np.dot", transpose=".transpose()", sums="method")
    L = arch.n_layers
    at_delta = bool(rng.random() < 0.5)
    hidden = range(L - 1, 0, -1)  # the layers the loop over l = 2 .. L meets
    z_nodes, h_nodes = tuple(f"z{k}" for k in hidden), tuple(f"h{k}" for k in hidden)
    w = Writer()

    def gradients(i: str, before: str, k_nodes: range) -> None:
        dW = idiom.grad_W(f"activations[{before}]", "delta")
        db = idiom.grad_b("delta")
        if not at_delta and arch.batch == "mean":
            dW, db = idioms.divide(dW, ["n"]), idioms.divide(db, ["n"])
        dW = idioms.with_l2(arch, dW, f"weights[{i}]", "lmbda", "n", False)
        db = idioms.with_l2(arch, db, f"biases[{i}]", "lmbda", "n", True)
        w.add(f"nabla_b[{i}] = {db}", tuple(f"db{k}" for k in k_nodes))
        w.add(f"nabla_w[{i}] = {dW}", tuple(f"dW{k}" for k in k_nodes))

    with w.block("def grad_fn(params, x, y):"):
        if arch.alpha:
            w.add(f"lmbda = {arch.alpha}")
        w.add("biases, weights = params")
        if idioms.label_line(arch, "y"):
            w.add(idioms.label_line(arch, "y"), FORWARD)
        w.add("n = x.shape[1]", FORWARD)
        w.add("activation = x", FORWARD)
        w.add("activations = [x]", FORWARD)
        w.add("zs = []", FORWARD)
        with w.block("for b, w in zip(biases[:-1], weights[:-1]):", FORWARD):
            w.add(f"z = {idiom.linear('activation', 'w', 'b')}", FORWARD)
            w.add("zs.append(z)", FORWARD)
            w.add(f"activation = {idioms.activation(arch, 'z', rng)}", FORWARD)
            w.add("activations.append(activation)", FORWARD)
        w.add(f"z = {idiom.linear('activation', 'weights[-1]', 'biases[-1]')}", FORWARD)
        w.add("zs.append(z)", FORWARD)
        idioms.write_output(w, arch, idiom, "z", "output", "e", FORWARD)
        w.add("activations.append(output)", FORWARD)
        if arch.returns_loss:
            arrays = "weights + biases" if arch.l2_biases else "weights"
            penalised = f"sum({idiom.reduce('sum', 'a ** 2')} for a in {arrays})"
            idioms.write_loss(w, arch, idiom, "output", "y", "n", "lmbda", penalised)
        idioms.write_output_delta(w, arch, rng, idiom, "output", "y", "n", "delta", "nabla_a",
                                  at_delta)
        w.add("nabla_b = [np.zeros(b.shape) for b in biases]")
        w.add("nabla_w = [np.zeros(w.shape) for w in weights]")
        gradients("-1", "-2", range(L, L + 1))
        if L > 1:
            with w.block(f"for l in range(2, {L + 1}):", h_nodes + z_nodes +
                         tuple(f"d{kind}{k}" for k in hidden for kind in "Wb")):
                w.add("z = zs[-l]", z_nodes)
                _prime(w, arch, z_nodes)
                w.add(f"delta = {idiom.mm(idiom.t('weights[-l + 1]'), 'delta')} * sp",
                      h_nodes + z_nodes)
                gradients("-l", "-l - 1", hidden)
        w.add("return loss, (nabla_b, nabla_w)" if arch.returns_loss
              else "return (nabla_b, nabla_w)")
    return w.source()
