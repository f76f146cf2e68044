"""Held-out gallery: torch tensors with a hand-written backward, handing over intermediates.

A state_dict-like ``{"fc1.weight": (7, 5), "fc1.bias": (7,), "fc2.weight": (7, 7), ...,
"fc3.weight": (3, 7)}`` in torch's layout (z = h W^T + b), two hidden layers of equal width, a
softmax output with cross-entropy (``F.cross_entropy``, averaged over the batch) and L2
``alpha / 2 * sum ||W||^2`` on the weights. The backward is arithmetic under ``torch.no_grad()``
(no autograd); ``grad_fn`` returns ``(loss, grads, intermediates)`` with the intermediates named
``dprobs, dlogits, dh2, dz2, dh1, dz1, dx`` (``NODES`` maps them to the checker's node names).

Also here, as correct cases: the same model computed in float32 from float64 parameters (the
user converts inside and returns float64), a textbook-style one-hidden-layer net in torch
layout with scikit-learn's L2 (``alpha / (2n) * sum ||W||^2``), and Karpathy's spiral-data net
from CS231n's case study (NumPy, ReLU, ``0.5 * reg * np.sum(W * W)``, zero biases; the spiral
holds three points at the origin, where the ReLU sits on its kink).

Each planted mistake is a whole ``loss_and_backward`` written again with one slip. Written
without reading the checker.
"""

import numpy as np
import torch
import torch.nn.functional as F

from tests.gallery import heldout_tools

NODES = {"dprobs": "p", "dlogits": "z3", "dh2": "h2", "dz2": "z2", "dh1": "h1", "dz1": "z1",
         "dx": "x"}
NODE_ORDER = ("p", "z3", "h2", "z2", "h1", "z1", "x")
ALPHA = 0.05
EXPECT = {"batch": "mean", "l2": "alpha/2 * sum W^2", "l2_biases": False}


def forward_relu(params, x):
    z1 = x @ params["fc1.weight"].T + params["fc1.bias"]
    h1 = torch.relu(z1)
    z2 = h1 @ params["fc2.weight"].T + params["fc2.bias"]
    h2 = torch.relu(z2)
    logits = h2 @ params["fc3.weight"].T + params["fc3.bias"]
    return logits, (z1, h1, z2, h2)


def forward_tanh(params, x):
    z1 = x @ params["fc1.weight"].T + params["fc1.bias"]
    h1 = torch.tanh(z1)
    z2 = h1 @ params["fc2.weight"].T + params["fc2.bias"]
    h2 = torch.tanh(z2)
    logits = h2 @ params["fc3.weight"].T + params["fc3.bias"]
    return logits, (z1, h1, z2, h2)


def l2(params, alpha):
    return alpha / 2 * sum(p.pow(2).sum() for k, p in params.items() if k.endswith("weight"))


def _pack(dW1, db1, dW2, db2, dW3, db3, dprobs, dlogits, dh2, dz2, dh1, dz1, dx):
    grads = {"fc1.weight": dW1, "fc1.bias": db1, "fc2.weight": dW2, "fc2.bias": db2,
             "fc3.weight": dW3, "fc3.bias": db3}
    inter = {"dprobs": dprobs, "dlogits": dlogits, "dh2": dh2, "dz2": dz2, "dh1": dh1,
             "dz1": dz1, "dx": dx}
    return grads, inter


# ------------------------------------------------------------------------------------------------
# The ReLU model: correct, then each slip
# ------------------------------------------------------------------------------------------------


def loss_and_backward(params, x, y, alpha):
    with torch.no_grad():
        logits, (z1, h1, z2, h2) = forward_relu(params, x)
        loss = F.cross_entropy(logits, y) + l2(params, alpha)
        W1, W2, W3 = params["fc1.weight"], params["fc2.weight"], params["fc3.weight"]
        n = x.shape[0]
        probs = torch.softmax(logits, dim=1)
        onehot = F.one_hot(y, probs.shape[1]).to(probs.dtype)
        dprobs = -onehot / probs / n
        dlogits = (probs - onehot) / n
        dW3 = dlogits.T @ h2 + alpha * W3
        db3 = dlogits.sum(0)
        dh2 = dlogits @ W3
        dz2 = dh2 * (z2 > 0)
        dW2 = dz2.T @ h1 + alpha * W2
        db2 = dz2.sum(0)
        dh1 = dz2 @ W2
        dz1 = dh1 * (z1 > 0)
        dW1 = dz1.T @ x + alpha * W1
        db1 = dz1.sum(0)
        dx = dz1 @ W1
    return (loss,) + _pack(dW1, db1, dW2, db2, dW3, db3, dprobs, dlogits, dh2, dz2, dh1, dz1, dx)


def loss_and_backward__mask_of_layer_above(params, x, y, alpha):
    with torch.no_grad():
        logits, (z1, h1, z2, h2) = forward_relu(params, x)
        loss = F.cross_entropy(logits, y) + l2(params, alpha)
        W1, W2, W3 = params["fc1.weight"], params["fc2.weight"], params["fc3.weight"]
        n = x.shape[0]
        probs = torch.softmax(logits, dim=1)
        onehot = F.one_hot(y, probs.shape[1]).to(probs.dtype)
        dprobs = -onehot / probs / n
        dlogits = (probs - onehot) / n
        dW3 = dlogits.T @ h2 + alpha * W3
        db3 = dlogits.sum(0)
        dh2 = dlogits @ W3
        dz2 = dh2 * (z2 > 0)
        dW2 = dz2.T @ h1 + alpha * W2
        db2 = dz2.sum(0)
        dh1 = dz2 @ W2
        dz1 = dh1 * (z2 > 0)
        dW1 = dz1.T @ x + alpha * W1
        db1 = dz1.sum(0)
        dx = dz1 @ W1
    return (loss,) + _pack(dW1, db1, dW2, db2, dW3, db3, dprobs, dlogits, dh2, dz2, dh1, dz1, dx)


def loss_and_backward__dh1_transposed(params, x, y, alpha):
    with torch.no_grad():
        logits, (z1, h1, z2, h2) = forward_relu(params, x)
        loss = F.cross_entropy(logits, y) + l2(params, alpha)
        W1, W2, W3 = params["fc1.weight"], params["fc2.weight"], params["fc3.weight"]
        n = x.shape[0]
        probs = torch.softmax(logits, dim=1)
        onehot = F.one_hot(y, probs.shape[1]).to(probs.dtype)
        dprobs = -onehot / probs / n
        dlogits = (probs - onehot) / n
        dW3 = dlogits.T @ h2 + alpha * W3
        db3 = dlogits.sum(0)
        dh2 = dlogits @ W3
        dz2 = dh2 * (z2 > 0)
        dW2 = dz2.T @ h1 + alpha * W2
        db2 = dz2.sum(0)
        dh1 = dz2 @ W2.T
        dz1 = dh1 * (z1 > 0)
        dW1 = dz1.T @ x + alpha * W1
        db1 = dz1.sum(0)
        dx = dz1 @ W1
    return (loss,) + _pack(dW1, db1, dW2, db2, dW3, db3, dprobs, dlogits, dh2, dz2, dh1, dz1, dx)


def loss_and_backward__dW2_transposed(params, x, y, alpha):
    with torch.no_grad():
        logits, (z1, h1, z2, h2) = forward_relu(params, x)
        loss = F.cross_entropy(logits, y) + l2(params, alpha)
        W1, W2, W3 = params["fc1.weight"], params["fc2.weight"], params["fc3.weight"]
        n = x.shape[0]
        probs = torch.softmax(logits, dim=1)
        onehot = F.one_hot(y, probs.shape[1]).to(probs.dtype)
        dprobs = -onehot / probs / n
        dlogits = (probs - onehot) / n
        dW3 = dlogits.T @ h2 + alpha * W3
        db3 = dlogits.sum(0)
        dh2 = dlogits @ W3
        dz2 = dh2 * (z2 > 0)
        dW2 = h1.T @ dz2 + alpha * W2
        db2 = dz2.sum(0)
        dh1 = dz2 @ W2
        dz1 = dh1 * (z1 > 0)
        dW1 = dz1.T @ x + alpha * W1
        db1 = dz1.sum(0)
        dx = dz1 @ W1
    return (loss,) + _pack(dW1, db1, dW2, db2, dW3, db3, dprobs, dlogits, dh2, dz2, dh1, dz1, dx)


def loss_and_backward__dW2_from_own_output(params, x, y, alpha):
    with torch.no_grad():
        logits, (z1, h1, z2, h2) = forward_relu(params, x)
        loss = F.cross_entropy(logits, y) + l2(params, alpha)
        W1, W2, W3 = params["fc1.weight"], params["fc2.weight"], params["fc3.weight"]
        n = x.shape[0]
        probs = torch.softmax(logits, dim=1)
        onehot = F.one_hot(y, probs.shape[1]).to(probs.dtype)
        dprobs = -onehot / probs / n
        dlogits = (probs - onehot) / n
        dW3 = dlogits.T @ h2 + alpha * W3
        db3 = dlogits.sum(0)
        dh2 = dlogits @ W3
        dz2 = dh2 * (z2 > 0)
        dW2 = dz2.T @ h2 + alpha * W2
        db2 = dz2.sum(0)
        dh1 = dz2 @ W2
        dz1 = dh1 * (z1 > 0)
        dW1 = dz1.T @ x + alpha * W1
        db1 = dz1.sum(0)
        dx = dz1 @ W1
    return (loss,) + _pack(dW1, db1, dW2, db2, dW3, db3, dprobs, dlogits, dh2, dz2, dh1, dz1, dx)


def loss_and_backward__dlogits_not_averaged(params, x, y, alpha):
    with torch.no_grad():
        logits, (z1, h1, z2, h2) = forward_relu(params, x)
        loss = F.cross_entropy(logits, y) + l2(params, alpha)
        W1, W2, W3 = params["fc1.weight"], params["fc2.weight"], params["fc3.weight"]
        n = x.shape[0]
        probs = torch.softmax(logits, dim=1)
        onehot = F.one_hot(y, probs.shape[1]).to(probs.dtype)
        dprobs = -onehot / probs / n
        dlogits = probs - onehot
        dW3 = dlogits.T @ h2 + alpha * W3
        db3 = dlogits.sum(0)
        dh2 = dlogits @ W3
        dz2 = dh2 * (z2 > 0)
        dW2 = dz2.T @ h1 + alpha * W2
        db2 = dz2.sum(0)
        dh1 = dz2 @ W2
        dz1 = dh1 * (z1 > 0)
        dW1 = dz1.T @ x + alpha * W1
        db1 = dz1.sum(0)
        dx = dz1 @ W1
    return (loss,) + _pack(dW1, db1, dW2, db2, dW3, db3, dprobs, dlogits, dh2, dz2, dh1, dz1, dx)


def loss_and_backward__bias_mean_of_mean(params, x, y, alpha):
    with torch.no_grad():
        logits, (z1, h1, z2, h2) = forward_relu(params, x)
        loss = F.cross_entropy(logits, y) + l2(params, alpha)
        W1, W2, W3 = params["fc1.weight"], params["fc2.weight"], params["fc3.weight"]
        n = x.shape[0]
        probs = torch.softmax(logits, dim=1)
        onehot = F.one_hot(y, probs.shape[1]).to(probs.dtype)
        dprobs = -onehot / probs / n
        dlogits = (probs - onehot) / n
        dW3 = dlogits.T @ h2 + alpha * W3
        db3 = dlogits.mean(0)
        dh2 = dlogits @ W3
        dz2 = dh2 * (z2 > 0)
        dW2 = dz2.T @ h1 + alpha * W2
        db2 = dz2.mean(0)
        dh1 = dz2 @ W2
        dz1 = dh1 * (z1 > 0)
        dW1 = dz1.T @ x + alpha * W1
        db1 = dz1.mean(0)
        dx = dz1 @ W1
    return (loss,) + _pack(dW1, db1, dW2, db2, dW3, db3, dprobs, dlogits, dh2, dz2, dh1, dz1, dx)


def loss_and_backward__weight_decay_on_everything(params, x, y, alpha):
    # the decay added like torch.optim.SGD(weight_decay=alpha) on one parameter group
    with torch.no_grad():
        logits, (z1, h1, z2, h2) = forward_relu(params, x)
        loss = F.cross_entropy(logits, y) + l2(params, alpha)
        W1, W2, W3 = params["fc1.weight"], params["fc2.weight"], params["fc3.weight"]
        n = x.shape[0]
        probs = torch.softmax(logits, dim=1)
        onehot = F.one_hot(y, probs.shape[1]).to(probs.dtype)
        dprobs = -onehot / probs / n
        dlogits = (probs - onehot) / n
        dW3 = dlogits.T @ h2
        db3 = dlogits.sum(0)
        dh2 = dlogits @ W3
        dz2 = dh2 * (z2 > 0)
        dW2 = dz2.T @ h1
        db2 = dz2.sum(0)
        dh1 = dz2 @ W2
        dz1 = dh1 * (z1 > 0)
        dW1 = dz1.T @ x
        db1 = dz1.sum(0)
        dx = dz1 @ W1
        grads, inter = _pack(dW1, db1, dW2, db2, dW3, db3, dprobs, dlogits, dh2, dz2, dh1, dz1,
                             dx)
        for name, g in grads.items():
            g.add_(params[name], alpha=alpha)
    return loss, grads, inter


def loss_and_backward__softmax_fed_to_cross_entropy(params, x, y, alpha):
    # probs handed to F.cross_entropy (which takes logits): a second softmax, backpropagated
    # faithfully through both
    with torch.no_grad():
        logits, (z1, h1, z2, h2) = forward_relu(params, x)
        probs = torch.softmax(logits, dim=1)
        loss = F.cross_entropy(probs, y) + l2(params, alpha)
        W1, W2, W3 = params["fc1.weight"], params["fc2.weight"], params["fc3.weight"]
        n = x.shape[0]
        q = torch.softmax(probs, dim=1)
        onehot = F.one_hot(y, probs.shape[1]).to(probs.dtype)
        dprobs = (q - onehot) / n
        dlogits = probs * (dprobs - (dprobs * probs).sum(1, keepdim=True))
        dW3 = dlogits.T @ h2 + alpha * W3
        db3 = dlogits.sum(0)
        dh2 = dlogits @ W3
        dz2 = dh2 * (z2 > 0)
        dW2 = dz2.T @ h1 + alpha * W2
        db2 = dz2.sum(0)
        dh1 = dz2 @ W2
        dz1 = dh1 * (z1 > 0)
        dW1 = dz1.T @ x + alpha * W1
        db1 = dz1.sum(0)
        dx = dz1 @ W1
    return (loss,) + _pack(dW1, db1, dW2, db2, dW3, db3, dprobs, dlogits, dh2, dz2, dh1, dz1, dx)


def accumulating_loss_and_backward():
    """The gradients kept in buffers made once, like .grad, added into, never zeroed."""
    buffers = {}

    def loss_and_backward__no_zero_grad(params, x, y, alpha):
        if not buffers:
            buffers.update({k: torch.zeros_like(v) for k, v in params.items()})
        with torch.no_grad():
            logits, (z1, h1, z2, h2) = forward_relu(params, x)
            loss = F.cross_entropy(logits, y) + l2(params, alpha)
            W1, W2, W3 = params["fc1.weight"], params["fc2.weight"], params["fc3.weight"]
            n = x.shape[0]
            probs = torch.softmax(logits, dim=1)
            onehot = F.one_hot(y, probs.shape[1]).to(probs.dtype)
            dprobs = -onehot / probs / n
            dlogits = (probs - onehot) / n
            buffers["fc3.weight"] += dlogits.T @ h2 + alpha * W3
            buffers["fc3.bias"] += dlogits.sum(0)
            dh2 = dlogits @ W3
            dz2 = dh2 * (z2 > 0)
            buffers["fc2.weight"] += dz2.T @ h1 + alpha * W2
            buffers["fc2.bias"] += dz2.sum(0)
            dh1 = dz2 @ W2
            dz1 = dh1 * (z1 > 0)
            buffers["fc1.weight"] += dz1.T @ x + alpha * W1
            buffers["fc1.bias"] += dz1.sum(0)
            dx = dz1 @ W1
        inter = {"dprobs": dprobs, "dlogits": dlogits, "dh2": dh2, "dz2": dz2, "dh1": dh1,
                 "dz1": dz1, "dx": dx}
        return loss, buffers, inter
    return loss_and_backward__no_zero_grad


# ------------------------------------------------------------------------------------------------
# The tanh model (its backward recomputes tanh from the cached z): correct, then each slip
# ------------------------------------------------------------------------------------------------


def tanh_loss_and_backward(params, x, y, alpha):
    with torch.no_grad():
        logits, (z1, h1, z2, h2) = forward_tanh(params, x)
        loss = F.cross_entropy(logits, y) + l2(params, alpha)
        W1, W2, W3 = params["fc1.weight"], params["fc2.weight"], params["fc3.weight"]
        n = x.shape[0]
        probs = torch.softmax(logits, dim=1)
        onehot = F.one_hot(y, probs.shape[1]).to(probs.dtype)
        dprobs = -onehot / probs / n
        dlogits = (probs - onehot) / n
        dW3 = dlogits.T @ h2 + alpha * W3
        db3 = dlogits.sum(0)
        dh2 = dlogits @ W3
        dz2 = dh2 * (1 - torch.tanh(z2) ** 2)
        dW2 = dz2.T @ h1 + alpha * W2
        db2 = dz2.sum(0)
        dh1 = dz2 @ W2
        dz1 = dh1 * (1 - torch.tanh(z1) ** 2)
        dW1 = dz1.T @ x + alpha * W1
        db1 = dz1.sum(0)
        dx = dz1 @ W1
    return (loss,) + _pack(dW1, db1, dW2, db2, dW3, db3, dprobs, dlogits, dh2, dz2, dh1, dz1, dx)


def tanh_loss_and_backward__inplace_tanh(params, x, y, alpha):
    # the first (widest) layer's tanh done in place to save memory: z1 now holds tanh(z1)
    with torch.no_grad():
        z1 = x @ params["fc1.weight"].T + params["fc1.bias"]
        h1 = z1.tanh_()
        z2 = h1 @ params["fc2.weight"].T + params["fc2.bias"]
        h2 = torch.tanh(z2)
        logits = h2 @ params["fc3.weight"].T + params["fc3.bias"]
        loss = F.cross_entropy(logits, y) + l2(params, alpha)
        W1, W2, W3 = params["fc1.weight"], params["fc2.weight"], params["fc3.weight"]
        n = x.shape[0]
        probs = torch.softmax(logits, dim=1)
        onehot = F.one_hot(y, probs.shape[1]).to(probs.dtype)
        dprobs = -onehot / probs / n
        dlogits = (probs - onehot) / n
        dW3 = dlogits.T @ h2 + alpha * W3
        db3 = dlogits.sum(0)
        dh2 = dlogits @ W3
        dz2 = dh2 * (1 - torch.tanh(z2) ** 2)
        dW2 = dz2.T @ h1 + alpha * W2
        db2 = dz2.sum(0)
        dh1 = dz2 @ W2
        dz1 = dh1 * (1 - torch.tanh(z1) ** 2)
        dW1 = dz1.T @ x + alpha * W1
        db1 = dz1.sum(0)
        dx = dz1 @ W1
    return (loss,) + _pack(dW1, db1, dW2, db2, dW3, db3, dprobs, dlogits, dh2, dz2, dh1, dz1, dx)


def tanh_loss_and_backward__relu_mask(params, x, y, alpha):
    # the backward copied from the ReLU model when the activation changed to tanh
    with torch.no_grad():
        logits, (z1, h1, z2, h2) = forward_tanh(params, x)
        loss = F.cross_entropy(logits, y) + l2(params, alpha)
        W1, W2, W3 = params["fc1.weight"], params["fc2.weight"], params["fc3.weight"]
        n = x.shape[0]
        probs = torch.softmax(logits, dim=1)
        onehot = F.one_hot(y, probs.shape[1]).to(probs.dtype)
        dprobs = -onehot / probs / n
        dlogits = (probs - onehot) / n
        dW3 = dlogits.T @ h2 + alpha * W3
        db3 = dlogits.sum(0)
        dh2 = dlogits @ W3
        dz2 = dh2 * (z2 > 0)
        dW2 = dz2.T @ h1 + alpha * W2
        db2 = dz2.sum(0)
        dh1 = dz2 @ W2
        dz1 = dh1 * (z1 > 0)
        dW1 = dz1.T @ x + alpha * W1
        db1 = dz1.sum(0)
        dx = dz1 @ W1
    return (loss,) + _pack(dW1, db1, dW2, db2, dW3, db3, dprobs, dlogits, dh2, dz2, dh1, dz1, dx)


# ------------------------------------------------------------------------------------------------
# Makers for the two-hidden-layer models
# ------------------------------------------------------------------------------------------------

SIZES = [5, 7, 7, 3]


def _state_dict(seed, dtype=torch.float64):
    g = torch.Generator().manual_seed(seed)
    sd = {}
    for i, (n_in, n_out) in enumerate(zip(SIZES[:-1], SIZES[1:]), start=1):
        bound = 1 / n_in ** 0.5
        sd[f"fc{i}.weight"] = (torch.rand(n_out, n_in, generator=g, dtype=dtype) * 2 - 1) * bound
        sd[f"fc{i}.bias"] = (torch.rand(n_out, generator=g, dtype=dtype) * 2 - 1) * bound
    x = torch.randn(24, SIZES[0], generator=g, dtype=dtype)
    y = torch.randint(0, SIZES[-1], (24,), generator=g)
    return sd, x, y


def _make(loss_and_backward_fn, activation="relu", seed=40):
    def make():
        params, x, y = _state_dict(seed)
        fn = loss_and_backward_fn() if loss_and_backward_fn is accumulating_loss_and_backward \
            else loss_and_backward_fn

        def grad_fn(params, x, y):
            return fn(params, x, y, ALPHA)

        kwargs = dict(activation=activation, output="softmax", loss="cross_entropy",
                      alpha=ALPHA, nodes=NODES, expect=EXPECT)
        return grad_fn, params, x, y, kwargs
    return make


def make_float32_inside():
    """float64 parameters in; the user's model is float32, so it converts, computes, and hands
    back float64 numbers."""
    params, x, y = _state_dict(41)

    def grad_fn(params, x, y):
        p32 = {k: v.float() for k, v in params.items()}
        loss, grads, inter = loss_and_backward(p32, x.float(), y, ALPHA)
        return (float(loss), {k: g.double() for k, g in grads.items()},
                {k: v.double() for k, v in inter.items()})

    kwargs = dict(activation="relu", output="softmax", loss="cross_entropy", alpha=ALPHA,
                  nodes=NODES, expect=EXPECT)
    return grad_fn, params, x, y, kwargs


def _loss64(activation):
    """The two-hidden-layer model's loss in NumPy float64; ``add`` perturbs a node."""
    act = (lambda z: np.maximum(z, 0.0)) if activation == "relu" else np.tanh

    def loss(P, X, y, add=None):
        add = add or {}
        z1 = X @ P["fc1.weight"].T + P["fc1.bias"] + add.get("z1", 0.0)
        h1 = act(z1) + add.get("h1", 0.0)
        z2 = h1 @ P["fc2.weight"].T + P["fc2.bias"] + add.get("z2", 0.0)
        h2 = act(z2) + add.get("h2", 0.0)
        z3 = h2 @ P["fc3.weight"].T + P["fc3.bias"] + add.get("z3", 0.0)
        e = np.exp(z3 - z3.max(axis=1, keepdims=True))
        p = e / e.sum(axis=1, keepdims=True) + add.get("p", 0.0)
        data = -np.mean(np.log(p[np.arange(len(y)), y]))
        return data + ALPHA / 2 * sum(np.sum(P[f"fc{i}.weight"] ** 2) for i in (1, 2, 3))
    return loss


# ------------------------------------------------------------------------------------------------
# A textbook-style one-hidden-layer net in torch layout, scikit-learn's L2 (alpha / (2n))
# ------------------------------------------------------------------------------------------------

TEXTBOOK_ALPHA = 0.3


def textbook_grad(params, X, Y):
    """[W1 (h, d), b1 (h,), W2 (K, h), b2 (K,)], logistic hidden layer, softmax output."""
    W1, b1, W2, b2 = params
    n = X.shape[0]
    with torch.no_grad():
        a1 = torch.sigmoid(X @ W1.T + b1)
        p = torch.softmax(a1 @ W2.T + b2, dim=1)
        loss = -(Y * torch.log(p)).sum() / n + TEXTBOOK_ALPHA / (2 * n) * (
            (W1 ** 2).sum() + (W2 ** 2).sum())
        d2 = (p - Y) / n
        dW2 = d2.T @ a1 + TEXTBOOK_ALPHA / n * W2
        db2 = d2.sum(0)
        d1 = (d2 @ W2) * a1 * (1 - a1)
        dW1 = d1.T @ X + TEXTBOOK_ALPHA / n * W1
        db1 = d1.sum(0)
    return loss, [dW1, db1, dW2, db2]


def textbook_grad__biases_summed(params, X, Y):
    W1, b1, W2, b2 = params
    n = X.shape[0]
    with torch.no_grad():
        a1 = torch.sigmoid(X @ W1.T + b1)
        p = torch.softmax(a1 @ W2.T + b2, dim=1)
        loss = -(Y * torch.log(p)).sum() / n + TEXTBOOK_ALPHA / (2 * n) * (
            (W1 ** 2).sum() + (W2 ** 2).sum())
        d2 = p - Y
        dW2 = (d2.T @ a1 + TEXTBOOK_ALPHA * W2) / n
        db2 = d2.sum(0)
        d1 = (d2 @ W2) * a1 * (1 - a1)
        dW1 = (d1.T @ X + TEXTBOOK_ALPHA * W1) / n
        db1 = d1.sum(0)
    return loss, [dW1, db1, dW2, db2]


def _make_textbook(fn):
    def make():
        g = torch.Generator().manual_seed(42)
        W1 = torch.randn(6, 4, generator=g, dtype=torch.float64) * 0.8
        b1 = torch.randn(6, generator=g, dtype=torch.float64) * 0.3
        W2 = torch.randn(3, 6, generator=g, dtype=torch.float64) * 0.8
        b2 = torch.randn(3, generator=g, dtype=torch.float64) * 0.3
        X = torch.randn(20, 4, generator=g, dtype=torch.float64)
        Y = F.one_hot(torch.randint(0, 3, (20,), generator=g), 3).to(torch.float64)
        kwargs = dict(activation="logistic", output="softmax", loss="cross_entropy",
                      alpha=TEXTBOOK_ALPHA,
                      expect={"batch": "mean", "l2": "alpha/(2n) * sum W^2",
                              "l2_biases": False})
        return fn, [W1, b1, W2, b2], X, Y, kwargs
    return make


def _textbook_loss64(P, X, Y, add=None):
    a1 = 1 / (1 + np.exp(-(X @ P["W0"].T + P["b0"])))
    z = a1 @ P["W1"].T + P["b1"]
    logp = z - z.max(1, keepdims=True)
    logp = logp - np.log(np.exp(logp).sum(1, keepdims=True))
    n = len(X)
    return -np.sum(Y * logp) / n + TEXTBOOK_ALPHA / (2 * n) * (np.sum(P["W0"] ** 2)
                                                               + np.sum(P["W1"] ** 2))


# ------------------------------------------------------------------------------------------------
# Karpathy's spiral-data net (CS231n "Putting it together: minimal neural network case study")
# ------------------------------------------------------------------------------------------------

SPIRAL_REG = 1e-3


def spiral_data():
    rs = np.random.RandomState(0)
    N, D, K = 100, 2, 3
    X = np.zeros((N * K, D))
    y = np.zeros(N * K, dtype="uint8")
    for j in range(K):
        ix = range(N * j, N * (j + 1))
        r = np.linspace(0.0, 1, N)
        t = np.linspace(j * 4, (j + 1) * 4, N) + rs.randn(N) * 0.2
        X[ix] = np.c_[r * np.sin(t), r * np.cos(t)]
        y[ix] = j
    h = 100
    W = 0.01 * rs.randn(D, h)
    b = np.zeros((1, h))
    W2 = 0.01 * rs.randn(h, K)
    b2 = np.zeros((1, K))
    return [W, b, W2, b2], X, y


def spiral_grad(params, X, y):
    W, b, W2, b2 = params
    reg = SPIRAL_REG
    num_examples = X.shape[0]
    hidden_layer = np.maximum(0, np.dot(X, W) + b)
    scores = np.dot(hidden_layer, W2) + b2
    exp_scores = np.exp(scores)
    probs = exp_scores / np.sum(exp_scores, axis=1, keepdims=True)
    correct_logprobs = -np.log(probs[range(num_examples), y])
    data_loss = np.sum(correct_logprobs) / num_examples
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


def spiral_grad__mask_typo(params, X, y):
    W, b, W2, b2 = params
    reg = SPIRAL_REG
    num_examples = X.shape[0]
    hidden_layer = np.maximum(0, np.dot(X, W) + b)
    scores = np.dot(hidden_layer, W2) + b2
    exp_scores = np.exp(scores)
    probs = exp_scores / np.sum(exp_scores, axis=1, keepdims=True)
    correct_logprobs = -np.log(probs[range(num_examples), y])
    data_loss = np.sum(correct_logprobs) / num_examples
    reg_loss = 0.5 * reg * np.sum(W * W) + 0.5 * reg * np.sum(W2 * W2)
    loss = data_loss + reg_loss
    dscores = probs
    dscores[range(num_examples), y] -= 1
    dscores /= num_examples
    dW2 = np.dot(hidden_layer.T, dscores)
    db2 = np.sum(dscores, axis=0, keepdims=True)
    dhidden = np.dot(dscores, W2.T)
    dhidden[hidden_layer < 0] = 0
    dW = np.dot(X.T, dhidden)
    db = np.sum(dhidden, axis=0, keepdims=True)
    dW2 += reg * W2
    dW += reg * W
    return loss, [dW, db, dW2, db2]


def _make_spiral(fn):
    def make():
        params, X, y = spiral_data()
        kwargs = dict(activation="relu", output="softmax", loss="cross_entropy",
                      alpha=SPIRAL_REG,
                      expect={"batch": "mean", "l2": "alpha/2 * sum W^2", "l2_biases": False})
        return fn, params, X, y, kwargs
    return make


def _spiral_loss64(P, X, y, add=None):
    hidden = np.maximum(0, X @ P["W0"] + P["b0"])
    z = hidden @ P["W1"] + P["b1"]
    logp = z - z.max(1, keepdims=True)
    logp = logp - np.log(np.exp(logp).sum(1, keepdims=True))
    return (-np.mean(logp[np.arange(len(y)), y])
            + 0.5 * SPIRAL_REG * (np.sum(P["W0"] ** 2) + np.sum(P["W1"] ** 2)))


# ------------------------------------------------------------------------------------------------
# The cases
# ------------------------------------------------------------------------------------------------


def _correct(name, make, loss64, tol, mode="central"):
    CASES.append({"name": "torch_" + name, "make": make, "bug": None, "unusual": False,
                  "wrong": set(), "first_wrong_node": None})
    _INDEPENDENT["torch_" + name] = (loss64, tol, mode)


def _bug(name, make, baseline, bug, unusual, wrong, first_wrong_node):
    CASES.append({"name": "torch_" + name, "make": make, "bug": bug, "unusual": unusual,
                  "wrong": set(wrong), "first_wrong_node": first_wrong_node})
    _BASELINES["torch_" + name] = baseline


CASES, _INDEPENDENT, _BASELINES = [], {}, {}

_correct("relu_nodes", _make(loss_and_backward), _loss64("relu"), 1e-6)
_correct("tanh_nodes", _make(tanh_loss_and_backward, "tanh"), _loss64("tanh"), 1e-6)
_correct("float32_model_float64_params", make_float32_inside, _loss64("relu"), 1e-4)
_correct("textbook_sklearn_l2", _make_textbook(textbook_grad), _textbook_loss64, 1e-6)
# the spiral's three origin points sit on the ReLU's kink for every hidden unit (x = 0, b = 0):
# b0's differences are taken from below, the side whose derivative (0) the code uses
_correct("karpathy_spiral_zero_biases", _make_spiral(spiral_grad), _spiral_loss64, 1e-5,
         {"b0": ("backward", 1e-7)})

_RELU = _make(loss_and_backward)
_TANH = _make(tanh_loss_and_backward, "tanh")
_ALL = {f"fc{i}.{k}" for i in (1, 2, 3) for k in ("weight", "bias")}
_L1 = {"fc1.weight", "fc1.bias"}
_L12 = _L1 | {"fc2.weight", "fc2.bias"}

_bug("textbook_biases_summed", _make_textbook(textbook_grad__biases_summed),
     _make_textbook(textbook_grad),
     "a textbook-style net in torch layout with scikit-learn's alpha/n L2: the delta is left "
     "unscaled and the 1/n applied to the weight gradients only, so both bias gradients are "
     "sums over the batch while the weights are averaged", False, {"b0", "b1"}, None)
_bug("relu_mask_of_layer_above", _make(loss_and_backward__mask_of_layer_above), _RELU,
     "dz1 = dh1 * (z2 > 0): the first layer masked with the second layer's ReLU pattern (off by "
     "one layer, silent at equal widths)", True, _L1, "z1")
_bug("dh1_through_W2_transposed", _make(loss_and_backward__dh1_transposed), _RELU,
     "dh1 = dz2 @ W2.T in torch's layout, where dz2 @ W2 is right: a transpose slip that the "
     "square 7x7 layer lets through", False, _L1, "h1")
_bug("dW2_transposed", _make(loss_and_backward__dW2_transposed), _RELU,
     "dW2 = h1.T @ dz2 (the (n_in, n_out) formula) for a torch-layout (n_out, n_in) weight; the "
     "square layer hides the shape", False, {"fc2.weight"}, None)
_bug("dW2_from_own_output", _make(loss_and_backward__dW2_from_own_output), _RELU,
     "dW2 = dz2.T @ h2: the layer's own output from the cache instead of its input h1", True,
     {"fc2.weight"}, None)
_bug("dlogits_not_averaged", _make(loss_and_backward__dlogits_not_averaged), _RELU,
     "dlogits = probs - onehot without / n (dprobs keeps its / n) while F.cross_entropy "
     "averages", False, _ALL, "z3")
_bug("bias_mean_of_mean", _make(loss_and_backward__bias_mean_of_mean), _RELU,
     "the bias gradients written dz.mean(0) although dz already carries the 1/n", True,
     {"fc1.bias", "fc2.bias", "fc3.bias"}, None)
_bug("weight_decay_on_biases", _make(loss_and_backward__weight_decay_on_everything), _RELU,
     "the decay added to every parameter's gradient (torch's weight_decay on one group) while "
     "the loss penalises the weights only", True, {"fc1.bias", "fc2.bias", "fc3.bias"}, None)
_bug("softmax_fed_to_cross_entropy", _make(loss_and_backward__softmax_fed_to_cross_entropy),
     _RELU, "probabilities passed to F.cross_entropy, which applies its own softmax: a second "
     "softmax, and a backward that follows it faithfully", True, _ALL, "p")
_bug("no_zero_grad", _make(accumulating_loss_and_backward), _RELU,
     "the gradients are added into buffers made on the first call and never zeroed (the "
     "missing optimizer.zero_grad()): from the second call on they hold sums of calls", False,
     _ALL, None)
_bug("inplace_tanh_then_recomputed", _make(tanh_loss_and_backward__inplace_tanh, "tanh"),
     _TANH, "the first layer's tanh done in place (z1.tanh_()), and the backward recomputes "
     "1 - tanh(z1)**2 from the overwritten z1", True, _L1, "z1")
_bug("tanh_model_with_relu_mask", _make(tanh_loss_and_backward__relu_mask, "tanh"), _TANH,
     "the backward copied from the ReLU model: dz = dh * (z > 0) under a tanh activation",
     False, _L12, "z2")
_bug("karpathy_spiral_mask_typo", _make_spiral(spiral_grad__mask_typo),
     _make_spiral(spiral_grad),
     "dhidden[hidden_layer < 0] = 0: a ReLU output is never negative, so nothing is masked",
     True, {"W0", "b0"}, None)


def self_check(verbose=True):
    """Every correct case (and its handed-over nodes) against finite differences; every
    mistake changes what it says, first at the node it says."""
    return heldout_tools.self_check(CASES, _BASELINES, _INDEPENDENT, node_order=NODE_ORDER,
                                    verbose=verbose)


if __name__ == "__main__":
    self_check()
