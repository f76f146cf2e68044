"""Which conventions explain a user's gradients, and which mistake explains the rest.

Every array is compared, in scikit-learn's layout and flattened, with the right gradient under
each candidate convention (``conventions.candidates``): G = scale * D + l2 * alpha * theta.
An array that matches under none may still match a variant of it (``alternatives``: the data
part times -1, n, 1/n, 2, K, any constant; the L2 term missing, doubled, with the wrong sign,
alone; L1 instead of L2; a bias penalised or not), which names an inconsistency between
arrays. Where arrays stay unexplained, ``find_mistake`` tries each catalogued mistake
(``variants.MISTAKES``) at each place it can be made, and in every such place at once.
"""

import math
from dataclasses import dataclass

import numpy as np

from reference.checking.backprop.conventions import Convention, familiarity
from reference.checking.backprop.variants import MISTAKES, applies, data_gradient
from reference.checking.compare import relative_difference


@dataclass
class Problem:
    """One layout's arrays in scikit-learn's layout, flattened, float64."""

    names: list[str]  # "W0", "b0", "W1", ... (the checker's own; the report uses the user's)
    grads: list[np.ndarray | None]  # the user's (None where the shape or values are unusable)
    theta: list[np.ndarray]
    coefs: list[np.ndarray]
    intercepts: list[np.ndarray]
    n: int
    K: int
    alpha: float
    candidates: list[Convention]
    loss_points: list[tuple[int, np.ndarray, float]] | None = None  # (array, step, change)

    def distance_to_loss(self, E: list[np.ndarray]) -> float:
        """How far a gradient is from the changes of the user's own loss measured along a
        few steps (0 where no loss was returned): the loss says which objective the user
        meant."""
        if not self.loss_points:
            return 0.0
        ours = np.array([E[k] @ step for k, step, _ in self.loss_points])
        theirs = np.array([change for _, _, change in self.loss_points])
        return relative_difference(ours, theirs)

    def penalised(self, k: int, conv: Convention, biases: bool | None = None) -> bool:
        return self.names[k][0] == "W" or (conv.biases if biases is None else biases)

    def expected_one(self, k: int, d: np.ndarray, conv: Convention, scale: float = 1.0,
                     l2: float = 1.0, biases: bool | None = None, l1: bool = False
                     ) -> np.ndarray:
        """Array k's gradient under ``conv``, with its data part times ``scale`` and its L2
        part times ``l2`` (the biases penalised or not, if ``biases`` says; the penalty's
        gradient alpha sign(theta), L1's, if ``l1``)."""
        penalty = 0.0
        if self.penalised(k, conv, biases):
            term = np.sign(self.theta[k]) if l1 else self.theta[k]
            penalty = l2 * conv.l2(self.n) * self.alpha * term
        return scale * conv.scale(self.n, self.K) * d + penalty

    def expected(self, D: list[np.ndarray], conv: Convention) -> list[np.ndarray]:
        return [self.expected_one(k, d, conv) for k, d in enumerate(D)]

    def errors(self, E: list[np.ndarray]) -> list[float]:
        return [math.inf if g is None else relative_difference(g, e)
                for g, e in zip(self.grads, E)]


# alternatives that explain one array's disagreement: (label, scale factor, l2 factor, biases)
def alternatives(p: Problem, conv: Convention, name: str
                 ) -> list[tuple[str, float, float, bool | None]]:
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
                 ("l2_times_n", 1.0, p.n, None), ("l2_over_n", 1.0, 1 / p.n, None),
                 ("l2_only", 0.0, 1.0, None)]
    if p.alpha > 0 and name[0] == "b":
        alts.append(("bias_unpenalised", 1.0, 1.0, False) if conv.biases
                    else ("bias_penalised", 1.0, 1.0, True))
    return [a for a in alts if a[1] != 1.0 or a[2] != 1.0 or a[3] is not None]


SCALES = ("sign", "everything_negated", "times_n", "over_n", "all_times_n", "all_over_n",
          "times_2", "half", "times_K", "over_K")


def is_scale(label: str | None) -> bool:
    """A label that says an array is a constant times the right one."""
    return label in SCALES or (label or "").startswith("factor:")


def factor_of(label: str, p: Problem) -> float:
    return {"sign": -1.0, "everything_negated": -1.0, "times_n": p.n, "over_n": 1 / p.n,
            "all_times_n": p.n, "all_over_n": 1 / p.n, "times_2": 2.0, "half": 0.5,
            "times_K": p.K, "over_K": 1 / p.K}.get(label) or float(label.split(":")[1])


def _constant_factor(g: np.ndarray, e: np.ndarray, rtol: float) -> float | None:
    """c when g is c times e (c not 0 or 1), else None."""
    ee = float(e @ e)
    if ee == 0.0:
        return None
    c = float(g @ e) / ee
    if c == 0.0 or abs(c - 1.0) <= 10 * rtol or relative_difference(g, c * e) > rtol:
        return None
    return c


def _label(p: Problem, k: int, D: list[np.ndarray], conv: Convention, E: np.ndarray,
           rtol: float) -> str | None:
    """Which variant of the right gradient array k equals, if any."""
    g = p.grads[k]
    for alt, scale, l2, biases in alternatives(p, conv, p.names[k]):
        if relative_difference(g, p.expected_one(k, D[k], conv, scale, l2, biases)) <= rtol:
            return alt
    if p.alpha > 0 and p.penalised(k, conv) and relative_difference(
            g, p.expected_one(k, D[k], conv, l1=True)) <= rtol:
        return "l1_instead_of_l2"
    if not g.any():
        return "zeros"
    c = _constant_factor(g, E, rtol)
    return None if c is None else f"factor:{c:.6g}"


@dataclass
class Match:
    conv: Convention
    labels: list[str | None]  # "ok", an alternative's label, or None (unexplained)
    errors: list[float]  # against the correct gradient under ``conv``
    mistake: tuple[str, int | str | None] | None = None
    distance: float = 0.0  # from the user's own loss, where one was returned

    @property
    def explained(self) -> bool:
        return all(label is not None for label in self.labels)

    @property
    def score(self) -> tuple[int, int, int, float, int, float]:
        """Smaller is better: unexplained arrays, arrays explained only by a factor nobody
        uses, by an inconsistency, distance from the user's own loss, unfamiliarity, then the
        errors themselves."""
        unexplained = sum(label is None for label in self.labels)
        generic = sum((label or "").startswith("factor:") for label in self.labels)
        alternative = sum(label not in (None, "ok") for label in self.labels)
        finite = [e for e in self.errors if math.isfinite(e)]
        return (unexplained, generic, alternative, round(self.distance, 3),
                familiarity(self.conv), sum(math.log10(e + 1e-300) for e in finite))


def match(p: Problem, D: list[np.ndarray], rtol: float, allow_alternatives: bool = True
          ) -> Match:
    """The convention that explains the most arrays (then with the fewest alternatives)."""
    best = None
    for conv in p.candidates:
        E = p.expected(D, conv)
        errors = p.errors(E)
        labels = []
        for k, error in enumerate(errors):
            if error <= rtol:
                labels.append("ok")
            elif allow_alternatives and p.grads[k] is not None:
                labels.append(_label(p, k, D, conv, E[k], rtol))
            else:
                labels.append(None)
        found = Match(conv, labels, errors, distance=p.distance_to_loss(E))
        if best is None or found.score < best.score:
            best = found
    return best


def mistake_sites(p: Problem, name: str, activation: str, output: str, loss: str
                  ) -> list[int | str | None]:
    """Where mistake ``name`` can be made in this network: layer indices, and "every" where
    it can be made in more than one place."""
    mistake = MISTAKES[name]
    if not applies(name, activation, output, loss):
        return []
    if mistake.where == "output":
        return [None]
    n_layers = len(p.coefs)
    layers = list(range(n_layers - 1) if mistake.where == "hidden" else range(n_layers))
    if mistake.above_input:
        layers = [i for i in layers if i > 0]
    if name in ("gradients_before_the_derivative", "weight_gradient_before_the_derivative",
                "bias_gradient_before_the_derivative"):
        layers = [i for i in layers if i < n_layers - 1]
    if name in ("derivative_of_the_layer_above", "passed_down_before_the_derivative"):
        layers = [k for k in layers if k + 1 < n_layers - 1]
    if name == "derivative_of_the_layer_above":
        layers = [k for k in layers if p.coefs[k].shape[1] == p.coefs[k + 1].shape[1]]
    if mistake.square:
        if name in ("backward_without_transpose", "backward_without_weights"):
            layers = [i for i in layers if p.coefs[i + 1].shape[0] == p.coefs[i + 1].shape[1]]
        else:
            layers = [i for i in layers if p.coefs[i].shape[0] == p.coefs[i].shape[1]]
    output_too = mistake.at_output and output == "logistic" and loss == "squared_error"
    every = ["every"] if len(layers) > 1 or (layers and output_too) else []
    return layers + (["output"] if output_too else []) + every


def find_mistake(p: Problem, X: np.ndarray, Y: np.ndarray, activation: str, output: str,
                 loss: str, slope: float, rtol: float, D: list[np.ndarray]) -> Match | None:
    """The first catalogued mistake that explains every array, with its convention."""
    for name in MISTAKES:
        for site in mistake_sites(p, name, activation, output, loss):
            Dm = mistaken_gradient(p, X, Y, activation, output, loss, slope, name, site)
            if all(relative_difference(a, b) <= rtol for a, b in zip(Dm, D)):
                continue  # this mistake changes nothing here
            found = match(p, Dm, rtol, allow_alternatives=False)
            if all(label == "ok" for label in found.labels):
                correct = match(p, D, rtol, allow_alternatives=False)
                return Match(found.conv, correct.labels, correct.errors, (name, site))
    return None


def mistaken_gradient(p: Problem, X: np.ndarray, Y: np.ndarray, activation: str, output: str,
                      loss: str, slope: float, name: str, site: int | str | None
                      ) -> list[np.ndarray]:
    return [a.ravel() for a in data_gradient(p.coefs, p.intercepts, X, Y, activation, output,
                                             loss, slope, mistake=name, layer=site)]


def scaled_block(p: Problem, found: Match) -> tuple[int, float] | None:
    """(top, factor) when every array from the input up to layer ``top`` is off by one
    factor and every array above is right: no convention does that (a convention scales
    every array alike), a backward step does."""
    labels = dict(zip(p.names, found.labels))
    last = len(p.coefs) - 1
    for top in range(last):
        below = [labels[f"{k}{i}"] for i in range(top + 1) for k in "Wb"]
        above = [labels[f"{k}{i}"] for i in range(top + 1, last + 1) for k in "Wb"]
        if set(above) != {"ok"} or not all(is_scale(label) for label in below):
            continue
        factors = {round(factor_of(label, p), 9) for label in below}
        if len(factors) == 1:
            return top, factors.pop()
    return None


def uniform_data_factor(p: Problem, D: list[np.ndarray], conv: Convention, rtol: float
                        ) -> float | None:
    """s when every array is s times the unit data gradient plus the convention's own L2
    term (one factor on the whole data part, as a wrong batch size or a wrong count gives),
    else None."""
    factors = []
    for k, (g, d) in enumerate(zip(p.grads, D)):
        if g is None:
            return None
        penalty = p.expected_one(k, np.zeros_like(d), conv)
        dd = float(d @ d)
        if dd == 0.0:
            return None
        s = float((g - penalty) @ d) / dd
        if relative_difference(g, s * d + penalty) > rtol:
            return None
        factors.append(s)
    first = factors[0]
    if first == 0 or any(abs(f - first) > 1e-6 * abs(first) for f in factors):
        return None
    return first
