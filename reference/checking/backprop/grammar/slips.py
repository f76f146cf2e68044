"""The grammar of slips: the local mistakes a backward step can be written with.

A slip changes one choice of one step of the program (``program``): a product's operand
transposed or read from the wrong array, the product taken the other way round; a sum over
the wrong axis or of one sample; an activation's derivative written in another form, read
from the wrong array, left out or applied twice; the output delta's probabilities, targets,
sign or output derivative. Each entry of ``SLIPS`` says which steps it applies to
(``keys``: the variants it has at a step, each a *relative* description such as "read from
z instead of h", so that the same variant can be made at every step where it fits), how it
changes the step (``apply``; None where it cannot be made there), and the sentence it earns
(``words``). A slip whose shapes do not fit a step is skipped by the program, never raised.

Three more kinds of slip carry a number found from the user's arrays rather than listed:
a constant factor at any step (``search``), targets smoothed by some epsilon (``search``),
and a term of the L2 gradient or a data part off by its own factor in some arrays
(``finish``). The search (``search``) composes up to two slips; the grammar, not a list of
mistakes, is what grows.

Words name arrays by the checker's own names, W0, b0, W1, ... (layer k of the program is
W{k-1}); ``check_backprop`` renames them to the user's names at the end.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass, replace

from reference.checking.backprop.grammar.network import FAMILY, FORMS, RIGHT_FORM, activation_words
from reference.checking.backprop.grammar.program import (
    Context,
    Derivative,
    Matmul,
    OutputDelta,
    RowSum,
    Step,
)

# --- names --------------------------------------------------------------------------------------

_NAME = re.compile(r"^(dz|dh|dW|db|dx|dp|h|z|W|b|X|p|Y)(\d*)$")


def parse(name: str) -> tuple[str, int | None]:
    """("z", 2) for "z2", ("h", 0) for "X" or "h0", ("p", None) for "p"."""
    if name == "X":
        return "h", 0
    match = _NAME.match(name)
    if not match:
        return name, None
    kind, number = match.groups()
    return kind, int(number) if number else None


def shifted(name: str, kind: str, offset: int, L: int) -> str | None:
    """The array of ``kind`` at ``name``'s layer + ``offset`` ("h" at L is p), or None."""
    _, index = parse(name)
    if index is None:
        return None
    j = index + offset
    if kind == "h":
        return "p" if j == L else (f"h{j}" if 0 <= j < L else None)
    if kind == "z":
        return f"z{j}" if 1 <= j <= L else None
    if kind in ("dz", "W"):
        return f"{kind}{j}" if 1 <= j <= L else None
    if kind == "dh":
        return f"dh{j}" if 1 <= j < L else None
    return None


def symbol(name: str, own: tuple[int, int] | None = None) -> str:
    """An array as a sentence writes it, relative to the step that reads it (``own``: the
    index of the step's own forward array and of its own delta): X, h and z (the step's own
    forward arrays), delta (dL/dz) and dL/dh, with "_above" or "_below" for another layer's;
    W{k} as the checker's W{k-1} (renamed to yours in the report)."""
    kind, index = parse(name)
    if kind in ("W", "b"):
        return f"{kind}{index - 1}"
    if name == "p" or own is None or index is None:
        return "X" if kind == "h" and index == 0 else name
    if kind == "h" and index == 0:
        return "X"
    forward, backward = own
    relative = {0: "", 1: "_above", -1: "_below"}
    if kind in ("h", "z"):
        return kind + relative.get(index - forward, "_elsewhere")
    if kind in ("dz", "dh"):
        return ("delta" if kind == "dz" else "dL/dh") + relative.get(index - backward,
                                                                      "_elsewhere")
    return name


def layer_words(k: int) -> str:
    """Where dense layer k (of the program) sits, in the checker's array names."""
    return f"the layer of W{k - 1} and b{k - 1}"


def between(k: int) -> str:
    """The activation after dense layer k."""
    return f"the activation between W{k - 1} and W{k}"


# --- the table ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Slip:
    """One kind of local slip: the steps it applies to, its variants there, the changed step
    and its sentence."""

    id: str
    kind: type
    keys: Callable[[Step, Context], list[str]]
    apply: Callable[[Step, str, Context], Step | None]
    words: Callable[[Step, Step, str, Context], str]


def _own(step: Step) -> tuple[int, int]:
    """(the index of a step's own forward array, of its own delta): for layer k's weight
    and bias gradients the layer's input h{k-1} and delta dz{k}; for the activation's
    derivative at dz{k}, h{k} and dz{k}; for the error passed down to dh{k-1}, dz{k}."""
    kind, k = parse(step.node)
    if kind in ("dW", "db"):
        return k - 1, k
    if kind == "dh":
        return k, k + 1
    if kind == "dx":
        return 0, 1
    return k, k


def _matmul_expression(step: Matmul) -> str:
    k = _own(step)
    a = symbol(step.a, k) + ("^T" if step.ta else "")
    if step.b == "I":
        text = a
    else:
        b = symbol(step.b, k) + ("^T" if step.tb else "")
        text = f"{b} {a}" if step.swap else f"{a} {b}"
    return f"({text})^T" if step.tr else text


def _transposes(step: Step, ctx: Context) -> list[str]:
    return [f"{ta}{tb}{swap}{tr}" for ta in (0, 1) for tb in (0, 1) for swap in (0, 1)
            for tr in (0, 1) if (ta, tb, swap, tr) != (0, 0, 0, 0)
            and not (step.b == "I" and (tb or swap))]


def _transposed(step: Matmul, key: str, ctx: Context) -> Step:
    ta, tb, swap, tr = (c == "1" for c in key)
    return replace(step, ta=step.ta ^ ta, tb=step.tb ^ tb, swap=step.swap ^ swap,
                   tr=step.tr ^ tr)


def _transposed_words(right: Matmul, wrong: Matmul, key: str, ctx: Context) -> str:
    kind = parse(right.node)[0]
    if kind in ("dh", "dx") and key == "0100":
        return ("the backward multiply uses W where it needs its transpose: "
                f"{_matmul_expression(wrong)} instead of {_matmul_expression(right)}")
    if kind == "dW" and key in ("0001", "1110"):
        return (f"the weight gradient is transposed: {_matmul_expression(wrong)} instead of "
                f"{_matmul_expression(right)} (the lecture's dS/dW = delta x^T, in the other "
                "layout)")
    what = {"dW": "the weight gradient", "dh": "the error passed down",
            "dx": "the gradient of X"}[kind]
    return (f"{what} is computed as {_matmul_expression(wrong)} instead of "
            f"{_matmul_expression(right)} (an operand transposed or the product taken the "
            "other way round)")


# which other arrays an operand may be read from by mistake: (kind, offset) relative to it
_OPERANDS = {
    "h": [("z", 0), ("h", 1), ("z", 1), ("h", -1)],
    "dz": [("dh", 0), ("dz", 1), ("dz", -1)],
    "dh": [("dz", 0), ("dh", 1), ("dh", -1)],
    "W": [("W", 1), ("W", -1)],
}


def _operand_keys(step: Step, ctx: Context) -> list[str]:
    keys = []
    fields = ("a", "b") if isinstance(step, Matmul) else ("a",)
    for field in fields:
        name = getattr(step, field)
        kind, _ = parse(name)
        for other, offset in _OPERANDS.get(kind, []):
            if shifted(name, other, offset, ctx.L) is not None:
                keys.append(f"{field}:{other}{offset:+d}")
        if field == "b" and kind == "W":
            keys.append("b:I")
    return keys


def _operand(step: Step, key: str, ctx: Context) -> Step | None:
    field, target = key.split(":")
    if target == "I":
        return replace(step, b="I", tb=False)
    kind, offset = re.match(r"([a-zA-Z]+)([+-]\d+)", target).groups()
    name = shifted(getattr(step, field), kind, int(offset), ctx.L)
    return None if name is None else replace(step, **{field: name})


_READ = {"h": "the layer's input h", "z": "the pre-activation z", "dz": "dL/dz (after the "
         "activation's derivative)", "dh": "dL/dh (before the activation's derivative)",
         "W": "the weights", "p": "the output p"}


def _operand_words(right: Step, wrong: Step, key: str, ctx: Context) -> str:
    field = key.split(":")[0]
    was, now = getattr(right, field), getattr(wrong, field)
    k = _own(right)
    what = {"dW": "the weight gradient", "db": "the bias gradient",
            "dh": "the error passed down", "dx": "the gradient of X"}[parse(right.node)[0]]
    if now == "I":
        return (f"{what} is passed down without multiplying by the weights: "
                f"{symbol(right.a, k)} instead of {_matmul_expression(right)}")
    kind_was, i_was = parse(was)
    kind_now, i_now = parse(now)
    hint = ""
    if (kind_was, kind_now) == ("dz", "dh") and i_was == i_now:
        hint = " (taken before the activation's derivative instead of after it)"
    elif (kind_was, kind_now) == ("h", "z") and i_was == i_now:
        hint = " (the layer's input before its activation instead of after it)"
    elif kind_was == "h" and (kind_now == "p" or (kind_now == "h" and i_now == i_was + 1)):
        hint = " (the layer's own output instead of its input)"
    elif kind_was == kind_now and i_was != i_now:
        hint = " (the array of another layer)"
    if isinstance(wrong, Matmul):
        expression, right_expression = _matmul_expression(wrong), _matmul_expression(right)
    else:
        expression = f"sum {symbol(wrong.a, k)}"
        right_expression = f"sum {symbol(right.a, k)}"
    return (f"{what} is built from {symbol(now, k)} where it needs {symbol(was, k)}{hint}: "
            f"{expression} instead of {right_expression}")


def _axis_keys(step: Step, ctx: Context) -> list[str]:
    return ["sum1", "all", "first", "last"]


def _axis(step: RowSum, key: str, ctx: Context) -> Step:
    return replace(step, how=key)


def _axis_words(right: RowSum, wrong: RowSum, key: str, ctx: Context) -> str:
    return {"sum1": "the bias gradient is summed over the wrong axis (the units, axis=1, "
                    "instead of the samples, axis=0)",
            "all": "the bias gradient sums delta over every axis (np.sum(delta) without "
                   "axis=0): one number for every unit",
            "first": "the bias gradient is the first sample's delta, not the sum over the "
                     "batch",
            "last": "the bias gradient is the last sample's delta, not the sum over the batch "
                    "(assigned in the loop over the samples instead of added)"}[key]


def _form_keys(step: Derivative, ctx: Context) -> list[str]:
    own = FAMILY.get(ctx.activation, ())
    others = tuple(RIGHT_FORM[a][0] for a in RIGHT_FORM if a != "identity")  # (1: "power 0")
    return [f for f in dict.fromkeys(own + others + ("sigmoid_of_z", "tanh_of_z"))
            if f != step.form]


def _form(step: Derivative, key: str, ctx: Context) -> Step:
    return replace(step, form=key)


def _form_words(right: Derivative, wrong: Derivative, key: str, ctx: Context) -> str:
    v = symbol(right.at, _own(right))
    return (f"the {activation_words(ctx.activation)} derivative is written "
            f"{FORMS[key].text.format(v=v)} instead of {FORMS[right.form].text.format(v=v)}")


_COUNTERPART = {"sigmoid_of_h": "sigmoid_of_z", "sigmoid_of_z": "sigmoid_of_h",
                "tanh_of_h": "tanh_of_z", "tanh_of_z": "tanh_of_h"}


def _at_keys(step: Derivative, ctx: Context) -> list[str]:
    """The arrays a derivative may be read from by mistake, each with the formula as written
    (and, with ":as_read", the formula for that kind of array: sigmoid(z) (1 - sigmoid(z))
    for a z, h (1 - h) for an h)."""
    places = ["z+0", "h+0", "dh+0", "z+1", "h+1", "z-1", "h-1", "zL", "nobias+0"]
    return places + [f"{p}:as_read" for p in places if p[0] in "zh"]


def _at(step: Derivative, key: str, ctx: Context) -> Step | None:
    place, _, how = key.partition(":")
    if place == "dh+0":
        name = step.up
    elif place == "zL":
        name = f"z{ctx.L}"
    elif place == "nobias+0":
        name = f"z{parse(step.at)[1]}:nobias"
    else:
        kind, offset = re.match(r"([a-z]+)([+-]\d+)", place).groups()
        name = shifted(step.at, kind, int(offset), ctx.L)
    if name is None or name == "p" or (name == step.at and not how):
        return None
    form = step.form
    if how == "as_read":
        reads_z = parse(name.split(":")[0])[0] == "z"
        if form not in _COUNTERPART or form.endswith("_of_z") == reads_z:
            return None
        form = _COUNTERPART[form]
    return replace(step, at=name, form=form)


def _at_words(right: Derivative, wrong: Derivative, key: str, ctx: Context) -> str:
    form = FORMS[right.form].text
    act = activation_words(ctx.activation)
    k = _own(right)
    was, now = symbol(right.at, k), symbol(wrong.at.split(":")[0], k)
    written = FORMS[wrong.form].text
    if wrong.at.endswith(":nobias"):
        return (f"the {act} derivative is read from the pre-activation recomputed without its "
                f"bias ({written.format(v='x W')} instead of {written.format(v='x W + b')})")
    if wrong.at == f"z{ctx.L}" and right.at != wrong.at:
        return (f"the {act} derivative is read from the output layer's z, left over in a "
                f"variable from the forward pass ({written.format(v='z_out')} instead of "
                f"{form.format(v=was)})")
    if wrong.form != right.form:
        return (f"the {act} derivative is read from {now} ({written.format(v=now)}) instead "
                f"of from this layer's own {was} ({form.format(v=was)})")
    if parse(wrong.at)[0] == "dh":
        how = (f"the {act} derivative (its mask) is read from the incoming gradient dL/dh "
               f"({form.format(v='dh')}) instead of from the unit ({form.format(v=was)})")
    elif parse(wrong.at)[1] != parse(right.at)[1]:
        other = "above" if parse(wrong.at)[1] > parse(right.at)[1] else "below"
        how = (f"the {act} derivative is read from the layer {other} ({form.format(v=now)}) "
               f"instead of from this layer's own {was} ({form.format(v=was)})")
    elif parse(right.at)[0] == "h":
        how = (f"the {act} derivative is taken at the pre-activation {now} "
               f"({form.format(v=now)}) instead of at the unit's output {was} "
               f"({form.format(v=was)})")
    else:
        how = (f"the {act} derivative is read from the unit's output {now} "
               f"({form.format(v=now)}) instead of from its input {was} "
               f"({form.format(v=was)})")
    return how


def _power_keys(step: Derivative, ctx: Context) -> list[str]:
    # a 0/1 mask squared is itself, and a leaky slope squared reads as another slope
    return ["0"] if ctx.activation in ("relu", "leaky_relu") else ["0", "2"]


def _power(step: Derivative, key: str, ctx: Context) -> Step:
    return replace(step, power=int(key))


def _power_words(right: Derivative, wrong: Derivative, key: str, ctx: Context) -> str:
    if key == "0":
        return ("the activation's derivative is missing: the error passed back is "
                "delta W^T, never multiplied by f'(z)")
    return (f"the {activation_words(ctx.activation)} derivative is applied twice "
            f"({FORMS[right.form].text.format(v=symbol(right.at, _own(right)))} "
            "squared)")


# --- the output delta -------------------------------------------------------------------------

def _probs_keys(step: OutputDelta, ctx: Context) -> list[str]:
    return [f"z{ctx.L}", "p:axis0", "p:axis0:columns", "p:all", "p:all:unshifted", "p:twice",
            "p:other", "p:unshifted", "p:none", "p:flipped"]


def _probs(step: OutputDelta, key: str, ctx: Context) -> Step:
    return replace(step, probs=key)


def _probs_words(right: OutputDelta, wrong: OutputDelta, key: str, ctx: Context) -> str:
    out = "softmax" if ctx.output == "softmax" else "sigmoid"
    return {
        f"z{ctx.L}": "the output delta uses the scores z instead of the probabilities: z - y "
                     f"instead of p - y (the {out} is missing in the backward pass)",
        "p:axis0": "the softmax is normalised over the wrong axis (its sum runs over the "
                   "batch, axis=0, instead of each sample's outputs, axis=1)",
        "p:axis0:columns": "the softmax runs over the wrong axis (the batch, axis=0, instead of "
                           "each sample's outputs, axis=1)",
        "p:all": "the softmax is normalised by the sum over the whole score matrix instead of "
                 "each row's (the axis=1, keepdims=True is missing)",
        "p:all:unshifted": "the softmax is normalised by the sum over the whole score matrix "
                           "instead of each row's (the axis=1, keepdims=True is missing)",
        "p:twice": f"a {out} is applied before a loss that applies its own ({out} before "
                   f"torch's {'CrossEntropyLoss' if out == 'softmax' else 'BCEWithLogitsLoss'})"
                   f": the gradient is that of the {out} of the {out}",
        "p:other": ("the gradient is that of independent sigmoid outputs, but the output is a "
                    "softmax" if ctx.output == "softmax" else
                    "the gradient is that of a softmax output, but the outputs are "
                    "independent sigmoids (output='logistic')"),
        "p:none": ("the scores are used as log-probabilities: the loss is -z_y (torch's "
                   "nll_loss on raw scores, without log_softmax), whose gradient is -y"
                   if ctx.output == "softmax" and ctx.loss == "cross_entropy" else
                   "the prediction is left out of the output delta: -y instead of p - y"),
        "p:flipped": "the sigmoid is written with exp(z) instead of exp(-z): sigmoid(-z) = "
                     "1 - p is used where p is needed",
        "p:unshifted": "the softmax overflows: exp(z) without subtracting each row's maximum "
                       "is infinite for scores above 709, and inf/inf is NaN",
    }[key]


def _target_keys(step: OutputDelta, ctx: Context) -> list[str]:
    return ["zero", "Y:next", "Y:previous", "sign"]


def _target(step: OutputDelta, key: str, ctx: Context) -> Step:
    if key == "sign":
        return replace(step, target_sign=-step.target_sign)
    return replace(step, target=key)


def _target_words(right: OutputDelta, wrong: OutputDelta, key: str, ctx: Context) -> str:
    return {"zero": "the target is not subtracted: the output delta is p instead of p - y",
            "Y:next": "the targets are shifted by one class (label k read as k + 1)",
            "Y:previous": "the targets are shifted by one class (label k read as k - 1)",
            "sign": "the target is added instead of subtracted: p + y instead of p - y"}[key]


_DERIVATIVES = ("extra", "missing", "squared", "outer_as_inner", "wrong_axis",
                "sigmoid_of_z_at_p", "sigmoid_of_h_at_z", "form:sigmoid_without_1_minus@p",
                "form:sigmoid_without_h@p")


def _derivative_keys(step: OutputDelta, ctx: Context) -> list[str]:
    return [f"{route}:{how}" for route in ("fused", "chained") for how in _DERIVATIVES] + \
        ["chained:term_sign", "hidden"]


def _output_derivative(step: OutputDelta, key: str, ctx: Context) -> Step:
    route, how = key.split(":", 1) if ":" in key else ("fused", key)
    if how == "hidden":
        return replace(step, hidden_derivative=True)
    if how == "term_sign":
        return replace(step, route="chained", term_sign=-step.term_sign)
    return replace(step, route=route, derivative=how)


def _output_derivative_words(right: OutputDelta, wrong: OutputDelta, key: str,
                             ctx: Context) -> str:
    route, how = key.split(":", 1) if ":" in key else ("fused", key)
    out = "softmax" if ctx.output == "softmax" else "sigmoid"
    if how.startswith("form:"):
        name, at = how[5:].split("@")
        return (f"the output sigmoid's derivative is written {FORMS[name].text.format(v=at)} "
                f"instead of {at} (1 - {at})")
    cancels = ctx.loss == "cross_entropy" and route == "fused"
    if how == "hidden":
        return ("the hidden activation's derivative f'(z) is applied to the output delta "
                "(the scores) instead of to the hidden layer's error")
    if how == "term_sign":
        return ("one term of dL/dp has the wrong sign: -(y/p + (1 - y)/(1 - p)) instead of "
                "-(y/p - (1 - y)/(1 - p))")
    if how == "extra" and cancels:
        return ("the output delta is multiplied by the output's derivative p (1 - p), a "
                "squared-error habit: with cross-entropy the derivative cancels and the "
                "delta is p - y")
    if how == "missing" and route == "chained" and ctx.loss == "cross_entropy":
        return (f"the output's backward step is missing: dL/dp is passed on as the output "
                f"delta without the {out}'s derivative" + (" p (1 - p)" if out == "sigmoid"
                                                           else "'s Jacobian"))
    if how == "missing":
        if ctx.output == "softmax":
            return ("the output delta is p - y, but the loss is squared error through a "
                    "softmax: it lacks the softmax's Jacobian")
        return ("the output delta is p - y, the gradient that softmax or sigmoid outputs give "
                "with cross-entropy, but the loss is squared error through sigmoid outputs: "
                "it lacks the sigmoid's derivative p (1 - p)")
    return {
        "extra": "the softmax's Jacobian is reduced to its diagonal p (1 - p): the terms "
                 "-p_i p_j that couple the outputs are missing" if ctx.output == "softmax"
                 else f"the {out}'s derivative p (1 - p) is applied twice",
        "squared": f"the {out}'s derivative p (1 - p) is squared",
        "outer_as_inner": "the softmax's Jacobian diag(p) - p p^T is built with the inner "
                          "product p . p instead of the outer product p p^T (np.dot(s, s.T) "
                          "on a 1-d s: the reshape to a column is missing)",
        "wrong_axis": "the softmax's backward sums over the batch (axis=0) instead of over "
                      "each sample's outputs",
        "sigmoid_of_z_at_p": "the output sigmoid's derivative is computed from the output "
                             "A instead of from Z: sigmoid(A) (1 - sigmoid(A)) instead of "
                             "A (1 - A) (sigmoid_backward given the activation, not the cache "
                             "Z)",
        "sigmoid_of_h_at_z": "the output sigmoid's derivative is taken at the scores z: "
                             "z (1 - z) instead of p (1 - p)",
    }[how]


SLIPS = [
    Slip("transposed", Matmul, _transposes, _transposed, _transposed_words),
    Slip("operand", Matmul, _operand_keys, _operand, _operand_words),
    Slip("operand", RowSum, _operand_keys, _operand, _operand_words),
    Slip("axis", RowSum, _axis_keys, _axis, _axis_words),
    Slip("power", Derivative, _power_keys, _power, _power_words),  # first: where a form
    Slip("form", Derivative, _form_keys, _form, _form_words),  # gives the same numbers (a
    Slip("read_from", Derivative, _at_keys, _at, _at_words),  # mask of a sigmoid), "missing"
    Slip("probabilities", OutputDelta, _probs_keys, _probs, _probs_words),
    Slip("target", OutputDelta, _target_keys, _target, _target_words),
    Slip("output_derivative", OutputDelta, _derivative_keys, _output_derivative,
         _output_derivative_words),
]


def where_words(step: Step, ctx: Context) -> str:
    """Where a step sits, in the checker's array names."""
    kind, k = parse(step.node)
    if kind == "dz" and k == ctx.L:
        return "at the output"
    if kind == "dz":
        return f"at {between(k)}"
    if kind == "dh":
        return f"in the step from W{k} down to {between(k)}"
    if kind in ("dW", "db"):
        return f"in {layer_words(k)}" + (" (the output layer)" if k == ctx.L else "")
    return "in the gradient of X"


def location(node: str) -> str:
    """A program node as the public node vocabulary names it (``reference.NODES``; dW{k} and
    db{k} for the steps that compute layer k's gradients)."""
    kind, k = parse(node)
    if kind in ("dz", "dh"):
        return f"{kind[1]}{k}"
    if kind == "dx":
        return "x"
    if kind == "dp":
        return "p"
    return node
