"""``check_backprop``: hold *your* backward pass against the references, and name the bug.

You give your own parameters ``[W0, b0, W1, b1, ...]`` (each W as (n_in, n_out), the
textbook's and scikit-learn's layout, or (n_out, n_in), ``torch.nn.Linear``'s: the shapes
tell) and your function ``grad_fn(params, X, Y)`` returning the gradients in the same shapes
and order, or ``(loss, gradients)``. The checker

1. computes the right gradient itself (``reference.checking.backprop_variants``; verified on
   the spot against torch autograd, scikit-learn's own backprop where its conventions apply, and
   finite differences);
2. finds the conventions under which yours is exact: the batch summed or averaged, the
   outputs summed or averaged, squared error with or without its 1/2, the L2 term's form,
   whether it is divided by the batch size, whether the biases are penalised
   (``reference.checking.backprop_conventions``);
3. where none fits, names the mistake: an inconsistency between arrays (a bias gradient
   summed while the weights are averaged, an L2 term with the wrong sign, a sign flipped in
   the output delta, ...) or one of the classic backprop mistakes recognised by its
   fingerprint (``reference.checking.backprop_variants.MISTAKES``), with the arrays it
   affects; where
   nothing fits, it says where the error starts;
4. when your function returns a loss, checks by finite differences that your gradients are
   the gradient of *that* loss (``loss_ok``), and says how they differ if not.

Everything is computed in float64; your arrays are never modified.
"""

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F
from numpy.typing import ArrayLike

from reference.checking.backprop_conventions import SKLEARN, Convention, candidates, familiarity
from reference.checking.backprop_variants import (
    MISTAKES,
    data_gradient,
    describe,
    forward,
    unit_loss,
)
from reference.checking.gradients import finite_differences, relative_difference
from reference.twin.sklearn_adapters import sklearn_loss_and_gradients
from scratch.layers.activations import ACTIVATIONS

OUTPUTS = ("softmax", "logistic", "identity")
LOSSES = ("cross_entropy", "squared_error")
LOSS_RTOL = 1e-5  # finite differences of your loss are good to ~1e-9; this leaves room


@dataclass
class BackpropReport:
    """The verdict of ``check_backprop``.

    ``ok``: every gradient array is exact (within ``rtol``) under the detected conventions.
    ``conventions``: the detected conventions, in words. ``params``: one row per array, counted
    from the input (``name`` "W0", "b0", "W1", ...; ``shape``; ``ok``; ``rel_error``, the
    largest |yours - reference| over the largest magnitude). ``diagnosis``: sentences naming
    what is wrong and in which arrays. ``loss_ok``: whether your gradients are the gradient of
    the loss your function returns (None if it returns none). ``references``: how closely the
    checker's own reference agrees with torch autograd, scikit-learn's backprop (None where
    its conventions do not apply) and finite differences.
    """

    ok: bool
    conventions: dict[str, str]
    params: list[dict]
    diagnosis: list[str]
    loss_ok: bool | None
    references: dict[str, float | None] = field(default_factory=dict)

    def __str__(self) -> str:
        lines = [f"check_backprop: {'OK' if self.ok else 'NOT OK'}"]
        if self.conventions:
            lines.append("conventions:")
            lines += [f"  {key}: {value}" for key, value in self.conventions.items()]
        lines.append(f"  {'array':<6} {'shape':<12} {'ok':<4} relative error")
        for row in self.params:
            error = "-" if row["rel_error"] is None else f"{row['rel_error']:.1e}"
            lines.append(f"  {row['name']:<6} {str(tuple(row['shape'])):<12} "
                         f"{'yes' if row['ok'] else 'NO':<4} {error}")
        if self.loss_ok is not None:
            lines.append("loss: your gradients are " + ("" if self.loss_ok else "NOT ")
                         + "the gradient of the loss your function returns")
        if self.diagnosis:
            lines.append("diagnosis:")
            lines += [f"  - {sentence}" for sentence in self.diagnosis]
        if self.references:
            shown = ", ".join(f"{k} {'n/a' if v is None else f'{v:.0e}'}"
                              for k, v in self.references.items())
            lines.append(f"the reference itself, against: {shown}")
        return "\n".join(lines)


# --- reading the user's side -------------------------------------------------------------------

def _names(n_layers: int) -> list[str]:
    return [f"{kind}{i}" for i in range(n_layers) for kind in ("W", "b")]


def _layouts(params: list[np.ndarray], n_features: int) -> tuple[list[list[bool]], bool]:
    """Candidate layouts (per layer: is W stored as (n_out, n_in)?) and whether the shapes
    left it ambiguous (every W square)."""
    n_in, transposed = n_features, []
    for i in range(0, len(params), 2):
        W, b = params[i], params[i + 1]
        n_out = b.size
        if W.ndim != 2 or sorted(W.shape) != sorted((n_in, n_out)):
            raise ValueError(
                f"W{i // 2} has shape {W.shape}, but after {n_in} inputs and with b{i // 2} of "
                f"{n_out} values it must be ({n_in}, {n_out}) or ({n_out}, {n_in}).")
        transposed.append(None if n_in == n_out else W.shape == (n_out, n_in))
        n_in = n_out
    known = {t for t in transposed if t is not None}
    if len(known) > 1:
        raise ValueError("Some W are (n_in, n_out) and others (n_out, n_in); use one layout.")
    if known:
        return [[known.pop()] * len(transposed)], False
    return [[False] * len(transposed), [True] * len(transposed)], True


def _targets(Y: ArrayLike, output: str, n_outputs: int) -> np.ndarray:
    """Y as the network's target matrix (n_samples, n_outputs)."""
    Y = np.asarray(Y)
    if Y.ndim == 2 and Y.shape[1] == n_outputs:
        return Y.astype(np.float64)
    if Y.ndim == 1 or (Y.ndim == 2 and Y.shape[1] == 1):
        y = Y.ravel()
        if output == "identity" or (output == "logistic" and n_outputs == 1):
            return y.reshape(-1, 1).astype(np.float64)
        labels = y.astype(int)
        if labels.min() < 0 or labels.max() >= n_outputs or not np.array_equal(labels, y):
            raise ValueError(f"Y holds labels {np.unique(y)}, but the network has {n_outputs} "
                             "outputs: give labels 0..K-1 or a one-hot matrix.")
        return np.eye(n_outputs)[labels]
    raise ValueError(f"Y has shape {Y.shape}; the network has {n_outputs} outputs.")


def _call(grad_fn: Callable, params: list[np.ndarray], X: np.ndarray, Y: ArrayLike
          ) -> tuple[float | None, list[np.ndarray]]:
    result = grad_fn([p.copy() for p in params], X.copy(), np.array(Y, copy=True))
    loss = None
    if isinstance(result, tuple) and len(result) == 2 and np.ndim(result[0]) == 0:
        loss, result = float(result[0]), result[1]
    grads = [np.array(g, dtype=np.float64) for g in result]
    if len(grads) != len(params):
        raise ValueError(f"grad_fn returned {len(grads)} arrays for {len(params)} parameters; "
                         "return one gradient per parameter, in the same order.")
    return loss, grads


def _shape_problem(name: str, grad: np.ndarray, param: np.ndarray, n: int) -> str | None:
    if grad.shape == param.shape or (name[0] == "b" and grad.size == param.size
                                     and grad.ndim <= 2 and 1 in grad.shape + (1,)):
        return None
    if grad.shape == param.shape[::-1]:
        return (f"{name}'s gradient has shape {grad.shape} but {name} is {param.shape}: it is "
                "transposed (delta^T X instead of X^T delta, or the other layout's formula).")
    if name[0] == "b" and grad.shape[:1] == (n,):
        return (f"{name}'s gradient has one row per sample {grad.shape}: the bias gradient is "
                "not summed over the batch.")
    return f"{name}'s gradient has shape {grad.shape}, but {name} is {param.shape}."


# --- matching ------------------------------------------------------------------------------------

@dataclass
class _Problem:
    """One layout's arrays in scikit-learn's layout, flattened, float64."""

    names: list[str]
    grads: list[np.ndarray | None]  # the user's (None where the shape is wrong)
    theta: list[np.ndarray]
    coefs: list[np.ndarray]
    intercepts: list[np.ndarray]
    n: int
    K: int
    alpha: float
    candidates: list[Convention]
    loss_points: list[tuple[np.ndarray, np.ndarray]] | None = None  # (flat indices, d loss)

    def distance_to_loss(self, E: list[np.ndarray]) -> float:
        """How far a gradient is from finite differences of the user's own loss (0 where
        no loss was returned): the loss says which objective the user meant."""
        if not self.loss_points:
            return 0.0
        ours = np.concatenate([e[idx] for e, (idx, _) in zip(E, self.loss_points)])
        theirs = np.concatenate([values for _, values in self.loss_points])
        return relative_difference(ours, theirs) if ours.size else 0.0

    def expected_one(self, k: int, d: np.ndarray, conv: Convention, scale: float = 1.0,
                     l2: float = 1.0, biases: bool | None = None) -> np.ndarray:
        """Array k's gradient under ``conv``, with its data part times ``scale`` and its L2
        part times ``l2`` (and the biases penalised or not, if ``biases`` says)."""
        penalised = self.names[k][0] == "W" or (conv.biases if biases is None else biases)
        penalty = l2 * conv.l2(self.n) * self.alpha * self.theta[k] if penalised else 0.0
        return scale * conv.scale(self.n, self.K) * d + penalty

    def expected(self, D: list[np.ndarray], conv: Convention) -> list[np.ndarray]:
        return [self.expected_one(k, d, conv) for k, d in enumerate(D)]

    def errors(self, E: list[np.ndarray]) -> list[float]:
        return [math.inf if g is None else relative_difference(g, e)
                for g, e in zip(self.grads, E)]


# alternatives that explain one array's disagreement: (label, scale factor, l2 factor, biases)
def _alternatives(p: _Problem, conv: Convention, name: str) -> list[tuple[str, float, float,
                                                                         bool | None]]:
    alts = [("sign", -1.0, 1.0, None), ("everything_negated", -1.0, -1.0, None),
            ("times_n", p.n, 1.0, None), ("over_n", 1 / p.n, 1.0, None),
            ("all_times_n", p.n, p.n, None), ("all_over_n", 1 / p.n, 1 / p.n, None),
            ("times_2", 2.0, 1.0, None), ("half", 0.5, 1.0, None)]
    if p.K > 1:
        alts += [("times_K", p.K, 1.0, None), ("over_K", 1 / p.K, 1.0, None)]
    penalised = name[0] == "W" or conv.biases
    if p.alpha > 0 and penalised:
        alts += [("l2_sign", 1.0, -1.0, None), ("l2_missing", 1.0, 0.0, None),
                 ("l2_twice", 1.0, 2.0, None), ("l2_half", 1.0, 0.5, None),
                 ("l2_times_n", 1.0, p.n, None), ("l2_over_n", 1.0, 1 / p.n, None)]
    if p.alpha > 0 and name[0] == "b":
        alts.append(("bias_unpenalised", 1.0, 1.0, False) if conv.biases
                    else ("bias_penalised", 1.0, 1.0, True))
    return [a for a in alts if a[1] != 1.0 or a[2] != 1.0 or a[3] is not None]


@dataclass
class _Match:
    conv: Convention
    labels: list[str | None]  # "ok", an alternative's label, or None (unexplained)
    errors: list[float]  # against the correct gradient under ``conv``
    mistake: tuple[str, int | None] | None = None
    distance: float = 0.0  # from the user's own loss, where one was returned

    @property
    def explained(self) -> bool:
        return all(label is not None for label in self.labels)

    @property
    def score(self) -> tuple[int, int, float, int, float]:
        """Smaller is better: unexplained arrays, arrays explained only by an inconsistency,
        distance from the user's own loss, unfamiliarity, then the errors themselves."""
        unexplained = sum(label is None for label in self.labels)
        alternatives = sum(label not in (None, "ok") for label in self.labels)
        finite = [e for e in self.errors if math.isfinite(e)]
        return (unexplained, alternatives, round(self.distance, 3), familiarity(self.conv),
                sum(math.log10(e + 1e-300) for e in finite))


def _match(p: _Problem, D: list[np.ndarray], rtol: float, allow_alternatives: bool = True
           ) -> _Match:
    """The convention that explains the most arrays (then with the fewest alternatives)."""
    best = None
    for conv in p.candidates:
        E = p.expected(D, conv)
        errors = p.errors(E)
        labels = []
        for k, (name, error) in enumerate(zip(p.names, errors)):
            if error <= rtol:
                labels.append("ok")
                continue
            label = None
            if allow_alternatives and p.grads[k] is not None:
                for alt, scale, l2, biases in _alternatives(p, conv, name):
                    variant = p.expected_one(k, D[k], conv, scale, l2, biases)
                    if relative_difference(p.grads[k], variant) <= rtol:
                        label = alt
                        break
            labels.append(label)
        match = _Match(conv, labels, errors, distance=p.distance_to_loss(E))
        if best is None or match.score < best.score:
            best = match
    return best


def _mistake_layers(p: _Problem, name: str, activation: str, output: str, loss: str
                    ) -> list[int | None]:
    mistake = MISTAKES[name]
    if mistake.activations and activation not in mistake.activations:
        return []
    if mistake.outputs and (output, loss) not in mistake.outputs:
        return []
    if mistake.where == "output":
        return [None]
    n_layers = len(p.coefs)
    layers = range(n_layers - 1) if mistake.where == "hidden" else range(n_layers)
    if not mistake.square:
        return list(layers)
    if name == "backward_without_transpose":  # delta W with W of the layer above
        return [i for i in layers if p.coefs[i + 1].shape[0] == p.coefs[i + 1].shape[1]]
    return [i for i in layers if p.coefs[i].shape[0] == p.coefs[i].shape[1]]


# --- the verdict, in words -----------------------------------------------------------------------

def _join(names: Sequence[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


SCALES = ("sign", "everything_negated", "times_n", "over_n", "all_times_n", "all_over_n",
          "times_2", "half", "times_K", "over_K")


def _alternative_sentences(p: _Problem, match: _Match) -> list[str]:
    """One sentence per kind of inconsistency between arrays. Where some arrays stay
    unexplained, a whole layer off by a factor is a symptom of the error further down the
    backward pass, not a finding of its own: only the L2 and bias findings are kept."""
    groups: dict[str, list[str]] = {}
    unexplained = any(label is None for label in match.labels)
    for name, label in zip(p.names, match.labels):
        if label not in (None, "ok") and not (unexplained and label in SCALES):
            groups.setdefault(label, []).append(name)
    everything = len(p.names)
    mean = match.conv.batch == "mean"
    sentences = []
    for label, names in groups.items():
        who = _join(names)
        whole = len(names) == everything
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
                    f"{theirs} gradients ({_join(others)}) are "
                    + ("averaged" if larger else "summed")
                    + f" ({p.n} times {'too large' if larger else 'too small'} beside them)")
        sentences.append((text if text.startswith(who) else text[0].upper() + text[1:]) + ".")
    return sentences


FACTORS = {"sign": "-1", "everything_negated": "-1", "times_n": "n", "over_n": "1/n",
           "all_times_n": "n", "all_over_n": "1/n",
           "times_2": "2", "half": "1/2", "times_K": "K", "over_K": "1/K"}


def _scaled_block(p: _Problem, match: _Match) -> str | None:
    """Every array from the input up to layer l off by one factor, every array above right:
    no convention does that (a convention scales every array alike), a backward step does."""
    labels = dict(zip(p.names, match.labels))
    last = len(p.coefs) - 1
    for top in range(last):
        below = [labels[f"{k}{i}"] for i in range(top + 1) for k in "Wb"]
        above = [labels[f"{k}{i}"] for i in range(top + 1, last + 1) for k in "Wb"]
        if len(set(below)) == 1 and below[0] in SCALES and set(above) == {"ok"}:
            wrong = [f"{k}{i}" for i in range(top + 1) for k in "Wb"]
            return (f"{_join(wrong)} are {FACTORS[below[0]]} times what they should be while "
                    f"the layers above are right: the error enters in the backward step from "
                    f"layer {top + 1} to layer {top} (between W{top + 1} and W{top}), where the "
                    "error passed back is scaled: check the activation derivative f'(z) there "
                    "and the product delta W^T.")
    return None


def _where_it_starts(p: _Problem, match: _Match, activation: str, output: str,
                     loss: str) -> str:
    wrong = [name for name, label in zip(p.names, match.labels)
             if label is None or label in SCALES]
    right = [name for name, label in zip(p.names, match.labels) if label == "ok"]
    layers_wrong = sorted({int(name[1:]) for name in wrong})
    last = len(p.coefs) - 1
    text = (f"{_join(wrong)} {'matches' if len(wrong) == 1 else 'match'} no convention and no "
            "catalogued mistake" + (f"; {_join(right)} {'is' if len(right) == 1 else 'are'} "
                                    "right" if right else "") + ". ")
    if not right:
        return text + (f"Nothing is right, the output layer included: check that your forward "
                       f"pass is the one declared (activation={activation!r}, output={output!r}, "
                       f"loss={loss!r}) and the output delta.")
    if all(name[0] == "b" for name in wrong):
        return text + "Only biases are wrong: check how the bias gradient sums delta over the " \
                      "batch."
    if last in layers_wrong:
        return text + "The output layer is wrong already: check the output delta and the " \
                      "output layer's gradient h^T delta."
    top = max(layers_wrong)
    return text + (f"The error enters in the backward step from layer {top + 1} to layer {top} "
                   f"(between W{top + 1} and W{top}): check the activation derivative f'(z) "
                   "there and the product delta W^T.")


# --- the loss check ------------------------------------------------------------------------------

def _user_l2_gradient(p: _Problem, match: _Match, expected: float) -> float:
    """The L2 coefficient the user's weight gradients carry: the convention's (``expected``),
    times the factor of an L2 mistake found in every weight array (-1 for a wrong sign...)."""
    factors = {label: l2 for label, scale, l2, _ in _alternatives(p, match.conv, "W0")
               if scale == 1.0 and label.startswith("l2_")}
    labels = {label for name, label in zip(p.names, match.labels) if name[0] == "W"}
    if len(labels) == 1 and (label := labels.pop()) in factors:
        return expected * factors[label]
    return expected


def _check_loss(fd: list[tuple[np.ndarray, np.ndarray]], params: list[np.ndarray],
                grads: list[np.ndarray], names: list[str], l2_gradient: float
                ) -> tuple[bool, str | None]:
    """Finite differences of the user's own loss (``fd``, per array: flat indices and
    derivatives) against the user's own gradient."""
    ours = [g.ravel()[idx] for g, (idx, _) in zip(grads, fd)]
    numeric = [values for _, values in fd]
    if all(relative_difference(a, b) <= LOSS_RTOL for a, b in zip(ours, numeric) if a.size):
        return True, None
    # explain: numeric = a * yours + delta * W on the weights
    g = np.concatenate(ours)
    w = np.concatenate([np.asarray(params[k]).ravel()[idx] if names[k][0] == "W"
                        else np.zeros(len(idx)) for k, (idx, _) in enumerate(fd)])
    A = np.column_stack([g, w])
    (a, delta), *_ = np.linalg.lstsq(A, np.concatenate(numeric), rcond=None)
    fitted = relative_difference(A @ [a, delta], np.concatenate(numeric)) <= LOSS_RTOL
    if fitted and abs(a - 1) < 1e-3 and abs(delta) > 0:
        in_loss = l2_gradient + delta
        if l2_gradient == 0:
            return False, (f"Your loss has an L2 term (its gradient {in_loss:.3g} W) that your "
                           "gradient lacks.")
        ratio = in_loss / l2_gradient
        if ratio < 0:
            return False, (f"The L2 term has opposite signs in your loss and your gradient: "
                           f"the loss's L2 term has the gradient {in_loss:.3g} W, your "
                           f"gradient adds {l2_gradient:.3g} W.")
        words = {2.0: "twice", 0.5: "half", 0.0: "none of"}.get(round(ratio, 3),
                                                                 f"{ratio:.3g} times")
        return False, (f"The L2 term of your loss is {words} what your gradient "
                       f"differentiates: the loss's L2 term has the gradient {in_loss:.3g} W, "
                       f"your gradient adds {l2_gradient:.3g} W (a penalty l2 * sum W^2 has "
                       "the gradient 2 l2 W; write it l2/2 * sum W^2 to match an update that "
                       "adds l2 W).")
    if fitted and abs(delta) < 1e-12 and a != 0:
        return False, (f"Your loss is {a:.4g} times the objective your gradient is the "
                       "gradient of (e.g. 1/n: the loss averages over the batch while the "
                       "gradient sums).")
    return False, ("Your gradients are not the gradient of the loss your function returns, "
                   "and no scale or L2 term explains the difference: if the gradient is wrong "
                   "(see above), mend it first; else check that both come from the same "
                   "forward pass.")


# --- the references, checked on the spot -----------------------------------------------------

_TORCH_ACTIVATIONS = {"identity": lambda z, s: z, "logistic": lambda z, s: torch.sigmoid(z),
                      "tanh": lambda z, s: torch.tanh(z), "relu": lambda z, s: torch.relu(z),
                      "leaky_relu": lambda z, s: F.leaky_relu(z, s)}


def _torch_gradients(p: _Problem, X: np.ndarray, Y: np.ndarray, conv: Convention,
                     activation: str, output: str, loss: str, slope: float) -> list[np.ndarray]:
    """Autograd on the objective the convention describes."""
    coefs = [torch.tensor(W, requires_grad=True) for W in p.coefs]
    intercepts = [torch.tensor(b, requires_grad=True) for b in p.intercepts]
    h, Yt = torch.tensor(X), torch.tensor(Y)
    for i, (W, b) in enumerate(zip(coefs, intercepts)):
        z = h @ W + b
        h = _TORCH_ACTIVATIONS[activation](z, slope) if i < len(coefs) - 1 else z
    if loss == "squared_error":
        out = {"softmax": lambda z: torch.softmax(z, 1), "logistic": torch.sigmoid,
               "identity": lambda z: z}[output](h)
        per_sample = 0.5 * ((out - Yt) ** 2).sum(1)
    elif output == "softmax":
        per_sample = -(Yt * torch.log_softmax(h, 1)).sum(1)
    else:
        per_sample = F.binary_cross_entropy_with_logits(h, Yt, reduction="none").sum(1)
    objective = conv.scale(p.n, p.K) * per_sample.sum()
    c = conv.l2(p.n) * p.alpha
    for W, b in zip(coefs, intercepts):
        objective = objective + 0.5 * c * ((W**2).sum() + ((b**2).sum() if conv.biases else 0))
    objective.backward()
    return [t.grad.numpy().ravel() for pair in zip(coefs, intercepts) for t in pair]


def _references(p: _Problem, X: np.ndarray, Y: np.ndarray, conv: Convention, E: list,
                activation: str, output: str, loss: str, slope: float, valid: Callable
                ) -> dict[str, float | None]:
    worst = lambda a, b: max(relative_difference(x, y) for x, y in zip(a, b))  # noqa: E731
    refs = {"torch autograd": worst(E, _torch_gradients(p, X, Y, conv, activation, output,
                                                         loss, slope))}
    canonical = (output, loss) in (("softmax", "cross_entropy"), ("logistic", "cross_entropy"),
                                   ("identity", "squared_error"))
    sklearn_like = conv.batch == "mean" and conv.outputs == "sum" and conv.half and (
        p.alpha == 0 or (conv.l2_form, conv.l2_per_sample, conv.biases) ==
        (SKLEARN.l2_form, SKLEARN.l2_per_sample, SKLEARN.biases))
    refs["scikit-learn's backprop"] = None
    if canonical and sklearn_like and activation in ("identity", "logistic", "tanh", "relu"):
        _, dW, db = sklearn_loss_and_gradients(p.coefs, p.intercepts, X, Y,
                                               activation=activation, out_activation=output,
                                               alpha=p.alpha)
        refs["scikit-learn's backprop"] = worst(E, [g.ravel() for pair in zip(dW, db)
                                                    for g in pair])

    def objective(flat: list[np.ndarray]) -> float:
        coefs, intercepts = flat[0::2], flat[1::2]
        _, _, out = forward(coefs, intercepts, X, activation, output, slope)
        data = unit_loss(out, Y, output, loss).sum() * conv.scale(p.n, p.K)
        c = conv.l2(p.n) * p.alpha
        penalty = sum((W**2).sum() for W in coefs) + (
            sum((b**2).sum() for b in intercepts) if conv.biases else 0)
        return data + 0.5 * c * penalty

    params = [a for pair in zip(p.coefs, p.intercepts) for a in pair]
    fd = finite_differences(objective, params, max_coordinates=6, valid=valid)
    refs["finite differences"] = max(relative_difference(e[idx], values)
                                     for e, (idx, values) in zip(E, fd) if idx.size) \
        if any(idx.size for idx, _ in fd) else None
    return refs


# --- the checker ---------------------------------------------------------------------------------

def check_backprop(grad_fn: Callable, params: Sequence[ArrayLike], X: ArrayLike, Y: ArrayLike,
                   *, activation: str = "logistic", output: str = "softmax",
                   loss: str = "cross_entropy", alpha: float = 0.0, rtol: float = 1e-6,
                   negative_slope: float = 0.01) -> BackpropReport:
    """Check ``grad_fn``'s gradients of a multilayer perceptron; see the module docstring.

    Parameters
    ----------
    grad_fn : callable
        ``grad_fn(params, X, Y)`` -> gradients shaped like ``params``, or (loss, gradients).
    params : list of arrays
        [W0, b0, W1, b1, ...], W as (n_in, n_out) or (n_out, n_in).
    X : array (n_samples, n_features)
    Y : integer labels (n_samples,) or a one-hot / indicator / target matrix
        (n_samples, n_outputs); passed to ``grad_fn`` as given.
    activation : hidden activation, one of identity, logistic, tanh, relu, leaky_relu.
    output : "softmax", "logistic" (one sigmoid per output) or "identity".
    loss : "cross_entropy" or "squared_error".
    alpha : the L2 strength your code uses (0: no L2 term is checked).
    rtol : largest relative error an array may have and count as exact.

    Example
    -------
    >>> report = check_backprop(my_gradients, [W0, b0, W1, b1], X, y, activation="tanh")
    >>> print(report)  # doctest: +SKIP
    """
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, got {activation!r}.")
    if output not in OUTPUTS or loss not in LOSSES or (output, loss) == ("identity",
                                                                         "cross_entropy"):
        raise ValueError(f"output must be one of {OUTPUTS} and loss one of {LOSSES} (not "
                         f"identity with cross_entropy), got {output!r}, {loss!r}.")
    originals = [np.asarray(a) for a in params]
    if len(originals) < 2 or len(originals) % 2:
        raise ValueError("params must be [W0, b0, W1, b1, ...]: weights and biases in pairs.")
    X = np.array(X, dtype=np.float64)
    if X.ndim != 2:
        raise ValueError(f"X must be (n_samples, n_features), got shape {X.shape}.")
    as_float = [a.astype(np.float64) for a in originals]
    n_layers, n = len(as_float) // 2, X.shape[0]
    names = _names(n_layers)
    layouts, ambiguous = _layouts(as_float, X.shape[1])
    K = as_float[-1].size
    target = _targets(Y, output, K)

    loss_value, grads = _call(grad_fn, originals, X, Y)
    _, again = _call(grad_fn, originals, X, Y)
    diagnosis = []
    changed = [name for name, a, b in zip(names, grads, again)
               if a.shape != b.shape or not np.array_equal(a, b)]
    if changed:
        diagnosis.append(f"grad_fn returned different gradients for the same inputs on a "
                         f"second call ({_join(changed)}): are gradients accumulated across "
                         "calls without being reset to zero?")
    shape_problems = {name: _shape_problem(name, g, a, n)
                      for name, g, a in zip(names, grads, as_float)}
    diagnosis += [text for text in shape_problems.values() if text]

    loss_fd = None
    if loss_value is not None:  # finite differences of the user's own loss, used twice
        unkinked = _no_kink_crossed(_to_sklearn(as_float, layouts[0]), X, activation,
                                    negative_slope)
        loss_fd = finite_differences(lambda moved: _call(grad_fn, moved, X, Y)[0], as_float,
                                     max_coordinates=12,
                                     valid=lambda moved: unkinked(_to_sklearn(moved, layouts[0])))
    best = None
    for layout in layouts:
        problem = _problem(as_float, grads, layout, names, shape_problems, n, K, alpha,
                           loss, output, loss_fd)
        D = _flat(data_gradient(problem.coefs, problem.intercepts, X, target, activation,
                                output, loss, negative_slope))
        match = _match(problem, D, rtol)
        if best is None or match.score < best[1].score:
            best = (layout, match, problem, D)
    layout, match, problem, D = best

    if any(label is None for label in match.labels):
        found = _find_mistake(problem, X, target, activation, output, loss, negative_slope,
                              rtol, D)
        if found is not None:
            match = found
    conv = match.conv
    E = problem.expected(D, conv)
    rows = [{"name": name, "shape": tuple(a.shape), "rel_error": None if g is None else e,
             "ok": g is not None and e <= rtol}
            for name, a, g, e in zip(names, as_float, problem.grads, problem.errors(E))]
    if match.mistake is not None:
        diagnosis.append(_mistake_sentence(problem, match, X, target, activation, output, loss,
                                           negative_slope, rtol, D))
    elif _scaled_block(problem, match) is not None:
        diagnosis.append(_scaled_block(problem, match))
    else:
        diagnosis += _alternative_sentences(problem, match)
        if any(label is None for label in match.labels):
            diagnosis.append(_where_it_starts(problem, match, activation, output, loss))
    words = conv.words(loss, output, n, K, alpha)
    layout_words = ("(n_out, n_in) per W, torch.nn.Linear's layout (z = x W^T + b)" if layout[0]
                    else "(n_in, n_out) per W, the textbook's and scikit-learn's layout "
                         "(z = x W + b)")
    if ambiguous:
        layout_words += "; every W is square, so both layouts were tried and this one fits"
    known = any(r["ok"] for r in rows) or match.explained or match.mistake is not None
    conventions = {"layout": layout_words, **words} if known else {"layout": layout_words}
    loss_ok = None
    if loss_fd is not None:
        loss_ok, sentence = _check_loss(loss_fd, as_float, grads, names,
                                        _user_l2_gradient(problem, match, conv.l2(n) * alpha))
        if sentence and (all(r["ok"] for r in rows) or "L2 term of your loss" in sentence):
            diagnosis.append(sentence)  # (a wrong gradient is not the loss's: said above)
    sk_params = [a for pair in zip(problem.coefs, problem.intercepts) for a in pair]
    references = _references(problem, X, target, conv, E, activation, output, loss,
                             negative_slope,
                             _no_kink_crossed(sk_params, X, activation, negative_slope))
    ok = all(r["ok"] for r in rows) and not changed
    return BackpropReport(ok, conventions, rows, diagnosis, loss_ok, references)


def assert_backprop(grad_fn: Callable, params: Sequence[ArrayLike], X: ArrayLike, Y: ArrayLike,
                    **kwargs: object) -> BackpropReport:
    """``check_backprop`` for your own tests: raises ``AssertionError(str(report))`` unless
    the report is ok; returns the report otherwise."""
    report = check_backprop(grad_fn, params, X, Y, **kwargs)
    if not report.ok:
        raise AssertionError(str(report))
    return report


# --- helpers of the checker ----------------------------------------------------------------------

def _flat(arrays: list[np.ndarray]) -> list[np.ndarray]:
    return [a.ravel() for a in arrays]


def _to_sklearn(params: list[np.ndarray], layout: list[bool]) -> list[np.ndarray]:
    out = []
    for i in range(0, len(params), 2):
        W = np.asarray(params[i], dtype=np.float64)
        out += [W.T if layout[i // 2] else W, np.asarray(params[i + 1], np.float64).ravel()]
    return out


def _problem(params: list[np.ndarray], grads: list[np.ndarray], layout: list[bool],
             names: list[str], shape_problems: dict, n: int, K: int, alpha: float,
             loss: str, output: str, loss_fd: list | None = None) -> _Problem:
    sk = _to_sklearn(params, layout)
    points = None
    if loss_fd is not None:  # the user's flat indices, as indices into scikit-learn's layout
        points = []
        for k, (idx, values) in enumerate(loss_fd):
            if names[k][0] == "W" and layout[k // 2]:
                n_out, n_in = params[k].shape
                idx = (idx % n_in) * n_out + idx // n_in
            points.append((idx, values))
    user = []
    for k, (name, g) in enumerate(zip(names, grads)):
        if shape_problems[name]:
            user.append(None)
        elif name[0] == "W":
            user.append((g.T if layout[k // 2] else g).ravel())
        else:
            user.append(g.ravel())
    return _Problem(names, user, [a.ravel() for a in sk], sk[0::2], sk[1::2], n, K, alpha,
                    candidates(loss, output, K, alpha), points)


def _no_kink_crossed(params: list[np.ndarray], X: np.ndarray, activation: str, slope: float
                     ) -> Callable[[list[np.ndarray]], bool]:
    """Whether a point moved from ``params`` (both in scikit-learn's layout) is usable for
    finite differences: no ReLU unit has crossed 0 on the batch (no kink in between)."""
    base = _pattern(params, X, activation, slope)
    return lambda moved: _pattern(moved, X, activation, slope) == base


def _pattern(params: list[np.ndarray], X: np.ndarray, activation: str, slope: float) -> bytes:
    """Which hidden units are positive, for the kinked activations (b'' for the smooth)."""
    if activation not in ("relu", "leaky_relu"):
        return b""
    zs, _, _ = forward(params[0::2], params[1::2], X, activation, "identity", slope)
    return b"".join(np.packbits(z > 0).tobytes() for z in zs[:-1])


def _find_mistake(p: _Problem, X: np.ndarray, Y: np.ndarray, activation: str, output: str,
                  loss: str, slope: float, rtol: float, D: list[np.ndarray]) -> _Match | None:
    """The first catalogued mistake that explains every array, with its convention."""
    for name in MISTAKES:
        for layer in _mistake_layers(p, name, activation, output, loss):
            Dm = _flat(data_gradient(p.coefs, p.intercepts, X, Y, activation, output, loss,
                                     slope, mistake=name, layer=layer))
            if all(relative_difference(a, b) <= rtol for a, b in zip(Dm, D)):
                continue  # this mistake changes nothing here
            match = _match(p, Dm, rtol, allow_alternatives=False)
            if all(label == "ok" for label in match.labels):
                correct = _match(p, D, rtol, allow_alternatives=False)
                return _Match(match.conv, correct.labels, correct.errors, (name, layer))
    return None


def _mistake_sentence(p: _Problem, match: _Match, X: np.ndarray, Y: np.ndarray,
                      activation: str, output: str, loss: str, slope: float, rtol: float,
                      D: list[np.ndarray]) -> str:
    name, layer = match.mistake
    Dm = _flat(data_gradient(p.coefs, p.intercepts, X, Y, activation, output, loss, slope,
                             mistake=name, layer=layer))
    affected = [n for n, a, b in zip(p.names, Dm, D) if relative_difference(a, b) > rtol]
    text = describe(name, activation)
    kind = MISTAKES[name].where
    where = ("" if kind == "output" else
             f", at hidden layer {layer + 1}'s activation (between W{layer} and W{layer + 1})"
             if kind == "hidden" else f", in layer {layer} (W{layer}, b{layer})")
    return f"{_join(affected)} {'is' if len(affected) == 1 else 'are'} wrong: {text}{where}."
