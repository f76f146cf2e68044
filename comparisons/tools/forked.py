"""Python files run one after another, each in a fresh process forked from this one once it
has imported the libraries they use: what ``doc_blocks`` runs the pages' blocks with, so
that each block costs its own work and not an import of torch (the 22 blocks of
docs/checking.md: 54 s in new interpreters, 11 s forked; measured 2026-12-07).

Each file runs as ``python FILE`` would run it: in its own folder, as ``__main__``, with
``sys.argv == [FILE]``, its folder first on ``sys.path``, stdin empty, its stdout and stderr
written to files, ``atexit`` run at its end, and its exit status as Python gives it. The one
difference is that the libraries of ``PRELOAD`` are imported already; if importing them said
anything on stderr (a warning a block would show), ``ready`` says so and the caller runs the
blocks in new interpreters instead.

The protocol, one line each way: this process writes ``ready`` or ``noisy`` once, then reads
``FILE<TAB>STDOUT<TAB>STDERR<TAB>TIMEOUT`` lines and answers each with the exit status, or
``timeout`` when the file ran past TIMEOUT seconds and was killed.

Known differences, none met by the pages' blocks: output a grandchild process writes after
the block's own process ends is not waited for, and a submodule the preload imported is
there for a block that never imported it."""

import atexit
import importlib
import os
import runpy
import signal
import sys
import threading
import time
import traceback

PRELOAD = ("numpy", "scipy", "matplotlib", "sklearn", "torch", "scratch", "reference")


_ENVIRONMENT = dict(os.environ)  # as it was before the preload (scikit-learn's import adds
# OpenMP variables, which a block run by a new interpreter would not find)


def _preload() -> bool:
    """Import ``PRELOAD``; whether that wrote nothing on stderr."""
    import tempfile

    with tempfile.TemporaryFile() as said:
        saved = os.dup(2)
        os.dup2(said.fileno(), 2)
        try:
            for name in PRELOAD:
                importlib.import_module(name)
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
        return said.seek(0, os.SEEK_END) == 0


def _status(code: object) -> int:
    """The exit status Python gives ``raise SystemExit(code)``."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    print(code, file=sys.stderr)
    return 1


def _child(path: str, out: str, err: str) -> None:
    """In the forked process: run ``path`` as ``python path`` would; never returns."""
    status = 0
    try:
        for fd, name, flags in ((0, os.devnull, os.O_RDONLY),
                                (1, out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC),
                                (2, err, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)):
            opened = os.open(name, flags, 0o644)
            os.dup2(opened, fd)
            os.close(opened)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        os.environ.clear()
        os.environ.update(_ENVIRONMENT)
        folder = os.path.dirname(os.path.abspath(path))
        os.chdir(folder)
        sys.argv, sys.path[0] = [path], folder
        interrupted = False
        try:
            runpy.run_path(path, run_name="__main__")
        except SystemExit as stop:
            status = _status(stop.code)
        except KeyboardInterrupt:  # Python ends such a run by SIGINT: status -2
            traceback.print_exc()
            interrupted = True
        except BaseException:
            traceback.print_exc()
            status = 1
        try:
            threading._shutdown()  # non-daemon threads joined, as at an interpreter's end
            atexit._run_exitfuncs()
        except BaseException:
            traceback.print_exc()
        if interrupted:
            _flush()
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            os.kill(os.getpid(), signal.SIGINT)
    finally:
        _flush()
        os._exit(status)


def _flush() -> None:
    for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
        try:
            stream.flush()
        except BaseException:
            pass


def _run(path: str, out: str, err: str, timeout: float) -> int | str:
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        _child(path, out, err)
    deadline = time.monotonic() + timeout
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            return "timeout"
        time.sleep(0.005)


def main() -> None:
    print("ready" if _preload() else "noisy", flush=True)
    for line in sys.stdin:
        path, out, err, timeout = line.rstrip("\n").split("\t")
        print(_run(path, out, err, float(timeout)), flush=True)


if __name__ == "__main__":
    main()
