"""Dropout: out = x * mask * scale. The mask is read from the user's own forward (the units
it zeroed), so the check is deterministic whatever the mask was drawn from; the scale says
the convention: inverted dropout (1 / keep, torch's and CS231n's) or the 2014 paper's
(1: the scaling happens at test time instead), and whether a ``p`` in the param dict is the
probability to keep (CS231n's ``dropout_param['p']``, the paper's) or to drop (torch's).
"""

import numpy as np
import torch

from reference.checking.layer.kinds.base import Binding, Convention, Mistake, param


def dropout(inputs: list, names: list[str], wanted: list[int], out: np.ndarray) -> Binding:
    x = np.asarray(inputs[wanted[0]], dtype=np.float64)
    y = np.asarray(out, dtype=np.float64).reshape(x.shape)
    params = next((v for v in inputs if isinstance(v, dict)), {})
    mode = param(params, "mode", default="train")
    if mode == "test" or np.array_equal(y, x):
        conventions = [Convention({"mode": "prediction (test): the identity"},
                                  lambda t: t["x"] * 1.0)]
        return Binding({"x": wanted[0]}, conventions)
    kept = (y != 0) | (x == 0)
    ratio = y[kept & (x != 0)] / x[kept & (x != 0)]
    scale = float(np.median(ratio)) if ratio.size else 1.0
    keep_fraction = kept.mean()
    p = param(params, "p", "keep_prob", "rate", "drop_prob")
    words = {"mask": f"read from your forward: it keeps {kept.sum()} of {kept.size} units "
                     f"({keep_fraction:.0%})"}
    if abs(scale - 1) < 1e-12:
        words["scaling"] = "none at training time (the 2014 paper's: scaled at test time)"
    else:
        words["scaling"] = f"inverted dropout: kept units times {scale:.4g} (= 1 / keep)"
        if isinstance(p, (int, float)) and 0 < p < 1:
            if abs(scale - 1 / p) < 1e-9 * scale:
                words["p"] = f"p = {p:g} is the probability to keep (CS231n's, the paper's)"
            elif abs(scale - 1 / (1 - p)) < 1e-9 * scale:
                words["p"] = f"p = {p:g} is the probability to drop (torch's)"
    multiplier = kept * scale
    M = torch.tensor(multiplier)
    conventions = [Convention(words, lambda t: t["x"] * M)]

    def mistakes(convention: Convention) -> dict[str, Mistake]:
        scaled = {}
        if abs(scale - 1) < 1e-12 and isinstance(p, (int, float)) and 0 < p < 1:
            for keep, meaning in ((p, "keep"), (1 - p, "drop")):
                scaled[f"scaled_in_backward_only_{meaning}"] = Mistake(
                    f"backward divides by {keep:g} (p = {p:g} read as the probability to "
                    f"{meaning}) while the forward does not scale: inverted in one pass only",
                    lambda a, dout, o, keep=keep: {"x": dout * kept / keep})
        return scaled | {
            "no_mask_no_scale": Mistake("backward passes dout back unchanged: neither the "
                                        "mask nor the scale",
                                        lambda a, dout, o: {"x": dout.copy()}),
            "no_mask": Mistake("the mask is missing in backward: every unit gets dout times "
                               "the scale, the dropped ones too",
                               lambda a, dout, o: {"x": dout * scale}),
            "no_scale": Mistake("the scale 1 / keep is missing in backward (the forward "
                                "has it)", lambda a, dout, o: {"x": dout * kept}),
            "scale_twice": Mistake("the scale is applied twice in backward",
                                   lambda a, dout, o: {"x": dout * kept * scale ** 2}),
            "mask_inverted": Mistake("the mask is inverted: the dropped units get the "
                                     "gradient, the kept ones none",
                                     lambda a, dout, o: {"x": dout * (~kept) * scale}),
            "other_scale": Mistake("backward scales by 1 / (1 - keep) where the forward "
                                   "scaled by 1 / keep (p read as the other probability)",
                                   lambda a, dout, o: {"x": dout * kept / (1 - 1 / scale)}
                                   if scale > 1 else {"x": dout * np.nan}),
        }
    return Binding({"x": wanted[0]}, conventions, mistakes)
