"""No process outlives the grader: the grader is a child subreaper, and it stops what a
submission started by walking ``/proc``.

A process whose parent dies is normally adopted by ``init``, out of the grader's sight; a
*subreaper* (``PR_SET_CHILD_SUBREAPER``, Linux 3.4) adopts its orphaned descendants itself,
so a submission's ``setsid`` grandchild whose parent exited is still the grader's
descendant. ``stop_tree`` kills a process and everything below it, again and again until
nothing is left (a process may fork while it is being killed), and reaps what it adopted;
``stop_descendants`` does it for everything below the grader (at its end, and on SIGINT or
SIGTERM). Elsewhere than Linux these do what ``os.killpg`` can.
"""

import os
import signal
import sys
import time

_SUBREAPER = 36  # PR_SET_CHILD_SUBREAPER
_PDEATHSIG = 1  # PR_SET_PDEATHSIG


def _prctl(option: int, value: int) -> bool:
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(option, value, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def become_subreaper() -> bool:
    """Adopt orphaned descendants (True when the kernel agreed)."""
    return _prctl(_SUBREAPER, 1)


def die_with_parent() -> bool:
    """SIGKILL this process when its parent dies (a worker of ``--jobs``)."""
    return _prctl(_PDEATHSIG, int(signal.SIGKILL))


def _parents() -> dict[int, int]:
    """pid -> parent pid of every live process (zombies left out: they are only waited
    for)."""
    found = {}
    try:
        names = os.listdir("/proc")
    except OSError:
        return found
    for name in names:
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rfind(b")") + 2:].split()  # the name may hold spaces and ")"
        if len(fields) > 1 and fields[0] != b"Z":
            found[int(name)] = int(fields[1])
    return found


def below(root: int, parents: dict[int, int] | None = None) -> list[int]:
    """Every live descendant of ``root`` (not ``root`` itself)."""
    parents = _parents() if parents is None else parents
    children: dict[int, list[int]] = {}
    for pid, parent in parents.items():
        children.setdefault(parent, []).append(pid)
    found, todo = [], list(children.get(root, []))
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _reap(pids: set[int]) -> None:
    """Wait for those of ``pids`` that are the grader's own children and have ended."""
    for pid in list(pids):
        try:
            done, _ = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            pids.discard(pid)  # not ours (or already waited for)
            continue
        if done:
            pids.discard(pid)


def stop_tree(root: int, adopted_from: set[int] | None = None, seconds: float = 5.0) -> None:
    """SIGKILL ``root`` and every descendant, until none is left; then also the grader's own
    children that are not in ``adopted_from`` (the children it had before: what it has
    more came from here, adopted as a subreaper). ``root`` itself is not waited for (its
    ``Popen`` does that)."""
    me, deadline, reap, first = os.getpid(), time.monotonic() + seconds, set(), True
    while True:
        parents = _parents()  # the tree first: once root is dead, its children move
        targets = [root, *below(root, parents)] if root in parents else []
        if adopted_from is not None:
            for pid, parent in parents.items():
                if parent == me and pid != root and pid not in adopted_from:
                    targets += [pid, *below(pid, parents)]
                    reap.add(pid)
        for pid in targets:
            _kill(pid)
        if first:
            first = False
            try:
                os.killpg(root, signal.SIGKILL)  # the group it was started in, at once
            except (ProcessLookupError, PermissionError):
                pass
        _reap(reap)
        if not targets or time.monotonic() > deadline:
            break
        time.sleep(0.01)
    _reap(reap)


def stop_descendants(seconds: float = 5.0) -> int:
    """SIGKILL every descendant of the grader until none is left, and reap its children;
    the number stopped."""
    me, deadline, stopped = os.getpid(), time.monotonic() + seconds, set()
    while True:
        targets = below(me)
        for pid in targets:
            _kill(pid)
        stopped.update(targets)
        while True:  # reap every child that ended, whoever started it
            try:
                pid, _ = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                break
        if not targets or time.monotonic() > deadline:
            return len(stopped)
        time.sleep(0.01)


def children() -> set[int]:
    """The grader's own live children now."""
    me = os.getpid()
    return {pid for pid, parent in _parents().items() if parent == me}
