"""The lecture's ideas as experiments for the report, each checked against a framework."""

from typing import Any

import numpy as np
import torch
from sklearn.datasets import load_digits
from sklearn.linear_model import Perceptron as SkPerceptron
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

import scratch
from comparisons.experiments import quiet
from comparisons.parallel import run_tasks
from scratch.autodiff import Value
from scratch.perceptron import Adaline, Perceptron
from scratch.vanishing import layer_gradient_norms
from scratch.worked_example import node_table, worked_example


def xor_single_layer() -> tuple[dict, dict]:
    """How many of the four XOR points each model gets right (best over 10 seeds for the
    single-layer ones), and the fitted models for drawing their decision boundaries."""
    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = np.array([0, 1, 1, 0])
    best = {"perceptron": 0, "adaline": 0, "sklearn_perceptron": 0}
    for seed in range(10):
        best["perceptron"] = max(best["perceptron"], int(
            (Perceptron(random_state=seed).fit(X, y).predict(X) == y).sum()))
        best["adaline"] = max(best["adaline"], int(
            (Adaline(random_state=seed).fit(X, y).predict(X) == y).sum()))
        best["sklearn_perceptron"] = max(best["sklearn_perceptron"], int(
            (SkPerceptron(random_state=seed).fit(X, y).predict(X) == y).sum()))
    mlp = scratch.MLPClassifier((8,), activation="tanh", learning_rate_init=0.05,
                                max_iter=500, random_state=0).fit(X, y)
    best["mlp"] = int((mlp.predict(X) == y).sum())
    models = {"Rosenblatt's perceptron": Perceptron(random_state=0).fit(X, y),
              "Widrow-Hoff Adaline": Adaline(random_state=0).fit(X, y)}
    return best, models


def worked_example_check(seed: int = 0) -> dict:
    """The worked example with 3 hidden units and 4 inputs, against torch autograd."""
    rng = np.random.default_rng(seed)
    W, x, u = rng.normal(size=(3, 4)), rng.normal(size=4), rng.normal(size=3)
    ours = worked_example(W, x, u)
    W_t, x_t, u_t = (torch.tensor(a, requires_grad=True) for a in (W, x, u))
    z = W_t @ x_t
    z.retain_grad()
    h = torch.sigmoid(z)
    h.retain_grad()
    (u_t @ h).backward()
    theirs = {"ds_dW": W_t.grad, "ds_dx": x_t.grad, "ds_du": u_t.grad, "delta": z.grad,
              "ds_dh": h.grad}
    worst = max(float(np.abs(ours[k] - v.numpy()).max()) for k, v in theirs.items())

    def show(value: Any) -> Any:
        return value if isinstance(value, str) else np.round(np.asarray(value), 4).tolist()

    nodes = [{"node": name, "local": show(local), "upstream": show(up),
              "downstream": show(down)} for name, local, up, down in node_table(ours)]
    return {"inputs": {"W": W.tolist(), "x": x.tolist(), "u": u.tolist()},
            "s": float(ours["s"]), "nodes": nodes, "max_difference_vs_torch": worst}


GATES = [
    ("add distributes", "z = x + y", lambda x, y: x + y, (2.0, -3.0)),
    ("multiply swaps", "z = x * y", lambda x, y: x * y, (2.0, -3.0)),
    ("copy adds", "z = x * x + x (x used three times)", lambda x, y: x * x + x + 0 * y,
     (2.0, 0.0)),
    ("max routes", "z = max(x, y)", lambda x, y: x.max(y) if isinstance(x, Value)
     else torch.maximum(x, y), (2.0, -3.0)),
]


def gates() -> list[dict]:
    """Each gate's input gradients by our scalar autodiff and by torch autograd."""
    rows = []
    for name, expression, f, (a, b) in GATES:
        x, y = Value(a), Value(b)
        f(x, y).backward()
        xt, yt = (torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in (a, b))
        f(xt, yt).backward()
        rows.append({"gate": name, "expression": expression, "x": a, "y": b,
                     "ours": [x.grad, y.grad], "torch": [xt.grad.item(), yt.grad.item()]})
    return rows


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


def dropout_fit(hidden: tuple[int, ...], epochs: int, dropout: float, seed: int,
                split: tuple) -> tuple[float, float]:
    """(train accuracy, test accuracy) of one over-fitting fit."""
    X_tr, X_te, y_tr, y_te = split
    model = scratch.MLPClassifier(hidden, alpha=0.0, max_iter=epochs, dropout=dropout,
                                  random_state=seed, n_iter_no_change=epochs)
    with quiet():
        model.fit(X_tr, y_tr)
    return float(model.score(X_tr, y_tr)), float(model.score(X_te, y_te))


def dropout_gap(seeds: int = 3, rate: float = 0.5, n_train: int = 200, epochs: int = 200,
                hidden: tuple[int, ...] = (256, 256), jobs: int = 1) -> dict:
    """Over-fitting on purpose: 200 training digits, two layers of 256 units, no L2. Train
    and test accuracy with and without dropout, per seed."""
    X, y = load_digits(return_X_y=True)
    out = {"rate": rate, "n_train": n_train, "epochs": epochs, "hidden": list(hidden),
           "without": {"train": [], "test": []}, "with": {"train": [], "test": []}}
    tasks = []
    for seed in range(seeds):
        X_tr, X_te, y_tr, y_te = train_test_split(X, y, train_size=n_train, stratify=y,
                                                  random_state=seed)
        scaler = StandardScaler().fit(X_tr)
        split = (scaler.transform(X_tr), scaler.transform(X_te), y_tr, y_te)
        tasks += [(dropout_fit, (hidden, epochs, dropout, seed, split))
                  for dropout in (0.0, rate)]
    outcomes = iter(run_tasks(tasks, jobs))
    for _ in range(seeds):
        for key in ("without", "with"):
            train, test = next(outcomes)
            out[key]["train"].append(train)
            out[key]["test"].append(test)
    for key in ("without", "with"):
        out[key]["gap"] = float(np.mean(out[key]["train"]) - np.mean(out[key]["test"]))
    return out
