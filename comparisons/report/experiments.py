"""The experiments behind the report: accuracy over seeds, gradient agreement, trajectories.

Every function returns plain numbers and lists (what goes into results.json), except where
a name says it keeps arrays for the figures.
"""

import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sklearn.neural_network as sk
from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import confusion_matrix
from sklearn.preprocessing import LabelBinarizer

import scratch
from comparisons import data
from comparisons.parallel import run_tasks
from comparisons.report.conventions import ROWS, Row, comparable_weights, row_models
from reference.checking.compare import relative_difference
from reference.checking.gradients import (
    per_layer_differences,
    scratch_gradients,
    sklearn_gradients,
    torch_gradients,
)
from reference.twin.sklearn_adapters import sklearn_fit_from
from reference.twin.torch_estimators import TorchMLPClassifier
from scratch.layers.initialization import glorot_uniform
from scratch.layers.losses import make_loss
from scratch.network import Network

MODELS = ("scratch", "torch", "torch_native", "sklearn")
LABELS = {"scratch": "scratch (NumPy)", "torch": "torch twin, sklearn conventions",
          "torch_native": "torch twin, torch conventions", "sklearn": "scikit-learn"}


def make_model(name: str, params: dict, seed: int) -> BaseEstimator:
    """A fresh classifier of the named framework."""
    if name == "scratch":
        return scratch.MLPClassifier(random_state=seed, **params)
    if name == "torch":
        return TorchMLPClassifier(random_state=seed, **params)
    if name == "torch_native":
        return TorchMLPClassifier(random_state=seed, conventions="torch", **params)
    return sk.MLPClassifier(random_state=seed, **params)


@contextmanager
def quiet() -> Iterator[None]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


@dataclass
class Dataset:
    name: str
    load: Callable[[int], tuple]  # seed -> (X_train, X_test, y_train, y_test)
    params: dict
    trajectory_epochs: int
    image_shape: tuple | None = None
    gradient_samples: int = 50
    fd_coordinates: int | None = None  # finite differences on a sample of coordinates per array
    source: str = ""  # where the data come from, in a sentence
    extra: dict = field(default_factory=dict)


def datasets(quick: bool = False, mnist: tuple | None = None) -> dict[str, Dataset]:
    """The data sets and the parameters each is trained with. ``mnist`` is (split, source)
    from ``comparisons.data.mnist``, when MNIST is wanted."""
    defined = {
        "xor": Dataset("xor", data.xor, dict(hidden_layer_sizes=(8,), activation="tanh",
                                             learning_rate_init=0.05, max_iter=500),
                       trajectory_epochs=100 if quick else 200,
                       source="the four XOR points, which are also the test set: the question "
                              "is whether a model can fit them at all"),
        "digits": Dataset("digits", data.digits, dict(max_iter=40) if quick else {},
                          trajectory_epochs=10 if quick else 30, image_shape=(8, 8),
                          fd_coordinates=40 if quick else None,
                          source="scikit-learn's 1,797 8 x 8 digits, a stratified 70/30 split "
                                 "per seed, standardised on the training part"),
    }
    if mnist is not None:
        split, source = mnist
        epochs = 5 if quick else (10 if len(split[0]) > 10000 else 20)
        defined["mnist"] = Dataset(
            "mnist", lambda seed: _mnist_sample(split, seed, quick),
            dict(max_iter=epochs, batch_size=100),
            trajectory_epochs=1 if quick else 2, image_shape=(28, 28), gradient_samples=20,
            fd_coordinates=30, source=source)
    return defined


def _mnist_sample(split: tuple, seed: int, quick: bool) -> tuple:
    """The split as given; a quick run on a large MNIST takes 10,000 / 2,000 images of it."""
    X_tr, X_te, y_tr, y_te = split
    if quick and len(X_tr) > 10000:
        rng = np.random.default_rng(seed)
        tr, te = rng.permutation(len(X_tr))[:10000], rng.permutation(len(X_te))[:2000]
        return X_tr[tr], X_te[te], y_tr[tr], y_te[te]
    return split


def fit_and_score(name: str, params: dict, seed: int, split: tuple, keep: bool) -> dict:
    """Fit one framework's model on one seed's split; its scores (and, if ``keep``, the
    model and what the figures need)."""
    X_tr, X_te, y_tr, y_te = split
    model = make_model(name, params, seed)
    start = time.perf_counter()
    with quiet():
        model.fit(X_tr, y_tr)
    out = {"fit_seconds": time.perf_counter() - start,
           "test_accuracy": float(model.score(X_te, y_te)),
           "train_accuracy": float(model.score(X_tr, y_tr)), "n_iter": int(model.n_iter_)}
    if keep:
        y_pred = model.predict(X_te)
        out["loss_curve"] = [float(v) for v in model.loss_curve_]
        out["confusion_matrix"] = confusion_matrix(y_te, y_pred).tolist()
        out["kept"] = dict(model=model, X_test=X_te, y_test=y_te, y_pred=y_pred)
    return out


def accuracy_runs(ds: Dataset, seeds: int, jobs: int = 1, progress: Any = None
                  ) -> tuple[dict, dict]:
    """Fit every model on every seed's split, ``jobs`` fits at a time. Returns (results for
    JSON, seed-0 models and data for the figures)."""
    splits = [ds.load(seed) for seed in range(seeds)]
    tasks = [(fit_and_score, (name, ds.params, seed, splits[seed], seed == 0))
             for seed in range(seeds) for name in MODELS]
    outcomes = iter(run_tasks(tasks, jobs, progress))
    results = {m: {"test_accuracy": [], "train_accuracy": [], "fit_seconds": [],
                   "n_iter": []} for m in MODELS}
    keep = {}
    for seed in range(seeds):
        for name in MODELS:
            outcome = next(outcomes)
            for key in ("test_accuracy", "train_accuracy", "fit_seconds", "n_iter"):
                results[name][key].append(outcome[key])
            if seed == 0:
                results[name]["loss_curve"] = outcome["loss_curve"]
                results[name]["confusion_matrix"] = outcome["confusion_matrix"]
                keep[name] = outcome["kept"]
    return results, keep


def compare_to_sklearn(results: dict, reference: str = "sklearn") -> dict:
    """Paired differences of test accuracy from scikit-learn's over seeds: the mean, its
    standard error, and whether |mean| <= 2 standard errors (or all differences are 0)."""
    base = np.array(results[reference]["test_accuracy"])
    out = {}
    for name, r in results.items():
        diff = np.array(r["test_accuracy"]) - base
        se = float(diff.std(ddof=1) / np.sqrt(len(diff))) if len(diff) > 1 else None
        within = bool(np.all(diff == 0) or (se is not None and abs(diff.mean()) <= 2 * se))
        out[name] = {"mean_difference": float(diff.mean()), "standard_error": se,
                     "within_noise": within}
    return out


def _encoded(y: np.ndarray, classes: np.ndarray) -> np.ndarray:
    """One-hot targets (one 0/1 column for two classes, as scikit-learn's network has)."""
    return LabelBinarizer().fit(classes).transform(y).astype(float)


def _architecture(ds: Dataset, n_features: int, n_outputs: int) -> list[int]:
    hidden = ds.params.get("hidden_layer_sizes", (100,))
    return [n_features, *hidden, n_outputs]


def gradient_check(ds: Dataset, alpha: float = 0.1) -> dict:
    """Gradient agreement at scikit-learn's initial weights with the L2 penalty on, float64:
    scratch's backprop against torch autograd, scikit-learn's backprop, and central finite
    differences (on a sample of coordinates for large layers). Max relative differences."""
    X_tr, _, y_tr, _ = ds.load(0)
    X, y = X_tr[: ds.gradient_samples], y_tr[: ds.gradient_samples]
    classes = np.unique(y_tr)
    Y = _encoded(y, classes)
    activation = ds.params.get("activation", "relu")
    out_activation = "softmax" if len(classes) > 2 else "logistic"
    units = _architecture(ds, X.shape[1], Y.shape[1])
    coefs, intercepts = glorot_uniform(units, activation, np.random.RandomState(0))
    kw = dict(activation=activation, out_activation=out_activation, alpha=alpha)
    ours = scratch_gradients(coefs, intercepts, X, Y, **kw)
    per_layer = []
    vs_torch = per_layer_differences(ours, torch_gradients(coefs, intercepts, X, Y, **kw))
    vs_sklearn = per_layer_differences(ours, sklearn_gradients(coefs, intercepts, X, Y, **kw))
    vs_fd, skipped = finite_difference_per_layer(ours, coefs, intercepts, X, Y, kw,
                                                 ds.fd_coordinates)
    for i in range(len(coefs)):
        per_layer.append({"layer": i, "shape": list(coefs[i].shape),
                          "scratch_vs_torch": list(vs_torch[i]),
                          "scratch_vs_sklearn": list(vs_sklearn[i]),
                          "scratch_vs_finite_differences": list(vs_fd[i])})
    return {
        "scratch_vs_torch": max(max(p) for p in vs_torch),
        "scratch_vs_sklearn": max(max(p) for p in vs_sklearn),
        "scratch_vs_finite_differences": max(max(p) for p in vs_fd),
        "alpha": alpha, "n_samples": len(X), "per_layer": per_layer,
        "finite_differences_skipped_at_kinks": skipped,
    }


def finite_difference_per_layer(ours: tuple, coefs: list[np.ndarray],
                                intercepts: list[np.ndarray], X: np.ndarray, Y: np.ndarray,
                                kw: dict, max_coordinates: int | None = None, h: float = 1e-4,
                                seed: int = 0) -> tuple[list[tuple[float, float]], int]:
    """[(coef, intercept) relative difference] between backprop and fourth-order central
    differences, on every coordinate or on ``max_coordinates`` sampled ones per array, and
    the number of coordinates skipped because a step crossed a ReLU kink (where the loss has
    no derivative and a finite difference measures nothing)."""
    net = Network.from_weights(coefs, intercepts, kw["activation"],
                               make_loss(kw["out_activation"]))
    theta = net.params.copy()
    net.forward(X)
    pattern = [layer.out > 0 for layer in net.hidden]
    rng = np.random.default_rng(seed)
    grads = np.concatenate([g.ravel() for g in ours[1]] + list(ours[2]))
    sizes = [W.size for W in coefs] + [b.size for b in intercepts]
    starts = np.concatenate([[0], np.cumsum(sizes)])
    differences, skipped = [], 0
    for k in range(len(sizes)):
        idx = np.arange(starts[k], starts[k + 1])
        if max_coordinates is not None and idx.size > max_coordinates:
            idx = np.sort(rng.choice(idx, max_coordinates, replace=False))
        numeric, valid = np.empty(idx.size), np.ones(idx.size, dtype=bool)
        for j, flat in enumerate(idx):
            values = []
            for step in (h, -h, 2 * h, -2 * h):
                net.params[...] = theta
                net.params[flat] += step
                values.append(net.loss_and_gradients(X, Y, kw["alpha"]))
                if any(not np.array_equal(layer.out > 0, p)
                       for layer, p in zip(net.hidden, pattern)):
                    valid[j] = False
            numeric[j] = (8 * (values[0] - values[1]) - (values[2] - values[3])) / (12 * h)
        skipped += int((~valid).sum())
        differences.append(relative_difference(grads[idx][valid], numeric[valid]))
    net.params[...] = theta
    n = len(coefs)
    return [(differences[i], differences[n + i]) for i in range(n)], skipped


def trajectory(ds: Dataset) -> dict:
    """Max |weight difference| from scikit-learn's after ``trajectory_epochs`` epochs, all
    three starting from the same weights (scikit-learn's draws for random_state 0)."""
    X_tr, _, y_tr, _ = ds.load(0)
    classes = np.unique(y_tr)
    units = _architecture(ds, X_tr.shape[1], 1 if len(classes) == 2 else len(classes))
    activation = ds.params.get("activation", "relu")
    start = glorot_uniform(units, activation, np.random.RandomState(0))
    params = {**ds.params, "max_iter": ds.trajectory_epochs, "random_state": 0}
    with quiet():
        reference = sklearn_fit_from(sk.MLPClassifier(**params), X_tr, y_tr, *start)
        ours = scratch.MLPClassifier(**params).fit(X_tr, y_tr, coefs_init=start[0],
                                                   intercepts_init=start[1])
        twin = TorchMLPClassifier(**params).fit(X_tr, y_tr, coefs_init=start[0],
                                                intercepts_init=start[1])

    def distance(model: BaseEstimator) -> float:
        return max(float(np.abs(a - b).max()) for a, b in
                   zip(model.coefs_ + model.intercepts_,
                       reference.coefs_ + reference.intercepts_))

    return {"scratch_vs_sklearn": distance(ours), "torch_vs_sklearn": distance(twin),
            "epochs": ds.trajectory_epochs}


@contextmanager
def record_epochs(*estimators: BaseEstimator) -> Iterator[list[list]]:
    """Record every estimator's weights after each epoch (scikit-learn's and ours call
    ``_update_no_improvement_count`` once per epoch, right after the updates)."""
    records = []
    for est in estimators:
        snapshots = []
        original = est._update_no_improvement_count

        def recording(*args: Any, _est: BaseEstimator = est, _snapshots: list = snapshots,
                      _original: Callable = original, **kwargs: Any) -> None:
            _snapshots.append([np.array(w, copy=True) for w in comparable_weights(_est)])
            return _original(*args, **kwargs)

        est._update_no_improvement_count = recording
        records.append(snapshots)
    try:
        yield records
    finally:
        for est in estimators:
            del est._update_no_improvement_count


def epoch_distances(a: list[list[np.ndarray]], b: list[list[np.ndarray]]) -> list[float]:
    """Per epoch, the max |weight difference| between two recorded trajectories."""
    return [max(float(np.abs(x - y).max()) for x, y in zip(wa, wb)) for wa, wb in zip(a, b)]


def convention_trajectories(epochs: int, jobs: int = 1, progress: Any = None) -> dict:
    """For each convention: per-epoch distance from scikit-learn of the torch twin with
    every conversion and without this one; and scratch's distance (the same for all)."""
    records = run_tasks([(fit_three_recorded, (row, epochs)) for row in ROWS], jobs, progress)
    rows, scratch_distance = [], None
    for row, (reference, converted, plain, ours) in zip(ROWS, records):
        rows.append({"name": row.name, "switch": row.switch, "task": row.task,
                     "params": row.params,
                     "with_conversion": epoch_distances(converted, reference),
                     "without_conversion": epoch_distances(plain, reference)})
        if row.task == "multiclass" and not row.params and scratch_distance is None:
            scratch_distance = epoch_distances(ours, reference)
    return {"epochs": epochs, "rows": rows, "scratch_vs_sklearn": scratch_distance}


def fit_three_recorded(row: Row, epochs: int) -> list[list]:
    """The per-epoch weights of scikit-learn, the converted twin, the twin without this
    conversion, and scratch, on the row's problem."""
    X, y, models = row_models(row, epochs, with_scratch=True)
    with record_epochs(*models) as records, quiet():
        for model in models:
            model.fit(X, y)
    return records
