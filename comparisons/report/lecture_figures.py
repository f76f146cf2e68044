"""The lecture's figures, for the report's lecture section and the notebooks; ``CAPTIONS``
says what to look at in each."""

import numpy as np
from matplotlib.figure import Figure

from comparisons.report.lecture import TRUTH, X_GATE
from comparisons.report.plotting import (
    COLORS,
    is_phone,
    legend,
    panels,
    redrawable,
    ylabel_per_row,
)

CAPTIONS = {
    "ancestors_errors": "Training points misclassified after each epoch, for Rosenblatt's "
                        "perceptron and Widrow-Hoff's Adaline. On AND and OR both reach 0 "
                        "within a few epochs; on XOR neither ever does, however long it "
                        "trains.",
    "ancestors_lines": "The line each single-layer model learned (solid: perceptron, dashed: "
                       "Adaline) over the four points (red: class 1, blue: class 0). AND "
                       "and OR are cut cleanly; no line puts XOR's two red points on one "
                       "side and its two blue points on the other.",
    "worked_example": "The worked example as a computational graph. Each node shows its "
                      "forward value (green, above) and ds/d(node), the gradient flowing back "
                      "into it (red, below); the edges into z carry the weights W_ij. Follow "
                      "the red numbers from s back to x: each is the local gradient times "
                      "the red number of the node it feeds, one step nearer s.",
    "reverse_forward": "The same gradient ds/dx of a 4-layer sigmoid chain, by reverse mode "
                       "(a vector times one matrix after another) and by forward mode (whole "
                       "Jacobians pushed forward), as the layers widen. Left: multiply-adds; "
                       "right: time on this machine, one BLAS thread, the median of repeated "
                       "runs with a bar over the middle half of them (other work on the "
                       "machine moves the times; the bars say by how much). Reverse mode's "
                       "cost grows as n^2, forward mode's as n^3.",
    "vanishing": "Left: the gradient norm reaching the first weight matrix, relative to the "
                 "last one's, at initialisation, as the network deepens; logistic falls by "
                 "orders of magnitude, ReLU stays near 1. Right: each layer's gradient norm in "
                 "the deepest network.",
    "vanishing_training": "Six hidden layers of 32 units trained the same way (SGD with "
                          "momentum, the same learning rate) with logistic and with ReLU "
                          "units, several seeds (thin lines; thick: their mean). Left: the "
                          "loss: the logistic network stays at chance (ln 10 = 2.30). Middle: "
                          "the first and last layer's gradient norm over the epochs. Right: "
                          "how far each layer's weights moved during training, relative to "
                          "where they started: the logistic network's first layers barely "
                          "move.",
    "dropout": "Over-fitting on purpose (200 training digits, two layers of 256 units, no "
               "L2). Left: test loss (solid) and training loss (dashed) over the epochs, "
               "mean over the seeds, the band plus or minus one standard error. Right: per "
               "seed, test accuracy with dropout minus without; the bar is their mean and "
               "the whisker reaches two standard errors either side of it. Read the effect "
               "from the right panel, with its uncertainty.",
}
NARROW_CAPTIONS = {  # a tablet's and a phone's panels are not side by side: named by titles
    "reverse_forward": "The same gradient ds/dx of a 4-layer sigmoid chain, by reverse mode "
                       "(a vector times one matrix after another) and by forward mode (whole "
                       "Jacobians pushed forward), as the layers widen. \"Work\": "
                       "multiply-adds. \"Time on this machine\": one BLAS thread, the "
                       "median of repeated runs with a bar over the middle half of them (other "
                       "work on the machine moves the times; the bars say by how much). "
                       "Reverse mode's cost grows as n^2, forward mode's as n^3.",
    "vanishing": "\"How much gradient reaches the first layer\": the gradient norm reaching "
                 "the first weight matrix, relative to the last one's, at initialisation, as "
                 "the network deepens; logistic falls by orders of magnitude, ReLU stays near "
                 "1. \"Gradient norm per layer at initialisation\": each layer's gradient "
                 "norm in the deepest network.",
    "vanishing_training": "Six hidden layers of 32 units trained the same way (SGD with "
                          "momentum, the same learning rate) with logistic and with ReLU "
                          "units, several seeds (thin lines; thick: their mean). \"Loss\": "
                          "the logistic network stays at chance (ln 10 = 2.30). \"First and "
                          "last layer's gradient\": their norms over the epochs. \"How far "
                          "each layer moved\": during training, relative to where it "
                          "started: the logistic network's first layers barely move.",
    "dropout": "Over-fitting on purpose (200 training digits, two layers of 256 units, no "
               "L2). \"Loss on the training and the test part\": test loss (solid) and "
               "training loss (dashed) over the epochs, mean over the seeds, the band plus "
               "or minus one standard error. \"Paired over ... seeds\": per seed, test "
               "accuracy with dropout minus without; the bar is their mean and the whisker "
               "reaches two standard errors either side of it. Read the effect from that "
               "panel, with its uncertainty.",
}


@redrawable
def ancestors_errors(errors: dict) -> Figure:
    fig, axes = panels(2, (4.5, 3.2), sharey=True)
    for ax, key, title in ((axes[0], "perceptron", "Rosenblatt's perceptron"),
                           (axes[1], "adaline", "Widrow-Hoff Adaline")):
        for gate, style, width, alpha in (("AND", "o-", 4.0, 0.45), ("OR", "s--", 1.2, 1.0),
                                          ("XOR", "^-", 1.2, 1.0)):
            curve = errors[gate][key]
            ax.plot(range(1, len(curve) + 1), curve, style, ms=3, lw=width, alpha=alpha,
                    label=gate)
        if list(errors["AND"][key]) == list(errors["OR"][key]):
            ax.text(0.97, 0.55, "AND and OR coincide\n(the wide line under the dashed one)",
                    transform=ax.transAxes, ha="right", fontsize=8)
        ax.set_xlabel("epoch")
        ax.set_title(title)
        ax.set_yticks(range(5))
    ylabel_per_row(axes, "points misclassified (of 4)")
    legend(axes[0], figure_wide=True)
    return fig


@redrawable
def ancestors_lines(models: dict) -> Figure:
    fig, axes = panels(3, (3.33, 3.3), tablet_columns=3)
    xs = np.linspace(-0.5, 1.5, 50)
    for ax, gate in zip(axes, TRUTH):
        y = TRUTH[gate]
        for target, color in ((0, "#1f77b4"), (1, "#d62728")):
            ax.scatter(X_GATE[y == target, 0], X_GATE[y == target, 1], s=90, c=color,
                       edgecolors="k", label=f"class {target}")
        for key, style in (("perceptron", "-"), ("adaline", "--")):
            model = models[gate, key]
            w, b = model.w_, model.b_
            if abs(w[1]) > 1e-12:
                ax.plot(xs, -(w[0] * xs + b) / w[1], "k" + style, label=key)
            else:
                ax.axvline(-b / w[0] if abs(w[0]) > 1e-12 else 2, color="k", ls=style,
                           label=key)
        ax.set_xlim(-0.5, 1.5)
        ax.set_ylim(-0.5, 1.5)
        ax.set_xlabel("x1")
        ax.set_ylabel("x2")
        ax.set_title(gate)
    legend(axes[0], figure_wide=True)
    return fig


def _box(ax, x, y, name, value, grad):
    ax.text(x, y, name, ha="center", va="center", fontsize=10,
            bbox=dict(boxstyle="round,pad=0.4", fc="white", ec="k"))
    ax.text(x, y + 0.32, value, ha="center", va="bottom", fontsize=8, color="#2ca02c")
    ax.text(x, y - 0.32, grad, ha="center", va="top", fontsize=8, color="#d62728")


def _number(value: float) -> str:
    return str(int(value)) if float(value) == int(value) else f"{value:.4f}"


@redrawable
def worked_example(result: dict) -> Figure:
    """The example's graph with forward values and gradients on it: left to right on a
    desktop, top to bottom on a phone (``plotting.phone``)."""
    W, x, u = (np.asarray(result["inputs"][k], dtype=float) for k in ("W", "x", "u"))
    z, h, delta = np.asarray(result["z"]), np.asarray(result["h"]), np.asarray(result["delta"])
    ds_dx, ds_dW = np.asarray(result["ds_dx"]), np.asarray(result["ds_dW"])
    tall = is_phone()
    fig, (ax,) = panels(1, (4.0, 7.4) if tall else (11, 5.2))
    ax.axis("off")
    if tall:  # layers from top to bottom, the units of a layer side by side
        ax.set_xlim(-0.7, 4.6)
        ax.set_ylim(-2.2, 10.4)
        x_at = {j: (1.3 * j, 8.6) for j in range(len(x))}
        z_at = {i: (0.85 + 2.2 * i, 6.1) for i in range(len(z))}
        h_at = {i: (0.85 + 2.2 * i, 3.7) for i in range(len(z))}
        s_at = (1.95, 1.3)
        step = (0.0, 0.62)  # where an arrow starts and ends, short of a box and its numbers
    else:
        ax.set_xlim(-0.8, 9.6)
        ax.set_ylim(-0.9, 5.0)
        x_at = {j: (0, 4 - 1.3 * j) for j in range(len(x))}
        z_at = {i: (3.2, 3.0 - 2.2 * i) for i in range(len(z))}
        h_at = {i: (5.4, 3.0 - 2.2 * i) for i in range(len(z))}
        s_at = (8.2, 1.9)
        step = (0.45, 0.0)

    def arrow(a: tuple, b: tuple, **style: object) -> None:
        ax.annotate("", xy=(b[0] - step[0], b[1] + step[1]), xytext=(a[0] + step[0],
                                                                     a[1] - step[1]),
                    arrowprops=dict(arrowstyle="->", color="#999", **style))

    for i in range(len(z)):
        for j in range(len(x)):
            arrow(x_at[j], z_at[i], lw=0.8)
        arrow(z_at[i], h_at[i])
        arrow(h_at[i], s_at)
        middle = ((h_at[i][0] + s_at[0]) / 2, (h_at[i][1] + s_at[1]) / 2)
        rising = h_at[i][1] < s_at[1]  # above the edge, on the side it does not climb to
        ax.text(middle[0] + (0.15 if tall else 0), middle[1] + (0 if tall else 0.15),
                f"u{i + 1}={_number(u[i])}", fontsize=8, color="#555",
                ha="right" if rising and not tall else "left")
    for j in range(len(x)):
        _box(ax, *x_at[j], f"x{j + 1}", _number(x[j]), _number(ds_dx[j]))
    for i in range(len(z)):
        _box(ax, *z_at[i], f"z{i + 1}", _number(z[i]), _number(delta[i]))
        _box(ax, *h_at[i], f"h{i + 1}", _number(h[i]), _number(u[i]))
    _box(ax, *s_at, "s", _number(result["s"]), "1")
    weights = ["W (edges x -> z) ="] + ["[" + ", ".join(f"{v:2.0f}" for v in row) + "]"
                                         for row in W]
    rows = ["ds/dW = delta x^T ="] + [
        "[" + ", ".join(f"{v + 0.0:7.4f}" for v in row) + "]" for row in ds_dW]
    legend = "green: forward value    red: ds/d(node), the gradient flowing back"
    if tall:
        ax.text(-0.6, 0.2, "\n".join(weights), family="monospace", fontsize=8, va="top",
                color="#555")
        ax.text(-0.6, -1.0, "\n".join(rows), family="monospace", fontsize=8, va="top",
                color="#d62728")
        ax.text(-0.6, 10.3, legend.replace("    ", "\n"), fontsize=8, va="top")
    else:
        ax.text(1.0, 4.55, "\n".join(weights), family="monospace", fontsize=8, va="top",
                color="#555")
        ax.text(3.8, -0.55, "\n".join(rows), family="monospace", fontsize=8, va="top",
                color="#d62728")
        ax.text(-0.7, 4.85, legend, fontsize=9)
    ax.set_title("z = W x,  h = sigmoid(z),  s = u^T h", fontsize=11)
    return fig


@redrawable
def reverse_forward(rows: list[dict]) -> Figure:
    widths = [r["width"] for r in rows]
    fig, axes = panels(2, (4.75, 3.4))
    for name, style in (("reverse", "o-"), ("forward", "s-")):
        label = "reverse mode (backprop)" if name == "reverse" else "forward mode"
        axes[0].plot(widths, [r[f"{name}_ops"] for r in rows], style, label=label)
        median = np.array([r[f"{name}_seconds"] for r in rows])
        low, high = np.array([r[f"{name}_seconds_quartiles"] for r in rows]).T
        axes[1].errorbar(widths, median, yerr=[median - low, high - median], fmt=style,
                         capsize=3, label=label)
    for ax, ylabel in ((axes[0], "multiply-adds"),
                       (axes[1], f"seconds: median of {rows[0]['repeats']}\n"
                                 "(bar: the middle half of the runs)")):
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xlabel("layer width n (4 layers)")
        ax.set_ylabel(ylabel)
    axes[0].set_title("Work")
    axes[1].set_title("Time on this machine")
    legend(axes[0], figure_wide=True)
    return fig


@redrawable
def vanishing(result: dict) -> Figure:
    fig, axes = panels(2, (5, 3.5))
    depths = result["depths"]
    for activation in ("logistic", "tanh", "relu"):
        axes[0].plot(depths, result[activation]["first_to_last_ratio"], "o-",
                     color=COLORS[activation], label=activation)
    axes[0].set_yscale("log")
    axes[0].set_xlabel("hidden layers")
    axes[0].set_ylabel("||grad W_first|| / ||grad W_last||")
    axes[0].set_title("How much gradient reaches the first layer", wrap=True)
    for activation in ("logistic", "tanh", "relu"):
        norms = result[activation]["layer_norms"][-1]
        axes[1].plot(range(1, len(norms) + 1), norms, "o-", color=COLORS[activation],
                     label=activation)
    axes[1].set_yscale("log")
    axes[1].set_xlabel(f"weight matrix (network with {depths[-1]} hidden layers)", wrap=True)
    axes[1].set_ylabel("||grad W||")
    axes[1].set_title("Gradient norm per layer at initialisation", wrap=True)
    legend(axes[0], figure_wide=True)
    return fig


@redrawable
def vanishing_training(result: dict) -> Figure:
    fig, axes = panels(3, (4.67, 3.6))
    for activation in ("logistic", "relu"):
        color = COLORS[activation]
        runs = result[activation]
        epochs = np.arange(1, len(runs[0]["loss"]) + 1)
        for k, run in enumerate(runs):
            axes[0].plot(epochs, run["loss"], color=color, lw=0.6, alpha=0.6)
        axes[0].plot(epochs, np.mean([r["loss"] for r in runs], axis=0), color=color, lw=2.2,
                     label=activation)
        norms = np.mean([r["grad_norms"] for r in runs], axis=0)
        axes[1].plot(epochs, norms[:, 0], "-", color=color, lw=2, label=f"{activation}: W0")
        axes[1].plot(epochs, norms[:, -1], ":", color=color, lw=2,
                     label=f"{activation}: last W")
        moved = np.mean([r["relative_change"] for r in runs], axis=0)
        offset = -0.2 if activation == "logistic" else 0.2
        axes[2].bar(np.arange(len(moved)) + offset, moved, width=0.4, color=color,
                    label=activation)
    axes[0].axhline(np.log(10), color="gray", ls="--", lw=0.8, label="chance (ln 10)")
    axes[0].set_xlabel("epoch")
    axes[0].set_ylabel("training loss")
    axes[0].set_title("Loss")
    axes[1].set_yscale("log")
    axes[1].set_xlabel("epoch")
    axes[1].set_ylabel("||grad W|| (mean over seeds)")
    axes[1].set_title("First and last layer's gradient")
    axes[2].set_yscale("log")
    axes[2].set_xlabel("weight matrix (0 = first)")
    axes[2].set_ylabel("||W_end - W_start|| / ||W_start||")
    axes[2].set_title("How far each layer moved")
    legend(*axes)
    return fig


@redrawable
def dropout(result: dict) -> Figure:
    wide = {} if is_phone() else {"gridspec_kw": {"width_ratios": [2, 1]}}
    fig, axes = panels(2, (5.5, 3.6), **wide)
    for key, color, label in (("without", "#1f77b4", "no dropout"),
                              ("with", "#d62728", f"dropout {result['rate']}")):
        runs = result[key]
        epochs = runs[0]["epoch"]
        for part, style in (("test_loss", "-"), ("train_loss", "--")):
            values = np.array([r[part] for r in runs])
            mean = values.mean(axis=0)
            se = values.std(axis=0, ddof=1) / np.sqrt(len(runs)) if len(runs) > 1 else 0 * mean
            axes[0].plot(epochs, mean, style, color=color,
                         label=f"{label}, {'test' if part == 'test_loss' else 'training'}")
            axes[0].fill_between(epochs, mean - se, mean + se, color=color, alpha=0.15,
                                 label="band: +-1 standard error" if key == "with" and
                                 part == "train_loss" else None)
    axes[0].set_yscale("log")
    axes[0].set_xlabel("epoch")
    axes[0].set_ylabel("log loss (mean over seeds)")
    axes[0].set_title("Loss on the training and the test part")
    differences = [b["test"] - a["test"] for a, b in zip(result["without"], result["with"])]
    effect = result["effect"]["test_accuracy"]
    axes[1].plot(np.zeros(len(differences)) + np.linspace(-0.1, 0.1, len(differences)),
                 differences, "ko", ms=4, label="one seed")
    se = effect["standard_error"] or 0.0
    axes[1].bar(0, effect["mean"], width=0.5, color="#d62728", alpha=0.35,
                yerr=2 * se, capsize=6, label="bar: their mean\nwhisker: +-2 standard errors")
    axes[1].axhline(0, color="gray", lw=0.8)
    axes[1].set_xticks([0], ["dropout - none"])
    axes[1].set_ylabel("test accuracy difference")
    axes[1].set_title(f"Paired over {len(differences)} seeds")
    legend(*axes)
    return fig
