"""``python -m comparisons.tools.browser`` refuses what it cannot measure before it starts
Chromium: a report that is missing, a folder or a device (``/dev/zero`` once ran out of
memory), a ``--shots`` that is a file; each in one line with exit status 2. Chromium is not
needed for these."""

import subprocess
import sys

import pytest

from comparisons.tools import browser

COMMAND = [sys.executable, "-m", "comparisons.tools.browser"]


@pytest.mark.parametrize("argument,words", [
    ("missing.html", "does not exist"),
    (".", "is a folder"),
    ("/dev/zero", "not a regular file"),
])
def test_a_report_that_cannot_be_read_is_refused_in_one_line(argument, words, tmp_path):
    done = subprocess.run([*COMMAND, argument], capture_output=True, text=True, timeout=60,
                          cwd=tmp_path)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.count("\n") == 1 and words in done.stderr, done.stderr


def test_shots_that_is_a_file_is_refused_in_one_line(tmp_path):
    report, shots = tmp_path / "report.html", tmp_path / "shots"
    report.write_text("<!DOCTYPE html><html><body><p>a report</p></body></html>")
    shots.write_text("a file")
    done = subprocess.run([*COMMAND, str(report), "--shots", str(shots)], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 2 and done.stderr.count("\n") == 1
    assert "--shots" in done.stderr and "is a file" in done.stderr
    assert shots.read_text() == "a file"


def test_a_report_too_large_or_not_text_is_refused(tmp_path, monkeypatch):
    binary = tmp_path / "binary.html"
    binary.write_bytes(b"\xff\xfe\x00 not UTF-8")
    with pytest.raises(ValueError, match="not a text file"):
        browser.read_report(binary)
    monkeypatch.setattr(browser, "MAX_REPORT_BYTES", 10)
    (tmp_path / "large.html").write_text("x" * 11)
    with pytest.raises(ValueError, match="larger than"):
        browser.read_report(tmp_path / "large.html")


def test_the_three_widths_are_a_desktop_a_tablet_and_a_phone():
    assert browser.WIDTHS == {"desktop": 1280, "tablet": 768, "phone": 390}
