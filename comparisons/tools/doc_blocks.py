"""python -m comparisons.tools.doc_blocks: run the Python blocks of the README and the docs.

Every ```python block of a Markdown file runs on its own, as a reader would run it: copied
into a file in a fresh folder outside the clone and run with this Python, which must finish
without an error and without a word on stderr (no warnings). Each runs in a process forked
from one interpreter that has imported numpy, torch, scikit-learn and the project
(``forked.py``: the same files, folders, streams and exit status, without an import of torch
per block); ``--fresh`` gives each block a new interpreter instead. A ```text block right after a
```python block holds what that block prints: ``--update`` rewrites it, ``--check`` (the
default, and what the tests do) fails if it is out of date. Numbers of round-off size (below
1e-9, as 3e-16 or 0.0e+00) are compared as such, not digit by digit, since they depend on the
BLAS underneath.

A ```python block preceded by ``<!-- source: path/to/file.py -->`` is that file's source,
shown whole: it must equal the file.
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FENCE = re.compile(r"^```(\w*)[^\n]*\n(.*?)^```[ \t]*$", re.M | re.S)
SOURCE = re.compile(r"<!-- source: (\S+) -->\s*$")
TINY = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?e-(\d\d)")


@dataclass
class Block:
    lang: str
    code: str
    start: int  # offsets of the whole fence in the file's text
    end: int


def blocks(text: str) -> list[Block]:
    return [Block(m.group(1), m.group(2), m.start(), m.end()) for m in FENCE.finditer(text)]


def run_block(code: str, timeout: float = 300) -> tuple[int, str, str]:
    """(exit status, stdout, stderr) of ``code`` run as a file in a fresh folder, by a new
    interpreter."""
    with tempfile.TemporaryDirectory() as folder:
        script = Path(folder) / "block.py"
        script.write_text(code)
        done = subprocess.run([sys.executable, str(script)], cwd=folder, capture_output=True,
                              stdin=subprocess.DEVNULL, text=True, timeout=timeout,
                              env=_environment())
    return done.returncode, done.stdout, done.stderr


def _environment() -> dict[str, str]:
    """This process's environment without PYTHONPATH: blocks import the installed project,
    as a reader's would."""
    return {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}


class Runner:
    """Runs blocks as ``run_block`` does, each in a process forked from one interpreter that
    has imported the libraries already (``comparisons.tools.forked``): the same files, folders,
    streams and exit statuses, without an import of torch per block. With ``fresh`` (or when
    importing the libraries said anything on stderr) each block gets a new interpreter."""

    def __init__(self, fresh: bool = False) -> None:
        self._home = tempfile.TemporaryDirectory()
        self._server = None
        if not fresh:
            self._server = subprocess.Popen(
                [sys.executable, "-m", "comparisons.tools.forked"], cwd=self._home.name,
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=_environment())
            if self._server.stdout.readline().strip() != "ready":
                self.close()

    @property
    def forked(self) -> bool:
        """Whether blocks are forked (else each gets a new interpreter)."""
        return self._server is not None

    def run(self, code: str, timeout: float = 300) -> tuple[int, str, str]:
        if self._server is None:
            return run_block(code, timeout)
        with tempfile.TemporaryDirectory() as folder, \
                tempfile.TemporaryDirectory(dir=self._home.name) as streams:
            script = Path(folder) / "block.py"
            script.write_text(code)
            out, err = Path(streams, "out"), Path(streams, "err")
            self._server.stdin.write(f"{script}\t{out}\t{err}\t{timeout}\n")
            self._server.stdin.flush()
            answer = self._server.stdout.readline()
            if not answer:  # the server died: the rest in new interpreters
                self.close()
                return run_block(code, timeout)
            if answer.strip() == "timeout":
                raise subprocess.TimeoutExpired(str(script), timeout)
            return (int(answer), out.read_text(errors="replace"),
                    err.read_text(errors="replace"))

    def close(self) -> None:
        if self._server is not None:
            self._server.stdin.close()
            try:
                self._server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self._server.kill()
                self._server.wait()
            self._server.stdout.close()
            self._server = None
        self._home.cleanup()

    def __enter__(self) -> "Runner":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _normal(text: str) -> str:
    """Round-off-sized numbers replaced by a token; trailing spaces dropped."""
    text = TINY.sub(lambda m: "<round-off>" if int(m.group(1)) >= 9 else m.group(0), text)
    text = re.sub(r"\b0\.0e\+00\b", "<round-off>", text)
    return "\n".join(line.rstrip() for line in text.strip().splitlines())


def process(path: Path, update: bool = False, runner: Runner | None = None) -> list[str]:
    """Run every Python block of ``path`` (with ``runner``, else a ``Runner`` of its own); the
    problems found (and, with ``update``, the ```text blocks rewritten)."""
    if runner is None:
        with Runner() as runner:
            return process(path, update, runner)
    text = path.read_text()
    found = blocks(text)
    problems, replacements = [], []
    for i, block in enumerate(found):
        if block.lang != "python":
            continue
        where = f"{path.name}, block at line {text[:block.start].count(chr(10)) + 1}"
        before = text[:block.start].rstrip().splitlines()[-1:] or [""]
        source = SOURCE.search(before[0])
        if source:
            if (ROOT / source.group(1)).read_text() != block.code:
                problems.append(f"{where}: differs from {source.group(1)}")
            continue
        status, out, err = runner.run(block.code)
        if status != 0 or err.strip():
            problems.append(f"{where}: exit status {status}\n{err.strip()[-3000:]}")
            continue
        following = found[i + 1] if i + 1 < len(found) else None
        if following is not None and following.lang == "text" and \
                not text[block.end:following.start].strip():
            if update:
                replacements.append((following, out))
            elif _normal(out) != _normal(following.code):
                problems.append(f"{where}: prints something else than the text block after "
                                f"it shows:\n{out}")
    for block, out in reversed(replacements):
        text = text[:block.start] + f"```text\n{out.rstrip()}\n```" + text[block.end:]
    if update and replacements:
        path.write_text(text)
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m comparisons.tools.doc_blocks",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="*", help="Markdown files (default: README.md and "
                                                 "docs/*.md)")
    parser.add_argument("--update", action="store_true",
                        help="rewrite the text blocks with what the code prints")
    parser.add_argument("--fresh", action="store_true",
                        help="run each block in a new interpreter (slower; the default forks "
                             "each from one that has imported the libraries)")
    args = parser.parse_args(argv)
    files = [Path(f) for f in args.files] or [ROOT / "README.md",
                                              *sorted((ROOT / "docs").glob("*.md"))]
    with Runner(fresh=args.fresh) as runner:
        problems = [p for f in files for p in process(f, args.update, runner)]
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
