"""Every Python block of the README and of docs/*.md runs as written, from a folder outside
the clone, without a warning; and prints what the page says it prints."""

from pathlib import Path

import pytest

from comparisons.tools.doc_blocks import blocks, process

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


@pytest.fixture(scope="module")
def runner():
    """One interpreter that has imported the libraries, each block forked from it."""
    from comparisons.tools.doc_blocks import Runner

    with Runner() as runner:
        assert runner.forked  # (else every block got a new interpreter, unseen)
        yield runner


@pytest.mark.parametrize("page", PAGES, ids=[p.name for p in PAGES])
@pytest.mark.slow  # runs every code block of a page: 12 s at most, 25 s for its 7
def test_every_python_block_runs_and_prints_what_the_page_shows(page, runner):
    assert process(page, runner=runner) == []


def test_the_pages_have_blocks_to_run():
    for name in ("README.md", "checking.md"):
        page = next(p for p in PAGES if p.name == name)
        assert sum(b.lang == "python" for b in blocks(page.read_text())) >= 3, name


def test_a_block_that_fails_or_warns_is_reported(tmp_path, runner):
    page = tmp_path / "page.md"
    page.write_text("```python\nimport warnings\nwarnings.warn('careful')\n```\n\n"
                    "```python\nraise SystemExit(3)\n```\n\n"
                    "```python\nprint(1 + 1)\n```\n\n```text\n3\n```\n")
    problems = process(page, runner=runner)
    assert len(problems) == 3
    assert "careful" in problems[0] and "exit status 3" in problems[1]
    assert "prints something else" in problems[2]


def _section(text: str, title: str) -> str:
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start:end if end > 0 else None]


def test_the_readme_speed_numbers_are_the_stored_benchmark_s():
    import json
    import re

    from comparisons.bench.table import table

    results = json.loads((ROOT / "docs" / "bench.json").read_text())
    stored = table(results)
    assert (ROOT / "docs" / "bench.md").read_text() == stored + "\n"
    speed = _section((ROOT / "README.md").read_text(), "Speed")
    rows = [line for line in speed.splitlines() if line.startswith("| 784")]
    ratios = re.findall(r"\d+\.\d\d \[\d+\.\d\d, \d+\.\d\d\]", speed)
    assert rows and ratios
    for quoted in rows + ratios:
        assert quoted in stored, quoted
    assert results["machine"]["cpu"] in speed
    for command in results["command"].split(", then "):  # the run, and any --retry-missing
        assert f"`{command}`" in speed


BLOCK_AS_A_SCRIPT = """
import atexit, os, sys
atexit.register(lambda: print("atexit ran"))
print(__name__, os.path.basename(sys.argv[0]), os.getcwd() == os.path.dirname(sys.argv[0]))
print(sys.path[0] == os.getcwd(), repr(sys.stdin.read()), sorted(os.listdir(".")))
import numpy as np
print(np.arange(3).sum())
"""


@pytest.mark.parametrize("code,status,shown,says", [
    (BLOCK_AS_A_SCRIPT, 0, ["__main__ block.py True", "True '' ['block.py']", "3",
                            "atexit ran"], ""),
    ("raise ValueError('no')", 1, [], "ValueError: no"),
    ("import sys; sys.exit('said')", 1, [], "said"),
    ("import sys; sys.exit(4)", 4, [], ""),
    ("import os, signal; os.kill(os.getpid(), signal.SIGTERM)", -15, [], ""),
    ("raise KeyboardInterrupt", -2, [], "KeyboardInterrupt"),
    ("import threading, time\n"
     "threading.Thread(target=lambda: (time.sleep(0.3), print('joined'))).start()", 0,
     ["joined"], ""),
    ("import os; print(sorted(os.environ))", 0, None, ""),  # (None: as a new one prints)
])
def test_a_forked_block_runs_as_a_new_interpreter_runs_it(code, status, shown, says, runner):
    """``Runner`` (each block forked from one interpreter that has imported the libraries)
    gives what ``run_block`` (a new interpreter per block) gives: status, stdout, stderr."""
    from comparisons.tools.doc_blocks import run_block

    forked, fresh = runner.run(code), run_block(code)
    assert forked[0] == fresh[0] == status
    assert forked[1] == fresh[1] and forked[1].splitlines() == (shown or fresh[1].splitlines())
    assert forked[2].splitlines()[-1:] == fresh[2].splitlines()[-1:] == \
        ([says] if says else [])  # a traceback's last line, or nothing


def test_a_forked_block_past_its_time_is_stopped(runner):
    import subprocess

    with pytest.raises(subprocess.TimeoutExpired):
        runner.run("import time; time.sleep(30)", timeout=0.5)
    assert runner.run("print('next')")[:2] == (0, "next\n")  # the runner goes on
