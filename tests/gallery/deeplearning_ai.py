# ruff: noqa: E741
"""Held-out gallery: deeplearning.ai Course 1's deep network, as its notebooks write it.

Samples are columns (X is (n_x, m), Y is (n_y, m)), ``parameters`` is a dict ``W1, b1, ...``
with W (n_l, n_(l-1)) and b (n_l, 1), ReLU hidden layers and a sigmoid output. The forward keeps
``caches`` of ``((A_prev, W, b), Z)``; the backward starts from
``dAL = -(np.divide(Y, AL) - np.divide(1 - Y, 1 - AL))`` and goes through ``sigmoid_backward``
and ``relu_backward``. The cost is averaged over m and summed over output units; Course 2's L2
adds ``lambd / (2 m) * sum ||W||^2`` (weights only), gradient ``lambd / m * W``.

Each planted mistake is one of the course's functions rewritten as a student wrote it; the rest
of the notebook is the course's own (``_notebook`` makes every function call the student's
version). Written without reading the checker.
"""

import types

import numpy as np

from tests.gallery import heldout_tools

# ------------------------------------------------------------------------------------------------
# The course's functions, as the notebooks give them
# ------------------------------------------------------------------------------------------------


def sigmoid(Z):
    A = 1 / (1 + np.exp(-Z))
    cache = Z
    return A, cache


def relu(Z):
    A = np.maximum(0, Z)
    cache = Z
    return A, cache


def sigmoid_backward(dA, cache):
    Z = cache
    s = 1 / (1 + np.exp(-Z))
    dZ = dA * s * (1 - s)
    return dZ


def relu_backward(dA, cache):
    Z = cache
    dZ = np.array(dA, copy=True)
    dZ[Z <= 0] = 0
    return dZ


def linear_forward(A, W, b):
    Z = np.dot(W, A) + b
    cache = (A, W, b)
    return Z, cache


def linear_activation_forward(A_prev, W, b, activation):
    if activation == "sigmoid":
        Z, linear_cache = linear_forward(A_prev, W, b)
        A, activation_cache = sigmoid(Z)
    elif activation == "relu":
        Z, linear_cache = linear_forward(A_prev, W, b)
        A, activation_cache = relu(Z)
    cache = (linear_cache, activation_cache)
    return A, cache


def L_model_forward(X, parameters):
    caches = []
    A = X
    L = len(parameters) // 2
    for l in range(1, L):
        A_prev = A
        A, cache = linear_activation_forward(A_prev, parameters["W" + str(l)],
                                             parameters["b" + str(l)], activation="relu")
        caches.append(cache)
    AL, cache = linear_activation_forward(A, parameters["W" + str(L)],
                                          parameters["b" + str(L)], activation="sigmoid")
    caches.append(cache)
    return AL, caches


def compute_cost(AL, Y):
    m = Y.shape[1]
    cost = (-1 / m) * np.sum(np.multiply(Y, np.log(AL)) + np.multiply(1 - Y, np.log(1 - AL)))
    cost = np.squeeze(cost)
    return cost


def compute_cost_with_regularization(AL, Y, parameters, lambd):
    m = Y.shape[1]
    L = len(parameters) // 2
    cross_entropy_cost = compute_cost(AL, Y)
    L2_sum = 0
    for l in range(1, L + 1):
        L2_sum += np.sum(np.square(parameters["W" + str(l)]))
    L2_regularization_cost = lambd / (2 * m) * L2_sum
    return cross_entropy_cost + L2_regularization_cost


def linear_backward(dZ, cache):
    A_prev, W, b = cache
    m = A_prev.shape[1]
    dW = 1 / m * np.dot(dZ, A_prev.T)
    db = 1 / m * np.sum(dZ, axis=1, keepdims=True)
    dA_prev = np.dot(W.T, dZ)
    return dA_prev, dW, db


def linear_activation_backward(dA, cache, activation):
    linear_cache, activation_cache = cache
    if activation == "relu":
        dZ = relu_backward(dA, activation_cache)
        dA_prev, dW, db = linear_backward(dZ, linear_cache)
    elif activation == "sigmoid":
        dZ = sigmoid_backward(dA, activation_cache)
        dA_prev, dW, db = linear_backward(dZ, linear_cache)
    return dA_prev, dW, db


def L_model_backward(AL, Y, caches):
    grads = {}
    L = len(caches)
    Y = Y.reshape(AL.shape)
    dAL = -(np.divide(Y, AL) - np.divide(1 - Y, 1 - AL))
    current_cache = caches[L - 1]
    dA_prev_temp, dW_temp, db_temp = linear_activation_backward(dAL, current_cache, "sigmoid")
    grads["dA" + str(L - 1)] = dA_prev_temp
    grads["dW" + str(L)] = dW_temp
    grads["db" + str(L)] = db_temp
    for l in reversed(range(L - 1)):
        current_cache = caches[l]
        dA_prev_temp, dW_temp, db_temp = linear_activation_backward(grads["dA" + str(l + 1)],
                                                                    current_cache, "relu")
        grads["dA" + str(l)] = dA_prev_temp
        grads["dW" + str(l + 1)] = dW_temp
        grads["db" + str(l + 1)] = db_temp
    return grads


def L_model_backward_with_regularization(AL, Y, caches, lambd):
    grads = L_model_backward(AL, Y, caches)
    m = AL.shape[1]
    L = len(caches)
    for l in range(1, L + 1):
        (A_prev, W, b), Z = caches[l - 1]
        grads["dW" + str(l)] = grads["dW" + str(l)] + lambd / m * W
    return grads


COURSE = ["sigmoid", "relu", "sigmoid_backward", "relu_backward", "linear_forward",
          "linear_activation_forward", "L_model_forward", "compute_cost",
          "compute_cost_with_regularization", "linear_backward", "linear_activation_backward",
          "L_model_backward", "L_model_backward_with_regularization"]


# ------------------------------------------------------------------------------------------------
# Students' versions: each the whole function as it was handed in
# ------------------------------------------------------------------------------------------------


def L_model_backward__sigmoid_at_AL(AL, Y, caches):
    # the output step written by hand: sigmoid_backward handed AL where it expects Z
    grads = {}
    L = len(caches)
    Y = Y.reshape(AL.shape)
    dAL = -(np.divide(Y, AL) - np.divide(1 - Y, 1 - AL))
    linear_cache, activation_cache = caches[L - 1]
    dZL = sigmoid_backward(dAL, AL)
    grads["dA" + str(L - 1)], grads["dW" + str(L)], grads["db" + str(L)] = linear_backward(
        dZL, linear_cache)
    for l in reversed(range(L - 1)):
        current_cache = caches[l]
        dA_prev_temp, dW_temp, db_temp = linear_activation_backward(grads["dA" + str(l + 1)],
                                                                    current_cache, "relu")
        grads["dA" + str(l)] = dA_prev_temp
        grads["dW" + str(l + 1)] = dW_temp
        grads["db" + str(l + 1)] = db_temp
    return grads


def L_model_backward__dAL_sign(AL, Y, caches):
    grads = {}
    L = len(caches)
    Y = Y.reshape(AL.shape)
    dAL = -(np.divide(Y, AL) + np.divide(1 - Y, 1 - AL))
    current_cache = caches[L - 1]
    dA_prev_temp, dW_temp, db_temp = linear_activation_backward(dAL, current_cache, "sigmoid")
    grads["dA" + str(L - 1)] = dA_prev_temp
    grads["dW" + str(L)] = dW_temp
    grads["db" + str(L)] = db_temp
    for l in reversed(range(L - 1)):
        current_cache = caches[l]
        dA_prev_temp, dW_temp, db_temp = linear_activation_backward(grads["dA" + str(l + 1)],
                                                                    current_cache, "relu")
        grads["dA" + str(l)] = dA_prev_temp
        grads["dW" + str(l + 1)] = dW_temp
        grads["db" + str(l + 1)] = db_temp
    return grads


def L_model_backward__dAL_over_m(AL, Y, caches):
    # "the cost is averaged, so its derivative is too": and linear_backward divides by m again
    grads = {}
    L = len(caches)
    m = AL.shape[1]
    Y = Y.reshape(AL.shape)
    dAL = -(np.divide(Y, AL) - np.divide(1 - Y, 1 - AL)) / m
    current_cache = caches[L - 1]
    dA_prev_temp, dW_temp, db_temp = linear_activation_backward(dAL, current_cache, "sigmoid")
    grads["dA" + str(L - 1)] = dA_prev_temp
    grads["dW" + str(L)] = dW_temp
    grads["db" + str(L)] = db_temp
    for l in reversed(range(L - 1)):
        current_cache = caches[l]
        dA_prev_temp, dW_temp, db_temp = linear_activation_backward(grads["dA" + str(l + 1)],
                                                                    current_cache, "relu")
        grads["dA" + str(l)] = dA_prev_temp
        grads["dW" + str(l + 1)] = dW_temp
        grads["db" + str(l + 1)] = db_temp
    return grads


def L_model_backward__dZL_then_sigmoid(AL, Y, caches):
    # remembers dZL = AL - Y from Week 3, and still sends it through sigmoid_backward
    grads = {}
    L = len(caches)
    Y = Y.reshape(AL.shape)
    dAL = AL - Y
    current_cache = caches[L - 1]
    dA_prev_temp, dW_temp, db_temp = linear_activation_backward(dAL, current_cache, "sigmoid")
    grads["dA" + str(L - 1)] = dA_prev_temp
    grads["dW" + str(L)] = dW_temp
    grads["db" + str(L)] = db_temp
    for l in reversed(range(L - 1)):
        current_cache = caches[l]
        dA_prev_temp, dW_temp, db_temp = linear_activation_backward(grads["dA" + str(l + 1)],
                                                                    current_cache, "relu")
        grads["dA" + str(l)] = dA_prev_temp
        grads["dW" + str(l + 1)] = dW_temp
        grads["db" + str(l + 1)] = db_temp
    return grads


def L_model_backward__output_as_relu(AL, Y, caches):
    grads = {}
    L = len(caches)
    Y = Y.reshape(AL.shape)
    dAL = -(np.divide(Y, AL) - np.divide(1 - Y, 1 - AL))
    current_cache = caches[L - 1]
    dA_prev_temp, dW_temp, db_temp = linear_activation_backward(dAL, current_cache, "relu")
    grads["dA" + str(L - 1)] = dA_prev_temp
    grads["dW" + str(L)] = dW_temp
    grads["db" + str(L)] = db_temp
    for l in reversed(range(L - 1)):
        current_cache = caches[l]
        dA_prev_temp, dW_temp, db_temp = linear_activation_backward(grads["dA" + str(l + 1)],
                                                                    current_cache, "relu")
        grads["dA" + str(l)] = dA_prev_temp
        grads["dW" + str(l + 1)] = dW_temp
        grads["db" + str(l + 1)] = db_temp
    return grads


def linear_activation_backward__sigmoid_everywhere(dA, cache, activation):
    # the relu branch copy-pasted from the sigmoid one
    linear_cache, activation_cache = cache
    if activation == "relu":
        dZ = sigmoid_backward(dA, activation_cache)
        dA_prev, dW, db = linear_backward(dZ, linear_cache)
    elif activation == "sigmoid":
        dZ = sigmoid_backward(dA, activation_cache)
        dA_prev, dW, db = linear_backward(dZ, linear_cache)
    return dA_prev, dW, db


def linear_backward__db_not_averaged(dZ, cache):
    A_prev, W, b = cache
    m = A_prev.shape[1]
    dW = 1 / m * np.dot(dZ, A_prev.T)
    db = np.sum(dZ, axis=1, keepdims=True)
    dA_prev = np.dot(W.T, dZ)
    return dA_prev, dW, db


def relu_backward__mask_from_dA(dA, cache):
    Z = cache  # noqa: F841 (unpacked as in the course, then the mask is taken from dA)
    dZ = np.array(dA, copy=True)
    dZ[dA <= 0] = 0
    return dZ


def L_model_backward_with_regularization__no_1_over_m(AL, Y, caches, lambd):
    grads = L_model_backward(AL, Y, caches)
    L = len(caches)
    for l in range(1, L + 1):
        (A_prev, W, b), Z = caches[l - 1]
        grads["dW" + str(l)] = grads["dW" + str(l)] + lambd * W
    return grads


def L_model_backward_with_regularization__m_twice(AL, Y, caches, lambd):
    # the whole backward again, the penalty's lambd / m put inside the 1 / m bracket
    grads = {}
    L = len(caches)
    m = AL.shape[1]
    Y = Y.reshape(AL.shape)
    dAL = -(np.divide(Y, AL) - np.divide(1 - Y, 1 - AL))
    dA = dAL
    for l in reversed(range(1, L + 1)):
        (A_prev, W, b), Z = caches[l - 1]
        if l == L:
            dZ = sigmoid_backward(dA, Z)
        else:
            dZ = relu_backward(dA, Z)
        dW = 1. / m * (np.dot(dZ, A_prev.T) + lambd / m * W)
        db = 1. / m * np.sum(dZ, axis=1, keepdims=True)
        dA = np.dot(W.T, dZ)
        grads["dW" + str(l)] = dW
        grads["db" + str(l)] = db
    return grads


def L_model_backward_with_regularization__misses_last(AL, Y, caches, lambd):
    grads = L_model_backward(AL, Y, caches)
    m = AL.shape[1]
    L = len(caches)
    for l in range(1, L):
        (A_prev, W, b), Z = caches[l - 1]
        grads["dW" + str(l)] = grads["dW" + str(l)] + lambd / m * W
    return grads


def L_model_backward_with_regularization__biases_too(AL, Y, caches, lambd):
    grads = L_model_backward(AL, Y, caches)
    m = AL.shape[1]
    L = len(caches)
    for l in range(1, L + 1):
        (A_prev, W, b), Z = caches[l - 1]
        grads["dW" + str(l)] = grads["dW" + str(l)] + lambd / m * W
        grads["db" + str(l)] = grads["db" + str(l)] + lambd / m * b
    return grads


def L_model_backward_with_regularization__half(AL, Y, caches, lambd):
    grads = L_model_backward(AL, Y, caches)
    m = AL.shape[1]
    L = len(caches)
    for l in range(1, L + 1):
        (A_prev, W, b), Z = caches[l - 1]
        grads["dW" + str(l)] = grads["dW" + str(l)] + lambd / (2 * m) * W
    return grads


# ------------------------------------------------------------------------------------------------
# Networks and the notebook's model cell
# ------------------------------------------------------------------------------------------------

NETS = {  # name: (layers_dims, lambd, m, seed)
    "2layer": ([3, 4, 1], 0.0, 24, 1),
    "3layer_l2_3outputs": ([4, 5, 5, 3], 0.7, 20, 2),
    "4layer_l2": ([6, 5, 5, 5, 1], 0.3, 18, 3),
}

EXPECT = {"batch": "mean", "outputs": "sum", "l2": "alpha/(2n) * sum W^2", "l2_biases": False}


def _notebook(**student):
    """The course's functions, with some replaced by a student's, all looking their helpers up
    in one namespace (a replaced helper is the one every other function calls)."""
    ns = dict(globals())
    for name in COURSE:
        f = student.get(name, globals()[name])
        ns[name] = types.FunctionType(f.__code__, ns, name, f.__defaults__)
    return ns


def _data(net):
    layers_dims, lambd, m, seed = NETS[net]
    rng = np.random.default_rng(seed)
    parameters = {}
    for l in range(1, len(layers_dims)):
        parameters["W" + str(l)] = (rng.standard_normal((layers_dims[l], layers_dims[l - 1]))
                                    / np.sqrt(layers_dims[l - 1]))
        parameters["b" + str(l)] = 0.1 * rng.standard_normal((layers_dims[l], 1))
    X = rng.standard_normal((layers_dims[0], m))
    Y = (rng.random((layers_dims[-1], m)) < 0.5).astype(float)
    return parameters, X, Y, lambd


def _make(net, **student):
    def make():
        ns = _notebook(**student)
        parameters, X, Y, lambd = _data(net)

        def grad_fn(parameters, X, Y):
            AL, caches = ns["L_model_forward"](X, parameters)
            if lambd == 0:
                cost = ns["compute_cost"](AL, Y)
                grads = ns["L_model_backward"](AL, Y, caches)
            else:
                cost = ns["compute_cost_with_regularization"](AL, Y, parameters, lambd)
                grads = ns["L_model_backward_with_regularization"](AL, Y, caches, lambd)
            return cost, {name: grads["d" + name] for name in parameters}

        kwargs = dict(activation="relu", output="logistic", loss="cross_entropy", alpha=lambd,
                      expect=EXPECT)
        return grad_fn, parameters, X, Y, kwargs
    return make


def _loss64(net):
    """The cost written again, apart from the course's code: stable log-sigmoid, float64."""
    layers_dims, lambd, m, _ = NETS[net]
    L = len(layers_dims) - 1

    def loss(P, X, Y, add=None):
        A = np.asarray(X, dtype=np.float64)
        for l in range(1, L + 1):
            Z = P["W" + str(l)] @ A + P["b" + str(l)]
            A = np.maximum(Z, 0.0) if l < L else Z
        # -[y log s(z) + (1 - y) log(1 - s(z))] = log(1 + e^z) - y z
        data = np.sum(np.logaddexp(0.0, A) - Y * A) / X.shape[1]
        return data + lambd / (2 * X.shape[1]) * sum(np.sum(P["W" + str(l)] ** 2)
                                                    for l in range(1, L + 1))
    return loss


CASES = []
_BASELINES = {}
_INDEPENDENT = {}


def _correct(net):
    name = f"dla_{net}"
    CASES.append({"name": name, "make": _make(net), "bug": None, "unusual": False,
                  "wrong": set(), "first_wrong_node": None})
    _INDEPENDENT[name] = (_loss64(net), 1e-6, "central")


def _bug(name, net, bug, unusual, wrong, **student):
    CASES.append({"name": "dla_" + name, "make": _make(net, **student), "bug": bug,
                  "unusual": unusual, "wrong": set(wrong), "first_wrong_node": None})
    _BASELINES["dla_" + name] = _make(net)


for _net in NETS:
    _correct(_net)

_ALL = {"W1", "b1", "W2", "b2"}
_ALL3 = {"W1", "b1", "W2", "b2", "W3", "b3"}
_ALL4 = _ALL3 | {"W4", "b4"}

_bug("sigmoid_backward_given_AL", "2layer",
     "the output step hands AL (the sigmoid's output) to sigmoid_backward, which expects Z, "
     "so the derivative is s(AL)(1 - s(AL)) instead of AL(1 - AL)", False, _ALL,
     L_model_backward=L_model_backward__sigmoid_at_AL)
_bug("dAL_second_term_sign", "3layer_l2_3outputs",
     "dAL = -(Y/AL + (1-Y)/(1-AL)): the second term's sign flipped", False, _ALL3,
     L_model_backward=L_model_backward__dAL_sign)
_bug("dAL_divided_by_m", "2layer",
     "dAL divided by m, and linear_backward divides by m again", False, _ALL,
     L_model_backward=L_model_backward__dAL_over_m)
_bug("dZL_sent_through_sigmoid_backward", "4layer_l2",
     "dAL set to AL - Y (which is already dZL) and still sent through sigmoid_backward", True,
     _ALL4, L_model_backward=L_model_backward__dZL_then_sigmoid)
_bug("output_backward_as_relu", "2layer",
     "the output layer's backward called with activation='relu' instead of 'sigmoid'", False,
     _ALL, L_model_backward=L_model_backward__output_as_relu)
_bug("relu_branch_uses_sigmoid_backward", "3layer_l2_3outputs",
     "the relu branch of linear_activation_backward calls sigmoid_backward (copy-paste)", False,
     {"W1", "b1", "W2", "b2"},
     linear_activation_backward=linear_activation_backward__sigmoid_everywhere)
_bug("db_not_averaged", "4layer_l2",
     "linear_backward's db = np.sum(dZ, axis=1, keepdims=True) without the 1/m", False,
     {"b1", "b2", "b3", "b4"}, linear_backward=linear_backward__db_not_averaged)
_bug("relu_mask_from_dA", "3layer_l2_3outputs",
     "relu_backward zeroes dZ where dA <= 0 instead of where Z <= 0", True,
     {"W1", "b1", "W2", "b2"}, relu_backward=relu_backward__mask_from_dA)
_bug("l2_gradient_missing_1_over_m", "3layer_l2_3outputs",
     "the L2 gradient is lambd * W, missing its 1/m", False, {"W1", "W2", "W3"},
     L_model_backward_with_regularization=L_model_backward_with_regularization__no_1_over_m)
_bug("l2_gradient_divided_by_m_twice", "4layer_l2",
     "dW = 1/m * (dZ A_prev^T + lambd/m * W): the L2 term divided by m once too often", True,
     {"W1", "W2", "W3", "W4"},
     L_model_backward_with_regularization=L_model_backward_with_regularization__m_twice)
_bug("l2_loop_misses_output_layer", "4layer_l2",
     "the L2 gradient loop runs range(1, L), so the output layer's W gets no penalty gradient",
     True, {"W4"},
     L_model_backward_with_regularization=L_model_backward_with_regularization__misses_last)
_bug("l2_on_biases", "3layer_l2_3outputs",
     "the L2 gradient also adds lambd/m * b to every db (the cost penalises weights only)", True,
     {"b1", "b2", "b3"},
     L_model_backward_with_regularization=L_model_backward_with_regularization__biases_too)
_bug("l2_gradient_halved", "4layer_l2",
     "the L2 gradient is lambd/(2m) * W, copied from the cost's lambd/(2m)", False,
     {"W1", "W2", "W3", "W4"},
     L_model_backward_with_regularization=L_model_backward_with_regularization__half)


def self_check(verbose=True):
    """Every correct case against finite differences; every mistake changes what it says."""
    return heldout_tools.self_check(CASES, _BASELINES, _INDEPENDENT, verbose=verbose)


if __name__ == "__main__":
    self_check()
