"""Write results.json, report.md and report.html, and every figure as PNG and SVG.

The report is one list of blocks (headings, paragraphs, Markdown tables, figures with their
captions, preformatted text), rendered twice: as Markdown (report.md, figures linked from
``figures/``) and as one self-contained HTML page (report.html, figures embedded).
"""

import html
import json
import os
import re

import numpy as np
from matplotlib.figure import Figure

from comparisons.report import figures, lecture_figures, legibility, plotting, tables
from comparisons.report.experiments import LABELS
from comparisons.report.lecture import TIMELINE
from comparisons.report.plotting import data_uri, plt, png, save, smallest_font_px

Block = tuple[str, str]  # (kind, content): h2, h3, p, provenance (the command, its paths
# breaking at "/"), table, figure (its name), pre, verdict ok, verdict warn


def verdict(results: dict) -> tuple[bool, str]:
    """One sentence a reader sees first: do the three agree, and where do they differ?"""
    datasets = results["datasets"].values()
    worst_grad = max(max(d["gradient_check"]["scratch_vs_torch"],
                         d["gradient_check"]["scratch_vs_sklearn"]) for d in datasets)
    worst_fd = max(d["gradient_check"]["scratch_vs_finite_differences"] for d in datasets)
    worst_traj = max(max(d["trajectory"]["scratch_vs_sklearn"],
                         d["trajectory"]["torch_vs_sklearn"]) for d in datasets)
    agree = worst_grad <= 1e-10 and worst_fd <= 1e-6 and worst_traj <= 1e-9
    text = (f"The three agree: gradients within {tables.fmt(worst_grad)} of each other "
            f"(relative, float64), within {tables.fmt(worst_fd)} of finite differences, and "
            f"weights after training from the same start within {tables.fmt(worst_traj)} of "
            "scikit-learn's. " if agree else "Something disagrees: see the tables below. ")
    if results["settings"]["seeds"] == 1:
        text += ("With one seed there is no estimate of the seed-to-seed noise, so accuracy "
                 "differences are not judged (run with --seeds 2 or more). ")
        noisy = []
    else:  # scratch and the converted twin are scikit-learn's model: no difference is owed
        noisy = [f"{LABELS[m]} on {name}" for name, d in results["datasets"].items()
                 for m, c in d["accuracy_vs_sklearn"].items()
                 if m in ("scratch", "torch") and not c["within_noise"]]
        text += ("Accuracy of scratch and of the converted torch twin is within seed-to-seed "
                 "noise of scikit-learn's everywhere. " if not noisy else
                 f"Accuracy differs beyond seed-to-seed noise for: {', '.join(noisy)}. ")
        native = []
        for name, d in results["datasets"].items():
            c = d["accuracy_vs_sklearn"]["torch_native"]
            native.append(f"{c['mean_difference']:+.4f} on {name}"
                          + ("" if c["within_noise"] else " (beyond noise)"))
        text += ("The torch twin in PyTorch's own conventions is a different model (its "
                 "initialisation, loss reduction and L2 differ; see the figure under "
                 "\"Trajectories, with and without each conversion\"): "
                 f"its mean test accuracy minus scikit-learn's is {', '.join(native)}.")
        return agree and not noisy, text
    text += ("Where they differ is in the conventions: the torch twin under PyTorch's own "
             "defaults trains a different model (see the figure under \"Trajectories, with and "
             "without each conversion\").")
    return agree, text


def _datasets(results: dict) -> list[Block]:
    blocks: list[Block] = [("h2", "Accuracy"), ("figure", "accuracy")]
    for name, result in results["datasets"].items():
        blocks += [("h3", name), ("p", tables.dataset_text(result)),
                   ("table", tables.accuracy_table(name, result)),
                   ("table", tables.agreement_table(result)),
                   ("table", tables.per_layer_table(result))]
    blocks += [("h2", "Gradient agreement per layer"), ("figure", "gradients"),
               ("h2", "Trajectories, with and without each conversion"),
               ("figure", "trajectories"),
               ("table", tables.conventions_table(results["conventions"])),
               ("h2", "Loss curves"), ("figure", "loss_curves"),
               ("h2", "Fit time"), ("figure", "fit_times")]
    for name in results["datasets"]:
        if name != "xor":
            blocks += [("h2", f"{name}: confusion matrix and misclassified test images"),
                       ("figure", f"confusion_{name}"), ("figure", f"misclassified_{name}")]
    return blocks


def _textbook(results: dict) -> list[Block]:
    if "textbook" not in results:
        return []
    tb = results["textbook"]
    return [("h2", "The textbook's network on MNIST, three ways"),
            ("p", tables.textbook_text(tb)), ("table", tables.textbook_conversion_table(tb)),
            ("table", tables.textbook_table(tb, results["datasets"].get("mnist"))),
            ("figure", "textbook")]


CHECKER_TEXT = (
    "reference.check_backprop holds your own backward pass against the references and names "
    "what is wrong (docs/checking.md). Here it checks the textbook's network as the book "
    "writes it (scratch/lecture/textbook_net.py): every gradient array is exact, the "
    "conventions are found without being given (summed batch, L2 alpha/2 sum W^2 on the "
    "weights), and yet the verdict is NOT OK: the book's cost adds an L2 term twice what its "
    "update differentiates. Then the same "
    "network with the classic mistake planted, the sigmoid's derivative taken at z: the "
    "output layer stays right, the hidden layer is named, and so is the mistake. Last, "
    "reference.check_optimizer on scratch's own Adam.")
CHECKER_CAPTIONS = {"textbook": "The textbook's network, as written:",
                    "mistake": "The same network with sigmoid's derivative taken at z:",
                    "optimizer": "scratch's Adam (scratch/optim/adam.py) against the frameworks' "
                    "(OK: it matches one framework's rule exactly, scikit-learn's, which adds "
                    "epsilon to the uncorrected sqrt(v); torch.optim.Adam adds it after the "
                    "bias correction, which on the checker's gradients (some as small as "
                    "1e-10) changes a step by as much as the difference shown):"}


def _checker(results: dict) -> list[Block]:
    blocks: list[Block] = [("h2", "Check your own network"), ("p", CHECKER_TEXT)]
    for key, caption in CHECKER_CAPTIONS.items():
        blocks += [("p", caption), ("pre", results["checker"][key]["text"])]
    return blocks


def _lecture(results: dict) -> list[Block]:
    lecture = results["lecture"]
    w = lecture["worked_example"]
    W, x, u = (w["inputs"][k] for k in ("W", "x", "u"))
    blocks: list[Block] = [
        ("h2", "The lecture, runnable"),
        ("p", "The ideas of the lecture this project descends from, in its order, each run "
              "and checked against a framework. The notebooks in notebooks/ teach the same, "
              "cell by cell."),
        ("h3", "1. Three generations of neural networks"),
        ("table", tables.timeline_table(TIMELINE)),
        ("figure", "ancestors_errors"), ("figure", "ancestors_lines"),
        ("table", tables.xor_table(lecture["xor_single_layer"])),
        ("figure", "xor"),
        ("h3", "2. The forward pass and the worked example"),
        ("p", f"Four inputs and two hidden units, as in the lecture: W = {W}, x = {x}, "
              f"u = {u}. Forward: z = W x = {[round(v, 4) for v in w['z']]}, h = sigmoid(z) "
              f"= {[round(v, 4) for v in w['h']]}, s = u^T h = {w['s']:.4f}. Backward, node "
              "by node: each node multiplies the gradient it receives from above (upstream) "
              "by its own local gradient and hands the product on (downstream). Every number "
              "equals torch autograd's to "
              f"{tables.fmt(w['max_difference_vs_torch'])}."),
        ("table", tables.worked_example_table(w)), ("figure", "worked_example"),
        ("h3", "3. The gates, and why backpropagation runs right to left"),
        ("p", "Each gate with an upstream gradient of 2: add hands it to both inputs, "
              "multiply swaps the inputs' values, a value used twice adds up both "
              "gradients, max sends it to the larger input only."),
        ("table", tables.gates_table(lecture["gates"])),
        ("p", "The sigmoid's derivative read from its output, s (1 - s), against torch and a "
              "finite difference:"),
        ("table", tables.sigmoid_table(lecture["sigmoid_derivative"])),
        ("p", "Reverse mode multiplies a vector by one matrix after another; forward mode "
              "multiplies matrices. Same gradient, very different work:"),
        ("table", tables.reverse_forward_table(lecture["reverse_vs_forward"])),
        ("figure", "reverse_forward"),
        ("h3", "4. Vanishing gradients, at initialisation and during training"),
        ("figure", "vanishing"),
        ("table", tables.vanishing_table(lecture["vanishing_gradients"])),
        ("figure", "vanishing_training"),
        ("table", tables.vanishing_training_table(lecture["vanishing_in_training"])),
        ("h3", "5. Dropout against over-fitting"),
        ("figure", "dropout"), ("table", tables.dropout_table(lecture["dropout"])),
        ("p", tables.effect_text(lecture["dropout"])),
    ]
    return blocks


def document(results: dict) -> list[Block]:
    """The whole report as blocks, in reading order."""
    ok, text = verdict(results)
    machine, versions = results["machine"], results["versions"]
    head: list[Block] = [
        ("verdict ok" if ok else "verdict warn", text),
        ("provenance", f"Made by {results['command']} on {results['created']} in "
              f"{results['settings']['wall_seconds']:.0f} s with {results['settings']['jobs']} "
              "fits at a time; versions: "
              + ", ".join(f"{k} {v}" for k, v in versions.items())
              + f"; machine: {machine['processor']}, {machine['cpu_count']} CPUs.")]
    blocks = head + _datasets(results) + _textbook(results) + _checker(results) + [
        ("h2", "What each framework automates"), ("table", tables.automates_table())]
    blocks += _lecture(results)
    if "benchmark" in results:
        blocks += [("h2", "Speed"), ("figure", "benchmark"),
                   ("table", results["benchmark"]["table"])]
    return blocks


# --- rendering ---------------------------------------------------------------------------------

# options (not the hyphenated words of a path: "reports-of-2026"), numbers, dates
UNBROKEN = re.compile(r"(?<![\w/.])--?[A-Za-z][\w-]*|[+-]?\d[\w.:+-]*")


def _text(text: str, slash_breaks: bool = False) -> str:
    """Escaped for HTML, each number (5.9e-16, -0.0009, 2026-12-02T08:24) and command-line
    option (--out) in a span that never breaks: a browser would otherwise break after their
    hyphens. ``slash_breaks``: a line-break opportunity after each slash, too (a table cell's
    "W / b" columns)."""

    def plain(part: str) -> str:
        escaped = html.escape(part)
        return escaped.replace("/", "/<wbr>") if slash_breaks else escaped

    out, last = [], 0
    for match in UNBROKEN.finditer(text):
        out += [plain(text[last:match.start()]),
                f"<span class='nb'>{html.escape(match.group())}</span>"]
        last = match.end()
    return "".join(out) + plain(text[last:])


def _breakable(text: str) -> str:
    """A table cell's text: ``_text`` with breaks after slashes."""
    return _text(text, slash_breaks=True)


STACKED_FROM = 4  # columns: on a phone, a table this wide or wider is stacked row by row


def _md_table_to_html(text: str) -> str:
    """A Markdown table as HTML: in a box that scrolls sideways (a shadow at its right edge
    says there is more), each cell labelled with its column (a phone shows a wide table one
    row at a time, "column: value"), the columns of ``tables.VERDICTS`` marked
    (``verdict-column``: the browser check holds them in view)."""
    lines = [line for line in text.strip().split("\n") if line.startswith("|")]
    head = [c.strip() for c in lines[0].strip("|").split("|")]
    body = [[c.strip() for c in line.strip("|").split("|")] for line in lines[2:]]
    marked = [" class='verdict-column'" if c in tables.VERDICTS else "" for c in head]
    cells = "".join(f"<th{m}>{_breakable(c)}</th>" for c, m in zip(head, marked))
    rows = "".join("<tr>" + "".join(f"<td{m} data-label='{html.escape(h, quote=True)}'>"
                                    f"{_breakable(c)}</td>"
                                    for c, h, m in zip(row, head, marked)) + "</tr>"
                   for row in body)
    stacked = " stack" if len(head) >= STACKED_FROM else ""
    return (f"<div class='scroll{stacked}'><table><thead><tr>{cells}</tr></thead>"
            f"<tbody>{rows}</tbody></table></div>")


def markdown(blocks: list[Block], captions: dict[str, str]) -> str:
    out = ["# Three frameworks, one model: the evidence", ""]
    for kind, content in blocks:
        if kind in ("h2", "h3"):
            out += [("## " if kind == "h2" else "### ") + content, ""]
        elif kind == "figure":
            out += [f"![{content}](figures/{content}.png)", "", f"*{captions[content]}*", ""]
        elif kind == "pre":
            out += ["```text", content, "```", ""]
        elif kind.startswith("verdict"):
            out += [f"**{content}**", ""]
        else:
            out += [content, ""]
    return "\n".join(out)


# Which layout of a figure a screen gets (plotting.LAYOUTS): each from its narrowest screen
MEDIA = {"phone": f"(max-width: {plotting.LAYOUTS['tablet'].narrowest - 1}px)",
         "tablet": f"(max-width: {plotting.LAYOUTS['desktop'].narrowest - 1}px)"}
STYLE = f"""
body {{ font-family: system-ui, sans-serif; max-width: 1200px; margin: 2em auto;
       padding: 0 1em; color: #222; line-height: 1.45; }}
/* words and numbers never break inside: a wide table scrolls as a whole instead, and a
   shadow at its right edge shows that it does (it goes once the table is scrolled to its
   end: the white cover travels with the table) */
.scroll {{ overflow-x: auto; margin: 0.8em 0;
          background: linear-gradient(to left, #fff 40%, rgba(255,255,255,0)) 100% 0 / 2.5em
                      100% no-repeat local,
                      radial-gradient(farthest-side at 100% 50%, rgba(0,0,0,0.35),
                      rgba(0,0,0,0)) 100% 0 / 1.1em 100% no-repeat scroll; }}
table {{ border-collapse: separate; border-spacing: 0; font-size: 0.85em; }}
th, td {{ border: 1px solid #ccc; border-width: 0 1px 1px 0; padding: 0.25em 0.5em;
         text-align: left; vertical-align: top; min-width: 4em; }}
tr > :first-child {{ border-left-width: 1px; }}
thead th {{ border-top-width: 1px; }}
/* the first column stays in view while a wide table scrolls */
tr > :first-child {{ position: sticky; left: 0; z-index: 1; background: #fff; }}
th {{ background: rgba(0,0,0,0.06); }}
thead tr > :first-child {{ background: #f0f0f0; }}
.nb {{ white-space: nowrap; }}
figure {{ margin: 1.2em 0; }} img {{ max-width: 100%; height: auto; }}
figcaption {{ font-size: 0.9em; color: #444; max-width: 60em; margin-top: 0.3em; }}
.for-narrow {{ display: none; }}
/* verdicts and printed output wrap at spaces, so that nothing is hidden sideways */
pre {{ background: #f6f6f6; padding: 0.6em; font-size: 0.8em; white-space: pre-wrap;
      overflow-x: auto; }}
.verdict {{ font-size: 1.1em; padding: 0.6em 1em; background: #eef7ee;
           border-left: 4px solid #2ca02c; }}
.warn {{ background: #fdf3e7; border-left-color: #ff7f0e; }}
@media {MEDIA["tablet"]} {{ .for-wide {{ display: none; }} .for-narrow {{ display: inline; }} }}
/* a phone reads a wide table one row at a time, each value beside its column's name */
@media {MEDIA["phone"]} {{
  table {{ font-size: 0.8em; }} body {{ margin: 1em auto; }} th, td {{ min-width: 3em; }}
  .stack {{ background: none; }}
  .stack table, .stack tbody, .stack tr, .stack td {{ display: block; }}
  .stack thead {{ position: absolute; width: 1px; height: 1px; overflow: hidden;
                 clip-path: inset(50%); }}
  .stack tr {{ border: 1px solid #ccc; border-radius: 3px; margin: 0 0 0.6em; }}
  .stack td {{ position: static; border: 0; min-width: 0; padding: 0.1em 0.5em; }}
  .stack td:first-child {{ background: #f0f0f0; font-weight: 600; }}
  .stack td::before {{ content: attr(data-label) ": "; color: #555; font-weight: normal; }}
  .stack td[data-label='']::before {{ content: none; }}
}}
"""


def _figure(variants: dict[str, bytes], caption: str, narrow_caption: str, alt: str,
            fonts: dict[str, float], found: dict[str, list[str]]) -> str:
    """One figure: a ``<picture>`` whose sources are its layouts (``variants``: layout name
    -> PNG), each marked with its layout, width, smallest text (px of the PNG) and what
    ``legibility`` found in it; the caption, in its narrow version where the panels are not
    side by side."""
    def marks(layout: str) -> str:
        return (f" data-layout='{layout}' data-width='{legibility.png_width(variants[layout])}'"
                f" data-font-px='{fonts[layout]:.1f}' data-problems='"
                f"{html.escape(json.dumps(found.get(layout, [])), quote=True)}'")

    sources = "".join(f"<source media='{MEDIA[layout]}' srcset='"
                      f"{data_uri(variants[layout])}'{marks(layout)}>"
                      for layout in ("phone", "tablet") if layout in variants)
    text = _text(caption) if narrow_caption == caption else (
        f"<span class='for-wide'>{_text(caption)}</span>"
        f"<span class='for-narrow'>{_text(narrow_caption)}</span>")
    return (f"<figure><picture>{sources}<img alt='{html.escape(alt)}'{marks('desktop')} "
            f"src='{data_uri(variants['desktop'])}'></picture><figcaption>{text}"
            "</figcaption></figure>")


def html_page(blocks: list[Block], figure_html: dict[str, str]) -> str:
    """The page; ``figure_html`` holds each figure's HTML (``_figure``)."""
    parts = ["<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
             "<meta name='viewport' content='width=device-width, initial-scale=1'>"
             f"<title>Three frameworks, one model</title><style>{STYLE}</style></head><body>",
             "<h1>Three frameworks, one model: the evidence</h1>"]
    for kind, content in blocks:
        if kind in ("h2", "h3"):
            parts.append(f"<{kind}>{_text(content)}</{kind}>")
        elif kind == "figure":
            parts.append(figure_html[content])
        elif kind == "table":
            parts.append(_md_table_to_html(content))
        elif kind == "pre":
            parts.append(f"<pre>{_text(content)}</pre>")
        elif kind.startswith("verdict"):
            parts.append(f"<p class='{kind}'>{_text(content)}</p>")
        elif kind == "provenance":  # the command as typed: a long --out path breaks at "/"
            parts.append(f"<p>{_text(content, slash_breaks=True)}</p>")
        else:
            parts.append(f"<p>{_text(content)}</p>")
    parts.append("</body></html>")
    return "\n".join(parts)


def write(results: dict, figs: dict[str, tuple], out_dir: str) -> None:
    """results.json, report.md, report.html, and figures/NAME.png and .svg for each figure
    (``figs``: name -> (figure, caption, alt text[, the figure laid out for a phone])). Each
    figure is drawn in every layout of ``plotting.LAYOUTS`` (the desktop's is the one in
    report.md and figures/), checked with ``legibility`` and shown by report.html on the
    screens it was drawn for."""
    os.makedirs(out_dir, exist_ok=True)
    folder = os.path.join(out_dir, "figures")
    html_figures, captions = {}, {}
    narrow_captions = {**figures.NARROW_CAPTIONS, **lecture_figures.NARROW_CAPTIONS}
    for name, (fig, caption, alt, *rest) in figs.items():
        drawn = {"desktop": fig, "phone": rest[0] if rest else plotting.redraw(fig, "phone"),
                 "tablet": plotting.redraw(fig, "tablet")}
        variants, fonts, found = measured(drawn)
        save(fig, folder, name, variants["desktop"])
        for each in drawn.values():
            plt.close(each)
        captions[name] = caption
        html_figures[name] = _figure(variants, caption, narrow_captions.get(name, caption),
                                     alt, fonts, found)
    blocks = [b for b in document(results) if b[0] != "figure" or b[1] in figs]
    with open(os.path.join(out_dir, "results.json"), "w") as f:
        json.dump(results, f, indent=1, default=_plain)
    with open(os.path.join(out_dir, "report.md"), "w") as f:
        f.write(markdown(blocks, captions))
    with open(os.path.join(out_dir, "report.html"), "w") as f:
        f.write(html_page(blocks, html_figures))


def measured(drawn: dict[str, Figure]) -> tuple[dict, dict, dict]:
    """For each layout of ``drawn`` (layout name -> the figure drawn for it): its PNG, the
    smallest text in it (px of the PNG) and what ``legibility`` finds in it, measured on the
    figure as the PNG shows it (``png`` leaves it drawn)."""
    variants, fonts, found = {}, {}, {}
    for layout, each in drawn.items():
        variants[layout] = png(each)
        fonts[layout] = smallest_font_px(each)
        found[layout] = legibility.problems(
            each, plotting.DPI, legibility.png_width(variants[layout]),
            plotting.LAYOUTS[layout].column, renderer=each.canvas.get_renderer())
    return variants, fonts, found


def _plain(value: object) -> object:
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"{type(value).__name__} is not JSON")
