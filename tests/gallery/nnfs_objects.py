"""Held-out gallery: "Neural Networks from Scratch in Python" (Kinsley & Kukiela), object style.

The book's classes as it writes them: ``Layer_Dense`` (weights (n_inputs, n_neurons), biases
(1, n_neurons), L1/L2 regularisers ``weight_regularizer_l2`` etc., penalty
``l2 * sum(W * W)`` with gradient ``2 * l2 * W``), ``Activation_ReLU``, ``Activation_Softmax``
(its backward builds each sample's Jacobian ``np.diagflat(s) - np.dot(s, s.T)`` after
``s.reshape(-1, 1)``), ``Activation_Sigmoid``, ``Activation_Linear``, the losses
(categorical and binary cross-entropy, mean squared error averaged over outputs) and the
combined ``Activation_Softmax_Loss_CategoricalCrossentropy`` whose backward is
``dinputs = dvalues.copy(); dinputs[range(n), y] -= 1; dinputs /= n``.

A ``grad_fn`` wraps objects built once (as a training script builds them): it loads the
parameters into the layers, runs forward, loss and backward, and returns the layers' gradients.
Each planted mistake is a class rewritten as a reader of the book wrote it. Written without
reading the checker.
"""

import numpy as np

from tests.gallery import heldout_tools

# ------------------------------------------------------------------------------------------------
# The book's classes
# ------------------------------------------------------------------------------------------------


class Layer_Dense:
    def __init__(self, n_inputs, n_neurons, weight_regularizer_l1=0, weight_regularizer_l2=0,
                 bias_regularizer_l1=0, bias_regularizer_l2=0):
        self.weights = 0.01 * np.random.randn(n_inputs, n_neurons)
        self.biases = np.zeros((1, n_neurons))
        self.weight_regularizer_l1 = weight_regularizer_l1
        self.weight_regularizer_l2 = weight_regularizer_l2
        self.bias_regularizer_l1 = bias_regularizer_l1
        self.bias_regularizer_l2 = bias_regularizer_l2

    def forward(self, inputs):
        self.inputs = inputs
        self.output = np.dot(inputs, self.weights) + self.biases

    def backward(self, dvalues):
        self.dweights = np.dot(self.inputs.T, dvalues)
        self.dbiases = np.sum(dvalues, axis=0, keepdims=True)
        if self.weight_regularizer_l1 > 0:
            dL1 = np.ones_like(self.weights)
            dL1[self.weights < 0] = -1
            self.dweights += self.weight_regularizer_l1 * dL1
        if self.weight_regularizer_l2 > 0:
            self.dweights += 2 * self.weight_regularizer_l2 * self.weights
        if self.bias_regularizer_l1 > 0:
            dL1 = np.ones_like(self.biases)
            dL1[self.biases < 0] = -1
            self.dbiases += self.bias_regularizer_l1 * dL1
        if self.bias_regularizer_l2 > 0:
            self.dbiases += 2 * self.bias_regularizer_l2 * self.biases
        self.dinputs = np.dot(dvalues, self.weights.T)


class Activation_ReLU:
    def forward(self, inputs):
        self.inputs = inputs
        self.output = np.maximum(0, inputs)

    def backward(self, dvalues):
        self.dinputs = dvalues.copy()
        self.dinputs[self.inputs <= 0] = 0


class Activation_Softmax:
    def forward(self, inputs):
        self.inputs = inputs
        exp_values = np.exp(inputs - np.max(inputs, axis=1, keepdims=True))
        probabilities = exp_values / np.sum(exp_values, axis=1, keepdims=True)
        self.output = probabilities

    def backward(self, dvalues):
        self.dinputs = np.empty_like(dvalues)
        for index, (single_output, single_dvalues) in enumerate(zip(self.output, dvalues)):
            single_output = single_output.reshape(-1, 1)
            jacobian_matrix = np.diagflat(single_output) - np.dot(single_output, single_output.T)
            self.dinputs[index] = np.dot(jacobian_matrix, single_dvalues)


class Activation_Sigmoid:
    def forward(self, inputs):
        self.inputs = inputs
        self.output = 1 / (1 + np.exp(-inputs))

    def backward(self, dvalues):
        self.dinputs = dvalues * (1 - self.output) * self.output


class Activation_Linear:
    def forward(self, inputs):
        self.inputs = inputs
        self.output = inputs

    def backward(self, dvalues):
        self.dinputs = dvalues.copy()


class Loss:
    def regularization_loss(self, layer):
        regularization_loss = 0
        if layer.weight_regularizer_l1 > 0:
            regularization_loss += layer.weight_regularizer_l1 * np.sum(np.abs(layer.weights))
        if layer.weight_regularizer_l2 > 0:
            regularization_loss += layer.weight_regularizer_l2 * np.sum(layer.weights *
                                                                        layer.weights)
        if layer.bias_regularizer_l1 > 0:
            regularization_loss += layer.bias_regularizer_l1 * np.sum(np.abs(layer.biases))
        if layer.bias_regularizer_l2 > 0:
            regularization_loss += layer.bias_regularizer_l2 * np.sum(layer.biases *
                                                                      layer.biases)
        return regularization_loss

    def calculate(self, output, y):
        sample_losses = self.forward(output, y)
        data_loss = np.mean(sample_losses)
        return data_loss


class Loss_CategoricalCrossentropy(Loss):
    def forward(self, y_pred, y_true):
        samples = len(y_pred)
        y_pred_clipped = np.clip(y_pred, 1e-7, 1 - 1e-7)
        if len(y_true.shape) == 1:
            correct_confidences = y_pred_clipped[range(samples), y_true]
        elif len(y_true.shape) == 2:
            correct_confidences = np.sum(y_pred_clipped * y_true, axis=1)
        negative_log_likelihoods = -np.log(correct_confidences)
        return negative_log_likelihoods

    def backward(self, dvalues, y_true):
        samples = len(dvalues)
        labels = len(dvalues[0])
        if len(y_true.shape) == 1:
            y_true = np.eye(labels)[y_true]
        self.dinputs = -y_true / dvalues
        self.dinputs = self.dinputs / samples


class Loss_BinaryCrossentropy(Loss):
    def forward(self, y_pred, y_true):
        y_pred_clipped = np.clip(y_pred, 1e-7, 1 - 1e-7)
        sample_losses = -(y_true * np.log(y_pred_clipped) +
                          (1 - y_true) * np.log(1 - y_pred_clipped))
        sample_losses = np.mean(sample_losses, axis=-1)
        return sample_losses

    def backward(self, dvalues, y_true):
        samples = len(dvalues)
        outputs = len(dvalues[0])
        clipped_dvalues = np.clip(dvalues, 1e-7, 1 - 1e-7)
        self.dinputs = -(y_true / clipped_dvalues -
                         (1 - y_true) / (1 - clipped_dvalues)) / outputs
        self.dinputs = self.dinputs / samples


class Loss_MeanSquaredError(Loss):
    def forward(self, y_pred, y_true):
        sample_losses = np.mean((y_true - y_pred) ** 2, axis=-1)
        return sample_losses

    def backward(self, dvalues, y_true):
        samples = len(dvalues)
        outputs = len(dvalues[0])
        self.dinputs = -2 * (y_true - dvalues) / outputs
        self.dinputs = self.dinputs / samples


class Activation_Softmax_Loss_CategoricalCrossentropy:
    def __init__(self):
        self.activation = Activation_Softmax()
        self.loss = Loss_CategoricalCrossentropy()

    def forward(self, inputs, y_true):
        self.activation.forward(inputs)
        self.output = self.activation.output
        return self.loss.calculate(self.output, y_true)

    def backward(self, dvalues, y_true):
        samples = len(dvalues)
        if len(y_true.shape) == 2:
            y_true = np.argmax(y_true, axis=1)
        self.dinputs = dvalues.copy()
        self.dinputs[range(samples), y_true] -= 1
        self.dinputs = self.dinputs / samples


# ------------------------------------------------------------------------------------------------
# Readers' versions: each class as it was typed in
# ------------------------------------------------------------------------------------------------


class Activation_Softmax__no_reshape(Activation_Softmax):
    def backward(self, dvalues):
        self.dinputs = np.empty_like(dvalues)
        for index, (single_output, single_dvalues) in enumerate(zip(self.output, dvalues)):
            jacobian_matrix = np.diagflat(single_output) - np.dot(single_output, single_output.T)
            self.dinputs[index] = np.dot(jacobian_matrix, single_dvalues)


class Activation_Softmax__outer_reversed(Activation_Softmax):
    def backward(self, dvalues):
        self.dinputs = np.empty_like(dvalues)
        for index, (single_output, single_dvalues) in enumerate(zip(self.output, dvalues)):
            single_output = single_output.reshape(-1, 1)
            jacobian_matrix = np.diagflat(single_output) - np.dot(single_output.T, single_output)
            self.dinputs[index] = np.dot(jacobian_matrix, single_dvalues)


class Activation_Softmax__axis0(Activation_Softmax):
    def forward(self, inputs):
        self.inputs = inputs
        exp_values = np.exp(inputs - np.max(inputs, axis=1, keepdims=True))
        probabilities = exp_values / np.sum(exp_values, axis=0, keepdims=True)
        self.output = probabilities


class Activation_Softmax__no_max(Activation_Softmax):
    def forward(self, inputs):
        self.inputs = inputs
        exp_values = np.exp(inputs)
        probabilities = exp_values / np.sum(exp_values, axis=1, keepdims=True)
        self.output = probabilities


class Softmax_Loss__axis0(Activation_Softmax_Loss_CategoricalCrossentropy):
    def __init__(self):
        self.activation = Activation_Softmax__axis0()
        self.loss = Loss_CategoricalCrossentropy()


class Softmax_Loss__no_max(Activation_Softmax_Loss_CategoricalCrossentropy):
    def __init__(self):
        self.activation = Activation_Softmax__no_max()
        self.loss = Loss_CategoricalCrossentropy()


class Softmax_Loss__not_averaged(Activation_Softmax_Loss_CategoricalCrossentropy):
    def backward(self, dvalues, y_true):
        samples = len(dvalues)
        if len(y_true.shape) == 2:
            y_true = np.argmax(y_true, axis=1)
        self.dinputs = dvalues.copy()
        self.dinputs[range(samples), y_true] -= 1


class Layer_Dense__bias_axis1(Layer_Dense):
    def backward(self, dvalues):
        self.dweights = np.dot(self.inputs.T, dvalues)
        self.dbiases = np.sum(dvalues, axis=1, keepdims=True)
        if self.weight_regularizer_l2 > 0:
            self.dweights += 2 * self.weight_regularizer_l2 * self.weights
        if self.bias_regularizer_l2 > 0:
            self.dbiases += 2 * self.bias_regularizer_l2 * self.biases
        self.dinputs = np.dot(dvalues, self.weights.T)


class Layer_Dense__l2_without_2(Layer_Dense):
    def backward(self, dvalues):
        self.dweights = np.dot(self.inputs.T, dvalues)
        self.dbiases = np.sum(dvalues, axis=0, keepdims=True)
        if self.weight_regularizer_l2 > 0:
            self.dweights += self.weight_regularizer_l2 * self.weights
        if self.bias_regularizer_l2 > 0:
            self.dbiases += self.bias_regularizer_l2 * self.biases
        self.dinputs = np.dot(dvalues, self.weights.T)


class Layer_Dense__l2_as_sign(Layer_Dense):
    def backward(self, dvalues):
        self.dweights = np.dot(self.inputs.T, dvalues)
        self.dbiases = np.sum(dvalues, axis=0, keepdims=True)
        if self.weight_regularizer_l1 > 0:
            dL1 = np.ones_like(self.weights)
            dL1[self.weights < 0] = -1
            self.dweights += self.weight_regularizer_l1 * dL1
        if self.weight_regularizer_l2 > 0:
            dL2 = np.ones_like(self.weights)
            dL2[self.weights < 0] = -1
            self.dweights += 2 * self.weight_regularizer_l2 * dL2
        if self.bias_regularizer_l2 > 0:
            self.dbiases += 2 * self.bias_regularizer_l2 * self.biases
        self.dinputs = np.dot(dvalues, self.weights.T)


class Layer_Dense__biases_share_weight_l2(Layer_Dense):
    def backward(self, dvalues):
        self.dweights = np.dot(self.inputs.T, dvalues)
        self.dbiases = np.sum(dvalues, axis=0, keepdims=True)
        if self.weight_regularizer_l2 > 0:
            self.dweights += 2 * self.weight_regularizer_l2 * self.weights
            self.dbiases += 2 * self.weight_regularizer_l2 * self.biases
        self.dinputs = np.dot(dvalues, self.weights.T)


class Layer_Dense__accumulates(Layer_Dense):
    # "+=" so that several batches can add up before the optimizer step; never reset
    def __init__(self, n_inputs, n_neurons, **regularizers):
        super().__init__(n_inputs, n_neurons, **regularizers)
        self.dweights = np.zeros_like(self.weights)
        self.dbiases = np.zeros_like(self.biases)

    def backward(self, dvalues):
        self.dweights += np.dot(self.inputs.T, dvalues)
        self.dbiases += np.sum(dvalues, axis=0, keepdims=True)
        if self.weight_regularizer_l2 > 0:
            self.dweights += 2 * self.weight_regularizer_l2 * self.weights
        if self.bias_regularizer_l2 > 0:
            self.dbiases += 2 * self.bias_regularizer_l2 * self.biases
        self.dinputs = np.dot(dvalues, self.weights.T)


class Activation_ReLU__mask_from_dvalues(Activation_ReLU):
    def backward(self, dvalues):
        self.dinputs = dvalues.copy()
        self.dinputs[dvalues <= 0] = 0


class Loss_CategoricalCrossentropy__not_averaged(Loss_CategoricalCrossentropy):
    def backward(self, dvalues, y_true):
        labels = len(dvalues[0])
        if len(y_true.shape) == 1:
            y_true = np.eye(labels)[y_true]
        self.dinputs = -y_true / dvalues


class Loss_BinaryCrossentropy__outputs_summed(Loss_BinaryCrossentropy):
    def backward(self, dvalues, y_true):
        samples = len(dvalues)
        clipped_dvalues = np.clip(dvalues, 1e-7, 1 - 1e-7)
        self.dinputs = -(y_true / clipped_dvalues - (1 - y_true) / (1 - clipped_dvalues))
        self.dinputs = self.dinputs / samples


class Loss_MeanSquaredError__outputs_summed(Loss_MeanSquaredError):
    def backward(self, dvalues, y_true):
        samples = len(dvalues)
        self.dinputs = -2 * (y_true - dvalues)
        self.dinputs = self.dinputs / samples


class Loss_MeanSquaredError__sign(Loss_MeanSquaredError):
    def backward(self, dvalues, y_true):
        samples = len(dvalues)
        outputs = len(dvalues[0])
        self.dinputs = -2 * (dvalues - y_true) / outputs
        self.dinputs = self.dinputs / samples


class Activation_Sigmoid__from_inputs(Activation_Sigmoid):
    def backward(self, dvalues):
        self.dinputs = dvalues * (1 - self.inputs) * self.inputs


# ------------------------------------------------------------------------------------------------
# The training scripts' networks, wrapped as grad_fn
# ------------------------------------------------------------------------------------------------

L2_N1 = 0.01
L2_N3 = 0.005


def _rng_params(seed, sizes, scale_last=1.0):
    rng = np.random.default_rng(seed)
    out = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        w = 0.6 * rng.standard_normal((n_in, n_out))
        if i == len(sizes) - 2:
            w = w * scale_last
        out += [w, 0.1 * rng.standard_normal((1, n_out))]
    return rng, out


def net_softmax_ce(Dense=Layer_Dense, ReLU=Activation_ReLU,
                   SoftmaxLoss=Activation_Softmax_Loss_CategoricalCrossentropy,
                   regularize_dense2=True, scale=1.0):
    """Chapter 14's classifier: Dense(3, 16, l2 both) - ReLU - Dense(16, 3) - softmax/CE."""
    def make():
        rng, (w1, b1, w2, b2) = _rng_params(10, [3, 16, 3], scale_last=scale)
        X = rng.standard_normal((30, 3))
        y = rng.integers(0, 3, 30)
        params = {"dense1.weights": w1, "dense1.biases": b1, "dense2.weights": w2,
                  "dense2.biases": b2}
        dense1 = Dense(3, 16, weight_regularizer_l2=L2_N1, bias_regularizer_l2=L2_N1)
        activation1 = ReLU()
        if regularize_dense2:
            dense2 = Dense(16, 3, weight_regularizer_l2=L2_N1, bias_regularizer_l2=L2_N1)
        else:
            dense2 = Dense(16, 3)
        loss_activation = SoftmaxLoss()

        def grad_fn(params, X, y):
            dense1.weights, dense1.biases = params["dense1.weights"], params["dense1.biases"]
            dense2.weights, dense2.biases = params["dense2.weights"], params["dense2.biases"]
            dense1.forward(X)
            activation1.forward(dense1.output)
            dense2.forward(activation1.output)
            data_loss = loss_activation.forward(dense2.output, y)
            regularization_loss = (loss_activation.loss.regularization_loss(dense1) +
                                   loss_activation.loss.regularization_loss(dense2))
            loss = data_loss + regularization_loss
            loss_activation.backward(loss_activation.output, y)
            dense2.backward(loss_activation.dinputs)
            activation1.backward(dense2.dinputs)
            dense1.backward(activation1.dinputs)
            return loss, {"dense1.weights": dense1.dweights, "dense1.biases": dense1.dbiases,
                          "dense2.weights": dense2.dweights, "dense2.biases": dense2.dbiases}

        kwargs = dict(activation="relu", output="softmax", loss="cross_entropy", alpha=L2_N1,
                      expect={"batch": "mean", "l2": "alpha * sum W^2", "l2_biases": True})
        return grad_fn, params, X, y, kwargs
    return make


def net_separate_softmax(Dense=Layer_Dense, ReLU=Activation_ReLU, Softmax=Activation_Softmax,
                         Loss_CCE=Loss_CategoricalCrossentropy):
    """Separate softmax and loss objects, one-hot targets, two hidden layers of 6."""
    def make():
        rng, params = _rng_params(11, [4, 6, 6, 3])
        X = rng.standard_normal((25, 4))
        Y = np.eye(3)[rng.integers(0, 3, 25)]
        dense1, activation1 = Dense(4, 6), ReLU()
        dense2, activation2 = Dense(6, 6), ReLU()
        dense3, activation3 = Dense(6, 3), Softmax()
        loss_function = Loss_CCE()

        def grad_fn(params, X, y):
            dense1.weights, dense1.biases, dense2.weights, dense2.biases, \
                dense3.weights, dense3.biases = params
            dense1.forward(X)
            activation1.forward(dense1.output)
            dense2.forward(activation1.output)
            activation2.forward(dense2.output)
            dense3.forward(activation2.output)
            activation3.forward(dense3.output)
            loss = loss_function.calculate(activation3.output, y)
            loss_function.backward(activation3.output, y)
            activation3.backward(loss_function.dinputs)
            dense3.backward(activation3.dinputs)
            activation2.backward(dense3.dinputs)
            dense2.backward(activation2.dinputs)
            activation1.backward(dense2.dinputs)
            dense1.backward(activation1.dinputs)
            return loss, [dense1.dweights, dense1.dbiases, dense2.dweights, dense2.dbiases,
                          dense3.dweights, dense3.dbiases]

        kwargs = dict(activation="relu", output="softmax", loss="cross_entropy",
                      expect={"batch": "mean"})
        return grad_fn, params, X, Y, kwargs
    return make


def net_binary(Dense=Layer_Dense, Sigmoid=Activation_Sigmoid, Loss_BCE=Loss_BinaryCrossentropy):
    """Chapter 16's binary logistic regression, two independent outputs, weights-only L2."""
    def make():
        rng, (w1, b1, w2, b2) = _rng_params(12, [3, 6, 2])
        X = rng.standard_normal((28, 3))
        Y = (rng.random((28, 2)) < 0.5).astype(float)
        params = {"dense1.weights": w1, "dense1.biases": b1, "dense2.weights": w2,
                  "dense2.biases": b2}
        dense1 = Dense(3, 6, weight_regularizer_l2=L2_N3)
        activation1 = Activation_ReLU()
        dense2 = Dense(6, 2, weight_regularizer_l2=L2_N3)
        activation2 = Sigmoid()
        loss_function = Loss_BCE()

        def grad_fn(params, X, y):
            dense1.weights, dense1.biases = params["dense1.weights"], params["dense1.biases"]
            dense2.weights, dense2.biases = params["dense2.weights"], params["dense2.biases"]
            dense1.forward(X)
            activation1.forward(dense1.output)
            dense2.forward(activation1.output)
            activation2.forward(dense2.output)
            data_loss = loss_function.calculate(activation2.output, y)
            regularization_loss = (loss_function.regularization_loss(dense1) +
                                   loss_function.regularization_loss(dense2))
            loss = data_loss + regularization_loss
            loss_function.backward(activation2.output, y)
            activation2.backward(loss_function.dinputs)
            dense2.backward(activation2.dinputs)
            activation1.backward(dense2.dinputs)
            dense1.backward(activation1.dinputs)
            return loss, {"dense1.weights": dense1.dweights, "dense1.biases": dense1.dbiases,
                          "dense2.weights": dense2.dweights, "dense2.biases": dense2.dbiases}

        kwargs = dict(activation="relu", output="logistic", loss="cross_entropy", alpha=L2_N3,
                      expect={"batch": "mean", "outputs": "mean", "l2": "alpha * sum W^2",
                              "l2_biases": False})
        return grad_fn, params, X, Y, kwargs
    return make


def net_regression(Dense=Layer_Dense, Loss_MSE=Loss_MeanSquaredError):
    """Chapter 17's regression, two outputs: Dense-ReLU-Dense-ReLU-Dense-Linear, MSE."""
    def make():
        rng, (w1, b1, w2, b2, w3, b3) = _rng_params(13, [2, 8, 8, 2])
        X = rng.standard_normal((26, 2))
        Y = np.column_stack([np.sin(X[:, 0]), np.cos(X[:, 1])])
        params = {"dense1.weights": w1, "dense1.biases": b1, "dense2.weights": w2,
                  "dense2.biases": b2, "dense3.weights": w3, "dense3.biases": b3}
        dense1, activation1 = Dense(2, 8), Activation_ReLU()
        dense2, activation2 = Dense(8, 8), Activation_ReLU()
        dense3, activation3 = Dense(8, 2), Activation_Linear()
        loss_function = Loss_MSE()

        def grad_fn(params, X, y):
            for i, dense in enumerate((dense1, dense2, dense3), start=1):
                dense.weights = params[f"dense{i}.weights"]
                dense.biases = params[f"dense{i}.biases"]
            dense1.forward(X)
            activation1.forward(dense1.output)
            dense2.forward(activation1.output)
            activation2.forward(dense2.output)
            dense3.forward(activation2.output)
            activation3.forward(dense3.output)
            loss = loss_function.calculate(activation3.output, y)
            loss_function.backward(activation3.output, y)
            activation3.backward(loss_function.dinputs)
            dense3.backward(activation3.dinputs)
            activation2.backward(dense3.dinputs)
            dense2.backward(activation2.dinputs)
            activation1.backward(dense2.dinputs)
            dense1.backward(activation1.dinputs)
            return loss, {f"dense{i}.{kind}": getattr(d, "d" + kind)
                          for i, d in enumerate((dense1, dense2, dense3), start=1)
                          for kind in ("weights", "biases")}

        kwargs = dict(activation="relu", output="identity", loss="squared_error",
                      expect={"batch": "mean", "outputs": "mean", "squared_error": "full"})
        return grad_fn, params, X, Y, kwargs
    return make


# ------------------------------------------------------------------------------------------------
# Independent losses (float64, written apart from the classes)
# ------------------------------------------------------------------------------------------------


def _forward(Ws, bs, X, add=None):
    A = np.asarray(X, dtype=np.float64)
    for i, (W, b) in enumerate(zip(Ws, bs)):
        Z = A @ W + b
        A = np.maximum(Z, 0.0) if i < len(Ws) - 1 else Z
    return A


def _loss_softmax_ce(P, X, Y, add=None):
    Ws = [P["dense1.weights"], P["dense2.weights"]]
    bs = [P["dense1.biases"], P["dense2.biases"]]
    Z = _forward(Ws, bs, X)
    logp = Z - Z.max(1, keepdims=True)
    logp = logp - np.log(np.exp(logp).sum(1, keepdims=True))
    data = -np.mean(logp[np.arange(len(Y)), Y])
    return data + L2_N1 * sum(np.sum(a ** 2) for a in Ws + bs)


def _loss_separate(P, X, Y, add=None):
    Z = _forward([P["W0"], P["W1"], P["W2"]], [P["b0"], P["b1"], P["b2"]], X)
    logp = Z - Z.max(1, keepdims=True)
    logp = logp - np.log(np.exp(logp).sum(1, keepdims=True))
    return -np.mean(np.sum(Y * logp, axis=1))


def _loss_binary(P, X, Y, add=None):
    Ws = [P["dense1.weights"], P["dense2.weights"]]
    Z = _forward(Ws, [P["dense1.biases"], P["dense2.biases"]], X)
    data = np.mean(np.logaddexp(0.0, Z) - Y * Z)  # mean over samples and outputs
    return data + L2_N3 * sum(np.sum(W ** 2) for W in Ws)


def _loss_regression(P, X, Y, add=None):
    Z = _forward([P[f"dense{i}.weights"] for i in (1, 2, 3)],
                 [P[f"dense{i}.biases"] for i in (1, 2, 3)], X)
    return np.mean((Z - Y) ** 2)


# ------------------------------------------------------------------------------------------------
# The cases
# ------------------------------------------------------------------------------------------------

_N1 = {"dense1.weights", "dense1.biases", "dense2.weights", "dense2.biases"}
_N2 = {"W0", "b0", "W1", "b1", "W2", "b2"}
_N4 = _N1 | {"dense3.weights", "dense3.biases"}

CASES = [
    {"name": "nnfs_softmax_ce_l2", "make": net_softmax_ce(), "bug": None, "unusual": False,
     "wrong": set(), "first_wrong_node": None},
    {"name": "nnfs_separate_softmax_jacobian", "make": net_separate_softmax(), "bug": None,
     "unusual": False, "wrong": set(), "first_wrong_node": None},
    {"name": "nnfs_binary_two_outputs", "make": net_binary(), "bug": None, "unusual": False,
     "wrong": set(), "first_wrong_node": None},
    {"name": "nnfs_regression_mse", "make": net_regression(), "bug": None, "unusual": False,
     "wrong": set(), "first_wrong_node": None},
]
_BASELINES = {}
_INDEPENDENT = {"nnfs_softmax_ce_l2": (_loss_softmax_ce, 1e-6, "central"),
                "nnfs_separate_softmax_jacobian": (_loss_separate, 1e-6, "central"),
                "nnfs_binary_two_outputs": (_loss_binary, 1e-6, "central"),
                "nnfs_regression_mse": (_loss_regression, 1e-6, "central")}


def _bug(name, builder, bug, unusual, wrong, baseline=None, **versions):
    CASES.append({"name": "nnfs_" + name, "make": builder(**versions), "bug": bug,
                  "unusual": unusual, "wrong": set(wrong), "first_wrong_node": None})
    _BASELINES["nnfs_" + name] = baseline or builder()


_bug("jacobian_without_reshape", net_separate_softmax,
     "Activation_Softmax.backward without single_output.reshape(-1, 1): np.dot(s, s.T) of a "
     "1-d s is the scalar sum(s**2), not the outer product", True, _N2,
     Softmax=Activation_Softmax__no_reshape)
_bug("jacobian_outer_reversed", net_separate_softmax,
     "the Jacobian subtracts np.dot(s.T, s) (a 1x1 sum of squares) instead of np.dot(s, s.T)",
     True, _N2, Softmax=Activation_Softmax__outer_reversed)
_bug("softmax_over_axis0", net_softmax_ce,
     "softmax normalised with np.sum(exp_values, axis=0): over the batch, not the classes",
     False, _N1, SoftmaxLoss=Softmax_Loss__axis0)
_bug("softmax_overflows", net_softmax_ce,
     "softmax without subtracting the row maximum, on scores in the hundreds: np.exp overflows "
     "to inf and the probabilities become nan", False, _N1, SoftmaxLoss=Softmax_Loss__no_max,
     baseline=net_softmax_ce(scale=400.0), scale=400.0)
_bug("combined_backward_not_averaged", net_softmax_ce,
     "the combined softmax/cross-entropy backward leaves out dinputs / samples", False, _N1,
     SoftmaxLoss=Softmax_Loss__not_averaged)
_bug("l2_gradient_without_2", net_softmax_ce,
     "the L2 gradient is l2 * W (and l2 * b) for the penalty l2 * sum(W * W)", False,
     _N1, Dense=Layer_Dense__l2_without_2)
_bug("l2_gradient_as_sign", net_softmax_ce,
     "the L2 branch copied from the L1 one: 2 * l2 * sign(W) instead of 2 * l2 * W", True,
     {"dense1.weights", "dense2.weights"}, Dense=Layer_Dense__l2_as_sign)
_bug("dense2_built_without_regularizer", net_softmax_ce,
     "the second Layer_Dense is built without its regularizer arguments, so neither the loss "
     "nor the gradient penalises it", True, {"dense2.weights", "dense2.biases"},
     regularize_dense2=False)
_bug("gradient_accumulated_across_calls", net_separate_softmax,
     "Layer_Dense.backward adds into dweights/dbiases (+=, for accumulating batches) and nothing "
     "resets them: each call returns the sum of all calls so far", True, _N2,
     Dense=Layer_Dense__accumulates)
_bug("relu_mask_from_dvalues", net_separate_softmax,
     "Activation_ReLU.backward zeroes where dvalues <= 0 instead of where inputs <= 0", True,
     {"W0", "b0", "W1", "b1"}, ReLU=Activation_ReLU__mask_from_dvalues)
_bug("cce_backward_not_averaged", net_separate_softmax,
     "Loss_CategoricalCrossentropy.backward without the / samples", False, _N2,
     Loss_CCE=Loss_CategoricalCrossentropy__not_averaged)
_bug("bias_grad_summed_over_axis1", net_regression,
     "Layer_Dense.backward sums dvalues over axis=1 for dbiases: an (n_samples, 1) column that "
     "broadcasts silently in the update", False, {"dense1.biases", "dense2.biases",
                                                  "dense3.biases"},
     Dense=Layer_Dense__bias_axis1)
_bug("biases_penalised_with_weight_l2", net_binary,
     "the weight regulariser's branch also adds 2 * l2 * biases to dbiases (only weights are "
     "penalised)", True, {"dense1.biases", "dense2.biases"},
     Dense=Layer_Dense__biases_share_weight_l2)
_bug("bce_backward_outputs_summed", net_binary,
     "Loss_BinaryCrossentropy.backward leaves out / outputs while the loss averages over them",
     True, _N1, Loss_BCE=Loss_BinaryCrossentropy__outputs_summed)
_bug("sigmoid_backward_from_inputs", net_binary,
     "Activation_Sigmoid.backward uses self.inputs (z) where it needs self.output", True, _N1,
     Sigmoid=Activation_Sigmoid__from_inputs)
_bug("mse_backward_outputs_summed", net_regression,
     "Loss_MeanSquaredError.backward leaves out / outputs while the loss averages over them",
     False, _N4, Loss_MSE=Loss_MeanSquaredError__outputs_summed)
_bug("mse_backward_sign", net_regression,
     "Loss_MeanSquaredError.backward computes -2 * (dvalues - y_true): the sign flipped", False,
     _N4, Loss_MSE=Loss_MeanSquaredError__sign)


def self_check(verbose=True):
    """Every correct case against finite differences; every mistake changes what it says."""
    return heldout_tools.self_check(CASES, _BASELINES, _INDEPENDENT, verbose=verbose)


if __name__ == "__main__":
    self_check()
