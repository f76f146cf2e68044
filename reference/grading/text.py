"""Words from outside the grader, made safe to print: what a submission's process sent (its
notes, names, messages, what it printed) and the names of submitted files.

``printable`` escapes every character of Unicode's category C (control characters, format
characters such as bidi overrides, surrogates, private use, unassigned), ``\\n`` kept where a
text has lines, so that no escape sequence reaches a terminal or a CSV cell: a carriage
return cannot rewrite a line, ``\\x1b[...`` cannot move the cursor or hide text. A file name
that is not UTF-8 (``os.fsdecode`` keeps its bytes as surrogates) shows its bytes as
``\\xNN``. Every text is cut to a length, said with "...".
"""

import os
import unicodedata

NAME = 200  # characters of a file name, an exception's type, an exit code...
MESSAGE = 300  # of a message
NOTE = 4000  # of a note or a verdict (made of the pieces above and the grader's words)


def _escaped(character: str) -> str:
    code = ord(character)
    if 0xDC80 <= code <= 0xDCFF:  # a byte os.fsdecode could not decode (surrogateescape)
        return f"\\x{code - 0xDC00:02x}"
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def printable(value: object, limit: int | None = MESSAGE, lines: bool = False) -> str:
    """``value`` as text with no control character (``\\n`` kept when ``lines``), at most
    ``limit`` characters of it (None: all) followed by "..." when cut."""
    text = value if isinstance(value, str) else str(value)
    cut = limit is not None and len(text) > limit
    if cut:
        text = text[:limit]
    if text.isprintable():  # the usual case, at C speed
        return text + ("..." if cut else "")
    out = "".join(c if (c == "\n" and lines) or not unicodedata.category(c).startswith("C")
                  else _escaped(c) for c in text)
    return out + ("..." if cut else "")


def file_name(path: object, limit: int | None = NAME) -> str:
    """A path or a file name as it can be shown: bytes decoded as the file system would
    (``os.fsdecode``), then ``printable``."""
    if isinstance(path, bytes):
        path = os.fsdecode(path)
    return printable(os.fspath(path) if isinstance(path, os.PathLike) else path, limit)
