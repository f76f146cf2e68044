"""The lecture's figures, for the report's lecture section and the notebooks; ``CAPTIONS``
says what to look at in each."""

import numpy as np
from matplotlib.figure import Figure

from comparisons.report.lecture import TRUTH, X_GATE
from comparisons.report.plotting import COLORS, is_phone, panels

CAPTIONS = {
    "ancestors_errors": "Training points misclassified after each epoch, for Rosenblatt's "
                        "perceptron and Widrow-Hoff's Adaline. On AND and OR both reach 0 "
                        "within a few epochs; on XOR neither ever does, however long it "
                        "trains.",
    "ancestors_lines": "The line each single-layer model learned (solid: perceptron, dashed: "
                       "Adaline) over the four points (filled: class 1). AND and OR are cut "
                       "cleanly; no line puts XOR's two red points on one side and its two "
                       "blue points on the other.",
    "worked_example": "The worked example as a computational graph. Each node shows its "
                      "forward value (green, above) and ds/d(node), the gradient flowing back "
                      "into it (red, below); the edges into z carry the weights W_ij. Follow "
                      "the red numbers from s back to x: each is the local gradient times "
                      "the one to its right.",
    "reverse_forward": "The same gradient ds/dx of a 4-layer sigmoid chain, by reverse mode "
                       "(a vector times one matrix after another) and by forward mode (whole "
                       "Jacobians pushed forward), as the layers widen. Left: multiply-adds; "
                       "right: measured time on this machine. Reverse mode's cost grows as "
                       "n^2, forward mode's as n^3.",
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
               "mean over the seeds, the band one standard error. Right: per seed, test "
               "accuracy with dropout minus without; the bar is the mean and the whisker two "
               "standard errors. Read the effect from the right panel, with its uncertainty.",
}


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
        ax.legend()
    axes[0].set_ylabel("points misclassified (of 4)")
    return fig


def ancestors_lines(models: dict) -> Figure:
    fig, axes = panels(3, (3.33, 3.3))
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
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, fontsize=8, loc="outside lower center", ncol=4)  # below the
    return fig  # panels, where it hides no point


def _box(ax, x, y, name, value, grad):
    ax.text(x, y, name, ha="center", va="center", fontsize=10,
            bbox=dict(boxstyle="round,pad=0.4", fc="white", ec="k"))
    ax.text(x, y + 0.32, value, ha="center", va="bottom", fontsize=8, color="#2ca02c")
    ax.text(x, y - 0.32, grad, ha="center", va="top", fontsize=8, color="#d62728")


def _number(value: float) -> str:
    return str(int(value)) if float(value) == int(value) else f"{value:.4f}"


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
        ax.text(middle[0] + (0.15 if tall else 0), middle[1] + (0 if tall else 0.15),
                f"u{i + 1}={_number(u[i])}", fontsize=8, color="#555")
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


def reverse_forward(rows: list[dict]) -> Figure:
    widths = [r["width"] for r in rows]
    fig, axes = panels(2, (4.75, 3.4))
    for name, style in (("reverse", "o-"), ("forward", "s-")):
        label = "reverse mode (backprop)" if name == "reverse" else "forward mode"
        axes[0].plot(widths, [r[f"{name}_ops"] for r in rows], style, label=label)
        axes[1].plot(widths, [r[f"{name}_seconds"] for r in rows], style, label=label)
    for ax, ylabel in ((axes[0], "multiply-adds"), (axes[1], "seconds (best of 5)")):
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xlabel("layer width n (4 layers)")
        ax.set_ylabel(ylabel)
        ax.legend()
    axes[0].set_title("Work")
    axes[1].set_title("Time on this machine")
    return fig


def vanishing(result: dict) -> Figure:
    fig, axes = panels(2, (5, 3.5))
    depths = result["depths"]
    for activation in ("logistic", "tanh", "relu"):
        axes[0].plot(depths, result[activation]["first_to_last_ratio"], "o-",
                     color=COLORS[activation], label=activation)
    axes[0].set_yscale("log")
    axes[0].set_xlabel("hidden layers")
    axes[0].set_ylabel("||grad W_first|| / ||grad W_last||")
    axes[0].set_title("How much gradient reaches the first layer")
    axes[0].legend()
    for activation in ("logistic", "tanh", "relu"):
        norms = result[activation]["layer_norms"][-1]
        axes[1].plot(range(1, len(norms) + 1), norms, "o-", color=COLORS[activation],
                     label=activation)
    axes[1].set_yscale("log")
    axes[1].set_xlabel(f"weight matrix (network with {depths[-1]} hidden layers)")
    axes[1].set_ylabel("||grad W||")
    axes[1].set_title("Gradient norm per layer at initialisation")
    axes[1].legend()
    return fig


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
    axes[0].legend(fontsize=8)
    axes[1].set_yscale("log")
    axes[1].set_xlabel("epoch")
    axes[1].set_ylabel("||grad W|| (mean over seeds)")
    axes[1].set_title("First and last layer's gradient")
    axes[1].legend(fontsize=8)
    axes[2].set_yscale("log")
    axes[2].set_xlabel("weight matrix (0 = first)")
    axes[2].set_ylabel("||W_end - W_start|| / ||W_start||")
    axes[2].set_title("How far each layer moved")
    axes[2].legend(fontsize=8)
    return fig


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
            axes[0].fill_between(epochs, mean - se, mean + se, color=color, alpha=0.15)
    axes[0].set_yscale("log")
    axes[0].set_xlabel("epoch")
    axes[0].set_ylabel("log loss (mean over seeds)")
    axes[0].set_title("Loss on the training and the test part")
    axes[0].legend(fontsize=8)
    differences = [b["test"] - a["test"] for a, b in zip(result["without"], result["with"])]
    effect = result["effect"]["test_accuracy"]
    axes[1].plot(np.zeros(len(differences)) + np.linspace(-0.1, 0.1, len(differences)),
                 differences, "ko", ms=4, label="one seed")
    se = effect["standard_error"] or 0.0
    axes[1].bar(0, effect["mean"], width=0.5, color="#d62728", alpha=0.35,
                yerr=2 * se, capsize=6, label="mean, +-2 standard errors")
    axes[1].axhline(0, color="gray", lw=0.8)
    axes[1].set_xticks([0], ["dropout - none"])
    axes[1].set_ylabel("test accuracy difference")
    axes[1].set_title(f"Paired over {len(differences)} seeds")
    axes[1].legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=1)
    return fig
