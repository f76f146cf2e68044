"""2-D max pooling: x (N, C, H, W) and a ``pool_param`` dict (``pool_height``,
``pool_width``, ``stride``; or torch's ``kernel_size``), CS231n's
``max_pool_forward_naive``. Without a dict, the window and stride are read from the output's
shape (and checked against its values).

Each window's upstream gradient goes to one position: its maximum. Where a window holds its
maximum twice (a tie: a kink of the max gate), finite differences cannot decide, and torch's
choice counts: the first maximum in row-major order. Classic mistakes: the gradient sent to
every element of the window, or spread as average pooling's, or at a tie to every maximum,
or to the last one.
"""

import numpy as np
import torch.nn.functional as F

from reference.checking.layer.kinds.base import Binding, Convention, Mistake, param


def _windows(shape: tuple, size: tuple[int, int], stride: int):
    """(n, c, i, j, rows, cols) for every window."""
    N, C, H, W = shape
    HH, WW = size
    for i in range((H - HH) // stride + 1):
        for j in range((W - WW) // stride + 1):
            yield i, j, slice(i * stride, i * stride + HH), slice(j * stride, j * stride + WW)


def _loops(x: np.ndarray, dout: np.ndarray, size: tuple, stride: int, placed: int = 0,
           assign: bool = False, swapped: bool = False) -> np.ndarray:
    """The naive backward's loops (n, c, i, j) with one of its classic slips: the windows
    placed at ``placed`` times (i, j) (0: the stride), dx assigned instead of added, or the
    flat argmax unravelled with rows and columns swapped."""
    HH, WW = size
    step = placed or stride
    dx = np.zeros_like(x, dtype=np.float64)
    for n in range(dout.shape[0]):
        for c in range(dout.shape[1]):
            for i in range(dout.shape[2]):
                for j in range(dout.shape[3]):
                    window = x[n, c, i * step:i * step + HH, j * step:j * step + WW]
                    if window.shape != (HH, WW):
                        continue
                    flat = int(np.argmax(window))
                    r, q = (flat % WW, flat // WW) if swapped else divmod(flat, WW)
                    if not (0 <= r < HH and 0 <= q < WW):
                        continue
                    if assign:
                        dx[n, c, i * step + r, j * step + q] = dout[n, c, i, j]
                    else:
                        dx[n, c, i * step + r, j * step + q] += dout[n, c, i, j]
    return dx


def _route(x: np.ndarray, dout: np.ndarray, size: tuple, stride: int, how: str) -> np.ndarray:
    """Each window's dout routed as ``how`` says: "first" or "last" maximum, "all_max",
    "every" element, or the "average"."""
    dx = np.zeros_like(x, dtype=np.float64)
    N, C = x.shape[:2]
    for i, j, rows, cols in _windows(x.shape, size, stride):
        window = x[:, :, rows, cols].reshape(N, C, -1)
        g = dout[:, :, i, j][..., None]
        if how == "every":
            share = np.ones_like(window)
        elif how == "average":
            share = np.full_like(window, 1.0 / window.shape[-1])
        else:
            top = window == window.max(axis=-1, keepdims=True)
            if how == "all_max":
                share = top.astype(np.float64)
            else:
                index = top.argmax(-1) if how == "first" else \
                    window.shape[-1] - 1 - top[..., ::-1].argmax(-1)
                share = np.zeros_like(window)
                np.put_along_axis(share, index[..., None], 1.0, axis=-1)
        dx[:, :, rows, cols] += (g * share).reshape(N, C, size[0], size[1])
    return dx


def maxpool2d(inputs: list, names: list[str], wanted: list[int], out: np.ndarray
              ) -> Binding:
    x = inputs[wanted[0]]
    if x.ndim != 4:
        raise ValueError(f"kind='maxpool2d' needs x of shape (N, C, H, W), got {x.shape}.")
    params = next((v for v in inputs if isinstance(v, dict)), {})
    y = np.asarray(out)
    kernel = param(params, "kernel_size", "pool_size")
    HH = param(params, "pool_height", default=kernel[0] if isinstance(kernel, (tuple, list))
               else kernel)
    WW = param(params, "pool_width", default=kernel[1] if isinstance(kernel, (tuple, list))
               else kernel)
    stride = param(params, "stride")
    options = []
    if HH is not None and WW is not None:
        options = [((int(HH), int(WW)), int(stride) if stride is not None else int(HH))]
    elif y.ndim == 4:
        for h in range(1, x.shape[2] + 1):
            for w in range(1, x.shape[3] + 1):
                for s in range(1, max(h, w) + 1):
                    if ((x.shape[2] - h) // s + 1, (x.shape[3] - w) // s + 1) == y.shape[2:]:
                        options.append(((h, w), s))
    if not options:
        raise ValueError(f"kind='maxpool2d': no window and stride turn x {x.shape} into an "
                         f"output of shape {y.shape}; pass pool_param.")
    conventions = [Convention({"window": f"{size[0]} x {size[1]}", "stride": str(s),
                               "ties": "the first maximum in row-major order gets the "
                                       "gradient (torch's choice)"},
                              lambda t, size=size, s=s: F.max_pool2d(t["x"], size, s))
                   for size, s in options]

    def geometry(convention: Convention) -> tuple[tuple[int, int], int]:
        h, w = (int(v) for v in convention.words["window"].split(" x "))
        return (h, w), int(convention.words["stride"])

    def mistakes(convention: Convention) -> dict[str, Mistake]:
        size, s = geometry(convention)
        return {
            name: Mistake(text, lambda a, dout, o, how=how: {
                "x": _route(a["x"], dout, size, s, how)})
            for name, how, text in (
                ("every_element", "every", "each window's gradient goes to every element of "
                                           "the window, not only to its maximum"),
                ("average", "average", "each window's gradient is spread evenly over it "
                                       "(average pooling's), not sent to its maximum"),
                ("every_tied_maximum", "all_max", "at a tie, every maximum of the window gets "
                                                  "the gradient; torch gives it to one only "
                                                  "(the first)"),
                ("last_tied_maximum", "last", "at a tie, the last maximum of the window gets "
                                              "the gradient; torch gives it to the first"))} | {
            "argmax_rows_and_columns_swapped": Mistake(
                "the window's flat argmax is unravelled with rows and columns swapped "
                "(index % width, index // width)",
                lambda a, dout, o: {"x": _loops(a["x"], dout, size, s, swapped=True)}),
            "dx_assigned_not_added": Mistake(
                "dx is assigned (=) at each window's maximum where it must add (+=): an entry "
                "that is the maximum of several overlapping windows keeps only the last "
                "gradient", lambda a, dout, o: {"x": _loops(a["x"], dout, size, s,
                                                            assign=True)}),
            "backward_ignores_the_stride": Mistake(
                "the backward pass looks for window (i, j) at (i, j) instead of (i * stride, "
                "j * stride): the stride is forgotten there",
                lambda a, dout, o: {"x": _loops(a["x"], dout, size, s, placed=1)}),
        }

    def kinks(a: dict) -> dict:
        size, s = geometry(conventions[0])
        mask = np.zeros_like(a["x"], dtype=bool)
        scale = max(float(np.sqrt(np.mean(a["x"] ** 2))), 1e-3)
        N, C = a["x"].shape[:2]
        for i, j, rows, cols in _windows(a["x"].shape, size, s):
            window = a["x"][:, :, rows, cols].reshape(N, C, -1)
            ordered = np.sort(window, axis=-1)
            tied = (ordered[..., -1] - ordered[..., -2] <= 1e-6 * scale) if \
                window.shape[-1] > 1 else np.zeros((N, C), dtype=bool)
            mask[:, :, rows, cols] |= tied[..., None, None]
        return {"x": mask}
    return Binding({"x": wanted[0]}, conventions, mistakes, kinks)
