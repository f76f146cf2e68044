"""What a command writes into its ``--out`` folder, and nothing else.

A command names its outputs before it starts (paths relative to ``--out``: ``report.html``,
``figures/accuracy.png``, ...). ``claim(out, outputs)`` checks, before any work, that
``--out`` is a folder it can create and write in and that no output's path is taken by
something of another kind (a folder where the command writes a file, a file where it needs
a folder): a one-line ``UsageError``, and nothing is touched. ``staged(out)`` gives a
temporary folder inside ``out`` to write into; when the block completes, each file written
there replaces its namesake in ``out`` (``os.replace``: a file for a file), and the temporary
folder is removed whatever happens, a signal included.

No folder is ever removed but the command's own temporary one, and a file that is not one of
the command's outputs is never touched: ``make`` and ``pip`` behave the same way. Standard
library only, so that a command checks its ``--out`` before it imports torch.
"""

import os
import shutil
import stat
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

STAGE_PREFIX = ".partial-"


class UsageError(Exception):
    """An argument that cannot work, found before any work (exit status 2, one line)."""


def _kind(path: str) -> str | None:
    """"file", "folder", "other" (a device, a FIFO, a socket) or None when nothing is there
    (a symbolic link is judged by what it points to; a dangling one counts as a file)."""
    try:
        mode = os.stat(path).st_mode
    except (FileNotFoundError, NotADirectoryError):
        return "file" if os.path.islink(path) else None
    except OSError:
        return "other"
    return "folder" if stat.S_ISDIR(mode) else "file" if stat.S_ISREG(mode) else "other"


def claim(out: str, outputs: Iterable[str], option: str = "--out") -> None:
    """Check that ``out`` can receive ``outputs`` (paths relative to it) without removing
    anything of the user's; create ``out`` if needed. ``UsageError`` otherwise."""
    kind = _kind(out)
    if kind not in (None, "folder"):
        raise UsageError(f"{option} {out!r} is a {'file' if kind == 'file' else 'special file'}"
                         ", not a folder; choose another path")
    try:
        os.makedirs(out, exist_ok=True)
    except OSError as error:
        raise UsageError(f"{option} {out!r} cannot be created ({error.strerror}); choose "
                         "another path") from None
    try:
        os.rmdir(tempfile.mkdtemp(dir=out, prefix=".write-test-"))
    except OSError as error:
        raise UsageError(f"{option} {out!r} is not writable ({error.strerror}); choose another "
                         "folder") from None
    for relative in outputs:
        parts = relative.split("/")
        for depth in range(1, len(parts)):
            folder = "/".join(parts[:depth])
            if _kind(os.path.join(out, folder)) not in (None, "folder"):
                raise UsageError(f"{option} {out!r} holds a file named {folder!r} where this "
                                 "command writes a folder; move it or choose another "
                                 f"{option}")
        if _kind(os.path.join(out, relative)) not in (None, "file"):
            raise UsageError(f"{option} {out!r} holds a folder (or special file) named "
                             f"{relative!r} where this command writes a file; move it or "
                             f"choose another {option}")


class Stage(str):
    """The temporary folder's path (a ``str``), and ``moved``: whether its files were put in
    place (a signal that arrives while they are moved waits until they all are)."""

    moved = False


@contextmanager
def staged(out: str) -> Iterator[Stage]:
    """A temporary folder inside ``out`` to write into; each file written there replaces its
    namesake in ``out`` when the block completes, all of them or none (SIGINT and SIGTERM
    wait while they are moved); the temporary folder is removed in any case. Checked with
    ``claim`` beforehand, a namesake can only be a file."""
    stage = Stage(tempfile.mkdtemp(dir=out, prefix=STAGE_PREFIX))
    try:
        yield stage
        with _signals_held():
            for folder, _, files in os.walk(stage):
                relative = os.path.relpath(folder, stage)
                target_folder = out if relative == "." else os.path.join(out, relative)
                os.makedirs(target_folder, exist_ok=True)
                for name in sorted(files):
                    target = os.path.join(target_folder, name)
                    if _kind(target) not in (None, "file"):
                        raise UsageError(f"{target!r} became a folder while this command ran;"
                                         " nothing was replaced there")
                    os.replace(os.path.join(folder, name), target)
            stage.moved = True
    finally:
        shutil.rmtree(stage, ignore_errors=True)


@contextmanager
def _signals_held() -> Iterator[None]:
    """SIGINT and SIGTERM held back (delivered when the block ends), in the main thread."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    held = {signal.SIGINT, signal.SIGTERM}
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)
