"""The grammar of an optimizer step's slips: each changes one choice of a ``Rule``.

An entry of ``SLIPS`` says which rules it applies to (its family, whether there is momentum
or weight decay) and gives, for a rule, the changed rules with the sentence each earns. The
slips are about the update's steps, not a list of known optimizers: the moments (which value
each averages, its weight), the bias corrections (which beta, which exponent, whether t
moves), epsilon's place, the weight decay (coupled or decoupled, times lr or not, before or
after the step), the order of updates (the buffer read before it is updated), Nesterov's
look-ahead (and CS231n's v and v_prev), the sign, lr; and hyperparameters other than the
ones declared, among the values people use.
"""

from collections.abc import Callable
from dataclasses import dataclass, replace

from reference.checking.optimizer.rules import Rule

Variants = list[tuple[Rule, str]]


@dataclass(frozen=True)
class Slip:
    id: str
    applies: Callable[[Rule], bool]
    variants: Callable[[Rule], Variants]


def _always(r: Rule) -> bool:
    return True


def _sign(r: Rule) -> Variants:
    return [(replace(r, sign=-r.sign), "it climbs the loss: params += the step instead of -=")]


def _noop(r: Rule) -> Variants:
    return [(replace(r, noop=True), "it does not move the parameters at all: the update is "
                                    "computed but never written into params (an assignment "
                                    "to a new name, or to a copy)")]


def _lr(r: Rule) -> Variants:
    return [(replace(r, lr_power=0), "the learning rate is left out of the step"),
            (replace(r, lr_power=2), "the learning rate multiplies the step twice (lr^2)")]


def _momentum_form(r: Rule) -> Variants:
    other = "classic momentum" if r.nesterov else "Nesterov momentum"
    asked = "Nesterov momentum" if r.nesterov else "classic momentum"
    out = [(replace(r, nesterov=not r.nesterov),
            f"it is {other}, not {asked}: Nesterov's step adds mu * buf to the gradient (its "
            "look-ahead), classic momentum steps along buf"),
           (replace(r, dampening=r.momentum, from_zero=True),
            "the momentum buffer is an average, buf = mu buf + (1 - mu) g from buf = 0 (an "
            "exponential average); torch and scikit-learn accumulate buf = mu buf + g"),
           (replace(r, dampening=r.momentum),
            "the momentum buffer is an average after its first step, buf = mu buf + (1 - mu) "
            "g (torch's dampening = mu); torch and scikit-learn accumulate buf = mu buf + g"),
           (replace(r, stale=True),
            "the step reads the momentum buffer before updating it (the order of the two "
            "lines swapped): it steps along last step's buffer")]
    if r.nesterov:
        out.append((replace(r, velocity="cs231n_swapped"),
                    "in the look-ahead form (v_prev = v; v = mu v - lr g; p += -mu v_prev + "
                    "(1 + mu) v), v and v_prev are swapped"))
    return out


def _corrections(r: Rule) -> Variants:
    out = [(replace(r, m_correction="none", v_correction="none"),
            "the moments are not bias-corrected: m / (1 - b1^t) and v / (1 - b2^t) are "
            "missing, so the first steps are far too small"),
           (replace(r, m_correction="none"),
            "the first moment is not bias-corrected (m / (1 - b1^t) is missing)"),
           (replace(r, v_correction="none"),
            "the second moment is not bias-corrected (v / (1 - b2^t) is missing)"),
           (replace(r, v_correction="b1"),
            "v is bias-corrected with beta_1: v / (1 - b1^t) instead of v / (1 - b2^t)"),
           (replace(r, m_correction="b2"),
            "m is bias-corrected with beta_2: m / (1 - b2^t) instead of m / (1 - b1^t)"),
           (replace(r, m_correction="b2", v_correction="b1"),
            "the bias corrections are swapped: m / (1 - b2^t) and v / (1 - b1^t)"),
           (replace(r, t_offset=-1), "the bias corrections use t - 1 where t is meant (the "
                                     "step count incremented after the step)"),
           (replace(r, t_offset=1), "the bias corrections use t + 1 where t is meant (the "
                                    "step count incremented twice, or started at 1)"),
           (replace(r, t_frozen=True), "the step count t is not incremented: the bias "
                                       "correction stays that of the first step"),
           (replace(r, t_per_array=True), "the step count t is incremented once per parameter "
                                          "array instead of once per step")]
    return out


def _eps(r: Rule) -> Variants:
    out = []
    if r.eps_at != "inside":
        where = {"adam": "sqrt(v_hat + eps)", "rmsprop": "sqrt(v + eps)",
                 "adagrad": "sqrt(sum + eps)"}[r.family]
        outside = {"adam": "sqrt(v_hat) + eps", "rmsprop": "sqrt(v) + eps",
                   "adagrad": "sqrt(sum) + eps"}[r.family]
        out.append((replace(r, eps_at="inside"), f"epsilon is inside the square root, {where}, "
                                                 f"where torch adds it outside, {outside}"))
    if r.family == "adam" and r.eps_at == "corrected":
        out.append((replace(r, eps_at="uncorrected"),
                    "epsilon is added to sqrt(v) before the bias correction (scikit-learn's "
                    "and Kingma and Ba's efficient form) where torch adds it to sqrt(v_hat)"))
    if r.family == "adam" and r.eps_at == "uncorrected":
        out.append((replace(r, eps_at="corrected"),
                    "epsilon is added to the bias-corrected sqrt(v_hat) (torch's form) where "
                    "scikit-learn adds it to sqrt(v)"))
    out.append((replace(r, eps_at="none"), "epsilon is missing from the denominator"))
    return out


def _moments(r: Rule) -> Variants:
    out = [(replace(r, betas=r.betas[::-1]),
            "beta_1 and beta_2 are swapped (m decays with beta_2, v with beta_1)"),
           (replace(r, v_of="g"), "v averages g instead of g^2"),
           (replace(r, v_of="abs"), "v averages |g| instead of g^2"),
           (replace(r, m_of_g=False), "m averages g^2 instead of g"),
           (replace(r, weight_new=False),
            "the moments add the new gradient whole: m = b1 m + g instead of "
            "b1 m + (1 - b1) g (and v likewise)")]
    return out


def _rmsprop(r: Rule) -> Variants:
    other, asked = ("plain", "centred") if r.centered else ("centred", "plain")
    return [(replace(r, alpha_swapped=True),
             "the smoothing constant weighs the new gradient: v = (1 - alpha) v + alpha g^2 "
             "instead of alpha v + (1 - alpha) g^2"),
            (replace(r, centered=not r.centered),
             f"it is {other} RMSprop, not {asked}: the centred one divides by "
             "sqrt(v - mean(g)^2), the plain one by sqrt(v)"),
            (replace(r, weight_new=False),
             "the average adds g^2 whole: v = alpha v + g^2 instead of alpha v + (1 - alpha) "
             "g^2"),
            (replace(r, root=False), "the step divides by v instead of its square root")]


def _adagrad(r: Rule) -> Variants:
    out = [(replace(r, accumulate="average"),
            "the squared gradients are averaged (RMSprop's running average), not summed as "
            "Adagrad sums them"),
           (replace(r, root=False), "the step divides by the sum of squared gradients, not by "
                                    "its square root")]
    for start in (0.0, 0.1):
        if start != r.initial:
            hint = " (TensorFlow's default)" if start == 0.1 else ""
            out.append((replace(r, initial=start),
                        f"the accumulator starts at {start:g}{hint} instead of "
                        f"initial_accumulator_value = {r.initial:g}"))
    return out


def _decay(r: Rule) -> Variants:
    out = [(replace(r, weight_decay=0.0), "the weight decay is missing")]
    if r.decay == "coupled":
        how = ("Adam's weight_decay adds wd * params to the gradient (coupled), yours decays the "
               "weights apart from it (decoupled, AdamW's)" if r.family == "adam" else
               "torch adds wd * params to the gradient (coupled), yours decays the weights "
               "apart from it")
        out.append((replace(r, decay="decoupled"), f"the weight decay is decoupled: {how}"))
    else:
        out.append((replace(r, decay="coupled"),
                    "the weight decay is coupled: AdamW decays the weights apart from the "
                    "gradient (decoupled), yours adds wd * params to the gradient (coupled, "
                    "Adam's weight_decay)"))
        out.append((replace(r, decay="decoupled_no_lr"),
                    "the decoupled weight decay is not multiplied by the learning rate "
                    "(params *= 1 - wd instead of 1 - lr * wd)"))
        out.append((replace(r, decay="decoupled_after"),
                    "the decoupled weight decay is applied after the step; torch's AdamW "
                    "applies it to the weights before"))
    out.append((replace(r, weight_decay=2 * r.weight_decay), "the weight decay is twice wd"))
    return out


def _hyperparameters(r: Rule) -> Variants:
    """Other values of the hyperparameters, among those people use."""
    out = [(replace(r, lr=r.lr * f), f"the learning rate is {r.lr * f:g}, {words} the lr "
                                     f"declared ({r.lr:g})")
           for f, words in ((10.0, "10 times"), (0.1, "a tenth of"), (2.0, "twice"),
                            (0.5, "half"))]
    if r.family in ("sgd", "rmsprop") and r.momentum:
        out += [(replace(r, momentum=m), f"the momentum is {m:g}, not {r.momentum:g}")
                for m in (0.9, 0.99, 0.95, 0.5, 0.8) if m != r.momentum]
    if r.family == "adam":
        out += [(replace(r, betas=b), f"the betas are {b}, not {r.betas}")
                for b in ((0.9, 0.999), (0.9, 0.99), (0.9, 0.98), (0.95, 0.999), (0.5, 0.999),
                          (0.99, 0.999), (0.9, 0.9)) if b != tuple(r.betas)]
    if r.family in ("adam", "rmsprop", "adagrad"):
        out += [(replace(r, eps=e), f"epsilon is {e:g}, not {r.eps:g}")
                for e in (1e-8, 1e-7, 1e-6, 1e-5, 1e-10, 1e-4, 1e-3) if e != r.eps]
    if r.family == "rmsprop":
        out += [(replace(r, alpha=a), f"the smoothing constant alpha is {a:g}, not "
                                      f"{r.alpha:g}") for a in (0.9, 0.99, 0.999, 0.95)
                if a != r.alpha]
    return out


SLIPS = [  # how the update is written first, then its sign, lr and hyperparameters
    Slip("momentum", lambda r: r.family == "sgd" and r.momentum > 0, _momentum_form),
    Slip("bias_correction", lambda r: r.family == "adam", _corrections),
    Slip("eps", lambda r: r.family in ("adam", "rmsprop", "adagrad"), _eps),
    Slip("moments", lambda r: r.family == "adam", _moments),
    Slip("rmsprop", lambda r: r.family == "rmsprop", _rmsprop),
    Slip("adagrad", lambda r: r.family == "adagrad", _adagrad),
    Slip("weight_decay", lambda r: r.weight_decay > 0, _decay),
    Slip("sign", _always, _sign),
    Slip("noop", _always, _noop),
    Slip("lr", _always, _lr),
    Slip("hyperparameter", _always, _hyperparameters),
]


def variants(rule: Rule) -> list[tuple[str, Rule, str]]:
    """(slip id, changed rule, sentence) for every slip that applies to ``rule``."""
    return [(slip.id, changed, words) for slip in SLIPS if slip.applies(rule)
            for changed, words in slip.variants(rule) if changed != rule]
