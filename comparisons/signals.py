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
    """Within the block, SIGTERM raises ``KeyboardInterrupt`` (in the main thread), and both
    signals are remembered for ``raise_if_stopped``."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    _received.clear()
    previous = {s: signal.signal(s, _terminate) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def raise_if_stopped() -> None:
    """Raise ``KeyboardInterrupt`` again if a signal came within ``stopping()``: for code
    that calls a fit which catches it (scikit-learn's and scratch's ``fit`` end early with a
    warning instead), so that the command stops rather than goes on with a cut-short fit."""
    if _received:
        raise KeyboardInterrupt


def status() -> int:
    """The exit status after a ``KeyboardInterrupt``: 143 if SIGTERM caused it, else 130."""
    return 128 + (signal.SIGTERM if signal.SIGTERM in _received else signal.SIGINT)


def name() -> str:
    """"terminated" or "interrupted", for the one line the command prints."""
    return "terminated" if signal.SIGTERM in _received else "interrupted"
