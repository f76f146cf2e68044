"""The search: which slips of the grammar, made in the right program, give the user's arrays.

In order:

1. the right program under the allowed conventions (no slip);
2. one slip of the table (``grammar.SLIPS``) at one step; the same slip at both steps of one
   layer (its weight and bias gradient), at every step of its kind, or everywhere it fits;
3. one slip carrying a number found from the user's arrays: a constant factor at a step
   dL/dz, the targets smoothed by some epsilon, the data part or the L2 term of a group of
   arrays (one array, every weight, every bias) off by its own factor, an L1 term for the L2;
4. two slips: each of the closest candidates above with every slip that can reach the
   arrays it leaves wrong.

A slip is *named* only when making it reproduces every usable array of the user's within its
tolerance under an allowed convention (``fit``). Where nothing does, the closest candidate is
reported with the share of the difference it leaves unexplained, and no more.

An array a slip cannot reach (``program.downstream``) must already be right under the
convention, which prunes most candidates before anything is computed.
"""

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace

import numpy as np

from reference.checking.backprop.grammar.fit import Fit, Match
from reference.checking.backprop.grammar.program import (
    Context,
    Derivative,
    Given,
    Step,
    downstream,
    gradients,
    rerun,
    with_factor,
)
from reference.checking.backprop.grammar.slips import SLIPS, location, parse, where_words
from reference.checking.compare import relative_difference

PAIRS_FROM = 10  # the closest candidates each tried with a second slip


@dataclass
class Made:
    """One slip made: its kind (a ``grammar.SLIPS`` id, or "factor", "targets",
    "data_factor", "l2_factor", "l1"), the variant, the program nodes (dz2, dW1, ...) or
    arrays (W0, b1) it was made at, its sentence, and the number found, if it carries one."""

    slip: str
    key: str
    nodes: list[str]
    words: str
    value: float | None = None

    @property
    def found(self) -> bool:
        return self.value is not None


@dataclass
class Explanation:
    """What explains the user's arrays: the convention (its row in ``Fit.conventions``), the
    slips made (none: the right gradient), whether they reproduce every array (``exact``),
    and otherwise the share of the difference they leave unexplained."""

    row: int
    made: list[Made] = field(default_factory=list)
    exact: bool = True
    share: float = 0.0
    errors: list[float] = field(default_factory=list)  # per array, with the slips made
    rank: tuple = ()


@dataclass
class Candidate:
    """A candidate that did not reproduce the user's arrays, kept for pairs and for the
    closest description."""

    made: list[Made]
    changes: dict[int, Step]
    D: list[np.ndarray]
    reach: set[int]
    match: Match

    def score(self, fit: Fit) -> tuple[int, float]:
        e = self.match.errors[fit.usable]
        return fit.wrong_count(self.match.errors), float(np.sum(np.log10(np.clip(e, 1e-17,
                                                                                 1e3))))


class Search:
    """See the module docstring. ``rows``: the conventions a slip may be named under (those
    ``expect=`` allows); ``prefer(row)``: a sort key among conventions that explain equally
    (familiar first, closest to the user's own loss)."""

    def __init__(self, fit: Fit, steps: list[Step], done: dict, ctx: Context,
                 rows: list[int], prefer: Callable[[int], tuple], exhaustive: bool = False,
                 smoothing: float = 0.0) -> None:
        self.fit, self.steps, self.done, self.ctx = fit, steps, done, ctx
        self.smoothing = smoothing  # the label smoothing the loss declares
        self.exhaustive = exhaustive  # screen on every element, and no early stop
        self.rows, self.prefer = rows, prefer
        self.D0 = gradients(done, ctx.L)
        self.err0 = fit.errors(self.D0)
        self.right0 = fit.within(self.err0)
        self.reach = [self._arrays(downstream(steps, i)) for i in range(len(steps))]
        self.exact: list[Explanation] = []
        self.kept: list[Single] = []
        self.all = int(_bits(np.isin(np.arange(len(fit.names)), fit.usable)))

    # --- helpers ---------------------------------------------------------------------------

    @staticmethod
    def _arrays(nodes: set[str]) -> set[int]:
        out = set()
        for node in nodes:
            kind, k = parse(node)
            if kind in ("dW", "db"):
                out.add(2 * (k - 1) + (kind == "db"))
        return out

    def _rows_for(self, reach: set[int]) -> list[int]:
        """The allowed conventions under which every array the change cannot reach is
        right already."""
        keep = [k for k in self.fit.usable if k not in reach]
        return [r for r in self.rows if all(self.right0[r, k] for k in keep)]

    def _data(self, changes: dict[int, Step]) -> list[np.ndarray] | None:
        s = rerun(self.steps, self.done, self.ctx, changes)
        return None if s is None else gradients(s, self.ctx.L)

    def _try(self, made: list[Made], D: list[np.ndarray], reach: set[int],
             changes: dict[int, Step] | None = None, B: list = (), groups: list = (),
             rows: list[int] | None = None) -> Match | None:
        """Whether D (with the numbers B and groups carry) explains the user's arrays under
        one of ``rows`` (by default the allowed conventions under which the arrays ``reach``
        leaves alone are right); an explanation is kept when it does."""
        rows = self._rows_for(reach) if rows is None else rows
        if not rows:
            return None
        m = self.fit.match(D, B, groups, rows, self.prefer)
        if m is None:
            return None
        made = self._numbers_for(made, m)
        if made is None:
            return None
        if m.ok:
            self.exact.append(Explanation(m.row, made, True, 0.0, list(m.errors),
                                          self._rank(made, m.row)))
        return m

    def _numbers_for(self, made: list[Made], m: Match) -> list[Made] | None:
        """Each slip with its own numbers out of the match: the columns of t it took, in
        order, and the L2 multiples of its own arrays. None when a number says it is no slip
        at all."""
        out, column = [], 0
        for x in made:
            takes = 2 if x.slip == "targets" else int(
                x.slip in ("factor", "l1") or (x.slip == "slope" and x.key != "every") or
                (x.slip == "group" and x.key in ("data", "both")))
            own = Match(m.row, m.t[column: column + takes],
                        {k: v for k, v in m.l2.items() if self.fit.names[k] in x.nodes},
                        m.errors, m.ok)
            column += takes
            found = self._with_numbers(x, own)
            if found is None:
                return None
            out.append(found)
        return out

    def _with_numbers(self, made: Made, m: Match) -> Made | None:
        """A slip that carries a number, with the number found (None: the number says it is
        no slip at all)."""
        if made.slip == "factor":
            factor = 1.0 + float(m.t[0])
            if not math.isfinite(factor) or abs(factor - 1) < 1e-9:
                return None
            return Made("factor", "", made.nodes, self._factor_words(made.nodes[0], factor),
                        factor)
        if made.slip == "slope" and made.key == "every":
            return made
        if made.slip == "slope":  # D0 + t (D(slope 1) - D0): the slope is s + t (1 - s)
            slope = self.ctx.slope + float(m.t[0]) * (1 - self.ctx.slope)
            if not math.isfinite(slope) or abs(slope - self.ctx.slope) < 1e-9:
                return None
            where = where_words(self.steps[self._index(made.nodes[0])], self.ctx)
            return Made("slope", "", made.nodes, self._slope_words(slope, where), slope)
        if made.slip == "targets":  # the output delta p - y + u y + v: targets (1 - u) y - v
            u, v = float(m.t[0]), float(m.t[1])
            if not (math.isfinite(u) and math.isfinite(v)) or max(abs(u), abs(v)) < 1e-9:
                return None
            return Made("targets", "", made.nodes, self._target_words(u, v), u)
        if made.slip == "group":
            from reference.checking.backprop.words import group_sentence

            group = [self.fit.names.index(n) for n in made.nodes]
            factor = 1.0 + float(m.t[0]) if made.key in ("data", "both") else 1.0
            words = group_sentence(self.fit, group, m.row, factor, m.l2)
            if words is None:
                return None
            kind = "data_factor" if abs(factor - 1) > 1e-9 else "l2_factor"
            value = factor if kind == "data_factor" else next(iter(m.l2.values()))
            return Made(kind, made.key, made.nodes, words, value)
        if made.slip == "l1":  # the sign term must carry the L2 coefficient, the L2 none
            coefficient = float(m.t[0]) * self.fit.s[m.row]
            if any(abs(v) > 1e-6 for v in m.l2.values()) or not math.isclose(
                    coefficient, self.fit.l2w[m.row], rel_tol=1e-6):
                return None
            return Made("l1", "", made.nodes, made.words, coefficient)
        return made

    def _rank(self, made: list[Made], row: int) -> tuple:
        """Simpler explanations first: fewer slips; slips from the grammar's table before
        found numbers; made at one step before made at several; then the convention."""
        return (len(made), sum(m.found for m in made), sum(len(m.nodes) > 1 for m in made),
                self.prefer(row))

    # --- 1. no slip ----------------------------------------------------------------------------

    def clean(self) -> Explanation | None:
        fits = self.fit.fits(self.err0)
        good = [r for r in self.rows if fits[r]]
        if not good:
            return None
        row = min(good, key=self.prefer)
        return Explanation(row, [], True, 0.0, list(self.err0[row]))

    # --- 2. one slip of the table -------------------------------------------------------------

    def _table(self) -> Iterator[tuple[Made, dict[int, Step], set[int], list]]:
        """Every slip of the table at every step where it fits; then made at both steps of a
        layer, at every step of its kind, and everywhere it fits."""
        sites: dict[tuple[str, str], list[tuple[int, Step, str]]] = {}
        for i, step in enumerate(self.steps):
            for slip in SLIPS:
                if not isinstance(step, slip.kind):
                    continue
                for key in slip.keys(step, self.ctx):
                    new = slip.apply(step, key, self.ctx)
                    if new is None or new == step:
                        continue
                    words = slip.words(step, new, key, self.ctx)
                    node = "dp" if key == "chained:term_sign" else step.node  # (dL/dp's line)
                    yield (Made(slip.id, key, [node],
                                f"{words}, {where_words(step, self.ctx)}"),
                           {i: new}, self.reach[i], [(i, slip, key)])
                    relation = key.split(":")[-1] if slip.id == "operand" else key
                    sites.setdefault((slip.id, relation), []).append((i, new, words, slip, key))
        for (slip_id, key), found in sites.items():
            if len(found) < 2:
                continue
            for where, chosen in self._groupings(found):
                changes = {site[0]: site[1] for site in chosen}
                reach = set().union(*(self.reach[i] for i in changes))
                yield (Made(slip_id, key, [self.steps[i].node for i in changes],
                            f"{chosen[0][2]}, {where}"), changes, reach,
                       [(site[0], site[3], site[4]) for site in chosen])

    def _groupings(self, found: list[tuple]) -> Iterator[tuple[str, list[tuple]]]:
        """The ways one slip is made at several steps: both steps of one layer (its weight
        and bias gradient), every step of one kind, the weight and bias steps of every
        layer, every step where it fits."""
        by_kind: dict[str, list] = {}
        by_layer: dict[int, list] = {}
        for site in found:
            kind, k = parse(self.steps[site[0]].node)
            by_kind.setdefault(kind, []).append(site)
            if kind in ("dW", "db"):
                by_layer.setdefault(k, []).append(site)
        for k, chosen in by_layer.items():
            if len(chosen) == 2:
                yield f"in {_layer(k, self.ctx.L)}, its weight and bias gradients both", chosen
        for kind, chosen in by_kind.items():
            if len(chosen) > 1:
                yield {"dz": "in every hidden layer", "dh": "in every layer's backward step",
                       "dW": "in every layer's weight gradient",
                       "db": "in every layer's bias gradient"}.get(kind, "everywhere"), chosen
        both = by_kind.get("dW", []) + by_kind.get("db", [])
        if len(by_layer) > 1 and len(both) > max(len(by_kind.get("dW", [])),
                                                 len(by_kind.get("db", []))):
            yield "in every layer where it fits, weight and bias gradients both", both
        if len(by_kind) > 1 and len(found) > len(both):
            yield "everywhere it can be made", found

    def singles(self) -> None:
        """Every slip of the table, kept with which arrays it reaches and, per convention,
        which it leaves right (bit masks), for the pairs; an explanation where it leaves
        every array right."""
        tol = self.fit.tolerance[None, :]
        for made, changes, reach, slips in self._table():
            D = self._data(changes)
            if D is None or all(relative_difference(a, b) <= 1e-13
                                for a, b in zip(D, self.D0)):
                continue  # a slip that changes nothing here
            errors = self.fit.errors(D, self.rows, sampled=not self.exhaustive)
            right = _bits(errors <= 2 * tol)
            single = Single(made, changes, slips, _bits(np.isin(np.arange(len(tol[0])),
                                                                list(reach)))[()], right,
                            _score(errors, self.fit))
            self.kept.append(single)
            rows = [r for r, mask in zip(self.rows, right) if mask & self.all == self.all]
            if rows:
                self._try([made], D, reach, rows=rows)

    # --- 3. slips that carry a number -----------------------------------------------------------

    def _factor_sites(self, base: Candidate | None, only: int | None = None
                      ) -> Iterator[tuple[int, list, set[int]]]:
        changes0 = {} if base is None else base.changes
        D0 = self.D0 if base is None else base.D
        for i, step in enumerate(self.steps):
            if (only is not None and i != only) or parse(step.node)[0] != "dz" or \
                    i in changes0 or i == 0:
                continue  # (a factor at the output delta is the uniform one)
            D2 = self._data({**changes0, i: with_factor(changes0.get(i, step), 2.0)})
            if D2 is not None:
                yield i, [b - a for a, b in zip(D0, D2)], self.reach[i]

    def factors(self, base: Candidate | None = None, only: int | None = None) -> None:
        """A constant factor at each step dL/dz below the output (or at step ``only``), found
        by least squares, on top of ``base``'s slips if given."""
        D0 = self.D0 if base is None else base.D
        before = [] if base is None else base.made
        for i, delta, reach in self._factor_sites(base, only):
            if only is not None and i != only:
                continue
            made = Made("factor", "", [self.steps[i].node], "", 0.0)
            self._try(before + [made], D0, reach | (base.reach if base else set()),
                      B=[delta])

    def _factor_words(self, node: str, factor: float) -> str:
        from reference.checking.backprop.words import ratio_words

        k = parse(node)[1]
        times = ratio_words(factor, self.fit.n, self.fit.K)
        if abs(factor) < 1e-12:
            return (f"no gradient reaches the layer of W{k - 1}: the error passed back to it "
                    "is zero (a detached tensor, or an error multiplied by 0), so "
                    f"W{k - 1}, b{k - 1} and the arrays below get no data gradient")
        return (f"the error passed back to the layer of W{k - 1} (dL/dh, or dL/dz after the "
                f"activation's derivative) is {times} the right value, so W{k - 1}, b{k - 1} "
                f"and the arrays below are scaled by it: the step from W{k} down to W{k - 1} "
                "scales the error (check the activation's derivative there and the product "
                "delta W^T)")

    def uniform(self, base: "Single | None" = None) -> None:
        """One factor on every array's data part (a sign, a wrong count divided by), and on
        its L2 term too or not: the scale found freely, read against each convention (on
        top of ``base``'s slip, if given)."""
        D0 = self.D0
        if base is not None:
            D0 = self._data(base.changes)
            if D0 is None:
                return
        found = self.fit.free(D0)
        if found is None:
            return
        scale, l2_w, l2_b = found
        fit = self.fit
        for row in sorted(self.rows, key=self.prefer):
            factor = scale / fit.s[row]
            if not math.isfinite(factor) or abs(factor - 1) < 1e-9 or abs(factor) < 1e-12:
                continue
            l2, with_l2 = {}, False
            if fit.alpha > 0 and fit.l2w[row] > 0:  # the L2 term the convention's, or scaled
                found_w = l2_w / fit.l2w[row]  # by the same factor (the gradient of c * loss)
                with_l2 = abs(found_w - factor) <= 1e-6 * abs(factor)
                if not (with_l2 or abs(found_w - 1) <= 1e-6):
                    continue
                if with_l2:
                    l2 = {k: factor * (1.0 if fit.weight[k] else fit.l2b[row] / fit.l2w[row])
                          for k in fit.usable}
            D = [factor * d for d in D0]
            errors = fit.errors(D, [row], l2 or None)[0]
            if np.all(errors[fit.usable] <= fit.tolerance[fit.usable]):
                made = [Made("factor", "uniform", [f"dz{self.ctx.L}"],
                             self._uniform_words(factor, with_l2, row), factor)]
                made = made if base is None else [base.made] + made
                self.exact.append(Explanation(row, made, True, 0.0, list(errors),
                                              self._rank(made, row)))
                return

    def _uniform_words(self, factor: float, with_l2: bool, row: int) -> str:
        from reference.checking.backprop.words import near, ratio_words

        n, K = self.fit.n, self.fit.K
        conv = self.fit.conventions[row]
        if near(factor, -1.0):
            if with_l2:
                return ("every gradient is negated, the L2 term included: the gradient of "
                        "-loss (an update written as w += lr * grad climbs the loss)")
            return ("the output delta has the wrong sign (y - p instead of p - y): every "
                    "data gradient is negated")
        hints = [(float(n), f"summed over the batch where the convention averages (n = {n})"),
                 (1 / n, f"averaged over the batch once more (1/n = 1/{n})")]
        if K > 1 and not (self.ctx.output == "softmax" and self.ctx.loss == "cross_entropy"):
            hints += [(float(K), f"summed over the {K} outputs where the convention averages"),
                      (1 / K, f"averaged over the {K} outputs where the convention sums"),
                      (1 / (n * K), f"averaged over the outputs too (n K = {n * K})")]
        if self.ctx.loss == "squared_error":
            hints += [(2.0, "the 2 of d (p - y)^2 kept beside a loss with its 1/2" if conv.half
                       else "the 2 of (p - y)^2 written twice"),
                      (0.5, "the 1/2 of 1/2 (p - y)^2 in the gradient where the loss has none"
                       if not conv.half else "the 2 of d (p - y)^2 dropped")]
        if n > 2:
            hints.append((n / (n - 1), f"divided by n - 1 = {n - 1} instead of n = {n}"))
        for value, hint in hints:
            if (n > 1 or value not in (float(n), 1 / n)) and near(factor, value):
                return (f"every array's data part{', the L2 term included,' if with_l2 else ''}"
                        f" is {ratio_words(factor, n, K)} what the conventions give: {hint}")
        count = 1 / (factor * self.fit.s[row])  # what the summed gradient is divided by
        plain = conv.half and conv.outputs == "sum"
        if plain and n > 1 and count > 1.5 and abs(count - round(count)) < 1e-6 * count:
            return (f"every array's data part is the summed gradient divided by {round(count)}"
                    f", where averaging over the batch divides by n = {n}: check what you "
                    "divide by (the batch size is X.shape[0] for samples as rows)")
        return (f"every array's data part{', the L2 term included,' if with_l2 else ''} is "
                f"{ratio_words(factor, n, K)} what the conventions give: the output delta (or "
                "the loss it comes from) is scaled by that factor")

    def leaky_slope(self) -> None:
        """A leaky ReLU whose backward uses another negative slope than its forward (in one
        hidden layer, or in all), the slope found by least squares."""
        if self.ctx.activation != "leaky_relu":
            return
        sites = [i for i, step in enumerate(self.steps) if isinstance(step, Derivative)]
        for i in sites:  # in one layer the gradient is linear in the slope: found by fitting
            D1 = self._data({i: replace(self.steps[i], form="one")})
            if D1 is None:
                continue
            delta = [b - a for a, b in zip(self.D0, D1)]
            made = Made("slope", "", [self.steps[i].node], "", 0.0)
            self._try([made], self.D0, self.reach[i], B=[delta])
        if len(sites) > 1:  # in every layer it is a polynomial: the slopes people use, tried
            reach = set().union(*(self.reach[i] for i in sites))
            for slope in (0.0, 0.01, 0.02, 0.05, 0.1, 0.2, 0.25, 0.3, 0.5, 1.0):
                if abs(slope - self.ctx.slope) < 1e-12:
                    continue
                changes = {i: replace(self.steps[i], form=f"leaky@{slope}") for i in sites}
                D = self._data(changes)
                if D is not None:
                    made = Made("slope", "every", [self.steps[i].node for i in sites],
                                self._slope_words(slope, "in every hidden layer"), slope)
                    self._try([made], D, reach)

    def _slope_words(self, slope: float, where: str) -> str:
        default = " (torch's default negative_slope)" if abs(slope - 0.01) < 1e-9 else ""
        return (f"the leaky ReLU's backward uses the negative slope {slope:.4g}{default} where "
                f"its forward uses {self.ctx.slope:g} (negative_slope), {where}")

    def targets(self) -> None:
        """Targets transformed on their way into the output delta, by numbers found: the
        delta p - ((1 - u) y - v), label smoothing applied twice or with the wrong divisor
        among them (softmax with cross-entropy, and any pair whose delta is p - y)."""
        if not (self.ctx.loss == "cross_entropy" or self.ctx.output == "identity"):
            return
        Y = self.done["Y"]
        D1 = self._data({0: Given(f"dz{self.ctx.L}", Y.astype(np.float64))})
        D2 = self._data({0: Given(f"dz{self.ctx.L}", np.ones_like(Y, dtype=np.float64))})
        if D1 is not None and D2 is not None:
            made = Made("targets", "", [f"dz{self.ctx.L}"], "", 0.0)
            self._try([made], self.D0, self.reach[0], B=[D1, D2])

    def _target_words(self, u: float, v: float) -> str:
        """The user's targets T = a y + c (y one-hot, before any smoothing) read off the
        numbers found (the delta p - ((1 - u) Y - v), Y the declared targets), in words."""
        K, n, eps0 = self.fit.K, self.fit.n, self.smoothing
        a = (1 - u) * (1 - eps0)
        c = (1 - u) * eps0 / K - v
        near = lambda x, y: abs(x - y) <= 1e-6 * max(abs(x), abs(y), 1.0)  # noqa: E731 (targets
        #   are numbers of order 1: float32's rounding is 1e-7 of them)
        declared = f" where label_smoothing = {eps0:g} is declared" if eps0 else \
            " where the loss declares none (pass label_smoothing= if it is meant)"
        if near(a, 0.0):
            mean = float(np.mean(self.done["Y"]))
            if near(c, mean):
                return (f"every sample's output is compared with the mean of the targets "
                        f"({mean:.4g}) instead of its own: p - mean(y) instead of p - y (an "
                        "(n, 1) prediction minus (n,) targets broadcasts to an (n, n) matrix of "
                        "differences, which torch's MSELoss warns about)")
            return f"the targets are replaced by one number, {c:.4g}: p - {c:.4g} instead of " \
                   "p - y"
        if self.ctx.output != "softmax":
            return (f"the targets are transformed on their way into the output delta: "
                    f"p - ({a:.4g} y + {c:.4g}) instead of p - y")
        if near(a, 1.0) and near(c, 0.0):
            return (f"the output delta uses the one-hot targets, p - y, where the loss smooths "
                    f"them (label_smoothing = {eps0:g}): the targets are not smoothed in the "
                    "gradient")
        e = 1 - a
        if near(c, e / K):
            hint = ""
            if eps0 and near(e, 1 - (1 - eps0) ** 2):
                hint = ": label smoothing applied twice"
            elif eps0 and K > 1 and near(e, eps0 * K / (K - 1)):
                hint = (f": eps/(K - 1) on each other class and 1 - eps on the right one, where "
                        f"torch's smoothing gives eps/K to every class (the same as eps = "
                        f"{e:.4g} in torch's form)")
            return (f"the targets in your output delta are smoothed with epsilon = {e:.4g} "
                    f"((1 - eps) y + eps/K){declared}{hint}")
        e_other = (1 - a) * (K - 1) / K
        if K > 1 and near(c, e_other / (K - 1)):
            return (f"the targets put eps/(K - 1) on each other class and 1 - eps on the right "
                    f"one (eps = {e_other:.4g}), where torch's smoothing gives (1 - eps) y + "
                    "eps/K to every class")
        if near(c, e):
            return (f"the targets are smoothed with eps where eps/K is meant: (1 - eps) y + eps "
                    f"with eps = {e:.4g} no longer sums to 1 over the K = {K} classes")
        if n > 1 and near(c, e / n):
            return (f"the targets are smoothed with eps/n (n = {n}, the batch size) where eps/K "
                    f"(K = {K}, the number of classes) is meant: eps = {e:.4g}")
        return (f"the targets are transformed on their way into the output delta: "
                f"p - ({a:.4g} y + {c:.4g}) instead of p - y")

    def _groups(self) -> list[list[int]]:
        names, usable = self.fit.names, self.fit.usable
        weights = [k for k in usable if names[k][0] == "W"]
        biases = [k for k in usable if names[k][0] == "b"]
        return [[k] for k in usable] + [g for g in (weights, biases) if len(g) > 1]

    def groups(self, base: Candidate | None = None, only: list[int] | None = None) -> None:
        """A group of arrays (one array, every weight, every bias) whose data part or L2 term
        is off by its own factor, found by least squares; or whose penalty is L1's (the
        group ``only``, if given, on top of ``base``'s slips if given)."""
        D0 = self.D0 if base is None else base.D
        before = [] if base is None else base.made
        extra = set() if base is None else base.reach
        for group in self._groups():
            if only is not None and group != only:
                continue
            names = [self.fit.names[k] for k in group]
            masked = [d if k in group else np.zeros_like(d) for k, d in enumerate(D0)]
            reach = set(group) | extra
            self._try(before + [Made("group", "data", names, "", 0.0)], D0, reach,
                      B=[masked])
            if self.fit.alpha > 0:
                self._try(before + [Made("group", "l2", names, "", 0.0)], D0, reach,
                          groups=[group])
                self._try(before + [Made("group", "both", names, "", 0.0)], D0, reach,
                          B=[masked], groups=[group])
                weights = [k for k in group if self.fit.names[k][0] == "W"]
                if weights:
                    signs = [np.sign(self.fit.theta[k]) if k in weights else np.zeros_like(d)
                             for k, d in enumerate(D0)]
                    who = ", ".join(self.fit.names[k] for k in weights)
                    self._try(before + [Made("l1", "", [self.fit.names[k] for k in weights],
                                             f"{who}: the penalty's gradient is alpha sign(W),"
                                             " an L1 term's, instead of the L2 term's alpha W")],
                              D0, reach, B=[signs], groups=[weights])

    # --- 4. two slips --------------------------------------------------------------------------

    def pairs(self) -> None:
        """Two slips. A pair can reproduce the user's arrays under a convention only if every
        array neither reaches is right already, and each slip alone leaves right the arrays
        only it reaches; that is checked with bit masks, per convention, before any program
        is run again. Each slip of the table is paired with every other, and with every slip
        that carries a number (a factor at a step, a group of arrays off by a number)."""
        kept, everything = self.kept, self.all
        if not kept:
            return
        reach = np.array([k.reach for k in kept], dtype=np.int64)
        right = np.array([k.right for k in kept], dtype=np.int64)  # (singles, rows)
        clean = _bits(self.fit.within(self.err0[self.rows]))  # (rows,)
        for i, first in enumerate(kept):
            only_first = first.reach & ~reach[i + 1:]
            only_second = reach[i + 1:] & ~first.reach
            cover = (clean[None, :] | first.reach | reach[i + 1:, None]) & everything
            ok = (cover == everything) \
                & ((~first.right[None, :] & only_first[:, None] & everything) == 0) \
                & ((~right[i + 1:] & only_second[:, None] & everything) == 0)
            for j in np.flatnonzero(ok.any(axis=1)):
                second = kept[i + 1 + j]
                changes = self._compose(first, second)
                if changes is None:
                    continue
                D = self._data(changes)
                if D is not None:
                    rows = [self.rows[r] for r in np.flatnonzero(ok[j])]
                    both = self._reach_of(first) | self._reach_of(second)
                    self._try([first.made, second.made], D, both, rows=rows)
        self._with_numbers_too(kept, clean)
        for first in kept:
            self.uniform(first)
        self._two_groups()

    def _with_numbers_too(self, kept: list, clean: np.ndarray) -> None:
        """Each slip of the table with a slip that carries a number."""
        everything = self.all
        families = [(self.reach[i], "factor", i) for i in range(1, len(self.steps))
                    if parse(self.steps[i].node)[0] == "dz"]
        families += [(set(g), "group", tuple(g)) for g in self._groups()]
        for first in kept:
            for reach, kind, where in families:
                mask = _bits(np.isin(np.arange(len(self.fit.names)), list(reach)))[()]
                only_first = first.reach & ~mask
                cover = (clean | first.reach | mask) & everything
                ok = (cover == everything) & ((~first.right & only_first & everything) == 0)
                if not ok.any():
                    continue
                base = self._as_candidate(first)
                if base is None:
                    continue
                if kind == "factor" and where not in first.changes:
                    self.factors(base, only=where)
                elif kind == "group":
                    self.groups(base, only=list(where))

    def _two_groups(self) -> None:
        """Two groups of arrays, each off by its own number (the L2 term missing in the
        weights and the biases averaged, say)."""
        groups = self._groups()
        kinds = ("data", "l2", "both") if self.fit.alpha > 0 else ("data",)
        for a in range(len(groups)):
            for b in range(a + 1, len(groups)):
                if set(groups[a]) & set(groups[b]):
                    continue
                for kind_a in kinds:
                    for kind_b in kinds:
                        self._group_pair(groups[a], kind_a, groups[b], kind_b)

    def _group_pair(self, ga: list[int], ka: str, gb: list[int], kb: str) -> None:
        names = self.fit.names
        B, groups, made = [], [], []
        for group, kind in ((ga, ka), (gb, kb)):
            masked = [d if k in group else np.zeros_like(d) for k, d in enumerate(self.D0)]
            if kind in ("data", "both"):
                B.append(masked)
            if kind in ("l2", "both"):
                groups.append(group)
            made.append(Made("group", kind, [names[k] for k in group], "", 0.0))
        self._try(made, self.D0, set(ga) | set(gb), B=B, groups=groups)

    def _compose(self, first: "Single", second: "Single") -> dict[int, Step] | None:
        """Both slips made (the second on top of the first where they change one step)."""
        changes = dict(first.changes)
        for index, slip, key in second.slips:
            new = slip.apply(changes.get(index, self.steps[index]), key, self.ctx)
            if new is None:
                return None
            changes[index] = new
        return changes

    def _index(self, node: str) -> int:
        return next(i for i, step in enumerate(self.steps) if step.node == node)

    def _reach_of(self, single: "Single") -> set[int]:
        return {k for k in range(len(self.fit.names)) if single.reach >> k & 1}

    def _as_candidate(self, single: "Single") -> Candidate | None:
        D = self._data(single.changes)
        if D is None:
            return None
        m = self.fit.match(D, rows=self.rows, prefer=self.prefer)
        return None if m is None else Candidate([single.made], single.changes, D,
                                                self._reach_of(single), m)

    # --- the whole search ---------------------------------------------------------------------

    def explain(self) -> Explanation:
        clean = self.clean()
        if clean is not None:
            return clean
        for stages in ((self.singles,), (self.uniform, self.factors, self.targets,
                                         self.leaky_slope, self.groups), (self.pairs,)):
            for stage in stages:
                stage()
            if self.exact and not self.exhaustive:
                return self._best()
        if self.exact:
            return self._best()
        return self.closest()

    def _best(self) -> Explanation:
        """The simplest exact explanation; where another as simple, of another kind, gives
        the same numbers, it is said too (both are true of your arrays)."""
        best = min(self.exact, key=lambda e: e.rank)
        kinds = {m.slip for m in best.made}
        for other in sorted(self.exact, key=lambda e: e.rank):
            if len(other.made) == len(best.made) and not {m.slip for m in other.made} & kinds \
                    and other.made[0].words != best.made[0].words:
                also = "; ".join(m.words for m in other.made)
                best.made[-1] = Made(best.made[-1].slip, best.made[-1].key, best.made[-1].nodes,
                                     f"{best.made[-1].words} (the same numbers as: {also})",
                                     best.made[-1].value)
                break
        return best

    def closest(self) -> Explanation:
        """The slip of the table that leaves the smallest share of the difference
        unexplained (among the closest few by their errors)."""
        row0 = min(self.rows, key=lambda r: (-int(self.right0[r, self.fit.usable].sum()),
                                             self.prefer(r)))
        base = self.fit.residual(self.D0, row0)
        best = Explanation(row0, [], False, 1.0, list(self.err0[row0]))
        for single in sorted(self.kept, key=lambda k: k.score)[:PAIRS_FROM]:
            candidate = self._as_candidate(single)
            if candidate is None:
                continue
            m = candidate.match
            share = self.fit.residual(candidate.D, m.row, m.l2 or None) / base if base > 0 \
                else 1.0
            if share < best.share:
                best = Explanation(m.row, candidate.made, False, share, list(m.errors))
        return best


@dataclass
class Single:
    """A slip of the table that changes the user's arrays, kept for the pairs: what it
    changed (``slips``: (step index, slip, variant)), the arrays it reaches and, per allowed
    convention, those it leaves right (bit masks over the arrays)."""

    made: Made
    changes: dict[int, Step]
    slips: list
    reach: int
    right: np.ndarray
    score: tuple


def _bits(flags: np.ndarray) -> np.ndarray:
    """Boolean flags over the arrays (last axis) as an integer bit mask."""
    flags = np.asarray(flags, dtype=bool)
    weights = (1 << np.arange(flags.shape[-1], dtype=np.int64))
    return (flags * weights).sum(axis=-1).astype(np.int64)


def _score(errors: np.ndarray, fit: Fit) -> tuple[int, float]:
    """How close a slip comes under its best convention: wrong arrays, then their errors."""
    e = errors[:, fit.usable]
    wrong = (e > fit.tolerance[fit.usable][None, :]).sum(axis=1)
    logs = np.log10(np.clip(e, 1e-17, 1e3)).sum(axis=1)
    best = int(np.lexsort((logs, wrong))[0])
    return int(wrong[best]), float(logs[best])


def _layer(k: int, L: int) -> str:
    return f"the layer of W{k - 1} and b{k - 1}" + (" (the output layer)" if k == L else "")


def nodes_of(made: list[Made]) -> list[str]:
    """Where the slips were made, in the public node vocabulary (``reference.NODES``, with
    dW{k} and db{k} for layer k's gradient steps)."""
    out = []
    for m in made:
        for node in m.nodes:
            kind, k = parse(node)
            if m.slip == "factor" and kind == "dz" and m.key != "uniform":
                out += [f"h{k}", f"z{k}"]  # a factor on dL/dh or on dL/dz: the same numbers
            elif m.slip == "factor" and m.key == "uniform" or m.slip in ("target", "targets"):
                out += [location(node), "p"]  # on the output delta or on dL/dp: the same
            elif m.slip == "transposed" and kind == "dh" and m.key == "0001":
                out += [location(node), f"z{k}"]  # dL/dh transposed as it is read
            elif kind in ("dz", "dh", "dW", "db", "dx", "dp"):
                out.append(location(node))
            else:  # an array W{i} or b{i} (the checker's names, from 0): its step
                out.append(f"d{node[0]}{int(node[1:]) + 1}")
    return list(dict.fromkeys(out))
