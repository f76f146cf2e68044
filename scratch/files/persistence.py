"""Model files that are safe to share: ``.npz`` archives holding numbers and one JSON header.

A pickle (or joblib) file can run any code when it is loaded, so it is only safe from a
source you trust. A model file here holds the weights as float arrays, the classes and feature
names as plain arrays, the optimizer's state (so that ``partial_fit`` on a loaded model goes on
exactly as on the saved one), and a JSON header: format and version, the estimator's kind,
its hyperparameters, its training history and what prediction needs.

Saving builds and checks everything first, writes a temporary file beside the destination
and renames it over the destination only when complete: a failed save leaves the previous
file byte for byte. Loading trusts nothing (``scratch.files.safe_npz``): every member is inspected
and checked against the header and a byte budget before any array is read, the header is
checked against the schema below, and every failure is a ``ValueError`` naming the file and
the problem. Only a regular file is opened (not a FIFO or a device, even through a link).

The budget bounds use, not only loading: what the header and the arrays' shapes promise is
checked before anything is read. The arrays, counted as float64 (prediction may convert
float32 weights), must fit in ``max_bytes`` (64 MiB by default), and predicting
``ROWS_IN_BUDGET`` (1,024) rows must need at most ``max_bytes`` for the model's own work
(every layer's activations, in float64, and the predicted labels: a class label is at most
``MAX_LABEL_CHARS`` characters); the caller's own input is not counted. Loading keeps a
second copy of the weights (the best weights so far, for a warm start), so loading and
predicting on a batch take about four times ``max_bytes`` at most. A file saved by scratch
loads into the torch twin and the other way round.
"""

import json
import os
import secrets
import stat

import numpy as np
from sklearn.base import BaseEstimator, is_classifier
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils.validation import check_is_fitted

from scratch.files.safe_npz import ArchiveError, SafeNpz

FORMAT = "mlp-twins-model"
VERSION = 1
MAX_BYTES = 64 * 2**20  # arrays a model file may hold, by default (load(..., max_bytes=))
ROWS_IN_BUDGET = 1024  # predicting this many rows must fit in max_bytes (see _check_use)
MAX_LABEL_CHARS = 1024  # a class label's length
MAX_HEADER_CHARS = 4 * 2**20
MAX_JSON_DEPTH = 8
MEMBERS = r"header|coef_\d+|intercept_\d+|classes|feature_names_in|optimizer_(velocity|m|v)"
OPTIMIZER_ARRAYS = {"sgd": ("velocity",), "adam": ("m", "v")}
NOT_RESTORED = ("device",)  # the machine that loads the model picks its device


# --- the header's schema ----------------------------------------------------------------------

def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_count(value: object) -> bool:
    return _is_int(value) and value >= 0


def _is_float(value: object) -> bool:  # NaN and infinities are values a history can hold
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _floats(value: object) -> bool:
    return isinstance(value, list) and all(_is_float(v) for v in value)


def _optional(check):
    return lambda value: value is None or check(value)


FLOAT, FLOATS = "a number", "a list of numbers"
HISTORY = {  # what a fit leaves behind: (what it is, the check)
    "loss_": (f"{FLOAT} or null", _optional(_is_float)),
    "best_loss_": (f"{FLOAT} or null", _optional(_is_float)),
    "loss_curve_": (FLOATS, _floats),
    "validation_scores_": (f"{FLOATS} or null", _optional(_floats)),
    "validation_loss_curve_": (f"{FLOATS} or null", _optional(_floats)),
    "best_validation_score_": (f"{FLOAT} or null", _optional(_is_float)),
    "n_iter_": ("a count", _is_count), "t_": ("a count", _is_count),
    "_no_improvement_count": ("a count", _is_count),
}
TOP_LEVEL = {
    "format": (repr(FORMAT), lambda v: v == FORMAT),
    "version": (f"a whole number from 1 to {VERSION}", lambda v: _is_int(v) and 1 <= v <= VERSION),
    "kind": ("'classifier' or 'regressor'", lambda v: v in ("classifier", "regressor")),
    "estimator": ("a class name", lambda v: isinstance(v, str)),
    "params": ("an object", lambda v: isinstance(v, dict)),
    "n_layers": ("a whole number from 1 to 1000", lambda v: _is_int(v) and 1 <= v <= 1000),
    "n_features_in": ("a whole number above 0", lambda v: _is_int(v) and v >= 1),
    "n_outputs": ("a whole number above 0", lambda v: _is_int(v) and v >= 1),
    "out_activation": ("one of softmax, logistic, identity, exp",
                       lambda v: v in ("softmax", "logistic", "identity", "exp")),
    "history": ("an object", lambda v: isinstance(v, dict)),
}
OPTIONAL = {
    "label_type": ("one of binary, multiclass, multilabel-indicator",
                   lambda v: v in ("binary", "multiclass", "multilabel-indicator")),
    "optimizer": ("an object", lambda v: isinstance(v, dict)),
}
_RATE = ("a number above 0", lambda v: _is_float(v) and v > 0)
OPTIMIZER = {  # what each solver's state() holds besides its arrays
    "sgd": {"solver": ("'sgd'", lambda v: v == "sgd"), "learning_rate": _RATE,
            "form": ("'velocity' or 'buffer'", lambda v: v in ("velocity", "buffer"))},
    "adam": {"solver": ("'adam'", lambda v: v == "adam"), "learning_rate": _RATE,
             "t": ("a count", _is_count)},
}


def _depth(value: object) -> int:
    """How deeply lists and objects nest in a parsed JSON value (iteratively)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (list, dict)):
            deepest = max(deepest, depth)
            stack.extend((v, depth + 1) for v in (item.values() if isinstance(item, dict)
                                                   else item))
    return deepest


def _check_fields(fields: dict, schema: dict, optional: dict, where: str) -> None:
    for key in fields:
        if key not in schema and key not in optional:
            raise ValueError(f"its {where} has an unknown field {key!r}")
    for key, check in schema.items():
        if key not in fields:
            raise ValueError(f"its {where} lacks {key!r}")
    for key, value in fields.items():
        description, check = {**schema, **optional}[key]
        if not check(value):
            raise ValueError(f"its {where}'s {key!r} is {value!r}, not {description}")


def check_header(header: object) -> None:
    """Raise ValueError (the reason, in words) unless ``header`` follows the schema and agrees
    with itself: the output unit fits the kind of estimator and of target."""
    if not isinstance(header, dict):
        raise ValueError("its header is not a JSON object")
    if header.get("format") != FORMAT:
        raise ValueError(f"it was not written by save() (format {header.get('format')!r})")
    version = header.get("version")
    if _is_int(version) and version > VERSION:
        raise ValueError(f"it has format version {version}, and this code reads up to version "
                         f"{VERSION}; upgrade to load it")
    _check_fields(header, TOP_LEVEL, OPTIONAL, "header")
    _check_fields(header["history"], {}, HISTORY, "history")
    if "optimizer" in header:
        solver = header["optimizer"].get("solver")
        if solver not in OPTIMIZER:
            raise ValueError(f"its optimizer state is for an unknown solver {solver!r}")
        _check_fields(header["optimizer"], OPTIMIZER[solver], {}, "optimizer state")
    if any(not isinstance(key, str) for key in header["params"]):
        raise ValueError("its parameters are not named by strings")
    out, kind = header["out_activation"], header["kind"]
    if kind == "classifier":
        if "label_type" not in header:
            raise ValueError("a classifier's header lacks 'label_type'")
        allowed = {"binary": ("logistic", "softmax"), "multiclass": ("softmax",),
                   "multilabel-indicator": ("logistic",)}[header["label_type"]]
        if out not in allowed:
            raise ValueError(f"a {header['label_type']} classifier cannot have the output "
                             f"activation {out!r}")
    else:
        loss = header["params"].get("loss")
        expected = {"squared_error": "identity", "poisson": "exp"}.get(loss)
        if out != expected:
            raise ValueError(f"a regressor with loss {loss!r} cannot have the output activation "
                             f"{out!r}")


# --- saving -----------------------------------------------------------------------------------

def _plain(name: str, value: object) -> object:
    """A hyperparameter as a plain JSON value, or a ValueError saying it cannot be one."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value)
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, (list, tuple, np.ndarray)):
        return [_plain(name, v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(name, v) for k, v in value.items()}
    if name == "random_state" and isinstance(value, np.random.RandomState):
        return None  # a generator's state is not part of the model
    if name == "device" and type(value).__module__ == "torch":
        return str(value)  # torch.device("cpu") -> "cpu"
    raise ValueError(f"the parameter {name}={value!r} cannot be written to a model file (only "
                     "numbers, strings, booleans, None, lists and dicts of them)")


def _plain_strings(values: object, what: str) -> np.ndarray:
    """Strings as a NumPy unicode array, refusing what it cannot hold exactly."""
    values = [str(v) for v in values]
    if any(v.endswith("\x00") for v in values):
        raise ValueError(f"{what} end with a NUL character, which a NumPy string array drops; "
                         "rename them before saving")
    return np.array(values, dtype=str)


def _model_arrays(estimator: BaseEstimator) -> dict[str, np.ndarray]:
    arrays = {f"coef_{i}": np.asarray(W) for i, W in enumerate(estimator.coefs_)}
    arrays.update({f"intercept_{i}": np.asarray(b) for i, b in enumerate(estimator.intercepts_)})
    if hasattr(estimator, "feature_names_in_"):
        arrays["feature_names_in"] = _plain_strings(estimator.feature_names_in_, "feature names")
    if is_classifier(estimator):
        classes = np.asarray(estimator.classes_)
        if classes.dtype.kind in "OSU":
            classes = _plain_strings(classes, "class labels")
        arrays["classes"] = classes
    return arrays


def save_model(estimator: BaseEstimator, path: str | os.PathLike) -> None:
    """Write a fitted estimator's model to ``path`` (an ``.npz`` file), atomically."""
    check_is_fitted(estimator)
    params = {k: _plain(k, v) for k, v in estimator.get_params().items()}
    header = {
        "format": FORMAT, "version": VERSION,
        "kind": "classifier" if is_classifier(estimator) else "regressor",
        "estimator": type(estimator).__name__, "params": params,
        "n_layers": len(estimator.coefs_),
        "n_features_in": int(estimator.n_features_in_),
        "n_outputs": int(estimator.n_outputs_),
        "out_activation": estimator.out_activation_,
        "history": {k: _plain(k, getattr(estimator, k)) for k in HISTORY
                    if hasattr(estimator, k)},
    }
    arrays = _model_arrays(estimator)
    if is_classifier(estimator):
        header["label_type"] = estimator._label_binarizer.y_type_
    optimizer = getattr(estimator, "_optimizer", None)
    if optimizer is not None:
        state = optimizer.state()
        header["optimizer"] = {k: _plain(k, v) for k, v in state.items()
                               if not isinstance(v, np.ndarray)}
        dtype = arrays["coef_0"].dtype
        arrays.update({f"optimizer_{k}": np.asarray(state[k], dtype=dtype)
                       for k in OPTIMIZER_ARRAYS[state["solver"]]})
    check_header(header)
    _write_atomically(path, np.array(json.dumps(header)), arrays)


def _write_atomically(path: str | os.PathLike, header: np.ndarray,
                      arrays: dict[str, np.ndarray]) -> None:
    """Write to a temporary file in the destination's folder, then rename it over the
    destination; on any failure (Ctrl-C included) remove it and leave the destination alone.
    A destination that is a link is written through (the file it points to is replaced);
    one that is a folder, a FIFO or a device is refused."""
    path = os.path.realpath(path)
    if os.path.exists(path) and not stat.S_ISREG(os.stat(path).st_mode):
        kind = "a folder" if os.path.isdir(path) else "not a regular file (a FIFO or a device)"
        raise ValueError(f"cannot save a model to {path!r}: it is {kind}; give a file path")
    descriptor, temporary = _create_beside(path)
    try:
        with os.fdopen(descriptor, "wb") as f:
            np.savez(f, header=header, **arrays)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:  # the folder went away too: the first error is the one to see
            pass
        raise


def _create_beside(path: str) -> tuple[int, str]:
    """(descriptor, name) of a new, empty temporary file in ``path``'s folder, with the
    permissions the finished file must have: the destination's when it exists (re-saving a
    private model keeps it private; never setuid, setgid or sticky), else what the umask gives
    a new file, applied by the kernel as for ``open`` (the process's umask is never set, not
    even for a moment, so that no other thread's file is created under a wrong one)."""
    try:
        keep = stat.S_IMODE(os.stat(path).st_mode) & 0o777
    except OSError:
        keep = None
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    for _ in range(100):
        temporary = os.path.join(os.path.dirname(path),
                                 f".model-{secrets.token_hex(8)}.npz.tmp")
        try:  # private while it is written over a file that exists
            descriptor = os.open(temporary, flags, 0o600 if keep is not None else 0o666)
        except FileExistsError:
            continue
        if keep is not None:
            try:
                os.fchmod(descriptor, keep)
            except BaseException:
                os.close(descriptor)
                os.unlink(temporary)
                raise
        return descriptor, temporary
    raise FileExistsError(f"no free temporary name beside {path!r}")


# --- loading ----------------------------------------------------------------------------------

def _fail(path: str | os.PathLike, why: str) -> None:
    raise ValueError(f"{os.fspath(path)!r} is not a usable model file: {why}.") from None


def _read_header(npz: SafeNpz) -> dict:
    member = npz.members.get("header")
    if member is None:
        raise ValueError("it has no header")
    if member.dtype.kind != "U" or member.shape != () or \
            member.dtype.itemsize > 4 * MAX_HEADER_CHARS:
        raise ValueError(f"its header is a {member.shape} {member.dtype} array, not a JSON "
                         f"string of at most {MAX_HEADER_CHARS} characters")
    text = str(npz.read("header")[()])
    try:
        header = json.loads(text)
    except RecursionError:
        raise ValueError("its header nests too deeply") from None
    except ValueError as error:
        raise ValueError(f"its header is not JSON ({error})") from None
    if _depth(header) > MAX_JSON_DEPTH:
        raise ValueError("its header nests too deeply")
    check_header(header)
    return header


def _expected_members(header: dict) -> dict[str, tuple]:
    """Member name -> (dtype kinds allowed, shape or None where only the kind is known)."""
    n_layers = header["n_layers"]
    expected = {"header": ("U", ())}
    for i in range(n_layers):
        expected[f"coef_{i}"] = ("f", None)
        expected[f"intercept_{i}"] = ("f", None)
    if header["kind"] == "classifier":
        expected["classes"] = ("iufbU", None)
    if "optimizer" in header:
        for name in OPTIMIZER_ARRAYS[header["optimizer"]["solver"]]:
            expected[f"optimizer_{name}"] = ("f", None)
    return expected


def _check_members(npz: SafeNpz, header: dict, max_bytes: int) -> None:
    """Shapes, dtypes and sizes, from the .npy headers alone: nothing is read yet."""
    expected, members = _expected_members(header), npz.members
    optional = {"feature_names_in"}
    for name in members:
        if name not in expected and name not in optional:
            raise ValueError(f"it holds an unexpected member {name!r}")
    for name in expected:
        if name not in members:
            what = "weights" if name.startswith(("coef", "intercept")) else name
            raise ValueError(f"its {what} {name!r} are missing")
    total = sum(8 * int(np.prod(m.shape)) if m.dtype.kind == "f" else m.nbytes
                for m in members.values())  # float32 weights are float64 when predicting
    if total > max_bytes:
        raise ValueError(f"its arrays declare {total:,} bytes (floats counted as float64, as "
                         f"prediction uses them), more than the budget of {max_bytes:,} "
                         "(load(..., max_bytes=) raises it)")
    dtype = members["coef_0"].dtype
    previous = header["n_features_in"]
    for i in range(header["n_layers"]):
        W, b = members[f"coef_{i}"], members[f"intercept_{i}"]
        if W.dtype not in (np.float32, np.float64) or b.dtype != W.dtype or W.dtype != dtype:
            raise ValueError(f"layer {i}'s weights are {W.dtype}/{b.dtype}, not float32 or "
                             "float64 throughout")
        if len(W.shape) != 2 or W.shape[0] != previous or b.shape != W.shape[1:]:
            raise ValueError(f"layer {i}'s weights have shapes {W.shape} and {b.shape}, which do "
                             f"not follow from {previous} inputs")
        previous = W.shape[1]
    if previous != header["n_outputs"]:
        raise ValueError(f"the last layer has {previous} outputs, the header says "
                         f"{header['n_outputs']}")
    n_params = sum(int(np.prod(members[k].shape)) for k in members
                   if k.startswith(("coef_", "intercept_")))
    for name, member in members.items():
        if name.startswith("optimizer_") and (member.dtype != dtype or
                                              member.shape != (n_params,)):
            raise ValueError(f"its optimizer state {name!r} is a {member.shape} {member.dtype} "
                             f"array, not ({n_params},) {dtype}")
    if "feature_names_in" in members:
        names = members["feature_names_in"]
        if names.dtype.kind != "U" or names.shape != (header["n_features_in"],):
            raise ValueError("its feature names do not match its number of features")
    if "classes" in members:
        classes = members["classes"]
        if classes.dtype.kind not in "iufbU" or len(classes.shape) != 1:
            raise ValueError(f"its classes are a {classes.shape} {classes.dtype} array")
        if classes.dtype.kind == "U" and classes.dtype.itemsize > 4 * MAX_LABEL_CHARS:
            raise ValueError(f"its class labels are up to {classes.dtype.itemsize // 4:,} "
                             f"characters long, more than {MAX_LABEL_CHARS:,}")
    _check_use(header, members, max_bytes)


def _check_use(header: dict, members: dict, max_bytes: int) -> None:
    """Refuse a model whose prediction on ``ROWS_IN_BUDGET`` rows would need more than
    ``max_bytes``: every layer's output in float64 and the predicted labels, per row."""
    widths = [members[f"coef_{i}"].shape[1] for i in range(header["n_layers"])]
    classes = members.get("classes")
    label = classes.dtype.itemsize if classes is not None else 0
    if header.get("label_type") == "multilabel-indicator":
        label = 8 * header["n_outputs"]
    per_row = 8 * sum(widths) + label
    if per_row * ROWS_IN_BUDGET > max_bytes:
        raise ValueError(f"predicting with it needs {per_row:,} bytes per row (layers "
                         f"{'-'.join(map(str, widths))} wide), more than the budget of "
                         f"{max_bytes:,} bytes allows for {ROWS_IN_BUDGET:,} rows "
                         "(load(..., max_bytes=) raises it)")


def check_max_bytes(max_bytes: object) -> int:
    """``max_bytes`` as a whole number of bytes above 0, or a one-line error naming it."""
    if not isinstance(max_bytes, (int, np.integer)) or isinstance(max_bytes, (bool, np.bool_)):
        raise TypeError(f"max_bytes must be a whole number of bytes, not "
                        f"{type(max_bytes).__name__} {max_bytes!r}")
    if max_bytes <= 0:
        raise ValueError(f"max_bytes must be above 0, not {max_bytes}")
    return int(max_bytes)


def read_model(path: str | os.PathLike, max_bytes: int = MAX_BYTES) -> tuple[dict, dict]:
    """(header, arrays) of a model file, checked; ValueError naming the problem otherwise."""
    max_bytes = check_max_bytes(max_bytes)
    try:
        with SafeNpz(path, MEMBERS) as npz:
            header = _read_header(npz)
            _check_members(npz, header, max_bytes)
            arrays = {name: npz.read(name) for name in npz.members if name != "header"}
    except (FileNotFoundError, IsADirectoryError, PermissionError):
        raise
    except (ArchiveError, ValueError) as error:
        _fail(path, str(error))
    for name, array in arrays.items():
        if array.dtype.kind == "f" and not np.isfinite(array).all():
            _fail(path, f"its {name} contains NaN or infinity")
    return header, arrays


def _set_params(estimator: BaseEstimator, header: dict, arrays: dict) -> None:
    """The saved hyperparameters, checked as a fit would check them."""
    valid = set(estimator.get_params())
    params = dict(header["params"])
    hidden = [arrays[f"coef_{i}"].shape[1] for i in range(header["n_layers"] - 1)]
    saved_hidden = params.pop("hidden_layer_sizes", hidden)
    saved_hidden = [saved_hidden] if _is_int(saved_hidden) else saved_hidden
    if list(saved_hidden) != hidden:
        raise ValueError(f"its parameters say hidden_layer_sizes={saved_hidden}, its weights "
                         f"{hidden}")
    unknown = set(params) - valid - set(NOT_RESTORED)
    if unknown:
        raise ValueError(f"it has parameters {sorted(unknown)} that "
                         f"{type(estimator).__name__} does not take")
    estimator.set_params(hidden_layer_sizes=tuple(hidden),
                         **{k: v for k, v in params.items() if k not in NOT_RESTORED})
    try:
        estimator._validate_params()
        estimator._check_params()
    except (ValueError, TypeError) as error:
        raise ValueError(f"its parameters are not usable ({error})") from None


def _set_classes(estimator: BaseEstimator, header: dict, classes: np.ndarray) -> None:
    multilabel = header["label_type"] == "multilabel-indicator"
    binarizer = LabelBinarizer()  # a multilabel target's type, from two rows (not np.eye(K))
    binarizer.fit(np.array([[0] * len(classes), [1] * len(classes)]) if multilabel and
                  len(classes) > 1 else classes)
    if binarizer.y_type_ != header["label_type"] or len(np.unique(classes)) != len(classes):
        raise ValueError(f"its {len(classes)} classes do not make a {header['label_type']} "
                         "target")
    n_outputs, out = header["n_outputs"], header["out_activation"]
    fits = {"binary": (n_outputs, out) in ((1, "logistic"), (2, "softmax")),
            "multiclass": n_outputs == len(classes),
            "multilabel-indicator": n_outputs == len(classes)}[binarizer.y_type_]
    if not fits:
        raise ValueError(f"{len(classes)} classes ({binarizer.y_type_}) cannot use {n_outputs} "
                         f"{out} outputs")
    estimator._label_binarizer = binarizer
    estimator.classes_ = classes if multilabel else binarizer.classes_


def load_model(cls: type, path: str | os.PathLike, max_bytes: int = MAX_BYTES) -> BaseEstimator:
    """A new ``cls`` estimator holding the model saved at ``path``, ready to predict and to
    train on (``warm_start`` refits and ``partial_fit`` go on as on the saved model)."""
    header, arrays = read_model(path, max_bytes)
    estimator = cls()
    kind = "classifier" if is_classifier(estimator) else "regressor"
    if header["kind"] != kind:
        _fail(path, f"it holds a {header['kind']}, and {cls.__name__} is a {kind}")
    try:
        _set_params(estimator, header, arrays)
        if kind == "classifier":
            _set_classes(estimator, header, arrays["classes"])
        if "optimizer" in header and header["optimizer"]["solver"] != estimator.solver:
            raise ValueError(f"its optimizer state is {header['optimizer']['solver']}'s, its "
                             f"solver {estimator.solver}")
    except ValueError as error:
        _fail(path, str(error))
    n_layers = header["n_layers"]
    estimator.coefs_ = [arrays[f"coef_{i}"] for i in range(n_layers)]
    estimator.intercepts_ = [arrays[f"intercept_{i}"] for i in range(n_layers)]
    estimator.n_layers_ = n_layers + 1
    estimator.n_outputs_ = header["n_outputs"]
    estimator.n_features_in_ = header["n_features_in"]
    estimator.out_activation_ = header["out_activation"]
    if "feature_names_in" in arrays:
        estimator.feature_names_in_ = arrays["feature_names_in"].astype(object)
    for key, value in header["history"].items():
        setattr(estimator, key, value)
    early_stopping = isinstance(header["history"].get("validation_scores_"), list)
    if early_stopping:  # after early stopping scikit-learn's coefs_ *is* its best weights
        estimator._best_coefs, estimator._best_intercepts = (estimator.coefs_,
                                                             estimator.intercepts_)
    else:
        estimator._best_coefs = [W.copy() for W in estimator.coefs_]
        estimator._best_intercepts = [b.copy() for b in estimator.intercepts_]
    if "optimizer" in header:
        estimator._optimizer_state = {
            **header["optimizer"],
            **{k: arrays[f"optimizer_{k}"] for k in OPTIMIZER_ARRAYS[estimator.solver]}}
    return estimator
