"""The data sets: XOR (generated), digits (shipped with scikit-learn). Nothing downloads."""

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler


def xor():
    """The four XOR points; train and test on the same four (the question is: can it fit?)."""
    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = np.array([0, 1, 1, 0])
    return X, X, y, y


def digits(seed):
    """A stratified 70/30 split of the 8x8 digits, standardised on the training part."""
    X, y = load_digits(return_X_y=True)
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.3, stratify=y,
                                              random_state=seed)
    scaler = StandardScaler().fit(X_tr)
    return scaler.transform(X_tr), scaler.transform(X_te), y_tr, y_te


def small_task(task, n=300):
    """A small standardised digits problem for convention experiments: 'multiclass' (the ten
    digits), 'binary' (digit < 5), 'multilabel' (odd, < 5, multiple of 3) or 'regression'
    (predict the digit and its square root, two outputs)."""
    X, y = load_digits(return_X_y=True)
    X, y = StandardScaler().fit_transform(X[:n]), y[:n]
    if task == "multiclass":
        return X, y
    if task == "binary":
        return X, (y < 5).astype(int)
    if task == "multilabel":
        return X, np.column_stack([y % 2, y < 5, y % 3 == 0]).astype(int)
    if task == "regression":
        return X, np.column_stack([y, np.sqrt(y)]).astype(float)
    raise ValueError(task)
