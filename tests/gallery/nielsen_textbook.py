"""Gallery of hand-written networks for testing ``check_backprop``.

Two public styles, written the way people actually write them:

1. Michael Nielsen's "Neural Networks and Deep Learning" (network.py /
   network2.py): ``sizes = [D, H, C]``, biases as (n, 1) column vectors,
   weights as (n_out, n_in), sigmoid everywhere including the output, a
   per-sample ``backprop(x, y)`` whose results are summed over the mini-batch
   as in ``update_mini_batch``.  Quadratic cost or network2's cross-entropy
   cost, optionally with network2's L2 term ``0.5*(lmbda/n)*sum ||w||^2``.
   grad_fn(params, X, Y) gets ``(biases, weights)`` and returns
   ``(nabla_b, nabla_w)``.

2. A textbook tanh regressor: one or two tanh hidden layers, linear output,
   mean squared error (with or without the 1/2, averaged over samples and over
   outputs), weights (n_in, n_out), params ``[W1, b1, W2, b2]``, returns
   ``(loss, [dW1, db1, dW2, db2])``.

Every buggy network is a complete forward + backward pass containing exactly
one realistic mistake.  Only numpy is used.

Module contents: ``CASES`` (list of dicts with keys name, make, bug, wrong,
also).  Running this file checks every case against central differences of
the network's own loss.
"""

import copy

import numpy as np

CASES = []
_BUILDERS = {}   # name -> builder returning (grad_fn, params, X, Y, kwargs, own_loss)


def _register(name, bug, wrong, also=None):
    """Decorator: register a builder; CASES gets a make() returning 5 items."""
    def deco(build):
        def make():
            return build()[:5]
        make.__name__ = "make_" + name
        CASES.append({"name": name, "make": make, "bug": bug,
                      "wrong": set(wrong), "also": also})
        _BUILDERS[name] = build
        return build
    return deco


NIELSEN_QUADRATIC = dict(activation="logistic", output="logistic",
                         loss="squared_error")
NIELSEN_CROSS_ENTROPY = dict(activation="logistic", output="logistic",
                             loss="cross_entropy")
TANH_REGRESSION = dict(activation="tanh", output="identity",
                       loss="squared_error")

ALL_NIELSEN_2 = {"biases[0]", "biases[1]", "weights[0]", "weights[1]"}
ALL_FLAT_2 = {"W0", "b0", "W1", "b1"}


# ===========================================================================
# Style 1: Nielsen, network.py / network2.py
# ===========================================================================

def sigmoid(z):
    """The sigmoid function."""
    return 1.0 / (1.0 + np.exp(-z))


def sigmoid_prime(z):
    """Derivative of the sigmoid function."""
    return sigmoid(z) * (1 - sigmoid(z))


def vectorized_result(j, n=10):
    """Return an n-dimensional unit vector with a 1.0 in the j'th position."""
    e = np.zeros((n, 1))
    e[j] = 1.0
    return e


def rows_to_mini_batch(X, Y, n_out):
    """X is (N, D) one sample per row; Y is labels (N,) or targets (N, C)."""
    mini_batch = []
    for i in range(X.shape[0]):
        x = np.reshape(X[i], (-1, 1))
        if np.ndim(Y) == 1:
            y = vectorized_result(int(Y[i]), n_out)
        else:
            y = np.reshape(Y[i], (-1, 1))
        mini_batch.append((x, y))
    return mini_batch


def columns_to_mini_batch(X, Y):
    """X is (D, N) one sample per column; Y is (C, N)."""
    return [(X[:, [i]], Y[:, [i]]) for i in range(X.shape[1])]


class QuadraticCost(object):

    @staticmethod
    def fn(a, y):
        return 0.5 * np.linalg.norm(a - y) ** 2

    @staticmethod
    def delta(z, a, y):
        return (a - y) * sigmoid_prime(z)


class CrossEntropyCost(object):

    @staticmethod
    def fn(a, y):
        return np.sum(np.nan_to_num(-y * np.log(a) - (1 - y) * np.log(1 - a)))

    @staticmethod
    def delta(z, a, y):
        return (a - y)


# ---------------------------------------------------------------------------
# network.py (quadratic cost, gradients summed over the mini-batch)
# ---------------------------------------------------------------------------

class Network(object):

    def __init__(self, sizes):
        self.num_layers = len(sizes)
        self.sizes = sizes
        self.biases = [np.random.randn(y, 1) for y in sizes[1:]]
        self.weights = [np.random.randn(y, x)
                        for x, y in zip(sizes[:-1], sizes[1:])]

    @classmethod
    def from_params(cls, params):
        """Rebuild a network around given (biases, weights) without re-initialising."""
        biases, weights = params
        net = cls.__new__(cls)
        net.biases = list(biases)
        net.weights = list(weights)
        net.sizes = [weights[0].shape[1]] + [w.shape[0] for w in weights]
        net.num_layers = len(net.sizes)
        return net

    def feedforward(self, a):
        for b, w in zip(self.biases, self.weights):
            a = sigmoid(np.dot(w, a) + b)
        return a

    def mini_batch_gradient(self, mini_batch):
        """The accumulation part of update_mini_batch (before the eta step)."""
        nabla_b = [np.zeros(b.shape) for b in self.biases]
        nabla_w = [np.zeros(w.shape) for w in self.weights]
        for x, y in mini_batch:
            delta_nabla_b, delta_nabla_w = self.backprop(x, y)
            nabla_b = [nb + dnb for nb, dnb in zip(nabla_b, delta_nabla_b)]
            nabla_w = [nw + dnw for nw, dnw in zip(nabla_w, delta_nabla_w)]
        return nabla_b, nabla_w

    def backprop(self, x, y):
        nabla_b = [np.zeros(b.shape) for b in self.biases]
        nabla_w = [np.zeros(w.shape) for w in self.weights]
        # feedforward
        activation = x
        activations = [x]
        zs = []
        for b, w in zip(self.biases, self.weights):
            z = np.dot(w, activation) + b
            zs.append(z)
            activation = sigmoid(z)
            activations.append(activation)
        # backward pass
        delta = self.cost_derivative(activations[-1], y) * sigmoid_prime(zs[-1])
        nabla_b[-1] = delta
        nabla_w[-1] = np.dot(delta, activations[-2].transpose())
        for l in range(2, self.num_layers):
            z = zs[-l]
            sp = sigmoid_prime(z)
            delta = np.dot(self.weights[-l + 1].transpose(), delta) * sp
            nabla_b[-l] = delta
            nabla_w[-l] = np.dot(delta, activations[-l - 1].transpose())
        return (nabla_b, nabla_w)

    def cost_derivative(self, output_activations, y):
        return (output_activations - y)

    def total_cost(self, mini_batch):
        """Sum over the mini-batch of 0.5*||a - y||^2 (what backprop differentiates)."""
        return sum(0.5 * np.linalg.norm(self.feedforward(x) - y) ** 2
                   for x, y in mini_batch)


class NetworkSpOfActivation(Network):
    """Bug: output delta uses sigmoid_prime(a) instead of sigmoid_prime(z)."""

    def backprop(self, x, y):
        nabla_b = [np.zeros(b.shape) for b in self.biases]
        nabla_w = [np.zeros(w.shape) for w in self.weights]
        activation = x
        activations = [x]
        zs = []
        for b, w in zip(self.biases, self.weights):
            z = np.dot(w, activation) + b
            zs.append(z)
            activation = sigmoid(z)
            activations.append(activation)
        delta = self.cost_derivative(activations[-1], y) * \
            sigmoid_prime(activations[-1])
        nabla_b[-1] = delta
        nabla_w[-1] = np.dot(delta, activations[-2].transpose())
        for l in range(2, self.num_layers):
            z = zs[-l]
            sp = sigmoid_prime(z)
            delta = np.dot(self.weights[-l + 1].transpose(), delta) * sp
            nabla_b[-l] = delta
            nabla_w[-l] = np.dot(delta, activations[-l - 1].transpose())
        return (nabla_b, nabla_w)


class NetworkNoTransposeBackward(Network):
    """Bug: np.dot(w, delta) instead of np.dot(w.transpose(), delta).

    Only runs silently because the last weight matrix is square."""

    def backprop(self, x, y):
        nabla_b = [np.zeros(b.shape) for b in self.biases]
        nabla_w = [np.zeros(w.shape) for w in self.weights]
        activation = x
        activations = [x]
        zs = []
        for b, w in zip(self.biases, self.weights):
            z = np.dot(w, activation) + b
            zs.append(z)
            activation = sigmoid(z)
            activations.append(activation)
        delta = self.cost_derivative(activations[-1], y) * sigmoid_prime(zs[-1])
        nabla_b[-1] = delta
        nabla_w[-1] = np.dot(delta, activations[-2].transpose())
        for l in range(2, self.num_layers):
            z = zs[-l]
            sp = sigmoid_prime(z)
            delta = np.dot(self.weights[-l + 1], delta) * sp
            nabla_b[-l] = delta
            nabla_w[-l] = np.dot(delta, activations[-l - 1].transpose())
        return (nabla_b, nabla_w)


class NetworkBiasNotAccumulated(Network):
    """Bug: nabla_b is overwritten for every sample instead of summed."""

    def mini_batch_gradient(self, mini_batch):
        nabla_b = [np.zeros(b.shape) for b in self.biases]
        nabla_w = [np.zeros(w.shape) for w in self.weights]
        for x, y in mini_batch:
            delta_nabla_b, delta_nabla_w = self.backprop(x, y)
            nabla_b = delta_nabla_b
            nabla_w = [nw + dnw for nw, dnw in zip(nabla_w, delta_nabla_w)]
        return nabla_b, nabla_w


class NetworkFlippedCostDerivative(Network):
    """Bug: cost_derivative written as (y - a)."""

    def cost_derivative(self, output_activations, y):
        return (y - output_activations)


class NetworkQuadraticNoSigmoidPrime(Network):
    """Bug: quadratic cost but output delta is just (a - y)."""

    def backprop(self, x, y):
        nabla_b = [np.zeros(b.shape) for b in self.biases]
        nabla_w = [np.zeros(w.shape) for w in self.weights]
        activation = x
        activations = [x]
        zs = []
        for b, w in zip(self.biases, self.weights):
            z = np.dot(w, activation) + b
            zs.append(z)
            activation = sigmoid(z)
            activations.append(activation)
        delta = self.cost_derivative(activations[-1], y)
        nabla_b[-1] = delta
        nabla_w[-1] = np.dot(delta, activations[-2].transpose())
        for l in range(2, self.num_layers):
            z = zs[-l]
            sp = sigmoid_prime(z)
            delta = np.dot(self.weights[-l + 1].transpose(), delta) * sp
            nabla_b[-l] = delta
            nabla_w[-l] = np.dot(delta, activations[-l - 1].transpose())
        return (nabla_b, nabla_w)


class NetworkOverwrittenActivation(Network):
    """Bug: output nabla_w uses `activation` left over from the forward loop
    (the output activation) instead of activations[-2].  With one output unit
    the (1, 1) result broadcasts silently into nabla_w's (1, H) zeros."""

    def backprop(self, x, y):
        nabla_b = [np.zeros(b.shape) for b in self.biases]
        nabla_w = [np.zeros(w.shape) for w in self.weights]
        activation = x
        activations = [x]
        zs = []
        for b, w in zip(self.biases, self.weights):
            z = np.dot(w, activation) + b
            zs.append(z)
            activation = sigmoid(z)
            activations.append(activation)
        delta = self.cost_derivative(activations[-1], y) * sigmoid_prime(zs[-1])
        nabla_b[-1] = delta
        nabla_w[-1] = np.dot(delta, activation.transpose())
        for l in range(2, self.num_layers):
            z = zs[-l]
            sp = sigmoid_prime(z)
            delta = np.dot(self.weights[-l + 1].transpose(), delta) * sp
            nabla_b[-l] = delta
            nabla_w[-l] = np.dot(delta, activations[-l - 1].transpose())
        return (nabla_b, nabla_w)


class ExplicitThreeLayer(Network):
    """Two hidden layers written out by hand, no loop (correct)."""

    def backprop(self, x, y):
        b1, b2, b3 = self.biases
        w1, w2, w3 = self.weights
        z1 = np.dot(w1, x) + b1
        a1 = sigmoid(z1)
        z2 = np.dot(w2, a1) + b2
        a2 = sigmoid(z2)
        z3 = np.dot(w3, a2) + b3
        a3 = sigmoid(z3)
        delta3 = (a3 - y) * sigmoid_prime(z3)
        delta2 = np.dot(w3.T, delta3) * sigmoid_prime(z2)
        delta1 = np.dot(w2.T, delta2) * sigmoid_prime(z1)
        nabla_b = [delta1, delta2, delta3]
        nabla_w = [np.dot(delta1, x.T), np.dot(delta2, a1.T), np.dot(delta3, a2.T)]
        return nabla_b, nabla_w


class ExplicitThreeLayerCopyPaste(Network):
    """Bug: delta1 copy-pasted from delta2 and still uses sigmoid_prime(z2)."""

    def backprop(self, x, y):
        b1, b2, b3 = self.biases
        w1, w2, w3 = self.weights
        z1 = np.dot(w1, x) + b1
        a1 = sigmoid(z1)
        z2 = np.dot(w2, a1) + b2
        a2 = sigmoid(z2)
        z3 = np.dot(w3, a2) + b3
        a3 = sigmoid(z3)
        delta3 = (a3 - y) * sigmoid_prime(z3)
        delta2 = np.dot(w3.T, delta3) * sigmoid_prime(z2)
        delta1 = np.dot(w2.T, delta2) * sigmoid_prime(z2)
        nabla_b = [delta1, delta2, delta3]
        nabla_w = [np.dot(delta1, x.T), np.dot(delta2, a1.T), np.dot(delta3, a2.T)]
        return nabla_b, nabla_w


# ---------------------------------------------------------------------------
# network2.py (cost object, 1/sqrt(n_in) weights, L2 with lmbda)
# ---------------------------------------------------------------------------

class Network2(object):

    def __init__(self, sizes, cost=CrossEntropyCost):
        self.num_layers = len(sizes)
        self.sizes = sizes
        self.default_weight_initializer()
        self.cost = cost

    def default_weight_initializer(self):
        self.biases = [np.random.randn(y, 1) for y in self.sizes[1:]]
        self.weights = [np.random.randn(y, x) / np.sqrt(x)
                        for x, y in zip(self.sizes[:-1], self.sizes[1:])]

    @classmethod
    def from_params(cls, params, cost=CrossEntropyCost):
        biases, weights = params
        net = cls.__new__(cls)
        net.biases = list(biases)
        net.weights = list(weights)
        net.sizes = [weights[0].shape[1]] + [w.shape[0] for w in weights]
        net.num_layers = len(net.sizes)
        net.cost = cost
        return net

    def feedforward(self, a):
        for b, w in zip(self.biases, self.weights):
            a = sigmoid(np.dot(w, a) + b)
        return a

    def gradient(self, mini_batch, lmbda, n):
        """The direction update_mini_batch steps along:
        w -> (1 - eta*(lmbda/n))*w - (eta/len(mini_batch))*nw."""
        nabla_b = [np.zeros(b.shape) for b in self.biases]
        nabla_w = [np.zeros(w.shape) for w in self.weights]
        for x, y in mini_batch:
            delta_nabla_b, delta_nabla_w = self.backprop(x, y)
            nabla_b = [nb + dnb for nb, dnb in zip(nabla_b, delta_nabla_b)]
            nabla_w = [nw + dnw for nw, dnw in zip(nabla_w, delta_nabla_w)]
        m = len(mini_batch)
        grad_b = [nb / m for nb in nabla_b]
        grad_w = [nw / m + (lmbda / n) * w for w, nw in zip(self.weights, nabla_w)]
        return grad_b, grad_w

    def summed_gradient(self, mini_batch, lmbda):
        """Same thing without dividing by n: sum over samples + lmbda*w."""
        nabla_b = [np.zeros(b.shape) for b in self.biases]
        nabla_w = [np.zeros(w.shape) for w in self.weights]
        for x, y in mini_batch:
            delta_nabla_b, delta_nabla_w = self.backprop(x, y)
            nabla_b = [nb + dnb for nb, dnb in zip(nabla_b, delta_nabla_b)]
            nabla_w = [nw + dnw for nw, dnw in zip(nabla_w, delta_nabla_w)]
        nabla_w = [nw + lmbda * w for w, nw in zip(self.weights, nabla_w)]
        return nabla_b, nabla_w

    def backprop(self, x, y):
        nabla_b = [np.zeros(b.shape) for b in self.biases]
        nabla_w = [np.zeros(w.shape) for w in self.weights]
        activation = x
        activations = [x]
        zs = []
        for b, w in zip(self.biases, self.weights):
            z = np.dot(w, activation) + b
            zs.append(z)
            activation = sigmoid(z)
            activations.append(activation)
        delta = (self.cost).delta(zs[-1], activations[-1], y)
        nabla_b[-1] = delta
        nabla_w[-1] = np.dot(delta, activations[-2].transpose())
        for l in range(2, self.num_layers):
            z = zs[-l]
            sp = sigmoid_prime(z)
            delta = np.dot(self.weights[-l + 1].transpose(), delta) * sp
            nabla_b[-l] = delta
            nabla_w[-l] = np.dot(delta, activations[-l - 1].transpose())
        return (nabla_b, nabla_w)

    def total_cost(self, data, lmbda):
        cost = 0.0
        for x, y in data:
            a = self.feedforward(x)
            cost += self.cost.fn(a, y) / len(data)
        cost += 0.5 * (lmbda / len(data)) * sum(
            np.linalg.norm(w) ** 2 for w in self.weights)
        return cost


class Network2HiddenSpOfActivation(Network2):
    """Bug: hidden-layer sp = sigmoid_prime(activations[-l]) instead of zs[-l]."""

    def backprop(self, x, y):
        nabla_b = [np.zeros(b.shape) for b in self.biases]
        nabla_w = [np.zeros(w.shape) for w in self.weights]
        activation = x
        activations = [x]
        zs = []
        for b, w in zip(self.biases, self.weights):
            z = np.dot(w, activation) + b
            zs.append(z)
            activation = sigmoid(z)
            activations.append(activation)
        delta = (self.cost).delta(zs[-1], activations[-1], y)
        nabla_b[-1] = delta
        nabla_w[-1] = np.dot(delta, activations[-2].transpose())
        for l in range(2, self.num_layers):
            sp = sigmoid_prime(activations[-l])
            delta = np.dot(self.weights[-l + 1].transpose(), delta) * sp
            nabla_b[-l] = delta
            nabla_w[-l] = np.dot(delta, activations[-l - 1].transpose())
        return (nabla_b, nabla_w)


class Network2LeftoverZ(Network2):
    """Bug: the `z = zs[-l]` line is missing, so sigmoid_prime(z) uses the z
    left over from the forward loop (the output layer's z).  With a single
    output unit the (1, 1) array broadcasts silently."""

    def backprop(self, x, y):
        nabla_b = [np.zeros(b.shape) for b in self.biases]
        nabla_w = [np.zeros(w.shape) for w in self.weights]
        activation = x
        activations = [x]
        zs = []
        for b, w in zip(self.biases, self.weights):
            z = np.dot(w, activation) + b
            zs.append(z)
            activation = sigmoid(z)
            activations.append(activation)
        delta = (self.cost).delta(zs[-1], activations[-1], y)
        nabla_b[-1] = delta
        nabla_w[-1] = np.dot(delta, activations[-2].transpose())
        for l in range(2, self.num_layers):
            sp = sigmoid_prime(z)
            delta = np.dot(self.weights[-l + 1].transpose(), delta) * sp
            nabla_b[-l] = delta
            nabla_w[-l] = np.dot(delta, activations[-l - 1].transpose())
        return (nabla_b, nabla_w)


class Network2CEWithSigmoidPrime(Network2):
    """Bug: cross-entropy cost, but the output delta still has the quadratic
    cost's sigmoid_prime(z) factor (the derivative applied twice)."""

    def backprop(self, x, y):
        nabla_b = [np.zeros(b.shape) for b in self.biases]
        nabla_w = [np.zeros(w.shape) for w in self.weights]
        activation = x
        activations = [x]
        zs = []
        for b, w in zip(self.biases, self.weights):
            z = np.dot(w, activation) + b
            zs.append(z)
            activation = sigmoid(z)
            activations.append(activation)
        delta = (self.cost).delta(zs[-1], activations[-1], y) * sigmoid_prime(zs[-1])
        nabla_b[-1] = delta
        nabla_w[-1] = np.dot(delta, activations[-2].transpose())
        for l in range(2, self.num_layers):
            z = zs[-l]
            sp = sigmoid_prime(z)
            delta = np.dot(self.weights[-l + 1].transpose(), delta) * sp
            nabla_b[-l] = delta
            nabla_w[-l] = np.dot(delta, activations[-l - 1].transpose())
        return (nabla_b, nabla_w)


class Network2L2OnBiases(Network2):
    """Bug: weight decay also applied to the biases in the gradient."""

    def gradient(self, mini_batch, lmbda, n):
        nabla_b = [np.zeros(b.shape) for b in self.biases]
        nabla_w = [np.zeros(w.shape) for w in self.weights]
        for x, y in mini_batch:
            delta_nabla_b, delta_nabla_w = self.backprop(x, y)
            nabla_b = [nb + dnb for nb, dnb in zip(nabla_b, delta_nabla_b)]
            nabla_w = [nw + dnw for nw, dnw in zip(nabla_w, delta_nabla_w)]
        m = len(mini_batch)
        grad_b = [nb / m + (lmbda / n) * b for b, nb in zip(self.biases, nabla_b)]
        grad_w = [nw / m + (lmbda / n) * w for w, nw in zip(self.weights, nabla_w)]
        return grad_b, grad_w


class Network2L2Forgotten(Network2):
    """Bug: total_cost has the L2 term but the gradient never adds (lmbda/n)*w."""

    def gradient(self, mini_batch, lmbda, n):
        nabla_b = [np.zeros(b.shape) for b in self.biases]
        nabla_w = [np.zeros(w.shape) for w in self.weights]
        for x, y in mini_batch:
            delta_nabla_b, delta_nabla_w = self.backprop(x, y)
            nabla_b = [nb + dnb for nb, dnb in zip(nabla_b, delta_nabla_b)]
            nabla_w = [nw + dnw for nw, dnw in zip(nabla_w, delta_nabla_w)]
        m = len(mini_batch)
        grad_b = [nb / m for nb in nabla_b]
        grad_w = [nw / m for nw in nabla_w]
        return grad_b, grad_w


class Network2SummedDataAveragedL2(Network2):
    """Bug: data gradient summed over the batch (not divided by m) while the
    L2 term keeps network2's (lmbda/n)*w."""

    def summed_gradient(self, mini_batch, lmbda):
        nabla_b = [np.zeros(b.shape) for b in self.biases]
        nabla_w = [np.zeros(w.shape) for w in self.weights]
        for x, y in mini_batch:
            delta_nabla_b, delta_nabla_w = self.backprop(x, y)
            nabla_b = [nb + dnb for nb, dnb in zip(nabla_b, delta_nabla_b)]
            nabla_w = [nw + dnw for nw, dnw in zip(nabla_w, delta_nabla_w)]
        n = len(mini_batch)
        nabla_w = [nw + (lmbda / n) * w for w, nw in zip(self.weights, nabla_w)]
        return nabla_b, nabla_w


class MatrixNetwork2(Network2):
    """Fully matrix-based backprop over a mini-batch (the book's exercise):
    X is (D, m) with samples as columns, Y is (C, m).  Returns sums."""

    def backprop_matrix(self, X, Y):
        nabla_b = [np.zeros(b.shape) for b in self.biases]
        nabla_w = [np.zeros(w.shape) for w in self.weights]
        activation = X
        activations = [X]
        zs = []
        for b, w in zip(self.biases, self.weights):
            z = np.dot(w, activation) + b
            zs.append(z)
            activation = sigmoid(z)
            activations.append(activation)
        delta = (self.cost).delta(zs[-1], activations[-1], Y)
        nabla_b[-1] = delta.sum(axis=1, keepdims=True)
        nabla_w[-1] = np.dot(delta, activations[-2].transpose())
        for l in range(2, self.num_layers):
            z = zs[-l]
            sp = sigmoid_prime(z)
            delta = np.dot(self.weights[-l + 1].transpose(), delta) * sp
            nabla_b[-l] = delta.sum(axis=1, keepdims=True)
            nabla_w[-l] = np.dot(delta, activations[-l - 1].transpose())
        return (nabla_b, nabla_w)


class MatrixNetwork2Transposed(MatrixNetwork2):
    """Bug: nabla_w = np.dot(a_prev, delta.T), i.e. (n_in, n_out), transposed."""

    def backprop_matrix(self, X, Y):
        nabla_b = [np.zeros(b.shape) for b in self.biases]
        nabla_w = [np.zeros(w.shape) for w in self.weights]
        activation = X
        activations = [X]
        zs = []
        for b, w in zip(self.biases, self.weights):
            z = np.dot(w, activation) + b
            zs.append(z)
            activation = sigmoid(z)
            activations.append(activation)
        delta = (self.cost).delta(zs[-1], activations[-1], Y)
        nabla_b[-1] = delta.sum(axis=1, keepdims=True)
        nabla_w[-1] = np.dot(activations[-2], delta.transpose())
        for l in range(2, self.num_layers):
            z = zs[-l]
            sp = sigmoid_prime(z)
            delta = np.dot(self.weights[-l + 1].transpose(), delta) * sp
            nabla_b[-l] = delta.sum(axis=1, keepdims=True)
            nabla_w[-l] = np.dot(activations[-l - 1], delta.transpose())
        return (nabla_b, nabla_w)


# ---------------------------------------------------------------------------
# Nielsen builders
# ---------------------------------------------------------------------------

def _network_sum_case(cls, seed, sizes, N, labels=True, soft=False):
    """network.py net, quadratic cost, X rows, gradients summed."""
    np.random.seed(seed)
    net = cls(sizes)
    C = sizes[-1]
    X = np.random.randn(N, sizes[0])
    if labels:
        Y = np.random.randint(0, C, size=N)
    elif soft:
        Y = np.random.uniform(0.05, 0.95, size=(N, C))
    else:
        Y = (np.random.rand(N, C) < 0.5).astype(float)

    def grad_fn(params, X, Y):
        net = cls.from_params(params)
        return net.mini_batch_gradient(rows_to_mini_batch(X, Y, C))

    def own_loss(params, X, Y):
        return Network.from_params(params).total_cost(rows_to_mini_batch(X, Y, C))

    kwargs = dict(NIELSEN_QUADRATIC, alpha=0.0)
    return grad_fn, (net.biases, net.weights), X, Y, kwargs, own_loss


def _network2_mean_case(cls, seed, sizes, N, cost=CrossEntropyCost, lmbda=0.0,
                        one_hot=False, binary=False):
    """network2.py net, X rows, gradient = mean over batch + (lmbda/n) w."""
    np.random.seed(seed)
    net = cls(sizes, cost=cost)
    C = sizes[-1]
    X = np.random.randn(N, sizes[0])
    if binary:
        Y = (X[:, :1] + 0.5 * X[:, 1:2] > 0).astype(float)     # (N, 1) 0/1
    else:
        Y = np.random.randint(0, C, size=N)
        if one_hot:
            Y = np.eye(C)[Y]

    def grad_fn(params, X, Y):
        net = cls.from_params(params, cost=cost)
        mini_batch = rows_to_mini_batch(X, Y, C)
        return net.gradient(mini_batch, lmbda, len(mini_batch))

    def own_loss(params, X, Y):
        net = Network2.from_params(params, cost=cost)
        return net.total_cost(rows_to_mini_batch(X, Y, C), lmbda)

    loss = "cross_entropy" if cost is CrossEntropyCost else "squared_error"
    kwargs = dict(activation="logistic", output="logistic", loss=loss,
                  alpha=lmbda)
    return grad_fn, (net.biases, net.weights), X, Y, kwargs, own_loss


def _network2_sum_case(cls, seed, sizes, N, cost, lmbda):
    """network2.py net, X rows, gradient = sum over batch (+ L2, see class)."""
    np.random.seed(seed)
    net = cls(sizes, cost=cost)
    C = sizes[-1]
    X = np.random.randn(N, sizes[0])
    Y = np.random.randint(0, C, size=N)

    def grad_fn(params, X, Y):
        net = cls.from_params(params, cost=cost)
        return net.summed_gradient(rows_to_mini_batch(X, Y, C), lmbda)

    def own_loss(params, X, Y):
        net = Network2.from_params(params, cost=cost)
        mini_batch = rows_to_mini_batch(X, Y, C)
        # n * (mean cost + 0.5*(lmbda/n)*sum||w||^2)
        return len(mini_batch) * net.total_cost(mini_batch, lmbda)

    loss = "cross_entropy" if cost is CrossEntropyCost else "squared_error"
    kwargs = dict(activation="logistic", output="logistic", loss=loss,
                  alpha=lmbda)
    return grad_fn, (net.biases, net.weights), X, Y, kwargs, own_loss


def _matrix_columns_case(cls, seed, sizes, N):
    """Matrix-based network2 with X as (D, N) columns and Y (C, N) one-hot."""
    np.random.seed(seed)
    net = cls(sizes, cost=CrossEntropyCost)
    D, C = sizes[0], sizes[-1]
    X = np.random.randn(D, N)
    Y = np.eye(C)[np.random.randint(0, C, size=N)].T

    def grad_fn(params, X, Y):
        net = cls.from_params(params, cost=CrossEntropyCost)
        return net.backprop_matrix(X, Y)

    def own_loss(params, X, Y):
        net = Network2.from_params(params, cost=CrossEntropyCost)
        mini_batch = columns_to_mini_batch(X, Y)
        return len(mini_batch) * net.total_cost(mini_batch, 0.0)

    kwargs = dict(NIELSEN_CROSS_ENTROPY, alpha=0.0)
    return grad_fn, (net.biases, net.weights), X, Y, kwargs, own_loss


# ----- correct Nielsen networks -------------------------------------------

@_register("nielsen_quadratic_sum", None, set())
def _build():
    return _network_sum_case(Network, 101, [4, 7, 3], 15)


@_register("nielsen2_ce_mean_onehot", None, set())
def _build():
    return _network2_mean_case(Network2, 102, [5, 8, 3], 20, one_hot=True)


@_register("nielsen2_ce_l2_mean", None, set())
def _build():
    return _network2_mean_case(Network2, 103, [6, 10, 4], 24, lmbda=0.8)


@_register("nielsen2_quadratic_2hidden_l2_sum", None, set())
def _build():
    return _network2_sum_case(Network2, 104, [6, 9, 5, 2], 18,
                              cost=QuadraticCost, lmbda=0.5)


@_register("nielsen2_matrix_columns_ce", None, set(),
           also="X is (D, N) with samples as columns and Y is (C, N).")
def _build():
    return _matrix_columns_case(MatrixNetwork2, 105, [5, 8, 3], 12)


@_register("nielsen2_binary_single_output_ce", None, set())
def _build():
    return _network2_mean_case(Network2, 106, [3, 6, 1], 16, binary=True)


@_register("nielsen_explicit_2hidden_soft_targets", None, set())
def _build():
    return _network_sum_case(ExplicitThreeLayer, 107, [5, 8, 6, 3], 14,
                             labels=False, soft=True)


@_register("nielsen2_columns_quadratic_2hidden_l2_mean", None, set(),
           also="X is (D, N) with samples as columns and Y is (C, N).")
def _build():
    np.random.seed(108)
    sizes = [4, 8, 6, 3]
    lmbda = 0.2
    net = Network2(sizes, cost=QuadraticCost)
    N = 22
    X = np.random.randn(4, N)
    Y = np.random.uniform(0.1, 0.9, size=(3, N))

    def grad_fn(params, X, Y):
        net = Network2.from_params(params, cost=QuadraticCost)
        mini_batch = columns_to_mini_batch(X, Y)
        return net.gradient(mini_batch, lmbda, len(mini_batch))

    def own_loss(params, X, Y):
        net = Network2.from_params(params, cost=QuadraticCost)
        return net.total_cost(columns_to_mini_batch(X, Y), lmbda)

    kwargs = dict(NIELSEN_QUADRATIC, alpha=lmbda)
    return grad_fn, (net.biases, net.weights), X, Y, kwargs, own_loss


# ----- buggy Nielsen networks ---------------------------------------------

@_register("nielsen_sp_of_activation_output",
           "The output delta multiplies by sigmoid_prime(a) of the output "
           "activation instead of sigmoid_prime(z).",
           ALL_NIELSEN_2)
def _build():
    return _network_sum_case(NetworkSpOfActivation, 201, [4, 7, 3], 15)


@_register("nielsen2_sp_of_activation_hidden",
           "The hidden-layer delta uses sigmoid_prime(activations[-l]) "
           "instead of sigmoid_prime(zs[-l]).",
           {"biases[0]", "weights[0]"})
def _build():
    return _network2_mean_case(Network2HiddenSpOfActivation, 202, [5, 8, 3], 20,
                               one_hot=True)


@_register("nielsen2_leftover_output_z_in_hidden",
           "The line z = zs[-l] is missing, so the hidden delta uses the "
           "output layer's z left over from the forward loop (it broadcasts "
           "because there is one output unit).",
           {"biases[0]", "weights[0]"})
def _build():
    return _network2_mean_case(Network2LeftoverZ, 203, [3, 6, 1], 16, binary=True)


@_register("nielsen_no_transpose_backward",
           "The hidden delta uses np.dot(w, delta) instead of "
           "np.dot(w.transpose(), delta); it runs only because the output "
           "weight matrix is square.",
           {"biases[0]", "weights[0]"})
def _build():
    return _network_sum_case(NetworkNoTransposeBackward, 204, [4, 6, 6], 18)


@_register("nielsen2_matrix_nabla_w_transposed",
           "nabla_w is computed as np.dot(activation, delta.T), giving "
           "(n_in, n_out) arrays instead of (n_out, n_in).",
           {"weights[0]", "weights[1]"},
           also="The weight gradients come back transposed (shape (n_in, n_out) "
                "instead of the weights' (n_out, n_in)); X is (D, N) columns.")
def _build():
    return _matrix_columns_case(MatrixNetwork2Transposed, 205, [5, 8, 3], 12)


@_register("nielsen_bias_not_accumulated",
           "In the mini-batch loop nabla_b is assigned the last sample's "
           "delta_nabla_b instead of being summed over the batch.",
           {"biases[0]", "biases[1]"})
def _build():
    return _network_sum_case(NetworkBiasNotAccumulated, 206, [4, 7, 3], 15)


@_register("nielsen2_l2_on_biases",
           "The gradient adds (lmbda/n)*b to the bias gradients although the "
           "cost only regularises the weights.",
           {"biases[0]", "biases[1]"})
def _build():
    return _network2_mean_case(Network2L2OnBiases, 207, [5, 8, 3], 20, lmbda=1.5)


@_register("nielsen2_l2_forgotten_in_gradient",
           "The cost includes 0.5*(lmbda/n)*sum||w||^2 but the gradient never "
           "adds (lmbda/n)*w.",
           {"weights[0]", "weights[1]", "weights[2]"})
def _build():
    return _network2_mean_case(Network2L2Forgotten, 208, [6, 9, 5, 2], 18,
                               lmbda=1.0)


@_register("nielsen2_summed_data_averaged_l2",
           "The data gradient is summed over the batch but the L2 term keeps "
           "network2's (lmbda/n)*w, so the batch size is divided out in only "
           "one place.",
           {"weights[0]", "weights[1]"},
           also="Biases are consistent with the summed convention; the L2 part "
                "of the weight gradients is n times too small (as if alpha/n).")
def _build():
    return _network2_sum_case(Network2SummedDataAveragedL2, 209, [5, 8, 3], 10,
                              cost=CrossEntropyCost, lmbda=2.0)


@_register("nielsen_output_delta_sign_flipped",
           "cost_derivative returns (y - a) instead of (a - y), flipping the "
           "sign of the output delta.",
           ALL_NIELSEN_2,
           also="Every gradient is exactly the negative of the true gradient.")
def _build():
    return _network_sum_case(NetworkFlippedCostDerivative, 210, [4, 7, 3], 15)


@_register("nielsen2_ce_delta_times_sigmoid_prime",
           "With the cross-entropy cost the output delta is still multiplied "
           "by sigmoid_prime(z), applying the sigmoid derivative twice.",
           ALL_NIELSEN_2,
           also="The gradients are those of the quadratic cost, not the "
                "cross-entropy cost.")
def _build():
    return _network2_mean_case(Network2CEWithSigmoidPrime, 211, [5, 8, 3], 20)


@_register("nielsen_quadratic_missing_sigmoid_prime",
           "With the quadratic cost the output delta is just (a - y); the "
           "sigmoid_prime(z) factor is missing.",
           ALL_NIELSEN_2,
           also="The gradients are those of the cross-entropy cost, not the "
                "quadratic cost.")
def _build():
    return _network_sum_case(NetworkQuadraticNoSigmoidPrime, 212, [4, 7, 3], 15)


@_register("nielsen_explicit_2hidden_copy_paste_z",
           "In a hand-written two-hidden-layer backprop, delta1 is copy-pasted "
           "from delta2 and uses sigmoid_prime(z2) instead of sigmoid_prime(z1).",
           {"biases[0]", "weights[0]"})
def _build():
    return _network_sum_case(ExplicitThreeLayerCopyPaste, 213, [5, 7, 7, 3], 14)


@_register("nielsen_output_nabla_w_overwritten_activation",
           "The output nabla_w uses the variable `activation`, which after the "
           "forward loop holds the output activation, instead of "
           "activations[-2] (silently broadcast with one output unit).",
           {"weights[1]"})
def _build():
    return _network_sum_case(NetworkOverwrittenActivation, 214, [4, 6, 1], 16,
                             labels=False)


# ===========================================================================
# Style 2: textbook tanh regressor, flat params [W1, b1, W2, b2]
# ===========================================================================

def mlp_tanh_mse(params, X, y, half=True, alpha=0.0):
    """Reference loss for the regressors: tanh hidden layers, linear output,
    (0.5 *) mean over samples and outputs of the squared error, plus
    0.5 * alpha / N * sum of squared weights."""
    N = X.shape[0]
    Y = np.reshape(y, (N, -1))
    n_layers = len(params) // 2
    a = X
    for i in range(n_layers):
        W, b = params[2 * i], params[2 * i + 1]
        z = a.dot(W) + b
        a = np.tanh(z) if i < n_layers - 1 else z
    err = a - Y
    loss = np.mean(err ** 2)
    if half:
        loss = 0.5 * loss
    loss += 0.5 * alpha / N * sum(np.sum(W ** 2) for W in params[0::2])
    return loss


def _regression_data(seed, layer_sizes, N, y_shape="2d", bias_rows=False,
                     w_scale=None):
    np.random.seed(seed)
    params = []
    for n_in, n_out in zip(layer_sizes[:-1], layer_sizes[1:]):
        scale = (1.0 / np.sqrt(n_in)) if w_scale is None else w_scale
        params.append(scale * np.random.randn(n_in, n_out))
        b = 0.5 * np.random.randn(n_out)
        params.append(b.reshape(1, -1) if bias_rows else b)
    D, C = layer_sizes[0], layer_sizes[-1]
    X = np.random.randn(N, D)
    V = np.random.randn(D, C)
    Y = np.sin(X.dot(V)) + 0.1 * np.random.randn(N, C)
    if y_shape == "1d":
        Y = Y[:, 0]
    return params, X, Y


def _reg_case(grad_fn, seed, layer_sizes, N, half=True, alpha=0.0, **data_kw):
    params, X, Y = _regression_data(seed, layer_sizes, N, **data_kw)

    def own_loss(params, X, Y):
        return mlp_tanh_mse(params, X, Y, half=half, alpha=alpha)

    kwargs = dict(TANH_REGRESSION, alpha=alpha)
    return grad_fn, params, X, Y, kwargs, own_loss


# ----- correct regressors --------------------------------------------------

def tanh_regressor(params, X, y):
    """One tanh hidden layer, linear output, loss = 0.5 * mean squared error."""
    W1, b1, W2, b2 = params
    N = X.shape[0]
    Y = y.reshape(N, -1)
    # forward
    z1 = X.dot(W1) + b1
    h1 = np.tanh(z1)
    yhat = h1.dot(W2) + b2
    err = yhat - Y
    loss = 0.5 * np.mean(err ** 2)
    # backward
    dyhat = err / err.size
    dW2 = h1.T.dot(dyhat)
    db2 = dyhat.sum(axis=0)
    dh1 = dyhat.dot(W2.T)
    dz1 = dh1 * (1.0 - h1 ** 2)
    dW1 = X.T.dot(dz1)
    db1 = dz1.sum(axis=0)
    return loss, [dW1, db1, dW2, db2]


def tanh_regressor_mse(params, X, Y):
    """One tanh hidden layer, several outputs, loss = mean((Yhat - Y)**2)."""
    W1, b1, W2, b2 = params
    N, C = Y.shape
    A1 = np.tanh(X @ W1 + b1)
    Yhat = A1 @ W2 + b2
    loss = np.mean((Yhat - Y) ** 2)
    dYhat = 2.0 * (Yhat - Y) / (N * C)
    dW2 = A1.T @ dYhat
    db2 = np.sum(dYhat, axis=0)
    dA1 = dYhat @ W2.T
    dZ1 = dA1 * (1 - A1 ** 2)
    dW1 = X.T @ dZ1
    db1 = np.sum(dZ1, axis=0)
    return loss, [dW1, db1, dW2, db2]


def tanh_regressor_2hidden(params, X, Y):
    """Two tanh hidden layers, loss = 0.5 * mean over samples and outputs."""
    W1, b1, W2, b2, W3, b3 = params
    Z1 = X @ W1 + b1
    H1 = np.tanh(Z1)
    Z2 = H1 @ W2 + b2
    H2 = np.tanh(Z2)
    out = H2 @ W3 + b3
    diff = out - Y
    loss = 0.5 * np.mean(diff ** 2)
    dout = diff / diff.size
    dW3 = H2.T @ dout
    db3 = dout.sum(axis=0)
    dZ2 = (dout @ W3.T) * (1 - H2 ** 2)
    dW2 = H1.T @ dZ2
    db2 = dZ2.sum(axis=0)
    dZ1 = (dZ2 @ W2.T) * (1 - H1 ** 2)
    dW1 = X.T @ dZ1
    db1 = dZ1.sum(axis=0)
    return loss, [dW1, db1, dW2, db2, dW3, db3]


def tanh_regressor_2hidden_rowbias(params, X, y):
    """Two tanh hidden layers, one output, biases stored as (1, n) rows,
    loss = mean squared error without the 1/2."""
    W1, b1, W2, b2, W3, b3 = params
    n = len(X)
    y = y.reshape(n, 1)
    a1 = np.tanh(np.dot(X, W1) + b1)
    a2 = np.tanh(np.dot(a1, W2) + b2)
    pred = np.dot(a2, W3) + b3
    loss = np.sum((pred - y) ** 2) / n
    g = 2.0 * (pred - y) / n
    gW3 = np.dot(a2.T, g)
    gb3 = np.sum(g, axis=0, keepdims=True)
    g = np.dot(g, W3.T) * (1.0 - a2 ** 2)
    gW2 = np.dot(a1.T, g)
    gb2 = np.sum(g, axis=0, keepdims=True)
    g = np.dot(g, W2.T) * (1.0 - a1 ** 2)
    gW1 = np.dot(X.T, g)
    gb1 = np.sum(g, axis=0, keepdims=True)
    return loss, [gW1, gb1, gW2, gb2, gW3, gb3]


def tanh_regressor_l2(params, X, y, alpha=0.3):
    """One hidden layer, one output, 0.5*MSE + 0.5*alpha/N*||W||^2."""
    W1, b1, W2, b2 = params
    N = X.shape[0]
    Y = y.reshape(N, -1)
    h = np.tanh(X.dot(W1) + b1)
    out = h.dot(W2) + b2
    err = out - Y
    loss = 0.5 * np.mean(err ** 2)
    loss += 0.5 * alpha / N * (np.sum(W1 ** 2) + np.sum(W2 ** 2))
    d = err / err.size
    dW2 = h.T.dot(d) + alpha / N * W2
    db2 = d.sum(axis=0)
    dz = d.dot(W2.T) * (1 - h ** 2)
    dW1 = X.T.dot(dz) + alpha / N * W1
    db1 = dz.sum(axis=0)
    return loss, [dW1, db1, dW2, db2]


def tanh_regressor_per_sample(params, X, Y):
    """Loops over samples like a textbook; 0.5 * mean over samples and outputs."""
    W1, b1, W2, b2 = params
    N, C = Y.shape
    dW1 = np.zeros_like(W1)
    db1 = np.zeros_like(b1)
    dW2 = np.zeros_like(W2)
    db2 = np.zeros_like(b2)
    loss = 0.0
    for n in range(N):
        x = X[n]
        t = Y[n]
        a1 = np.tanh(x @ W1 + b1)
        o = a1 @ W2 + b2
        e = o - t
        loss += 0.5 * np.sum(e ** 2)
        delta2 = e
        delta1 = (W2 @ delta2) * (1 - a1 ** 2)
        dW2 += np.outer(a1, delta2)
        db2 += delta2
        dW1 += np.outer(x, delta1)
        db1 += delta1
    s = 1.0 / (N * C)
    return loss * s, [dW1 * s, db1 * s, dW2 * s, db2 * s]


@_register("reg_tanh_half_1out", None, set())
def _build():
    return _reg_case(tanh_regressor, 301, [3, 8, 1], 20, y_shape="1d")


@_register("reg_tanh_nohalf_3out", None, set())
def _build():
    return _reg_case(tanh_regressor_mse, 302, [4, 9, 3], 25, half=False)


@_register("reg_tanh_2hidden_half_2out", None, set())
def _build():
    return _reg_case(tanh_regressor_2hidden, 303, [5, 10, 6, 2], 30)


@_register("reg_tanh_2hidden_nohalf_rowbias", None, set())
def _build():
    return _reg_case(tanh_regressor_2hidden_rowbias, 304, [3, 7, 5, 1], 24,
                     half=False, bias_rows=True)


@_register("reg_tanh_l2", None, set())
def _build():
    return _reg_case(tanh_regressor_l2, 305, [4, 6, 1], 20, alpha=0.3,
                     y_shape="1d")


@_register("reg_tanh_per_sample_loop", None, set())
def _build():
    return _reg_case(tanh_regressor_per_sample, 306, [3, 5, 2], 12)


# ----- buggy regressors ----------------------------------------------------

def bug_tanh_of_activation(params, X, y):
    W1, b1, W2, b2 = params
    N = X.shape[0]
    Y = y.reshape(N, -1)
    z1 = X.dot(W1) + b1
    h1 = np.tanh(z1)
    yhat = h1.dot(W2) + b2
    err = yhat - Y
    loss = 0.5 * np.mean(err ** 2)
    dyhat = err / err.size
    dW2 = h1.T.dot(dyhat)
    db2 = dyhat.sum(axis=0)
    dh1 = dyhat.dot(W2.T)
    dz1 = dh1 * (1.0 - np.tanh(h1) ** 2)
    dW1 = X.T.dot(dz1)
    db1 = dz1.sum(axis=0)
    return loss, [dW1, db1, dW2, db2]


def bug_tanh_no_square(params, X, y):
    W1, b1, W2, b2 = params
    N = X.shape[0]
    Y = y.reshape(N, -1)
    z1 = X.dot(W1) + b1
    h1 = np.tanh(z1)
    yhat = h1.dot(W2) + b2
    err = yhat - Y
    loss = 0.5 * np.mean(err ** 2)
    dyhat = err / err.size
    dW2 = h1.T.dot(dyhat)
    db2 = dyhat.sum(axis=0)
    dh1 = dyhat.dot(W2.T)
    dz1 = dh1 * (1.0 - h1)
    dW1 = X.T.dot(dz1)
    db1 = dz1.sum(axis=0)
    return loss, [dW1, db1, dW2, db2]


def bug_2hidden_no_transpose(params, X, Y):
    W1, b1, W2, b2, W3, b3 = params
    Z1 = X @ W1 + b1
    H1 = np.tanh(Z1)
    Z2 = H1 @ W2 + b2
    H2 = np.tanh(Z2)
    out = H2 @ W3 + b3
    diff = out - Y
    loss = 0.5 * np.mean(diff ** 2)
    dout = diff / diff.size
    dW3 = H2.T @ dout
    db3 = dout.sum(axis=0)
    dZ2 = (dout @ W3.T) * (1 - H2 ** 2)
    dW2 = H1.T @ dZ2
    db2 = dZ2.sum(axis=0)
    dZ1 = (dZ2 @ W2) * (1 - H1 ** 2)
    dW1 = X.T @ dZ1
    db1 = dZ1.sum(axis=0)
    return loss, [dW1, db1, dW2, db2, dW3, db3]


def bug_dW_transposed(params, X, Y):
    W1, b1, W2, b2 = params
    A1 = np.tanh(X @ W1 + b1)
    Yhat = A1 @ W2 + b2
    E = Yhat - Y
    loss = 0.5 * np.mean(E ** 2)
    delta2 = E / E.size
    dW2 = delta2.T @ A1
    db2 = delta2.sum(axis=0)
    delta1 = (delta2 @ W2.T) * (1 - A1 ** 2)
    dW1 = delta1.T @ X
    db1 = delta1.sum(axis=0)
    return loss, [dW1, db1, dW2, db2]


def bug_half_dropped_in_gradient(params, X, y):
    W1, b1, W2, b2 = params
    N = X.shape[0]
    Y = y.reshape(N, -1)
    h = np.tanh(X @ W1 + b1)
    pred = h @ W2 + b2
    err = pred - Y
    loss = 0.5 * np.mean(err ** 2)
    dpred = 2 * err / N
    dW2 = h.T @ dpred
    db2 = dpred.sum(axis=0)
    dz = (dpred @ W2.T) * (1 - h ** 2)
    dW1 = X.T @ dz
    db1 = dz.sum(axis=0)
    return loss, [dW1, db1, dW2, db2]


def bug_half_added_in_gradient(params, X, y):
    W1, b1, W2, b2 = params
    N = X.shape[0]
    Y = y.reshape(N, -1)
    h = np.tanh(X @ W1 + b1)
    pred = h @ W2 + b2
    err = pred - Y
    loss = np.mean(err ** 2)
    dpred = err / N
    dW2 = h.T @ dpred
    db2 = dpred.sum(axis=0)
    dz = (dpred @ W2.T) * (1 - h ** 2)
    dW1 = X.T @ dz
    db1 = dz.sum(axis=0)
    return loss, [dW1, db1, dW2, db2]


def bug_tanh_derivative_twice(params, X, y):
    W1, b1, W2, b2 = params
    N = X.shape[0]
    Y = y.reshape(N, -1)
    z1 = X.dot(W1) + b1
    h1 = np.tanh(z1)
    yhat = h1.dot(W2) + b2
    err = yhat - Y
    loss = 0.5 * np.mean(err ** 2)
    dyhat = err / err.size
    dW2 = h1.T.dot(dyhat)
    db2 = dyhat.sum(axis=0)
    dh1 = dyhat.dot(W2.T) * (1.0 - h1 ** 2)
    dz1 = dh1 * (1.0 - h1 ** 2)
    dW1 = X.T.dot(dz1)
    db1 = dz1.sum(axis=0)
    return loss, [dW1, db1, dW2, db2]


def bug_z_overwritten(params, X, y):
    W1, b1, W2, b2 = params
    N = X.shape[0]
    y = y.reshape(N, 1)
    z = X @ W1 + b1
    h = np.tanh(z)
    z = h @ W2 + b2          # z reused for the output layer
    err = z - y
    loss = 0.5 * np.mean(err ** 2)
    dz_out = err / N
    dW2 = h.T @ dz_out
    db2 = dz_out.sum(axis=0)
    dh = dz_out @ W2.T
    dz_hid = dh * (1 - np.tanh(z) ** 2)
    dW1 = X.T @ dz_hid
    db1 = dz_hid.sum(axis=0)
    return loss, [dW1, db1, dW2, db2]


def bug_hidden_bias_mean(params, X, y):
    W1, b1, W2, b2 = params
    N = X.shape[0]
    Y = y.reshape(N, -1)
    h = np.tanh(X @ W1 + b1)
    out = h @ W2 + b2
    err = out - Y
    loss = 0.5 * np.mean(err ** 2)
    dout = err / N
    dW2 = h.T @ dout
    db2 = dout.sum(axis=0)
    dz = (dout @ W2.T) * (1 - h ** 2)
    dW1 = X.T @ dz
    db1 = dz.mean(axis=0)
    return loss, [dW1, db1, dW2, db2]


def bug_sign_flipped(params, X, y):
    W1, b1, W2, b2 = params
    N = X.shape[0]
    Y = y.reshape(N, -1)
    h = np.tanh(X @ W1 + b1)
    out = h @ W2 + b2
    err = Y - out
    loss = 0.5 * np.mean(err ** 2)
    dout = err / N
    dW2 = h.T @ dout
    db2 = dout.sum(axis=0)
    dz = (dout @ W2.T) * (1 - h ** 2)
    dW1 = X.T @ dz
    db1 = dz.sum(axis=0)
    return loss, [dW1, db1, dW2, db2]


def bug_per_sample_bias_not_accumulated(params, X, Y):
    W1, b1, W2, b2 = params
    N, C = Y.shape
    dW1 = np.zeros_like(W1)
    db1 = np.zeros_like(b1)
    dW2 = np.zeros_like(W2)
    db2 = np.zeros_like(b2)
    loss = 0.0
    for n in range(N):
        x = X[n]
        t = Y[n]
        a1 = np.tanh(x @ W1 + b1)
        o = a1 @ W2 + b2
        e = o - t
        loss += 0.5 * np.sum(e ** 2)
        delta2 = e
        delta1 = (W2 @ delta2) * (1 - a1 ** 2)
        dW2 += np.outer(a1, delta2)
        db2 = delta2
        dW1 += np.outer(x, delta1)
        db1 += delta1
    s = 1.0 / (N * C)
    return loss * s, [dW1 * s, db1 * s, dW2 * s, db2 * s]


def bug_not_averaged_over_outputs(params, X, Y):
    W1, b1, W2, b2 = params
    N = X.shape[0]
    A1 = np.tanh(X @ W1 + b1)
    Yhat = A1 @ W2 + b2
    loss = np.mean((Yhat - Y) ** 2)
    dYhat = 2.0 * (Yhat - Y) / N
    dW2 = A1.T @ dYhat
    db2 = np.sum(dYhat, axis=0)
    dA1 = dYhat @ W2.T
    dZ1 = dA1 * (1 - A1 ** 2)
    dW1 = X.T @ dZ1
    db1 = np.sum(dZ1, axis=0)
    return loss, [dW1, db1, dW2, db2]


def bug_dW2_uses_preactivation(params, X, y):
    W1, b1, W2, b2 = params
    N = X.shape[0]
    Y = y.reshape(N, -1)
    z1 = X.dot(W1) + b1
    h1 = np.tanh(z1)
    yhat = h1.dot(W2) + b2
    err = yhat - Y
    loss = 0.5 * np.mean(err ** 2)
    dyhat = err / err.size
    dW2 = z1.T.dot(dyhat)
    db2 = dyhat.sum(axis=0)
    dh1 = dyhat.dot(W2.T)
    dz1 = dh1 * (1.0 - h1 ** 2)
    dW1 = X.T.dot(dz1)
    db1 = dz1.sum(axis=0)
    return loss, [dW1, db1, dW2, db2]


def bug_db1_before_tanh_derivative(params, X, y):
    W1, b1, W2, b2 = params
    N = X.shape[0]
    Y = y.reshape(N, -1)
    z1 = X.dot(W1) + b1
    h1 = np.tanh(z1)
    yhat = h1.dot(W2) + b2
    err = yhat - Y
    loss = 0.5 * np.mean(err ** 2)
    dyhat = err / err.size
    dW2 = h1.T.dot(dyhat)
    db2 = dyhat.sum(axis=0)
    dh1 = dyhat.dot(W2.T)
    dz1 = dh1 * (1.0 - h1 ** 2)
    dW1 = X.T.dot(dz1)
    db1 = dh1.sum(axis=0)
    return loss, [dW1, db1, dW2, db2]


def bug_l2_on_biases(params, X, y, alpha=2.0):
    W1, b1, W2, b2 = params
    N = X.shape[0]
    Y = y.reshape(N, -1)
    h = np.tanh(X.dot(W1) + b1)
    out = h.dot(W2) + b2
    err = out - Y
    loss = 0.5 * np.mean(err ** 2)
    loss += 0.5 * alpha / N * (np.sum(W1 ** 2) + np.sum(W2 ** 2))
    d = err / err.size
    dW2 = h.T.dot(d) + alpha / N * W2
    db2 = d.sum(axis=0) + alpha / N * b2
    dz = d.dot(W2.T) * (1 - h ** 2)
    dW1 = X.T.dot(dz) + alpha / N * W1
    db1 = dz.sum(axis=0) + alpha / N * b1
    return loss, [dW1, db1, dW2, db2]


def bug_output_bias_sum_no_axis(params, X, Y):
    W1, b1, W2, b2 = params
    N, C = Y.shape
    A1 = np.tanh(X @ W1 + b1)
    Yhat = A1 @ W2 + b2
    loss = np.mean((Yhat - Y) ** 2)
    dYhat = 2.0 * (Yhat - Y) / (N * C)
    dW2 = A1.T @ dYhat
    db2 = np.sum(dYhat)
    dA1 = dYhat @ W2.T
    dZ1 = dA1 * (1 - A1 ** 2)
    dW1 = X.T @ dZ1
    db1 = np.sum(dZ1, axis=0)
    return loss, [dW1, db1, dW2, db2]


def bug_2hidden_wrong_layer_activation(params, X, Y):
    W1, b1, W2, b2, W3, b3 = params
    Z1 = X @ W1 + b1
    H1 = np.tanh(Z1)
    Z2 = H1 @ W2 + b2
    H2 = np.tanh(Z2)
    out = H2 @ W3 + b3
    diff = out - Y
    loss = 0.5 * np.mean(diff ** 2)
    dout = diff / diff.size
    dW3 = H2.T @ dout
    db3 = dout.sum(axis=0)
    dZ2 = (dout @ W3.T) * (1 - H2 ** 2)
    dW2 = H1.T @ dZ2
    db2 = dZ2.sum(axis=0)
    dZ1 = (dZ2 @ W2.T) * (1 - H2 ** 2)
    dW1 = X.T @ dZ1
    db1 = dZ1.sum(axis=0)
    return loss, [dW1, db1, dW2, db2, dW3, db3]


@_register("reg_tanh_derivative_of_activation",
           "The hidden derivative is written 1 - np.tanh(h1)**2 where h1 is "
           "already tanh(z1), so tanh is applied twice.",
           {"W0", "b0"})
def _build():
    return _reg_case(bug_tanh_of_activation, 401, [3, 8, 1], 20, y_shape="1d")


@_register("reg_tanh_derivative_no_square",
           "The tanh derivative is written 1 - h instead of 1 - h**2.",
           {"W0", "b0"})
def _build():
    return _reg_case(bug_tanh_no_square, 402, [3, 8, 1], 20, y_shape="1d")


@_register("reg_2hidden_no_transpose_backward",
           "Backpropagating into the first hidden layer uses dZ2 @ W2 instead "
           "of dZ2 @ W2.T (runs only because W2 is square).",
           {"W0", "b0"})
def _build():
    return _reg_case(bug_2hidden_no_transpose, 403, [4, 7, 7, 2], 26)


@_register("reg_dW_transposed",
           "Weight gradients are computed as delta.T @ a_prev, giving "
           "(n_out, n_in) arrays for weights stored as (n_in, n_out).",
           {"W0", "W1"},
           also="Both weight gradients come back transposed relative to the "
                "weights' shapes.")
def _build():
    return _reg_case(bug_dW_transposed, 404, [4, 7, 2], 22)


@_register("reg_half_dropped_in_gradient",
           "The loss is 0.5*mean((pred - y)**2) but the gradient starts from "
           "2*(pred - y)/N, i.e. the 1/2 is dropped in the gradient only.",
           ALL_FLAT_2,
           also="Every gradient is exactly twice the gradient of the returned "
                "loss (they match a mean squared error without the 1/2, so only "
                "the returned loss value reveals the bug).")
def _build():
    return _reg_case(bug_half_dropped_in_gradient, 405, [3, 8, 1], 20,
                     y_shape="1d")


@_register("reg_half_added_in_gradient",
           "The loss is mean((pred - y)**2) without the 1/2 but the gradient "
           "starts from (pred - y)/N as if the 1/2 were there.",
           ALL_FLAT_2,
           also="Every gradient is exactly half the gradient of the returned "
                "loss (they match 0.5 * mean squared error, so only the returned "
                "loss value reveals the bug).")
def _build():
    return _reg_case(bug_half_added_in_gradient, 406, [4, 6, 1], 18,
                     half=False)


@_register("reg_tanh_derivative_twice",
           "The tanh derivative (1 - h**2) is multiplied in twice on the "
           "way into the hidden layer.",
           {"W0", "b0"})
def _build():
    return _reg_case(bug_tanh_derivative_twice, 407, [4, 9, 1], 20,
                     y_shape="1d")


@_register("reg_z_overwritten_by_output",
           "The variable z is reused for the output pre-activation, so the "
           "hidden derivative 1 - tanh(z)**2 uses the output's z (broadcast "
           "from one output column).",
           {"W0", "b0"})
def _build():
    return _reg_case(bug_z_overwritten, 408, [3, 7, 1], 20)


@_register("reg_hidden_bias_mean",
           "The hidden bias gradient uses dz.mean(axis=0) although the output "
           "error was already divided by N, dividing by the batch size twice.",
           {"b0"})
def _build():
    return _reg_case(bug_hidden_bias_mean, 409, [3, 8, 1], 20, y_shape="1d")


@_register("reg_output_error_sign_flipped",
           "The error is computed as y - prediction, so every backpropagated "
           "gradient has the wrong sign.",
           ALL_FLAT_2,
           also="Every gradient is exactly the negative of the true gradient.")
def _build():
    return _reg_case(bug_sign_flipped, 410, [3, 8, 1], 20, y_shape="1d")


@_register("reg_per_sample_output_bias_not_accumulated",
           "In the per-sample loop db2 = delta2 overwrites instead of "
           "accumulating, so only the last sample's output-bias gradient "
           "survives.",
           {"b1"})
def _build():
    return _reg_case(bug_per_sample_bias_not_accumulated, 411, [3, 5, 2], 12)


@_register("reg_not_averaged_over_outputs",
           "The loss averages over samples and outputs but the gradient only "
           "divides by the number of samples.",
           ALL_FLAT_2,
           also="Every gradient is exactly C (= 3) times the gradient of the "
                "returned loss (they match a loss summed over outputs and "
                "averaged over samples, so only the returned loss value reveals "
                "the bug).")
def _build():
    return _reg_case(bug_not_averaged_over_outputs, 412, [4, 9, 3], 25,
                     half=False)


@_register("reg_dW2_uses_preactivation",
           "The output weight gradient uses the hidden pre-activation z1 "
           "instead of the activation tanh(z1).",
           {"W1"})
def _build():
    return _reg_case(bug_dW2_uses_preactivation, 413, [3, 8, 1], 20,
                     y_shape="1d")


@_register("reg_db1_before_tanh_derivative",
           "The hidden bias gradient is summed from dh1 before multiplying by "
           "the tanh derivative.",
           {"b0"})
def _build():
    return _reg_case(bug_db1_before_tanh_derivative, 414, [3, 8, 1], 20,
                     y_shape="1d")


@_register("reg_l2_on_biases",
           "The L2 term alpha/N * b is added to the bias gradients although "
           "the loss only penalises the weights.",
           {"b0", "b1"})
def _build():
    return _reg_case(bug_l2_on_biases, 415, [4, 6, 1], 12, alpha=2.0,
                     y_shape="1d")


@_register("reg_output_bias_sum_without_axis",
           "The output bias gradient is np.sum(dYhat) without axis=0, "
           "collapsing it to a scalar summed over samples and outputs.",
           {"b1"},
           also="The output bias gradient is a scalar instead of shape (3,).")
def _build():
    return _reg_case(bug_output_bias_sum_no_axis, 416, [4, 9, 3], 25,
                     half=False)


@_register("reg_2hidden_wrong_layer_activation",
           "The first hidden layer's derivative is copy-pasted as (1 - H2**2) "
           "instead of (1 - H1**2) (same width, so it runs).",
           {"W0", "b0"})
def _build():
    return _reg_case(bug_2hidden_wrong_layer_activation, 417, [4, 7, 7, 2], 26)


# ===========================================================================
# Self-check against central differences of each network's own loss
# ===========================================================================

def _named_arrays(params):
    """[(name, array)] in a fixed order for either parameter structure."""
    if isinstance(params, tuple) and len(params) == 2 and \
            all(isinstance(p, list) for p in params):
        biases, weights = params
        return ([("biases[%d]" % i, b) for i, b in enumerate(biases)] +
                [("weights[%d]" % i, w) for i, w in enumerate(weights)])
    names = []
    for k, a in enumerate(params):
        names.append(("%s%d" % ("W" if k % 2 == 0 else "b", k // 2), a))
    return names


def _named_grads(result, params):
    """Match grad_fn's output to the parameter names."""
    returned_loss = None
    if isinstance(params, tuple):        # Nielsen: (nabla_b, nabla_w)
        nabla_b, nabla_w = result
        grads = list(nabla_b) + list(nabla_w)
    else:                                # regressor: (loss, grads)
        returned_loss, grads = result
    names = [n for n, _ in _named_arrays(params)]
    assert len(grads) == len(names)
    return dict(zip(names, [np.asarray(g, dtype=float) for g in grads])), returned_loss


def _numeric_grads(loss, params, X, Y, eps=1e-6):
    params = copy.deepcopy(params)
    out = {}
    for name, arr in _named_arrays(params):
        g = np.zeros(arr.shape)
        flat = arr.reshape(-1)          # a view: edits change params in place
        for i in range(flat.size):
            old = flat[i]
            flat[i] = old + eps
            lp = loss(params, X, Y)
            flat[i] = old - eps
            lm = loss(params, X, Y)
            flat[i] = old
            g.reshape(-1)[i] = (lp - lm) / (2 * eps)
        out[name] = g
    return out


def _rel_err(a, b):
    if a.shape != b.shape:
        return np.inf
    return np.linalg.norm(a - b) / max(np.linalg.norm(a) + np.linalg.norm(b), 1e-300)


def _self_check(verbose=True):
    names = [c["name"] for c in CASES]
    assert len(names) == len(set(names)), "duplicate case names"
    failures = []
    for case in CASES:
        build = _BUILDERS[case["name"]]
        grad_fn, params, X, Y, kwargs, own_loss = build()
        # make() must give the same thing (fixed seed)
        g2, p2, X2, Y2, kw2 = case["make"]()
        assert np.array_equal(X, X2) and np.array_equal(Y, Y2) and kw2 == kwargs
        for (_, a), (_, b) in zip(_named_arrays(params), _named_arrays(p2)):
            assert np.array_equal(a, b)
        assert set(kwargs) == {"activation", "output", "loss", "alpha"}
        # sizes
        N = X.shape[1] if case["also"] and "(D, N)" in case["also"] else X.shape[0]
        assert 5 <= N <= 40, case["name"]
        for _, a in _named_arrays(params):
            assert max(a.shape) < 20

        snapshot = copy.deepcopy(params)
        result = grad_fn(copy.deepcopy(params), X, Y)
        for (_, a), (_, b) in zip(_named_arrays(params), _named_arrays(snapshot)):
            assert np.array_equal(a, b), "params mutated"
        grads, returned_loss = _named_grads(result, params)
        numeric = _numeric_grads(own_loss, params, X, Y)
        if returned_loss is not None:
            ref = own_loss(params, X, Y)
            if abs(returned_loss - ref) > 1e-10 * max(1.0, abs(ref)):
                failures.append("%s: returned loss %r != own loss %r"
                                % (case["name"], returned_loss, ref))

        errs = {n: _rel_err(grads[n], numeric[n]) for n in numeric}
        found = {n for n, e in errs.items() if e > 1e-2}
        grey = {n for n, e in errs.items() if 1e-6 < e <= 1e-2}
        for n in numeric:
            if np.linalg.norm(numeric[n]) < 1e-8:
                failures.append("%s: true gradient of %s is ~0" % (case["name"], n))
        if grey:
            failures.append("%s: ambiguous errors %s" % (
                case["name"], {n: errs[n] for n in grey}))
        if found != case["wrong"]:
            failures.append("%s: expected wrong %s, found %s" % (
                case["name"], sorted(case["wrong"]), sorted(found)))
        if (case["bug"] is None) != (not case["wrong"]):
            failures.append("%s: bug/wrong inconsistent" % case["name"])
        if verbose:
            print("%-48s %s" % (case["name"], "  ".join(
                "%s=%.1e" % (n, errs[n]) for n in errs)))

    n_correct = sum(c["bug"] is None for c in CASES)
    print("\n%d cases (%d correct, %d buggy)" % (
        len(CASES), n_correct, len(CASES) - n_correct))
    if failures:
        print("\nFAILURES:")
        for f in failures:
            print("  " + f)
        raise SystemExit(1)
    print("all cases agree with finite differences as declared")


if __name__ == "__main__":
    _self_check()
