"""Model answers to the nine exercises of ``notebooks/09_exercises``, written as a student
would (NumPy only), for the teacher: this file is in the repository's tests, not in the
installed package, and the grader never needs it (its references are scratch's layers and
the checkers). Keep it out of what you hand out.

``SOURCES`` maps each exercise to its source; ``answer(name)`` is the function;
``SUBMISSION`` is all nine as one ``.py`` file.
"""

SOURCES = {
    "sigmoid_backward": """\
def sigmoid_backward(grad_out, out):
    return grad_out * out * (1 - out)
""",
    "relu_backward": """\
def relu_backward(grad_out, x):
    return grad_out * (x > 0)
""",
    "dense_backward": """\
def dense_backward(grad_out, X, W):
    return grad_out @ W.T, X.T @ grad_out, grad_out.sum(axis=0)
""",
    "softmax_cross_entropy": """\
def softmax_cross_entropy(logits, Y):
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    n = len(logits)
    return -(Y * log_p).sum() / n, (np.exp(log_p) - Y) / n
""",
    "dropout_forward": """\
def dropout_forward(x, keep, p):
    return x * keep / (1 - p)
""",
    "dropout_backward": """\
def dropout_backward(grad_out, keep, p):
    return grad_out * keep / (1 - p)
""",
    "adam_step": """\
def adam_step(param, grad, state, lr=1e-3, beta_1=0.9, beta_2=0.999, eps=1e-8):
    if not state:
        state.update(m=np.zeros_like(param), v=np.zeros_like(param), t=0)
    state["t"] += 1
    state["m"] = beta_1 * state["m"] + (1 - beta_1) * grad
    state["v"] = beta_2 * state["v"] + (1 - beta_2) * grad ** 2
    m_hat = state["m"] / (1 - beta_1 ** state["t"])
    v_hat = state["v"] / (1 - beta_2 ** state["t"])
    param -= lr * m_hat / (np.sqrt(v_hat) + eps)
""",
    "backprop": """\
def backprop(params, X, Y):
    return backprop_steps(params, X, Y)[0]
""",
    "backprop_steps": """\
def backprop_steps(params, X, Y):
    W0, b0, W1, b1 = params
    h1 = 1 / (1 + np.exp(-(X @ W0 + b0)))
    scores = h1 @ W1 + b1
    p = np.exp(scores - scores.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    dz2 = (p - Y) / len(X)
    dh1 = dz2 @ W1.T
    dz1 = dh1 * h1 * (1 - h1)
    grads = [X.T @ dz1, dz1.sum(axis=0), h1.T @ dz2, dz2.sum(axis=0)]
    return grads, {"dz2": dz2, "dh1": dh1, "dz1": dz1}
""",
}

SUBMISSION = "import numpy as np\n\n\n" + "\n\n".join(SOURCES.values())


def answer(name: str):
    """The model answer to exercise ``name``, as a function."""
    import numpy as np

    namespace = {"np": np}
    exec(compile(SUBMISSION, "model_answers", "exec"), namespace)
    return namespace[name]
