"""Student answers to the nine backprop exercises, written the way students write them.

The exercises (NumPy; a batch is (n_samples, n_features); a weight matrix is (n_in, n_out)):

1. ``sigmoid_backward(grad_out, out)``   -> grad_out * h * (1 - h)
2. ``relu_backward(grad_out, x)``        -> grad_out * (x > 0)   (0 at exactly x == 0)
3. ``dense_backward(grad_out, X, W)``    -> (grad_out W^T, X^T grad_out, grad_out.sum(0))
4. ``softmax_cross_entropy(logits, Y)``  -> (mean cross-entropy, (p - Y) / n)
5. ``dropout_forward(x, keep, p)``       -> x * keep / (1 - p)   (p = probability to DROP)
6. ``dropout_backward(grad_out, keep, p)`` -> grad_out * keep / (1 - p)
7. ``adam_step(param, grad, state, lr=1e-3, beta_1=0.9, beta_2=0.999, eps=1e-8)``: one Adam
   update of ``param`` in place, m, v, t kept in ``state`` (empty at the first call).
8. ``backprop(params, X, Y)``: one sigmoid hidden layer, softmax output, mean cross-entropy;
   returns [dW0, db0, dW1, db1].
9. ``backprop_steps(params, X, Y)``: the same, returns (grads, {"dz2", "dh1", "dz1"}).

``ANSWERS`` is a list of dicts with keys exercise, name, source, right, note.  ``source`` is the
Python text of the answer (it defines the exercise's function and any helper it needs).
Answers sharing a helper name (``sigmoid``) define it identically, so that any set of answers
(one per exercise) can be pasted into one module.

``SUBMISSIONS`` maps a submission name to {"name", "answers", "expected_full"}: a few whole
submissions assembled from the answers, at most one answer per exercise.

``LOOPS_FOREVER`` and ``RAISES`` name the answers that, on purpose, never return or always raise.

Notes for whoever grades these:
- the in-place answers (``sigmoid_inplace_grad_out``, ``softmax_inplace_shift``,
  ``dropout_fwd_inplace``) return the right VALUES but write into their input: right=False, so a
  grader must check that the inputs are untouched to tell them apart;
- ``adam_betas_swapped`` and ``adam_t_never_incremented`` are right at the first step and wrong
  from the second; ``adam_hardcoded_lr`` is right with the default hyperparameters only;
  ``adam_eps_inside_sqrt`` needs small gradients (or a larger eps) to show;
- dropout with p = 0.5 cannot tell ``/ p`` from ``/ (1 - p)``;
- ``dense_dx_no_transpose`` and ``steps_dh1_no_transpose`` raise unless the weight matrix is
  square, and are wrong when it is; ``backprop_dw0_transposed`` likewise needs n_in == n_hidden
  to be wrong rather than the wrong shape.

Running this file checks every answer (except the ones that loop forever) against reference
implementations on random inputs.
"""

import numpy as np

EXERCISES = [
    "sigmoid_backward",
    "relu_backward",
    "dense_backward",
    "softmax_cross_entropy",
    "dropout_forward",
    "dropout_backward",
    "adam_step",
    "backprop",
    "backprop_steps",
]

ANSWERS = []


def _answer(exercise, name, right, note, source):
    ANSWERS.append(
        {"exercise": exercise, "name": name, "source": source, "right": right, "note": note}
    )


# ---------------------------------------------------------------------------------------------
# 1. sigmoid_backward
# ---------------------------------------------------------------------------------------------

_answer("sigmoid_backward", "sigmoid_right_vectorised", True, "plain vectorised form", """\
import numpy as np


def sigmoid_backward(grad_out, out):
    return grad_out * out * (1 - out)
""")

_answer("sigmoid_backward", "sigmoid_right_loop", True, "double for-loop over the entries", """\
import numpy as np


def sigmoid_backward(grad_out, out):
    n, units = out.shape
    grad = np.zeros((n, units))
    for i in range(n):
        for j in range(units):
            h = out[i, j]
            grad[i, j] = grad_out[i, j] * h * (1.0 - h)
    return grad
""")

_answer("sigmoid_backward", "sigmoid_right_expanded", True,
        "h - h**2 instead of h * (1 - h), with np.multiply", """\
import numpy as np


def sigmoid_backward(grad_out, out):
    local = out - out ** 2  # sigma'(z) = sigma - sigma^2
    return np.multiply(grad_out, local)
""")

_answer("sigmoid_backward", "sigmoid_derivative_at_z", False,
        "treats out as z: applies sigmoid again before differentiating", """\
import numpy as np


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def sigmoid_backward(grad_out, out):
    s = sigmoid(out)
    return grad_out * s * (1 - s)
""")

_answer("sigmoid_backward", "sigmoid_missing_grad_out", False,
        "returns the local derivative only, forgets to multiply by grad_out", """\
import numpy as np


def sigmoid_backward(grad_out, out):
    return out * (1 - out)
""")

_answer("sigmoid_backward", "sigmoid_sign_flip", False, "h * (h - 1): sign flipped", """\
import numpy as np


def sigmoid_backward(grad_out, out):
    return grad_out * out * (out - 1)
""")

_answer("sigmoid_backward", "sigmoid_complex_cast", False,
        "returns a complex array (imaginary part zero)", """\
import numpy as np


def sigmoid_backward(grad_out, out):
    d = grad_out * out * (1 - out)
    # complex so that nothing overflows later
    return d.astype(np.complex128)
""")

_answer("sigmoid_backward", "sigmoid_inplace_grad_out", False,
        "writes into grad_out in place (grad_out *= ...) and returns it; values right", """\
import numpy as np


def sigmoid_backward(grad_out, out):
    grad_out *= out * (1 - out)
    return grad_out
""")

_answer("sigmoid_backward", "sigmoid_sum_over_units", False,
        "sums over the units (axis=1): shape (n,) instead of (n, units)", """\
import numpy as np


def sigmoid_backward(grad_out, out):
    return np.sum(grad_out * out * (1 - out), axis=1)
""")

# ---------------------------------------------------------------------------------------------
# 2. relu_backward
# ---------------------------------------------------------------------------------------------

_answer("relu_backward", "relu_right_where", True, "np.where(x > 0, grad_out, 0.0)", """\
import numpy as np


def relu_backward(grad_out, x):
    return np.where(x > 0, grad_out, 0.0)
""")

_answer("relu_backward", "relu_right_loop", True, "double loop with an if", """\
import numpy as np


def relu_backward(grad_out, x):
    grad = np.zeros_like(grad_out, dtype=float)
    for i in range(x.shape[0]):
        for j in range(x.shape[1]):
            if x[i, j] > 0:
                grad[i, j] = grad_out[i, j]
    return grad
""")

_answer("relu_backward", "relu_right_float32_mask", True,
        "float32 0/1 mask as intermediate (exact), product in float64", """\
import numpy as np


def relu_backward(grad_out, x):
    mask = (x > 0).astype(np.float32)
    return grad_out * mask
""")

_answer("relu_backward", "relu_right_heaviside", True,
        "np.heaviside(x, 0.0) as the step (0 at x == 0)", """\
import numpy as np


def relu_backward(grad_out, x):
    return grad_out * np.heaviside(x, 0.0)
""")

_answer("relu_backward", "relu_mask_from_grad_out", False,
        "mask taken from grad_out > 0 instead of x > 0", """\
import numpy as np


def relu_backward(grad_out, x):
    return grad_out * (grad_out > 0)
""")

_answer("relu_backward", "relu_ge_zero", False, "x >= 0: derivative 1 at exactly zero", """\
import numpy as np


def relu_backward(grad_out, x):
    return grad_out * (x >= 0)
""")

_answer("relu_backward", "relu_nan_at_zero", False,
        "step written as (x + |x|) / (2x): 0/0 = NaN at x == 0", """\
import numpy as np


def relu_backward(grad_out, x):
    step = (x + np.abs(x)) / (2 * x)
    return grad_out * step
""")

_answer("relu_backward", "relu_object_array", False,
        "builds rows of Python numbers into an object array", """\
import numpy as np


def relu_backward(grad_out, x):
    rows = []
    for i in range(len(x)):
        rows.append([g if xi > 0 else 0 for g, xi in zip(grad_out[i], x[i])])
    return np.array(rows, dtype=object)
""")

_answer("relu_backward", "relu_stub_none", False, "untouched stub: return None", """\
import numpy as np


def relu_backward(grad_out, x):
    # YOUR CODE HERE
    return None
""")

_answer("relu_backward", "relu_returns_mask", False,
        "returns the 0/1 mask, forgets grad_out", """\
import numpy as np


def relu_backward(grad_out, x):
    return (x > 0).astype(float)
""")

# ---------------------------------------------------------------------------------------------
# 3. dense_backward
# ---------------------------------------------------------------------------------------------

_answer("dense_backward", "dense_right_list", True, "returns a list instead of a tuple", """\
import numpy as np


def dense_backward(grad_out, X, W):
    return [grad_out @ W.T, X.T @ grad_out, grad_out.sum(axis=0)]
""")

_answer("dense_backward", "dense_right_db_keepdims", True,
        "db with keepdims=True: shape (1, n_out), values right", """\
import numpy as np


def dense_backward(grad_out, X, W):
    dX = np.dot(grad_out, W.T)
    dW = np.dot(X.T, grad_out)
    db = np.sum(grad_out, axis=0, keepdims=True)
    return dX, dW, db
""")

_answer("dense_backward", "dense_right_loops", True,
        "loop over the samples with np.outer", """\
import numpy as np


def dense_backward(grad_out, X, W):
    n, n_in = X.shape
    n_out = W.shape[1]
    dX = np.zeros((n, n_in))
    dW = np.zeros((n_in, n_out))
    db = np.zeros(n_out)
    for i in range(n):
        dX[i] = W @ grad_out[i]
        dW += np.outer(X[i], grad_out[i])
        db += grad_out[i]
    return dX, dW, db
""")

_answer("dense_backward", "dense_right_einsum", True, "np.einsum for all three", """\
import numpy as np


def dense_backward(grad_out, X, W):
    dX = np.einsum("nj,ij->ni", grad_out, W)
    dW = np.einsum("ni,nj->ij", X, grad_out)
    db = np.einsum("nj->j", grad_out)
    return dX, dW, db
""")

_answer("dense_backward", "dense_bias_mean", False, "db averaged over the samples, not summed", """\
import numpy as np


def dense_backward(grad_out, X, W):
    dX = grad_out @ W.T
    dW = X.T @ grad_out
    db = grad_out.mean(axis=0)
    return dX, dW, db
""")

_answer("dense_backward", "dense_dw_transposed", False,
        "dW = grad_out^T X: (n_out, n_in), the transpose", """\
import numpy as np


def dense_backward(grad_out, X, W):
    dX = grad_out @ W.T
    dW = grad_out.T @ X
    db = grad_out.sum(axis=0)
    return dX, dW, db
""")

_answer("dense_backward", "dense_dx_no_transpose", False,
        "dX = grad_out W without the transpose (raises unless W is square)", """\
import numpy as np


def dense_backward(grad_out, X, W):
    dX = grad_out @ W
    dW = X.T @ grad_out
    db = grad_out.sum(axis=0)
    return dX, dW, db
""")

_answer("dense_backward", "dense_returns_two", False,
        "forgets dX: returns (dW, db), two values", """\
import numpy as np


def dense_backward(grad_out, X, W):
    dW = X.T @ grad_out
    db = grad_out.sum(axis=0)
    return dW, db
""")

_answer("dense_backward", "dense_loop_forgot_increment", False,
        "while loop for db that never increments i: infinite loop", """\
import numpy as np


def dense_backward(grad_out, X, W):
    dX = grad_out @ W.T
    dW = X.T @ grad_out
    db = np.zeros(grad_out.shape[1])
    i = 0
    while i < grad_out.shape[0]:
        db += grad_out[i]
    return dX, dW, db
""")

_answer("dense_backward", "dense_db_axis1", False, "db summed over axis=1 (the outputs)", """\
import numpy as np


def dense_backward(grad_out, X, W):
    dX = grad_out @ W.T
    dW = X.T @ grad_out
    db = grad_out.sum(axis=1)
    return dX, dW, db
""")

_answer("dense_backward", "dense_dw_divided_by_n", False,
        "divides dW by n a second time (grad_out is already averaged)", """\
import numpy as np


def dense_backward(grad_out, X, W):
    n = X.shape[0]
    dX = grad_out @ W.T
    dW = X.T @ grad_out / n
    db = grad_out.sum(axis=0)
    return dX, dW, db
""")

# ---------------------------------------------------------------------------------------------
# 4. softmax_cross_entropy
# ---------------------------------------------------------------------------------------------

_answer("softmax_cross_entropy", "softmax_right_logsumexp", True,
        "log-softmax through log-sum-exp; returns a list", """\
import numpy as np


def softmax_cross_entropy(logits, Y):
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    n = logits.shape[0]
    loss = -np.sum(Y * log_p) / n
    grad = (np.exp(log_p) - Y) / n
    return [loss, grad]
""")

_answer("softmax_cross_entropy", "softmax_right_loop", True,
        "loop over the samples, label taken by argmax", """\
import numpy as np


def softmax_cross_entropy(logits, Y):
    n, C = logits.shape
    loss = 0.0
    grad = np.zeros((n, C))
    for i in range(n):
        z = logits[i] - np.max(logits[i])
        e = np.exp(z)
        p = e / e.sum()
        k = int(np.argmax(Y[i]))
        loss -= np.log(p[k])
        grad[i] = (p - Y[i]) / n
    return loss / n, grad
""")

_answer("softmax_cross_entropy", "softmax_right_argmax_index", True,
        "fancy indexing p[arange(n), labels] for the loss", """\
import numpy as np


def softmax_cross_entropy(logits, Y):
    n = logits.shape[0]
    z = logits - np.max(logits, axis=1, keepdims=True)
    e = np.exp(z)
    p = e / e.sum(axis=1, keepdims=True)
    labels = Y.argmax(axis=1)
    loss = -np.mean(np.log(p[np.arange(n), labels]))
    return loss, (p - Y) / n
""")

_answer("softmax_cross_entropy", "softmax_right_power_trick", True,
        "loss as -mean(sum(log(p ** Y)))", """\
import numpy as np


def softmax_cross_entropy(logits, Y):
    n = len(logits)
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    p = e / e.sum(axis=1, keepdims=True)
    loss = -np.mean(np.sum(np.log(p ** Y), axis=1))
    dlogits = (p - Y) / n
    return loss, dlogits
""")

_answer("softmax_cross_entropy", "softmax_sum_not_mean", False,
        "sums over the samples: loss and gradient n times too big", """\
import numpy as np


def softmax_cross_entropy(logits, Y):
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    p = e / e.sum(axis=1, keepdims=True)
    loss = -np.sum(Y * np.log(p))
    grad = p - Y
    return loss, grad
""")

_answer("softmax_cross_entropy", "softmax_grad_missing_n", False,
        "mean loss but gradient p - Y without the 1/n", """\
import numpy as np


def softmax_cross_entropy(logits, Y):
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    p = e / e.sum(axis=1, keepdims=True)
    loss = -np.mean(np.sum(Y * np.log(p), axis=1))
    return loss, p - Y
""")

_answer("softmax_cross_entropy", "softmax_sign_flip_grad", False, "gradient (Y - p) / n", """\
import numpy as np


def softmax_cross_entropy(logits, Y):
    n = logits.shape[0]
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    p = e / e.sum(axis=1, keepdims=True)
    loss = -np.mean(np.sum(Y * np.log(p), axis=1))
    return loss, (Y - p) / n
""")

_answer("softmax_cross_entropy", "softmax_axis0", False,
        "softmax normalised over the samples (axis=0)", """\
import numpy as np


def softmax_cross_entropy(logits, Y):
    n = logits.shape[0]
    e = np.exp(logits - logits.max(axis=0))
    p = e / e.sum(axis=0)
    loss = -np.mean(np.sum(Y * np.log(p), axis=1))
    return loss, (p - Y) / n
""")

_answer("softmax_cross_entropy", "softmax_kl_nan", False,
        "loss as KL sum Y log(Y / p): 0 * log(0) = NaN; gradient right", """\
import numpy as np


def softmax_cross_entropy(logits, Y):
    n = logits.shape[0]
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    p = e / e.sum(axis=1, keepdims=True)
    loss = np.mean(np.sum(Y * np.log(Y / p), axis=1))
    return loss, (p - Y) / n
""")

_answer("softmax_cross_entropy", "softmax_loss_string", False,
        "returns the loss formatted as a string", """\
import numpy as np


def softmax_cross_entropy(logits, Y):
    n = logits.shape[0]
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    p = e / e.sum(axis=1, keepdims=True)
    loss = -np.mean(np.sum(Y * np.log(p), axis=1))
    return f"{loss:.6f}", (p - Y) / n
""")

_answer("softmax_cross_entropy", "softmax_inplace_shift", False,
        "subtracts the row max from logits in place (logits -= ...); values right", """\
import numpy as np


def softmax_cross_entropy(logits, Y):
    n = logits.shape[0]
    logits -= logits.max(axis=1, keepdims=True)  # for stability
    e = np.exp(logits)
    p = e / e.sum(axis=1, keepdims=True)
    loss = -np.mean(np.sum(Y * np.log(p), axis=1))
    return loss, (p - Y) / n
""")

_answer("softmax_cross_entropy", "softmax_returns_grad_only", False,
        "forgets the loss: returns the gradient alone", """\
import numpy as np


def softmax_cross_entropy(logits, Y):
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    p = e / e.sum(axis=1, keepdims=True)
    return (p - Y) / logits.shape[0]
""")

_answer("softmax_cross_entropy", "softmax_log2", False, "loss with log2 instead of ln", """\
import numpy as np


def softmax_cross_entropy(logits, Y):
    n = logits.shape[0]
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    p = e / e.sum(axis=1, keepdims=True)
    loss = -np.mean(np.sum(Y * np.log2(p), axis=1))
    return loss, (p - Y) / n
""")

# ---------------------------------------------------------------------------------------------
# 5. dropout_forward
# ---------------------------------------------------------------------------------------------

_answer("dropout_forward", "dropout_fwd_right_where", True, "np.where(keep, x / (1 - p), 0.0)", """\
import numpy as np


def dropout_forward(x, keep, p):
    return np.where(keep, x / (1 - p), 0.0)
""")

_answer("dropout_forward", "dropout_fwd_right_float32_mask", True,
        "mask cast to float32 (exact 0/1) before multiplying", """\
import numpy as np


def dropout_forward(x, keep, p):
    mask = keep.astype(np.float32)
    return x * mask / (1 - p)
""")

_answer("dropout_forward", "dropout_fwd_right_loop", True, "loop over the entries", """\
import numpy as np


def dropout_forward(x, keep, p):
    out = np.zeros(x.shape)
    for i in range(x.shape[0]):
        for j in range(x.shape[1]):
            if keep[i, j]:
                out[i, j] = x[i, j] / (1 - p)
    return out
""")

_answer("dropout_forward", "dropout_fwd_not_inverted", False,
        "x * keep without the 1 / (1 - p) scaling", """\
import numpy as np


def dropout_forward(x, keep, p):
    return x * keep
""")

_answer("dropout_forward", "dropout_fwd_scaled_by_p", False,
        "scaled by 1 / p (p taken as the keep probability)", """\
import numpy as np


def dropout_forward(x, keep, p):
    return x * keep / p
""")

_answer("dropout_forward", "dropout_fwd_inplace", False,
        "writes into x in place (x *= keep; x /= 1 - p) and returns it; values right", """\
import numpy as np


def dropout_forward(x, keep, p):
    x *= keep
    x /= 1 - p
    return x
""")

_answer("dropout_forward", "dropout_fwd_mask_inverted", False,
        "keeps the dropped units: x * ~keep / (1 - p)", """\
import numpy as np


def dropout_forward(x, keep, p):
    return x * (~keep) / (1 - p)
""")

_answer("dropout_forward", "dropout_fwd_times_keep_prob", False,
        "multiplies by (1 - p) (the test-time rule of plain dropout)", """\
import numpy as np


def dropout_forward(x, keep, p):
    return x * keep * (1 - p)
""")

# ---------------------------------------------------------------------------------------------
# 6. dropout_backward
# ---------------------------------------------------------------------------------------------

_answer("dropout_backward", "dropout_bwd_right_where", True, "np.where on the mask", """\
import numpy as np


def dropout_backward(grad_out, keep, p):
    return np.where(keep, grad_out / (1 - p), 0.0)
""")

_answer("dropout_backward", "dropout_bwd_right_reciprocal", True,
        "multiplies by a precomputed scale 1 / (1 - p)", """\
import numpy as np


def dropout_backward(grad_out, keep, p):
    scale = 1.0 / (1.0 - p)
    return grad_out * keep * scale
""")

_answer("dropout_backward", "dropout_bwd_no_scale", False, "grad_out * keep, no 1 / (1 - p)", """\
import numpy as np


def dropout_backward(grad_out, keep, p):
    return grad_out * keep
""")

_answer("dropout_backward", "dropout_bwd_divides_by_mask", False,
        "grad_out / (keep * (1 - p)): inf (or NaN) where dropped", """\
import numpy as np


def dropout_backward(grad_out, keep, p):
    return grad_out / (keep * (1 - p))
""")

_answer("dropout_backward", "dropout_bwd_identity", False, "returns grad_out unchanged", """\
import numpy as np


def dropout_backward(grad_out, keep, p):
    # dropout has no parameters so the gradient passes through
    return grad_out
""")

_answer("dropout_backward", "dropout_bwd_not_implemented", False,
        "stub that raises NotImplementedError", """\
import numpy as np


def dropout_backward(grad_out, keep, p):
    raise NotImplementedError("dropout_backward")
""")

_answer("dropout_backward", "dropout_bwd_scaled_by_p", False, "scaled by 1 / p", """\
import numpy as np


def dropout_backward(grad_out, keep, p):
    return grad_out * keep / p
""")

# ---------------------------------------------------------------------------------------------
# 7. adam_step
# ---------------------------------------------------------------------------------------------

_answer("adam_step", "adam_right_textbook", True, "textbook form, in place", """\
import numpy as np


def adam_step(param, grad, state, lr=1e-3, beta_1=0.9, beta_2=0.999, eps=1e-8):
    if not state:
        state["m"] = np.zeros_like(param)
        state["v"] = np.zeros_like(param)
        state["t"] = 0
    state["t"] += 1
    t = state["t"]
    state["m"] = beta_1 * state["m"] + (1 - beta_1) * grad
    state["v"] = beta_2 * state["v"] + (1 - beta_2) * grad ** 2
    m_hat = state["m"] / (1 - beta_1 ** t)
    v_hat = state["v"] / (1 - beta_2 ** t)
    param -= lr * m_hat / (np.sqrt(v_hat) + eps)
""")

_answer("adam_step", "adam_right_returns_new_array", True, "returns instead of in place", """\
import numpy as np


def adam_step(param, grad, state, lr=1e-3, beta_1=0.9, beta_2=0.999, eps=1e-8):
    m = state.get("m", np.zeros_like(param))
    v = state.get("v", np.zeros_like(param))
    t = state.get("t", 0) + 1
    m = beta_1 * m + (1 - beta_1) * grad
    v = beta_2 * v + (1 - beta_2) * grad * grad
    state["m"], state["v"], state["t"] = m, v, t
    m_hat = m / (1 - beta_1 ** t)
    v_hat = v / (1 - beta_2 ** t)
    new_param = param - lr * m_hat / (np.sqrt(v_hat) + eps)
    return new_param
""")

_answer("adam_step", "adam_right_torch_form", True,
        "lr_t = lr sqrt(1 - b2^t) / (1 - b1^t) with eps sqrt(1 - b2^t) (torch's form)", """\
import numpy as np


def adam_step(param, grad, state, lr=1e-3, beta_1=0.9, beta_2=0.999, eps=1e-8):
    if "t" not in state:
        state["t"] = 0
        state["m"] = np.zeros_like(param)
        state["v"] = np.zeros_like(param)
    state["t"] += 1
    t = state["t"]
    m, v = state["m"], state["v"]
    m *= beta_1
    m += (1 - beta_1) * grad
    v *= beta_2
    v += (1 - beta_2) * grad ** 2
    bias_correction1 = 1 - beta_1 ** t
    bias_correction2 = 1 - beta_2 ** t
    lr_t = lr * np.sqrt(bias_correction2) / bias_correction1
    param -= lr_t * m / (np.sqrt(v) + eps * np.sqrt(bias_correction2))
""")

_answer("adam_step", "adam_right_inplace_and_returns", True,
        "np.subtract(..., out=param), state via setdefault, also returns param", """\
import numpy as np


def adam_step(param, grad, state, lr=1e-3, beta_1=0.9, beta_2=0.999, eps=1e-8):
    state.setdefault("m", np.zeros(param.shape))
    state.setdefault("v", np.zeros(param.shape))
    state["t"] = state.setdefault("t", 0) + 1
    state["m"] = beta_1 * state["m"] + (1 - beta_1) * grad
    state["v"] = beta_2 * state["v"] + (1 - beta_2) * np.square(grad)
    m_hat = state["m"] / (1 - np.power(beta_1, state["t"]))
    v_hat = state["v"] / (1 - np.power(beta_2, state["t"]))
    np.subtract(param, lr * m_hat / (np.sqrt(v_hat) + eps), out=param)
    return param
""")

_answer("adam_step", "adam_right_elementwise_loop", True,
        "loop over the entries with np.ndindex and math.sqrt", """\
import math

import numpy as np


def adam_step(param, grad, state, lr=1e-3, beta_1=0.9, beta_2=0.999, eps=1e-8):
    if "t" not in state:
        state["t"] = 0
        state["m"] = np.zeros(param.shape)
        state["v"] = np.zeros(param.shape)
    state["t"] = state["t"] + 1
    t = state["t"]
    m = state["m"]
    v = state["v"]
    for idx in np.ndindex(param.shape):
        g = grad[idx]
        m[idx] = beta_1 * m[idx] + (1 - beta_1) * g
        v[idx] = beta_2 * v[idx] + (1 - beta_2) * g * g
        m_hat = m[idx] / (1 - beta_1 ** t)
        v_hat = v[idx] / (1 - beta_2 ** t)
        param[idx] -= lr * m_hat / (math.sqrt(v_hat) + eps)
""")

_answer("adam_step", "adam_no_bias_correction", False, "no bias correction (uses m and v)", """\
import numpy as np


def adam_step(param, grad, state, lr=1e-3, beta_1=0.9, beta_2=0.999, eps=1e-8):
    if not state:
        state["m"] = np.zeros_like(param)
        state["v"] = np.zeros_like(param)
        state["t"] = 0
    state["t"] += 1
    state["m"] = beta_1 * state["m"] + (1 - beta_1) * grad
    state["v"] = beta_2 * state["v"] + (1 - beta_2) * grad ** 2
    param -= lr * state["m"] / (np.sqrt(state["v"]) + eps)
""")

_answer("adam_step", "adam_eps_inside_sqrt", False, "sqrt(v_hat + eps) instead of sqrt + eps", """\
import numpy as np


def adam_step(param, grad, state, lr=1e-3, beta_1=0.9, beta_2=0.999, eps=1e-8):
    if not state:
        state["m"] = np.zeros_like(param)
        state["v"] = np.zeros_like(param)
        state["t"] = 0
    state["t"] += 1
    t = state["t"]
    state["m"] = beta_1 * state["m"] + (1 - beta_1) * grad
    state["v"] = beta_2 * state["v"] + (1 - beta_2) * grad ** 2
    m_hat = state["m"] / (1 - beta_1 ** t)
    v_hat = state["v"] / (1 - beta_2 ** t)
    param -= lr * m_hat / np.sqrt(v_hat + eps)
""")

_answer("adam_step", "adam_t_never_incremented", False,
        "t set to 1 and never incremented: bias correction of step 1 forever", """\
import numpy as np


def adam_step(param, grad, state, lr=1e-3, beta_1=0.9, beta_2=0.999, eps=1e-8):
    if not state:
        state["m"] = np.zeros_like(param)
        state["v"] = np.zeros_like(param)
        state["t"] = 1
    t = state["t"]
    state["m"] = beta_1 * state["m"] + (1 - beta_1) * grad
    state["v"] = beta_2 * state["v"] + (1 - beta_2) * grad ** 2
    m_hat = state["m"] / (1 - beta_1 ** t)
    v_hat = state["v"] / (1 - beta_2 ** t)
    param -= lr * m_hat / (np.sqrt(v_hat) + eps)
""")

_answer("adam_step", "adam_betas_swapped", False,
        "beta_1 and beta_2 swapped (right at step 1, wrong from step 2)", """\
import numpy as np


def adam_step(param, grad, state, lr=1e-3, beta_1=0.9, beta_2=0.999, eps=1e-8):
    if not state:
        state["m"] = np.zeros_like(param)
        state["v"] = np.zeros_like(param)
        state["t"] = 0
    state["t"] += 1
    t = state["t"]
    state["m"] = beta_2 * state["m"] + (1 - beta_2) * grad
    state["v"] = beta_1 * state["v"] + (1 - beta_1) * grad ** 2
    m_hat = state["m"] / (1 - beta_2 ** t)
    v_hat = state["v"] / (1 - beta_1 ** t)
    param -= lr * m_hat / (np.sqrt(v_hat) + eps)
""")

_answer("adam_step", "adam_rebinds_param", False, "rebinds param, returns nothing", """\
import numpy as np


def adam_step(param, grad, state, lr=1e-3, beta_1=0.9, beta_2=0.999, eps=1e-8):
    if not state:
        state["m"] = np.zeros_like(param)
        state["v"] = np.zeros_like(param)
        state["t"] = 0
    state["t"] += 1
    t = state["t"]
    state["m"] = beta_1 * state["m"] + (1 - beta_1) * grad
    state["v"] = beta_2 * state["v"] + (1 - beta_2) * grad ** 2
    m_hat = state["m"] / (1 - beta_1 ** t)
    v_hat = state["v"] / (1 - beta_2 ** t)
    param = param - lr * m_hat / (np.sqrt(v_hat) + eps)
""")

_answer("adam_step", "adam_hardcoded_lr", False,
        "ignores the lr argument (0.001 hard-coded): right with the defaults only", """\
import numpy as np


def adam_step(param, grad, state, lr=1e-3, beta_1=0.9, beta_2=0.999, eps=1e-8):
    if not state:
        state["m"] = np.zeros_like(param)
        state["v"] = np.zeros_like(param)
        state["t"] = 0
    state["t"] += 1
    t = state["t"]
    state["m"] = beta_1 * state["m"] + (1 - beta_1) * grad
    state["v"] = beta_2 * state["v"] + (1 - beta_2) * grad ** 2
    m_hat = state["m"] / (1 - beta_1 ** t)
    v_hat = state["v"] / (1 - beta_2 ** t)
    param -= 0.001 * m_hat / (np.sqrt(v_hat) + eps)
""")

_answer("adam_step", "adam_complex_sqrt", False,
        "forgets to square g in v, takes sqrt of negatives as complex, returns a complex array",
        """\
import numpy as np


def adam_step(param, grad, state, lr=1e-3, beta_1=0.9, beta_2=0.999, eps=1e-8):
    if not state:
        state["m"] = np.zeros_like(param)
        state["v"] = np.zeros_like(param)
        state["t"] = 0
    state["t"] += 1
    t = state["t"]
    state["m"] = beta_1 * state["m"] + (1 - beta_1) * grad
    state["v"] = beta_2 * state["v"] + (1 - beta_2) * grad
    m_hat = state["m"] / (1 - beta_1 ** t)
    v_hat = state["v"] / (1 - beta_2 ** t)
    # np.sqrt gave nan, so go complex
    return param - lr * m_hat / (np.sqrt(v_hat.astype(complex)) + eps)
""")

_answer("adam_step", "adam_no_eps_nan", False,
        "no eps: 0/0 = NaN where the gradient is zero", """\
import numpy as np


def adam_step(param, grad, state, lr=1e-3, beta_1=0.9, beta_2=0.999, eps=1e-8):
    if not state:
        state["m"] = np.zeros_like(param)
        state["v"] = np.zeros_like(param)
        state["t"] = 0
    state["t"] += 1
    t = state["t"]
    state["m"] = beta_1 * state["m"] + (1 - beta_1) * grad
    state["v"] = beta_2 * state["v"] + (1 - beta_2) * grad ** 2
    m_hat = state["m"] / (1 - beta_1 ** t)
    v_hat = state["v"] / (1 - beta_2 ** t)
    param -= lr * m_hat / np.sqrt(v_hat)
""")

_answer("adam_step", "adam_t_incremented_after", False,
        "increments t after the update: t = 0 at the first step, 1 - b^0 = 0, NaN/inf", """\
import numpy as np


def adam_step(param, grad, state, lr=1e-3, beta_1=0.9, beta_2=0.999, eps=1e-8):
    if not state:
        state["m"] = np.zeros_like(param)
        state["v"] = np.zeros_like(param)
        state["t"] = 0
    t = state["t"]
    state["m"] = beta_1 * state["m"] + (1 - beta_1) * grad
    state["v"] = beta_2 * state["v"] + (1 - beta_2) * grad ** 2
    m_hat = state["m"] / (1 - beta_1 ** t)
    v_hat = state["v"] / (1 - beta_2 ** t)
    param -= lr * m_hat / (np.sqrt(v_hat) + eps)
    state["t"] += 1
""")

_answer("adam_step", "adam_state_keyerror", False,
        "assumes state is already filled: KeyError at the first call", """\
import numpy as np


def adam_step(param, grad, state, lr=1e-3, beta_1=0.9, beta_2=0.999, eps=1e-8):
    state["t"] += 1
    t = state["t"]
    state["m"] = beta_1 * state["m"] + (1 - beta_1) * grad
    state["v"] = beta_2 * state["v"] + (1 - beta_2) * grad ** 2
    m_hat = state["m"] / (1 - beta_1 ** t)
    v_hat = state["v"] / (1 - beta_2 ** t)
    param -= lr * m_hat / (np.sqrt(v_hat) + eps)
""")

_answer("adam_step", "adam_while_true", False, "infinite loop: while True: pass", """\
import numpy as np


def adam_step(param, grad, state, lr=1e-3, beta_1=0.9, beta_2=0.999, eps=1e-8):
    while True:
        pass
""")

_answer("adam_step", "adam_kingma_unscaled_eps", False,
        "Kingma's efficient form lr_t = lr sqrt(1 - b2^t) / (1 - b1^t) but eps not rescaled", """\
import numpy as np


def adam_step(param, grad, state, lr=1e-3, beta_1=0.9, beta_2=0.999, eps=1e-8):
    if not state:
        state["m"] = np.zeros_like(param)
        state["v"] = np.zeros_like(param)
        state["t"] = 0
    state["t"] += 1
    t = state["t"]
    state["m"] = beta_1 * state["m"] + (1 - beta_1) * grad
    state["v"] = beta_2 * state["v"] + (1 - beta_2) * grad ** 2
    alpha_t = lr * np.sqrt(1 - beta_2 ** t) / (1 - beta_1 ** t)
    param -= alpha_t * state["m"] / (np.sqrt(state["v"]) + eps)
""")

# ---------------------------------------------------------------------------------------------
# 8. backprop
# ---------------------------------------------------------------------------------------------

_SIGMOID = """\
def sigmoid(z):
    return 1 / (1 + np.exp(-z))
"""


def _net(body):
    """A backprop answer: numpy, the shared sigmoid helper, then the function."""
    return "import numpy as np\n\n\n" + _SIGMOID + "\n\n" + body


_FORWARD = """\
    W0, b0, W1, b1 = params
    n = X.shape[0]
    h1 = sigmoid(X @ W0 + b0)
    scores = h1 @ W1 + b1
    e = np.exp(scores - scores.max(axis=1, keepdims=True))
    p = e / e.sum(axis=1, keepdims=True)
"""

_answer("backprop", "backprop_right_vectorised", True, "plain vectorised form", _net("""\
def backprop(params, X, Y):
""" + _FORWARD + """\
    dz2 = (p - Y) / n
    dW1 = h1.T @ dz2
    db1 = dz2.sum(axis=0)
    dh1 = dz2 @ W1.T
    dz1 = dh1 * h1 * (1 - h1)
    dW0 = X.T @ dz1
    db0 = dz1.sum(axis=0)
    return [dW0, db0, dW1, db1]
"""))

_answer("backprop", "backprop_right_per_sample_loop", True,
        "loop over the samples, accumulating outer products", _net("""\
def backprop(params, X, Y):
    W0, b0, W1, b1 = params
    n = X.shape[0]
    dW0 = np.zeros_like(W0)
    db0 = np.zeros_like(b0)
    dW1 = np.zeros_like(W1)
    db1 = np.zeros_like(b1)
    for i in range(n):
        x = X[i]
        h = sigmoid(x @ W0 + b0)
        s = h @ W1 + b1
        e = np.exp(s - s.max())
        prob = e / e.sum()
        d2 = (prob - Y[i]) / n
        dW1 += np.outer(h, d2)
        db1 += d2
        d1 = (W1 @ d2) * h * (1 - h)
        dW0 += np.outer(x, d1)
        db0 += d1
    return [dW0, db0, dW1, db1]
"""))

_answer("backprop", "backprop_right_einsum_keepdims", True,
        "einsum, biases with keepdims=True (shapes (1, k)), returns a tuple", _net("""\
def backprop(params, X, Y):
""" + _FORWARD + """\
    delta2 = (p - Y) / n
    dW1 = np.einsum("nh,nc->hc", h1, delta2)
    db1 = delta2.sum(axis=0, keepdims=True)
    delta1 = np.einsum("nc,hc->nh", delta2, W1) * h1 * (1 - h1)
    dW0 = np.einsum("ni,nh->ih", X, delta1)
    db0 = delta1.sum(axis=0, keepdims=True)
    return dW0, db0, dW1, db1
"""))

_answer("backprop", "backprop_sum_not_mean", False,
        "sums the loss over the samples: dz2 = p - Y, gradients n times too big", _net("""\
def backprop(params, X, Y):
""" + _FORWARD + """\
    dz2 = p - Y
    dW1 = h1.T @ dz2
    db1 = dz2.sum(axis=0)
    dz1 = (dz2 @ W1.T) * h1 * (1 - h1)
    dW0 = X.T @ dz1
    db0 = dz1.sum(axis=0)
    return [dW0, db0, dW1, db1]
"""))

_answer("backprop", "backprop_output_sigmoid_derivative", False,
        "multiplies dz2 by p (1 - p) too: a sigmoid derivative at the softmax layer",
        _net("""\
def backprop(params, X, Y):
""" + _FORWARD + """\
    dz2 = (p - Y) / n * p * (1 - p)
    dW1 = h1.T @ dz2
    db1 = dz2.sum(axis=0)
    dz1 = (dz2 @ W1.T) * h1 * (1 - h1)
    dW0 = X.T @ dz1
    db0 = dz1.sum(axis=0)
    return [dW0, db0, dW1, db1]
"""))

_answer("backprop", "backprop_derivative_at_h", False,
        "hidden derivative sigmoid'(h1) = s(h1)(1 - s(h1)) instead of h1 (1 - h1)", _net("""\
def backprop(params, X, Y):
""" + _FORWARD + """\
    dz2 = (p - Y) / n
    dW1 = h1.T @ dz2
    db1 = dz2.sum(axis=0)
    dh1 = dz2 @ W1.T
    dz1 = dh1 * sigmoid(h1) * (1 - sigmoid(h1))
    dW0 = X.T @ dz1
    db0 = dz1.sum(axis=0)
    return [dW0, db0, dW1, db1]
"""))

_answer("backprop", "backprop_relu_derivative", False,
        "uses ReLU's derivative (h1 > 0) for the sigmoid layer", _net("""\
def backprop(params, X, Y):
""" + _FORWARD + """\
    dz2 = (p - Y) / n
    dW1 = h1.T @ dz2
    db1 = dz2.sum(axis=0)
    dz1 = (dz2 @ W1.T) * (h1 > 0)
    dW0 = X.T @ dz1
    db0 = dz1.sum(axis=0)
    return [dW0, db0, dW1, db1]
"""))

_answer("backprop", "backprop_wrong_order", False,
        "returns [dW1, db1, dW0, db0] (output layer first)", _net("""\
def backprop(params, X, Y):
""" + _FORWARD + """\
    dz2 = (p - Y) / n
    grads = [h1.T @ dz2, dz2.sum(axis=0)]
    dz1 = (dz2 @ W1.T) * h1 * (1 - h1)
    grads += [X.T @ dz1, dz1.sum(axis=0)]
    return grads
"""))

_answer("backprop", "backprop_missing_db0", False,
        "forgets db0: returns three arrays", _net("""\
def backprop(params, X, Y):
""" + _FORWARD + """\
    dz2 = (p - Y) / n
    dW1 = h1.T @ dz2
    db1 = dz2.sum(axis=0)
    dz1 = (dz2 @ W1.T) * h1 * (1 - h1)
    dW0 = X.T @ dz1
    return [dW0, dW1, db1]
"""))

_answer("backprop", "backprop_dw0_transposed", False,
        "dW0 = dz1^T X: the transpose (wrong shape unless n_in == n_hidden)", _net("""\
def backprop(params, X, Y):
""" + _FORWARD + """\
    dz2 = (p - Y) / n
    dW1 = h1.T @ dz2
    db1 = dz2.sum(axis=0)
    dz1 = (dz2 @ W1.T) * h1 * (1 - h1)
    dW0 = dz1.T @ X
    db0 = dz1.sum(axis=0)
    return [dW0, db0, dW1, db1]
"""))

_answer("backprop", "backprop_stub_pass", False, "untouched stub: body is pass (returns None)",
        """\
import numpy as np


def backprop(params, X, Y):
    # TODO: forward pass, then backward pass
    pass
""")

# ---------------------------------------------------------------------------------------------
# 9. backprop_steps
# ---------------------------------------------------------------------------------------------

_answer("backprop_steps", "steps_right_plain", True, "plain vectorised form", _net("""\
def backprop_steps(params, X, Y):
""" + _FORWARD + """\
    dz2 = (p - Y) / n
    dW1 = h1.T @ dz2
    db1 = dz2.sum(axis=0)
    dh1 = dz2 @ W1.T
    dz1 = dh1 * h1 * (1 - h1)
    dW0 = X.T @ dz1
    db0 = dz1.sum(axis=0)
    steps = {"dz2": dz2, "dh1": dh1, "dz1": dz1}
    return [dW0, db0, dW1, db1], steps
"""))

_answer("backprop_steps", "steps_right_extra_keys_list", True,
        "returns a list [grads, steps]; steps holds extra keys (h1, p) too", _net("""\
def backprop_steps(params, X, Y):
""" + _FORWARD + """\
    steps = {"h1": h1, "p": p}
    steps["dz2"] = (p - Y) / n
    steps["dh1"] = steps["dz2"] @ W1.T
    steps["dz1"] = steps["dh1"] * h1 * (1 - h1)
    grads = [
        X.T @ steps["dz1"],
        steps["dz1"].sum(axis=0),
        h1.T @ steps["dz2"],
        steps["dz2"].sum(axis=0),
    ]
    return [grads, steps]
"""))

_answer("backprop_steps", "steps_right_keepdims_tuple", True,
        "biases with keepdims=True, grads as a tuple, np.dot everywhere", _net("""\
def backprop_steps(params, X, Y):
""" + _FORWARD + """\
    dz2 = np.divide(p - Y, n)
    dh1 = np.dot(dz2, W1.T)
    dz1 = np.multiply(dh1, h1 * (1 - h1))
    grads = (
        np.dot(X.T, dz1),
        np.sum(dz1, axis=0, keepdims=True),
        np.dot(h1.T, dz2),
        np.sum(dz2, axis=0, keepdims=True),
    )
    return grads, dict(dz2=dz2, dh1=dh1, dz1=dz1)
"""))

_answer("backprop_steps", "steps_dh1_no_transpose", False,
        "dh1 = dz2 @ W1 without the transpose (raises unless W1 is square)", _net("""\
def backprop_steps(params, X, Y):
""" + _FORWARD + """\
    dz2 = (p - Y) / n
    dW1 = h1.T @ dz2
    db1 = dz2.sum(axis=0)
    dh1 = dz2 @ W1
    dz1 = dh1 * h1 * (1 - h1)
    dW0 = X.T @ dz1
    db0 = dz1.sum(axis=0)
    return [dW0, db0, dW1, db1], {"dz2": dz2, "dh1": dh1, "dz1": dz1}
"""))

_answer("backprop_steps", "steps_dz1_missing_sigmoid", False,
        "dz1 = dh1: forgets the sigmoid's derivative", _net("""\
def backprop_steps(params, X, Y):
""" + _FORWARD + """\
    dz2 = (p - Y) / n
    dW1 = h1.T @ dz2
    db1 = dz2.sum(axis=0)
    dh1 = dz2 @ W1.T
    dz1 = dh1
    dW0 = X.T @ dz1
    db0 = dz1.sum(axis=0)
    return [dW0, db0, dW1, db1], {"dz2": dz2, "dh1": dh1, "dz1": dz1}
"""))

_answer("backprop_steps", "steps_dz1_recorded_before_derivative", False,
        "grads right, but steps['dz1'] is recorded before the sigmoid derivative (= dh1)",
        _net("""\
def backprop_steps(params, X, Y):
""" + _FORWARD + """\
    delta = (p - Y) / n
    steps = {"dz2": delta}
    dW1 = h1.T @ delta
    db1 = delta.sum(axis=0)
    delta = delta @ W1.T
    steps["dh1"] = delta
    steps["dz1"] = delta
    delta = delta * h1 * (1 - h1)
    dW0 = X.T @ delta
    db0 = delta.sum(axis=0)
    return [dW0, db0, dW1, db1], steps
"""))

_answer("backprop_steps", "steps_dh1_aliased", False,
        "grads right, but dh1 is multiplied in place (*=) afterwards: steps['dh1'] equals dz1",
        _net("""\
def backprop_steps(params, X, Y):
""" + _FORWARD + """\
    steps = {}
    d = (p - Y) / n
    steps["dz2"] = d
    dW1 = h1.T @ d
    db1 = d.sum(axis=0)
    dh = d @ W1.T
    steps["dh1"] = dh
    dh *= h1 * (1 - h1)
    steps["dz1"] = dh
    dW0 = X.T @ dh
    db0 = dh.sum(axis=0)
    return [dW0, db0, dW1, db1], steps
"""))

_answer("backprop_steps", "steps_unscaled_dz2", False,
        "grads right (divided by n at the end), but the steps miss the 1/n", _net("""\
def backprop_steps(params, X, Y):
""" + _FORWARD + """\
    dz2 = p - Y
    dh1 = dz2 @ W1.T
    dz1 = dh1 * h1 * (1 - h1)
    grads = [X.T @ dz1 / n, dz1.sum(axis=0) / n, h1.T @ dz2 / n, dz2.sum(axis=0) / n]
    return grads, {"dz2": dz2, "dh1": dh1, "dz1": dz1}
"""))

_answer("backprop_steps", "steps_missing_key", False,
        "steps has no 'dh1' entry", _net("""\
def backprop_steps(params, X, Y):
""" + _FORWARD + """\
    dz2 = (p - Y) / n
    dz1 = (dz2 @ W1.T) * h1 * (1 - h1)
    grads = [X.T @ dz1, dz1.sum(axis=0), h1.T @ dz2, dz2.sum(axis=0)]
    return grads, {"dz2": dz2, "dz1": dz1}
"""))

_answer("backprop_steps", "steps_grads_only", False,
        "returns the grads list only (no steps): wrong number of values", _net("""\
def backprop_steps(params, X, Y):
""" + _FORWARD + """\
    dz2 = (p - Y) / n
    dz1 = (dz2 @ W1.T) * h1 * (1 - h1)
    return [X.T @ dz1, dz1.sum(axis=0), h1.T @ dz2, dz2.sum(axis=0)]
"""))

# Answers that never return, and answers that always raise, on purpose.
LOOPS_FOREVER = {"dense_loop_forgot_increment", "adam_while_true"}
RAISES = {"dropout_bwd_not_implemented", "adam_state_keyerror"}

# ---------------------------------------------------------------------------------------------
# Whole submissions
# ---------------------------------------------------------------------------------------------

_ALL_RIGHT = [
    "sigmoid_right_vectorised",
    "relu_right_where",
    "dense_right_list",
    "softmax_right_logsumexp",
    "dropout_fwd_right_where",
    "dropout_bwd_right_where",
    "adam_right_textbook",
    "backprop_right_vectorised",
    "steps_right_plain",
]


def _replace(names, **by_exercise):
    """``names`` with the answer of some exercises replaced (keyword = exercise name)."""
    out = list(names)
    for exercise, name in by_exercise.items():
        out[EXERCISES.index(exercise)] = name
    return out


def _submission(name, answers, expected_full):
    return {"name": name, "answers": list(answers), "expected_full": list(expected_full)}


SUBMISSIONS = {
    s["name"]: s
    for s in [
        _submission("all_right", _ALL_RIGHT, EXERCISES),
        _submission(
            "all_right_unusual",
            [
                "sigmoid_right_loop",
                "relu_right_heaviside",
                "dense_right_db_keepdims",
                "softmax_right_loop",
                "dropout_fwd_right_float32_mask",
                "dropout_bwd_right_reciprocal",
                "adam_right_returns_new_array",
                "backprop_right_einsum_keepdims",
                "steps_right_extra_keys_list",
            ],
            EXERCISES,
        ),
        _submission(
            "typical",
            [
                "sigmoid_right_expanded",
                "relu_ge_zero",
                "dense_bias_mean",
                "softmax_right_argmax_index",
                "dropout_fwd_not_inverted",
                "dropout_bwd_right_where",
                "adam_no_bias_correction",
                "backprop_sum_not_mean",
                "steps_dz1_recorded_before_derivative",
            ],
            ["sigmoid_backward", "softmax_cross_entropy", "dropout_backward"],
        ),
        _submission(
            "with_infinite_loop",
            _replace(_ALL_RIGHT, adam_step="adam_while_true"),
            [e for e in EXERCISES if e != "adam_step"],
        ),
        _submission(
            "with_raising_exercise",
            _replace(_ALL_RIGHT, dropout_backward="dropout_bwd_not_implemented"),
            [e for e in EXERCISES if e != "dropout_backward"],
        ),
        _submission(
            "hostile",
            [
                "sigmoid_complex_cast",
                "relu_object_array",
                "dense_returns_two",
                "softmax_loss_string",
                "dropout_fwd_inplace",
                "dropout_bwd_divides_by_mask",
                "adam_rebinds_param",
                "backprop_stub_pass",
                "steps_grads_only",
            ],
            [],
        ),
        _submission(
            "mutating_inputs",
            _replace(
                _ALL_RIGHT,
                sigmoid_backward="sigmoid_inplace_grad_out",
                softmax_cross_entropy="softmax_inplace_shift",
                dropout_forward="dropout_fwd_inplace",
            ),
            ["relu_backward", "dense_backward", "dropout_backward", "adam_step", "backprop",
             "backprop_steps"],
        ),
        _submission(
            "partial",
            ["sigmoid_right_loop", "relu_right_loop", "dense_right_loops", "softmax_kl_nan"],
            ["sigmoid_backward", "relu_backward", "dense_backward"],
        ),
        _submission(
            "subtle_adam_and_steps",
            _replace(
                _ALL_RIGHT,
                adam_step="adam_betas_swapped",
                backprop_steps="steps_dh1_aliased",
                backprop="backprop_right_per_sample_loop",
                dense_backward="dense_right_einsum",
            ),
            [e for e in EXERCISES if e not in ("adam_step", "backprop_steps")],
        ),
    ]
}


if __name__ == "__main__":
    import inspect
    import warnings
    from collections import Counter

    BY_NAME = {a["name"]: a for a in ANSWERS}
    TOL = 1e-9
    rng = np.random.default_rng(20240611)

    # -- structure ---------------------------------------------------------------------------
    assert len(BY_NAME) == len(ANSWERS), "answer names must be unique"
    assert len(ANSWERS) >= 45
    for a in ANSWERS:
        assert set(a) == {"exercise", "name", "source", "right", "note"}, a["name"]
        assert a["exercise"] in EXERCISES, a["name"]
        assert isinstance(a["right"], bool) and a["note"], a["name"]
    assert LOOPS_FOREVER <= set(BY_NAME) and RAISES <= set(BY_NAME)
    assert not any(BY_NAME[n]["right"] for n in LOOPS_FOREVER | RAISES)

    SIGNATURES = {
        "sigmoid_backward": [("grad_out", None), ("out", None)],
        "relu_backward": [("grad_out", None), ("x", None)],
        "dense_backward": [("grad_out", None), ("X", None), ("W", None)],
        "softmax_cross_entropy": [("logits", None), ("Y", None)],
        "dropout_forward": [("x", None), ("keep", None), ("p", None)],
        "dropout_backward": [("grad_out", None), ("keep", None), ("p", None)],
        "adam_step": [("param", None), ("grad", None), ("state", None), ("lr", 1e-3),
                      ("beta_1", 0.9), ("beta_2", 0.999), ("eps", 1e-8)],
        "backprop": [("params", None), ("X", None), ("Y", None)],
        "backprop_steps": [("params", None), ("X", None), ("Y", None)],
    }

    def load(source, exercise):
        namespace = {}
        exec(compile(source, "<answer>", "exec"), namespace)
        return namespace[exercise]

    for a in ANSWERS:
        f = load(a["source"], a["exercise"])
        got = [(q.name, None if q.default is inspect.Parameter.empty else q.default)
               for q in inspect.signature(f).parameters.values()]
        assert got == SIGNATURES[a["exercise"]], (a["name"], got)

    # -- references ----------------------------------------------------------------------------
    def ref_sigmoid(z):
        return 1 / (1 + np.exp(-z))

    def ref_softmax(z):
        e = np.exp(z - z.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    def ref_adam(param, grad, state, lr=1e-3, beta_1=0.9, beta_2=0.999, eps=1e-8):
        t = state["t"] = state.get("t", 0) + 1
        m = state["m"] = beta_1 * state.get("m", 0.0) + (1 - beta_1) * grad
        v = state["v"] = beta_2 * state.get("v", 0.0) + (1 - beta_2) * grad ** 2
        param -= lr * (m / (1 - beta_1 ** t)) / (np.sqrt(v / (1 - beta_2 ** t)) + eps)

    def ref_backprop(params, X, Y):
        W0, b0, W1, b1 = params
        n = X.shape[0]
        h1 = ref_sigmoid(X @ W0 + b0)
        p = ref_softmax(h1 @ W1 + b1)
        dz2 = (p - Y) / n
        dh1 = dz2 @ W1.T
        dz1 = dh1 * h1 * (1 - h1)
        grads = [X.T @ dz1, dz1.sum(axis=0), h1.T @ dz2, dz2.sum(axis=0)]
        return grads, {"dz2": dz2, "dh1": dh1, "dz1": dz1}

    # -- comparison ----------------------------------------------------------------------------
    class Mismatch(Exception):
        pass

    def close(a, r):
        """Raise Mismatch unless ``a`` is a real array/number equal to ``r`` to TOL."""
        if a is None or isinstance(a, (str, bytes, dict, list, tuple)):
            raise Mismatch(f"not an array: {type(a).__name__}")
        arr = np.asarray(a)
        if arr.dtype.kind not in "fiu":
            raise Mismatch(f"dtype {arr.dtype}")
        arr = arr.astype(np.float64)
        r = np.asarray(r, dtype=np.float64)
        if arr.shape != r.shape:
            # only a size-1 axis may differ (db with keepdims=True)
            if arr.size != r.size or np.squeeze(arr).shape != np.squeeze(r).shape:
                raise Mismatch(f"shape {arr.shape} != {r.shape}")
            arr = arr.reshape(r.shape)
        if not np.all(np.isfinite(arr)):
            raise Mismatch("not finite")
        if not np.all(np.abs(arr - r) <= TOL * (1 + np.abs(r))):
            raise Mismatch(f"max error {np.max(np.abs(arr - r)):.3g}")

    def seq(res, n):
        if not isinstance(res, (tuple, list)) or len(res) != n:
            raise Mismatch(f"expected {n} values, got {type(res).__name__}")
        return res

    def call(f, *args):
        """Call ``f`` on copies of ``args``; Mismatch if it writes into any of them."""
        copies = [a.copy() if isinstance(a, np.ndarray) else
                  [x.copy() for x in a] if isinstance(a, list) else a for a in args]
        res = f(*copies)
        for a, c in zip(args, copies):
            pairs = zip(a, c) if isinstance(a, list) else [(a, c)]
            for x, y in pairs:
                if isinstance(x, np.ndarray) and not np.array_equal(x, y):
                    raise Mismatch("wrote into its input")
        return res

    # -- inputs --------------------------------------------------------------------------------
    ELEMENTWISE = []
    for shape in [(5, 4), (3, 7), (6, 6)]:
        g = rng.normal(size=shape)
        h = ref_sigmoid(3 * rng.normal(size=shape))
        x = rng.normal(size=shape)
        x[rng.random(shape) < 0.25] = 0.0
        x[0, 0] = -0.0
        x[0, 1] = 0.0
        ELEMENTWISE.append((g, h, x))

    DENSE = []
    for n, n_in, n_out in [(5, 4, 3), (4, 3, 3), (6, 2, 1), (3, 5, 7)]:
        DENSE.append((rng.normal(size=(n, n_out)), rng.normal(size=(n, n_in)),
                      rng.normal(size=(n_in, n_out))))

    def one_hot(n, C):
        return np.eye(C)[rng.integers(0, C, size=n)]

    SOFTMAX = [(s * rng.normal(size=(n, C)), one_hot(n, C))
               for n, C, s in [(6, 4, 1.0), (5, 3, 3.0), (4, 4, 30.0), (7, 2, 0.5)]]

    DROPOUT = []
    for shape, p in [((5, 4), 0.2), ((3, 8), 0.35), ((6, 6), 0.7)]:
        keep = rng.random(shape) >= p
        keep[0, 0], keep[0, 1] = True, False
        DROPOUT.append((rng.normal(size=shape), keep, p))

    ADAM_P0 = rng.normal(size=(4, 3))
    ADAM_GRADS = []
    for k in range(5):
        g = rng.normal(size=(4, 3))
        g[1] *= 1e-4  # small gradients, where eps matters
        g[:, 0] = 0.0  # a parameter that never gets a gradient
        ADAM_GRADS.append(g)
    ADAM_HYPER = [{}, {"lr": 0.05, "beta_1": 0.8, "beta_2": 0.99, "eps": 1e-6}]

    NETS = []
    for n, n_in, n_hidden, C in [(7, 4, 5, 3), (5, 3, 3, 3), (6, 2, 4, 4)]:
        params = [rng.normal(size=(n_in, n_hidden)), rng.normal(size=n_hidden),
                  rng.normal(size=(n_hidden, C)), rng.normal(size=C)]
        NETS.append((params, rng.normal(size=(n, n_in)), one_hot(n, C)))

    # -- per-exercise checks (raise Mismatch or anything else when the answer disagrees) -------
    def check_sigmoid_backward(f):
        for g, h, _ in ELEMENTWISE:
            close(call(f, g, h), g * h * (1 - h))

    def check_relu_backward(f):
        for g, _, x in ELEMENTWISE:
            close(call(f, g, x), g * (x > 0))

    def check_dense_backward(f):
        for g, X, W in DENSE:
            res = seq(call(f, g, X, W), 3)
            for got, want in zip(res, [g @ W.T, X.T @ g, g.sum(axis=0)]):
                close(got, want)

    def check_softmax_cross_entropy(f):
        for z, Y in SOFTMAX:
            p = ref_softmax(z)
            log_p = z - z.max(axis=1, keepdims=True)
            log_p = log_p - np.log(np.exp(log_p).sum(axis=1, keepdims=True))
            loss, grad = seq(call(f, z, Y), 2)
            close(loss, -np.mean(np.sum(Y * log_p, axis=1)))
            close(grad, (p - Y) / z.shape[0])

    def check_dropout_forward(f):
        for x, keep, p in DROPOUT:
            close(call(f, x, keep, p), x * keep / (1 - p))

    def check_dropout_backward(f):
        for g, keep, p in DROPOUT:
            close(call(f, g, keep, p), g * keep / (1 - p))

    def check_adam_step(f):
        for hyper in ADAM_HYPER:
            want, want_state = ADAM_P0.copy(), {}
            param, state = ADAM_P0.copy(), {}
            for g in ADAM_GRADS:
                ref_adam(want, g, want_state, **hyper)
                g_copy = g.copy()
                ret = f(param, g_copy, state, **hyper)
                if not np.array_equal(g_copy, g):
                    raise Mismatch("wrote into grad")
                if ret is not None:
                    param = ret
                close(param, want)

    def check_backprop(f):
        for params, X, Y in NETS:
            want, _ = ref_backprop(params, X, Y)
            for got, w in zip(seq(call(f, params, X, Y), 4), want):
                close(got, w)

    def check_backprop_steps(f):
        for params, X, Y in NETS:
            want, want_steps = ref_backprop(params, X, Y)
            grads, steps = seq(call(f, params, X, Y), 2)
            for got, w in zip(seq(grads, 4), want):
                close(got, w)
            if not isinstance(steps, dict):
                raise Mismatch("steps is not a dict")
            for key, w in want_steps.items():
                if key not in steps:
                    raise Mismatch(f"no {key!r} in steps")
                close(steps[key], w)

    CHECKS = {e: globals()["check_" + e] for e in EXERCISES}

    def agrees(exercise, f):
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            try:
                CHECKS[exercise](f)
            except Exception as exc:  # a wrong value, a wrong shape, or the answer raised
                return False, f"{type(exc).__name__}: {exc}"
        return True, ""

    # -- every answer ----------------------------------------------------------------------------
    failures = []
    for a in ANSWERS:
        if a["name"] in LOOPS_FOREVER:
            continue
        f = load(a["source"], a["exercise"])
        if a["name"] in RAISES:
            ok, why = agrees(a["exercise"], f)
            if ok or why.startswith("Mismatch"):
                failures.append(f"{a['name']}: expected to raise, got {why or 'agreement'}")
            continue
        ok, why = agrees(a["exercise"], f)
        if ok != a["right"]:
            failures.append(f"{a['name']}: right={a['right']} but agrees={ok} {why}")
        elif not a["right"]:
            print(f"  wrong as intended  {a['name']:40s} {why[:70]}")

    # -- submissions -----------------------------------------------------------------------------
    for key, sub in SUBMISSIONS.items():
        assert key == sub["name"]
        chosen = [BY_NAME[n] for n in sub["answers"]]
        exercises = [a["exercise"] for a in chosen]
        assert len(set(exercises)) == len(exercises), key
        expected = {a["exercise"] for a in chosen if a["right"]}
        assert set(sub["expected_full"]) == expected, (key, sorted(expected))
        namespace = {}
        exec(compile("\n\n".join(a["source"] for a in chosen), key, "exec"), namespace)
        for a in chosen:
            if a["name"] in LOOPS_FOREVER:
                continue
            ok, why = agrees(a["exercise"], namespace[a["exercise"]])
            if ok != (a["exercise"] in sub["expected_full"]):
                failures.append(f"submission {key}: {a['exercise']} agrees={ok} {why}")

    counts = Counter((a["exercise"], a["right"]) for a in ANSWERS)
    print()
    for e in EXERCISES:
        print(f"{e:24s} right {counts[e, True]:2d}   wrong {counts[e, False]:2d}")
    n_right = sum(a["right"] for a in ANSWERS)
    print(f"{'total':24s} right {n_right:2d}   wrong {len(ANSWERS) - n_right:2d}")
    print("submissions:", ", ".join(SUBMISSIONS))
    if failures:
        print("\nFAILURES:")
        print("\n".join(failures))
        raise SystemExit(1)
    print("all answers behave as labelled")
