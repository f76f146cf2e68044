"""The grader's side of the process that runs a submission's code (``sandbox/main.py`` is the
child's side): starting it clean, talking to it over its channel within deadlines, keeping
what it prints as a bounded tail, and stopping it and everything it started.

The child is ``python -I -S -u sandbox/main.py``, in a session of its own, in an empty temporary
folder (``work``, the only one it may write), with an environment of a few variables (none
of the grader's), its stdin closed, its stdout and stderr read by two threads into
``Tail``s (the last 64 KiB kept, the rest counted), so that nothing it prints costs the
grader memory or makes it wait. The submission's cells are a file beside that folder, which
it may only read (a source of any size never crosses the channel). Its channel is one end
of a socket pair (``wire.py``'s frames), passed as a descriptor: cases go out, answers come
in, a deadline bounds every wait, and every frame is checked before it is believed
(``frames.py``). A ``Watch`` stops it when its folder or its threads grow past their limits.
"""

import importlib.machinery
import importlib.util
import json
import os
import select
import signal
import site
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from reference.grading import frames, processes
from reference.grading.sandbox import wire
from reference.grading.sandbox.guard import DENIED
from reference.grading.watch import Watch, remove_folder

SANDBOX = Path(__file__).parent / "sandbox" / "main.py"
TAIL_BYTES = 64 * 1024
START_BUDGET = 60.0  # seconds for a child to start (NumPy's import, on a busy machine)
LIVE: set[int] = set()  # the children running now (another submission's is not an orphan)


class ChildTimeout(Exception):
    """The child did not answer within the deadline."""


class ChildEnded(Exception):
    """The child's process ended (the sentence says how), or it closed its channel."""


class ChildBroken(Exception):
    """The child sent something the grader cannot read: not a message of the channel, or
    one whose header is not what its kind allows (the sentence says what)."""


@dataclass(frozen=True)
class Limits:
    """What the child may use: memory and the size of one file (bytes), of its whole folder
    (bytes, and files and folders in it), threads (``threads`` started from Python, refused
    past it with a message; ``os_threads`` in all, the process stopped past it), Landlock
    and seccomp when the kernel has them, imports allowed although ``DENIED`` (an exercise
    that needs one), and process creation (never, except for the grader's own tests of its
    process cleanup)."""

    memory: int = 4 * 2**30
    file_size: int = 256 * 2**20
    folder_bytes: int = 2**30
    folder_entries: int = 100_000
    threads: int = 64
    os_threads: int = 256
    landlock: bool = True
    seccomp: bool = True
    allow: frozenset = frozenset()
    processes: bool = False
    denied_paths: tuple = ()  # more folders or files the child may not open (the class's)


class Tail:
    """The last ``limit`` bytes of a stream, and how many bytes it had in all."""

    def __init__(self, limit: int = TAIL_BYTES) -> None:
        self.limit, self.total = limit, 0
        self.data = bytearray()
        self.lock = threading.Lock()

    def add(self, chunk: bytes) -> None:
        with self.lock:
            self.total += len(chunk)
            self.data += chunk[-self.limit:]
            del self.data[:max(0, len(self.data) - self.limit)]

    def text(self) -> str:
        with self.lock:
            return self.data.decode("utf-8", "replace")


@dataclass
class Output:
    """What a submission's processes printed, over every child it needed."""

    stdout: Tail = field(default_factory=Tail)
    stderr: Tail = field(default_factory=Tail)


def _drain(fd: int, tail: Tail, stop: threading.Event) -> None:
    """Read ``fd`` into ``tail`` until its end or ``stop`` (never blocked for long: a process
    the child started may hold the pipe open forever)."""
    try:
        while not stop.is_set():
            ready, _, _ = select.select([fd], [], [], 0.1)
            if not ready:
                continue
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                return
            tail.add(chunk)
    except OSError:
        return
    finally:
        os.close(fd)


def _search_path() -> list[str]:
    """The interpreter's standard library and installed packages, nothing else: not the
    current folder, not the project's source."""
    prefixes = {os.path.realpath(p) for p in (sys.prefix, sys.base_prefix, sys.exec_prefix)}
    sites = {os.path.realpath(p) for p in [*site.getsitepackages(), site.getusersitepackages()]}
    project = os.path.realpath(Path(__file__).parents[2])
    kept = []
    for entry in sys.path:
        real = os.path.realpath(entry) if entry else ""
        if not entry or real == project or not os.path.exists(real):
            continue
        if real in sites or any(real.startswith(p + os.sep) for p in prefixes):
            kept.append(real)
    return list(dict.fromkeys(kept))


def _off_limits(paths: list[str], extra: tuple, allow: frozenset = frozenset()
                ) -> list[list[str]]:
    """[path, why] the child may not open: the project's packages and the rest of its
    folder (what holds the interpreter left aside), the installed packages it may not
    import, and ``extra`` (the submissions being graded)."""
    found = []
    project = Path(__file__).resolve().parents[2]
    for name in ("scratch", "reference", "comparisons"):
        spec = importlib.util.find_spec(name)  # the editable install's finder included
        for location in (spec.submodule_search_locations or []) if spec else []:
            found.append([os.path.realpath(location), "the project's own code"])
    if (project / "pyproject.toml").exists():
        for child in project.iterdir():
            real = os.path.realpath(child)
            if not any((p + os.sep).startswith(real + os.sep) for p in paths):
                found.append([real, "the project's files"])
    for name in DENIED:
        if name in allow:
            continue
        top, _, rest = name.partition(".")
        spec = importlib.machinery.PathFinder.find_spec(top, paths)
        for location in (spec.submodule_search_locations or []) if spec else []:
            target = os.path.join(location, *rest.split(".")) if rest else location
            found.append([os.path.realpath(target), DENIED[name]])
    tmp = os.path.realpath(tempfile.gettempdir())
    for path in extra:
        real = os.path.realpath(path)
        if not (tmp + os.sep).startswith(real + os.sep) and \
                not any((p + os.sep).startswith(real + os.sep) for p in paths):
            found.append([real, "other submissions are out of reach"])
    return found


def describe_end(returncode: int | None) -> str:
    """How a process ended, in words."""
    if returncode is None:
        return "it stopped answering"
    if returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = f"signal {-returncode}"
        return f"killed by {name}"
    return f"exit status {returncode}, as os._exit({returncode}) gives"


class Child:
    """One child process: ``start`` (until its hello), ``send``, ``receive`` within a
    deadline, ``stop``. ``hello`` holds what the child said of itself before any of the
    student's code ran (its Landlock ABI)."""

    def __init__(self, limits: Limits, output: Output) -> None:
        self.limits, self.output = limits, output
        self.process: subprocess.Popen | None = None
        self.watch: Watch | None = None
        self.hello: dict = {}

    def start(self, cells: list[tuple[str, str]] = ()) -> None:
        """Start the child with ``cells`` ((file name, source) each) in its cells file."""
        processes.become_subreaper()  # its orphans stay below the grader (idempotent)
        self.base = os.path.realpath(tempfile.mkdtemp(prefix="grading-"))
        self.folder = os.path.join(self.base, "work")
        os.mkdir(self.folder, 0o700)
        cells_file = os.path.join(self.base, "cells.json")
        with open(cells_file, "w", encoding="utf-8") as f:
            json.dump([list(cell) for cell in cells], f)
        self.before = processes.children() | LIVE
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        paths = _search_path()
        limits = self.limits
        config = {"fd": theirs.fileno(), "parent": os.getpid(), "tmp": self.folder,
                  "cells": cells_file, "paths": paths,
                  "prefixes": [sys.prefix, sys.base_prefix, sys.exec_prefix],
                  "denied_paths": _off_limits(paths, limits.denied_paths, limits.allow),
                  "allow": sorted(limits.allow), "memory": limits.memory,
                  "file_size": min(limits.file_size, limits.folder_bytes),
                  "threads": limits.threads, "landlock": limits.landlock,
                  "seccomp": limits.seccomp, "processes": limits.processes}
        environment = {"PATH": "/usr/bin:/bin", "HOME": self.folder, "TMPDIR": self.folder,
                       "MPLCONFIGDIR": self.folder, "MPLBACKEND": "Agg", "LANG": "C.UTF-8",
                       "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1",
                       "MKL_NUM_THREADS": "1"}
        self.stop_reading = threading.Event()
        out_read, out_write = os.pipe()
        err_read, err_write = os.pipe()
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-I", "-S", "-u", str(SANDBOX), "limit", json.dumps(config)],
                stdin=subprocess.DEVNULL, stdout=out_write, stderr=err_write,
                pass_fds=(theirs.fileno(),), cwd=self.folder, env=environment,
                start_new_session=True)
        finally:
            os.close(out_write)
            os.close(err_write)
            theirs.close()
        LIVE.add(self.process.pid)
        self.watch = Watch(self.process.pid, self.folder, limits.folder_bytes,
                           limits.folder_entries, limits.os_threads)
        self.watch.start()
        self.readers = [threading.Thread(target=_drain, args=(fd, tail, self.stop_reading),
                                         daemon=True)
                        for fd, tail in ((out_read, self.output.stdout),
                                         (err_read, self.output.stderr))]
        for reader in self.readers:
            reader.start()
        self.channel = ours
        self.channel.setblocking(False)
        self.frames = wire.Frames()
        try:
            hello, _ = self.receive(time.monotonic() + START_BUDGET)
        except (ChildTimeout, ChildEnded, ChildBroken) as error:
            self.stop()
            raise RuntimeError("the grader's sandbox did not start "
                               f"({type(error).__name__}: {error}); its last words: "
                               f"{self.output.stderr.text()[-600:]}") from None
        if hello.get("kind") != "hello":
            self.stop()
            raise RuntimeError(f"the grader's sandbox said {hello.get('kind')!r} first")
        self.hello = hello

    def ended(self) -> str:
        """How the child ended, in words (why the grader stopped it, when it did)."""
        if self.watch is not None and self.watch.reason is not None:
            return self.watch.reason
        return describe_end(self.process.returncode)

    def send(self, message: bytes, deadline: float) -> None:
        """One message, within the deadline; ``ChildEnded`` when the child is gone."""
        data = memoryview(wire.frame(message))
        while data:
            left = deadline - time.monotonic()
            if left <= 0:
                raise ChildTimeout("it did not read its requests")
            _, ready, _ = select.select([], [self.channel], [], min(left, 0.25))
            if not ready:
                if self.process.poll() is not None:
                    raise ChildEnded(self.ended())
                continue
            try:
                sent = self.channel.send(data)
            except (BrokenPipeError, ConnectionResetError):
                raise ChildEnded(self._end()) from None
            except BlockingIOError:
                continue
            data = data[sent:]

    def receive(self, deadline: float, refs: list | None = None) -> tuple[dict, list]:
        """The next message (header, arrays read as data), within the deadline."""
        while True:
            try:
                message = self.frames.next()
                if message is not None:
                    header, arrays = wire.decode(message, refs=refs)
                    return frames.check(header), arrays
            except (wire.WireError, frames.Malformed) as error:
                raise ChildBroken(str(error)) from None
            left = deadline - time.monotonic()
            if left <= 0:
                raise ChildTimeout("no answer within the time limit")
            ready, _, _ = select.select([self.channel], [], [], min(left, 0.25))
            if not ready:
                if self.process.poll() is not None:
                    raise ChildEnded(self.ended())
                continue
            try:
                data = self.channel.recv(1 << 16)
            except BlockingIOError:
                continue
            except ConnectionResetError:
                data = b""
            if not data:
                raise ChildEnded(self._end())
            try:
                self.frames.feed(data)
            except wire.WireError as error:
                raise ChildBroken(str(error)) from None

    def _end(self) -> str:
        """How the child ended, once its channel closed (it may still be dying)."""
        try:
            self.process.wait(timeout=1.0)
        except subprocess.TimeoutExpired:
            return "it closed the grader's channel"
        return self.ended()

    def stop(self) -> None:
        """SIGKILL the child and everything it started (adopted orphans included); close
        its channel and pipes; remove its folders."""
        if self.watch is not None:
            self.watch.stop()  # before the child is reaped: its pid is not reused meanwhile
        if self.process is not None:
            processes.stop_tree(self.process.pid, adopted_from=self.before | LIVE)
            self.process.wait()
            LIVE.discard(self.process.pid)
        self.stop_reading.set()
        for reader in getattr(self, "readers", []):
            reader.join(timeout=2.0)
        if getattr(self, "channel", None) is not None:
            self.channel.close()
        remove_folder(self.base)
