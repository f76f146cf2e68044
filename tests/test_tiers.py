"""The quick tier, ``python -m pytest -m "not slow"``: every test marked slow says why in one
line (a comment beside the mark, or the list it is named in), so that a reader can tell what
the quick tier leaves out and a contributor can see what to make faster."""

import re
from pathlib import Path

TESTS = Path(__file__).parent


def test_every_slow_mark_says_why():
    bare = []
    for path in sorted(TESTS.glob("test_*.py")):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if re.match(r"\s*@pytest\.mark\.slow\b", line) and not re.search(r"#\s*\w.{5,}", line):
                bare.append(f"{path.name}:{number}")
    assert not bare, f"slow without its reason: {bare}"


def test_the_slow_marker_is_declared_with_what_it_means():
    text = (TESTS.parent / "pyproject.toml").read_text()
    assert re.search(r'"slow: [^"]*quick tier', text)
