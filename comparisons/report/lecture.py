"""The lecture's ideas as experiments, each checked against a framework: what the report's
lecture section and the notebooks show.

In the lecture's order: the single-layer ancestors (perceptron, Adaline) on AND, OR and XOR;
the worked example z = W x, h = sigmoid(z), s = u^T h with small integers; the four gates
with an upstream gradient other than 1; why backpropagation runs right to left; vanishing
gradients at initialisation and during training; dropout against over-fitting.
"""

from typing import Any

import numpy as np
import torch
from sklearn.datasets import load_digits
from sklearn.linear_model import Perceptron as SkPerceptron
from sklearn.metrics import log_loss
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

import scratch
from comparisons.parallel import run_tasks
from comparisons.report.experiments import quiet
from scratch.lecture.autodiff import Value
from scratch.lecture.perceptron import Adaline, Perceptron
from scratch.lecture.reverse_mode import compare
from scratch.lecture.vanishing import layer_gradient_norms
from scratch.lecture.worked_example import LECTURE, node_rows, worked_example

TIMELINE = [  # the lecture's history of neural networks, generation by generation
    ("first", 1958, "Rosenblatt", "The perceptron: a probabilistic model for information "
     "storage and organization in the brain", "the first trained model of a neuron"),
    ("first", 1960, "Widrow and Hoff", "Adaptive switching circuits",
     "Adaline: weights updated by the error, the delta rule"),
    ("first", 1969, "Minsky and Papert", "Perceptrons",
     "one layer cannot compute XOR"),
    ("second", 1986, "Rumelhart, Hinton and Williams", "Learning representations by "
     "back-propagating errors", "backpropagation: hidden layers can be trained, and one "
     "computes XOR"),
    ("second", 1989, "LeCun et al.", "Backpropagation applied to handwritten zip code "
     "recognition", "convolutional networks"),
    ("second", 1994, "Bengio, Simard and Frasconi", "Learning long-term dependencies with "
     "gradient descent is difficult", "vanishing gradients"),
    ("third", 2010, "Nair and Hinton", "Rectified linear units improve restricted Boltzmann "
     "machines", "ReLU"),
    ("third", 2012, "Hinton, Srivastava, Krizhevsky, Sutskever and Salakhutdinov",
     "Improving neural networks by preventing co-adaptation of feature detectors", "dropout"),
]

X_GATE = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
TRUTH = {"AND": np.array([0, 0, 0, 1]), "OR": np.array([0, 1, 1, 1]),
         "XOR": np.array([0, 1, 1, 0])}
SINGLE_LAYER = {"perceptron": Perceptron, "adaline": Adaline}
NAMES = {"perceptron": "Rosenblatt's perceptron", "adaline": "Widrow-Hoff Adaline"}


def ancestors(seed: int = 0) -> tuple[dict, dict]:
    """Misclassified points after each epoch for the perceptron and Adaline on AND, OR and
    XOR (one seed), and the fitted models for drawing their decision lines."""
    errors, models = {}, {}
    for gate, y in TRUTH.items():
        for key, cls in SINGLE_LAYER.items():
            model = cls(random_state=seed).fit(X_GATE, y)
            errors.setdefault(gate, {})[key] = model.errors_
            models[gate, key] = model
    return errors, models


def xor_single_layer(seeds: int = 10) -> tuple[dict, dict]:
    """XOR points right at the end of training, per seed, for the single-layer models (and
    scikit-learn's Perceptron); the best seed of each, whose fitted model is returned for the
    figure, so that the table and the figure show the same runs; and the MLP's count."""
    y = TRUTH["XOR"]
    out, models = {}, {}
    makers = {"perceptron": lambda s: Perceptron(random_state=s),
              "adaline": lambda s: Adaline(random_state=s),
              "sklearn_perceptron": lambda s: SkPerceptron(random_state=s)}
    for key, make in makers.items():
        fitted = [make(seed).fit(X_GATE, y) for seed in range(seeds)]
        right = [int((m.predict(X_GATE) == y).sum()) for m in fitted]
        best = int(np.argmax(right))
        out[key] = {"right_per_seed": right, "best": right[best], "best_seed": best}
        if key in NAMES:
            models[f"{NAMES[key]}, seed {best}"] = fitted[best]
    mlp = scratch.MLPClassifier((8,), activation="tanh", learning_rate_init=0.05,
                                max_iter=500, random_state=0).fit(X_GATE, y)
    out["mlp"] = int((mlp.predict(X_GATE) == y).sum())
    models["MLP, one hidden layer of 8 (scratch), seed 0"] = mlp
    return out, models


def worked_example_check() -> dict:
    """The lecture's worked example with small integers, every node as numbers, and the same
    gradients from torch autograd."""
    ours = worked_example(**LECTURE)
    W_t, x_t, u_t = (torch.tensor(LECTURE[k], dtype=torch.float64, requires_grad=True)
                     for k in ("W", "x", "u"))
    z = W_t @ x_t
    z.retain_grad()
    h = torch.sigmoid(z)
    h.retain_grad()
    (u_t @ h).backward()
    theirs = {"ds_dW": W_t.grad, "ds_dx": x_t.grad, "ds_du": u_t.grad, "delta": z.grad,
              "ds_dh": h.grad}
    worst = max(float(np.abs(ours[k] - v.numpy()).max()) for k, v in theirs.items())
    return {"inputs": LECTURE, "z": ours["z"].tolist(), "h": ours["h"].tolist(),
            "s": float(ours["s"]), "delta": ours["delta"].tolist(),
            "ds_dW": ours["ds_dW"].tolist(), "ds_dx": ours["ds_dx"].tolist(),
            "torch": {k: v.numpy().tolist() for k, v in theirs.items()},
            "nodes": node_rows(ours), "max_difference_vs_torch": worst}


GATES = [
    ("add distributes", "z = x + y", lambda x, y: x + y, (3.0, -4.0)),
    ("multiply swaps", "z = x * y", lambda x, y: x * y, (3.0, -4.0)),
    ("copy adds", "z = x * y + x (x used twice)", lambda x, y: x * y + x, (3.0, -4.0)),
    ("max routes", "z = max(x, y)", lambda x, y: x.max(y) if isinstance(x, Value)
     else torch.maximum(x, y), (3.0, -4.0)),
]


def gates(upstream: float = 2.0) -> list[dict]:
    """Each gate's input gradients for an upstream gradient of ``upstream``, by our scalar
    autodiff and by torch autograd."""
    rows = []
    for name, expression, f, (a, b) in GATES:
        x, y = Value(a), Value(b)
        out = f(x, y)
        out.backward(upstream)
        xt, yt = (torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in (a, b))
        f(xt, yt).backward(torch.tensor(upstream, dtype=torch.float64))
        rows.append({"gate": name, "expression": expression, "x": a, "y": b,
                     "upstream": upstream, "z": out.data, "ours": [x.grad, y.grad],
                     "torch": [xt.grad.item(), yt.grad.item()]})
    return rows


def sigmoid_derivative_check(points: tuple[float, ...] = (-2.0, 0.0, 1.0, 3.0)) -> list[dict]:
    """sigmoid'(z) three ways: s (1 - s) read from the output, torch autograd, and a central
    finite difference."""
    rows = []
    for z in points:
        s = Value(z).sigmoid().data
        zt = torch.tensor(z, dtype=torch.float64, requires_grad=True)
        torch.sigmoid(zt).backward()
        h = 1e-5
        fd = (1 / (1 + np.exp(-(z + h))) - 1 / (1 + np.exp(-(z - h)))) / (2 * h)
        rows.append({"z": z, "s": s, "s(1-s)": s * (1 - s), "torch": zt.grad.item(),
                     "finite difference": float(fd)})
    return rows


def reverse_vs_forward(widths: tuple[int, ...] = (16, 64, 256, 512, 1024),
                       repeats: int = 15) -> list[dict]:
    """Reverse mode against forward mode for a 4-layer sigmoid chain
    (scratch.lecture.reverse_mode): per width, the work, the two gradients' difference, and
    each mode's time over ``repeats`` runs, the two modes run one after the other in each
    (a change of the machine's speed touches both): the median and the quartiles of each
    mode's seconds and of the per-run ratio forward / reverse (a first run, which warms the
    caches, is left out). NumPy's BLAS runs on one thread, as each fit of the report does:
    the time then follows the work, not how many cores other processes leave free."""
    with threadpool_limits(limits=1):
        runs = [compare(list(widths), depth=4, repeats=1) for _ in range(repeats + 1)][1:]
    rows = []
    for k, row in enumerate(runs[0]):
        seconds = {mode: np.array([run[k][f"{mode}_seconds"] for run in runs])
                   for mode in ("reverse", "forward")}
        ratio = seconds["forward"] / seconds["reverse"]
        rows.append({**row, "repeats": repeats,
                     **{f"{mode}_seconds": float(np.median(values))
                        for mode, values in seconds.items()},
                     **{f"{mode}_seconds_quartiles": _quartiles(values)
                        for mode, values in seconds.items()},
                     "ratio": float(np.median(ratio)), "ratio_quartiles": _quartiles(ratio)})
    return rows


def _quartiles(values: np.ndarray) -> list[float]:
    return [float(q) for q in np.percentile(values, [25, 75])]


def vanishing_gradients(depths: range = range(2, 13),
                        activations: tuple[str, ...] = ("logistic", "tanh", "relu")) -> dict:
    """Per-layer gradient norms at initialisation on 500 standardised digits."""
    X, y = load_digits(return_X_y=True)
    X, Y = StandardScaler().fit_transform(X)[:500], np.eye(10)[y[:500]]
    out = {"depths": list(depths)}
    for activation in activations:
        norms = [layer_gradient_norms(X, Y, d, activation).tolist() for d in depths]
        out[activation] = {"layer_norms": norms,
                           "first_to_last_ratio": [n[0] / n[-1] for n in norms]}
    return out


def _standardised_digits() -> tuple[np.ndarray, np.ndarray]:
    X, y = load_digits(return_X_y=True)
    return StandardScaler().fit_transform(X), y


def train_deep(activation: str, seed: int, depth: int, width: int, epochs: int,
               learning_rate: float) -> dict:
    """One deep network trained with SGD (momentum 0.9) on the standardised digits, epoch by
    epoch: the loss, each layer's gradient norm, and how far each layer's weights moved."""
    X, y = _standardised_digits()
    model = scratch.MLPClassifier((width,) * depth, activation=activation, solver="sgd",
                                  learning_rate_init=learning_rate, batch_size=64,
                                  random_state=np.random.RandomState(seed))
    losses, norms, start = [], [], None
    for _ in range(epochs):
        model.partial_fit(X, y, classes=np.arange(10))
        if start is None:
            start = [W.copy() for W in model.coefs_]
        loss, coef_grads, _ = model.loss_and_gradients(X, y)
        losses.append(float(loss))
        norms.append([float(np.linalg.norm(g)) for g in coef_grads])
    moved = [float(np.linalg.norm(W - S) / np.linalg.norm(S))
             for W, S in zip(model.coefs_, start)]
    return {"loss": losses, "grad_norms": norms, "relative_change": moved,
            "train_accuracy": float(model.score(X, y))}


def vanishing_in_training(seeds: int = 3, epochs: int = 30, depth: int = 6, width: int = 32,
                          learning_rate: float = 0.02, jobs: int = 1) -> dict:
    """Deep logistic against deep ReLU networks, the same optimizer and learning rate, over
    ``seeds`` seeds: the logistic one's first layers barely move and its loss stalls."""
    activations = ("logistic", "relu")
    tasks = [(train_deep, (a, seed, depth, width, epochs, learning_rate))
             for a in activations for seed in range(seeds)]
    runs = iter(run_tasks(tasks, jobs))
    out = {"depth": depth, "width": width, "epochs": epochs, "learning_rate": learning_rate,
           "seeds": seeds}
    for activation in activations:
        out[activation] = [next(runs) for _ in range(seeds)]
    return out


def dropout_fit(hidden: tuple[int, ...], epochs: int, dropout: float, seed: int, split: tuple,
                every: int) -> dict:
    """One over-fitting fit, evaluated every ``every`` epochs: accuracy and log loss on the
    training and the test part."""
    X_tr, X_te, y_tr, y_te = split
    model = scratch.MLPClassifier(hidden, alpha=0.0, dropout=dropout, batch_size=50,
                                  random_state=np.random.RandomState(seed))
    curves = {"epoch": [], "train_loss": [], "test_loss": []}
    with quiet():
        for epoch in range(1, epochs + 1):
            model.partial_fit(X_tr, y_tr, classes=np.arange(10))
            if epoch % every == 0:
                curves["epoch"].append(epoch)
                curves["train_loss"].append(float(log_loss(y_tr, model.predict_proba(X_tr),
                                                           labels=np.arange(10))))
                curves["test_loss"].append(float(log_loss(y_te, model.predict_proba(X_te),
                                                          labels=np.arange(10))))
    return {"train": float(model.score(X_tr, y_tr)), "test": float(model.score(X_te, y_te)),
            **curves}


def _paired(a: list[float], b: list[float]) -> dict:
    d = np.asarray(b) - np.asarray(a)
    se = float(d.std(ddof=1) / np.sqrt(len(d))) if len(d) > 1 else None
    return {"mean": float(d.mean()), "standard_error": se}


def dropout_gap(seeds: int = 8, rate: float = 0.5, n_train: int = 200, epochs: int = 80,
                hidden: tuple[int, ...] = (256, 256), every: int = 10, jobs: int = 1) -> dict:
    """Over-fitting on purpose (200 training digits, two layers of 256 units, no L2), with and
    without dropout, over ``seeds`` splits: accuracy, and loss curves on both parts; the
    effect as paired differences (with dropout minus without) with their standard errors."""
    X, y = load_digits(return_X_y=True)
    tasks = []
    for seed in range(seeds):
        X_tr, X_te, y_tr, y_te = train_test_split(X, y, train_size=n_train, stratify=y,
                                                  random_state=seed)
        scaler = StandardScaler().fit(X_tr)
        split = (scaler.transform(X_tr), scaler.transform(X_te), y_tr, y_te)
        tasks += [(dropout_fit, (hidden, epochs, dropout, seed, split, every))
                  for dropout in (0.0, rate)]
    runs = iter(run_tasks(tasks, jobs))
    out: dict[str, Any] = {"rate": rate, "n_train": n_train, "epochs": epochs,
                           "hidden": list(hidden), "seeds": seeds, "without": [], "with": []}
    for _ in range(seeds):
        out["without"].append(next(runs))
        out["with"].append(next(runs))
    for key in ("without", "with"):
        train = [r["train"] for r in out[key]]
        test = [r["test"] for r in out[key]]
        out[f"{key}_summary"] = {"train": float(np.mean(train)), "test": float(np.mean(test)),
                                 "gap": float(np.mean(train) - np.mean(test))}
    out["effect"] = {
        "test_accuracy": _paired([r["test"] for r in out["without"]],
                                 [r["test"] for r in out["with"]]),
        "test_loss": _paired([r["test_loss"][-1] for r in out["without"]],
                             [r["test_loss"][-1] for r in out["with"]]),
        "gap": _paired([r["train"] - r["test"] for r in out["without"]],
                       [r["train"] - r["test"] for r in out["with"]])}
    return out
