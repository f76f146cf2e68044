"""Source text written a line at a time, each line tagged with the nodes it computes.

A line's *where* is a tuple of the checker's locations: ("forward",) or ("loss",) for the
forward pass, backward nodes such as ("z3",), ("h2", "h1"), ("dW2",) (a loop's body
computes one node per layer, top layer first), or () for plumbing nobody mutates (the
``def``, unpacking params, building the returned structure).
"""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

FORWARD = ("forward",)
LOSS = ("loss",)


@dataclass(frozen=True)
class Source:
    """A generated ``grad_fn``: its text and, per line (from 1), the nodes that line computes."""

    text: str
    where: dict[int, tuple[str, ...]] = field(default_factory=dict)
    name: str = "grad_fn"

    @property
    def lines(self) -> list[str]:
        return self.text.splitlines()

    def part(self, line: int) -> str | None:
        """"forward" (forward pass and loss), "backward", or None for plumbing."""
        where = self.where.get(line, ())
        if not where:
            return None
        return "forward" if set(where) <= {"forward", "loss"} else "backward"


class Writer:
    """Collects lines with their indentation and their *where*; ``source()`` ends it."""

    def __init__(self) -> None:
        self._lines: list[tuple[str, tuple[str, ...]]] = []
        self._depth = 0

    def add(self, text: str, where: tuple[str, ...] = ()) -> None:
        """One statement on one line."""
        self._lines.append(("    " * self._depth + text, tuple(where)))

    @contextmanager
    def block(self, header: str, where: tuple[str, ...] = ()) -> Iterator[None]:
        """A ``for``/``if``/``def`` header; the lines added inside are indented under it."""
        self.add(header, where)
        self._depth += 1
        try:
            yield
        finally:
            self._depth -= 1

    def source(self) -> Source:
        text = "\n".join(line for line, _ in self._lines) + "\n"
        return Source(text, {i: where for i, (_, where) in enumerate(self._lines, start=1)})
