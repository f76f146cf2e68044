"""SIGTERM and SIGINT end a command the same way: at once, cleanly, with the usual status.

Python turns SIGINT (Ctrl-C) into ``KeyboardInterrupt``; ``stopping()`` makes SIGTERM (what
``kill``, a CI runner's timeout and a container's stop send) raise it too, so that the same
``finally`` blocks run (temporary outputs removed, worker processes stopped) instead of the
process vanishing mid-write. ``status()`` then gives the status a shell expects: 130 after
SIGINT, 143 after SIGTERM (128 + the signal's number). Standard library only.
"""

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

_received: list[int] = []


def _terminate(signum: int, frame: FrameType | None) -> None:
    _received.append(signum)
    raise KeyboardInterrupt


@contextmanager
def stopping() -> Iterator[None]:
    """Within the block, SIGTERM raises ``KeyboardInterrupt`` (in the main thread)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    _received.clear()
    previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def status() -> int:
    """The exit status after a ``KeyboardInterrupt``: 143 if SIGTERM caused it, else 130."""
    return 128 + (signal.SIGTERM if signal.SIGTERM in _received else signal.SIGINT)


def name() -> str:
    """"terminated" or "interrupted", for the one line the command prints."""
    return "terminated" if signal.SIGTERM in _received else "interrupted"
