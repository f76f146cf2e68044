"""Gallery of hand-written backprop code in two well-known public styles.

1. CS231n assignment 1 ``TwoLayerNet.loss(X, y, reg)``: params dict W1, b1, W2, b2 (W1 is (D, H),
   b1 is (H,)), ReLU hidden layer, softmax loss averaged over N, L2 penalty
   ``reg * (sum W1^2 + sum W2^2)`` with gradient ``2 * reg * W``; plus variants with 0.5 * reg,
   three layers (assignment-2 style, 0.5 * reg), and tanh / sigmoid hidden layers.
2. Karpathy's "neural networks case study" (spiral data): separate arrays W, b (1, h), W2,
   b2 (1, K), passed as a list [W, b, W2, b2]; ``0.5 * reg * sum W^2`` with gradient ``reg * W``.

Every buggy function is written out in full, the way a student would write it, with exactly ONE
mistake planted in otherwise correct code.

Each entry of ``CASES`` is a dict with keys name, make, bug, wrong, also. ``make()`` returns
``(grad_fn, params, X, Y, kwargs)`` for ``check_backprop(grad_fn, params, X, Y, **kwargs)``.
List parameters are named by position: W0, b0, W1, b1 (, W2, b2).

Run ``python tests/gallery/cs231n_karpathy.py`` for a self-check against central differences of
an independent textbook loss.
"""

import numpy as np

CASES = []

# Penalty factor in front of ``reg * sum W^2`` (1.0 or 0.5); used only by the self-check below.
_PENALTY = {}


def _case(name, make, bug=None, wrong=(), also=None, penalty=1.0):
    CASES.append({"name": name, "make": make, "bug": bug, "wrong": set(wrong), "also": also})
    _PENALTY[name] = penalty


def _kwargs(reg, activation="relu"):
    return dict(activation=activation, output="softmax", loss="cross_entropy", alpha=reg)


# ============================================================================================
# Style 1: CS231n TwoLayerNet.loss
# ============================================================================================


def _toy_data(rng, N, D, C, scale=2.0):
    X = scale * rng.randn(N, D)
    y = rng.randint(C, size=N)
    y[:C] = np.arange(C)  # every class appears at least once
    return X, y


def _toy_params(rng, sizes, std=0.3, bias_std=0.2):
    params = {}
    for i in range(len(sizes) - 1):
        params["W%d" % (i + 1)] = std * rng.randn(sizes[i], sizes[i + 1])
        params["b%d" % (i + 1)] = bias_std * rng.randn(sizes[i + 1])
    return params


def _make_cs231n(loss_fn, seed, N, sizes, reg, activation="relu", onehot=False,
                 x_scale=2.0, std=0.3):
    def make():
        rng = np.random.RandomState(seed)
        X, y = _toy_data(rng, N, sizes[0], sizes[-1], scale=x_scale)
        params = _toy_params(rng, sizes, std=std)
        Y = np.eye(sizes[-1])[y] if onehot else y

        def grad_fn(params, X, y):
            return loss_fn(params, X, y, reg=reg)

        return grad_fn, params, X, Y, _kwargs(reg, activation)

    return make


# --------------------------------------------------------------------------------------------
# Correct CS231n networks
# --------------------------------------------------------------------------------------------


def cs231n_loss(params, X, y=None, reg=0.0):
    """Loss and gradients for a two layer fully connected net (CS231n assignment 1)."""
    W1, b1 = params['W1'], params['b1']
    W2, b2 = params['W2'], params['b2']
    N, D = X.shape

    # Forward pass
    hidden = np.maximum(0, X.dot(W1) + b1)
    scores = hidden.dot(W2) + b2
    if y is None:
        return scores

    shifted = scores - np.max(scores, axis=1, keepdims=True)
    exp_scores = np.exp(shifted)
    probs = exp_scores / np.sum(exp_scores, axis=1, keepdims=True)
    loss = -np.sum(np.log(probs[np.arange(N), y])) / N
    loss += reg * (np.sum(W1 * W1) + np.sum(W2 * W2))

    # Backward pass
    grads = {}
    dscores = probs.copy()
    dscores[np.arange(N), y] -= 1
    dscores /= N
    grads['W2'] = hidden.T.dot(dscores) + 2 * reg * W2
    grads['b2'] = np.sum(dscores, axis=0)
    dhidden = dscores.dot(W2.T)
    dhidden[hidden <= 0] = 0
    grads['W1'] = X.T.dot(dhidden) + 2 * reg * W1
    grads['b1'] = np.sum(dhidden, axis=0)
    return loss, grads


def cs231n_loss_half_reg(params, X, y=None, reg=0.0):
    """Same network, with the 0.5 * reg convention (gradient reg * W)."""
    W1, b1, W2, b2 = params['W1'], params['b1'], params['W2'], params['b2']
    N = X.shape[0]
    z1 = X @ W1 + b1
    h1 = np.maximum(z1, 0)
    scores = h1 @ W2 + b2
    scores = scores - scores.max(axis=1, keepdims=True)
    p = np.exp(scores)
    p /= p.sum(axis=1, keepdims=True)
    data_loss = -np.log(p[np.arange(N), y]).mean()
    reg_loss = 0.5 * reg * (np.sum(W1 ** 2) + np.sum(W2 ** 2))
    loss = data_loss + reg_loss

    dscores = p.copy()
    dscores[np.arange(N), y] -= 1
    dscores /= N
    dW2 = h1.T @ dscores + reg * W2
    db2 = dscores.sum(axis=0)
    dh1 = dscores @ W2.T
    dz1 = dh1 * (z1 > 0)
    dW1 = X.T @ dz1 + reg * W1
    db1 = dz1.sum(axis=0)
    return loss, {'W1': dW1, 'b1': db1, 'W2': dW2, 'b2': db2}


def cs231n_loss_global_shift(params, X, y=None, reg=0.0):
    """Correct, although it subtracts the GLOBAL max of the scores (still a valid shift)."""
    W1, b1 = params['W1'], params['b1']
    W2, b2 = params['W2'], params['b2']
    N, D = X.shape
    hidden = np.maximum(0, X.dot(W1) + b1)
    scores = hidden.dot(W2) + b2
    scores -= np.max(scores)
    exp_scores = np.exp(scores)
    probs = exp_scores / np.sum(exp_scores, axis=1, keepdims=True)
    loss = -np.sum(np.log(probs[np.arange(N), y])) / N
    loss += reg * (np.sum(W1 * W1) + np.sum(W2 * W2))
    grads = {}
    dscores = probs.copy()
    dscores[np.arange(N), y] -= 1
    dscores /= N
    grads['W2'] = hidden.T.dot(dscores) + 2 * reg * W2
    grads['b2'] = np.sum(dscores, axis=0)
    dhidden = dscores.dot(W2.T)
    dhidden[hidden <= 0] = 0
    grads['W1'] = X.T.dot(dhidden) + 2 * reg * W1
    grads['b1'] = np.sum(dhidden, axis=0)
    return loss, grads


def cs231n_loss_onehot(params, X, Y, reg=0.0):
    """Same network, written for one-hot targets Y of shape (N, C)."""
    W1, b1, W2, b2 = params['W1'], params['b1'], params['W2'], params['b2']
    N = X.shape[0]
    hidden = np.maximum(0, X.dot(W1) + b1)
    scores = hidden.dot(W2) + b2
    scores -= np.max(scores, axis=1, keepdims=True)
    probs = np.exp(scores)
    probs /= np.sum(probs, axis=1, keepdims=True)
    loss = -np.sum(Y * np.log(probs)) / N + reg * (np.sum(W1 * W1) + np.sum(W2 * W2))
    dscores = (probs - Y) / N
    grads = {}
    grads['W2'] = hidden.T.dot(dscores) + 2 * reg * W2
    grads['b2'] = dscores.sum(axis=0)
    dhidden = dscores.dot(W2.T) * (hidden > 0)
    grads['W1'] = X.T.dot(dhidden) + 2 * reg * W1
    grads['b1'] = dhidden.sum(axis=0)
    return loss, grads


class TwoLayerNet(object):
    """The assignment skeleton: the network keeps its weights in self.params."""

    def __init__(self, input_size, hidden_size, output_size, std=1e-4):
        self.params = {}
        self.params['W1'] = std * np.random.randn(input_size, hidden_size)
        self.params['b1'] = np.zeros(hidden_size)
        self.params['W2'] = std * np.random.randn(hidden_size, output_size)
        self.params['b2'] = np.zeros(output_size)

    def loss(self, X, y=None, reg=0.0):
        W1, b1 = self.params['W1'], self.params['b1']
        W2, b2 = self.params['W2'], self.params['b2']
        N, D = X.shape
        h1 = np.maximum(0, np.dot(X, W1) + b1)
        scores = np.dot(h1, W2) + b2
        if y is None:
            return scores
        scores -= np.max(scores, axis=1, keepdims=True)
        exp_scores = np.exp(scores)
        probs = exp_scores / np.sum(exp_scores, axis=1, keepdims=True)
        loss = np.sum(-np.log(probs[np.arange(N), y])) / N
        loss += reg * np.sum(W1 * W1) + reg * np.sum(W2 * W2)
        grads = {}
        dscores = probs
        dscores[np.arange(N), y] -= 1
        dscores /= N
        grads['W2'] = np.dot(h1.T, dscores) + 2 * reg * W2
        grads['b2'] = np.sum(dscores, axis=0)
        dh1 = np.dot(dscores, W2.T)
        dh1[h1 <= 0] = 0
        grads['W1'] = np.dot(X.T, dh1) + 2 * reg * W1
        grads['b1'] = np.sum(dh1, axis=0)
        return loss, grads


def _make_class_grads_only(seed, N, D, H, C, reg):
    def make():
        rng = np.random.RandomState(seed)
        X, y = _toy_data(rng, N, D, C)
        net = TwoLayerNet(D, H, C)
        params = _toy_params(rng, [D, H, C])

        def grad_fn(params, X, y):
            net.params = params
            _, grads = net.loss(X, y, reg=reg)
            return grads

        return grad_fn, params, X, y, _kwargs(reg)

    return make


def cs231n_three_layer_loss(params, X, y=None, reg=0.0):
    """affine - relu - affine - relu - affine - softmax (assignment 2 style, 0.5 * reg)."""
    W1, b1 = params['W1'], params['b1']
    W2, b2 = params['W2'], params['b2']
    W3, b3 = params['W3'], params['b3']
    N = X.shape[0]
    h1 = np.maximum(0, X.dot(W1) + b1)
    h2 = np.maximum(0, h1.dot(W2) + b2)
    scores = h2.dot(W3) + b3
    scores -= np.max(scores, axis=1, keepdims=True)
    probs = np.exp(scores)
    probs /= np.sum(probs, axis=1, keepdims=True)
    loss = -np.mean(np.log(probs[np.arange(N), y]))
    loss += 0.5 * reg * (np.sum(W1 * W1) + np.sum(W2 * W2) + np.sum(W3 * W3))

    dscores = probs.copy()
    dscores[np.arange(N), y] -= 1
    dscores /= N
    dW3 = h2.T.dot(dscores) + reg * W3
    db3 = np.sum(dscores, axis=0)
    dh2 = dscores.dot(W3.T)
    dh2[h2 <= 0] = 0
    dW2 = h1.T.dot(dh2) + reg * W2
    db2 = np.sum(dh2, axis=0)
    dh1 = dh2.dot(W2.T)
    dh1[h1 <= 0] = 0
    dW1 = X.T.dot(dh1) + reg * W1
    db1 = np.sum(dh1, axis=0)
    grads = {'W1': dW1, 'b1': db1, 'W2': dW2, 'b2': db2, 'W3': dW3, 'b3': db3}
    return loss, grads


def cs231n_tanh_loss(params, X, y=None, reg=0.0):
    """Two layer net with a tanh hidden layer."""
    W1, b1, W2, b2 = params['W1'], params['b1'], params['W2'], params['b2']
    N = X.shape[0]
    h1 = np.tanh(X.dot(W1) + b1)
    scores = h1.dot(W2) + b2
    scores -= np.max(scores, axis=1, keepdims=True)
    probs = np.exp(scores) / np.sum(np.exp(scores), axis=1, keepdims=True)
    loss = -np.sum(np.log(probs[np.arange(N), y])) / N
    loss += reg * (np.sum(W1 * W1) + np.sum(W2 * W2))
    dscores = probs.copy()
    dscores[np.arange(N), y] -= 1
    dscores /= N
    dW2 = h1.T.dot(dscores) + 2 * reg * W2
    db2 = dscores.sum(axis=0)
    dh1 = dscores.dot(W2.T)
    dz1 = dh1 * (1 - h1 ** 2)
    dW1 = X.T.dot(dz1) + 2 * reg * W1
    db1 = dz1.sum(axis=0)
    return loss, {'W1': dW1, 'b1': db1, 'W2': dW2, 'b2': db2}


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def cs231n_sigmoid_loss(params, X, y=None, reg=0.0):
    """Two layer net with a sigmoid hidden layer, 0.5 * reg convention."""
    W1, b1, W2, b2 = params['W1'], params['b1'], params['W2'], params['b2']
    N = X.shape[0]
    z1 = X.dot(W1) + b1
    h1 = sigmoid(z1)
    scores = h1.dot(W2) + b2
    scores -= np.max(scores, axis=1, keepdims=True)
    probs = np.exp(scores)
    probs /= np.sum(probs, axis=1, keepdims=True)
    loss = -np.sum(np.log(probs[range(N), y])) / N
    loss += 0.5 * reg * (np.sum(W1 ** 2) + np.sum(W2 ** 2))
    dscores = probs.copy()
    dscores[range(N), y] -= 1
    dscores /= N
    dW2 = h1.T.dot(dscores) + reg * W2
    db2 = np.sum(dscores, axis=0)
    dh1 = dscores.dot(W2.T)
    dz1 = dh1 * h1 * (1 - h1)
    dW1 = X.T.dot(dz1) + reg * W1
    db1 = np.sum(dz1, axis=0)
    return loss, {'W1': dW1, 'b1': db1, 'W2': dW2, 'b2': db2}


_case("cs231n_relu_correct_reg005", _make_cs231n(cs231n_loss, 0, 5, [4, 10, 3], 0.05))
_case("cs231n_relu_correct_reg01_n23", _make_cs231n(cs231n_loss, 1, 23, [7, 12, 5], 0.1))
_case("cs231n_relu_correct_noreg", _make_cs231n(cs231n_loss, 2, 17, [9, 6, 4], 0.0))
_case("cs231n_relu_correct_halfreg", _make_cs231n(cs231n_loss_half_reg, 3, 19, [6, 11, 4], 0.2),
      penalty=0.5)
_case("cs231n_relu_correct_global_max_shift",
      _make_cs231n(cs231n_loss_global_shift, 4, 14, [5, 9, 3], 0.05))
_case("cs231n_relu_correct_onehot",
      _make_cs231n(cs231n_loss_onehot, 5, 16, [8, 10, 6], 0.03, onehot=True))
_case("cs231n_relu_correct_class_grads_only", _make_class_grads_only(6, 12, 10, 7, 3, 0.1))
_case("cs231n_three_layer_correct",
      _make_cs231n(cs231n_three_layer_loss, 7, 21, [6, 10, 8, 3], 0.1), penalty=0.5)
_case("cs231n_tanh_correct",
      _make_cs231n(cs231n_tanh_loss, 8, 18, [5, 8, 4], 0.05, activation="tanh"))
_case("cs231n_sigmoid_correct",
      _make_cs231n(cs231n_sigmoid_loss, 9, 20, [7, 9, 3], 0.1, activation="logistic"),
      penalty=0.5)


# --------------------------------------------------------------------------------------------
# Buggy CS231n networks (one mistake each)
# --------------------------------------------------------------------------------------------


def cs231n_bug_mask_from_grad(params, X, y=None, reg=0.0):
    W1, b1 = params['W1'], params['b1']
    W2, b2 = params['W2'], params['b2']
    N, D = X.shape
    hidden = np.maximum(0, X.dot(W1) + b1)
    scores = hidden.dot(W2) + b2
    shifted = scores - np.max(scores, axis=1, keepdims=True)
    exp_scores = np.exp(shifted)
    probs = exp_scores / np.sum(exp_scores, axis=1, keepdims=True)
    loss = -np.sum(np.log(probs[np.arange(N), y])) / N
    loss += reg * (np.sum(W1 * W1) + np.sum(W2 * W2))
    grads = {}
    dscores = probs.copy()
    dscores[np.arange(N), y] -= 1
    dscores /= N
    grads['W2'] = hidden.T.dot(dscores) + 2 * reg * W2
    grads['b2'] = np.sum(dscores, axis=0)
    dhidden = dscores.dot(W2.T)
    dhidden[dhidden <= 0] = 0  # BUG: ReLU mask taken from the upstream gradient
    grads['W1'] = X.T.dot(dhidden) + 2 * reg * W1
    grads['b1'] = np.sum(dhidden, axis=0)
    return loss, grads


def cs231n_bug_reg_grad_factor(params, X, y=None, reg=0.0):
    W1, b1 = params['W1'], params['b1']
    W2, b2 = params['W2'], params['b2']
    N, D = X.shape
    hidden = np.maximum(0, X.dot(W1) + b1)
    scores = hidden.dot(W2) + b2
    shifted = scores - np.max(scores, axis=1, keepdims=True)
    exp_scores = np.exp(shifted)
    probs = exp_scores / np.sum(exp_scores, axis=1, keepdims=True)
    loss = -np.sum(np.log(probs[np.arange(N), y])) / N
    loss += reg * (np.sum(W1 * W1) + np.sum(W2 * W2))
    grads = {}
    dscores = probs.copy()
    dscores[np.arange(N), y] -= 1
    dscores /= N
    grads['W2'] = hidden.T.dot(dscores) + reg * W2  # BUG: should be 2 * reg * W2
    grads['b2'] = np.sum(dscores, axis=0)
    dhidden = dscores.dot(W2.T)
    dhidden[hidden <= 0] = 0
    grads['W1'] = X.T.dot(dhidden) + reg * W1  # BUG (same slip): should be 2 * reg * W1
    grads['b1'] = np.sum(dhidden, axis=0)
    return loss, grads


def cs231n_bug_dscores_not_divided(params, X, y=None, reg=0.0):
    W1, b1 = params['W1'], params['b1']
    W2, b2 = params['W2'], params['b2']
    N, D = X.shape
    hidden = np.maximum(0, X.dot(W1) + b1)
    scores = hidden.dot(W2) + b2
    shifted = scores - np.max(scores, axis=1, keepdims=True)
    exp_scores = np.exp(shifted)
    probs = exp_scores / np.sum(exp_scores, axis=1, keepdims=True)
    loss = -np.sum(np.log(probs[np.arange(N), y])) / N
    loss += reg * (np.sum(W1 * W1) + np.sum(W2 * W2))
    grads = {}
    dscores = probs.copy()
    dscores[np.arange(N), y] -= 1
    # BUG: forgot dscores /= N although the loss is averaged
    grads['W2'] = hidden.T.dot(dscores) + 2 * reg * W2
    grads['b2'] = np.sum(dscores, axis=0)
    dhidden = dscores.dot(W2.T)
    dhidden[hidden <= 0] = 0
    grads['W1'] = X.T.dot(dhidden) + 2 * reg * W1
    grads['b1'] = np.sum(dhidden, axis=0)
    return loss, grads


def cs231n_bug_W2_not_transposed(params, X, y=None, reg=0.0):
    W1, b1 = params['W1'], params['b1']
    W2, b2 = params['W2'], params['b2']
    N, D = X.shape
    hidden = np.maximum(0, X.dot(W1) + b1)
    scores = hidden.dot(W2) + b2
    shifted = scores - np.max(scores, axis=1, keepdims=True)
    exp_scores = np.exp(shifted)
    probs = exp_scores / np.sum(exp_scores, axis=1, keepdims=True)
    loss = -np.sum(np.log(probs[np.arange(N), y])) / N
    loss += reg * (np.sum(W1 * W1) + np.sum(W2 * W2))
    grads = {}
    dscores = probs.copy()
    dscores[np.arange(N), y] -= 1
    dscores /= N
    grads['W2'] = hidden.T.dot(dscores) + 2 * reg * W2
    grads['b2'] = np.sum(dscores, axis=0)
    dhidden = dscores.dot(W2)  # BUG: W2 instead of W2.T (runs because H == C)
    dhidden[hidden <= 0] = 0
    grads['W1'] = X.T.dot(dhidden) + 2 * reg * W1
    grads['b1'] = np.sum(dhidden, axis=0)
    return loss, grads


def cs231n_bug_reg_grad_on_biases(params, X, y=None, reg=0.0):
    W1, b1 = params['W1'], params['b1']
    W2, b2 = params['W2'], params['b2']
    N, D = X.shape
    hidden = np.maximum(0, X.dot(W1) + b1)
    scores = hidden.dot(W2) + b2
    shifted = scores - np.max(scores, axis=1, keepdims=True)
    exp_scores = np.exp(shifted)
    probs = exp_scores / np.sum(exp_scores, axis=1, keepdims=True)
    loss = -np.sum(np.log(probs[np.arange(N), y])) / N
    loss += reg * (np.sum(W1 * W1) + np.sum(W2 * W2))
    grads = {}
    dscores = probs.copy()
    dscores[np.arange(N), y] -= 1
    dscores /= N
    grads['W2'] = hidden.T.dot(dscores) + 2 * reg * W2
    grads['b2'] = np.sum(dscores, axis=0) + 2 * reg * b2  # BUG: biases are not in the loss
    dhidden = dscores.dot(W2.T)
    dhidden[hidden <= 0] = 0
    grads['W1'] = X.T.dot(dhidden) + 2 * reg * W1
    grads['b1'] = np.sum(dhidden, axis=0) + 2 * reg * b1  # BUG (same slip)
    return loss, grads


def cs231n_bug_reg_added_twice(params, X, y=None, reg=0.0):
    W1, b1 = params['W1'], params['b1']
    W2, b2 = params['W2'], params['b2']
    N, D = X.shape
    hidden = np.maximum(0, X.dot(W1) + b1)
    scores = hidden.dot(W2) + b2
    shifted = scores - np.max(scores, axis=1, keepdims=True)
    exp_scores = np.exp(shifted)
    probs = exp_scores / np.sum(exp_scores, axis=1, keepdims=True)
    loss = -np.sum(np.log(probs[np.arange(N), y])) / N
    loss += reg * (np.sum(W1 * W1) + np.sum(W2 * W2))
    grads = {}
    dscores = probs.copy()
    dscores[np.arange(N), y] -= 1
    dscores /= N
    grads['W2'] = hidden.T.dot(dscores) + 2 * reg * W2
    grads['b2'] = np.sum(dscores, axis=0)
    dhidden = dscores.dot(W2.T)
    dhidden[hidden <= 0] = 0
    grads['W1'] = X.T.dot(dhidden) + 2 * reg * W1
    grads['b1'] = np.sum(dhidden, axis=0)
    # regularization gradient
    grads['W2'] += 2 * reg * W2  # BUG: already added above
    return loss, grads


def cs231n_bug_softmax_axis0(params, X, y=None, reg=0.0):
    W1, b1 = params['W1'], params['b1']
    W2, b2 = params['W2'], params['b2']
    N, D = X.shape
    hidden = np.maximum(0, X.dot(W1) + b1)
    scores = hidden.dot(W2) + b2
    shifted = scores - np.max(scores, axis=1, keepdims=True)
    exp_scores = np.exp(shifted)
    probs = exp_scores / np.sum(exp_scores, axis=0, keepdims=True)  # BUG: normalised over N
    loss = -np.sum(np.log(probs[np.arange(N), y])) / N
    loss += reg * (np.sum(W1 * W1) + np.sum(W2 * W2))
    grads = {}
    dscores = probs.copy()
    dscores[np.arange(N), y] -= 1
    dscores /= N
    grads['W2'] = hidden.T.dot(dscores) + 2 * reg * W2
    grads['b2'] = np.sum(dscores, axis=0)
    dhidden = dscores.dot(W2.T)
    dhidden[hidden <= 0] = 0
    grads['W1'] = X.T.dot(dhidden) + 2 * reg * W1
    grads['b1'] = np.sum(dhidden, axis=0)
    return loss, grads


def cs231n_bug_no_shift(params, X, y=None, reg=0.0):
    W1, b1 = params['W1'], params['b1']
    W2, b2 = params['W2'], params['b2']
    N, D = X.shape
    hidden = np.maximum(0, X.dot(W1) + b1)
    scores = hidden.dot(W2) + b2
    exp_scores = np.exp(scores)  # BUG: scores not shifted by their max -> overflow
    probs = exp_scores / np.sum(exp_scores, axis=1, keepdims=True)
    loss = -np.sum(np.log(probs[np.arange(N), y])) / N
    loss += reg * (np.sum(W1 * W1) + np.sum(W2 * W2))
    grads = {}
    dscores = probs.copy()
    dscores[np.arange(N), y] -= 1
    dscores /= N
    grads['W2'] = hidden.T.dot(dscores) + 2 * reg * W2
    grads['b2'] = np.sum(dscores, axis=0)
    dhidden = dscores.dot(W2.T)
    dhidden[hidden <= 0] = 0
    grads['W1'] = X.T.dot(dhidden) + 2 * reg * W1
    grads['b1'] = np.sum(dhidden, axis=0)
    return loss, grads


def _make_raw_pixels(seed, N, D, H, C, reg):
    """Unnormalised 0..255 'pixel' features with unit-scale weights: scores in the thousands."""
    def make():
        rng = np.random.RandomState(seed)
        X = rng.uniform(0, 255, size=(N, D))
        y = rng.randint(C, size=N)
        params = {'W1': rng.randn(D, H), 'b1': rng.randn(H),
                  'W2': rng.randn(H, C), 'b2': rng.randn(C)}

        def grad_fn(params, X, y):
            return cs231n_bug_no_shift(params, X, y, reg=reg)

        return grad_fn, params, X, y, _kwargs(reg)

    return make


def cs231n_bug_mask_strict_less(params, X, y=None, reg=0.0):
    W1, b1 = params['W1'], params['b1']
    W2, b2 = params['W2'], params['b2']
    N, D = X.shape
    hidden = np.maximum(0, X.dot(W1) + b1)
    scores = hidden.dot(W2) + b2
    shifted = scores - np.max(scores, axis=1, keepdims=True)
    exp_scores = np.exp(shifted)
    probs = exp_scores / np.sum(exp_scores, axis=1, keepdims=True)
    loss = -np.sum(np.log(probs[np.arange(N), y])) / N
    loss += reg * (np.sum(W1 * W1) + np.sum(W2 * W2))
    grads = {}
    dscores = probs.copy()
    dscores[np.arange(N), y] -= 1
    dscores /= N
    grads['W2'] = hidden.T.dot(dscores) + 2 * reg * W2
    grads['b2'] = np.sum(dscores, axis=0)
    dhidden = dscores.dot(W2.T)
    dhidden[hidden < 0] = 0  # BUG: hidden is post-ReLU, never < 0, so nothing is masked
    grads['W1'] = X.T.dot(dhidden) + 2 * reg * W1
    grads['b1'] = np.sum(dhidden, axis=0)
    return loss, grads


def cs231n_bug_db2_mean(params, X, y=None, reg=0.0):
    W1, b1 = params['W1'], params['b1']
    W2, b2 = params['W2'], params['b2']
    N, D = X.shape
    hidden = np.maximum(0, X.dot(W1) + b1)
    scores = hidden.dot(W2) + b2
    shifted = scores - np.max(scores, axis=1, keepdims=True)
    exp_scores = np.exp(shifted)
    probs = exp_scores / np.sum(exp_scores, axis=1, keepdims=True)
    loss = -np.sum(np.log(probs[np.arange(N), y])) / N
    loss += reg * (np.sum(W1 * W1) + np.sum(W2 * W2))
    grads = {}
    dscores = probs.copy()
    dscores[np.arange(N), y] -= 1
    dscores /= N
    grads['W2'] = hidden.T.dot(dscores) + 2 * reg * W2
    grads['b2'] = np.mean(dscores, axis=0)  # BUG: dscores is already divided by N
    dhidden = dscores.dot(W2.T)
    dhidden[hidden <= 0] = 0
    grads['W1'] = X.T.dot(dhidden) + 2 * reg * W1
    grads['b1'] = np.sum(dhidden, axis=0)
    return loss, grads


def cs231n_bug_db1_axis1(params, X, y=None, reg=0.0):
    W1, b1 = params['W1'], params['b1']
    W2, b2 = params['W2'], params['b2']
    N, D = X.shape
    hidden = np.maximum(0, X.dot(W1) + b1)
    scores = hidden.dot(W2) + b2
    shifted = scores - np.max(scores, axis=1, keepdims=True)
    exp_scores = np.exp(shifted)
    probs = exp_scores / np.sum(exp_scores, axis=1, keepdims=True)
    loss = -np.sum(np.log(probs[np.arange(N), y])) / N
    loss += reg * (np.sum(W1 * W1) + np.sum(W2 * W2))
    grads = {}
    dscores = probs.copy()
    dscores[np.arange(N), y] -= 1
    dscores /= N
    grads['W2'] = hidden.T.dot(dscores) + 2 * reg * W2
    grads['b2'] = np.sum(dscores, axis=0)
    dhidden = dscores.dot(W2.T)
    dhidden[hidden <= 0] = 0
    grads['W1'] = X.T.dot(dhidden) + 2 * reg * W1
    grads['b1'] = np.sum(dhidden, axis=1)  # BUG: summed over the hidden units, shape (N,)
    return loss, grads


def cs231n_bug_centre_X_in_place(params, X, y=None, reg=0.0):
    W1, b1 = params['W1'], params['b1']
    W2, b2 = params['W2'], params['b2']
    N, D = X.shape
    X -= np.mean(X, axis=0)  # BUG: "preprocessing" done in place on the caller's data
    hidden = np.maximum(0, X.dot(W1) + b1)
    scores = hidden.dot(W2) + b2
    shifted = scores - np.max(scores, axis=1, keepdims=True)
    exp_scores = np.exp(shifted)
    probs = exp_scores / np.sum(exp_scores, axis=1, keepdims=True)
    loss = -np.sum(np.log(probs[np.arange(N), y])) / N
    loss += reg * (np.sum(W1 * W1) + np.sum(W2 * W2))
    grads = {}
    dscores = probs.copy()
    dscores[np.arange(N), y] -= 1
    dscores /= N
    grads['W2'] = hidden.T.dot(dscores) + 2 * reg * W2
    grads['b2'] = np.sum(dscores, axis=0)
    dhidden = dscores.dot(W2.T)
    dhidden[hidden <= 0] = 0
    grads['W1'] = X.T.dot(dhidden) + 2 * reg * W1
    grads['b1'] = np.sum(dhidden, axis=0)
    return loss, grads


class TwoLayerNetStepInLoss(object):
    """A student folded the SGD step into loss(); the gradients themselves are right."""

    def __init__(self, params, learning_rate=1e-1):
        self.params = params
        self.learning_rate = learning_rate

    def loss(self, X, y=None, reg=0.0):
        W1, b1 = self.params['W1'], self.params['b1']
        W2, b2 = self.params['W2'], self.params['b2']
        N, D = X.shape
        h1 = np.maximum(0, np.dot(X, W1) + b1)
        scores = np.dot(h1, W2) + b2
        scores -= np.max(scores, axis=1, keepdims=True)
        exp_scores = np.exp(scores)
        probs = exp_scores / np.sum(exp_scores, axis=1, keepdims=True)
        loss = np.sum(-np.log(probs[np.arange(N), y])) / N
        loss += reg * np.sum(W1 * W1) + reg * np.sum(W2 * W2)
        grads = {}
        dscores = probs
        dscores[np.arange(N), y] -= 1
        dscores /= N
        grads['W2'] = np.dot(h1.T, dscores) + 2 * reg * W2
        grads['b2'] = np.sum(dscores, axis=0)
        dh1 = np.dot(dscores, W2.T)
        dh1[h1 <= 0] = 0
        grads['W1'] = np.dot(X.T, dh1) + 2 * reg * W1
        grads['b1'] = np.sum(dh1, axis=0)
        # BUG: the parameter update belongs in train(), not in loss()
        for k in self.params:
            self.params[k] -= self.learning_rate * grads[k]
        return loss, grads


def _make_step_in_loss(seed, N, D, H, C, reg):
    def make():
        rng = np.random.RandomState(seed)
        X, y = _toy_data(rng, N, D, C)
        params = _toy_params(rng, [D, H, C])

        def grad_fn(params, X, y):
            return TwoLayerNetStepInLoss(params).loss(X, y, reg=reg)

        return grad_fn, params, X, y, _kwargs(reg)

    return make


def cs231n_three_layer_bug_copy_db1(params, X, y=None, reg=0.0):
    W1, b1 = params['W1'], params['b1']
    W2, b2 = params['W2'], params['b2']
    W3, b3 = params['W3'], params['b3']
    N = X.shape[0]
    h1 = np.maximum(0, X.dot(W1) + b1)
    h2 = np.maximum(0, h1.dot(W2) + b2)
    scores = h2.dot(W3) + b3
    scores -= np.max(scores, axis=1, keepdims=True)
    probs = np.exp(scores)
    probs /= np.sum(probs, axis=1, keepdims=True)
    loss = -np.mean(np.log(probs[np.arange(N), y]))
    loss += 0.5 * reg * (np.sum(W1 * W1) + np.sum(W2 * W2) + np.sum(W3 * W3))
    dscores = probs.copy()
    dscores[np.arange(N), y] -= 1
    dscores /= N
    dW3 = h2.T.dot(dscores) + reg * W3
    db3 = np.sum(dscores, axis=0)
    dh2 = dscores.dot(W3.T)
    dh2[h2 <= 0] = 0
    dW2 = h1.T.dot(dh2) + reg * W2
    db2 = np.sum(dh2, axis=0)  # noqa: F841  (computed, then never stored: the bug)
    dh1 = dh2.dot(W2.T)
    dh1[h1 <= 0] = 0
    dW1 = X.T.dot(dh1) + reg * W1
    db1 = np.sum(dh1, axis=0)
    # BUG: copy-paste, 'b2' gets db1 (same shape because both hidden layers have 7 units)
    grads = {'W1': dW1, 'b1': db1, 'W2': dW2, 'b2': db1, 'W3': dW3, 'b3': db3}
    return loss, grads


def cs231n_three_layer_bug_mask_wrong_layer(params, X, y=None, reg=0.0):
    W1, b1 = params['W1'], params['b1']
    W2, b2 = params['W2'], params['b2']
    W3, b3 = params['W3'], params['b3']
    N = X.shape[0]
    h1 = np.maximum(0, X.dot(W1) + b1)
    h2 = np.maximum(0, h1.dot(W2) + b2)
    scores = h2.dot(W3) + b3
    scores -= np.max(scores, axis=1, keepdims=True)
    probs = np.exp(scores)
    probs /= np.sum(probs, axis=1, keepdims=True)
    loss = -np.mean(np.log(probs[np.arange(N), y]))
    loss += 0.5 * reg * (np.sum(W1 * W1) + np.sum(W2 * W2) + np.sum(W3 * W3))
    dscores = probs.copy()
    dscores[np.arange(N), y] -= 1
    dscores /= N
    dW3 = h2.T.dot(dscores) + reg * W3
    db3 = np.sum(dscores, axis=0)
    dh2 = dscores.dot(W3.T)
    dh2[h1 <= 0] = 0  # BUG: second layer's gradient masked with the FIRST layer's activations
    dW2 = h1.T.dot(dh2) + reg * W2
    db2 = np.sum(dh2, axis=0)
    dh1 = dh2.dot(W2.T)
    dh1[h1 <= 0] = 0
    dW1 = X.T.dot(dh1) + reg * W1
    db1 = np.sum(dh1, axis=0)
    grads = {'W1': dW1, 'b1': db1, 'W2': dW2, 'b2': db2, 'W3': dW3, 'b3': db3}
    return loss, grads


def cs231n_tanh_bug_derivative(params, X, y=None, reg=0.0):
    W1, b1, W2, b2 = params['W1'], params['b1'], params['W2'], params['b2']
    N = X.shape[0]
    h1 = np.tanh(X.dot(W1) + b1)
    scores = h1.dot(W2) + b2
    scores -= np.max(scores, axis=1, keepdims=True)
    probs = np.exp(scores) / np.sum(np.exp(scores), axis=1, keepdims=True)
    loss = -np.sum(np.log(probs[np.arange(N), y])) / N
    loss += reg * (np.sum(W1 * W1) + np.sum(W2 * W2))
    dscores = probs.copy()
    dscores[np.arange(N), y] -= 1
    dscores /= N
    dW2 = h1.T.dot(dscores) + 2 * reg * W2
    db2 = dscores.sum(axis=0)
    dh1 = dscores.dot(W2.T)
    dz1 = dh1 * (1 - h1)  # BUG: tanh' is 1 - h1**2
    dW1 = X.T.dot(dz1) + 2 * reg * W1
    db1 = dz1.sum(axis=0)
    return loss, {'W1': dW1, 'b1': db1, 'W2': dW2, 'b2': db2}


def cs231n_sigmoid_bug_derivative_on_z(params, X, y=None, reg=0.0):
    W1, b1, W2, b2 = params['W1'], params['b1'], params['W2'], params['b2']
    N = X.shape[0]
    z1 = X.dot(W1) + b1
    h1 = sigmoid(z1)
    scores = h1.dot(W2) + b2
    scores -= np.max(scores, axis=1, keepdims=True)
    probs = np.exp(scores)
    probs /= np.sum(probs, axis=1, keepdims=True)
    loss = -np.sum(np.log(probs[range(N), y])) / N
    loss += 0.5 * reg * (np.sum(W1 ** 2) + np.sum(W2 ** 2))
    dscores = probs.copy()
    dscores[range(N), y] -= 1
    dscores /= N
    dW2 = h1.T.dot(dscores) + reg * W2
    db2 = np.sum(dscores, axis=0)
    dh1 = dscores.dot(W2.T)
    dz1 = dh1 * z1 * (1 - z1)  # BUG: s(1-s) evaluated on the pre-activation z1, not on h1
    dW1 = X.T.dot(dz1) + reg * W1
    db1 = np.sum(dz1, axis=0)
    return loss, {'W1': dW1, 'b1': db1, 'W2': dW2, 'b2': db2}


_LOSS_GRAD_DISAGREE = "the returned loss and the returned gradient disagree"

_case("cs231n_bug_mask_from_grad", _make_cs231n(cs231n_bug_mask_from_grad, 10, 15, [6, 9, 4], 0.05),
      bug="The ReLU backward mask is taken from the upstream gradient dhidden instead of from "
          "the hidden activations.",
      wrong={"W1", "b1"})
_case("cs231n_bug_reg_grad_factor",
      _make_cs231n(cs231n_bug_reg_grad_factor, 11, 13, [5, 8, 3], 0.3),
      bug="The loss uses reg * sum(W^2) but the gradient adds reg * W instead of 2 * reg * W.",
      wrong={"W1", "W2"},
      also=_LOSS_GRAD_DISAGREE + " (the gradient follows the 0.5 * reg convention, "
           "the loss the reg convention)")
_case("cs231n_bug_dscores_not_divided",
      _make_cs231n(cs231n_bug_dscores_not_divided, 12, 11, [7, 6, 4], 0.05),
      bug="The loss is averaged over N but dscores is never divided by N.",
      wrong={"W1", "b1", "W2", "b2"})
_case("cs231n_bug_W2_not_transposed",
      _make_cs231n(cs231n_bug_W2_not_transposed, 13, 14, [8, 5, 5], 0.05),
      bug="Backprop into the hidden layer uses dscores.dot(W2) instead of dscores.dot(W2.T); "
          "it runs only because H == C.",
      wrong={"W1", "b1"})
_case("cs231n_bug_reg_grad_on_biases",
      _make_cs231n(cs231n_bug_reg_grad_on_biases, 14, 12, [6, 10, 3], 0.2),
      bug="The regularisation gradient 2 * reg * b is added to both bias gradients although the "
          "loss only penalises the weights.",
      wrong={"b1", "b2"},
      also=_LOSS_GRAD_DISAGREE + " (the gradient penalises the biases, the loss does not)")
_case("cs231n_bug_reg_added_twice",
      _make_cs231n(cs231n_bug_reg_added_twice, 15, 16, [5, 7, 4], 0.1),
      bug="The regularisation gradient of W2 is added twice.",
      wrong={"W2"})
_case("cs231n_bug_softmax_axis0",
      _make_cs231n(cs231n_bug_softmax_axis0, 16, 10, [4, 9, 3], 0.05),
      bug="The softmax normalises over the examples (axis=0) instead of over the classes.",
      wrong={"W1", "b1", "W2", "b2"},
      also="the loss itself is not the softmax cross-entropy")
_case("cs231n_bug_no_shift_overflow", _make_raw_pixels(17, 12, 16, 10, 3, 0.01),
      bug="The scores are not shifted by their row maximum before np.exp, so on raw 0..255 "
          "inputs exp overflows and loss and gradients are NaN.",
      wrong={"W1", "b1", "W2", "b2"},
      also="grad_fn returns NaN (loss and gradients) for these inputs")
_case("cs231n_bug_mask_strict_less",
      _make_cs231n(cs231n_bug_mask_strict_less, 18, 18, [6, 12, 5], 0.05),
      bug="The ReLU backward uses dhidden[hidden < 0] = 0 on the post-ReLU activations, which "
          "are never negative, so the ReLU derivative is effectively forgotten.",
      wrong={"W1", "b1"})
_case("cs231n_bug_db2_mean", _make_cs231n(cs231n_bug_db2_mean, 19, 9, [7, 8, 4], 0.05),
      bug="The output bias gradient uses np.mean over dscores that were already divided by N.",
      wrong={"b2"})
_case("cs231n_bug_db1_axis1", _make_cs231n(cs231n_bug_db1_axis1, 20, 13, [5, 9, 3], 0.05),
      bug="The hidden bias gradient sums dhidden over axis=1 (giving shape (N,)) instead of "
          "over the examples.",
      wrong={"b1"},
      also="the gradient for b1 has the wrong shape")
_case("cs231n_bug_centre_X_in_place",
      _make_cs231n(cs231n_bug_centre_X_in_place, 21, 15, [6, 8, 4], 0.05),
      bug="The loss zero-centres the data in place (X -= X.mean(axis=0)), so gradients are for "
          "the centred data and the caller's X is overwritten.",
      wrong={"W1", "b1", "W2", "b2"},
      also="grad_fn writes into X")
_case("cs231n_bug_sgd_step_in_loss", _make_step_in_loss(22, 14, 7, 10, 4, 0.05),
      bug="The SGD update is performed inside loss(), modifying the params it was given "
          "(the returned gradients are still right).",
      wrong=set(),
      also="grad_fn modifies params in place")
_case("cs231n_three_layer_bug_copy_db1",
      _make_cs231n(cs231n_three_layer_bug_copy_db1, 23, 20, [9, 7, 7, 4], 0.1),
      bug="Copy-paste slip: the grads dict stores db1 under 'b2' as well as under 'b1'.",
      wrong={"b2"}, penalty=0.5)
_case("cs231n_three_layer_bug_mask_wrong_layer",
      _make_cs231n(cs231n_three_layer_bug_mask_wrong_layer, 24, 22, [9, 7, 7, 4], 0.1),
      bug="The second hidden layer's ReLU backward uses the first layer's activations h1 "
          "as the mask instead of h2.",
      wrong={"W1", "b1", "W2", "b2"}, penalty=0.5)
_case("cs231n_tanh_bug_derivative",
      _make_cs231n(cs231n_tanh_bug_derivative, 25, 17, [5, 8, 4], 0.05, activation="tanh"),
      bug="The tanh derivative is written 1 - h instead of 1 - h**2.",
      wrong={"W1", "b1"})
_case("cs231n_sigmoid_bug_derivative_on_z",
      _make_cs231n(cs231n_sigmoid_bug_derivative_on_z, 26, 19, [7, 9, 3], 0.1,
                   activation="logistic"),
      bug="The sigmoid derivative s * (1 - s) is evaluated on the pre-activation z1 instead "
          "of on the sigmoid output.",
      wrong={"W1", "b1"}, penalty=0.5)


# ============================================================================================
# Style 2: Karpathy's neural-networks case study (spiral data), params as a list
# ============================================================================================


def _spiral(rng, n_per_class, K, D=2):
    N = n_per_class * K
    X = np.zeros((N, D))  # data matrix (each row = single example)
    y = np.zeros(N, dtype='uint8')  # class labels
    for j in range(K):
        ix = range(n_per_class * j, n_per_class * (j + 1))
        r = np.linspace(0.0, 1, n_per_class)  # radius
        t = np.linspace(j * 4, (j + 1) * 4, n_per_class) + rng.randn(n_per_class) * 0.2  # theta
        X[ix] = np.c_[r * np.sin(t), r * np.cos(t)]
        y[ix] = j
    return X, y


def _make_karpathy(fn, seed, n_per_class, K, h, reg, as_tuple=False, uint8_labels=False,
                   scale=1.0, bias_scale=0.5):
    def make():
        rng = np.random.RandomState(seed)
        X, y = _spiral(rng, n_per_class, K)
        if not uint8_labels:
            y = y.astype(int)
        D = X.shape[1]
        W = scale * rng.randn(D, h)
        b = bias_scale * rng.randn(1, h)
        W2 = scale * rng.randn(h, K)
        b2 = bias_scale * rng.randn(1, K)
        params = (W, b, W2, b2) if as_tuple else [W, b, W2, b2]

        def grad_fn(params, X, y):
            return fn(params, X, y, reg)

        return grad_fn, params, X, y, _kwargs(reg)

    return make


# --------------------------------------------------------------------------------------------
# Correct Karpathy networks
# --------------------------------------------------------------------------------------------


def karpathy_forward_backward(params, X, y, reg):
    W, b, W2, b2 = params
    num_examples = X.shape[0]

    # evaluate class scores, [N x K]
    hidden_layer = np.maximum(0, np.dot(X, W) + b)  # note, ReLU activation
    scores = np.dot(hidden_layer, W2) + b2

    # compute the class probabilities
    exp_scores = np.exp(scores)
    probs = exp_scores / np.sum(exp_scores, axis=1, keepdims=True)  # [N x K]

    # compute the loss: average cross-entropy loss and regularization
    corect_logprobs = -np.log(probs[range(num_examples), y])
    data_loss = np.sum(corect_logprobs) / num_examples
    reg_loss = 0.5 * reg * np.sum(W * W) + 0.5 * reg * np.sum(W2 * W2)
    loss = data_loss + reg_loss

    # compute the gradient on scores
    dscores = probs
    dscores[range(num_examples), y] -= 1
    dscores /= num_examples

    # backpropate the gradient to the parameters
    # first backprop into parameters W2 and b2
    dW2 = np.dot(hidden_layer.T, dscores)
    db2 = np.sum(dscores, axis=0, keepdims=True)
    # next backprop into hidden layer
    dhidden = np.dot(dscores, W2.T)
    # backprop the ReLU non-linearity
    dhidden[hidden_layer <= 0] = 0
    # finally into W,b
    dW = np.dot(X.T, dhidden)
    db = np.sum(dhidden, axis=0, keepdims=True)

    # add regularization gradient contribution
    dW2 += reg * W2
    dW += reg * W
    return loss, [dW, db, dW2, db2]


def karpathy_grads_only(params, X, y, reg):
    """Same as above but returns only the list of gradients."""
    W, b, W2, b2 = params
    num_examples = X.shape[0]
    hidden_layer = np.maximum(0, np.dot(X, W) + b)
    scores = np.dot(hidden_layer, W2) + b2
    exp_scores = np.exp(scores)
    probs = exp_scores / np.sum(exp_scores, axis=1, keepdims=True)
    dscores = probs
    dscores[range(num_examples), y] -= 1
    dscores /= num_examples
    dW2 = np.dot(hidden_layer.T, dscores)
    db2 = np.sum(dscores, axis=0, keepdims=True)
    dhidden = np.dot(dscores, W2.T)
    dhidden[hidden_layer <= 0] = 0
    dW = np.dot(X.T, dhidden)
    db = np.sum(dhidden, axis=0, keepdims=True)
    dW2 += reg * W2
    dW += reg * W
    return [dW, db, dW2, db2]


def karpathy_shifted(params, X, y, reg):
    """A careful student's version: shifted scores, fresh arrays, explicit copies."""
    W, b, W2, b2 = params
    N = X.shape[0]
    pre = X @ W + b
    hidden_layer = np.maximum(0, pre)
    scores = hidden_layer @ W2 + b2
    scores = scores - scores.max(axis=1, keepdims=True)
    exp_scores = np.exp(scores)
    probs = exp_scores / exp_scores.sum(axis=1, keepdims=True)
    loss = -np.log(probs[np.arange(N), y]).mean() + 0.5 * reg * (np.sum(W ** 2) + np.sum(W2 ** 2))
    dscores = probs.copy()
    dscores[np.arange(N), y] -= 1
    dscores /= N
    dW2 = hidden_layer.T @ dscores + reg * W2
    db2 = dscores.sum(axis=0, keepdims=True)
    dhidden = (dscores @ W2.T) * (pre > 0)
    dW = X.T @ dhidden + reg * W
    db = dhidden.sum(axis=0, keepdims=True)
    return loss, [dW, db, dW2, db2]


_case("karpathy_correct_h10_reg1e-3", _make_karpathy(karpathy_forward_backward, 100, 10, 3, 10,
                                                     1e-3), penalty=0.5)
_case("karpathy_correct_grads_only_h6", _make_karpathy(karpathy_grads_only, 101, 8, 3, 6, 0.1),
      penalty=0.5)
_case("karpathy_correct_tuple_uint8_k4",
      _make_karpathy(karpathy_forward_backward, 102, 6, 4, 9, 0.05, as_tuple=True,
                     uint8_labels=True), penalty=0.5)
_case("karpathy_correct_shifted_h12_reg05",
      _make_karpathy(karpathy_shifted, 103, 12, 3, 12, 0.5), penalty=0.5)
_case("karpathy_correct_noreg_h15", _make_karpathy(karpathy_forward_backward, 104, 9, 2, 15, 0.0),
      penalty=0.5)


# --------------------------------------------------------------------------------------------
# Buggy Karpathy networks (one mistake each)
# --------------------------------------------------------------------------------------------


def karpathy_bug_mask_from_dhidden(params, X, y, reg):
    W, b, W2, b2 = params
    num_examples = X.shape[0]
    hidden_layer = np.maximum(0, np.dot(X, W) + b)
    scores = np.dot(hidden_layer, W2) + b2
    exp_scores = np.exp(scores)
    probs = exp_scores / np.sum(exp_scores, axis=1, keepdims=True)
    corect_logprobs = -np.log(probs[range(num_examples), y])
    data_loss = np.sum(corect_logprobs) / num_examples
    reg_loss = 0.5 * reg * np.sum(W * W) + 0.5 * reg * np.sum(W2 * W2)
    loss = data_loss + reg_loss
    dscores = probs
    dscores[range(num_examples), y] -= 1
    dscores /= num_examples
    dW2 = np.dot(hidden_layer.T, dscores)
    db2 = np.sum(dscores, axis=0, keepdims=True)
    dhidden = np.dot(dscores, W2.T)
    dhidden[dhidden <= 0] = 0  # BUG: mask from the gradient, not from hidden_layer
    dW = np.dot(X.T, dhidden)
    db = np.sum(dhidden, axis=0, keepdims=True)
    dW2 += reg * W2
    dW += reg * W
    return loss, [dW, db, dW2, db2]


def karpathy_bug_no_relu_backward(params, X, y, reg):
    W, b, W2, b2 = params
    num_examples = X.shape[0]
    hidden_layer = np.maximum(0, np.dot(X, W) + b)
    scores = np.dot(hidden_layer, W2) + b2
    exp_scores = np.exp(scores)
    probs = exp_scores / np.sum(exp_scores, axis=1, keepdims=True)
    corect_logprobs = -np.log(probs[range(num_examples), y])
    data_loss = np.sum(corect_logprobs) / num_examples
    reg_loss = 0.5 * reg * np.sum(W * W) + 0.5 * reg * np.sum(W2 * W2)
    loss = data_loss + reg_loss
    dscores = probs
    dscores[range(num_examples), y] -= 1
    dscores /= num_examples
    dW2 = np.dot(hidden_layer.T, dscores)
    db2 = np.sum(dscores, axis=0, keepdims=True)
    dhidden = np.dot(dscores, W2.T)
    # BUG: the ReLU non-linearity is not backpropagated (line forgotten)
    dW = np.dot(X.T, dhidden)
    db = np.sum(dhidden, axis=0, keepdims=True)
    dW2 += reg * W2
    dW += reg * W
    return loss, [dW, db, dW2, db2]


def karpathy_bug_dscores_not_divided(params, X, y, reg):
    W, b, W2, b2 = params
    num_examples = X.shape[0]
    hidden_layer = np.maximum(0, np.dot(X, W) + b)
    scores = np.dot(hidden_layer, W2) + b2
    exp_scores = np.exp(scores)
    probs = exp_scores / np.sum(exp_scores, axis=1, keepdims=True)
    corect_logprobs = -np.log(probs[range(num_examples), y])
    data_loss = np.sum(corect_logprobs) / num_examples
    reg_loss = 0.5 * reg * np.sum(W * W) + 0.5 * reg * np.sum(W2 * W2)
    loss = data_loss + reg_loss
    dscores = probs
    dscores[range(num_examples), y] -= 1
    # BUG: missing dscores /= num_examples
    dW2 = np.dot(hidden_layer.T, dscores)
    db2 = np.sum(dscores, axis=0, keepdims=True)
    dhidden = np.dot(dscores, W2.T)
    dhidden[hidden_layer <= 0] = 0
    dW = np.dot(X.T, dhidden)
    db = np.sum(dhidden, axis=0, keepdims=True)
    dW2 += reg * W2
    dW += reg * W
    return loss, [dW, db, dW2, db2]


def karpathy_bug_reg_grad_doubled(params, X, y, reg):
    W, b, W2, b2 = params
    num_examples = X.shape[0]
    hidden_layer = np.maximum(0, np.dot(X, W) + b)
    scores = np.dot(hidden_layer, W2) + b2
    exp_scores = np.exp(scores)
    probs = exp_scores / np.sum(exp_scores, axis=1, keepdims=True)
    corect_logprobs = -np.log(probs[range(num_examples), y])
    data_loss = np.sum(corect_logprobs) / num_examples
    reg_loss = 0.5 * reg * np.sum(W * W) + 0.5 * reg * np.sum(W2 * W2)
    loss = data_loss + reg_loss
    dscores = probs
    dscores[range(num_examples), y] -= 1
    dscores /= num_examples
    dW2 = np.dot(hidden_layer.T, dscores)
    db2 = np.sum(dscores, axis=0, keepdims=True)
    dhidden = np.dot(dscores, W2.T)
    dhidden[hidden_layer <= 0] = 0
    dW = np.dot(X.T, dhidden)
    db = np.sum(dhidden, axis=0, keepdims=True)
    dW2 += 2 * reg * W2  # BUG: d/dW of 0.5*reg*W^2 is reg*W, not 2*reg*W
    dW += 2 * reg * W
    return loss, [dW, db, dW2, db2]


def karpathy_bug_reg_grad_missing_W2(params, X, y, reg):
    W, b, W2, b2 = params
    num_examples = X.shape[0]
    hidden_layer = np.maximum(0, np.dot(X, W) + b)
    scores = np.dot(hidden_layer, W2) + b2
    exp_scores = np.exp(scores)
    probs = exp_scores / np.sum(exp_scores, axis=1, keepdims=True)
    corect_logprobs = -np.log(probs[range(num_examples), y])
    data_loss = np.sum(corect_logprobs) / num_examples
    reg_loss = 0.5 * reg * np.sum(W * W) + 0.5 * reg * np.sum(W2 * W2)
    loss = data_loss + reg_loss
    dscores = probs
    dscores[range(num_examples), y] -= 1
    dscores /= num_examples
    dW2 = np.dot(hidden_layer.T, dscores)
    db2 = np.sum(dscores, axis=0, keepdims=True)
    dhidden = np.dot(dscores, W2.T)
    dhidden[hidden_layer <= 0] = 0
    dW = np.dot(X.T, dhidden)
    db = np.sum(dhidden, axis=0, keepdims=True)
    # BUG: forgot dW2 += reg * W2
    dW += reg * W
    return loss, [dW, db, dW2, db2]


def karpathy_bug_W2_not_transposed(params, X, y, reg):
    W, b, W2, b2 = params
    num_examples = X.shape[0]
    hidden_layer = np.maximum(0, np.dot(X, W) + b)
    scores = np.dot(hidden_layer, W2) + b2
    exp_scores = np.exp(scores)
    probs = exp_scores / np.sum(exp_scores, axis=1, keepdims=True)
    corect_logprobs = -np.log(probs[range(num_examples), y])
    data_loss = np.sum(corect_logprobs) / num_examples
    reg_loss = 0.5 * reg * np.sum(W * W) + 0.5 * reg * np.sum(W2 * W2)
    loss = data_loss + reg_loss
    dscores = probs
    dscores[range(num_examples), y] -= 1
    dscores /= num_examples
    dW2 = np.dot(hidden_layer.T, dscores)
    db2 = np.sum(dscores, axis=0, keepdims=True)
    dhidden = np.dot(dscores, W2)  # BUG: W2 instead of W2.T (runs because h == K)
    dhidden[hidden_layer <= 0] = 0
    dW = np.dot(X.T, dhidden)
    db = np.sum(dhidden, axis=0, keepdims=True)
    dW2 += reg * W2
    dW += reg * W
    return loss, [dW, db, dW2, db2]


def karpathy_bug_loss_not_averaged(params, X, y, reg):
    W, b, W2, b2 = params
    num_examples = X.shape[0]
    hidden_layer = np.maximum(0, np.dot(X, W) + b)
    scores = np.dot(hidden_layer, W2) + b2
    exp_scores = np.exp(scores)
    probs = exp_scores / np.sum(exp_scores, axis=1, keepdims=True)
    corect_logprobs = -np.log(probs[range(num_examples), y])
    data_loss = np.sum(corect_logprobs)  # BUG: not divided by num_examples
    reg_loss = 0.5 * reg * np.sum(W * W) + 0.5 * reg * np.sum(W2 * W2)
    loss = data_loss + reg_loss
    dscores = probs
    dscores[range(num_examples), y] -= 1
    dscores /= num_examples
    dW2 = np.dot(hidden_layer.T, dscores)
    db2 = np.sum(dscores, axis=0, keepdims=True)
    dhidden = np.dot(dscores, W2.T)
    dhidden[hidden_layer <= 0] = 0
    dW = np.dot(X.T, dhidden)
    db = np.sum(dhidden, axis=0, keepdims=True)
    dW2 += reg * W2
    dW += reg * W
    return loss, [dW, db, dW2, db2]


def karpathy_bug_loss_after_dscores(params, X, y, reg):
    W, b, W2, b2 = params
    num_examples = X.shape[0]
    hidden_layer = np.maximum(0, np.dot(X, W) + b)
    scores = np.dot(hidden_layer, W2) + b2
    exp_scores = np.exp(scores)
    probs = exp_scores / np.sum(exp_scores, axis=1, keepdims=True)
    dscores = probs
    dscores[range(num_examples), y] -= 1
    dscores /= num_examples
    # BUG: loss computed after dscores = probs was modified in place (aliasing) -> log(<0)
    corect_logprobs = -np.log(probs[range(num_examples), y])
    data_loss = np.sum(corect_logprobs) / num_examples
    reg_loss = 0.5 * reg * np.sum(W * W) + 0.5 * reg * np.sum(W2 * W2)
    loss = data_loss + reg_loss
    dW2 = np.dot(hidden_layer.T, dscores)
    db2 = np.sum(dscores, axis=0, keepdims=True)
    dhidden = np.dot(dscores, W2.T)
    dhidden[hidden_layer <= 0] = 0
    dW = np.dot(X.T, dhidden)
    db = np.sum(dhidden, axis=0, keepdims=True)
    dW2 += reg * W2
    dW += reg * W
    return loss, [dW, db, dW2, db2]


def karpathy_bug_mask_without_bias(params, X, y, reg):
    W, b, W2, b2 = params
    num_examples = X.shape[0]
    hidden_layer = np.maximum(0, np.dot(X, W) + b)
    scores = np.dot(hidden_layer, W2) + b2
    exp_scores = np.exp(scores)
    probs = exp_scores / np.sum(exp_scores, axis=1, keepdims=True)
    corect_logprobs = -np.log(probs[range(num_examples), y])
    data_loss = np.sum(corect_logprobs) / num_examples
    reg_loss = 0.5 * reg * np.sum(W * W) + 0.5 * reg * np.sum(W2 * W2)
    loss = data_loss + reg_loss
    dscores = probs
    dscores[range(num_examples), y] -= 1
    dscores /= num_examples
    dW2 = np.dot(hidden_layer.T, dscores)
    db2 = np.sum(dscores, axis=0, keepdims=True)
    dhidden = np.dot(dscores, W2.T)
    dhidden[np.dot(X, W) <= 0] = 0  # BUG: mask recomputed without the bias b
    dW = np.dot(X.T, dhidden)
    db = np.sum(dhidden, axis=0, keepdims=True)
    dW2 += reg * W2
    dW += reg * W
    return loss, [dW, db, dW2, db2]


def karpathy_bug_softmax_global_sum(params, X, y, reg):
    W, b, W2, b2 = params
    num_examples = X.shape[0]
    hidden_layer = np.maximum(0, np.dot(X, W) + b)
    scores = np.dot(hidden_layer, W2) + b2
    exp_scores = np.exp(scores)
    probs = exp_scores / np.sum(exp_scores)  # BUG: forgot axis=1, keepdims=True
    corect_logprobs = -np.log(probs[range(num_examples), y])
    data_loss = np.sum(corect_logprobs) / num_examples
    reg_loss = 0.5 * reg * np.sum(W * W) + 0.5 * reg * np.sum(W2 * W2)
    loss = data_loss + reg_loss
    dscores = probs
    dscores[range(num_examples), y] -= 1
    dscores /= num_examples
    dW2 = np.dot(hidden_layer.T, dscores)
    db2 = np.sum(dscores, axis=0, keepdims=True)
    dhidden = np.dot(dscores, W2.T)
    dhidden[hidden_layer <= 0] = 0
    dW = np.dot(X.T, dhidden)
    db = np.sum(dhidden, axis=0, keepdims=True)
    dW2 += reg * W2
    dW += reg * W
    return loss, [dW, db, dW2, db2]


def karpathy_bug_dW2_from_preactivation(params, X, y, reg):
    W, b, W2, b2 = params
    num_examples = X.shape[0]
    z = np.dot(X, W) + b
    hidden_layer = np.maximum(0, z)
    scores = np.dot(hidden_layer, W2) + b2
    exp_scores = np.exp(scores)
    probs = exp_scores / np.sum(exp_scores, axis=1, keepdims=True)
    corect_logprobs = -np.log(probs[range(num_examples), y])
    data_loss = np.sum(corect_logprobs) / num_examples
    reg_loss = 0.5 * reg * np.sum(W * W) + 0.5 * reg * np.sum(W2 * W2)
    loss = data_loss + reg_loss
    dscores = probs
    dscores[range(num_examples), y] -= 1
    dscores /= num_examples
    dW2 = np.dot(z.T, dscores)  # BUG: pre-activation z instead of hidden_layer
    db2 = np.sum(dscores, axis=0, keepdims=True)
    dhidden = np.dot(dscores, W2.T)
    dhidden[hidden_layer <= 0] = 0
    dW = np.dot(X.T, dhidden)
    db = np.sum(dhidden, axis=0, keepdims=True)
    dW2 += reg * W2
    dW += reg * W
    return loss, [dW, db, dW2, db2]


def karpathy_bug_reg_on_b(params, X, y, reg):
    W, b, W2, b2 = params
    num_examples = X.shape[0]
    hidden_layer = np.maximum(0, np.dot(X, W) + b)
    scores = np.dot(hidden_layer, W2) + b2
    exp_scores = np.exp(scores)
    probs = exp_scores / np.sum(exp_scores, axis=1, keepdims=True)
    corect_logprobs = -np.log(probs[range(num_examples), y])
    data_loss = np.sum(corect_logprobs) / num_examples
    reg_loss = 0.5 * reg * np.sum(W * W) + 0.5 * reg * np.sum(W2 * W2)
    loss = data_loss + reg_loss
    dscores = probs
    dscores[range(num_examples), y] -= 1
    dscores /= num_examples
    dW2 = np.dot(hidden_layer.T, dscores)
    db2 = np.sum(dscores, axis=0, keepdims=True)
    dhidden = np.dot(dscores, W2.T)
    dhidden[hidden_layer <= 0] = 0
    dW = np.dot(X.T, dhidden)
    db = np.sum(dhidden, axis=0, keepdims=True)
    dW2 += reg * W2
    dW += reg * W
    db += reg * b  # BUG: b is not regularised in the loss
    return loss, [dW, db, dW2, db2]


def karpathy_bug_return_order(params, X, y, reg):
    W, b, W2, b2 = params
    num_examples = X.shape[0]
    hidden_layer = np.maximum(0, np.dot(X, W) + b)
    scores = np.dot(hidden_layer, W2) + b2
    exp_scores = np.exp(scores)
    probs = exp_scores / np.sum(exp_scores, axis=1, keepdims=True)
    corect_logprobs = -np.log(probs[range(num_examples), y])
    data_loss = np.sum(corect_logprobs) / num_examples
    reg_loss = 0.5 * reg * np.sum(W * W) + 0.5 * reg * np.sum(W2 * W2)
    loss = data_loss + reg_loss
    dscores = probs
    dscores[range(num_examples), y] -= 1
    dscores /= num_examples
    dW2 = np.dot(hidden_layer.T, dscores)
    db2 = np.sum(dscores, axis=0, keepdims=True)
    dhidden = np.dot(dscores, W2.T)
    dhidden[hidden_layer <= 0] = 0
    dW = np.dot(X.T, dhidden)
    db = np.sum(dhidden, axis=0, keepdims=True)
    dW2 += reg * W2
    dW += reg * W
    return loss, [dW, dW2, db, db2]  # BUG: params are [W, b, W2, b2]


def karpathy_bug_update_before_backprop(params, X, y, reg, step_size=1e-0):
    W, b, W2, b2 = params
    num_examples = X.shape[0]
    hidden_layer = np.maximum(0, np.dot(X, W) + b)
    scores = np.dot(hidden_layer, W2) + b2
    exp_scores = np.exp(scores)
    probs = exp_scores / np.sum(exp_scores, axis=1, keepdims=True)
    corect_logprobs = -np.log(probs[range(num_examples), y])
    data_loss = np.sum(corect_logprobs) / num_examples
    reg_loss = 0.5 * reg * np.sum(W * W) + 0.5 * reg * np.sum(W2 * W2)
    loss = data_loss + reg_loss
    dscores = probs
    dscores[range(num_examples), y] -= 1
    dscores /= num_examples
    dW2 = np.dot(hidden_layer.T, dscores) + reg * W2
    db2 = np.sum(dscores, axis=0, keepdims=True)
    # BUG: second layer updated in place before backpropagating through it
    W2 += -step_size * dW2
    b2 += -step_size * db2
    dhidden = np.dot(dscores, W2.T)
    dhidden[hidden_layer <= 0] = 0
    dW = np.dot(X.T, dhidden) + reg * W
    db = np.sum(dhidden, axis=0, keepdims=True)
    return loss, [dW, db, dW2, db2]


def karpathy_bug_N_from_shape1(params, X, y, reg):
    W, b, W2, b2 = params
    num_examples = X.shape[1]  # BUG: X.shape[1] is the dimension D, not the number of examples
    hidden_layer = np.maximum(0, np.dot(X, W) + b)
    scores = np.dot(hidden_layer, W2) + b2
    exp_scores = np.exp(scores)
    probs = exp_scores / np.sum(exp_scores, axis=1, keepdims=True)
    corect_logprobs = -np.log(probs[range(X.shape[0]), y])
    data_loss = np.sum(corect_logprobs) / num_examples
    reg_loss = 0.5 * reg * np.sum(W * W) + 0.5 * reg * np.sum(W2 * W2)
    loss = data_loss + reg_loss
    dscores = probs
    dscores[range(X.shape[0]), y] -= 1
    dscores /= num_examples
    dW2 = np.dot(hidden_layer.T, dscores)
    db2 = np.sum(dscores, axis=0, keepdims=True)
    dhidden = np.dot(dscores, W2.T)
    dhidden[hidden_layer <= 0] = 0
    dW = np.dot(X.T, dhidden)
    db = np.sum(dhidden, axis=0, keepdims=True)
    dW2 += reg * W2
    dW += reg * W
    return loss, [dW, db, dW2, db2]


def karpathy_bug_db2_divided_again(params, X, y, reg):
    W, b, W2, b2 = params
    num_examples = X.shape[0]
    hidden_layer = np.maximum(0, np.dot(X, W) + b)
    scores = np.dot(hidden_layer, W2) + b2
    exp_scores = np.exp(scores)
    probs = exp_scores / np.sum(exp_scores, axis=1, keepdims=True)
    corect_logprobs = -np.log(probs[range(num_examples), y])
    data_loss = np.sum(corect_logprobs) / num_examples
    reg_loss = 0.5 * reg * np.sum(W * W) + 0.5 * reg * np.sum(W2 * W2)
    loss = data_loss + reg_loss
    dscores = probs
    dscores[range(num_examples), y] -= 1
    dscores /= num_examples
    dW2 = np.dot(hidden_layer.T, dscores)
    db2 = np.sum(dscores, axis=0, keepdims=True) / num_examples  # BUG: divided by N twice
    dhidden = np.dot(dscores, W2.T)
    dhidden[hidden_layer <= 0] = 0
    dW = np.dot(X.T, dhidden)
    db = np.sum(dhidden, axis=0, keepdims=True)
    dW2 += reg * W2
    dW += reg * W
    return loss, [dW, db, dW2, db2]


def karpathy_bug_dW_before_mask(params, X, y, reg):
    W, b, W2, b2 = params
    num_examples = X.shape[0]
    hidden_layer = np.maximum(0, np.dot(X, W) + b)
    scores = np.dot(hidden_layer, W2) + b2
    exp_scores = np.exp(scores)
    probs = exp_scores / np.sum(exp_scores, axis=1, keepdims=True)
    corect_logprobs = -np.log(probs[range(num_examples), y])
    data_loss = np.sum(corect_logprobs) / num_examples
    reg_loss = 0.5 * reg * np.sum(W * W) + 0.5 * reg * np.sum(W2 * W2)
    loss = data_loss + reg_loss
    dscores = probs
    dscores[range(num_examples), y] -= 1
    dscores /= num_examples
    dW2 = np.dot(hidden_layer.T, dscores)
    db2 = np.sum(dscores, axis=0, keepdims=True)
    dhidden = np.dot(dscores, W2.T)
    dW = np.dot(X.T, dhidden)  # BUG: computed before the ReLU mask is applied
    dhidden[hidden_layer <= 0] = 0
    db = np.sum(dhidden, axis=0, keepdims=True)
    dW2 += reg * W2
    dW += reg * W
    return loss, [dW, db, dW2, db2]


def karpathy_bug_relu_mask_on_dscores(params, X, y, reg):
    W, b, W2, b2 = params
    num_examples = X.shape[0]
    hidden_layer = np.maximum(0, np.dot(X, W) + b)
    scores = np.dot(hidden_layer, W2) + b2
    exp_scores = np.exp(scores)
    probs = exp_scores / np.sum(exp_scores, axis=1, keepdims=True)
    corect_logprobs = -np.log(probs[range(num_examples), y])
    data_loss = np.sum(corect_logprobs) / num_examples
    reg_loss = 0.5 * reg * np.sum(W * W) + 0.5 * reg * np.sum(W2 * W2)
    loss = data_loss + reg_loss
    dscores = probs
    dscores[range(num_examples), y] -= 1
    dscores /= num_examples
    # BUG: the ReLU backward is applied to the output layer (scores) instead of the hidden layer
    dscores[scores <= 0] = 0
    dW2 = np.dot(hidden_layer.T, dscores)
    db2 = np.sum(dscores, axis=0, keepdims=True)
    dhidden = np.dot(dscores, W2.T)
    dW = np.dot(X.T, dhidden)
    db = np.sum(dhidden, axis=0, keepdims=True)
    dW2 += reg * W2
    dW += reg * W
    return loss, [dW, db, dW2, db2]


_ALL4 = {"W0", "b0", "W1", "b1"}

_case("karpathy_bug_mask_from_dhidden",
      _make_karpathy(karpathy_bug_mask_from_dhidden, 110, 10, 3, 8, 1e-3),
      bug="The ReLU backward mask is taken from dhidden itself instead of hidden_layer.",
      wrong={"W0", "b0"}, penalty=0.5)
_case("karpathy_bug_no_relu_backward",
      _make_karpathy(karpathy_bug_no_relu_backward, 111, 9, 3, 7, 1e-2),
      bug="The line dhidden[hidden_layer <= 0] = 0 is missing, so the ReLU derivative is "
          "forgotten.",
      wrong={"W0", "b0"}, penalty=0.5)
_case("karpathy_bug_dscores_not_divided",
      _make_karpathy(karpathy_bug_dscores_not_divided, 112, 7, 3, 9, 1e-3),
      bug="The loss is averaged over the examples but dscores is not divided by num_examples.",
      wrong=_ALL4, penalty=0.5)
_case("karpathy_bug_reg_grad_doubled",
      _make_karpathy(karpathy_bug_reg_grad_doubled, 113, 10, 3, 6, 0.2),
      bug="The loss uses 0.5 * reg * sum(W^2) but the gradient adds 2 * reg * W.",
      wrong={"W0", "W1"}, penalty=0.5,
      also=_LOSS_GRAD_DISAGREE + " (the gradient follows the reg convention, the loss the "
           "0.5 * reg convention)")
_case("karpathy_bug_reg_grad_missing_W2",
      _make_karpathy(karpathy_bug_reg_grad_missing_W2, 114, 8, 3, 10, 0.3),
      bug="The regularisation gradient reg * W2 is never added to dW2.",
      wrong={"W1"}, penalty=0.5)
_case("karpathy_bug_W2_not_transposed",
      _make_karpathy(karpathy_bug_W2_not_transposed, 115, 6, 4, 4, 1e-3),
      bug="The hidden-layer gradient uses np.dot(dscores, W2) instead of W2.T; it runs only "
          "because h == K.",
      wrong={"W0", "b0"}, penalty=0.5)
_case("karpathy_bug_loss_not_averaged",
      _make_karpathy(karpathy_bug_loss_not_averaged, 116, 8, 3, 8, 1e-2),
      bug="The data loss is summed instead of averaged over the examples, while dscores is "
          "still divided by num_examples.",
      wrong=set(), penalty=0.5,
      also=_LOSS_GRAD_DISAGREE + " (the loss is summed over examples, the gradient averaged)")
_case("karpathy_bug_loss_after_dscores",
      _make_karpathy(karpathy_bug_loss_after_dscores, 117, 9, 3, 7, 1e-3),
      bug="The loss is computed after dscores = probs was modified in place, so it takes the "
          "log of p - 1 < 0 and is NaN (the gradients are fine).",
      wrong=set(), penalty=0.5,
      also="the returned loss is NaN; " + _LOSS_GRAD_DISAGREE)
_case("karpathy_bug_mask_without_bias",
      _make_karpathy(karpathy_bug_mask_without_bias, 118, 10, 3, 9, 1e-3, bias_scale=0.8),
      bug="The ReLU mask is recomputed as np.dot(X, W) <= 0, forgetting the bias b.",
      wrong={"W0", "b0"}, penalty=0.5)
_case("karpathy_bug_softmax_global_sum",
      _make_karpathy(karpathy_bug_softmax_global_sum, 119, 7, 3, 8, 1e-3),
      bug="The softmax divides by the sum over the whole score matrix instead of per row.",
      wrong=_ALL4, penalty=0.5,
      also="the loss itself is not the softmax cross-entropy")
_case("karpathy_bug_dW2_from_preactivation",
      _make_karpathy(karpathy_bug_dW2_from_preactivation, 120, 10, 3, 9, 1e-3),
      bug="dW2 is computed from the pre-activation X.W + b instead of the ReLU output.",
      wrong={"W1"}, penalty=0.5)
_case("karpathy_bug_reg_on_b",
      _make_karpathy(karpathy_bug_reg_on_b, 121, 8, 3, 11, 0.2),
      bug="The gradient adds reg * b to db although the loss does not regularise b.",
      wrong={"b0"}, penalty=0.5,
      also=_LOSS_GRAD_DISAGREE + " (the gradient penalises b, the loss does not)")
_case("karpathy_bug_return_order",
      _make_karpathy(karpathy_bug_return_order, 122, 9, 3, 6, 1e-3),
      bug="The gradients are returned as [dW, dW2, db, db2] while the params are "
          "[W, b, W2, b2].",
      wrong={"b0", "W1"}, penalty=0.5,
      also="the gradient list is in a different order from params (shapes do not match)")
_case("karpathy_bug_update_before_backprop",
      _make_karpathy(karpathy_bug_update_before_backprop, 123, 10, 3, 8, 1e-3),
      bug="W2 and b2 are updated in place before backpropagating into the hidden layer, so "
          "dhidden uses the new W2.",
      wrong={"W0", "b0"}, penalty=0.5,
      also="grad_fn modifies params in place")
_case("karpathy_bug_N_from_shape1",
      _make_karpathy(karpathy_bug_N_from_shape1, 124, 9, 3, 7, 1e-2),
      bug="num_examples is taken from X.shape[1] (the input dimension) instead of X.shape[0], "
          "so loss and gradient divide by D instead of N.",
      wrong=_ALL4, penalty=0.5,
      also="the loss is not averaged over the N examples (it is divided by D = 2)")
_case("karpathy_bug_db2_divided_again",
      _make_karpathy(karpathy_bug_db2_divided_again, 125, 8, 3, 10, 1e-3),
      bug="db2 is divided by num_examples again although dscores already was.",
      wrong={"b1"}, penalty=0.5)
_case("karpathy_bug_dW_before_mask",
      _make_karpathy(karpathy_bug_dW_before_mask, 126, 10, 3, 8, 1e-3),
      bug="dW is computed from dhidden before the ReLU mask is applied (db is computed after).",
      wrong={"W0"}, penalty=0.5)
_case("karpathy_bug_relu_mask_on_dscores",
      _make_karpathy(karpathy_bug_relu_mask_on_dscores, 127, 9, 3, 9, 1e-3),
      bug="The ReLU backward is applied to dscores (masked by scores <= 0) instead of to "
          "dhidden, i.e. the derivative is put on the wrong layer.",
      wrong=_ALL4, penalty=0.5)


# ============================================================================================
# Self-check: python tests/gallery/cs231n_karpathy.py
# ============================================================================================


def _named(x):
    """Arrays by the user's names: dict keys, or W0, b0, W1, b1, ... for lists and tuples."""
    if isinstance(x, dict):
        return dict(x)
    return {("W" if i % 2 == 0 else "b") + str(i // 2): a for i, a in enumerate(x)}


def _layers(params):
    if isinstance(params, dict):
        n = len(params) // 2
        return [(params["W%d" % i], params["b%d" % i]) for i in range(1, n + 1)]
    seq = list(params)
    return [(seq[2 * i], seq[2 * i + 1]) for i in range(len(seq) // 2)]


def _deepcopy(params):
    if isinstance(params, dict):
        return {k: np.array(v, dtype=np.float64, copy=True) for k, v in params.items()}
    return type(params)(np.array(v, dtype=np.float64, copy=True) for v in params)


_ACT = {
    "identity": lambda z: z,
    "relu": lambda z: np.maximum(z, 0),
    "leaky_relu": lambda z: np.where(z > 0, z, 0.01 * z),
    "tanh": np.tanh,
    "logistic": lambda z: 1 / (1 + np.exp(-z)),
}


def _textbook_loss(params, X, Y, kw, factor):
    """Independent reference: mean softmax cross-entropy + factor * alpha * sum of W^2."""
    assert kw["output"] == "softmax" and kw["loss"] == "cross_entropy"
    layers = _layers(params)
    h = np.asarray(X, dtype=np.float64)
    for i, (W, b) in enumerate(layers):
        z = h @ W + np.reshape(b, (1, -1))
        h = _ACT[kw["activation"]](z) if i < len(layers) - 1 else z
    N, C = h.shape
    Y = np.asarray(Y)
    T = np.eye(C)[Y.astype(int)] if Y.ndim == 1 else Y.astype(np.float64)
    m = h.max(axis=1, keepdims=True)
    lse = m[:, 0] + np.log(np.exp(h - m).sum(axis=1))
    data = np.mean(lse - np.sum(T * h, axis=1))
    return data + factor * kw["alpha"] * sum(np.sum(W * W) for W, _ in layers)


def _numerical_grad(f, params, eps=1e-6):
    p = _deepcopy(params)
    out = {}
    for name, a in _named(p).items():
        g = np.zeros_like(a)
        for idx in np.ndindex(a.shape):
            old = a[idx]
            a[idx] = old + eps
            fp = f(p)
            a[idx] = old - eps
            fm = f(p)
            a[idx] = old
            g[idx] = (fp - fm) / (2 * eps)
        out[name] = g
    return out


def _split(out):
    if isinstance(out, tuple) and len(out) == 2 and np.ndim(out[0]) == 0:
        return float(out[0]), out[1]
    return None, out


def _rel(a, b):
    a = np.asarray(a, dtype=np.float64)
    if a.shape != b.shape or not np.all(np.isfinite(a)):
        return np.inf
    den = max(np.linalg.norm(a), np.linalg.norm(b), 1e-12)
    return np.linalg.norm(a - b) / den


def _same(a, b):
    return all(np.array_equal(np.asarray(u), np.asarray(v)) for u, v in zip(a, b))


def _self_check():
    names = [c["name"] for c in CASES]
    assert len(names) == len(set(names)), "duplicate case names"
    failures = []
    counts = {}
    for case in CASES:
        name = case["name"]
        style = name.split("_")[0]
        key = (style, "correct" if case["bug"] is None else "buggy")
        counts[key] = counts.get(key, 0) + 1
        grad_fn, params, X, Y, kw = case["make"]()
        grad_fn2, params2, X2, Y2, _ = case["make"]()
        problems = []
        if not (np.array_equal(X, X2) and np.array_equal(Y, Y2)
                and _same(_named(params).values(), _named(params2).values())):
            problems.append("make() is not reproducible")
        N, D = X.shape
        sizes = [W.shape for W, _ in _layers(params)]
        dims = [D] + [s[1] for s in sizes]
        if not (5 <= N <= 40 and max(dims) < 20 and len(set(dims)) > 1):
            problems.append("sizes out of range: N=%d dims=%s" % (N, dims))
        if set(kw) != {"activation", "output", "loss", "alpha"}:
            problems.append("bad kwargs %s" % kw)
        P0, X0, Y0 = _deepcopy(params), X.copy(), np.array(Y, copy=True)

        Xc, Yc, Pc = X0.copy(), Y0.copy(), _deepcopy(P0)
        with np.errstate(all="ignore"):
            try:
                out = grad_fn(Pc, Xc, Yc)
            except Exception as exc:
                failures.append("%s: grad_fn raised %r" % (name, exc))
                continue
        loss, grads = _split(out)
        x_written = not np.array_equal(Xc, X0)
        p_written = not _same(_named(Pc).values(), _named(P0).values())
        also = case["also"] or ""
        if x_written != ("writes into X" in also):
            problems.append("X written=%s but 'also' says %r" % (x_written, also))
        if p_written != ("modifies params" in also):
            problems.append("params written=%s but 'also' says %r" % (p_written, also))
        if isinstance(params, dict) != isinstance(grads, dict):
            problems.append("grads container type differs from params")
        g_named = _named(grads)
        if set(g_named) != set(_named(params)):
            problems.append("grad names %s != param names" % sorted(g_named))

        factor = _PENALTY[name]
        ref = _numerical_grad(lambda p: _textbook_loss(p, X0, Y0, kw, factor), P0)
        differing, unclear = set(), []
        for k, r in ref.items():
            e = _rel(g_named.get(k), r)
            if e > 1e-4:
                differing.add(k)
            elif e > 1e-6:
                unclear.append("%s rel err %.2e" % (k, e))
        if unclear:
            problems.append("ambiguous: " + ", ".join(unclear))
        if differing != case["wrong"]:
            problems.append("differing %s != wrong %s" % (sorted(differing), sorted(case["wrong"])))

        ref_loss = _textbook_loss(P0, X0, Y0, kw, factor)
        if case["bug"] is None:
            if case["wrong"] or case["also"]:
                problems.append("correct case with wrong/also set")
            if loss is not None:
                if abs(loss - ref_loss) > 1e-9 * max(1.0, abs(ref_loss)):
                    problems.append("loss %r != textbook %r" % (loss, ref_loss))

                def own(p):
                    return _split(grad_fn(_deepcopy(p), X0.copy(), Y0.copy()))[0]

                own_fd = _numerical_grad(own, P0)
                for k, r in own_fd.items():
                    if _rel(g_named[k], r) > 1e-6:
                        problems.append("%s disagrees with FD of its own loss" % k)
            for k, g in g_named.items():
                if np.asarray(g).dtype != np.float64:
                    problems.append("%s not float64" % k)
        else:
            if not case["wrong"] and not case["also"]:
                problems.append("bug with no wrong gradient must say something in 'also'")
            if "disagree" in also and loss is not None:
                with np.errstate(all="ignore"):
                    own_fd = _numerical_grad(
                        lambda p: _split(grad_fn(_deepcopy(p), X0.copy(), Y0.copy()))[0], P0)
                if all(_rel(g_named.get(k), r) < 1e-6 for k, r in own_fd.items()):
                    problems.append("claims loss/gradient disagree but they agree")
        status = "ok " if not problems else "FAIL"
        print("%s %-45s loss=%-12s differ=%s" % (
            status, name, "n/a" if loss is None else "%.5g" % loss, sorted(differing)))
        failures += ["%s: %s" % (name, p) for p in problems]
    print()
    for key in sorted(counts):
        print("%-10s %-8s %d" % (key[0], key[1], counts[key]))
    if failures:
        print("\n".join(["", "FAILURES:"] + failures))
        raise SystemExit(1)
    print("all %d cases pass the self-check" % len(CASES))


if __name__ == "__main__":
    _self_check()
