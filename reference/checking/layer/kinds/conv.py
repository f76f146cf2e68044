"""2-D convolution: x (N, C, H, W), w (F, C, HH, WW), b (F,) and a ``conv_param`` dict
(``stride``, ``pad``), CS231n's ``conv_forward_naive``. Without a dict, stride and padding
are read from the output's shape (and checked against its values).

Conventions: a cross-correlation, the kernel not flipped (torch's ``conv2d``, CS231n's), or a
true convolution (the kernel flipped). Classic mistakes: dw flipped (a convolution's
gradient in a cross-correlation layer, or the reverse); dx computed with the kernel the wrong
way round; dw and db averaged over the batch; dx that keeps the padding (a shape the report
names).
"""

import numpy as np
import torch
import torch.nn.functional as F

from reference.checking.layer.kinds.base import Binding, Convention, Mistake, param, run


def _geometry(x: tuple, w: tuple, out: tuple) -> list[tuple[int, int]]:
    """(stride, pad) pairs that give ``out``'s spatial shape."""
    H, W = x[2:]
    HH, WW = w[2:]
    found = []
    for stride in range(1, max(HH, WW, 1) + 4):
        for pad in range(0, max(HH, WW) + 1):
            if ((H + 2 * pad - HH) // stride + 1, (W + 2 * pad - WW) // stride + 1) == \
                    tuple(out[2:]):
                found.append((stride, pad))
    return found


def conv2d(inputs: list, names: list[str], wanted: list[int], out: np.ndarray) -> Binding:
    arrays = [inputs[k] for k in wanted]
    if len(arrays) < 2 or arrays[0].ndim != 4 or arrays[1].ndim != 4:
        raise ValueError("kind='conv2d' needs x (N, C, H, W) and w (F, C, HH, WW) (and b "
                         "(F,)) among the inputs, as float arrays.")
    roles = {"x": wanted[0], "w": wanted[1]}
    if len(wanted) > 2 and inputs[wanted[2]].ndim == 1:
        roles["b"] = wanted[2]
    params = next((v for v in inputs if isinstance(v, dict)), None)
    y = np.asarray(out)
    if params is not None and param(params, "stride", "pad", "padding") is not None:
        geometry = [(int(param(params, "stride", default=1)),
                     int(param(params, "pad", "padding", default=0)))]
    else:
        geometry = _geometry(arrays[0].shape, arrays[1].shape, y.shape) if y.ndim == 4 else []
    if not geometry:
        raise ValueError(f"kind='conv2d': no stride and padding turn x {arrays[0].shape} and "
                         f"w {arrays[1].shape} into an output of shape {y.shape}.")

    def forward(stride: int, pad: int, flipped: bool):
        def f(t: dict) -> torch.Tensor:
            w = torch.flip(t["w"], dims=(2, 3)) if flipped else t["w"]
            return F.conv2d(t["x"], w, t.get("b"), stride=stride, padding=pad)
        return f

    conventions = []
    for stride, pad in geometry:
        for flipped in (False, True):
            words = {"operation": "a true convolution: the kernel flipped" if flipped else
                     "a cross-correlation, the kernel not flipped (torch's conv2d, CS231n's)",
                     "stride": str(stride), "padding": f"{pad} (zeros)"}
            conventions.append(Convention(words, forward(stride, pad, flipped),
                                          "torch's conv2d does not flip the kernel"
                                          if flipped else None))

    def mistakes(convention: Convention) -> dict[str, Mistake]:
        flipped = convention.words["operation"].startswith("a true")
        stride, pad = int(convention.words["stride"]), int(convention.words["padding"]
                                                          .split()[0])
        N = arrays[0].shape[0]

        def right(a: dict, dout: np.ndarray) -> dict:
            return run(convention.forward, a, dout)[1]

        def other_operation(a: dict, dout: np.ndarray) -> dict:
            return run(forward(stride, pad, not flipped), a, dout)[1]
        found = {
            "dw_flipped": Mistake(
                "dw is flipped: the gradient of a " + ("cross-correlation" if flipped else
                                                       "true convolution")
                + " for the kernel of a " + ("true convolution" if flipped else
                                             "cross-correlation"),
                lambda a, dout, y: {**right(a, dout),
                                    "w": right(a, dout)["w"][:, :, ::-1, ::-1].copy()}),
            "dx_kernel_the_wrong_way": Mistake(
                "dx uses the kernel the wrong way round (not flipped where the transposed "
                "convolution flips it, or the reverse)",
                lambda a, dout, y: {**right(a, dout), "x": other_operation(a, dout)["x"]}),
            "parameters_averaged": Mistake(
                "dw and db are averaged over the batch (divided by N) instead of summed",
                lambda a, dout, y: {k: (v / N if k in ("w", "b") else v)
                                    for k, v in right(a, dout).items()}),
            "db_averaged_over_positions": Mistake(
                "db is averaged over the output positions (divided by H_out W_out) instead "
                "of summed", lambda a, dout, y: {**right(a, dout),
                                                  "b": dout.sum(axis=(0, 2, 3))
                                                  / (dout.shape[2] * dout.shape[3])}),
        }
        if stride > 1:
            found["backward_ignores_the_stride"] = Mistake(
                "the backward pass places window (i, j) at (i, j) instead of (i * stride, "
                "j * stride): the stride is forgotten there",
                lambda a, dout, y: _loops(a, dout, stride, pad, flipped, placed=1))
        for how in ("window", "loop"):  # a loop over windows, or over (n, f, i, j)
            found[f"dx_assigned_not_added_{how}"] = Mistake(
                "dx is assigned (=) where it must add (+=): where windows overlap"
                + (", or filters meet," if how == "loop" else "") + " only the last "
                "contribution is kept",
                lambda a, dout, y, how=how: _loops(a, dout, stride, pad, flipped, assign=how))
        return found
    return Binding(roles, conventions, mistakes)


def _loops(a: dict, dout: np.ndarray, stride: int, pad: int, flipped: bool, placed: int = 0,
           assign: str = "") -> dict:
    """The naive backward's loops (n, f, i, j), with the windows placed at ``placed`` times
    (i, j) (0: the stride), or dx assigned instead of added: per (n, f, i, j) ("loop"), or
    per window with the filters and samples summed first ("window")."""
    x, w = a["x"], a["w"][:, :, ::-1, ::-1] if flipped else a["w"]
    HH, WW = w.shape[2:]
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    dxp, dw = np.zeros_like(xp), np.zeros_like(w)
    step = placed or stride
    if assign == "window":
        for i in range(dout.shape[2]):
            for j in range(dout.shape[3]):
                rows, cols = slice(i * step, i * step + HH), slice(j * step, j * step + WW)
                dxp[:, :, rows, cols] = np.tensordot(dout[:, :, i, j], w, axes=([1], [0]))
                dw += np.tensordot(dout[:, :, i, j], xp[:, :, rows, cols], axes=([0], [0]))
        dx = dxp[:, :, pad:xp.shape[2] - pad, pad:xp.shape[3] - pad]
        result = {"x": dx, "w": dw[:, :, ::-1, ::-1] if flipped else dw}
        return result | ({"b": dout.sum(axis=(0, 2, 3))} if "b" in a else {})
    for n in range(dout.shape[0]):
        for f in range(dout.shape[1]):
            for i in range(dout.shape[2]):
                for j in range(dout.shape[3]):
                    window = (n, slice(None), slice(i * step, i * step + HH),
                              slice(j * step, j * step + WW))
                    if xp[window].shape[1:] != (HH, WW):
                        continue
                    dw[f] += dout[n, f, i, j] * xp[window]
                    if assign:
                        dxp[window] = dout[n, f, i, j] * w[f]
                    else:
                        dxp[window] += dout[n, f, i, j] * w[f]
    dx = dxp[:, :, pad:xp.shape[2] - pad, pad:xp.shape[3] - pad]
    result = {"x": dx, "w": dw[:, :, ::-1, ::-1] if flipped else dw}
    if "b" in a:
        result["b"] = dout.sum(axis=(0, 2, 3))
    return result
