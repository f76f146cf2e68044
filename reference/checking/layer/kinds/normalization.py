"""Batch and layer normalisation: x, gamma, beta and a param dict (``bn_param``: mode, eps,
momentum, running statistics; ``ln_param``: eps), CS231n's signature.

The conventions a forward may follow, each checked against the user's output: the variance
biased (divided by N, torch's) or not (N - 1), eps inside the square root (torch's) or
added to it, and eps's value (the param dict's, else 1e-5 and the other usual ones). Batch
norm's statistics run over the batch (and the spatial axes of an (N, C, H, W) input), layer
norm's over each sample's features: a "layernorm" whose output is batch norm's is named so.

The classic mistakes are the backward passes that drop a path of the graph: x reaches the
output directly, through the mean and through the variance, and a backward that treats the
mean or the variance (or both) as constants misses those paths. They are computed exactly
so, by autograd with the statistic detached.
"""

import numpy as np
import torch

from reference.checking.layer.kinds.base import Binding, Convention, Mistake, param, run

EPS_TRIED = (1e-5, 1e-8, 1e-3, 1e-6, 1e-12, 1e-7, 1e-4, 0.0)


def _normalise(t: dict, axes: tuple, shape: tuple, biased: bool, inside: bool, eps: float,
               detach: str = "") -> torch.Tensor:
    x = t["x"]
    mean = x.mean(dim=axes, keepdim=True)
    count = int(np.prod([x.shape[a] for a in axes]))
    if "mean" in detach:
        mean = mean.detach()
    var = ((x - mean) ** 2).sum(dim=axes, keepdim=True) / (count if biased else count - 1)
    if "var" in detach:
        var = var.detach()
    std = torch.sqrt(var + eps) if inside else torch.sqrt(var) + eps
    y = (x - mean) / std
    if "gamma" in t:
        y = y * t["gamma"].reshape(shape)
    if "beta" in t:
        y = y + t["beta"].reshape(shape)
    return y


def _bind(inputs: list, wanted: list[int], which: str, out: np.ndarray) -> Binding:
    x = inputs[wanted[0]]
    if x.ndim < 2:
        raise ValueError(f"kind='{which}' needs x of shape (N, D) or (N, C, H, W), got "
                         f"{x.shape}.")
    params = next((v for v in inputs if isinstance(v, dict)), {})
    roles = {"x": wanted[0]}
    rest = [k for k in wanted[1:]]
    if rest:
        roles["gamma"] = rest[0]
    if len(rest) > 1:
        roles["beta"] = rest[1]
    if which == "batchnorm":
        axes = (0,) if x.ndim == 2 else (0, 2, 3)
        shape = (1, -1) if x.ndim == 2 else (1, -1, 1, 1)
        other_axes = tuple(range(1, x.ndim))
        other_name = ("layer normalisation: the statistics run over each sample's features, "
                      "not over the batch")
    else:
        axes = tuple(range(1, x.ndim))
        shape = (1, *x.shape[1:])
        other_axes = (0,) if x.ndim == 2 else (0, 2, 3)
        other_name = ("batch normalisation: the statistics run over the batch (axis 0), not "
                      "over each sample's features")
    given = param(params, "eps", "epsilon")
    mode = param(params, "mode", default="train")
    if which == "batchnorm" and mode == "test":
        mean = np.asarray(param(params, "running_mean", default=np.zeros(x.shape[1])))
        var = np.asarray(param(params, "running_var", default=np.ones(x.shape[1])))
        eps = 1e-5 if given is None else float(given)
        rm, rv = torch.tensor(mean).reshape(shape), torch.tensor(var).reshape(shape)

        def test_forward(t: dict) -> torch.Tensor:
            y = (t["x"] - rm) / torch.sqrt(rv + eps)
            y = y * t["gamma"].reshape(shape) if "gamma" in t else y
            return y + t["beta"].reshape(shape) if "beta" in t else y
        return Binding(roles, [Convention({"mode": "prediction (test): the running mean and "
                                                   f"variance, eps {eps:g}"}, test_forward)])
    epsilons = [float(given)] if given is not None else list(EPS_TRIED)
    conventions = []
    for eps in epsilons:
        for biased in (True, False):
            for inside in (True, False):
                words = {"variance": "biased, divided by N (torch's)" if biased else
                         "unbiased, divided by N - 1",
                         "eps": f"{eps:g}, " + ("inside the square root, sqrt(var + eps) "
                                                "(torch's)" if inside else
                                                "added to the square root, sqrt(var) + eps")}
                if which == "batchnorm":
                    words["statistics"] = ("over the batch" if x.ndim == 2 else
                                           "per channel, over the batch and the spatial axes")
                else:
                    words["statistics"] = "over each sample's features"
                differs = None if biased and inside else (
                    "torch's " + ("BatchNorm" if which == "batchnorm" else "LayerNorm") +
                    " uses the biased variance with eps inside the square root")
                conventions.append(Convention(
                    words, (lambda t, b=biased, i=inside, e=eps:
                            _normalise(t, axes, shape, b, i, e)), differs))
    eps0 = epsilons[0]
    other = [(other_name, lambda t: _normalise(t, other_axes, (1, *x.shape[1:])
                                               if which == "batchnorm" else shape, True, True,
                                               eps0))]

    def mistakes(convention: Convention) -> dict[str, Mistake]:
        biased = convention.words["variance"].startswith("biased")
        inside = "inside" in convention.words["eps"]
        eps = float(convention.words["eps"].split(",")[0])
        N = int(np.prod([x.shape[a] for a in axes])) if which == "batchnorm" else x.shape[0]

        def detached(what: str):
            return lambda a, dout, y: run(lambda t: _normalise(t, axes, shape, biased,
                                                               inside, eps, what), a, dout)[1]

        def right(a: dict, dout: np.ndarray) -> dict:
            return run(convention.forward, a, dout)[1]

        batch_axes = axes if which == "batchnorm" else (0,)
        found = {
            "no_mean_and_variance_paths": Mistake(
                "dx lacks x's paths through the mean and the variance: dx = gamma dout / std, "
                "as if the statistics were constants", detached("mean var")),
            "no_variance_path": Mistake(
                "dx lacks x's path through the variance (the mean's path is there)",
                detached("var")),
            "no_mean_path": Mistake(
                "dx lacks x's path through the mean (the variance's path is there)",
                detached("mean")),
        }
        if "gamma" in roles:
            found["dgamma_from_x"] = Mistake(
                "dgamma is built from x instead of the normalised x_hat: sum(dout x)",
                lambda a, dout, y: {**right(a, dout),
                                    "gamma": (dout * a["x"]).sum(axis=batch_axes)})
            found["parameters_averaged"] = Mistake(
                "dgamma and dbeta are averaged over the batch (divided by N) instead of summed",
                lambda a, dout, y: {k: (v / N if k in ("gamma", "beta") else v)
                                    for k, v in right(a, dout).items()})
            found["dgamma_without_x_hat"] = Mistake(
                "dgamma is dbeta's sum(dout), without the factor x_hat",
                lambda a, dout, y: {**right(a, dout), "gamma": dout.sum(axis=batch_axes)})
        def closed_form(a: dict, dout: np.ndarray, count_in_last: float, sign: float = -1.0,
                        other_axes: bool = False) -> dict:
            """The closed-form dx on this forward's x_hat and std, with the last term's
            count (and sign) as given; ``other_axes``: the other normalisation's sums."""
            x_ = a["x"]
            count = int(np.prod([x_.shape[i] for i in axes]))
            mean = x_.mean(axis=axes, keepdims=True)
            var = ((x_ - mean) ** 2).sum(axis=axes, keepdims=True) / (count if biased
                                                                      else count - 1)
            std = np.sqrt(var + eps) if inside else np.sqrt(var) + eps
            xh = (x_ - mean) / std
            dxh = dout * (a["gamma"].reshape(shape) if "gamma" in a else 1.0)
            sums = other_axes_sum if other_axes else axes
            dx = (dxh - dxh.mean(axis=sums, keepdims=True)
                  + sign * xh * (dxh * xh).sum(axis=sums, keepdims=True) / count_in_last) / std
            return {**right(a, dout), "x": dx}
        other_axes_sum = other_axes
        count = int(np.prod([x.shape[i] for i in axes]))
        found["closed_form_for_the_other_variance"] = Mistake(
            "dx is the closed form for the other variance (divided by "
            + ("N - 1" if biased else "N") + " where the forward divides by "
            + ("N" if biased else "N - 1") + ")",
            lambda a, dout, y: closed_form(a, dout, count - 1 if biased else count))
        found["variance_term_sign"] = Mistake(
            "the closed form's last term has the wrong sign: + x_hat sum(dx_hat x_hat) "
            "instead of -", lambda a, dout, y: closed_form(a, dout, count if biased else
                                                          count - 1, sign=1.0))
        found["variance_term_not_averaged"] = Mistake(
            "the closed form's last term is summed, not averaged: x_hat sum(dx_hat x_hat) "
            "without the 1/N", lambda a, dout, y: closed_form(a, dout, 1.0))
        found["the_other_normalisations_backward"] = Mistake(
            "dx is the other normalisation's backward: its sums run over "
            + ("each sample's features" if which == "batchnorm" else "the batch")
            + " where this forward's statistics run over "
            + ("the batch" if which == "batchnorm" else "each sample's features"),
            lambda a, dout, y: closed_form(a, dout, int(np.prod([x.shape[i] for i in
                                                                  other_axes_sum])),
                                           other_axes=True))
        found["variance_convention_in_backward"] = Mistake(
            "dx follows the other variance (N - 1 where the forward divides by N, or the "
            "reverse)", lambda a, dout, y: {**right(a, dout), "x": run(
                lambda t: _normalise(t, axes, shape, not biased, inside, eps), a, dout)[1]["x"]})
        return found
    return Binding(roles, conventions, mistakes, other=other)


def batchnorm(inputs: list, names: list[str], wanted: list[int], out: np.ndarray) -> Binding:
    return _bind(inputs, wanted, "batchnorm", out)


def layernorm(inputs: list, names: list[str], wanted: list[int], out: np.ndarray) -> Binding:
    return _bind(inputs, wanted, "layernorm", out)
