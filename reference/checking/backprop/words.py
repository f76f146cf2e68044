"""The verdict of ``check_backprop`` in sentences.

Sentences name arrays by the checker's own names ("W0", "b1": layer 0 is the one that takes
X); ``check_backprop`` renames them to the user's own names at the end, so a sentence never
says "layer 1" where the user's arrays are called W2: it names the arrays.
"""

from collections.abc import Sequence

import numpy as np

from reference.checking.backprop.matching import (
    Match,
    Problem,
    factor_of,
    is_scale,
    mistaken_gradient,
)
from reference.checking.backprop.variants import MISTAKES, describe
from reference.checking.compare import relative_difference


def join(names: Sequence[str]) -> str:
    names = list(names)
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def factor_words(c: float, p: Problem) -> str:
    """A factor in words, with the convention it points to where it is a familiar one."""
    known = {p.n: f"n = {p.n}, the batch size", 1 / p.n: f"1/n = 1/{p.n}", 2.0: "2",
             0.5: "1/2", -1.0: "-1"}
    if p.K > 1:
        known.update({float(p.K): f"K = {p.K}, the number of outputs",
                      1 / p.K: f"1/K = 1/{p.K}"})
    for value, words in known.items():
        if abs(c - value) <= 1e-6 * abs(value):
            return words
    return f"{c:.4g}"


def alternative_sentences(p: Problem, found: Match) -> list[str]:
    """One sentence per kind of inconsistency between arrays. Where some arrays stay
    unexplained, a whole layer off by a factor is a symptom of the error further down the
    backward pass, not a finding of its own: only the L2 and bias findings are kept."""
    groups: dict[str, list[str]] = {}
    unexplained = any(label is None for label in found.labels)
    for name, label in zip(p.names, found.labels):
        if label not in (None, "ok") and not (unexplained and is_scale(label)):
            groups.setdefault(label, []).append(name)
    everything = len(p.names)
    mean = found.conv.batch == "mean"
    sentences = []
    for label, names in groups.items():
        who = join(names)
        whole = len(names) == everything
        if label.startswith("factor:"):
            c = factor_of(label, p)
            text = (f"{who}: {factor_words(c, p)} times what "
                    + ("the convention the other arrays follow gives" if not whole else
                       "a correct gradient would be"))
            sentences.append(text + ".")
            continue
        text = {
            "sign": ("the output delta has the wrong sign (y - p instead of p - y): every data "
                     f"gradient ({who}) is negated" if whole else
                     f"{who}: the data gradient has the wrong sign"),
            "everything_negated": (f"every gradient ({who}) is negated: the gradient of -loss "
                                   "(an update written as w += lr * grad climbs the loss)"
                                   if whole else f"{who}: the whole gradient is negated"),
            "times_n": (f"{who}: {p.n} times too large: "
                        + ("summed over the batch while the other arrays are averaged"
                           if mean else "n times the rest")),
            "over_n": (f"{who}: {p.n} times too small: "
                       + ("averaged over the batch while the other arrays are summed"
                          if not mean else "divided by n once more than the rest")),
            "all_times_n": f"{who}: {p.n} times too large, the L2 term included",
            "all_over_n": f"{who}: {p.n} times too small, the L2 term included",
            "times_2": f"{who}: twice what the other arrays' convention gives",
            "half": f"{who}: half what the other arrays' convention gives",
            "times_K": f"{who}: {p.K} (the number of outputs) times too large",
            "over_K": f"{who}: averaged over the {p.K} outputs while the rest sums over them",
            "l2_sign": f"{who}: the L2 term is added with the wrong sign (-alpha W instead of "
                       "+alpha W)",
            "l2_missing": f"{who}: the L2 term is missing (alpha = {p.alpha:g} was given)",
            "l2_twice": f"{who}: the L2 term is twice as large as in the other arrays",
            "l2_half": f"{who}: the L2 term is half as large as in the other arrays",
            "l2_times_n": f"{who}: the L2 term is not divided by the batch size, unlike the rest",
            "l2_over_n": f"{who}: the L2 term is divided by the batch size, unlike the rest",
            "l2_only": f"{who}: the gradient holds only its L2 term; the data part (the "
                       "gradient of the loss through the network) is missing",
            "l1_instead_of_l2": f"{who}: the penalty's gradient is alpha sign(W), an L1 term's, "
                                "instead of the L2 term's alpha W",
            "zeros": f"{who}: the gradient is all zeros",
            "bias_penalised": f"{who}: this bias is penalised by L2 while the other arrays' "
                              "convention leaves biases alone",
            "bias_unpenalised": f"{who}: this bias is not penalised while the others are",
        }[label]
        kinds = {n[0] for n in names}
        others = [n for n in p.names if n[0] not in kinds]
        if label in ("times_n", "over_n", "all_times_n", "all_over_n") and \
                len(kinds) == 1 and others:
            mine, theirs = ("bias", "weight") if kinds == {"b"} else ("weight", "bias")
            larger = label in ("times_n", "all_times_n")
            text = (f"{who}: the {mine} gradient is "
                    + ("summed" if larger else "averaged") + " over the batch while the "
                    f"{theirs} gradients ({join(others)}) are "
                    + ("averaged" if larger else "summed")
                    + f" ({p.n} times {'too large' if larger else 'too small'} beside them)")
        sentences.append((text if text.startswith(who) else text[0].upper() + text[1:]) + ".")
    return sentences


def scaled_block_sentence(p: Problem, top: int, factor: float) -> str:
    wrong = [f"{k}{i}" for i in range(top + 1) for k in "Wb"]
    return (f"{join(wrong)} are {factor_words(factor, p)} times what they should be while "
            f"W{top + 1} and the arrays above it are right: the error enters in the backward "
            f"step from W{top + 1} down to W{top}, where the error passed back is scaled: "
            "check the activation derivative f'(z) there and the product delta W^T.")


def where_it_starts(p: Problem, found: Match, activation: str, output: str,
                    loss: str) -> str:
    """Where the error enters the backward pass, when no catalogued mistake explains it."""
    wrong = [name for name, label in zip(p.names, found.labels)
             if label is None or is_scale(label)]
    right = [name for name, label in zip(p.names, found.labels) if label == "ok"]
    layers_wrong = sorted({int(name[1:]) for name in wrong})
    last = len(p.coefs) - 1
    text = (f"{join(wrong)} {'matches' if len(wrong) == 1 else 'match'} no convention and no "
            "catalogued mistake" + (f"; {join(right)} {'is' if len(right) == 1 else 'are'} "
                                    "right" if right else "") + ". ")
    if not right:
        return text + (f"Nothing is right, the output layer included: check that your forward "
                       f"pass is the one declared (activation={activation!r}, output={output!r}, "
                       f"loss={loss!r}) and the output delta.")
    if all(name[0] == "b" for name in wrong):
        return text + "Only biases are wrong: check how the bias gradient sums delta over the " \
                      "batch."
    if all(name[0] == "W" for name in wrong) and not any(f"b{i}" in wrong for i in layers_wrong):
        return text + ("The bias gradients of the same layers are right, which points at "
                       f"how {join(wrong)} {'is' if len(wrong) == 1 else 'are'} built from the "
                       "error delta (X^T delta, with the layer's own input X) more than at "
                       "delta itself.")
    if last in layers_wrong:
        return text + (f"The output layer's arrays (W{last}, b{last}) are wrong already: "
                       "check the output delta and the output layer's gradient h^T delta.")
    top = max(layers_wrong)
    return text + (f"W{top + 1} and the arrays above it are right: the error enters in the "
                   f"backward step from W{top + 1} down to W{top}: check the activation "
                   "derivative f'(z) there and the product delta W^T.")


def mistake_sentence(p: Problem, found: Match, X: np.ndarray, Y: np.ndarray, activation: str,
                     output: str, loss: str, slope: float, rtol: float,
                     D: list[np.ndarray]) -> str:
    name, site = found.mistake
    Dm = mistaken_gradient(p, X, Y, activation, output, loss, slope, name, site)
    affected = [n for n, a, b in zip(p.names, Dm, D) if relative_difference(a, b) > rtol]
    text = describe(name, activation)
    kind = MISTAKES[name].where
    last = len(p.coefs) - 1
    if site == "output":
        where = ", at the output's sigmoid"
    elif site == "every":
        where = (", in every hidden layer" if kind == "hidden" else ", in every layer")
        if MISTAKES[name].at_output and output == "logistic" and loss == "squared_error":
            where = ", in every layer, the output's sigmoid included"
    elif kind == "output":
        where = ""
    elif kind == "hidden":
        where = f", at the activation between W{site} and W{site + 1}"
    else:
        where = f", in the layer of W{site} and b{site}" + (" (the output layer)"
                                                             if site == last else "")
    return f"{join(affected)} {'is' if len(affected) == 1 else 'are'} wrong: {text}{where}."


def uniform_factor_sentence(p: Problem, s: float, alpha: float) -> str:
    """Every array's data part is ``s`` times the summed data gradient."""
    count = 1 / s if s else 0
    whole = abs(count - round(count)) < 1e-6 * abs(count) and round(count) > 1
    how = (f"your gradient divides the summed data gradient by {round(count)}, where averaging "
           f"over the batch divides by n = {p.n}" if whole and round(count) != p.n else
           f"that is {factor_words(s * p.n, p)} times the gradient of the mean over the batch")
    l2 = " (its L2 term is the convention's)" if alpha > 0 else ""
    return (f"Every array's data part{l2} is {s:.4g} times the gradient of the loss summed "
            f"over the batch: {how}; check what you divide by (the batch size is "
            "X.shape[0] for samples as rows).")
