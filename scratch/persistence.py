"""Model files that are safe to share: ``.npz`` read with ``allow_pickle=False``.

A pickle (or joblib) file can run any code when it is loaded, so it is only safe from a
source you trust. A model file here holds only numbers and one JSON string: the weights as
float arrays, and a header with the format version, the estimator's kind, its
hyperparameters and what prediction needs (classes, output activation, feature names).
Loading checks all of it and refuses anything malformed with a ``ValueError`` that says what
is wrong. A file saved by scratch loads into the torch twin and the other way round. The
optimizer's state is not saved: a loaded model predicts, and a new ``fit`` starts afresh.
"""

import json
import os
import zipfile

import numpy as np
from sklearn.base import BaseEstimator, is_classifier
from sklearn.preprocessing import LabelBinarizer

FORMAT = "mlp-twins-model"
VERSION = 1
_HISTORY = ("loss_", "best_loss_", "loss_curve_", "validation_scores_",
            "validation_loss_curve_", "best_validation_score_", "n_iter_", "t_")


def _jsonable(value):
    """Hyperparameters and history as JSON (a RandomState instance becomes None)."""
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return float(value)
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return None


def save_model(estimator: BaseEstimator, path: str | os.PathLike) -> None:
    """Write a fitted estimator's model to ``path`` (a ``.npz`` file)."""
    from sklearn.utils.validation import check_is_fitted

    check_is_fitted(estimator)
    header = {
        "format": FORMAT, "version": VERSION,
        "kind": "classifier" if is_classifier(estimator) else "regressor",
        "estimator": type(estimator).__name__,
        "params": {k: _jsonable(v) for k, v in estimator.get_params().items()},
        "n_layers": len(estimator.coefs_),
        "n_features_in": int(estimator.n_features_in_),
        "n_outputs": int(estimator.n_outputs_),
        "out_activation": estimator.out_activation_,
        "history": {k: _jsonable(getattr(estimator, k)) for k in _HISTORY
                    if hasattr(estimator, k)},
    }
    arrays = {f"coef_{i}": np.asarray(W) for i, W in enumerate(estimator.coefs_)}
    arrays.update({f"intercept_{i}": np.asarray(b) for i, b in enumerate(estimator.intercepts_)})
    if hasattr(estimator, "feature_names_in_"):
        arrays["feature_names_in"] = np.asarray(estimator.feature_names_in_, dtype=str)
    if is_classifier(estimator):
        classes = np.asarray(estimator.classes_)
        if classes.dtype == object:
            classes = classes.astype(str)
        arrays["classes"] = classes
        header["label_type"] = estimator._label_binarizer.y_type_
    with open(path, "wb") as f:
        np.savez(f, header=np.array(json.dumps(header)), **arrays)


def _fail(path, why):
    raise ValueError(f"{os.fspath(path)!r} is not a usable model file: {why}.")


def read_model(path: str | os.PathLike) -> tuple[dict, dict]:
    """(header dict, arrays dict) from a model file, checked; ValueError if malformed."""
    try:
        with np.load(path, allow_pickle=False) as npz:
            arrays = {key: npz[key] for key in npz.files}
    except FileNotFoundError:
        raise
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, KeyError) as error:
        _fail(path, f"it cannot be read as .npz ({type(error).__name__}: {error}); it may be "
                    "truncated or corrupted")
    if "header" not in arrays:
        _fail(path, "it has no header")
    try:
        header = json.loads(str(arrays.pop("header")))
    except json.JSONDecodeError as error:
        _fail(path, f"its header is not JSON ({error})")
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        _fail(path, f"it was not written by save() (format {header.get('format')!r})"
              if isinstance(header, dict) else "its header is not an object")
    if not isinstance(header.get("version"), int) or header["version"] > VERSION:
        _fail(path, f"it has format version {header.get('version')!r}, and this code reads up "
                    f"to version {VERSION}; upgrade to load it")
    for key in ("kind", "params", "n_layers", "n_features_in", "n_outputs", "out_activation"):
        if key not in header:
            _fail(path, f"its header lacks {key!r}")
    n_layers = header["n_layers"]
    coefs, intercepts = [], []
    for i in range(n_layers):
        if f"coef_{i}" not in arrays or f"intercept_{i}" not in arrays:
            _fail(path, f"layer {i}'s weights are missing")
        coefs.append(arrays[f"coef_{i}"])
        intercepts.append(arrays[f"intercept_{i}"])
    previous = header["n_features_in"]
    for i, (W, b) in enumerate(zip(coefs, intercepts)):
        if W.dtype not in (np.float32, np.float64) or b.dtype != W.dtype:
            _fail(path, f"layer {i}'s weights are {W.dtype}/{b.dtype}, not float32 or float64")
        if W.ndim != 2 or W.shape[0] != previous or b.shape != (W.shape[1],):
            _fail(path, f"layer {i}'s weights have shapes {W.shape} and {b.shape}, which do not "
                        f"follow from {previous} inputs")
        if not (np.isfinite(W).all() and np.isfinite(b).all()):
            _fail(path, f"layer {i}'s weights contain NaN or infinity")
        previous = W.shape[1]
    if previous != header["n_outputs"]:
        _fail(path, f"the last layer has {previous} outputs, the header says "
                    f"{header['n_outputs']}")
    arrays["coefs"], arrays["intercepts"] = coefs, intercepts
    return header, arrays


def load_model(cls: type, path: str | os.PathLike) -> BaseEstimator:
    """A new ``cls`` estimator holding the model saved at ``path``."""
    header, arrays = read_model(path)
    estimator = cls()
    kind = "classifier" if is_classifier(estimator) else "regressor"
    if header["kind"] != kind:
        _fail(path, f"it holds a {header['kind']}, and {cls.__name__} is a {kind}")
    valid = estimator.get_params()
    estimator.set_params(**{k: v for k, v in header["params"].items()
                            if k in valid and k != "random_state"})
    estimator.set_params(hidden_layer_sizes=tuple(W.shape[1] for W in arrays["coefs"][:-1]))
    estimator.coefs_ = list(arrays["coefs"])
    estimator.intercepts_ = list(arrays["intercepts"])
    estimator.n_layers_ = header["n_layers"] + 1
    estimator.n_outputs_ = header["n_outputs"]
    estimator.n_features_in_ = header["n_features_in"]
    estimator.out_activation_ = header["out_activation"]
    if "feature_names_in" in arrays:
        estimator.feature_names_in_ = arrays["feature_names_in"].astype(object)
    for key, value in header.get("history", {}).items():
        setattr(estimator, key, value)
    if kind == "classifier":
        if "classes" not in arrays:
            _fail(path, "a classifier file has no classes")
        classes = arrays["classes"]
        multilabel = header.get("label_type") == "multilabel-indicator"
        binarizer = LabelBinarizer()
        binarizer.fit(np.eye(len(classes), dtype=int) if multilabel else classes)
        estimator._label_binarizer = binarizer
        estimator.classes_ = classes if multilabel else binarizer.classes_
        expected = {"binary": (1, 2), "multiclass": (len(classes),),
                    "multilabel-indicator": (len(classes),)}.get(binarizer.y_type_, ())
        if header["n_outputs"] not in expected:
            _fail(path, f"{len(classes)} classes ({binarizer.y_type_}) cannot use "
                        f"{header['n_outputs']} outputs")
    return estimator
