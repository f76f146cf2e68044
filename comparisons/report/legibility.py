"""What a reader could not read in a figure, measured where matplotlib draws it.

Text inside a figure is pixels to a browser, so the figure is checked before it becomes a PNG,
in display coordinates (pixels of the figure at its dpi), once laid out (``laid_out``):

- ``marks(ax)``: where an axes' data are: the points of its lines (sampled every few pixels
  along each segment, so a legend cannot sit between two points), its scatter points and
  error bars, its bars, bands and annotations as boxes. Reference lines drawn across the
  whole axes (``axhline``) and images are not marks;
- ``legend_problems``: a legend whose box covers a mark of any axes, or a tick label;
- ``tick_problems``: tick labels of one axis that overlap or touch each other;
- ``font_problems``: text under ``SHOWN_FLOOR_PX`` as shown at a given width (the PNG is
  scaled down to fit a narrower column);
- ``axis_problems``: an accuracy axis that runs past 1 or below 0.

``problems(fig, dpi, width, shown_width)`` runs them all and returns one sentence per
problem, naming the panel by its title. ``plotting.legend`` uses ``covered`` to find a
legend's place.
"""

import struct
from typing import TYPE_CHECKING

import numpy as np
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection, PathCollection, PolyCollection
from matplotlib.contour import ContourSet
from matplotlib.figure import Figure
from matplotlib.legend import Legend
from matplotlib.patches import Patch
from matplotlib.text import Text
from matplotlib.transforms import Bbox

if TYPE_CHECKING:  # only for the annotations
    from matplotlib.axis import Axis
    from matplotlib.backend_bases import RendererBase

SHOWN_FLOOR_PX = 9.0  # the smallest text a reader is shown, in CSS pixels
STEP_PX = 3.0  # lines are sampled this often along each segment
CLEARANCE_PX = 2.0  # a legend keeps this far from a mark
GAP_PX = 2.0  # the least space between two tick labels


def laid_out(fig: Figure, dpi: float | None = None) -> "RendererBase":
    """The figure laid out as it will be drawn (at ``dpi``, so that pixels are the PNG's),
    nothing rendered; its renderer."""
    if dpi is not None:
        fig.set_dpi(dpi)
    fig.draw_without_rendering()
    return fig.canvas.get_renderer()


def _sampled(xy: np.ndarray) -> np.ndarray:
    """Points every ``STEP_PX`` along the polyline ``xy`` (display coordinates); NaN breaks
    the line, as matplotlib draws it."""
    out = []
    for a, b in zip(xy[:-1], xy[1:]):
        if not (np.isfinite(a).all() and np.isfinite(b).all()):
            continue
        n = max(1, int(np.hypot(*(b - a)) // STEP_PX))
        out.append(a + np.linspace(0, 1, n + 1)[:, None] * (b - a))
    finite = xy[np.isfinite(xy).all(axis=1)]
    return np.vstack(out + [finite]) if out else finite


def _points_px(fig: Figure, points: float) -> float:
    return points * fig.dpi / 72


def marks(ax: Axes) -> tuple[list[tuple[np.ndarray, float]], list[Bbox]]:
    """(point sets, each with the radius of its markers in pixels; boxes) of the data drawn
    in ``ax``, in display coordinates, kept to what lies inside the axes. Call after a
    draw."""
    fig, frame = ax.figure, ax.bbox
    reference = (ax.get_xaxis_transform(), ax.get_yaxis_transform())
    points: list[tuple[np.ndarray, float]] = []
    boxes: list[Bbox] = []
    for line in ax.lines:
        if not line.get_visible() or line.get_transform() in reference:
            continue
        xy = line.get_transform().transform(np.column_stack(line.get_data()).astype(float))
        radius = _points_px(fig, line.get_markersize()) / 2 if line.get_marker() not in (
            None, "None", "", " ") else 0.0
        points.append((_sampled(xy) if line.get_linestyle() not in ("None", "", " ") else xy,
                       radius))
    for collection in ax.collections:
        if not collection.get_visible():
            continue
        if isinstance(collection, PathCollection):
            offsets = collection.get_offset_transform().transform(collection.get_offsets())
            sizes = collection.get_sizes()
            radius = _points_px(fig, np.sqrt(sizes.max() if len(sizes) else 36.0)) / 2
            points.append((offsets, radius))
        elif isinstance(collection, ContourSet):
            if not collection.filled:  # filled regions are the background, the lines are data
                for path in collection.get_paths():
                    xy = collection.get_transform().transform(path.vertices)
                    points.append((_sampled(xy), 0.0))
        elif isinstance(collection, (LineCollection, PolyCollection)):
            transform = collection.get_transform()
            for path in collection.get_paths():
                points.append((_sampled(transform.transform(path.vertices)), 0.0))
    for artist in [*ax.patches, *ax.texts]:
        if not artist.get_visible() or (isinstance(artist, Text) and
                                        not artist.get_text().strip()):
            continue
        box = artist.get_window_extent()
        clipped = Bbox.intersection(box, frame) if isinstance(artist, Patch) else box
        if clipped is not None and clipped.width * clipped.height > 0:
            boxes.append(clipped)
    inside = [(xy[_within(xy, frame)], r) for xy, r in points]
    return [(xy, r) for xy, r in inside if len(xy)], boxes


def _within(xy: np.ndarray, box: Bbox) -> np.ndarray:
    return ((xy[:, 0] >= box.x0 - 0.5) & (xy[:, 0] <= box.x1 + 0.5) &
            (xy[:, 1] >= box.y0 - 0.5) & (xy[:, 1] <= box.y1 + 0.5))


def covered(box: Bbox, ax: Axes) -> int:
    """How many of ``ax``'s marks the box ``box`` covers (points within their marker radius
    and ``CLEARANCE_PX``; boxes that overlap it by more than a pixel)."""
    count = 0
    points, boxes = marks(ax)
    for xy, radius in points:
        count += int(_within(xy, box.padded(radius + CLEARANCE_PX)).sum())
    for mark in boxes:
        overlap = Bbox.intersection(box, mark)
        count += overlap is not None and overlap.width > 1 and overlap.height > 1
    return count


def name(ax: Axes) -> str:
    """A panel's name for a reader: its title, else its y label, else its position."""
    title = ax.get_title() or ax.get_ylabel() or f"at {ax.get_position().bounds[:2]}"
    return "'" + " ".join(title.split()) + "'"


def legends(fig: Figure) -> list[tuple[Legend, Axes | None]]:
    """Each legend of the figure with its axes (None for a figure legend)."""
    found = [(ax.get_legend(), ax) for ax in fig.axes if ax.get_legend() is not None]
    return found + [(legend, None) for legend in fig.legends]


def _shown_tick_labels(axis: "Axis", renderer: "RendererBase") -> list[tuple[str, Bbox]]:
    """(text, box) of each tick label of ``axis`` that is drawn (its tick inside the view)."""
    low, high = sorted(axis.get_view_interval())
    slack = 1e-9 * abs(high - low)
    boxes = []
    for tick in [*axis.get_major_ticks(), *axis.get_minor_ticks()]:
        for label in (tick.label1, tick.label2):
            if (label.get_visible() and label.get_text().strip()
                    and low - slack <= tick.get_loc() <= high + slack):
                boxes.append((label.get_text(), label.get_window_extent(renderer)))
    return boxes


def legend_problems(fig: Figure, renderer: "RendererBase | None" = None) -> list[str]:
    renderer = renderer or laid_out(fig)
    out = []
    for legend, owner in legends(fig):
        box = legend.get_window_extent(renderer)
        where = f"the legend of {name(owner)}" if owner is not None else "the figure's legend"
        for ax in fig.axes:
            if not ax.get_visible() or not ax.axison:
                continue
            hidden = covered(box, ax)
            if hidden:
                out.append(f"{where} covers {hidden} data point(s) or bar(s) of {name(ax)}")
            labels = [text for axis in (ax.xaxis, ax.yaxis)
                      for text, label in _shown_tick_labels(axis, renderer)
                      if Bbox.intersection(box, label) is not None]
            if labels:
                out.append(f"{where} covers tick labels of {name(ax)}: "
                           f"{', '.join(labels[:4])}")
    return out


def tick_problems(fig: Figure, renderer: "RendererBase | None" = None) -> list[str]:
    renderer = renderer or laid_out(fig)
    out = []
    for ax in fig.axes:
        for axis, which in ((ax.xaxis, "x"), (ax.yaxis, "y")):
            boxes = _shown_tick_labels(axis, renderer)
            for k, (text, box) in enumerate(boxes):
                for other, other_box in boxes[k + 1:]:  # touching counts: no space between
                    overlap = Bbox.intersection(box.padded(GAP_PX / 2), other_box)
                    if overlap is not None and overlap.width > 0 and overlap.height > 0:
                        out.append(f"{name(ax)}: the {which} tick labels {text!r} and "
                                   f"{other!r} overlap")
    return out


def png_width(png_bytes: bytes) -> int:
    """The width in pixels of a PNG, from its header."""
    return struct.unpack(">I", png_bytes[16:20])[0]


def font_problems(fig: Figure, dpi: float, width: int, shown_width: float) -> list[str]:
    """Text under ``SHOWN_FLOOR_PX`` once the figure's PNG, drawn at ``dpi`` and ``width``
    pixels wide, is shown at most ``shown_width`` pixels wide (never enlarged)."""
    scale = min(1.0, shown_width / width)
    out = []
    for text in fig.findobj(Text):
        if not text.get_visible() or not text.get_text().strip():
            continue
        px = text.get_fontsize() * dpi / 72 * scale
        if px < SHOWN_FLOOR_PX - 1e-9:
            out.append(f"{' '.join(text.get_text().split())[:40]!r} is shown at {px:.1f} px "
                       f"(the {width} px figure in {shown_width:.0f} px)")
    return out


def axis_problems(fig: Figure) -> list[str]:
    """An accuracy axis (a y label that says accuracy, not a difference of accuracies) must
    stay within [0, 1]."""
    out = []
    for ax in fig.axes:
        label = ax.get_ylabel().lower()
        if "accuracy" in label and "difference" not in label:
            low, high = ax.get_ylim()
            if high > 1 + 1e-12 or low < -1e-12:
                out.append(f"{name(ax)}: an accuracy axis from {low:g} to {high:g}")
    return out


def problems(fig: Figure, dpi: float, width: int, shown_width: float,
             renderer: "RendererBase | None" = None) -> list[str]:
    """Every problem of the figure as drawn at ``dpi`` into a PNG ``width`` pixels wide,
    shown at most ``shown_width`` pixels wide; one sentence each. ``renderer``: the figure
    is laid out already (it was just saved), measure it as it is."""
    renderer = renderer or laid_out(fig, dpi)
    return (legend_problems(fig, renderer) + tick_problems(fig, renderer)
            + font_problems(fig, dpi, width, shown_width) + axis_problems(fig))
