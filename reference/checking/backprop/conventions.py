"""The conventions a correct backward pass may follow, as numbers, and in words.

A correct gradient of any of the usual objectives is, array by array,

    G = scale * D + l2 * alpha * theta      (theta: the array itself, if it is penalised)

where D is the gradient of the unit data loss (``grammar.program``: summed over the batch
and the outputs, squared error with its 1/2). ``scale`` is the product of three
choices: the batch summed (1) or averaged (1/n); the outputs summed (1) or averaged (1/K, as
torch's ``BCEWithLogitsLoss`` and ``MSELoss`` do); squared error with its 1/2 (1) or without
(2). ``l2`` is the L2 term's: the penalty alpha/2 sum W^2 (1) or alpha sum W^2 (2), divided by
the batch size n (1/n, scikit-learn's) or not (torch's ``weight_decay``, the textbook's), on
the weights only or on the biases too (``weight_decay`` penalises every parameter).
"""

from dataclasses import dataclass
from itertools import product


@dataclass(frozen=True)
class Convention:
    """One set of choices; the numbers are for a batch of n samples and K outputs."""

    batch: str  # "sum" or "mean"
    outputs: str  # "sum" or "mean"
    half: bool  # squared error with its 1/2
    l2_form: str  # "half" (alpha/2 sum W^2), "full" (alpha sum W^2), or "none"
    l2_per_sample: bool  # the L2 term divided by n
    biases: bool  # the biases penalised too

    def scale(self, n: int, K: int) -> float:
        return ((1 / n if self.batch == "mean" else 1.0) * (1 / K if self.outputs == "mean"
                                                          else 1.0) * (1.0 if self.half else 2.0))

    def l2(self, n: int) -> float:
        """The multiple of alpha * W the penalty adds to a penalised array's gradient."""
        factor = {"half": 1.0, "full": 2.0, "none": 0.0}[self.l2_form]
        return factor / n if self.l2_per_sample else factor

    def words(self, loss: str, output: str, n: int, K: int, alpha: float) -> dict[str, str]:
        """The convention, one sentence per choice."""
        text = {"batch": ("summed over the batch" if self.batch == "sum"
                          else "averaged over the batch (the mean over its samples)")}
        if n == 1:
            text["batch"] = "summed or averaged over the batch (the same with one sample)"
        if K > 1 and not (output == "softmax" and loss == "cross_entropy"):
            text["outputs"] = ("summed over the outputs" if self.outputs == "sum" else
                               "averaged over the outputs (as torch's BCEWithLogitsLoss and "
                               "MSELoss do)")
        if loss == "squared_error":
            text["squared_error"] = ("1/2 (p - y)^2 (its gradient p - y)" if self.half else
                                     "(p - y)^2 without the 1/2 (its gradient 2 (p - y))")
        if alpha == 0:
            text["l2"] = "not checked: alpha = 0 (pass the alpha your code uses)"
        elif self.l2_form == "none":
            text["l2"] = "none"
        else:
            penalty = "alpha/2 * sum W^2" if self.l2_form == "half" else "alpha * sum W^2"
            gradient = "alpha W" if self.l2_form == "half" else "2 alpha W"
            if self.l2_per_sample:
                penalty, gradient = penalty.replace("alpha", "alpha/n", 1), \
                    gradient.replace("alpha", "alpha/n")
            where = "weights and biases (as torch's weight_decay)" if self.biases else \
                "weights only, biases not penalised"
            size = ("divided by the batch size n (scikit-learn's)" if self.l2_per_sample
                    else "not divided by the batch size")
            text["l2"] = f"the penalty {penalty} (gradient {gradient}), {size}, on the {where}"
        return text


def candidates(loss: str, output: str, K: int, alpha: float) -> list[Convention]:
    """Every convention that can be told apart for this loss, output and alpha."""
    outputs = ("sum", "mean") if K > 1 and not (output == "softmax" and
                                                loss == "cross_entropy") else ("sum",)
    halves = (True, False) if loss == "squared_error" else (True,)
    if alpha > 0:
        l2 = [(form, per_sample, biases) for form, per_sample, biases in
              product(("half", "full"), (True, False), (False, True))]
    else:
        l2 = [("half", False, False)]  # nothing to tell apart: the term is zero
    return [Convention(batch, out, half, *penalty) for batch, out, half, penalty in
            product(("sum", "mean"), outputs, halves, l2)]


SKLEARN = Convention("mean", "sum", True, "half", True, False)

# (batch, L2 divided by n, biases penalised) as people write them: scikit-learn; torch's
# weight_decay; the textbook's summed batch; a mean loss plus alpha/2 sum W^2. Where two
# conventions explain a gradient equally well, the familiar one is reported.
FAMILIAR = {("mean", True, False), ("mean", False, True), ("sum", False, False),
            ("mean", False, False), ("sum", False, True)}


def familiarity(conv: Convention) -> int:
    """0 for a combination people use, 1 for one nobody writes (e.g. a summed batch with
    the L2 term divided by n)."""
    return 0 if (conv.batch, conv.l2_per_sample, conv.biases) in FAMILIAR else 1


# --- conventions the user pins: expect= ---------------------------------------------------------

L2_FORMS = {"alpha/2 * sum W^2": ("half", False), "alpha * sum W^2": ("full", False),
            "alpha/(2n) * sum W^2": ("half", True), "alpha/n * sum W^2": ("full", True)}
PRESETS = {
    # scikit-learn's MLP: the mean loss plus alpha/(2n) sum W^2, biases not penalised
    "sklearn": {"batch": "mean", "outputs": "sum", "squared_error": "half",
                "l2": "alpha/(2n) * sum W^2", "l2_biases": False},
    # torch: the losses average (BCEWithLogitsLoss and MSELoss over every element too), and
    # weight_decay=alpha adds alpha * theta to every parameter's gradient
    "torch": {"batch": "mean", "outputs": "mean", "squared_error": "full",
              "l2": "alpha/2 * sum W^2", "l2_biases": True},
    # CS231n: the mean data loss plus reg * sum W^2 or 0.5 * reg * sum W^2 (both are used
    # in the course), biases not penalised
    "cs231n": {"batch": "mean", "l2_per_sample": False, "l2_biases": False},
    # the textbook: the cost summed over the minibatch, L2 on the weights only
    "textbook": {"batch": "sum", "l2_per_sample": False, "l2_biases": False},
}
EXPECT_KEYS = {"batch": ("mean", "sum"), "outputs": ("mean", "sum"),
               "squared_error": ("half", "full"), "l2": tuple(L2_FORMS),
               "l2_biases": (True, False), "l2_per_sample": (True, False)}


def read_expect(expect: object) -> dict[str, object]:
    """``expect=`` as a dict of pinned choices (a preset's name read as its dict); raises a
    one-line error naming what is wrong."""
    if expect is None:
        return {}
    if isinstance(expect, str):
        if expect not in PRESETS:
            raise ValueError(f"expect must be one of {sorted(PRESETS)} or a dict, got "
                             f"{expect!r}.")
        return dict(PRESETS[expect])
    if not isinstance(expect, dict):
        raise TypeError(f"expect must be a preset name or a dict, got "
                        f"{type(expect).__name__}.")
    for key, value in expect.items():
        if key not in EXPECT_KEYS:
            raise ValueError(f"expect has an unknown key {key!r}; the keys are "
                             f"{', '.join(EXPECT_KEYS)}.")
        if value not in EXPECT_KEYS[key] or isinstance(value, bool) != isinstance(
                EXPECT_KEYS[key][0], bool):
            raise ValueError(f"expect[{key!r}] must be one of "
                             f"{', '.join(map(repr, EXPECT_KEYS[key]))}, got {value!r}.")
    return dict(expect)


def allowed(conv: Convention, pinned: dict[str, object], alpha: float) -> bool:
    """Whether ``conv`` follows every pinned choice (choices that cannot show, such as the
    L2 form when alpha = 0, never exclude)."""
    if "batch" in pinned and conv.batch != pinned["batch"]:
        return False
    if "outputs" in pinned and conv.outputs != pinned["outputs"]:
        return False
    if "squared_error" in pinned and conv.half != (pinned["squared_error"] == "half"):
        return False
    if alpha > 0:
        if "l2" in pinned and (conv.l2_form, conv.l2_per_sample) != L2_FORMS[pinned["l2"]]:
            return False
        if "l2_per_sample" in pinned and conv.l2_per_sample != pinned["l2_per_sample"]:
            return False
        if "l2_biases" in pinned and conv.biases != pinned["l2_biases"]:
            return False
    return True


def objective(conv: Convention, loss: str, output: str, K: int, alpha: float) -> str:
    """The objective a convention describes, in one phrase: "the loss averaged over the
    batch plus alpha/2 * sum W^2"."""
    data = "the loss " + ("summed" if conv.batch == "sum" else "averaged") + " over the batch"
    if K > 1 and not (output == "softmax" and loss == "cross_entropy"):
        data += " and " + ("summed" if conv.outputs == "sum" else "averaged") + \
            " over the outputs"
    if loss == "squared_error":
        data += ", squared error " + ("with its 1/2" if conv.half else "without the 1/2")
    if alpha == 0:
        return data
    return f"{data} plus {penalty(conv)}"


def penalty(conv: Convention) -> str:
    """A convention's L2 term as a formula: "alpha/2 * sum W^2"."""
    words = {("half", False): "alpha/2 * sum W^2", ("full", False): "alpha * sum W^2",
             ("half", True): "alpha/(2n) * sum W^2", ("full", True): "alpha/n * sum W^2"}[
        (conv.l2_form, conv.l2_per_sample)]
    return words.replace("sum W^2", "(sum W^2 + sum b^2)") if conv.biases else words
