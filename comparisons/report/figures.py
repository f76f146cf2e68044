"""The report's figures of evidence, each a matplotlib Figure with labelled axes and a legend;
``CAPTIONS`` says what to look at in each (the lecture's figures: ``lecture_figures.py``)."""

from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from comparisons.report.experiments import LABELS, MODELS
from comparisons.report.plotting import (
    COLORS,
    FLOOR,
    SHORT,
    legend,
    panels,
    plt,
    redrawable,
    ylabel_per_row,
)

CAPTIONS = {
    "accuracy": "Test accuracy of each framework's model, one dot per seed, the bar at their "
                "mean. The axes are zoomed (each says where it starts), so small differences "
                "look large: compare them with the grey band, scikit-learn's mean plus or "
                "minus two standard errors over the seeds; differences inside it are noise. "
                "XOR's four points are both training and test set. Torch twin (sklearn) and "
                "(torch): the torch twin in scikit-learn's and in PyTorch's conventions.",
    "fit_times": "Median wall-clock seconds of one fit per framework (one thread each). Look "
                 "at the ratios within a data set; the absolute numbers are this machine's. "
                 "Torch twin (sklearn) and (torch): the torch twin in scikit-learn's and in "
                 "PyTorch's conventions.",
    "gradients": "How far scratch's gradient is from each reference, per array, relative to "
                 "its size, on a log scale. Against torch and scikit-learn (exact references) "
                 "the bars sit near 1e-16, float64 round-off: the gradients are the same "
                 f"(a difference of exactly 0 is drawn at {FLOOR:g}, the log scale's floor). "
                 "Finite differences are themselves only good to about 1e-9 (their step's "
                 "truncation and round-off), so their bars are expected anywhere below the "
                 "dashed line at 1e-9; a wrong gradient would be far above it.",
    "trajectories": "Distance of each model's weights from scikit-learn's, epoch by epoch, "
                    "from the same start and the same batches, on a log scale; one panel per "
                    "kind of convention. Look at the black line (the torch twin with every "
                    "conversion) and the blue one (scratch) staying at round-off, and at how "
                    "fast each convention, left out alone, pulls the twin away.",
    "loss_curves": "Training loss per epoch of the seed-0 fit of each framework, on a log "
                   "scale. Curves on top of each other are the same training; the torch "
                   "twin in torch's conventions (orange) trains a different model.",
    "xor": "Decision regions on XOR (blue: predicted 0, red: predicted 1) with the four "
           "points coloured by their true class. A single layer draws one straight line and "
           "gets at most three points right (shown: the best of 10 seeds, the run the table "
           "counts); a hidden layer bends the boundary and gets all four.",
    "confusion": "Test confusion matrix of scratch's seed-0 fit: rows are the true digit, "
                 "columns the predicted one; the diagonal holds the correct predictions.",
    "misclassified": "Test images scratch's seed-0 fit gets wrong, titled 'true as "
                     "predicted'. Many are ambiguous even to a human reader.",
    "textbook": "Training loss per epoch of the textbook's network (mean over the batch, as "
                "the twins report it), trained from the book's initial weights by each "
                "framework, seed 0. The three curves lie on top of each other: one model.",
    "benchmark": "Top: seconds per epoch of scratch and of each contender, per configuration "
                 "(log scale; lower is faster). Bottom: scratch's time over each contender's, "
                 "the dot the median of the adjacent pairs and the whiskers their spread; "
                 "below the line at 1 scratch is faster, and a whisker across it means the "
                 "two cannot be told apart on this machine.",
}
NARROW_CAPTIONS: dict[str, str] = {}  # a tablet's and a phone's captions, where they differ


@redrawable
def accuracy(datasets: dict) -> Figure:
    fig, axes = panels(len(datasets), (5, 3.6))
    for ax, (name, result) in zip(axes, datasets.items()):
        base = np.array(result["models"]["sklearn"]["test_accuracy"], dtype=float)
        if len(base) > 1:  # the seed-to-seed noise: scikit-learn's mean +- 2 standard errors
            half = 2 * base.std(ddof=1) / np.sqrt(len(base))
            ax.axhspan(base.mean() - half, base.mean() + half, color="0.85", zorder=0,
                       label="scikit-learn's mean\n+- 2 standard errors")
        for i, model in enumerate(MODELS):
            acc = result["models"][model]["test_accuracy"]
            ax.bar(i, np.mean(acc), color=COLORS[model], alpha=0.35,
                   label="mean over seeds" if i == 0 else None)
            ax.plot([i] * len(acc), acc, "o", color=COLORS[model], clip_on=False, zorder=3,
                    label="one seed" if i == 0 else None)  # a dot at 1: whole, over the spine
        low = min(min(r["test_accuracy"]) for r in result["models"].values())
        bottom = max(0.0, np.floor((low - 0.02) * 100) / 100)
        ax.set_ylim(bottom, 1)
        ax.set_xticks(range(len(MODELS)), [SHORT[m] for m in MODELS], fontsize=8)
        what = "accuracy on the four points" if name == "xor" else "test accuracy"
        ax.set_ylabel(what if bottom == 0 else f"{what}\n(zoomed: from {bottom:.2f})")
        ax.set_title(f"{name}: accuracy per seed")
    legend(axes[0], figure_wide=True)
    return fig


@redrawable
def fit_times(datasets: dict) -> Figure:
    fig, axes = panels(len(datasets), (5, 3.2))
    for ax, (name, result) in zip(axes, datasets.items()):
        for i, model in enumerate(MODELS):
            ax.bar(i, np.median(result["models"][model]["fit_seconds"]), color=COLORS[model])
        ax.set_xticks(range(len(MODELS)), [SHORT[m] for m in MODELS], fontsize=8)
        ax.set_ylabel("median seconds per fit")
        ax.set_title(f"{name}: fit time")
    return fig


@redrawable
def gradient_agreement(datasets: dict) -> Figure:
    """Per layer and parameter kind, the relative gradient difference on a log scale."""
    keys = ["scratch_vs_torch", "scratch_vs_sklearn", "scratch_vs_finite_differences"]
    names = ["vs torch autograd", "vs scikit-learn's backprop", "vs finite differences"]
    fig, axes = panels(len(datasets), (5, 3.6))
    for ax, (name, result) in zip(axes, datasets.items()):
        layers = result["gradient_check"]["per_layer"]
        labels = [f"W{row['layer']}" for row in layers] + [f"b{row['layer']}" for row in layers]
        x = np.arange(len(labels))
        for k, (key, label) in enumerate(zip(keys, names)):
            values = [row[key][0] for row in layers] + [row[key][1] for row in layers]
            ax.bar(x + (k - 1) * 0.27, np.maximum(values, FLOOR), width=0.27, label=label)
        ax.set_yscale("log")
        ax.set_ylim(FLOOR / 2, 1e-4)
        ax.axhline(1e-9, color="gray", lw=0.8, ls="--",
                   label="1e-9: finite differences'\nown accuracy")
        ax.set_xticks(x, labels)
        ax.set_xlabel("parameter array")
        ax.set_ylabel("relative difference")
        ax.set_title(f"{name}: scratch's gradient against the references", fontsize=9)
    legend(axes[0], figure_wide=True)
    return fig


GROUPS = {  # the trajectory figure's panels: which conventions go together
    "the model and the data": ("initial weights", "epoch order", "binary output",
                               "loss reduction (3 labels)"),
    "the L2 penalty": ("L2 on the short last batch", "L2 on the intercepts",
                       "L2 as weight_decay", "AdamW"),
    "the optimizer": ("Adam's epsilon", "Adam's epsilon, eps = 1e-3",
                      "momentum when lr changes (invscaling)",
                      "momentum when lr changes (adaptive)"),
}


@redrawable
def trajectories(conventions: dict) -> Figure:
    """Per epoch, the distance from scikit-learn's weights: scratch, the converted twin, and
    the twin with one conversion left out, one panel per group of conventions."""
    fig, axes = panels(len(GROUPS), (5, 4.4), sharey=True)
    epochs = np.arange(1, conventions["epochs"] + 1)
    rows = {row["name"]: row for row in conventions["rows"]}
    for ax, (title, names) in zip(axes, GROUPS.items()):
        for name in names:
            if name in rows:
                ax.plot(epochs, np.maximum(rows[name]["without_conversion"], FLOOR), "o-",
                        ms=3, label=f"without: {name}")
        ax.plot(epochs, np.maximum(conventions["rows"][0]["with_conversion"], FLOOR), "k-",
                lw=2.5, label="torch twin, every conversion")
        if conventions.get("scratch_vs_sklearn"):
            ax.plot(epochs, np.maximum(conventions["scratch_vs_sklearn"], FLOOR), "b--", lw=2,
                    label=f"scratch (exactly 0: drawn at {FLOOR:g})")
        ax.set_yscale("log")
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # epochs are whole
        ax.set_title(title)
    ylabel_per_row(axes, "max |weight - scikit-learn's weight|")
    legend(*axes)
    return fig


@redrawable
def loss_curves(datasets: dict) -> Figure:
    fig, axes = panels(len(datasets), (5, 3.6))
    for ax, (name, result) in zip(axes, datasets.items()):
        for model in MODELS:
            curve = result["models"][model]["loss_curve"]
            style = "--" if model == "sklearn" else "-"
            ax.plot(range(1, len(curve) + 1), curve, style, color=COLORS[model],
                    label=LABELS[model], lw=2.5 if model == "scratch" else 1.2)
        ax.set_yscale("log")
        ax.set_xlabel("epoch")
        ax.set_ylabel("training loss (log scale)")
        ax.set_title(f"{name}: training loss, seed 0")
    legend(axes[0], figure_wide=True)
    return fig


def decision_regions(ax: Axes, model: Any, title: str) -> None:
    """XOR's plane coloured by the model's prediction, its boundary, the four points."""
    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = np.array([0, 1, 1, 0])
    grid = np.linspace(-0.5, 1.5, 151)
    xx, yy = np.meshgrid(grid, grid)
    points = np.c_[xx.ravel(), yy.ravel()]
    if hasattr(model, "predict_proba"):
        zz, level = model.predict_proba(points)[:, 1], 0.5
    else:
        zz, level = model.decision_function(points), 0.0
    zz = zz.reshape(xx.shape)
    ax.contourf(xx, yy, zz > level, levels=[-0.5, 0.5, 1.5], colors=["#cfe2f3", "#f4cccc"])
    ax.contour(xx, yy, zz, levels=[level], colors="k", linewidths=1)
    for target, color in ((0, "#1f77b4"), (1, "#d62728")):
        ax.scatter(X[y == target, 0], X[y == target, 1], c=color, s=80, edgecolors="k",
                   label=f"true class {target}")
    correct = int((model.predict(X) == y).sum())
    ax.set_title(f"{title}\n{correct} of 4 right", fontsize=8, wrap=True)
    ax.set_xticks([0, 1])
    ax.set_yticks([0, 1])
    ax.set_xlabel("x1")
    ax.set_ylabel("x2")


@redrawable
def xor_boundaries(models: dict, lecture_models: dict) -> Figure:
    """XOR decision regions: the single-layer ancestors, then each framework's MLP."""
    shown = list(lecture_models.items()) + [(LABELS[m], models[m]["model"]) for m in MODELS]
    fig, axes = panels(len(shown), (2.7, 3.2), columns=4, tablet_columns=3, phone_columns=2)
    for ax, (title, model) in zip(axes, shown):
        decision_regions(ax, model, title)
    legend(axes[0], figure_wide=True)
    return fig


@redrawable
def confusion(matrix: list | np.ndarray, title: str) -> Figure:
    matrix = np.asarray(matrix)
    fig, (ax,) = panels(1, (4.4, 4.0))
    image = ax.imshow(matrix, cmap="Blues")
    for (i, j), v in np.ndenumerate(matrix):
        ax.text(j, i, str(v), ha="center", va="center", fontsize=8,
                color="white" if v > matrix.max() / 2 else "black")
    ax.set_xlabel("predicted digit")
    ax.set_ylabel("true digit")
    ax.set_xticks(range(len(matrix)))
    ax.set_yticks(range(len(matrix)))
    ax.set_title(title, fontsize=9)
    fig.colorbar(image, ax=ax, label="test images", shrink=0.8)
    return fig


@redrawable
def misclassified(images: np.ndarray, y_true: np.ndarray, y_pred: np.ndarray, title: str,
                  limit: int = 24) -> Figure:
    wrong = np.flatnonzero(y_true != y_pred)[:limit]
    fig, axes = panels(max(1, len(wrong)), (1.2, 1.45), columns=8, tablet_columns=6,
                       phone_columns=4)
    for ax in axes:
        ax.axis("off")
    for ax, i in zip(axes, wrong):
        ax.imshow(images[i], cmap="gray_r")
        ax.set_title(f"{y_true[i]} as {y_pred[i]}", fontsize=8)
    fig.suptitle(title, fontsize=10)
    return fig


@redrawable
def textbook(result: dict) -> Figure:
    fig, (ax,) = panels(1, (6, 3.6))
    for name, run in result["models"].items():
        curve = run["loss_curve"]
        ax.plot(range(1, len(curve) + 1), curve, "--" if name == "sklearn" else "-",
                color=COLORS[name], lw=2.5 if name == "scratch" else 1.2,
                label={"scratch": "scratch", "torch": "torch twin",
                       "sklearn": "scikit-learn"}[name])
    ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("training loss (log scale)")
    ax.set_title("The textbook's network on MNIST, three frameworks, seed 0", fontsize=9,
                 wrap=True)
    legend(ax)
    return fig


@redrawable
def benchmark(bench: dict) -> Figure:
    """Per main configuration: seconds per epoch of scratch and each contender, and
    scratch's time over each contender's with the spread of the pairs."""
    rows = bench["rows"]
    names = list(dict.fromkeys(n for r in rows for n in r["contenders"]))
    labels = [f"{r['config']['name']}\n{r['config']['solver']} b{r['config']['batch']}\n"
              f"{r['config']['dtype']}" for r in rows]
    fig, axes = panels(2, (max(9.0, 1.3 * len(rows)), 4), columns=1, sharex=True)
    x = np.arange(len(rows))
    width = 0.8 / (len(names) + 1)
    cmap = plt.get_cmap("tab10")
    axes[0].bar(x - 0.4 + width / 2, [r["scratch_median"] or np.nan for r in rows], width,
                color=COLORS["scratch"], label="scratch")
    for k, name in enumerate(names, start=1):
        seconds, ratio, low, high = [], [], [], []
        for r in rows:
            e = r["contenders"].get(name, {})
            ok = "median" in e
            seconds.append(e["median"] if ok else np.nan)
            ratio.append(e["ratio"] if ok else np.nan)
            low.append(e["ratio"] - e["ratio_low"] if ok else 0)
            high.append(e["ratio_high"] - e["ratio"] if ok else 0)
        offset = -0.4 + width / 2 + k * width
        axes[0].bar(x + offset, seconds, width, color=cmap(k % 10), label=name)
        axes[1].errorbar(x + offset, ratio, yerr=[low, high], fmt="o", color=cmap(k % 10),
                         capsize=2, label=name)
    axes[0].set_yscale("log")
    axes[0].set_ylabel("median seconds per epoch (log)")
    axes[1].axhline(1, color="gray", lw=0.8)
    axes[1].set_yscale("log")
    axes[1].set_ylabel("scratch's time / contender's")
    axes[1].set_xticks(x, labels, fontsize=8)
    axes[0].set_title("60,000 samples x 784 features, 10 classes; below 1: scratch is faster")
    legend(axes[0], figure_wide=True)
    return fig
