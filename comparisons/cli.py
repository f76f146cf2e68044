"""Command line: train scratch and scikit-learn on XOR and digits over several seeds, then
print accuracy, gradient agreement and trajectory agreement."""

import argparse
import time
import warnings

import numpy as np
import sklearn.neural_network as sk
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import LabelBinarizer

import scratch
from comparisons import data
from reference.gradients import (
    finite_difference_gradients,
    per_layer_differences,
    scratch_gradients,
    sklearn_gradients,
)

SETTINGS = {
    "xor": dict(hidden_layer_sizes=(8,), activation="tanh", learning_rate_init=0.05,
                max_iter=500),
    "digits": dict(),
}


def accuracy_runs(name, seeds):
    """{model: [test accuracy per seed]} and {model: [fit seconds per seed]}."""
    accuracy, seconds = {"scratch": [], "sklearn": []}, {"scratch": [], "sklearn": []}
    for seed in range(seeds):
        X_tr, X_te, y_tr, y_te = data.xor() if name == "xor" else data.digits(seed)
        for model_name, cls in [("scratch", scratch.MLPClassifier),
                                ("sklearn", sk.MLPClassifier)]:
            model = cls(random_state=seed, **SETTINGS[name])
            start = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                model.fit(X_tr, y_tr)
            seconds[model_name].append(time.perf_counter() - start)
            accuracy[model_name].append(model.score(X_te, y_te))
    return accuracy, seconds


def gradient_agreement(name):
    """Largest relative gradient difference, scratch vs scikit-learn and vs finite
    differences, at scikit-learn's initial weights with alpha = 0.1, in float64."""
    X, _, y, _ = data.xor() if name == "xor" else data.digits(0)
    X, y = X[:50], y[:50]
    params = dict(SETTINGS[name], alpha=0.1, random_state=0, max_iter=1)
    if name == "digits":
        params["hidden_layer_sizes"] = (12,)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = sk.MLPClassifier(**params).fit(X, y)
    Y = LabelBinarizer().fit(y).transform(y).astype(float)
    args = (model.coefs_, model.intercepts_, X, Y)
    kw = dict(activation=model.activation, out_activation=model.out_activation_, alpha=0.1)
    ours = scratch_gradients(*args, **kw)
    worst = {}
    for other, grads in [("scratch_vs_sklearn", sklearn_gradients(*args, **kw)),
                         ("scratch_vs_finite_differences",
                          finite_difference_gradients(*args, **kw))]:
        worst[other] = max(max(pair) for pair in per_layer_differences(ours, grads))
    return worst


def trajectory_agreement(name):
    """Largest absolute weight difference after both fit with the same random_state."""
    X, _, y, _ = data.xor() if name == "xor" else data.digits(0)
    params = dict(SETTINGS[name], random_state=0, max_iter=30)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ours = scratch.MLPClassifier(**params).fit(X, y)
        theirs = sk.MLPClassifier(**params).fit(X, y)
    return max(float(np.abs(a - b).max())
               for a, b in zip(ours.coefs_ + ours.intercepts_,
                               theirs.coefs_ + theirs.intercepts_))


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m comparisons", description=__doc__)
    parser.add_argument("--seeds", type=int, default=5, help="seeds per data set (default 5)")
    parser.add_argument("--dataset", choices=["xor", "digits", "all"], default="all")
    args = parser.parse_args(argv)
    names = ["xor", "digits"] if args.dataset == "all" else [args.dataset]
    for name in names:
        accuracy, seconds = accuracy_runs(name, args.seeds)
        print(f"\n{name}: test accuracy over {args.seeds} seeds")
        for model_name in accuracy:
            acc = np.array(accuracy[model_name])
            print(f"  {model_name:8s} mean {acc.mean():.4f}  min {acc.min():.4f}  "
                  f"max {acc.max():.4f}  fit {np.median(seconds[model_name]):.2f}s")
        for label, value in gradient_agreement(name).items():
            print(f"  gradient {label:30s} max relative difference {value:.1e}")
        print(f"  trajectory scratch_vs_sklearn            max |weight difference| "
              f"{trajectory_agreement(name):.1e}")
    return 0
