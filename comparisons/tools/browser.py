"""python -m comparisons.tools.browser REPORT.html [--shots DIR]: the report as a reader sees
it, in headless Chromium at a desktop's 1280 px, a tablet's 768 px and a phone's 390 px.

In the page itself, at each width, it measures what a reader would notice:

- **sideways scrolling**: the page wider than the window;
- **hidden text**: a ``pre`` or ``code`` block whose text runs past its box (it would scroll);
- **broken words**: a word or number split over two lines (breaks are allowed at spaces,
  slashes and a hyphen between two letters, never inside a number such as 5.9e-16), in
  the page's text, tables, captions and printed blocks;
- **tables**: a table that scrolls sideways with no visible cue (the report's shadow at the
  right edge), and a verdict column (its cells ``td.verdict-column``) out of view before
  any scrolling;
- **small figures**: at the desktop width, a figure shown at less than half the size it was
  drawn at; at every width, a figure whose smallest text (``data-font-px``, written by the
  report for each layout of the figure) is shown under 9 px, and a figure shown at less
  than 55 % of its column while a wider layout of it would fit (a phone's figure on a
  tablet);
- **captions**: a caption that speaks of Left, Right or Middle panels beside a figure whose
  panels are not side by side (its tablet or phone layout);
- **inside figures**: what the report found when it drew the layout shown (``data-problems``:
  a legend over data, tick labels that overlap, text too small, an accuracy axis past 1;
  ``comparisons.report.legibility``); text inside a figure is pixels to a browser.

A copy of the page with a measuring script runs in Chromium (``--dump-dom``) inside a frame
exactly as wide as the screen measured (headless Chromium's windows are at least 500 px
wide; a frame's width is its page's viewport, media queries included), and writes its
findings into the outer page; a screenshot of the whole page at each width goes into
``--shots`` for a person to look at (desktop.png, tablet.png, phone.png; a long page in
parts: phone-2.png, ...). Exit status 0 when nothing was found, 1 otherwise, 2
for an argument that cannot work (a report that is missing, a folder or not a regular file;
``--shots`` that is a file) or when Chromium is not installed (``apt-get install chromium``
on Debian); every refusal is one line.
"""

import argparse
import html
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

from comparisons.arguments import Parser

WIDTHS = {"desktop": 1280, "tablet": 768, "phone": 390}
SMALLEST_TEXT_PX = 9.0
HALF = 0.5
USED = 0.55  # a figure shown narrower than this share of its column wastes the screen
MAX_REPORT_BYTES = 200 * 2**20  # a report is a few MB; read no more than this

MEASURE = r"""
<script>
window.addEventListener("load", () => {
  const USED = %USED%;
  const found = {sideways: [], hidden: [], broken: [], small: [], fonts: []};
  const width = window.innerWidth;
  const page = document.documentElement.scrollWidth;
  if (page > width + 1) {
    // name what sticks out: the innermost element reaching past the window's right edge,
    // not counting what a box that scrolls or clips keeps inside itself
    const clipped = el => {
      for (let up = el.parentElement; up && up !== document.body; up = up.parentElement)
        if (getComputedStyle(up).overflowX !== "visible") return true;
      return false;
    };
    const out = el => el.getBoundingClientRect().right > width + 1 && !clipped(el);
    const where = el => {  // the block it sits in, so that a short word can be found
      const block = el.parentElement && el.parentElement.closest(
        "td, th, p, li, pre, figcaption, h1, h2, h3, h4, div");
      return block ? `, in ${block.tagName.toLowerCase()} "` +
        `${block.textContent.trim().replace(/\s+/g, " ").slice(0, 80)}"` : "";
    };
    let culprit = null;
    for (const el of document.body.querySelectorAll("*")) {
      const box = el.getBoundingClientRect();
      if (out(el) && box.width > 0 && !el.closest("script, style, #browser-check")
          && ![...el.children].some(out))
        if (!culprit || box.right > culprit.getBoundingClientRect().right) culprit = el;
    }
    const what = culprit ? ` (furthest out: ${culprit.tagName.toLowerCase()}` +
      `${culprit.className ? "." + String(culprit.className).split(" ")[0] : ""}, "` +
      `${culprit.textContent.trim().slice(0, 60)}"` + where(culprit) + ")" : "";
    found.sideways.push(`the page is ${page} px wide in a ${width} px window${what}`);
  }
  for (const el of document.querySelectorAll("pre, code")) {
    if (el.scrollWidth > el.clientWidth + 1)
      found.hidden.push(`${el.tagName.toLowerCase()}: ${el.scrollWidth} px of text in a ` +
                        `${el.clientWidth} px box: "${el.textContent.slice(0, 60)}"`);
  }
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const range = document.createRange();
  let words = 0;
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (node.parentElement.closest("script, style, #browser-check")) continue;
    const text = node.textContent;
    const tokens = /\S+/g;
    let match;
    while ((match = tokens.exec(text)) !== null) {
      // the allowed breaks inside a token: after a slash, and after a hyphen between two
      // letters ("scikit-learn"); never inside a number ("5.9e-16", "-0.0009")
      const token = match[0];
      const cuts = [0];
      for (let i = 0; i < token.length - 1; i++) {
        const joined = token[i] === "-" && i > 0 && /\p{L}/u.test(token[i - 1]) &&
                       /\p{L}/u.test(token[i + 1]);
        if (token[i] === "/" || joined) cuts.push(i + 1);
      }
      cuts.push(token.length);
      for (let k = 0; k + 1 < cuts.length; k++) {
        const word = token.slice(cuts[k], cuts[k + 1]).replace(/[\-\/]$/, "");
        if (word.length < 2) continue;
        words += 1;
        range.setStart(node, match.index + cuts[k]);
        range.setEnd(node, match.index + cuts[k] + word.length);
        const tops = new Set([...range.getClientRects()].filter(r => r.width > 0)
                              .map(r => Math.round(r.top)));
        if (tops.size > 1) found.broken.push(word);
      }
    }
  }
  found.tables = [];
  for (const box of document.querySelectorAll(".scroll")) {
    const right = Math.min(box.getBoundingClientRect().right, width);
    const head = (box.querySelector("th") || box).textContent.trim().slice(0, 40);
    const cue = getComputedStyle(box).backgroundImage.includes("gradient");
    if (box.scrollWidth > box.clientWidth + 1 && !cue)
      found.tables.push(`the table "${head}" scrolls sideways with no cue`);
    for (const cell of box.querySelectorAll("td.verdict-column")) {
      const r = cell.getBoundingClientRect();
      if (r.width > 0 && r.right > right + 1) {
        found.tables.push(`the table "${head}": its verdict column ` +
                          `"${cell.dataset.label || cell.textContent.trim()}" is out of view`);
        break;
      }
    }
  }
  found.captions = [];
  found.inside = [];
  found.wasted = [];
  for (const img of document.querySelectorAll("figure img")) {
    const shown = img.clientWidth / img.naturalWidth;
    const name = img.alt;
    // the layout shown: the source Chromium picked, else the image itself
    const chosen = [...img.parentElement.querySelectorAll("source")]
      .find(s => s.srcset === img.currentSrc) || img;
    const layout = chosen.dataset.layout || (chosen === img ? "desktop" : "narrow");
    if (width >= 1000 && shown < 0.5)
      found.small.push(`${name}: shown at ${(100 * shown).toFixed(0)}% of its drawn size`);
    const px = parseFloat(chosen.dataset.fontPx || img.dataset.fontPx || "NaN") * shown;
    found.fonts.push({figure: name, shown_px: px, scale: shown, natural: img.naturalWidth,
                      layout});
    const column = img.closest("figure").clientWidth;
    const wider = [img, ...img.parentElement.querySelectorAll("source")]
      .map(s => parseFloat(s.dataset.width || "0"))
      .filter(w => w > img.naturalWidth && w * 0.9 <= column);
    if (img.clientWidth < USED * column && wider.length)
      found.wasted.push(`${name}: its ${layout} layout is shown ${img.clientWidth} px wide ` +
                        `in a ${column} px column, where its ${Math.max(...wider)} px ` +
                        "layout fits");
    const caption = (img.closest("figure").querySelector("figcaption") || {}).innerText || "";
    const sides = caption.match(/\b(Left|Right|Middle)\b|\b(left|right|middle) panel/);
    if (layout !== "desktop" && sides)
      found.captions.push(`${name}: the caption says "${sides[0]}" beside its ${layout} ` +
                          "layout, whose panels are not side by side");
    for (const problem of JSON.parse(chosen.dataset.problems || "[]"))
      found.inside.push(`${name} (${layout}): ${problem}`);
  }
  const height = document.documentElement.scrollHeight;
  const frame = window.frameElement;  // the page runs in a frame as wide as the screen
  frame.style.height = height + "px";
  const out = parent.document.createElement("pre");
  out.id = "browser-check";
  out.textContent = JSON.stringify({width, height, words, ...found});
  parent.document.body.appendChild(out);
});
</script>
"""


def chromium() -> str | None:
    """The Chromium executable, or None."""
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def _run(browser: str, args: list[str], timeout: float = 120) -> str:
    with tempfile.TemporaryDirectory() as profile:
        done = subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu",
                               "--hide-scrollbars", "--force-device-scale-factor=1",
                               "--no-first-run", "--disable-background-networking",
                               "--disable-component-update", "--disable-sync",
                               f"--user-data-dir={profile}", *args],
                              capture_output=True, text=True, timeout=timeout)
    return done.stdout


def read_report(path: Path) -> str:
    """The report's text; ``ValueError`` in one sentence unless ``path`` is a regular file
    of at most ``MAX_REPORT_BYTES`` in UTF-8 (``FileNotFoundError`` when it is missing)."""
    mode = os.stat(path).st_mode  # FileNotFoundError passes through
    if stat.S_ISDIR(mode):
        raise ValueError(f"{str(path)!r} is a folder, not a report (give its report.html)")
    if not stat.S_ISREG(mode):
        raise ValueError(f"{str(path)!r} is not a regular file (a device, a FIFO or a socket)")
    with open(path, "rb") as f:
        data = f.read(MAX_REPORT_BYTES + 1)
    if len(data) > MAX_REPORT_BYTES:
        raise ValueError(f"{str(path)!r} is larger than {MAX_REPORT_BYTES // 2**20} MB, which "
                         "no report is")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError(f"{str(path)!r} is not a text file in UTF-8") from None


def _framed(page: str, width: int, measured: bool, offset: int = 0) -> str:
    """An outer page holding ``page`` in a frame ``width`` px wide (with the measuring script
    when ``measured``; without it, the frame is made as tall as its page when it loads, and
    raised by ``offset`` px: a screenshot of the window then shows the page from there)."""
    script = MEASURE.replace("%USED%", str(USED)) if measured else FIT
    inner = page.replace("</body>", script + "</body>")
    return ("<!DOCTYPE html><html><body style='margin:0;overflow:hidden'><iframe style='border:0;"
            f"display:block;width:{width}px;height:900px;margin-top:-{offset}px' "
            f"srcdoc=\"{html.escape(inner, quote=True)}\"></iframe></body></html>")


FIT = """<script>window.addEventListener("load", () => {
  window.frameElement.style.height = document.documentElement.scrollHeight + "px"; });
</script>"""
SHOT_PX = 16000  # the tallest screenshot taken at once; a longer page is taken in parts


def screenshots(shot: Path, height: int) -> list[tuple[Path, int, int]]:
    """(file, offset, height) of each part of a whole-page screenshot ``height`` px tall:
    ``shot`` itself, then NAME-2.png, NAME-3.png, ..."""
    parts = max(1, -(-height // SHOT_PX))
    return [(shot if k == 0 else shot.with_name(f"{shot.stem}-{k + 1}{shot.suffix}"),
             k * SHOT_PX, min(SHOT_PX, height - k * SHOT_PX)) for k in range(parts)]


def measure(report: Path, width: int, shot: Path | None = None,
            browser: str | None = None) -> dict:
    """The findings at ``width`` px (see the module's docstring), and a screenshot of the
    whole page into ``shot`` (a page taller than ``SHOT_PX`` in parts: ``screenshots``)."""
    browser = browser or chromium()
    if browser is None:
        raise FileNotFoundError("Chromium is not installed (apt-get install chromium)")
    page = read_report(report)
    window = max(width, 500) + 20
    with tempfile.TemporaryDirectory() as folder:
        outer = Path(folder) / "measured.html"
        outer.write_text(_framed(page, width, measured=True))
        dom = _run(browser, [f"--window-size={window},900", "--virtual-time-budget=20000",
                             "--dump-dom", outer.as_uri()])
        start = dom.find('<pre id="browser-check">')
        if start < 0:
            raise RuntimeError(f"Chromium did not run the measuring script at {width} px")
        text = dom[start + len('<pre id="browser-check">'):dom.index("</pre>", start)]
        found = json.loads(html.unescape(text))
        if found["width"] != width:
            raise RuntimeError(f"the page was laid out at {found['width']} px, not {width}")
        found["fonts_under"] = [f for f in found["fonts"]  # unknown (NaN, null) is under
                                if f["shown_px"] is None or not f["shown_px"] >= SMALLEST_TEXT_PX]
        if shot is not None:
            for path, offset, height in screenshots(shot, int(found["height"]) + 20):
                outer.write_text(_framed(page, width, measured=False, offset=offset))
                _run(browser, [f"--window-size={window},{height}", f"--screenshot={path}",
                               "--virtual-time-budget=20000", outer.as_uri()])
    return found


def problems(found: dict) -> list[str]:
    """Each finding of ``measure`` as a sentence."""
    out = [*found["sideways"], *found["hidden"]]
    if found["broken"]:
        out.append(f"{len(found['broken'])} words broken in the middle: "
                   f"{', '.join(found['broken'][:12])}")
    out += [*found["tables"], *found["small"], *found["wasted"]]
    out += [f"{f['figure']}: its smallest text is shown at {f['shown_px']:.1f} px (under "
            f"{SMALLEST_TEXT_PX:g})" if f["shown_px"] is not None else
            f"{f['figure']}: the size of its smallest text is not known (no data-font-px)"
            for f in found["fonts_under"]]
    return out + [*found["captions"], *found["inside"]]


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    """The arguments, each checked: a one-line error and exit status 2 for one that cannot
    work."""
    parser = Parser(prog="python -m comparisons.tools.browser",
                    description=__doc__.split("\n\n")[0])
    parser.add_argument("report", type=Path, help="report.html")
    parser.add_argument("--shots", type=Path, default=None,
                        help="folder for desktop.png, tablet.png and phone.png (whole-page "
                             "screenshots); made if missing")
    args = parser.parse_args(argv)
    try:
        read_report(args.report)
    except FileNotFoundError:
        parser.error(f"{str(args.report)!r} does not exist")
    except (ValueError, OSError) as error:
        parser.error(str(error) if isinstance(error, ValueError) else
                     f"{str(args.report)!r} cannot be read ({error.strerror})")
    if args.shots is not None:
        if os.path.exists(args.shots) and not os.path.isdir(args.shots):
            parser.error(f"--shots {str(args.shots)!r} is a file, not a folder")
        try:
            os.makedirs(args.shots, exist_ok=True)
        except OSError as error:
            parser.error(f"--shots {str(args.shots)!r} cannot be made ({error.strerror})")
    return args


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    if chromium() is None:
        print("python -m comparisons.tools.browser: Chromium is not installed "
              "(apt-get install chromium)", file=sys.stderr)
        return 2
    failed = 0
    for name, width in WIDTHS.items():
        shot = args.shots / f"{name}.png" if args.shots is not None else None
        try:
            found = measure(args.report, width, shot)
        except (RuntimeError, subprocess.TimeoutExpired) as error:
            print(f"python -m comparisons.tools.browser: Chromium could not measure the page "
                  f"at {width} px: {error}", file=sys.stderr)
            return 2
        said = problems(found)
        print(f"{name} ({found['width']} px, {found['words']} words measured): "
              + ("nothing found" if not said else f"{len(said)} problem(s)"))
        for line in said:
            print(f"  - {line}")
        failed += bool(said)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
