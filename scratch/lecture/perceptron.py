"""The two single-layer ancestors: Rosenblatt's perceptron and Widrow and Hoff's Adaline.

Both learn one weight vector w and a bias b and predict 1 where w . x + b > 0 (labels 0/1
here), and record ``errors_``, the training points misclassified after each epoch. On AND and
OR that count reaches 0. Neither can fit XOR: its four points are not linearly separable, so
any line gets at most three of them right. A hidden layer (``scratch.MLPClassifier``) gets all
four.
"""

import numpy as np


class Perceptron:
    """Rosenblatt (1958): for each sample, w += lr (y - y_hat) x with y_hat = step(w . x + b).

    Updates only on mistakes; converges when the classes are linearly separable, cycles
    forever when they are not.
    """

    def __init__(self, learning_rate: float = 0.1, n_epochs: int = 50,
                 random_state: int = 0) -> None:
        self.learning_rate, self.n_epochs, self.random_state = learning_rate, n_epochs, random_state

    def fit(self, X: np.ndarray, y: np.ndarray) -> "Perceptron":
        """X (n_samples, n_features), y in {0, 1}; returns self."""
        rng = np.random.default_rng(self.random_state)
        self.w_ = rng.normal(scale=0.01, size=X.shape[1])
        self.b_ = 0.0
        self.errors_ = []  # misclassified training points after each epoch
        for _ in range(self.n_epochs):
            for i in rng.permutation(len(X)):
                error = y[i] - self.predict(X[i : i + 1])[0]
                self.w_ += self.learning_rate * error * X[i]
                self.b_ += self.learning_rate * error
            self.errors_.append(int((self.predict(X) != y).sum()))
        return self

    def decision_function(self, X: np.ndarray) -> np.ndarray:
        return X @ self.w_ + self.b_

    def predict(self, X: np.ndarray) -> np.ndarray:
        return (self.decision_function(X) > 0).astype(int)


class Adaline:
    """Widrow and Hoff (1960): gradient descent on the mean squared error of the *linear*
    output z = w . x + b against targets -1/+1: w += lr * mean_i (t_i - z_i) x_i.

    The threshold is applied only to predict, so the error is continuous and differentiable:
    the delta rule, the step from the perceptron towards backpropagation.
    """

    def __init__(self, learning_rate: float = 0.05, n_epochs: int = 200,
                 random_state: int = 0) -> None:
        self.learning_rate, self.n_epochs, self.random_state = learning_rate, n_epochs, random_state

    def fit(self, X: np.ndarray, y: np.ndarray) -> "Adaline":
        """X (n_samples, n_features), y in {0, 1}; returns self."""
        rng = np.random.default_rng(self.random_state)
        t = 2.0 * y - 1.0
        self.w_ = rng.normal(scale=0.01, size=X.shape[1])
        self.b_ = 0.0
        self.loss_curve_, self.errors_ = [], []
        for _ in range(self.n_epochs):
            error = t - self.decision_function(X)
            self.w_ += self.learning_rate * X.T @ error / len(X)
            self.b_ += self.learning_rate * error.mean()
            self.loss_curve_.append(0.5 * np.mean(error**2))
            self.errors_.append(int((self.predict(X) != y).sum()))
        return self

    def decision_function(self, X: np.ndarray) -> np.ndarray:
        return X @ self.w_ + self.b_

    def predict(self, X: np.ndarray) -> np.ndarray:
        return (self.decision_function(X) > 0).astype(int)
