"""Small data sets for the tests, one per kind of target, all float64."""

import numpy as np
from sklearn.datasets import load_digits
from sklearn.preprocessing import LabelBinarizer, StandardScaler


def xor():
    """The four XOR points and their labels."""
    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    return X, np.array([0, 1, 1, 0])


def digits(n=None):
    """Standardised 8x8 digits (first n), labels 0..9."""
    X, y = load_digits(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    return (X, y) if n is None else (X[:n], y[:n])


def task_data(task, rng, n=37, n_features=5):
    """(X, y) for 'binary', 'multiclass', 'multilabel', 'regression', 'multioutput' or
    'poisson'; n is odd so that batch sizes leave a short last batch."""
    X = rng.normal(size=(n, n_features))
    w = rng.normal(size=(n_features, 3))
    s = X @ w
    if task == "binary":
        return X, np.where(s[:, 0] > 0, "yes", "no")
    if task == "multiclass":
        return X, s.argmax(axis=1)
    if task == "multilabel":
        return X, (s > 0).astype(int)
    if task == "regression":
        return X, s[:, 0]
    if task == "multioutput":
        return X, s[:, :2]
    if task == "poisson":
        return X, rng.poisson(np.exp(0.3 * s[:, 0])).astype(float)
    raise ValueError(task)


OUT_ACTIVATION = {"binary": "logistic", "multiclass": "softmax", "multilabel": "logistic",
                  "regression": "identity", "multioutput": "identity", "poisson": "exp"}


def encoded_task(task, rng, n=37, n_features=5):
    """(X, Y, out_activation) with Y encoded as the network sees it, (n, n_outputs)."""
    X, y = task_data(task, rng, n, n_features)
    if task in ("binary", "multiclass"):
        Y = LabelBinarizer().fit_transform(y).astype(float)
    elif y.ndim == 1:
        Y = y.reshape(-1, 1).astype(float)
    else:
        Y = y.astype(float)
    return X, Y, OUT_ACTIVATION[task]
