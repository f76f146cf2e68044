"""``python -m comparisons.report.conventions``: how far the torch twin drifts from scikit-learn
when one conversion is left out, for each convention. Prints the table of
docs/conventions.md.

Each row trains scikit-learn's MLP and the torch twin from the same random_state for
``EPOCHS`` epochs on a small digits problem, once with every conversion (``conventions=
"sklearn"``) and once with that row's switch set the way torch does it, and reports the
largest absolute weight difference from scikit-learn's weights (float64).
"""

import argparse
import warnings
from dataclasses import dataclass, field

import numpy as np
import sklearn.neural_network as sk
from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning

import scratch
from comparisons.data import small_task
from reference.twin.exchange import one_logit
from reference.twin.torch_estimators import TorchMLPClassifier, TorchMLPRegressor

EPOCHS = 12
BASE = dict(hidden_layer_sizes=(16,), random_state=0, batch_size=32, learning_rate_init=0.01,
            tol=0.0, n_iter_no_change=1000, alpha=1e-4)


@dataclass
class Row:
    switch: dict
    name: str
    sklearn: str
    torch: str
    conversion: str
    task: str = "multiclass"
    params: dict = field(default_factory=dict)


ROWS = [
    Row({"init": "torch"}, "initial weights",
        "W, b ~ U(+-sqrt(6 / (fan_in + fan_out))) (2 for logistic), bias drawn too",
        "nn.Linear: W, b ~ U(+-1 / sqrt(fan_in))",
        "copy the weights, or replay scikit-learn's RandomState draws"),
    Row({"shuffle": "torch"}, "epoch order",
        "idx = idx[rs.permutation(n)]: the previous order permuted again",
        "DataLoader(shuffle=True): a fresh torch.randperm each epoch",
        "take the order from the same RandomState"),
    Row({"binary_output": "two_logits"}, "binary output",
        "one logistic unit, log loss",
        "two logits, CrossEntropyLoss",
        "one logit with BCEWithLogitsLoss", task="binary"),
    Row({"loss": "torch"}, "loss reduction (3 labels)",
        "mean over samples of the loss summed over output columns",
        "reduction='mean' over all n x K elements (MSELoss also drops the 1/2)",
        "BCEWithLogitsLoss(reduction='sum') / n", task="multilabel"),
    Row({"l2": "fixed_batch"}, "L2 on the short last batch",
        "alpha / (2 n_batch) sum(W^2), n_batch of the current batch",
        "weight_decay is fixed when the optimizer is built",
        "recompute alpha / n_batch for every batch", params=dict(alpha=0.5)),
    Row({"l2": "with_biases"}, "L2 on the intercepts",
        "weights only", "weight_decay applies to every parameter",
        "a param group for the weights only", params=dict(alpha=0.5)),
    Row({"l2": "weight_decay"}, "L2 as weight_decay",
        "alpha / (2 n_batch) sum(W^2) in the loss",
        "weight_decay=alpha: grad += alpha * param",
        "weight_decay = alpha / n_batch on weights only, per batch", params=dict(alpha=0.5)),
    Row({"l2": "decoupled"}, "AdamW",
        "coupled L2 in the loss", "AdamW: param *= 1 - lr * weight_decay",
        "none unless alpha = 0 (use Adam with the coupled penalty)", params=dict(alpha=0.5)),
    Row({"adam_epsilon": "torch"}, "Adam's epsilon",
        "eps added to sqrt(v)", "eps added to sqrt(v / (1 - b2^t))",
        "eps_torch = eps / sqrt(1 - b2^t) before each step"),
    Row({"adam_epsilon": "torch"}, "Adam's epsilon, eps = 1e-3",
        "eps added to sqrt(v)", "eps added to sqrt(v / (1 - b2^t))",
        "eps_torch = eps / sqrt(1 - b2^t) before each step", params=dict(epsilon=1e-3)),
    Row({"momentum": "torch"}, "momentum when lr changes (invscaling)",
        "velocity v = mu v - lr g holds the old lr",
        "buffer = mu buf + g; the new lr applies to all of it",
        "multiply each momentum_buffer by lr_old / lr_new",
        params=dict(solver="sgd", learning_rate="invscaling", learning_rate_init=0.5)),
    Row({"momentum": "torch"}, "momentum when lr changes (adaptive)",
        "velocity v = mu v - lr g holds the old lr",
        "buffer = mu buf + g; the new lr applies to all of it",
        "multiply each momentum_buffer by lr_old / lr_new",
        params=dict(solver="sgd", learning_rate="adaptive", learning_rate_init=0.1,
                    tol=1.0, n_iter_no_change=1)),
]


def comparable_weights(est: BaseEstimator) -> list[np.ndarray]:
    """coefs_ + intercepts_, a two-logit binary output folded into scikit-learn's one."""
    coefs, intercepts = list(est.coefs_), list(est.intercepts_)
    if est.out_activation_ == "softmax" and coefs[-1].shape[1] == 2:
        coefs, intercepts = one_logit(coefs, intercepts)
    return coefs + intercepts


def max_weight_difference(a: BaseEstimator, b: BaseEstimator) -> float:
    pairs = zip(comparable_weights(a), comparable_weights(b))
    return max(float(np.abs(x - y).max()) for x, y in pairs)


def row_models(row: Row, epochs: int = EPOCHS, with_scratch: bool = False
               ) -> tuple[np.ndarray, np.ndarray, list[BaseEstimator]]:
    """The row's data and unfitted models: scikit-learn's, the torch twin with every
    conversion, the twin without this one (and scratch, if asked)."""
    X, y = small_task(row.task)
    params = {**BASE, **row.params, "max_iter": epochs}
    classifier = row.task != "regression"
    reference = (sk.MLPClassifier if classifier else sk.MLPRegressor)(**params)
    twin = TorchMLPClassifier if classifier else TorchMLPRegressor
    models = [reference, twin(**params), twin(**params, conventions=row.switch)]
    if with_scratch:
        models.append((scratch.MLPClassifier if classifier else scratch.MLPRegressor)(**params))
    return X, y, models


def fit_three(row: Row, epochs: int = EPOCHS) -> list[BaseEstimator]:
    """(scikit-learn's, the torch twin with every conversion, the twin without this one)."""
    X, y, models = row_models(row, epochs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for model in models:
            model.fit(X, y)
    return models


def measure(row: Row, epochs: int = EPOCHS) -> tuple[float, float]:
    """(max |weight difference| with the conversion, without it), after ``epochs`` epochs."""
    reference, converted, plain = fit_three(row, epochs)
    return max_weight_difference(converted, reference), max_weight_difference(plain, reference)


def table(rows: list[Row] = ROWS, epochs: int = EPOCHS) -> str:
    lines = [
        "| convention | scikit-learn | PyTorch | conversion | with conversion | without |",
        "|---|---|---|---|---|---|",
    ]
    for row in rows:
        with_, without = measure(row, epochs)
        lines.append(f"| {row.name} | {row.sklearn} | {row.torch} | {row.conversion} | "
                     f"{with_:.1e} | {without:.1e} |")
    return "\n".join(lines)


BEGIN, END = "<!-- table: python -m comparisons.report.conventions -->", "<!-- end of table -->"


def update(path: str, text: str) -> None:
    """Replace the table between the BEGIN and END markers of the file at ``path``."""
    with open(path) as f:
        content = f.read()
    head, rest = content.split(BEGIN)
    _, tail = rest.split(END)
    with open(path, "w") as f:
        f.write(f"{head}{BEGIN}\n{text}\n{END}{tail}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m comparisons.report.conventions",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=EPOCHS)
    parser.add_argument("--update", metavar="FILE",
                        help="write the table into FILE between its table markers")
    args = parser.parse_args(argv)
    text = table(epochs=args.epochs)
    print(text)
    if args.update:
        update(args.update, text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
