"""The textbook's own experiment, run by scratch, the torch twin and scikit-learn.

The chapter this project descends from (Raschka, *Python Machine Learning*, ch. 12) trains a
network it writes by hand on MNIST: one hidden layer of 100 logistic units, one logistic
output per class against one-hot targets, the cross-entropy **summed** over each minibatch of
100, an L2 term on the weights (not the biases), plain gradient descent with eta = 0.0005 and
l2 = 0.01 for 200 epochs, weights drawn from N(0, 0.1) and biases 0. It reports 97.54 % test
accuracy on the full MNIST (55,000 training images).

The frameworks average over the batch instead of summing, and scale the L2 term by the batch
size. Written out for one weight matrix W and a batch of n samples with per-sample gradients
g_i:

    the book:  W <- W - eta * (sum_i g_i + l2 * W)
    the twins: W <- W - lr / n * (sum_i g_i + alpha * W)     (scikit-learn's conventions)

so the two take the same step when ``alpha = l2`` and ``lr = eta * n``: with n = 100,
learning_rate_init = 0.05 and alpha = 0.01. That holds batch by batch only when every batch
is full (a short last batch would get a larger step), so the training set is a multiple of
100. The book's output layer is the twins' multilabel one: targets given one-hot make
scikit-learn use one logistic unit per class with the summed cross-entropy, the book's cost;
a prediction is the class with the largest output. ``scratch.lecture.textbook_net.TextbookNet`` is
the book's network and update, written as the book computes them, and the tests hold one
step of it equal to one step of each twin.
"""

import time
from typing import Any

import numpy as np
import sklearn.neural_network as sk

import scratch
from comparisons.parallel import run_tasks
from comparisons.report.experiments import quiet
from reference.twin.sklearn_adapters import sklearn_fit_from
from reference.twin.torch_estimators import TorchMLPClassifier
from scratch.lecture.textbook_net import TextbookNet

BOOK = dict(n_hidden=100, l2=0.01, eta=0.0005, minibatch_size=100, epochs=200)
BOOK_ACCURACY = 0.9754  # the chapter's test accuracy, full MNIST: 55,000 / 10,000 images
FRAMEWORKS = ("scratch", "torch", "sklearn")


def twin_params(n_hidden: int = 100, l2: float = 0.01, eta: float = 0.0005,
                minibatch_size: int = 100, epochs: int = 200) -> dict:
    """The book's settings as the twins' (and scikit-learn's) parameters."""
    return dict(hidden_layer_sizes=(n_hidden,), activation="logistic", solver="sgd",
                momentum=0.0, nesterovs_momentum=False,
                learning_rate_init=eta * minibatch_size,  # the mean over the batch, not the sum
                alpha=l2,  # the penalty alpha / (2 n) sum W^2 has the gradient alpha W / n
                batch_size=minibatch_size, max_iter=epochs,
                tol=0.0, n_iter_no_change=epochs + 1)  # the book never stops early


def _fit(framework: str, params: dict, seed: int, split: tuple) -> dict:
    X_tr, X_te, y_tr, y_te = split
    classes = np.unique(y_tr)
    Y = (y_tr[:, None] == classes).astype(int)  # one-hot: one logistic output per class
    params_book = TextbookNet.init(X_tr.shape[1], params["hidden_layer_sizes"][0],
                                   len(classes), seed)
    coefs, intercepts = params_book[0::2], params_book[1::2]
    start = time.perf_counter()
    with quiet():
        if framework == "sklearn":
            model = sklearn_fit_from(sk.MLPClassifier(random_state=seed, **params), X_tr, Y,
                                     coefs, intercepts)
        else:
            cls = scratch.MLPClassifier if framework == "scratch" else TorchMLPClassifier
            model = cls(random_state=seed, **params).fit(X_tr, Y, coefs_init=coefs,
                                                          intercepts_init=intercepts)
    seconds = time.perf_counter() - start

    def accuracy(X: np.ndarray, y: np.ndarray) -> float:
        return float(np.mean(classes[model.predict_proba(X).argmax(axis=1)] == y))

    return {"test_accuracy": accuracy(X_te, y_te), "train_accuracy": accuracy(X_tr, y_tr),
            "fit_seconds": seconds, "loss_curve": [float(v) for v in model.loss_curve_]}


def run(split: tuple, seeds: int, epochs: int, jobs: int = 1, progress: Any = None) -> dict:
    """The book's network trained by each framework over ``seeds`` seeds (the seed draws the
    book's initial weights and the epoch order); the training set is cut to a multiple of the
    minibatch size so that every batch is full."""
    X_tr, X_te, y_tr, y_te = split
    n_train = len(X_tr) - len(X_tr) % BOOK["minibatch_size"]
    split = (X_tr[:n_train], X_te, y_tr[:n_train], y_te)
    params = twin_params(**{**BOOK, "epochs": epochs})
    tasks = [(_fit, (framework, params, seed, split)) for seed in range(seeds)
             for framework in FRAMEWORKS]
    outcomes = iter(run_tasks(tasks, jobs, progress))
    models = {f: {"test_accuracy": [], "train_accuracy": [], "fit_seconds": []}
              for f in FRAMEWORKS}
    for seed in range(seeds):
        for framework in FRAMEWORKS:
            outcome = next(outcomes)
            for key in ("test_accuracy", "train_accuracy", "fit_seconds"):
                models[framework][key].append(outcome[key])
            if seed == 0:
                models[framework]["loss_curve"] = outcome["loss_curve"]
    return {"book": {**BOOK, "test_accuracy": BOOK_ACCURACY, "n_train": 55000,
                     "n_test": 10000},
            "params": {k: list(v) if isinstance(v, tuple) else v for k, v in params.items()},
            "n_train": n_train, "n_test": len(X_te), "epochs": epochs, "models": models}
