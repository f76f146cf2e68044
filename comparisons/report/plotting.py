"""What every figure shares: the backend, the colours, the layout of its panels for each
screen (``LAYOUTS``: a desktop, a tablet, a phone), where its legends go, and the ways a
figure is written out (a PNG embedded in report.html, and PNG and SVG files for slides).

Legibility is a rule, not a hope: no text under ``SMALLEST_FONT`` points, figures no wider
than the page's column on the screen they are drawn for, so that text is shown at 9 px or
more, and no legend over data (``legend`` finds each legend its place). ``legibility.py``
measures all of it on the drawn figure; the tests run it on every figure in every layout."""

import base64
import functools
import io
import math
import os
import sys
import textwrap
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, NamedTuple

import matplotlib
import numpy as np

if "ipykernel" not in sys.modules:  # a notebook keeps its inline backend
    matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.colors import to_rgba  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.image import imsave  # noqa: E402
from matplotlib.legend import Legend  # noqa: E402
from matplotlib.text import Text  # noqa: E402
from matplotlib.transforms import offset_copy  # noqa: E402

from comparisons.report import legibility  # noqa: E402

plt.rcParams["figure.constrained_layout.use"] = True  # labels never overlap a neighbour
plt.rcParams["figure.max_open_warning"] = 0  # the report draws them all, then closes each

COLORS = {"scratch": "#1f77b4", "torch": "#d62728", "torch_native": "#ff7f0e",
          "sklearn": "#2ca02c", "logistic": "#9467bd", "tanh": "#8c564b", "relu": "#17becf"}
FLOOR = 1e-17  # bit-identical results are drawn here on log scales
# each model's name under its bar: the torch twin in scikit-learn's and in PyTorch's
# conventions (short enough for four bars on a phone; the captions say what they mean)
SHORT = {"scratch": "scratch", "torch": "torch twin\n(sklearn)",
         "torch_native": "torch twin\n(torch)", "sklearn": "scikit-learn"}


DPI = 90  # the report's PNGs: a figure W inches wide is W * 90 pixels
SMALLEST_FONT = 8  # points: 10 px at 90 dpi, so text stays at 9 px or more where shown


class Layout(NamedTuple):
    """How a screen gets its figures: at most ``width`` inches wide (``width * DPI`` px) and
    ``columns`` panels per row, on screens from ``narrowest`` px wide (to the next layout's),
    where the page's column is ``narrowest - PAGE_MARGINS`` px: there too, text must be
    shown at 9 px or more (a figure is scaled down to its column, never up)."""

    width: float
    columns: int | None
    narrowest: int

    @property
    def column(self) -> int:
        return self.narrowest - PAGE_MARGINS


PAGE_MARGINS = 32  # px: the page's padding, 1em on each side
LAYOUTS = {  # from the widest screens to the narrowest; report.html shows each on its own
    "desktop": Layout(12.5, None, 1080),  # 1,125 px, on screens from 1,080 px (column 1,048)
    "tablet": Layout(8.0, 2, 700),  # 720 px, on 700 to 1,079 px screens
    "phone": Layout(3.8, 1, 360),  # 342 px, below 700 px (a 390 px phone: a 358 px column)
}
_layout = {"name": "desktop"}


@contextmanager
def layout(name: str) -> Iterator[None]:
    """Within the block, ``panels`` lays figures out for the screen ``name`` of ``LAYOUTS``
    (the report draws every figure once per layout)."""
    previous, _layout["name"] = _layout["name"], name
    try:
        yield
    finally:
        _layout["name"] = previous


def phone() -> Any:
    """``layout("phone")``: panels stacked (or fewer per row), the figure no wider than a
    phone's column."""
    return layout("phone")


def current() -> str:
    """The layout figures are drawn for now: "desktop", "tablet" or "phone"."""
    return _layout["name"]


def is_phone() -> bool:
    return _layout["name"] == "phone"


def panels(n: int, size: tuple[float, float], columns: int | None = None,
           phone_columns: int = 1, tablet_columns: int = 2,
           **subplots: Any) -> tuple[Figure, list[Axes]]:
    """A figure of ``n`` panels of ``size`` (inches) each: ``columns`` per row on a desktop
    (default: all in one row), ``tablet_columns`` on a tablet and ``phone_columns`` on a
    phone (never more than on a desktop); scaled down, fonts unchanged, to fit the layout's
    width. Returns the figure and its ``n`` axes, in order."""
    wide = columns or n
    per_row = min(n, {"desktop": wide, "tablet": min(wide, tablet_columns),
                      "phone": min(wide, phone_columns)}[current()])
    rows = -(-n // per_row)
    width, height = per_row * size[0], rows * size[1]
    scale = min(1.0, LAYOUTS[current()].width / width)
    fig, axes = plt.subplots(rows, per_row, figsize=(width * scale, height * scale),
                             dpi=DPI, squeeze=False, **subplots)
    flat = list(axes.ravel())
    for extra in flat[n:]:
        extra.remove()
    return fig, flat[:n]


def ylabel_per_row(axes: list[Axes], text: str) -> None:
    """``text`` as the y label of each of ``axes`` that starts a row: panels that share their y
    axis are labelled once per row, so that stacked panels (a phone's) each keep theirs."""
    for ax in axes:
        if ax.get_subplotspec().is_first_col():
            ax.set_ylabel(text)


def redrawable(draw: Callable[..., Figure]) -> Callable[..., Figure]:
    """Marks a figure function of the report: each figure it returns remembers the call, so
    that ``redraw(fig, layout)`` draws the same figure for another screen (the page is given
    each figure once or twice, and shows it in every layout)."""
    @functools.wraps(draw)
    def drawn(*args: Any, **kwargs: Any) -> Figure:
        fig = draw(*args, **kwargs)
        _CALLS[fig] = functools.partial(draw, *args, **kwargs)
        return fig

    return drawn


_CALLS: "weakref.WeakKeyDictionary[Figure, Callable[[], Figure]]" = weakref.WeakKeyDictionary()


def redraw(fig: Figure, name: str) -> Figure:
    """The figure ``fig`` (drawn by a ``redrawable`` function) drawn again for the layout
    ``name``."""
    if fig not in _CALLS:
        raise ValueError("this figure was not drawn by a function marked @redrawable, so it "
                         "cannot be drawn for another screen")
    with layout(name):
        return _CALLS[fig]()


# --- legends -------------------------------------------------------------------------------

CORNERS = ("upper right", "upper left", "lower right", "lower left", "center right",
           "center left", "upper center", "lower center")


def legend(*axes: Axes, figure_wide: bool = False, **options: Any) -> None:
    """Each of ``axes``' legends where it hides no data: the first of ``CORNERS`` inside its
    axes whose box covers none of its data (``legibility.covered``: points, lines, bars,
    bands, annotations), else under the axes, below its tick labels and label. With
    ``figure_wide`` (panels whose entries are the same): one legend for the whole figure,
    with the entries of ``axes[0]``, under every panel. A legend outside takes as many
    columns as fit its width. Call it last, once the panels are drawn, with every axes that
    has a legend at once (each layout of the figure is computed once for all). A legend
    placed outside changes the other panels' size, so every legend inside is checked again
    and moved under its axes if it now covers data."""
    fig = axes[0].figure
    options.setdefault("fontsize", SMALLEST_FONT)
    if figure_wide:
        handles, labels = axes[0].get_legend_handles_labels()
        _fitted(lambda n: fig.legend(handles, labels, loc="outside lower center", ncols=n,
                                     **options), len(labels), fig.bbox.width)
    else:
        renderer, under = _drawn(fig), []
        for ax in axes:
            placed = ax.legend(**options)
            for corner in CORNERS:
                placed.set_loc(corner)
                if not legibility.covered(placed.get_window_extent(renderer), ax):
                    _INSIDE[placed] = options
                    break
            else:
                placed.remove()
                under.append(ax)
        for ax in under:  # (measured in the layout above: the new legends are not in it yet)
            _below(ax, options, renderer)
    _settle(fig)


_INSIDE: "weakref.WeakKeyDictionary[Legend, dict]" = weakref.WeakKeyDictionary()
# legends placed inside their axes, with their options: _settle checks them again


def _drawn(fig: Figure):
    """The figure laid out (positions computed, nothing rendered); its renderer."""
    return legibility.laid_out(fig)


def _fitted(make, entries: int, room: float) -> Legend:
    """The legend ``make(columns)`` with the most columns (up to ``entries``) no wider than
    ``room`` pixels; one column if none is."""
    for columns in range(entries, 0, -1):
        placed = make(columns)
        renderer = placed.figure.canvas.get_renderer()  # a legend's size needs no layout
        if columns == 1 or placed.get_window_extent(renderer).width <= room:
            return placed
        placed.remove()
    raise ValueError("a legend needs at least one entry")


def _below(ax: Axes, options: dict, renderer: Any = None) -> Legend:
    """``ax``'s legend under the axes: centred under the panel, its top just below the
    lowest tick label or axis label (a distance in points, which a new layout keeps), no
    wider than the panel with its labels. ``renderer``: the figure is laid out already."""
    fig = ax.figure
    if ax.get_legend() is not None:
        ax.get_legend().remove()
    box = ax.get_tightbbox(renderer or _drawn(fig))
    drop = (ax.bbox.y0 - box.y0) * 72 / fig.dpi + 3
    under = offset_copy(ax.transAxes, fig=fig, y=-drop, units="points")
    handles, labels = ax.get_legend_handles_labels()
    return _fitted(lambda n: ax.legend(handles, labels, loc="upper center",
                                       bbox_to_anchor=(0.5, 0), bbox_transform=under,
                                       ncols=n, **options), len(labels), box.width)


def _settle(fig: Figure) -> None:
    """Move under its axes every legend placed inside that now covers data."""
    moved = any(ax.get_legend() in _INSIDE for ax in fig.axes)
    while moved:
        moved = False
        renderer = _drawn(fig)
        for ax in fig.axes:
            placed = ax.get_legend()
            if placed in _INSIDE and legibility.covered(placed.get_window_extent(renderer),
                                                        ax):
                _below(ax, _INSIDE.pop(placed))
                moved = True


# --- output -----------------------------------------------------------------------------------

def smallest_font_px(fig: Figure, dpi: int = DPI) -> float:
    """The smallest text drawn in ``fig``, in pixels of its PNG at ``dpi``."""
    sizes = [t.get_fontsize() for t in fig.findobj(Text)
             if t.get_visible() and t.get_text().strip()]
    return min(sizes, default=SMALLEST_FONT) * dpi / 72


def png(fig: Figure, dpi: int = DPI) -> bytes:
    """The figure as a PNG at ``dpi``, cut to what is drawn and ``savefig.pad_inches``
    around it, as ``savefig(bbox_inches="tight")`` cuts it, from one drawing: the figure is
    laid out and rendered once on its own canvas and the picture cut from it (savefig lays
    it out and draws it twice, once to measure). Afterwards the canvas's renderer measures
    the figure as the PNG shows it (``legibility.problems``). A figure with something drawn
    beyond its edges is saved by savefig, which widens the canvas to take it in."""
    fig.set_dpi(dpi)
    if not _plain_canvas(fig):
        return _saved_png(fig, dpi)
    fig.canvas.draw()
    drawn = fig.get_tightbbox(fig.canvas.get_renderer())  # inches, from the bottom left
    width, height = fig.get_size_inches()
    if drawn.x0 < 0 or drawn.y0 < 0 or drawn.x1 > width or drawn.y1 > height:
        return _saved_png(fig, dpi)
    pad = matplotlib.rcParams["savefig.pad_inches"]
    canvas = np.asarray(fig.canvas.buffer_rgba())  # rows from the top, of whole pixels
    left, right = math.floor((drawn.x0 - pad) * dpi), math.ceil((drawn.x1 + pad) * dpi)
    top = math.floor(canvas.shape[0] - (drawn.y1 + pad) * dpi)
    bottom = math.ceil(canvas.shape[0] - (drawn.y0 - pad) * dpi)
    picture = np.empty((bottom - top, right - left, 4), np.uint8)
    picture[...] = np.round(np.array(to_rgba(fig.get_facecolor())) * 255)  # the padding
    inside = (slice(max(top, 0), min(bottom, canvas.shape[0])),
              slice(max(left, 0), min(right, canvas.shape[1])))
    picture[inside[0].start - top:inside[0].stop - top,
            inside[1].start - left:inside[1].stop - left] = canvas[inside]
    buffer = io.BytesIO()
    imsave(buffer, picture, format="png", dpi=dpi, origin="upper", metadata={"Software": None})
    return buffer.getvalue()


def _plain_canvas(fig: Figure) -> bool:
    """The figure is on an Agg canvas and saved as drawn there: savefig's own colours and
    transparency are the defaults (else savefig saves it, as they ask)."""
    rc = matplotlib.rcParams
    return (isinstance(fig.canvas, FigureCanvasAgg) and not rc["savefig.transparent"]
            and rc["savefig.facecolor"] == "auto" and rc["savefig.edgecolor"] == "auto")


def _saved_png(fig: Figure, dpi: int) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight",
                metadata={"Software": None})
    return buffer.getvalue()


def svg(fig: Figure) -> bytes:
    """The figure as an SVG, cut as its PNG is (``savefig(bbox_inches="tight")``). Call it
    after ``png``: the figure is drawn with the layout ``png`` gave it, once (savefig would
    lay it out again and draw it twice). Images inside it keep matplotlib's default
    resolution (``figure.dpi``), as before the report drew its figures at ``DPI``."""
    buffer = io.BytesIO()
    options = {"format": "svg", "metadata": {"Date": None},
               "dpi": matplotlib.rcParams["figure.dpi"]}
    if not _plain_canvas(fig):
        fig.savefig(buffer, bbox_inches="tight", **options)
        return buffer.getvalue()
    drawn = fig.get_tightbbox(fig.canvas.get_renderer())
    with _layout_kept(fig):
        fig.savefig(buffer, bbox_inches=drawn.padded(matplotlib.rcParams["savefig.pad_inches"]),
                    **options)
    return buffer.getvalue()


@contextmanager
def _layout_kept(fig: Figure) -> Iterator[None]:
    """Within the block the figure has no layout engine: it is drawn where it was laid out.
    (The rc setting holds for the whole block: savefig sets the engine aside and puts it back
    itself, and with this module's setting on, putting back "none" would make a new one.)"""
    engine = fig.get_layout_engine()
    with plt.rc_context({"figure.constrained_layout.use": False, "figure.autolayout": False}):
        fig.set_layout_engine(None)
        try:
            yield
        finally:
            fig.set_layout_engine(engine)


def data_uri(png_bytes: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png_bytes).decode("ascii")


def save(fig: Figure, folder: str, name: str, image: bytes | None = None) -> bytes:
    """Write ``name``.png (``image``, the figure's PNG, when it is drawn already) and
    ``name``.svg into ``folder``; return the PNG's bytes."""
    os.makedirs(folder, exist_ok=True)
    image = png(fig) if image is None else image
    with open(os.path.join(folder, f"{name}.png"), "wb") as f:
        f.write(image)
    with open(os.path.join(folder, f"{name}.svg"), "wb") as f:
        f.write(svg(fig))
    return image


def show(fig: Figure, caption: str) -> None:
    """In a notebook: the figure, then its caption under it."""
    from IPython.display import display

    display(fig)
    plt.close(fig)
    print(textwrap.fill("Figure. " + caption, 100))
