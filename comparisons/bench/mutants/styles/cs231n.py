"""CS231n's two-layer net: a params dict, ``reg``, ``grads['W1']``, labels ``y``.

    hidden = np.maximum(0, X.dot(W1) + b1)
    scores = hidden.dot(W2) + b2
    ...
    dscores = probs.copy()
    dscores[np.arange(N), y] -= 1
    dscores /= N
    grads['W2'] = hidden.T.dot(dscores) + reg * W2
    dhidden = dscores.dot(W2.T)
    dhidden[hidden <= 0] = 0

Rows as samples, W (n_in, n_out), flat biases; the hidden layer's z is not kept.
"""

import numpy as np

from comparisons.bench.mutants import idioms
from comparisons.bench.mutants.architectures import Architecture
from comparisons.bench.mutants.writer import FORWARD, LOSS, Source, Writer


def _softmax_loss(w: Writer, arch: Architecture) -> None:
    """The course's softmax cross-entropy on integer labels ``y``."""
    picked = "np.log(probs[np.arange(N), y])"
    w.add(f"loss = -np.sum({picked})" + (" / N" if arch.batch == "mean" else ""), LOSS)


def _softmax_delta(w: Writer, arch: Architecture, L: int) -> None:
    """The course's dscores: the probabilities, 1 taken from each sample's label."""
    w.add("dscores = probs.copy()", (f"z{L}",))
    w.add("dscores[np.arange(N), y] -= 1", (f"z{L}",))
    if arch.batch == "mean":
        w.add("dscores /= N", (f"z{L}",))


def write(arch: Architecture, rng: np.random.Generator) -> Source:
    """The CS231n-style grad_fn for ``arch`` (one or two hidden layers)."""
    idiom = idioms.Idiom(arch, matmul="method", sums="np")
    L = arch.n_layers
    h = ["X"] + ["hidden" if L == 2 else f"hidden{k}" for k in range(1, L)]
    labels = arch.labels and arch.output == "softmax"
    Y = "y" if arch.labels else "Y"
    w = Writer()
    with w.block(f"def grad_fn(params, X, {Y}):"):
        if arch.alpha:
            w.add(f"reg = {arch.alpha}")
        for k in range(1, L + 1):
            w.add(f"W{k}, b{k} = params['W{k}'], params['b{k}']")
        w.add("N, D = X.shape", FORWARD)
        if idioms.label_line(arch, Y) and not labels:
            w.add(idioms.label_line(arch, Y), FORWARD)
        for k in range(1, L):
            z = idiom.linear(h[k - 1], f"W{k}", f"b{k}")
            w.add(f"{h[k]} = {idioms.activation(arch, z, rng)}", FORWARD)
        w.add(f"scores = {idiom.linear(h[L - 1], f'W{L}', f'b{L}')}", FORWARD)
        idioms.write_output(w, arch, idiom, "scores", "probs", "exp_scores", FORWARD)
        if arch.returns_loss:
            if labels:
                _softmax_loss(w, arch)
            else:
                idioms.write_loss(w, arch, idiom, "probs", Y, "N", "reg", None)
            if arch.alpha:
                arrays = [f"W{k}" for k in range(1, L + 1)]
                arrays += [f"b{k}" for k in range(1, L + 1)] if arch.l2_biases else []
                squares = " + ".join(f"np.sum({a} * {a})" for a in arrays)
                w.add(f"loss += {idioms.l2_factor(arch, 'reg', 'N')} * ({squares})", LOSS)
        if labels:
            _softmax_delta(w, arch, L)
        else:
            idioms.write_output_delta(w, arch, rng, idiom, "probs", Y, "N", "dscores",
                                      "dprobs", True)
        w.add("grads = {}")
        delta = "dscores"
        for k in range(L, 0, -1):
            dW = idioms.with_l2(arch, idiom.grad_W(h[k - 1], delta), f"W{k}", "reg", "N",
                                False)
            db = idioms.with_l2(arch, idiom.grad_b(delta), f"b{k}", "reg", "N", True)
            w.add(f"grads['W{k}'] = {dW}", (f"dW{k}",))
            w.add(f"grads['b{k}'] = {db}", (f"db{k}",))
            if k > 1:
                dh = f"d{h[k - 1]}"
                w.add(f"{dh} = {idiom.grad_h(delta, f'W{k}')}", (f"h{k - 1}",))
                delta = idioms.write_derivative(w, arch, rng, f"dz{k - 1}", dh, None, h[k - 1],
                                                (f"z{k - 1}",), in_place=True)
        w.add("return loss, grads" if arch.returns_loss else "return grads")
    return w.source()

