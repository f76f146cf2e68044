"""Every figure of the report, in every layout (desktop, tablet, phone), checked where
matplotlib draws it, in display coordinates (``comparisons.report.legibility``): no legend
box over a plotted point, line, bar or band, no tick labels that overlap, no text under
9 px as shown at the layout's narrowest column, accuracy axes within [0, 1]; and the checker
itself finds each of those faults when one is planted."""

import html
import json
import re

import matplotlib.pyplot as plt
import numpy as np
import pytest

from comparisons.report import figures, lecture_figures, legibility, plotting
from comparisons.report.experiments import MODELS
from comparisons.report.plotting import DPI, LAYOUTS


def problems(fig) -> list[str]:
    """What ``legibility`` finds in ``fig`` drawn for the layout current when it was made, as
    its PNG shows it."""
    image = plotting.png(fig)
    return legibility.problems(fig, DPI, legibility.png_width(image),
                               LAYOUTS[plotting.current()].column,
                               renderer=fig.canvas.get_renderer())


@pytest.mark.slow  # reads the quick report: about 45 s to make, once a session
def test_every_figure_of_the_quick_report_passed_in_every_layout(quick_report):
    """The report checks each figure in each layout as it draws it, and writes what it found
    beside the image (``data-problems``): the quick run's figures have nothing."""
    page = (quick_report / "report.html").read_text()
    figures_html = re.findall(r"<figure>.*?</figure>", page, flags=re.S)
    assert len(figures_html) >= 18
    for block in figures_html:
        alt = re.search(r"alt='([^']*)'", block).group(1)
        marks = re.findall(r"data-layout='(\w+)' data-width='(\d+)' data-font-px='([\d.]+)' "
                           r"data-problems='([^']*)'", block)
        assert sorted(m[0] for m in marks) == ["desktop", "phone", "tablet"], alt
        for layout, width, font_px, found in marks:
            assert json.loads(html.unescape(found)) == [], (alt, layout)
            shown = float(font_px) * min(1.0, LAYOUTS[layout].column / int(width))
            assert shown >= legibility.SHOWN_FLOOR_PX, (alt, layout, shown)


@plotting.redrawable
def _two_panels(placed: bool) -> plt.Figure:
    """A figure of the report's kind (``plotting.panels``, drawn again for each layout):
    lines in two panels, each legend ``placed`` by ``plotting.legend`` or put over the lines
    by hand."""
    fig, axes = plotting.panels(2, (4, 3))
    x = np.linspace(0, 1, 40)
    for number, ax in enumerate(axes, 1):
        for k in range(4):
            ax.plot(x, 0.2 * k + 0.5 * x, label=f"line {k}")
        ax.set_title(f"panel {number}")
        if not placed:
            ax.legend(loc="center")
    if placed:
        plotting.legend(*axes)
    return fig


@pytest.mark.parametrize("placed", [False, True], ids=["legend over data", "legend placed"])
@pytest.mark.slow  # draws a figure in three layouts, each twice: 1 to 1.3 s
def test_the_report_marks_each_layout_with_what_a_fresh_drawing_shows(placed):
    """``page.measured``, which writes the marks the test above reads, finds in each layout
    what ``legibility`` finds on a drawing of its own, made after the PNG: a legend over data
    in every layout where it is, nothing where nothing is wrong."""
    from comparisons.report import page

    fig = _two_panels(placed)
    drawn = {"desktop": fig, "phone": plotting.redraw(fig, "phone"),
             "tablet": plotting.redraw(fig, "tablet")}
    variants, fonts, found = page.measured(drawn)
    for layout, each in drawn.items():
        again = legibility.problems(each, DPI, legibility.png_width(variants[layout]),
                                    LAYOUTS[layout].column)  # (laid out and drawn anew)
        assert found[layout] == again, layout
        assert bool(found[layout]) != placed, (layout, found[layout])
        if not placed:
            assert any("the legend of 'panel 1' covers" in p for p in found[layout]), layout
        smallest = plotting.SMALLEST_FONT if placed else plt.rcParams["font.size"]
        assert fonts[layout] == smallest * DPI / 72  # (the legend's text, else the ticks')
        plt.close(each)


def accuracy_data(seeds: int = 5) -> dict:
    """Three data sets in which every model but one scores exactly 1 or near it, and the
    torch twin in torch's conventions far below, outside the noise: the dot a legend once
    hid."""
    rng = np.random.default_rng(0)
    out = {}
    for name, level in (("xor", 1.0), ("digits", 0.97), ("mnist", 0.91)):
        models = {m: {"test_accuracy": list(np.minimum(1.0, level + rng.normal(0, 0.002, seeds))),
                      "fit_seconds": [1.0] * seeds, "loss_curve": [1.0, 0.5]} for m in MODELS}
        models["torch_native"]["test_accuracy"] = list(level - 0.3 + rng.normal(0, 0.002, seeds))
        out[name] = {"models": models}
    return out


@pytest.mark.parametrize("layout", list(LAYOUTS))
@pytest.mark.parametrize("seeds", [1, 5])
def test_the_model_outside_the_noise_is_always_in_view(layout, seeds):
    with plotting.layout(layout):
        fig = figures.accuracy(accuracy_data(seeds))
    assert problems(fig) == []
    renderer = legibility.laid_out(fig, DPI)
    for ax in fig.axes:
        assert ax.get_ylim()[1] == 1
        for line in ax.lines:  # every dot inside the axes, none under a legend
            assert all(ax.get_ylim()[0] <= y <= 1 for y in line.get_ydata())
        for legend, _ in legibility.legends(fig):
            assert not legibility.covered(legend.get_window_extent(renderer), ax)
    plt.close(fig)


# --- the checker finds what it looks for --------------------------------------------------

def test_a_legend_over_data_is_found_and_the_helper_moves_it_away():
    fig, ax = plt.subplots(figsize=(4, 3))
    x = np.linspace(0, 1, 40)
    for k in range(6):  # lines everywhere: no corner is free
        ax.plot(x, np.sin(6 * x + k), label=f"line {k}")
    ax.legend(loc="upper right")
    assert any("covers" in p for p in legibility.legend_problems(fig))
    plotting.legend(ax)
    assert legibility.legend_problems(fig) == []
    plt.close(fig)


def test_a_legend_placed_inside_moves_when_another_panel_pushes_the_layout():
    """A legend under one panel shrinks its row; a legend that then covers data in the
    other panel is moved under it too."""
    fig, axes = plt.subplots(1, 2, figsize=(6, 2.5))
    x = np.linspace(0, 1, 50)
    axes[0].plot(x, 0.8 * x, label="rising")  # the upper left corner is free, just
    for k in range(5):
        axes[1].plot(x, np.cos(5 * x + k), label=f"wave {k}")
    plotting.legend(axes[0])
    plotting.legend(axes[1])
    assert legibility.legend_problems(fig) == []
    plt.close(fig)


def test_overlapping_tick_labels_small_text_and_an_accuracy_past_1_are_found():
    fig, ax = plt.subplots(figsize=(2, 2))
    ax.set_xticks(range(4), ["scikit-learn"] * 4)
    ax.set_ylabel("test accuracy")
    ax.set_ylim(0.9, 1.005)
    ax.set_title("small", fontsize=6)
    found = problems(fig)
    assert any("tick labels" in p and "overlap" in p for p in found), found
    assert any("'small' is shown at 7.5 px" in p for p in found), found
    assert any("an accuracy axis from 0.9 to 1.005" in p for p in found), found
    plt.close(fig)


def test_a_figure_wider_than_its_column_is_found_too_small():
    fig, ax = plt.subplots(figsize=(8, 2))  # 720 px, shown in a phone's 328 px column
    ax.set_title("readable at its own size", fontsize=8)
    image = plotting.png(fig)
    found = legibility.font_problems(fig, DPI, legibility.png_width(image), 328)
    assert found and all("px" in p for p in found)
    plt.close(fig)


# --- captions -----------------------------------------------------------------------------

CAPTIONS = {**figures.CAPTIONS, **lecture_figures.CAPTIONS}
NARROW = {**figures.NARROW_CAPTIONS, **lecture_figures.NARROW_CAPTIONS}
SIDES = re.compile(r"\b(left|right|middle)(:| panel)|\bto its (left|right)", re.IGNORECASE)


@pytest.mark.parametrize("name", sorted(CAPTIONS))
def test_captions_of_layouts_whose_panels_are_not_side_by_side_name_them_by_title(name):
    narrow = NARROW.get(name, CAPTIONS[name])
    assert not SIDES.search(narrow), name
    for title in re.findall(r'"([^"]+)"', narrow):  # each named panel exists
        if "..." not in title:
            assert title in lecture_figures_titles(), (name, title)


def lecture_figures_titles() -> str:
    """Every panel title the lecture's figures set, as source text."""
    import inspect

    return inspect.getsource(lecture_figures)


def test_the_dropout_caption_and_legend_say_the_same_of_whisker_and_band():
    result = {"rate": 0.5, "effect": {"test_accuracy": {"mean": 0.01, "standard_error": 0.004}}}
    run = {"epoch": [10, 20], "test_loss": [0.3, 0.2], "train_loss": [0.2, 0.1], "test": 0.9}
    result["with"] = result["without"] = [run, {**run, "test_loss": [0.31, 0.22]}]
    fig = lecture_figures.dropout(result)
    legend = " ".join(t.get_text() for lg, _ in legibility.legends(fig) for t in lg.get_texts())
    assert "whisker: +-2 standard errors" in legend and "band: +-1 standard error" in legend
    for caption in (CAPTIONS["dropout"], NARROW["dropout"]):
        assert "whisker reaches two standard errors" in caption
        assert "band plus or minus one standard error" in caption
    plt.close(fig)


def _conventions(epochs: int = 12) -> dict:
    """Trajectories as the report holds them, made up: one row per convention of GROUPS."""
    names = [name for group in figures.GROUPS.values() for name in group]
    rows = [{"name": name, "without_conversion": list(np.geomspace(1e-3, 1, epochs) * (k + 1)),
             "with_conversion": [1e-15] * epochs} for k, name in enumerate(names)]
    return {"epochs": epochs, "rows": rows, "scratch_vs_sklearn": [0.0] * epochs}


@pytest.mark.parametrize("name", list(LAYOUTS))
@pytest.mark.slow  # draws two figures of the report in each layout: 2.5 s each
def test_panels_sharing_their_y_axis_keep_its_label_on_every_row(name):
    """A phone stacks the panels: each keeps the y label a row of panels shows once; the
    epochs are whole numbers."""
    errors = {gate: {"perceptron": [2, 1, 0], "adaline": [3, 1, 1]}
              for gate in ("AND", "OR", "XOR")}
    with plotting.layout(name):
        drawn = [figures.trajectories(_conventions()),
                 lecture_figures.ancestors_errors(errors)]
    for fig in drawn:
        fig.canvas.draw()
        for ax in fig.axes:
            starts_row = ax.get_subplotspec().is_first_col()
            assert bool(ax.get_ylabel()) == starts_row, (name, ax.get_title())
    ticks = [t for ax in drawn[0].axes for t in ax.get_xticks()]
    assert all(float(t).is_integer() for t in ticks), (name, ticks)
    for fig in drawn:
        plt.close(fig)
