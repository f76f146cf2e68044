"""The verdict of ``check_backprop`` in sentences.

Sentences name arrays by the checker's own names ("W0", "b1": layer 0 is the one that takes
X); ``check_backprop`` renames them to the user's own names at the end, so a sentence never
says "layer 1" where the user's arrays are called W2: it names the arrays.
"""

from collections.abc import Sequence

from reference.checking.backprop.conventions import Convention


def join(names: Sequence[str]) -> str:
    names = list(names)
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def near(value: float, target: float) -> bool:
    """Equal to 6 digits (to 1e-9 around 0)."""
    return abs(value - target) <= (1e-6 * abs(target) if target else 1e-9)


def ratio_words(c: float, n: int, K: int) -> str:
    """A factor between two things, in words: "n = 12 times", "1/2 of", "0.0833 times"."""
    known = [(float(n), f"n = {n} times"), (1 / n, f"1/n = 1/{n} times"), (2.0, "twice"),
             (0.5, "half"), (-1.0, "-1 times")]
    if K > 1:
        known += [(float(K), f"K = {K} times"), (1 / K, f"1/K = 1/{K} times")]
    for value, words in known:
        if n > 1 or value not in (float(n), 1 / n):
            if near(c, value):
                return words
    return f"{c:.6g} times" if abs(c - 1) < 0.01 else f"{c:.4g} times"


def group_sentence(fit: object, group: list[int], row: int, factor: float,
                   terms: dict[int, float]) -> str | None:
    """The sentence for a group of arrays whose data part is ``factor`` times the right one
    and whose L2 terms are ``terms`` (array -> multiple of the weights' coefficient); None
    when that is no change at all."""
    conv: Convention = fit.conventions[row]
    names = [fit.names[k] for k in group]
    who = join(names)
    n, K = fit.n, fit.K
    kinds = {name[0] for name in names}
    others = [name for k, name in enumerate(fit.names) if name[0] not in kinds
              and k in fit.usable]
    expected = {k: 1.0 if fit.names[k][0] == "W" or conv.biases else 0.0 for k in group}
    l2_changed = {k: v for k, v in terms.items() if not near(v, expected[k])}
    data_changed = not near(factor, 1.0)
    if not data_changed and not l2_changed:
        return None
    sentences = []
    if data_changed:
        if near(factor, 0.0):
            sentences.append(f"{who}: the gradient holds only its L2 term; the data part (the "
                             "gradient of the loss through the network) is missing"
                             if fit.alpha > 0 and any(expected.values())
                             else f"{who}: the gradient is all zeros")
        elif near(factor, -1.0):
            sentences.append(f"{who}: the data gradient has the wrong sign")
        elif (near(factor, n) or near(factor, 1 / n)) and n > 1 and len(kinds) == 1 and others:
            mine, theirs = ("bias", "weight") if kinds == {"b"} else ("weight", "bias")
            larger = near(factor, n)
            sentences.append(
                f"{who}: the {mine} gradient is {'summed' if larger else 'averaged'} over the "
                f"batch while the {theirs} gradients ({join(others)}) are "
                f"{'averaged' if larger else 'summed'} ({n} times "
                f"{'too large' if larger else 'too small'} beside them)")
        else:
            with_l2 = ", the L2 term included" if l2_changed and all(
                near(v / max(expected[k], 1e-300), factor) for k, v in l2_changed.items()
                if expected[k]) else ""
            sentences.append(f"{who}: {ratio_words(factor, n, K)} what the convention the "
                             f"other arrays follow gives{with_l2}")
            if with_l2:
                l2_changed = {}
    for k, v in l2_changed.items():
        name = fit.names[k]
        if name[0] == "b" and not conv.biases:
            sentences.append(f"{name}: this bias is penalised by L2 while the other arrays' "
                             "convention leaves biases alone")
        elif name[0] == "b" and near(v, 0.0):
            sentences.append(f"{name}: this bias is not penalised while the others are")
        else:
            sentences.append(f"{name}: {l2_words(v, n, fit.alpha, conv)}")
    return "; ".join(_merge(sentences))


def _merge(sentences: list[str]) -> list[str]:
    """One sentence per kind of finding: "W0: the L2 term is missing" and "W1: the L2 term
    is missing" become "W0 and W1: the L2 term is missing"."""
    by_text: dict[str, list[str]] = {}
    for sentence in sentences:
        who, _, text = sentence.partition(": ")
        by_text.setdefault(text, []).append(who)
    return [f"{join(whos)}: {text}" for text, whos in by_text.items()]


def l2_words(v: float, n: int, alpha: float, conv: Convention) -> str:
    """An L2 term that is ``v`` times what the convention adds, in words, with the fix."""
    if near(v, 0.0):
        return f"the L2 term is missing (alpha = {alpha:g} was given)"
    if near(v, -1.0):
        return "the L2 term is added with the wrong sign (-alpha W instead of +alpha W)"
    if near(v, 2.0):
        return ("the L2 term is twice the convention's: a penalty written alpha * sum W^2 "
                "has the gradient 2 alpha W, alpha/2 * sum W^2 has alpha W")
    if near(v, 0.5):
        return "the L2 term is half the convention's"
    if n > 1 and near(v, 1 / n):
        return (f"the L2 term is divided by the batch size n = {n} "
                + ("once more than the convention divides it" if conv.l2_per_sample else
                   "where the convention does not divide it"))
    if n > 1 and near(v, n):
        return (f"the L2 term is not divided by the batch size n = {n}, unlike the "
                "convention's" if conv.l2_per_sample else
                f"the L2 term is {n} (the batch size) times the convention's")
    return f"the L2 term is {v:.4g} times the convention's"


def where_it_starts(names: list[str], right: list[bool], usable: list[bool], L: int) -> str:
    """Where the error enters the backward pass, read from which arrays are right: the
    first wrong node the arrays allow one to name (arrays in the checker's names)."""
    wrong = [name for name, ok, use in zip(names, right, usable) if use and not ok]
    good = [name for name, ok, use in zip(names, right, usable) if use and ok]
    if not wrong:
        return ""
    layers_wrong = sorted({int(name[1:]) for name in wrong})
    top = max(layers_wrong)
    last = L - 1
    if not good or (f"W{last}" in wrong and f"b{last}" in wrong):
        return ("the error enters at the first step of the backward pass, the output delta "
                "dL/dz of the output layer: W%d and b%d are wrong already" % (last, last))
    if all(name[0] == "b" for name in wrong):
        return "only biases are wrong: the error is in how the bias gradient sums delta over " \
               "the batch"
    if all(name[0] == "W" for name in wrong) and not any(f"b{i}" in wrong
                                                        for i in layers_wrong):
        return ("the bias gradients of the same layers are right, so delta is right there: "
                f"the error is in how {join(wrong)} {'is' if len(wrong) == 1 else 'are'} built "
                "from it (X^T delta, with the layer's own input X)")
    return (f"W{top + 1} and the arrays above it are right: the error enters in the backward "
            f"step from W{top + 1} down to W{top} (the product delta W^T, or the activation's "
            "derivative f'(z) there)")
