"""Watching a child from outside, for what no per-process limit of the kernel bounds: the
disk its folder takes (RLIMIT_FSIZE bounds one file, not how many), the entries it makes
and how deep, and its threads (RLIMIT_NPROC counts all of a user's processes, and root
ignores it); and removing its folder when it ends, however deep.

``Watch`` is a thread of the grader's: a few times a second it reads the child's thread count
(``/proc/PID/status``) and, less often, walks its folder (files and folders, and the files it
holds open after deleting them: ``/proc/PID/fd``). Past a limit it records why (``reason``)
and kills the child; the grader then says so in the result of the exercise or the cell that
was running. Linux only (``/proc``); elsewhere it watches nothing.
"""

import os
import signal
import threading

THREADS_EVERY, FOLDER_EVERY = 0.1, 0.5  # seconds between two looks
DEPTH = 64  # folders inside folders a submission may make
_FOLDER = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


def _mib(size: int) -> str:
    return f"{size / 2**20:,.0f} MiB"


def folder_usage(folder: str, pid: int | None, entries: int, depth: int
                 ) -> tuple[int, int, bool]:
    """(bytes on disk, entries, whether it nests deeper than ``depth``) of ``folder`` and of
    the files ``pid`` holds open there or deleted. Read through folder descriptors (a path
    may be longer than the system allows); the walk stops past ``entries`` or ``depth``."""
    size, count, seen, stack = 0, 0, set(), []
    try:
        top = os.open(folder, _FOLDER)
        stack.append((top, os.scandir(top)))
        while stack and count <= entries:
            fd, found = stack[-1]
            entry = next(found, None)
            if entry is None:
                found.close()
                os.close(stack.pop()[0])
                continue
            count += 1
            try:
                info = entry.stat(follow_symlinks=False)
                if (info.st_dev, info.st_ino) not in seen:
                    seen.add((info.st_dev, info.st_ino))
                    size += info.st_blocks * 512
                if entry.is_dir(follow_symlinks=False):
                    if len(stack) >= depth:
                        return size, count, True
                    inner = os.open(entry.name, _FOLDER, dir_fd=fd)
                    stack.append((inner, os.scandir(inner)))
            except OSError:
                continue
    except OSError:
        pass
    finally:
        for fd, found in stack:
            found.close()
            os.close(fd)
    for fd in _descriptors(pid):
        try:
            target = os.readlink(fd)
            info = os.stat(fd)
        except OSError:
            continue
        if (target.startswith(folder) or target.endswith(" (deleted)")) and \
                (info.st_dev, info.st_ino) not in seen and info.st_mode & 0o170000 == 0o100000:
            seen.add((info.st_dev, info.st_ino))
            size += info.st_blocks * 512
    return size, count, False


def remove_folder(path: str) -> None:
    """Remove ``path`` and everything in it, however deep and whatever its modes, one folder
    descriptor at a time (``shutil.rmtree`` recurses once per level, and a path may be
    longer than the system allows). What cannot be removed is left."""
    try:
        fd = os.open(path, _FOLDER)
    except OSError:
        return
    names: list[str] = []
    try:
        while True:
            inner = None
            os.chmod(fd, 0o700)  # a folder the code made unreadable or read-only
            with os.scandir(fd) as found:
                for entry in found:
                    if entry.is_dir(follow_symlinks=False):
                        inner = entry.name
                        break
                    os.unlink(entry.name, dir_fd=fd)
            if inner is not None:
                os.chmod(inner, 0o700, dir_fd=fd, follow_symlinks=False)
                fd, old = os.open(inner, _FOLDER, dir_fd=fd), fd
                os.close(old)
                names.append(inner)
                continue
            if not names:
                break
            fd, old = os.open("..", _FOLDER, dir_fd=fd), fd
            os.close(old)
            os.rmdir(names.pop(), dir_fd=fd)
    except (OSError, NotImplementedError):
        pass  # something the grader cannot remove: left, rather than a loop
    finally:
        os.close(fd)
    try:
        os.rmdir(path)
    except OSError:
        pass


def _descriptors(pid: int | None) -> list[str]:
    if pid is None:
        return []
    try:
        return [f"/proc/{pid}/fd/{name}" for name in os.listdir(f"/proc/{pid}/fd")]
    except OSError:
        return []


def threads(pid: int) -> int:
    """The threads of process ``pid`` (0 when it is gone or ``/proc`` is not there)."""
    try:
        with open(f"/proc/{pid}/status", "rb") as f:
            for line in f:
                if line.startswith(b"Threads:"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


class Watch(threading.Thread):
    """Kills process ``pid`` (its group) when its folder holds more than ``folder_bytes`` or
    ``folder_entries``, or when it runs more than ``max_threads`` threads; ``reason`` says
    which, in words that complete "its process ended (...)"."""

    def __init__(self, pid: int, folder: str, folder_bytes: int, folder_entries: int,
                 max_threads: int) -> None:
        super().__init__(daemon=True, name=f"watch-{pid}")
        self.pid, self.folder = pid, folder
        self.folder_bytes, self.folder_entries, self.max_threads = \
            folder_bytes, folder_entries, max_threads
        self.reason: str | None = None
        self.done = threading.Event()

    def stop(self) -> None:
        self.done.set()
        if self.is_alive() and threading.current_thread() is not self:
            self.join(timeout=2.0)

    def look(self, walk: bool) -> str | None:
        """Why the child must stop now, or None."""
        running = threads(self.pid)
        if running > self.max_threads:
            return f"the grader stopped it: it ran {running} threads at once, more than the " \
                   f"{self.max_threads} it allows"
        if not walk:
            return None
        size, count, deep = folder_usage(self.folder, self.pid, self.folder_entries, DEPTH)
        if deep:
            return f"the grader stopped it: it made folders more than {DEPTH} deep, its limit"
        if size > self.folder_bytes:
            return f"the grader stopped it: it wrote more than {_mib(self.folder_bytes)} into " \
                   "its folder, the limit on what a submission writes"
        if count > self.folder_entries:
            return f"the grader stopped it: it made more than {self.folder_entries:,} files " \
                   "and folders, its limit"
        return None

    def now(self, walk: bool = True) -> str | None:
        """Look at once, from the grader's own thread, at a moment it chooses (the load's end,
        an answer's arrival), so that what the code left behind (threads it started, files
        it wrote) is blamed on what it ran before that moment, not on what runs next. Past
        a limit: the child is killed and the reason returned."""
        reason = self.reason or self.look(walk)
        if reason is not None:
            self._kill(reason)
        return reason

    def _kill(self, reason: str) -> None:
        self.reason = reason
        try:
            os.killpg(self.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass

    def run(self) -> None:
        ticks, every = 0, max(1, round(FOLDER_EVERY / THREADS_EVERY))
        while not self.done.wait(THREADS_EVERY):
            reason = self.look(ticks % every == 0)
            ticks += 1
            if reason is not None:
                self._kill(reason)
                return
