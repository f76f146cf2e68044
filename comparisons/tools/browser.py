"""python -m comparisons.tools.browser REPORT.html [--shots DIR]: the report as a reader sees
it, in headless Chromium at a desktop's 1280 px and a phone's 390 px.

In the page itself, at each width, it measures what a reader would notice:

- **sideways scrolling**: the page wider than the window;
- **hidden text**: a ``pre`` or ``code`` block whose text runs past its box (it would scroll);
- **broken words**: a word or number split over two lines (breaks are allowed at spaces,
  slashes and a hyphen between two letters, never inside a number such as 5.9e-16), in
  the page's text, tables, captions and printed blocks;
- **small figures**: at the desktop width, a figure shown at less than half the size it was
  drawn at; at both widths, a figure whose smallest text (``data-font-px``, written by the
  report) is shown under 9 px.

A copy of the page with a measuring script runs in Chromium (``--dump-dom``) inside a frame
exactly as wide as the screen measured (headless Chromium's windows are at least 500 px
wide; a frame's width is its page's viewport, media queries included), and writes its
findings into the outer page; a screenshot of the whole page at each width goes into
``--shots`` for a person to look at. Exit status 0 when nothing was found, 1 otherwise, 2
when Chromium is not installed (``apt-get install chromium`` on Debian).
"""

import argparse
import html
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

WIDTHS = {"desktop": 1280, "phone": 390}
SMALLEST_TEXT_PX = 9.0
HALF = 0.5

MEASURE = r"""
<script>
window.addEventListener("load", () => {
  const found = {sideways: [], hidden: [], broken: [], small: [], fonts: []};
  const width = window.innerWidth;
  const page = document.documentElement.scrollWidth;
  if (page > width + 1) found.sideways.push(`the page is ${page} px wide in a ${width} px window`);
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
  for (const img of document.querySelectorAll("figure img")) {
    const shown = img.clientWidth / img.naturalWidth;
    const name = img.alt;
    if (width >= 1000 && shown < 0.5)
      found.small.push(`${name}: shown at ${(100 * shown).toFixed(0)}% of its drawn size`);
    const px = parseFloat(img.dataset.fontPx || "NaN") * shown;
    found.fonts.push({figure: name, shown_px: px, scale: shown, natural: img.naturalWidth});
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
                               f"--user-data-dir={profile}", *args],
                              capture_output=True, text=True, timeout=timeout)
    return done.stdout


def _framed(page: str, width: int, measured: bool) -> str:
    """An outer page holding ``page`` in a frame ``width`` px wide (with the measuring script
    when ``measured``; without it, the frame is made as tall as its page when it loads)."""
    inner = page.replace("</body>", (MEASURE if measured else FIT) + "</body>")
    return ("<!DOCTYPE html><html><body style='margin:0'><iframe style='border:0;display:block;"
            f"width:{width}px;height:900px' srcdoc=\"{html.escape(inner, quote=True)}\">"
            "</iframe></body></html>")


FIT = """<script>window.addEventListener("load", () => {
  window.frameElement.style.height = document.documentElement.scrollHeight + "px"; });
</script>"""


def measure(report: Path, width: int, shot: Path | None = None,
            browser: str | None = None) -> dict:
    """The findings at ``width`` px (see the module's docstring), and a screenshot of the
    whole page into ``shot``."""
    browser = browser or chromium()
    if browser is None:
        raise FileNotFoundError("Chromium is not installed (apt-get install chromium)")
    page = report.read_text()
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
            outer.write_text(_framed(page, width, measured=False))
            height = min(int(found["height"]) + 20, 30000)
            _run(browser, [f"--window-size={window},{height}", f"--screenshot={shot}",
                           "--virtual-time-budget=20000", outer.as_uri()])
    return found


def problems(found: dict) -> list[str]:
    """Each finding of ``measure`` as a sentence."""
    out = [*found["sideways"], *found["hidden"]]
    if found["broken"]:
        out.append(f"{len(found['broken'])} words broken in the middle: "
                   f"{', '.join(found['broken'][:12])}")
    out += found["small"]
    out += [f"{f['figure']}: its smallest text is shown at {f['shown_px']:.1f} px (under "
            f"{SMALLEST_TEXT_PX:g})" if f["shown_px"] is not None else
            f"{f['figure']}: the size of its smallest text is not known (no data-font-px)"
            for f in found["fonts_under"]]
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m comparisons.tools.browser",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("report", type=Path, help="report.html")
    parser.add_argument("--shots", type=Path, default=None,
                        help="folder for desktop.png and phone.png (whole-page screenshots)")
    args = parser.parse_args(argv)
    if chromium() is None:
        print("python -m comparisons.tools.browser: Chromium is not installed "
              "(apt-get install chromium)", file=sys.stderr)
        return 2
    if args.shots is not None:
        os.makedirs(args.shots, exist_ok=True)
    failed = 0
    for name, width in WIDTHS.items():
        shot = args.shots / f"{name}.png" if args.shots is not None else None
        found = measure(args.report, width, shot)
        said = problems(found)
        print(f"{name} ({found['width']} px, {found['words']} words measured): "
              + ("nothing found" if not said else f"{len(said)} problem(s)"))
        for line in said:
            print(f"  - {line}")
        failed += bool(said)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
