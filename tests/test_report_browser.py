"""The report as read in a browser: headless Chromium loads the quick run's report.html at a
desktop's 1280 px, a tablet's 768 px and a phone's 390 px and measures, in the page itself,
that nothing scrolls sideways, no printed block hides text, no word or number breaks in the
middle, every table that scrolls shows it and keeps its verdicts in view, every figure is
shown large enough to read in the layout drawn for that width, no caption speaks of Left or
Right beside stacked panels, and the report found nothing wrong inside its figures
(``comparisons.tools.browser``). Screenshots of each width are saved in the test's temporary
folder for a person to look at.

Chromium is the Debian package (``apt-get install chromium``; ``.ci/run`` installs it when it
is missing); without it these tests are skipped with that sentence, or fail where
``MLP_TWINS_REQUIRE_BROWSER`` is set, as ``.ci/run`` does."""

import os

import pytest

from comparisons.tools import browser

MISSING = "Chromium is not installed: apt-get install chromium (.ci/run installs it)"


@pytest.fixture(autouse=True)
def _chromium():
    """Skipped without Chromium, except where MLP_TWINS_REQUIRE_BROWSER is set (CI sets it):
    there a missing browser fails the test."""
    if browser.chromium() is None:
        if os.environ.get("MLP_TWINS_REQUIRE_BROWSER"):
            pytest.fail(MISSING)
        pytest.skip(MISSING)


@pytest.mark.parametrize("width", sorted(browser.WIDTHS.values()))
@pytest.mark.slow  # opens pages in headless Chromium: 71 s at most, 81 s for its 3
def test_the_report_reads_well_at(width, quick_report, tmp_path):
    shot = tmp_path / f"report-{width}px.png"
    found = browser.measure(quick_report / "report.html", width, shot)
    assert found["width"] == width and found["words"] > 2000
    assert browser.problems(found) == []
    assert len(found["fonts"]) >= 15  # every figure measured
    assert shot.stat().st_size > 100_000
    print(f"screenshot: {shot}")


def _page(tmp_path, body: str) -> object:
    path = tmp_path / "page.html"
    path.write_text(f"<!DOCTYPE html><html><head><meta name='viewport' content='width="
                    f"device-width, initial-scale=1'></head><body>{body}</body></html>")
    return path


@pytest.mark.slow  # opens pages in headless Chromium: 2 s
def test_the_measurement_finds_what_the_old_layout_did_wrong(tmp_path):
    """The faults the report once had, planted in a small page: each is found."""
    wide = "x" * 400
    page = _page(tmp_path, (
        "<pre style='overflow-x:auto'>" + "check_backprop: NOT OK " * 20 + "</pre>"
        "<table><tr><td style='overflow-wrap:anywhere;width:2em'>1.4e+00 generation</td>"
        "<td>5.9e-16</td></tr></table>"
        f"<div style='width:2000px'>{wide}</div>"
        "<div style='overflow-x:auto'><p style='width:3000px'>kept in a box that scrolls</p>"
        "</div><p>a long path: <span style='white-space:nowrap'>/home/someone/reports</span>"
        "</p>"
        "<figure><img alt='tiny' data-font-px='10' style='width:100px' src='data:image/png;"
        "base64,iVBORw0KGgoAAAANSUhEUgAAAZAAAAABCAAAAADVmadCAAAADklEQVR4nGNoGAWDCgAArrXIAXA9O"
        "zgAAAAASUVORK5CYII='></figure>"))  # a 400 x 1 grey PNG
    for width in (1280, 390):
        found = browser.measure(page, width)
        assert found["sideways"], width
        # what to mend: not what a scrolling box keeps inside it
        assert "furthest out: div" in found["sideways"][0], found["sideways"]
        assert found["hidden"], width
        assert "generation" in found["broken"] or "1.4e+00" in found["broken"], found
        assert [f for f in found["fonts_under"] if f["figure"] == "tiny"]
    assert browser.measure(page, 1280)["small"]  # 100 px of a 400 px drawing on a desktop


def _png_uri(width: int) -> str:
    """A grey PNG ``width`` x 10 px, as a data URI."""
    import base64
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("L", (width, 10), 128).save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


@pytest.mark.slow  # opens pages in headless Chromium: 2 s
def test_the_measurement_finds_the_faults_of_round_two(tmp_path):
    """Planted in a small page: a table that scrolls with no cue, a verdict column out of
    view, a caption that says Left beside a stacked layout, a problem the report found in
    the figure it drew, and a phone's figure on a tablet where the tablet's would fit."""
    cells = "".join(f"<td style='white-space:nowrap'>{'wide cell ' * 3}</td>" for _ in range(12))
    page = _page(tmp_path, (
        f"<div class='scroll' style='overflow-x:auto'><table><tr>{cells}</tr></table></div>"
        "<div class='scroll' style='overflow-x:auto;background:linear-gradient(red,blue)'>"
        f"<table><tr>{cells}<td class='verdict-column' data-label='vs scikit-learn'>yes</td>"
        "</tr></table></div>"
        "<figure><picture><source media='(max-width: 1079px)' data-layout='phone' "
        f"data-width='300' data-font-px='10' data-problems='[\"a legend covers 3 points\"]' "
        f"srcset='{_png_uri(300)}'><img alt='planted' data-layout='desktop' data-width='700' "
        f"data-font-px='10' data-problems='[]' src='{_png_uri(700)}'></picture>"
        "<figcaption>Left: the loss. Right: the accuracy.</figcaption></figure>"))
    for width in (768, 390):
        found = browser.measure(page, width)
        said = "\n".join(browser.problems(found))
        assert "scrolls sideways with no cue" in said, width
        assert 'its verdict column "vs scikit-learn" is out of view' in said, width
        assert 'the caption says "Left" beside its phone layout' in said, width
        assert "planted (phone): a legend covers 3 points" in said, width
    assert "planted: its phone layout is shown 300 px wide in a 672 px column, where its " \
           "700 px layout fits" in "\n".join(browser.problems(browser.measure(page, 768)))


@pytest.mark.slow  # opens a page in headless Chromium: 2 s
def test_a_short_word_sticking_out_is_named_with_the_block_it_sits_in(tmp_path):
    page = _page(tmp_path, "<p>Made by python -m comparisons --out <span style='white-space:"
                           "nowrap'>/tmp/a-long-folder-name-of-the-users-own-that-never-breaks"
                           "</span></p>")
    found = browser.measure(page, 390)
    assert "in p \"Made by python -m comparisons --out" in found["sideways"][0], found
