"""The data sets. XOR is generated, digits ship with scikit-learn, MNIST is read from the
standard IDX files the user points to. Nothing is downloaded."""

import gzip
import os
import struct

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

MNIST_FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}


Split = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]  # X_train, X_test, y_train, y_test


def xor(seed: int | None = None) -> Split:
    """The four XOR points; train and test on the same four (the question is: can it fit?)."""
    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = np.array([0, 1, 1, 0])
    return X, X, y, y


def digits(seed: int) -> Split:
    """A stratified 70/30 split of the 8x8 digits, standardised on the training part."""
    X, y = load_digits(return_X_y=True)
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.3, stratify=y,
                                              random_state=seed)
    scaler = StandardScaler().fit(X_tr)
    return scaler.transform(X_tr), scaler.transform(X_te), y_tr, y_te


def digits_images(seed: int) -> np.ndarray:
    """The raw 8x8 test images of ``digits(seed)``'s split, for drawing."""
    X, y = load_digits(return_X_y=True)
    _, X_te, _, _ = train_test_split(X, y, test_size=0.3, stratify=y, random_state=seed)
    return X_te.reshape(-1, 8, 8)


def small_task(task: str, n: int = 300) -> tuple[np.ndarray, np.ndarray]:
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


def _find(data_dir: str, name: str) -> str | None:
    for candidate in (name, name + ".gz"):
        path = os.path.join(data_dir, candidate)
        if os.path.exists(path):
            return path
    return None


def read_idx(path: str) -> np.ndarray:
    """An IDX file (gzipped or not) as a NumPy array: magic, dimensions, then unsigned bytes."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    if len(data) < 4:
        raise ValueError(f"{path} is too short to be an IDX file.")
    zero, dtype_code, n_dims = struct.unpack(">HBB", data[:4])
    if zero != 0 or dtype_code != 0x08:
        raise ValueError(f"{path} is not an IDX file of unsigned bytes.")
    shape = struct.unpack(">" + "I" * n_dims, data[4 : 4 + 4 * n_dims])
    body = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * n_dims)
    if body.size != int(np.prod(shape)):
        raise ValueError(f"{path}: the header promises {shape}, the file holds {body.size} "
                         "bytes; it is truncated or corrupted.")
    return body.reshape(shape)


def load_mnist(data_dir: str | None) -> Split:
    """(X_train, X_test, y_train, y_test) from the four standard IDX files in ``data_dir``,
    pixels scaled to [0, 1]. Raises FileNotFoundError naming the files that are missing."""
    if data_dir is None:
        raise FileNotFoundError(
            "MNIST needs --data-dir DIR, a folder with the four IDX files "
            f"({', '.join(MNIST_FILES.values())}, each optionally .gz); nothing is downloaded.")
    paths = {key: _find(data_dir, name) for key, name in MNIST_FILES.items()}
    missing = [MNIST_FILES[key] for key, path in paths.items() if path is None]
    if missing:
        raise FileNotFoundError(
            f"MNIST files missing from {data_dir!r}: {', '.join(missing)} (plain or .gz). "
            "Nothing is downloaded; put the four standard IDX files there.")
    arrays = {key: read_idx(path) for key, path in paths.items()}
    X_tr = arrays["train_images"].reshape(len(arrays["train_images"]), -1) / 255.0
    X_te = arrays["test_images"].reshape(len(arrays["test_images"]), -1) / 255.0
    return X_tr, X_te, arrays["train_labels"].astype(int), arrays["test_labels"].astype(int)
