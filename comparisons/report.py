"""Write results.json, report.md (tables) and report.html (tables and embedded figures)."""

import html
import json
import os

import numpy as np

from comparisons.automates import STEPS
from comparisons.experiments import LABELS, MODELS


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.1e}"


def dataset_text(result: dict) -> str:
    seeds = len(result["models"]["scratch"]["test_accuracy"])
    return (f"Data: {result['source']}. {result['n_train']} training and {result['n_test']} "
            f"test samples, {result['n_features']} features, {result['n_classes']} classes; "
            f"parameters {result['params']}; {seeds} seeds.")


def accuracy_table(name: str, result: dict) -> str:
    rows = ["| model | mean test accuracy | std | min | max | vs scikit-learn | within noise "
            "| median fit s |", "|---|---|---|---|---|---|---|---|"]
    for model in MODELS:
        acc = np.array(result["models"][model]["test_accuracy"])
        cmp = result["accuracy_vs_sklearn"][model]
        rows.append(f"| {LABELS[model]} | {acc.mean():.4f} | {acc.std():.4f} | {acc.min():.4f} "
                    f"| {acc.max():.4f} | {cmp['mean_difference']:+.4f} | "
                    f"{'yes' if cmp['within_noise'] else 'no'} | "
                    f"{np.median(result['models'][model]['fit_seconds']):.2f} |")
    return "\n".join(rows)


def agreement_table(result: dict) -> str:
    g, t = result["gradient_check"], result["trajectory"]
    rows = ["| check | max difference |", "|---|---|",
            f"| gradient, scratch vs torch autograd (relative) | {_fmt(g['scratch_vs_torch'])} |",
            f"| gradient, scratch vs scikit-learn's backprop (relative) | "
            f"{_fmt(g['scratch_vs_sklearn'])} |",
            f"| gradient, scratch vs finite differences (relative; "
            f"{g['finite_differences_skipped_at_kinks']} coordinates skipped where a step "
            f"crosses a ReLU kink) | {_fmt(g['scratch_vs_finite_differences'])} |",
            f"| weights after {t['epochs']} epochs from the same start, scratch vs "
            f"scikit-learn (absolute) | {_fmt(t['scratch_vs_sklearn'])} |",
            f"| weights after {t['epochs']} epochs from the same start, torch twin vs "
            f"scikit-learn (absolute) | {_fmt(t['torch_vs_sklearn'])} |"]
    return "\n".join(rows)


def per_layer_table(result: dict) -> str:
    rows = ["| layer | shape | vs torch (W, b) | vs scikit-learn (W, b) | vs finite differences "
            "(W, b) |", "|---|---|---|---|---|"]
    for row in result["gradient_check"]["per_layer"]:
        cells = [", ".join(_fmt(v) for v in row[k]) for k in
                 ("scratch_vs_torch", "scratch_vs_sklearn", "scratch_vs_finite_differences")]
        rows.append(f"| {row['layer']} | {row['shape'][0]} x {row['shape'][1]} | "
                    + " | ".join(cells) + " |")
    return "\n".join(rows)


def conventions_table(conventions: dict) -> str:
    rows = ["| convention left out | switch | distance after the last epoch, with conversion "
            "| without |", "|---|---|---|---|"]
    for row in conventions["rows"]:
        switch = ", ".join(f"{k}={v}" for k, v in row["switch"].items())
        rows.append(f"| {row['name']} | {switch} | {_fmt(row['with_conversion'][-1])} | "
                    f"{_fmt(row['without_conversion'][-1])} |")
    return "\n".join(rows)


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


CHECKER_TEXT = (
    "reference.check_backprop holds your own backward pass against the references and names "
    "what is wrong (docs/checking.md). Here it checks the textbook's network as the book "
    "writes it (scratch/textbook_net.py): every gradient is exact, the conventions are found "
    "without being given (summed batch, L2 alpha/2 sum W^2 on the weights), and the book's "
    "cost is caught adding an L2 term twice what its update differentiates. Then the same "
    "network with the classic mistake planted, the sigmoid's derivative taken at z: the "
    "output layer stays right, the hidden layer is named, and so is the mistake. Last, "
    "reference.check_optimizer on scratch's own Adam.")
CHECKER_CAPTIONS = {"textbook": "The textbook's network, as written:",
                    "mistake": "The same network with sigmoid's derivative taken at z:",
                    "optimizer": "scratch's Adam (scratch/adam.py) against the frameworks':"}


def checker_markdown(checker: dict) -> str:
    parts = [CHECKER_TEXT]
    for key, caption in CHECKER_CAPTIONS.items():
        parts += ["", caption, "", "```text", checker[key]["text"], "```"]
    return "\n".join(parts)


def checker_html(checker: dict) -> str:
    parts = [f"<p>{html.escape(CHECKER_TEXT)}</p>"]
    for key, caption in CHECKER_CAPTIONS.items():
        parts += [f"<p>{html.escape(caption)}</p>",
                  f"<pre>{html.escape(checker[key]['text'])}</pre>"]
    return "\n".join(parts)


def automates_table() -> str:
    rows = ["| step | scratch does it by hand | PyTorch does it for you | scikit-learn does it "
            "for you |", "|---|---|---|---|"]
    rows += [f"| {step} | {a} | {b} | {c} |" for step, a, b, c in STEPS]
    return "\n".join(rows)


def lecture_tables(lecture: dict) -> str:
    xor = lecture["xor_single_layer"]
    parts = ["| model | XOR points right (of 4) |", "|---|---|",
             f"| Rosenblatt's perceptron (best of 10 seeds) | {xor['perceptron']} |",
             f"| Widrow-Hoff Adaline (best of 10 seeds) | {xor['adaline']} |",
             f"| scikit-learn's Perceptron (best of 10 seeds) | {xor['sklearn_perceptron']} |",
             f"| MLP with one hidden layer (scratch) | {xor['mlp']} |", ""]
    w = lecture["worked_example"]
    parts += [f"Worked example z = W x, h = sigmoid(z), s = u^T h (s = {w['s']:.4f}); every "
              f"gradient equals torch autograd's to {w['max_difference_vs_torch']:.1e}.", "",
              "| node | local gradient | upstream | downstream |", "|---|---|---|---|"]
    parts += [f"| {n['node']} | {n['local']} | {n['upstream']} | {n['downstream']} |"
              for n in w["nodes"]]
    parts += ["", "| gate | expression | x, y | dz/dx, dz/dy (ours) | (torch) |",
              "|---|---|---|---|---|"]
    parts += [f"| {g['gate']} | {g['expression']} | {g['x']}, {g['y']} | {g['ours']} | "
              f"{g['torch']} |" for g in lecture["gates"]]
    d = lecture["dropout"]
    parts += ["", f"Dropout on {d['n_train']} training digits, layers {d['hidden']}, "
              f"{d['epochs']} epochs, no L2, {len(d['with']['test'])} seeds:", "",
              "| | mean train accuracy | mean test accuracy | gap |", "|---|---|---|---|"]
    for key, label in (("without", "no dropout"), ("with", f"dropout {d['rate']}")):
        parts.append(f"| {label} | {np.mean(d[key]['train']):.4f} | "
                     f"{np.mean(d[key]['test']):.4f} | {d[key]['gap']:.4f} |")
    v = lecture["vanishing_gradients"]
    parts += ["", "| hidden layers | " + " | ".join(str(d) for d in v["depths"]) + " |",
              "|---" * (len(v["depths"]) + 1) + "|"]
    for activation in ("logistic", "tanh", "relu"):
        parts.append(f"| first/last gradient norm, {activation} | " + " | ".join(
            f"{r:.1e}" for r in v[activation]["first_to_last_ratio"]) + " |")
    return "\n".join(parts)


def markdown(results: dict) -> str:
    out = ["# Three frameworks, one model: the evidence", "",
           f"Made by `{results['command']}` on {results['created']}; versions: "
           + ", ".join(f"{k} {v}" for k, v in results["versions"].items())
           + f"; machine: {results['machine']['processor']}, "
           f"{results['machine']['cpu_count']} CPUs.", ""]
    for name, result in results["datasets"].items():
        out += [f"## {name}", "", dataset_text(result), "",
                accuracy_table(name, result), "", agreement_table(result), "",
                per_layer_table(result), ""]
    if "textbook" in results:
        tb = results["textbook"]
        out += ["## The textbook's network on MNIST, three ways", "", textbook_text(tb), "",
                textbook_conversion_table(tb), "",
                textbook_table(tb, results["datasets"].get("mnist")), ""]
    out += ["## Check your own network", "", checker_markdown(results["checker"]), "",
            "## Conventions", "", conventions_table(results["conventions"]), "",
            "## What each framework automates", "", automates_table(), "",
            "## The lecture, runnable", "", lecture_tables(results["lecture"]), ""]
    if "benchmark" in results:
        out += ["## Speed", "", results["benchmark"]["table"], ""]
    return "\n".join(out)


def _md_table_to_html(text: str) -> str:
    lines = [line for line in text.strip().split("\n") if line.startswith("|")]
    head = [c.strip() for c in lines[0].strip("|").split("|")]
    body = [[c.strip() for c in line.strip("|").split("|")] for line in lines[2:]]
    cells = "".join(f"<th>{html.escape(c)}</th>" for c in head)
    rows = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>"
                   for row in body)
    return f"<table><thead><tr>{cells}</tr></thead><tbody>{rows}</tbody></table>"


def _blocks_to_html(text: str) -> str:
    """Markdown-ish blocks (tables and paragraphs) to HTML."""
    out = []
    for block in text.split("\n\n"):
        block = block.strip()
        if not block:
            continue
        out.append(_md_table_to_html(block) if block.startswith("|")
                   else f"<p>{html.escape(block)}</p>")
    return "\n".join(out)


def _img(data: str, alt: str) -> str:
    return f'<figure><img alt="{html.escape(alt)}" src="data:image/png;base64,{data}"></figure>'


STYLE = """
body { font-family: system-ui, sans-serif; max-width: 1200px; margin: 2em auto; padding: 0 1em;
       color: #222; }
table { border-collapse: collapse; margin: 0.8em 0; font-size: 0.85em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.5em; text-align: left; }
th { background: #f0f0f0; }
figure { margin: 1em 0; } img { max-width: 100%; }
pre { background: #f6f6f6; padding: 0.6em; overflow-x: auto; font-size: 0.8em; }
.verdict { font-size: 1.1em; padding: 0.6em 1em; background: #eef7ee;
           border-left: 4px solid #2ca02c; }
.warn { background: #fdf3e7; border-left-color: #ff7f0e; }
"""


def verdict(results: dict) -> tuple[bool, str]:
    """One sentence a reader sees first: do the three agree, and where do they differ?"""
    worst_grad = max(max(d["gradient_check"]["scratch_vs_torch"],
                         d["gradient_check"]["scratch_vs_sklearn"])
                     for d in results["datasets"].values())
    worst_fd = max(d["gradient_check"]["scratch_vs_finite_differences"]
                   for d in results["datasets"].values())
    worst_traj = max(max(d["trajectory"]["scratch_vs_sklearn"],
                         d["trajectory"]["torch_vs_sklearn"])
                     for d in results["datasets"].values())
    noisy = [f"{LABELS[m]} on {name}" for name, d in results["datasets"].items()
             for m, c in d["accuracy_vs_sklearn"].items() if not c["within_noise"]]
    agree = worst_grad <= 1e-10 and worst_fd <= 1e-6 and worst_traj <= 1e-9
    text = (f"The three agree: gradients within {worst_grad:.0e} of each other (relative, "
            f"float64), within {worst_fd:.0e} of finite differences, and weights after training "
            f"from the same start within {worst_traj:.0e} of scikit-learn's. "
            if agree else "Something disagrees: see the tables below. ")
    text += ("Accuracy differences from scikit-learn are within seed-to-seed noise for every "
             "model. " if not noisy else f"Accuracy differs beyond noise for: {', '.join(noisy)}. ")
    text += ("Where they differ is in the conventions: the torch twin under PyTorch's own "
             "defaults trains a different trajectory (see the convention figure).")
    return agree and not noisy, text


def write_html(results: dict, figs: dict[str, str], path: str) -> None:
    ok, text = verdict(results)
    parts = [f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
             f"<title>Three frameworks, one model</title><style>{STYLE}</style></head><body>",
             "<h1>Three frameworks, one model: the evidence</h1>",
             f"<p class='verdict{'' if ok else ' warn'}'>{html.escape(text)}</p>",
             f"<p>Made by <code>{html.escape(results['command'])}</code> on "
             f"{html.escape(results['created'])}. "
             + html.escape(", ".join(f"{k} {v}" for k, v in results["versions"].items()))
             + f"; {html.escape(results['machine']['processor'])}, "
             f"{results['machine']['cpu_count']} CPUs.</p>",
             "<h2>Accuracy</h2>", _img(figs["accuracy"], "test accuracy per seed")]
    for name, result in results["datasets"].items():
        parts += [f"<h3>{html.escape(name)}</h3>", f"<p>{html.escape(dataset_text(result))}</p>",
                  _md_table_to_html(accuracy_table(name, result)),
                  _md_table_to_html(agreement_table(result)),
                  _md_table_to_html(per_layer_table(result))]
    if "textbook" in results:
        tb = results["textbook"]
        parts += ["<h2>The textbook's network on MNIST, three ways</h2>",
                  f"<p>{html.escape(textbook_text(tb))}</p>",
                  _md_table_to_html(textbook_conversion_table(tb)),
                  _md_table_to_html(textbook_table(tb, results["datasets"].get("mnist")))]
    parts += ["<h2>Gradient agreement per layer</h2>",
              _img(figs["gradients"], "relative gradient differences per layer"),
              "<h2>Trajectories, with and without each conversion</h2>",
              _img(figs["trajectories"], "distance from scikit-learn per epoch"),
              _md_table_to_html(conventions_table(results["conventions"])),
              "<h2>Loss curves</h2>", _img(figs["loss_curves"], "loss curves overlaid"),
              "<h2>Fit time</h2>", _img(figs["fit_times"], "fit time per model")]
    if "xor" in figs:
        parts += ["<h2>XOR decision boundaries</h2>",
                  "<p>One layer draws one line and gets at most three of the four points; a "
                  "hidden layer bends the boundary.</p>", _img(figs["xor"], "XOR boundaries")]
    for key in [k for k in figs if k.startswith("confusion_")]:
        name = key.removeprefix("confusion_")
        parts += [f"<h2>{html.escape(name)}: confusion matrix and misclassified test images"
                  "</h2>", _img(figs[key], f"{name} confusion matrix"),
                  _img(figs[f"misclassified_{name}"], f"{name} misclassified")]
    parts += ["<h2>Check your own network</h2>", checker_html(results["checker"]),
              "<h2>What each framework automates</h2>", _md_table_to_html(automates_table()),
              "<h2>The lecture, runnable</h2>", _blocks_to_html(lecture_tables(results["lecture"])),
              _img(figs["vanishing"], "vanishing gradients"), _img(figs["dropout"], "dropout")]
    if "benchmark" in figs:
        parts += ["<h2>Speed</h2>", _img(figs["benchmark"], "benchmark"),
                  _md_table_to_html(results["benchmark"]["table"])]
    parts.append("</body></html>")
    with open(path, "w") as f:
        f.write("\n".join(parts))


def write(results: dict, figs: dict[str, str], out_dir: str) -> None:
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "results.json"), "w") as f:
        json.dump(results, f, indent=1)
    with open(os.path.join(out_dir, "report.md"), "w") as f:
        f.write(markdown(results))
    write_html(results, figs, os.path.join(out_dir, "report.html"))
