"""The report's figures, each returned as a base64-encoded PNG (embedded in report.html)."""

import base64
import io
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from comparisons.experiments import LABELS, MODELS  # noqa: E402

COLORS = {"scratch": "#1f77b4", "torch": "#d62728", "torch_native": "#ff7f0e",
          "sklearn": "#2ca02c"}
FLOOR = 1e-17  # bit-identical results are drawn here on log scales
SHORT = {"scratch": "scratch", "torch": "torch twin\nsklearn conv.",
         "torch_native": "torch twin\ntorch conv.", "sklearn": "scikit-learn"}


def png(fig: Figure) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    plt.close(fig)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def accuracy(datasets: dict) -> str:
    """Test accuracy per seed (dots) and mean (bar) per model, one panel per data set."""
    fig, axes = plt.subplots(1, len(datasets), figsize=(5 * len(datasets), 3.4), squeeze=False)
    for ax, (name, result) in zip(axes[0], datasets.items()):
        for i, model in enumerate(MODELS):
            acc = result["models"][model]["test_accuracy"]
            ax.bar(i, np.mean(acc), color=COLORS[model], alpha=0.35)
            ax.plot([i] * len(acc), acc, "o", color=COLORS[model])
        low = min(min(r["test_accuracy"]) for r in result["models"].values())
        ax.set_ylim(max(0, low - 0.02), 1.005)
        ax.set_xticks(range(len(MODELS)), [SHORT[m] for m in MODELS],
                      fontsize=7)
        ax.set_title(f"{name}: test accuracy per seed")
    return png(fig)


def fit_times(datasets: dict) -> str:
    fig, axes = plt.subplots(1, len(datasets), figsize=(5 * len(datasets), 3), squeeze=False)
    for ax, (name, result) in zip(axes[0], datasets.items()):
        for i, model in enumerate(MODELS):
            ax.bar(i, np.median(result["models"][model]["fit_seconds"]), color=COLORS[model])
        ax.set_xticks(range(len(MODELS)), [SHORT[m] for m in MODELS],
                      fontsize=7)
        ax.set_ylabel("median fit seconds")
        ax.set_title(f"{name}: fit time")
    return png(fig)


def gradient_agreement(datasets: dict) -> str:
    """Per layer and parameter kind, the relative gradient difference on a log scale."""
    keys = ["scratch_vs_torch", "scratch_vs_sklearn", "scratch_vs_finite_differences"]
    fig, axes = plt.subplots(1, len(datasets), figsize=(5 * len(datasets), 3.4), squeeze=False)
    for ax, (name, result) in zip(axes[0], datasets.items()):
        layers = result["gradient_check"]["per_layer"]
        labels = [f"W{row['layer']}" for row in layers] + [f"b{row['layer']}" for row in layers]
        x = np.arange(len(labels))
        for k, key in enumerate(keys):
            values = [row[key][0] for row in layers] + [row[key][1] for row in layers]
            ax.bar(x + (k - 1) * 0.27, np.maximum(values, FLOOR), width=0.27,
                   label=key.replace("scratch_vs_", "vs ").replace("_", " "))
        ax.set_yscale("log")
        ax.set_ylim(FLOOR / 2, 1e-4)
        ax.axhline(1e-10, color="gray", lw=0.8, ls="--", label="1e-10")
        ax.set_xticks(x, labels)
        ax.set_title(f"{name}: scratch's gradient, relative difference")
        ax.legend(fontsize=7)
    return png(fig)


def trajectories(conventions: dict) -> str:
    """Per epoch, the distance from scikit-learn's weights: scratch, the converted twin, and
    the twin with one conversion left out (one line per convention)."""
    fig, ax = plt.subplots(figsize=(9, 5))
    epochs = np.arange(1, conventions["epochs"] + 1)
    cmap = plt.get_cmap("tab20")
    for i, row in enumerate(conventions["rows"]):
        ax.plot(epochs, np.maximum(row["without_conversion"], FLOOR), color=cmap(i % 20),
                label=f"without: {row['name']}")
    first = conventions["rows"][0]
    ax.plot(epochs, np.maximum(first["with_conversion"], FLOOR), "k-", lw=2.5,
            label="torch twin, every conversion")
    if conventions.get("scratch_vs_sklearn"):
        ax.plot(epochs, np.maximum(conventions["scratch_vs_sklearn"], FLOOR), "b--", lw=2,
                label=f"scratch (0 = bit-identical, drawn at {FLOOR:g})")
    ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("max |weight - scikit-learn's weight|")
    ax.set_title("Distance from scikit-learn's trajectory, with and without each conversion")
    ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1, 0.5))
    return png(fig)


def loss_curves(datasets: dict) -> str:
    fig, axes = plt.subplots(1, len(datasets), figsize=(5 * len(datasets), 3.4), squeeze=False)
    for ax, (name, result) in zip(axes[0], datasets.items()):
        for model in MODELS:
            curve = result["models"][model]["loss_curve"]
            style = "--" if model == "sklearn" else "-"
            ax.plot(range(1, len(curve) + 1), curve, style, color=COLORS[model],
                    label=LABELS[model], lw=2.5 if model == "scratch" else 1.2)
        ax.set_yscale("log")
        ax.set_xlabel("epoch")
        ax.set_title(f"{name}: training loss, seed 0")
        ax.legend(fontsize=7)
    return png(fig)


def _boundary(ax: Axes, model: Any, title: str) -> None:
    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = np.array([0, 1, 1, 0])
    grid = np.linspace(-0.5, 1.5, 151)
    xx, yy = np.meshgrid(grid, grid)
    points = np.c_[xx.ravel(), yy.ravel()]
    if hasattr(model, "predict_proba"):
        zz = model.predict_proba(points)[:, 1]
        levels = [0.5]
    else:
        zz = model.decision_function(points)
        levels = [0.0]
    zz = zz.reshape(xx.shape)
    ax.contourf(xx, yy, zz > levels[0], levels=[-0.5, 0.5, 1.5], colors=["#cfe2f3", "#f4cccc"])
    ax.contour(xx, yy, zz, levels=levels, colors="k", linewidths=1)
    ax.scatter(X[:, 0], X[:, 1], c=["#1f77b4" if t == 0 else "#d62728" for t in y], s=80,
               edgecolors="k")
    correct = int((model.predict(X) == y).sum())
    ax.set_title(f"{title}\n{correct} of 4 right", fontsize=9)
    ax.set_xticks([0, 1])
    ax.set_yticks([0, 1])


def xor_boundaries(models: dict, lecture_models: dict) -> str:
    """XOR decision regions: the single-layer ancestors, then each framework's MLP."""
    panels = list(lecture_models.items()) + [(LABELS[m], models[m]["model"]) for m in MODELS]
    fig, axes = plt.subplots(1, len(panels), figsize=(2.6 * len(panels), 2.9))
    for ax, (title, model) in zip(axes, panels):
        _boundary(ax, model, title)
    return png(fig)


def confusion(matrix: list | np.ndarray, title: str) -> str:
    matrix = np.asarray(matrix)
    fig, ax = plt.subplots(figsize=(4.2, 3.8))
    ax.imshow(matrix, cmap="Blues")
    for (i, j), v in np.ndenumerate(matrix):
        ax.text(j, i, str(v), ha="center", va="center", fontsize=7,
                color="white" if v > matrix.max() / 2 else "black")
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_xticks(range(len(matrix)))
    ax.set_yticks(range(len(matrix)))
    ax.set_title(title, fontsize=9)
    return png(fig)


def misclassified(images: np.ndarray, y_true: np.ndarray, y_pred: np.ndarray, title: str,
                  limit: int = 24) -> str:
    wrong = np.flatnonzero(y_true != y_pred)[:limit]
    columns = 8
    rows = max(1, int(np.ceil(len(wrong) / columns)))
    fig, axes = plt.subplots(rows, columns, figsize=(1.2 * columns, 1.45 * rows),
                             squeeze=False)
    for ax in axes.ravel():
        ax.axis("off")
    for ax, i in zip(axes.ravel(), wrong):
        ax.imshow(images[i], cmap="gray_r")
        ax.set_title(f"{y_true[i]} as {y_pred[i]}", fontsize=8)
    fig.suptitle(title, fontsize=10)
    return png(fig)


def vanishing(result: dict) -> str:
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.5))
    depths = result["depths"]
    for activation in ("logistic", "tanh", "relu"):
        axes[0].plot(depths, result[activation]["first_to_last_ratio"], "o-", label=activation)
    axes[0].set_yscale("log")
    axes[0].set_xlabel("hidden layers")
    axes[0].set_ylabel("||grad W_first|| / ||grad W_last||")
    axes[0].set_title("How much gradient reaches the first layer")
    axes[0].legend()
    deepest = -1
    for activation in ("logistic", "tanh", "relu"):
        norms = result[activation]["layer_norms"][deepest]
        axes[1].plot(range(1, len(norms) + 1), norms, "o-", label=activation)
    axes[1].set_yscale("log")
    axes[1].set_xlabel(f"layer (network with {depths[deepest]} hidden layers)")
    axes[1].set_ylabel("||grad W||")
    axes[1].set_title("Gradient norm per layer at initialisation")
    axes[1].legend()
    return png(fig)


def dropout(result: dict) -> str:
    fig, ax = plt.subplots(figsize=(5, 3.2))
    for k, key in enumerate(("without", "with")):
        train, test = result[key]["train"], result[key]["test"]
        ax.bar([k * 3, k * 3 + 1], [np.mean(train), np.mean(test)],
               color=["#9fc5e8", "#e06666"])
        ax.plot([k * 3] * len(train), train, "ko", ms=3)
        ax.plot([k * 3 + 1] * len(test), test, "ko", ms=3)
    ax.set_xticks([0, 1, 3, 4], ["train\nno dropout", "test\nno dropout",
                                 f"train\ndropout {result['rate']}",
                                 f"test\ndropout {result['rate']}"], fontsize=8)
    low = min(min(result[k]["test"]) for k in ("without", "with"))
    ax.set_ylim(low - 0.03, 1.005)
    ax.set_title("Over-fitting digits: train and test accuracy per seed", fontsize=9)
    return png(fig)


def benchmark(bench: dict) -> str:
    """Seconds per epoch per framework and configuration, and the share of the GEMM peak."""
    rows = bench["configurations"]
    frameworks = list(rows[0]["frameworks"])
    labels = [f"{'-'.join(map(str, [784, *r['hidden'], 10]))}\n{r['solver']} b{r['batch_size']}"
              f"\n{r['dtype']}" for r in rows]
    fig, axes = plt.subplots(2, 1, figsize=(max(8, 0.9 * len(rows)), 7), sharex=True)
    x = np.arange(len(rows))
    width = 0.8 / len(frameworks)
    for k, f in enumerate(frameworks):
        seconds = [r["frameworks"][f]["median"] for r in rows]
        share = [100 * r["frameworks"][f]["share_of_peak"] for r in rows]
        offset = (k - (len(frameworks) - 1) / 2) * width
        axes[0].bar(x + offset, seconds, width, color=COLORS[f], label=SHORT[f].replace("\n", " "))
        axes[1].bar(x + offset, share, width, color=COLORS[f])
    axes[0].set_ylabel("median seconds per epoch")
    axes[0].set_yscale("log")
    axes[0].legend(fontsize=8)
    axes[1].set_ylabel("% of measured GEMM peak")
    axes[1].set_xticks(x, labels, fontsize=7)
    axes[0].set_title(f"{bench['n_samples']} samples x 784 features, 10 classes")
    return png(fig)
