"""What every figure shares: the backend, the colours, the layout of its panels (for a
desktop and, under ``phone()``, for a phone), and the ways a figure is written out (a PNG
embedded in report.html, and PNG and SVG files for slides).

Legibility is a rule, not a hope: no text under ``SMALLEST_FONT`` points, and figures no
wider than the page's column (``DESKTOP_WIDTH``; ``PHONE_WIDTH`` for the phone variant), so
that text is shown at 9 px or more; the browser test measures it in Chromium."""

import base64
import io
import os
import sys
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import matplotlib

if "ipykernel" not in sys.modules:  # a notebook keeps its inline backend
    matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.text import Text  # noqa: E402

plt.rcParams["figure.constrained_layout.use"] = True  # labels never overlap a neighbour
plt.rcParams["figure.max_open_warning"] = 0  # the report draws them all, then closes each

COLORS = {"scratch": "#1f77b4", "torch": "#d62728", "torch_native": "#ff7f0e",
          "sklearn": "#2ca02c", "logistic": "#9467bd", "tanh": "#8c564b", "relu": "#17becf"}
FLOOR = 1e-17  # bit-identical results are drawn here on log scales
SHORT = {"scratch": "scratch", "torch": "torch twin\nsklearn conv.",
         "torch_native": "torch twin\ntorch conv.", "sklearn": "scikit-learn"}


DPI = 90  # the report's PNGs: a figure W inches wide is W * 90 pixels
DESKTOP_WIDTH = 12.5  # inches: 1,125 px, within the page's 1,168 px column, shown 1:1
PHONE_WIDTH = 3.8  # inches: 342 px, within a phone's 358 px column (390 px less the margins)
SMALLEST_FONT = 8  # points: 10 px at 90 dpi, so text stays at 9 px or more where shown
_layout = {"phone": False}


@contextmanager
def phone() -> Iterator[None]:
    """Within the block, ``panels`` lays figures out for a phone: panels stacked (or fewer
    per row), the figure no wider than ``PHONE_WIDTH``; the report shows that variant on
    narrow screens."""
    _layout["phone"] = True
    try:
        yield
    finally:
        _layout["phone"] = False


def is_phone() -> bool:
    return _layout["phone"]


def panels(n: int, size: tuple[float, float], columns: int | None = None,
           phone_columns: int = 1, **subplots: Any) -> tuple[Figure, list[Axes]]:
    """A figure of ``n`` panels of ``size`` (inches) each, ``columns`` per row (default: all
    in one row) or ``phone_columns`` per row for a phone; scaled down, fonts unchanged, to fit
    ``DESKTOP_WIDTH`` or ``PHONE_WIDTH``. Returns the figure and its ``n`` axes, in order."""
    per_row = min(n, phone_columns if is_phone() else (columns or n))
    rows = -(-n // per_row)
    width, height = per_row * size[0], rows * size[1]
    scale = min(1.0, (PHONE_WIDTH if is_phone() else DESKTOP_WIDTH) / width)
    fig, axes = plt.subplots(rows, per_row, figsize=(width * scale, height * scale),
                             squeeze=False, **subplots)
    flat = list(axes.ravel())
    for extra in flat[n:]:
        extra.remove()
    return fig, flat[:n]


def smallest_font_px(fig: Figure, dpi: int = DPI) -> float:
    """The smallest text drawn in ``fig``, in pixels of its PNG at ``dpi``."""
    sizes = [t.get_fontsize() for t in fig.findobj(Text)
             if t.get_visible() and t.get_text().strip()]
    return min(sizes, default=SMALLEST_FONT) * dpi / 72


def png(fig: Figure, dpi: int = DPI) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight",
                metadata={"Software": None})
    return buffer.getvalue()


def svg(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    return buffer.getvalue()


def data_uri(png_bytes: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png_bytes).decode("ascii")


def save(fig: Figure, folder: str, name: str) -> bytes:
    """Write ``name``.png and ``name``.svg into ``folder``; return the PNG's bytes and close
    the figure."""
    os.makedirs(folder, exist_ok=True)
    image = png(fig)
    with open(os.path.join(folder, f"{name}.png"), "wb") as f:
        f.write(image)
    with open(os.path.join(folder, f"{name}.svg"), "wb") as f:
        f.write(svg(fig))
    plt.close(fig)
    return image


def show(fig: Figure, caption: str) -> None:
    """In a notebook: the figure, then its caption under it."""
    from IPython.display import display

    display(fig)
    plt.close(fig)
    print(textwrap.fill("Figure. " + caption, 100))
