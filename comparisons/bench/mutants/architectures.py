"""Random MLPs to write backward passes for: one seed picks every option.

An ``Architecture`` says what the network computes (widths, activations, output and loss,
L2, the batch's reduction), how its arrays are held (a list, a dict or Nielsen's
``(biases, weights)``; W as (n_in, n_out) or torch's (n_out, n_in); samples as rows or as
columns) and which *code style* writes its backward pass. ``draw(seed)`` picks all of it.
"""

from dataclasses import asdict, dataclass

import numpy as np

ACTIVATIONS = ("identity", "logistic", "tanh", "relu", "leaky_relu")
# (output, loss, how many output units: "one", "several" or "classes")
TASKS = (("softmax", "cross_entropy", "classes"), ("logistic", "cross_entropy", "one"),
         ("logistic", "cross_entropy", "several"), ("identity", "squared_error", "any"),
         ("logistic", "squared_error", "any"), ("softmax", "squared_error", "classes"))
L2_FORMS = ("alpha/2 * sum W^2", "alpha * sum W^2", "alpha/(2n) * sum W^2",
            "alpha/n * sum W^2")
BATCH_SIZES = (1, 2, 3, 4, 5, 6, 7, 8, 10, 12, 16, 24, 32, 64)


@dataclass(frozen=True)
class Form:
    """What a code style fixes about how arrays are held (None: the seed picks)."""

    columns: bool | None = None
    torch_layout: bool | None = None
    containers: tuple[str, ...] = ("list", "dict", "nielsen")
    biases: tuple[str, ...] | None = None
    keys: tuple[str, ...] = ("W1", "fc1.weight")
    max_hidden: int = 4


# style -> the forms it writes; the weight is how often a seed picks it
STYLES = {
    "loop": (Form(), 4),
    "unrolled": (Form(columns=False, torch_layout=False, containers=("list", "dict"),
                      biases=("flat", "row"), keys=("W1",), max_hidden=2), 2),
    "cs231n": (Form(columns=False, torch_layout=False, containers=("dict",),
                    biases=("flat",), keys=("W1",), max_hidden=2), 2),
    "dlai": (Form(columns=True, torch_layout=True, containers=("dict",), biases=("column",),
                  keys=("W1",)), 2),
    "torch": (Form(columns=False, torch_layout=True, containers=("list", "dict"),
                   biases=("flat",), keys=("fc1.weight",)), 2),
    "nielsen": (Form(columns=True, torch_layout=True, containers=("nielsen",),
                     biases=("column",)), 2),
}


@dataclass(frozen=True)
class Architecture:
    """One network and the way its code holds it.

    ``sizes`` is (n_features, hidden widths..., n_outputs). ``outputs`` is how several
    logistic/identity (or softmax with squared error) outputs are reduced, "sum" where that
    does not apply; ``squared_error`` is "half" unless the loss is squared error.
    """

    seed: int
    style: str
    sizes: tuple[int, ...]
    n_samples: int
    activation: str
    negative_slope: float
    output: str
    loss: str
    labels: bool            # Y given as integer labels, shape (n_samples,)
    alpha: float
    l2: str
    l2_biases: bool
    batch: str              # "mean" | "sum"
    outputs: str            # "mean" | "sum"
    squared_error: str      # "half" | "full"
    returns_loss: bool
    container: str          # "list" | "dict" | "nielsen"
    keys: str               # dict keys: "W1" (W1, b1, ...) or "fc1.weight" (torch's)
    columns: bool           # samples as columns: X (n_features, n_samples)
    torch_layout: bool      # W (n_out, n_in)
    bias: str               # "flat" (n,), "row" (1, n) or "column" (n, 1)

    @property
    def n_layers(self) -> int:
        """L, the number of dense layers (hidden layers + 1)."""
        return len(self.sizes) - 1

    @property
    def n_outputs(self) -> int:
        return self.sizes[-1]

    def describe(self) -> str:
        """One line: the style, the sizes and the options that differ between seeds."""
        parts = [f"seed {self.seed}", self.style, "-".join(map(str, self.sizes)),
                 f"batch {self.n_samples} ({self.batch})", self.activation,
                 f"{self.output}+{self.loss}", self.container,
                 "columns" if self.columns else "rows",
                 "W (n_out, n_in)" if self.torch_layout else "W (n_in, n_out)",
                 f"b {self.bias}"]
        if self.loss == "squared_error":
            parts.append(f"{self.squared_error} squared error")
        if self.outputs_apply:
            parts.append(f"outputs {self.outputs}")
        if self.alpha:
            parts.append(f"L2 {self.alpha} as {self.l2}" + (", biases too" if self.l2_biases
                                                              else ""))
        parts.append("labels" if self.labels else "targets")
        parts.append("returns loss" if self.returns_loss else "gradients only")
        return ", ".join(parts)

    @property
    def outputs_apply(self) -> bool:
        """Whether several outputs are averaged or summed (not softmax + cross-entropy)."""
        return self.n_outputs > 1 and (self.output, self.loss) != ("softmax", "cross_entropy")

    def to_dict(self) -> dict:
        return asdict(self)


def expectation(arch: Architecture) -> dict:
    """The full ``expect=`` dict that describes the reference pass written for ``arch``."""
    return {"batch": arch.batch, "outputs": arch.outputs, "squared_error": arch.squared_error,
            "l2": arch.l2, "l2_biases": arch.l2_biases}


def _widths(rng: np.random.Generator, n_hidden: int, n_outputs: int) -> list[int]:
    """Hidden widths: half the time all equal and unlike the output's."""
    if rng.random() < 0.5:
        width = int(rng.integers(2, 8))
        width += width == n_outputs
        return [width] * n_hidden
    return [int(w) for w in rng.integers(2, 8, n_hidden)]


def _n_outputs(rng: np.random.Generator, units: str) -> int:
    """How many output units a task has: one, several (2 to 4), classes (2 to 5), any (1 to 3)."""
    if units == "one":
        return 1
    if units == "several":
        return int(rng.integers(2, 5))
    if units == "classes":
        return int(rng.integers(2, 6))
    return int(rng.integers(1, 4))


def _batch_size(rng: np.random.Generator, n_features: int, n_outputs: int) -> int:
    """From 1 to 64, never the number of features nor of outputs (so rows and columns
    cannot be mistaken for each other)."""
    sizes = [n for n in BATCH_SIZES if n not in (n_features, n_outputs)]
    return int(rng.choice(sizes))


def draw(seed: int) -> Architecture:
    """The architecture seed ``seed`` picks (the same seed, the same architecture)."""
    rng = np.random.default_rng([seed, 0])
    names = list(STYLES)
    weights = np.array([STYLES[s][1] for s in names], dtype=float)
    style = names[rng.choice(len(names), p=weights / weights.sum())]
    form = STYLES[style][0]
    output, loss, units = TASKS[rng.integers(len(TASKS))]
    n_outputs = _n_outputs(rng, units)
    n_hidden = int(rng.integers(1, form.max_hidden + 1))
    widths = _widths(rng, n_hidden, n_outputs)
    n_features = int(rng.integers(2, 7))
    if len({n_features, *widths, n_outputs}) == 1:  # every W square: the layout unreadable
        n_features += 1
    columns = bool(rng.integers(2)) if form.columns is None else form.columns
    torch_layout = bool(rng.integers(2)) if form.torch_layout is None else form.torch_layout
    biases = form.biases or (("column", "flat") if columns else ("flat", "row"))
    labelled = loss == "cross_entropy" and (output == "softmax" or units == "one")
    activation = ACTIVATIONS[rng.integers(len(ACTIVATIONS))]
    outputs_apply = n_outputs > 1 and (output, loss) != ("softmax", "cross_entropy")
    return Architecture(
        seed=seed, style=style, sizes=(n_features, *widths, n_outputs),
        n_samples=_batch_size(rng, n_features, n_outputs), activation=activation,
        negative_slope=float(rng.choice([0.01, 0.1, 0.2])) if activation == "leaky_relu"
        else 0.01,
        output=output, loss=loss,
        labels=labelled and (style == "cs231n" or bool(rng.random() < 0.5)),
        alpha=0.0 if rng.random() < 0.4 else float(rng.choice([0.01, 0.05, 0.1, 0.3])),
        l2=L2_FORMS[rng.integers(len(L2_FORMS))], l2_biases=bool(rng.random() < 0.3),
        batch="mean" if rng.random() < 0.75 else "sum",
        outputs=str(rng.choice(["mean", "sum"])) if outputs_apply else "sum",
        squared_error=str(rng.choice(["half", "full"])) if loss == "squared_error" else "half",
        returns_loss=bool(rng.random() < 0.7), container=str(rng.choice(form.containers)),
        keys=str(rng.choice([k for k in form.keys if torch_layout or k == "W1"])),
        columns=columns, torch_layout=torch_layout, bias=str(rng.choice(biases)))
