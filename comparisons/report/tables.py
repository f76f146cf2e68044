"""The report's tables, each a Markdown table (report.md shows them as they are, report.html
converts them)."""

import numpy as np

from comparisons.report.automates import STEPS
from comparisons.report.conventions import ROWS
from comparisons.report.experiments import LABELS, MODELS


def fmt(value: float | None) -> str:
    """A measured difference, to two significant digits (never rounded down to look better
    than it is: 1.46e-10 prints as 1.5e-10)."""
    return "-" if value is None else f"{value:.1e}"


VERDICTS = ("vs scikit-learn", "within seed-to-seed noise", "median fit s")
# the columns a reader looks for first: next to the model's name, and kept in view on a phone


def _count(n: int, noun: str) -> str:
    """"1 epoch", "6 epochs"."""
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _row(*cells: object) -> str:
    return "| " + " | ".join(str(c) for c in cells) + " |"


def _table(head: list[str], rows: list[list]) -> str:
    return "\n".join([_row(*head), "|" + "---|" * len(head)] + [_row(*r) for r in rows])


def dataset_text(result: dict) -> str:
    seeds = len(result["models"]["scratch"]["test_accuracy"])
    return (f"Data: {result['source']}. {result['n_train']} training and {result['n_test']} "
            f"test samples, {result['n_features']} features, {result['n_classes']} classes; "
            f"{parameters_text(result['params'])}; {seeds} seed{'s' if seeds > 1 else ''}.")


def parameters_text(params: dict) -> str:
    """The models' parameters in words: "scikit-learn's defaults" and what differs."""
    if not params:
        return ("every model with scikit-learn's defaults (one hidden layer of 100 ReLU units, "
                "Adam, at most 200 epochs)")
    changed = ", ".join(f"{name} = {_value(value)}" for name, value in params.items())
    return f"every model with scikit-learn's defaults but {changed}"


def _value(value: object) -> str:
    if isinstance(value, (list, tuple)):
        return "(" + ", ".join(map(str, value)) + ("," if len(value) == 1 else "") + ")"
    return str(value)


def accuracy_table(name: str, result: dict) -> str:
    what = "accuracy on the four points (training = test)" if name == "xor" else \
        "mean test accuracy"
    one_seed = len(result["models"]["scratch"]["test_accuracy"]) == 1
    rows = []
    for model in MODELS:
        acc = np.array(result["models"][model]["test_accuracy"])
        cmp = result["accuracy_vs_sklearn"][model]
        noise = "n/a (one seed: no noise estimate)" if one_seed else \
            ("yes" if cmp["within_noise"] else "no")
        rows.append([LABELS[model], f"{acc.mean():.4f}", f"{cmp['mean_difference']:+.4f}",
                     noise, f"{np.median(result['models'][model]['fit_seconds']):.2f}",
                     f"{acc.std():.4f}", f"{acc.min():.4f}", f"{acc.max():.4f}"])
    return _table(["model", what, *VERDICTS, "std", "min", "max"], rows)


def agreement_table(result: dict) -> str:
    g, t = result["gradient_check"], result["trajectory"]
    return _table(["check", "max difference"], [
        ["gradient, scratch vs torch autograd (relative)", fmt(g["scratch_vs_torch"])],
        ["gradient, scratch vs scikit-learn's backprop (relative)",
         fmt(g["scratch_vs_sklearn"])],
        ["gradient, scratch vs finite differences (relative" + (
            f"; {_count(g['finite_differences_skipped_at_kinks'], 'coordinate')} skipped where "
            "a step crosses a ReLU kink)" if result["params"].get("activation", "relu") == "relu"
            else ")"), fmt(g["scratch_vs_finite_differences"])],
        [f"weights after {_count(t['epochs'], 'epoch')} from the same start, scratch vs "
         "scikit-learn (absolute)", fmt(t["scratch_vs_sklearn"])],
        [f"weights after {_count(t['epochs'], 'epoch')} from the same start, torch twin vs "
         "scikit-learn (absolute)", fmt(t["torch_vs_sklearn"])]])


def per_layer_table(result: dict) -> str:
    rows = []
    for row in result["gradient_check"]["per_layer"]:
        cells = [", ".join(fmt(v) for v in row[k]) for k in
                 ("scratch_vs_torch", "scratch_vs_sklearn", "scratch_vs_finite_differences")]
        rows.append([row["layer"], f"{row['shape'][0]} x {row['shape'][1]}", *cells])
    return _table(["layer", "shape", "vs torch (W, b)", "vs scikit-learn (W, b)",
                   "vs finite differences (W, b)"], rows)


def conventions_table(conventions: dict) -> str:
    """Each convention: scikit-learn's choice, PyTorch's, the conversion, and the measured
    distance after the last epoch with the conversion and without it."""
    described = {row.name: row for row in ROWS}
    rows = []
    for row in conventions["rows"]:
        d = described[row["name"]]
        rows.append([row["name"], d.sklearn, d.torch, d.conversion,
                     fmt(row["with_conversion"][-1]), fmt(row["without_conversion"][-1])])
    return _table(["convention", "scikit-learn", "PyTorch", "conversion",
                   f"distance after {conventions['epochs']} epochs, with the conversion",
                   "without it"], rows)


def automates_table() -> str:
    return _table(["step", "scratch does it by hand", "PyTorch does it for you",
                   "scikit-learn does it for you"], [list(step) for step in STEPS])


# --- the lecture -------------------------------------------------------------------------------

def timeline_table(timeline: list) -> str:
    return _table(["generation", "year", "who", "paper", "what it brought"],
                  [list(entry) for entry in timeline])


def xor_table(xor: dict) -> str:
    names = {"perceptron": "Rosenblatt's perceptron", "adaline": "Widrow-Hoff Adaline",
             "sklearn_perceptron": "scikit-learn's Perceptron"}
    rows = [[names[k], ", ".join(map(str, xor[k]["right_per_seed"])),
             f"{xor[k]['best']} (seed {xor[k]['best_seed']})"] for k in names]
    rows.append(["MLP, one hidden layer of 8 (scratch)", "-", str(xor["mlp"])])
    return _table(["model", "XOR points right after training, seeds 0, 1, 2, ...", "best"],
                  rows)


def worked_example_table(example: dict) -> str:
    return _table(["node", "forward value", "local gradient", "upstream", "downstream",
                   "downstream = local x upstream"],
                  [[r["node"], r["value"], r["local"], r["upstream"], r["downstream"],
                    r["rule"]] for r in example["nodes"]])


def gates_table(gates: list) -> str:
    return _table(["gate", "expression", "x, y", "z", "upstream dL/dz",
                   "dL/dx, dL/dy (ours)", "(torch autograd)"],
                  [[g["gate"], g["expression"], f"{g['x']:g}, {g['y']:g}", f"{g['z']:g}",
                    f"{g['upstream']:g}", ", ".join(f"{v:g}" for v in g["ours"]),
                    ", ".join(f"{v:g}" for v in g["torch"])] for g in gates])


def sigmoid_table(rows: list) -> str:
    return _table(["z", "s = sigmoid(z)", "s (1 - s)", "torch autograd", "finite difference"],
                  [[f"{r['z']:g}", f"{r['s']:.6f}", f"{r['s(1-s)']:.10f}",
                    f"{r['torch']:.10f}", f"{r['finite difference']:.10f}"] for r in rows])


def reverse_forward_table(rows: list) -> str:
    """Work and time of each mode per width; times are medians of the repeats with their
    quartiles, the middle half of the runs, in brackets."""
    def spread(low_high: list[float], digits: str = ".1e") -> str:
        return f"[{low_high[0]:{digits}}, {low_high[1]:{digits}}]"

    return _table(["width n", "reverse mode multiply-adds", "forward mode multiply-adds",
                   f"reverse s, median of {rows[0]['repeats']} [middle half]",
                   "forward s, median [middle half]", "forward / reverse time, median "
                   "[middle half]", "gradients differ by"],
                  [[r["width"], f"{r['reverse_ops']:,}", f"{r['forward_ops']:,}",
                    f"{r['reverse_seconds']:.1e} {spread(r['reverse_seconds_quartiles'])}",
                    f"{r['forward_seconds']:.1e} {spread(r['forward_seconds_quartiles'])}",
                    f"{r['ratio']:.0f}x {spread(r['ratio_quartiles'], '.0f')}",
                    fmt(r["difference"])] for r in rows])


def vanishing_table(result: dict) -> str:
    rows = [[f"first/last gradient norm, {a}"] + [f"{r:.1e}" for r in
                                                  result[a]["first_to_last_ratio"]]
            for a in ("logistic", "tanh", "relu")]
    return _table(["hidden layers"] + [str(d) for d in result["depths"]], rows)


def vanishing_training_table(result: dict) -> str:
    rows = []
    for activation in ("logistic", "relu"):
        runs = result[activation]
        moved = np.mean([r["relative_change"] for r in runs], axis=0)
        rows.append([activation,
                     f"{np.mean([r['loss'][0] for r in runs]):.3f}",
                     f"{np.mean([r['loss'][-1] for r in runs]):.3f}",
                     f"{np.mean([r['train_accuracy'] for r in runs]):.3f}",
                     f"{moved[0]:.4f}", f"{moved[-1]:.4f}"])
    return _table(["hidden units", "loss after epoch 1", f"after epoch {result['epochs']}",
                   "training accuracy", "first layer moved (relative)",
                   "last layer moved"], rows)


def dropout_table(result: dict) -> str:
    rows = []
    for key, label in (("without", "no dropout"), ("with", f"dropout {result['rate']}")):
        s = result[f"{key}_summary"]
        loss = np.mean([r["test_loss"][-1] for r in result[key]])
        rows.append([label, f"{s['train']:.4f}", f"{s['test']:.4f}", f"{s['gap']:.4f}",
                     f"{loss:.4f}"])
    return _table(["", "mean training accuracy", "mean test accuracy", "gap",
                   "mean test log loss"], rows)


def effect_text(result: dict) -> str:
    """The dropout effect with its uncertainty, in a sentence."""
    parts = []
    for key, what, digits in (("test_accuracy", "test accuracy", 4), ("test_loss",
                                                                      "test log loss", 4)):
        e = result["effect"][key]
        if e["standard_error"] is None:
            parts.append(f"{what} {e['mean']:+.{digits}f} (one seed: no uncertainty)")
            continue
        z = abs(e["mean"]) / e["standard_error"] if e["standard_error"] else np.inf
        verdict = "beyond two standard errors" if z > 2 else "within two standard errors of 0"
        parts.append(f"{what} {e['mean']:+.{digits}f} +- {e['standard_error']:.{digits}f} "
                     f"({verdict})")
    return (f"With dropout {result['rate']} minus without, paired over {result['seeds']} "
            "seeds (mean +- standard error): " + "; ".join(parts) + ".")


TEXTBOOK_LABELS = {"scratch": "scratch (NumPy)", "torch": "torch twin, sklearn conventions",
                   "sklearn": "scikit-learn"}


def textbook_conversion_table(tb: dict) -> str:
    """The book's settings beside the twins' parameters that reproduce its update."""
    book, p = tb["book"], tb["params"]
    rows = ["| the book (summed over the minibatch) | the twins and scikit-learn (mean over "
            "the batch) |", "|---|---|",
            f"| {book['n_hidden']} logistic hidden units | hidden_layer_sizes="
            f"({p['hidden_layer_sizes'][0]},), activation='logistic' |",
            "| one sigmoid output per class, one-hot targets, summed cross-entropy | targets "
            "passed one-hot: one logistic output per class (multilabel), cross-entropy summed "
            "over the outputs; the prediction is the largest output |",
            f"| eta = {book['eta']} on the summed gradient | learning_rate_init = eta x "
            f"{book['minibatch_size']} = {p['learning_rate_init']:g} on the mean |",
            f"| l2 = {book['l2']}: the update adds l2 W (biases not penalised) | alpha = "
            f"{p['alpha']:g}: the penalty alpha / (2 n) sum W^2, gradient alpha W / n |",
            f"| minibatches of {book['minibatch_size']}, every batch full | batch_size="
            f"{p['batch_size']}, {tb['n_train']:,} training images (a multiple of it) |",
            "| plain gradient descent | solver='sgd', momentum=0, nesterovs_momentum=False |",
            f"| {book['epochs']} epochs, no early stop | max_iter={tb['epochs']}, tol=0, "
            f"n_iter_no_change={p['n_iter_no_change']} |",
            "| W ~ N(0, 0.1), b = 0 | the same draws, given as coefs_init / intercepts_init |"]
    return "\n".join(rows)


def textbook_table(tb: dict, defaults: dict | None) -> str:
    rows = ["| model | data | mean test accuracy | std | seeds | median fit s |",
            "|---|---|---|---|---|---|"]
    data = f"{tb['n_train']:,} / {tb['n_test']:,} shipped digits, {tb['epochs']} epochs"
    for name, result in tb["models"].items():
        acc = np.array(result["test_accuracy"])
        rows.append(f"| the book's network, {TEXTBOOK_LABELS[name]} | {data} | {acc.mean():.4f} "
                    f"| {acc.std():.4f} | {len(acc)} | {np.median(result['fit_seconds']):.1f} |")
    if defaults is not None:
        for name in ("scratch", "sklearn"):
            acc = np.array(defaults["models"][name]["test_accuracy"])
            rows.append(f"| {LABELS[name]} with its defaults (the mnist table) | "
                        f"{defaults['n_train']:,} / {defaults['n_test']:,}, "
                        f"{defaults['params'].get('max_iter', 200)} epochs | {acc.mean():.4f} | "
                        f"{acc.std():.4f} | {len(acc)} | "
                        f"{np.median(defaults['models'][name]['fit_seconds']):.1f} |")
    book = tb["book"]
    rows.append(f"| the book's own code, as it reports (context: a different data size) | full "
                f"MNIST, {book['n_train']:,} / {book['n_test']:,}, {book['epochs']} epochs | "
                f"{book['test_accuracy']:.4f} | - | - | - |")
    return "\n".join(rows)


def textbook_text(tb: dict) -> str:
    return (f"The chapter's own network, trained on {tb['source']}. The book sums its loss "
            "over each minibatch; the frameworks average it, so the same update needs the "
            "learning rate times the batch size and the book's l2 as alpha (the tests hold one "
            "step of the book's update equal to one step of each twin). Each seed draws the "
            "book's initial weights and the epoch order.")


