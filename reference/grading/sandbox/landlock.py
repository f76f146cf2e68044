"""Linux's Landlock (kernel 5.13 and later), through ctypes: a process gives up, for good and
for every process it becomes or starts, access to every file outside the folders it names,
and (ABI 6) the right to signal processes outside its own sandbox.

The child that runs a submission calls ``restrict`` once, before it runs NumPy or anything of
the student's (``sandbox/main.py``, its first stage): from then on the kernel, not Python, refuses
it the project's source, other students' submissions and the grader's files, writes outside
its own temporary folder, TCP (ABI 4), and signals to the grader (ABI 6). Where Landlock is
missing (another OS, an old kernel, a kernel built without it) ``restrict`` returns 0 and the
child relies on its audit hook alone. Standard library only.
"""

import ctypes
import os
import struct
import sys

_CREATE_RULESET, _ADD_RULE, _RESTRICT_SELF = 444, 445, 446  # the same on every architecture
_VERSION = 1  # LANDLOCK_CREATE_RULESET_VERSION
_PATH_BENEATH = 1  # LANDLOCK_RULE_PATH_BENEATH
_NO_NEW_PRIVS = 38  # PR_SET_NO_NEW_PRIVS

EXECUTE, WRITE_FILE, READ_FILE, READ_DIR = 1 << 0, 1 << 1, 1 << 2, 1 << 3
_MAKE_AND_REMOVE = sum(1 << k for k in range(4, 13))  # remove dir/file, make char ... symlink
REFER, TRUNCATE, IOCTL_DEV = 1 << 13, 1 << 14, 1 << 15  # ABI 2, 3, 5
_FILE_ONLY = EXECUTE | WRITE_FILE | READ_FILE | TRUNCATE | IOCTL_DEV  # what a file rule holds
_BIND_TCP, _CONNECT_TCP = 1 << 0, 1 << 1  # ABI 4
_SCOPE_ABSTRACT_UNIX, _SCOPE_SIGNAL = 1 << 0, 1 << 1  # ABI 6

READ = READ_FILE | READ_DIR | EXECUTE
ALL = EXECUTE | WRITE_FILE | READ_FILE | READ_DIR | _MAKE_AND_REMOVE | REFER | TRUNCATE


def _handled_fs(abi: int) -> int:
    rights = EXECUTE | WRITE_FILE | READ_FILE | READ_DIR | _MAKE_AND_REMOVE
    return rights | (REFER if abi >= 2 else 0) | (TRUNCATE if abi >= 3 else 0) | \
        (IOCTL_DEV if abi >= 5 else 0)


def _buffer(data: bytes) -> ctypes.Array:
    return (ctypes.c_char * len(data)).from_buffer_copy(data)


def restrict(rules: list[tuple[str, int]]) -> int:
    """Allow only ``rules`` ((path, rights): READ, ALL, or a mix of the bits above) from now
    on; return the Landlock ABI applied, 0 when Landlock is not available here (nothing is
    restricted then). Paths that do not exist are left out. Call it before any thread
    starts: Landlock restricts the calling thread and what it starts."""
    if not sys.platform.startswith("linux"):
        return 0  # the syscall numbers below are Linux's
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        syscall = libc.syscall
    except (OSError, AttributeError):
        return 0
    syscall.restype = ctypes.c_long
    abi = syscall(_CREATE_RULESET, None, ctypes.c_size_t(0), ctypes.c_uint32(_VERSION))
    if abi < 1:
        return 0
    handled = _handled_fs(abi)
    net = _BIND_TCP | _CONNECT_TCP if abi >= 4 else 0
    scoped = _SCOPE_ABSTRACT_UNIX | _SCOPE_SIGNAL if abi >= 6 else 0
    attr = _buffer(struct.pack("<QQQ", handled, net, scoped))
    ruleset = syscall(_CREATE_RULESET, attr, ctypes.c_size_t(ctypes.sizeof(attr)),
                      ctypes.c_uint32(0))
    if ruleset < 0:
        raise OSError(ctypes.get_errno(), "landlock_create_ruleset failed")
    try:
        for path, rights in rules:
            try:
                fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
            except OSError:
                continue
            try:
                allowed = rights & handled
                if not os.path.isdir(path):
                    allowed &= _FILE_ONLY
                rule = _buffer(struct.pack("<Qi", allowed, fd))
                if syscall(_ADD_RULE, ctypes.c_int(ruleset), ctypes.c_int(_PATH_BENEATH),
                           rule, ctypes.c_uint32(0)) < 0:
                    raise OSError(ctypes.get_errno(), f"landlock_add_rule failed on {path}")
            finally:
                os.close(fd)
        if libc.prctl(_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS) failed")
        if syscall(_RESTRICT_SELF, ctypes.c_int(ruleset), ctypes.c_uint32(0)) < 0:
            raise OSError(ctypes.get_errno(), "landlock_restrict_self failed")
    finally:
        os.close(ruleset)
    return int(abi)
