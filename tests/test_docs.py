"""Every Python block of the README and of docs/*.md runs as written, from a folder outside
the clone, without a warning; and prints what the page says it prints."""

from pathlib import Path

import pytest

from comparisons.tools.doc_blocks import blocks, process

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


@pytest.mark.parametrize("page", PAGES, ids=[p.name for p in PAGES])
@pytest.mark.slow  # runs every code block of a page: 57 s at most, 79 s for its 3
def test_every_python_block_runs_and_prints_what_the_page_shows(page):
    assert process(page) == []


def test_the_pages_have_blocks_to_run():
    for name in ("README.md", "checking.md"):
        page = next(p for p in PAGES if p.name == name)
        assert sum(b.lang == "python" for b in blocks(page.read_text())) >= 3, name


def test_a_block_that_fails_or_warns_is_reported(tmp_path):
    page = tmp_path / "page.md"
    page.write_text("```python\nimport warnings\nwarnings.warn('careful')\n```\n\n"
                    "```python\nraise SystemExit(3)\n```\n\n"
                    "```python\nprint(1 + 1)\n```\n\n```text\n3\n```\n")
    problems = process(page)
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
