"""Linux's seccomp, through ctypes: a filter the kernel applies to every system call of the
process and of all it becomes or starts, which nothing inside can lift.

The child that runs a submission installs it once, beside Landlock (``sandbox/main.py``, its
first stage), so that even code that broke its audit guard from inside, or a C extension that
never meets it (pyzmq makes its sockets in C), cannot reach another process or the network:

- no new socket at all (``socket``, ``connect``, ``bind``, ``listen``, ``accept``): the channel
  to the grader is one end of a socket pair the grader made before, passed as a descriptor;
  the only new sockets allowed are a connected pair of Unix stream sockets
  (``socketpair(AF_UNIX, SOCK_STREAM)``, asyncio's event loop), which reach nothing outside
  the process;
- no new process, unless the grader's own tests allow them (``processes``): ``fork``,
  ``vfork`` and a ``clone`` without ``CLONE_THREAD`` are refused (threads are allowed;
  ``clone3``, whose flags a filter cannot read, answers ENOSYS so that the C library falls
  back to ``clone``);
- no signal but to itself (Landlock scopes signals only from ABI 6), no ``pidfd_*``,
  ``ptrace`` or ``process_vm_*`` (reading or signalling the grader), no ``io_uring`` (system
  calls the filter would not see), no namespaces, mounts, BPF or keyrings;
- no system call of another ABI (i386's ``int 0x80`` on x86-64, x32), which would bypass it.

x86-64 and AArch64 only: elsewhere ``restrict`` returns False and the other limits hold
alone. Standard library only.
"""

import ctypes
import os
import struct
import sys

_ARCH = {"x86_64": 0xC000003E, "aarch64": 0xC00000B7}  # AUDIT_ARCH_*
# name -> (x86-64, AArch64) system call numbers; None: the architecture has no such call
_REFUSED = {"ptrace": (101, 117), "process_vm_readv": (310, 270),
            "process_vm_writev": (311, 271), "pidfd_open": (434, 434),
            "pidfd_send_signal": (424, 424), "pidfd_getfd": (438, 438),
            "io_uring_setup": (425, 425), "io_uring_enter": (426, 426),
            "io_uring_register": (427, 427), "bpf": (321, 280), "perf_event_open": (298, 241),
            "userfaultfd": (323, 282), "unshare": (272, 97), "setns": (308, 268),
            "mount": (165, 40), "add_key": (248, 217), "request_key": (249, 218),
            "keyctl": (250, 219), "socket": (41, 198), "connect": (42, 203),
            "bind": (49, 200), "listen": (50, 201), "accept": (43, 202),
            "accept4": (288, 242)}
_PROCESSES = {"fork": (57, None), "vfork": (58, None)}
_SOCKETPAIR, _CLONE, _CLONE3 = (53, 199), (56, 220), (435, 435)
_SIGNALS = {"x86_64": (62, 200, 234), "aarch64": (129, 130, 131)}  # kill, tkill, tgkill
_AF_UNIX, _SOCK_STREAM, _SOCK_TYPE = 1, 1, 0xF  # the type's low bits (no NONBLOCK, CLOEXEC)
_CLONE_THREAD = 0x10000
_LD_W_ABS, _AND_K, _JEQ_K, _JGE_K, _JSET_K, _RET_K = 0x20, 0x54, 0x15, 0x35, 0x45, 0x06
_ALLOW, _EPERM, _ENOSYS = 0x7FFF0000, 0x00050000 | 1, 0x00050000 | 38
_NR, _ARCH_AT, _ARG0, _ARG1 = 0, 4, 16, 24  # offsets in struct seccomp_data (low words)


def _filter(machine: str, pid: int, processes: bool) -> bytes:
    """The BPF program: refuse the listed calls, sockets but a Unix stream pair, new processes
    (unless ``processes``), signals to any process but ``pid`` (and its group), other ABIs;
    allow the rest."""
    arch, index = _ARCH[machine], 0 if machine == "x86_64" else 1
    program = []

    def op(code: int, k: int, jt: int = 0, jf: int = 0) -> None:
        program.append(struct.pack("<HBBI", code, jt, jf, k & 0xFFFFFFFF))

    def refuse(number: int | None, answer: int = _EPERM) -> None:
        if number is not None:
            op(_JEQ_K, number, 0, 1)
            op(_RET_K, answer)

    op(_LD_W_ABS, _ARCH_AT)
    op(_JEQ_K, arch, 1, 0)
    op(_RET_K, _EPERM)  # another ABI's calls (i386's int 0x80): they would bypass the rest
    op(_LD_W_ABS, _NR)
    if machine == "x86_64":
        op(_JGE_K, 0x40000000, 0, 1)  # x32 calls: the same calls under other numbers
        op(_RET_K, _EPERM)
    for numbers in _REFUSED.values():
        refuse(numbers[index])
    op(_JEQ_K, _SOCKETPAIR[index], 0, 7)  # a pair of connected Unix stream sockets only
    op(_LD_W_ABS, _ARG0)
    op(_JEQ_K, _AF_UNIX, 0, 4)
    op(_LD_W_ABS, _ARG1)
    op(_AND_K, _SOCK_TYPE)
    op(_JEQ_K, _SOCK_STREAM, 0, 1)
    op(_RET_K, _ALLOW)
    op(_RET_K, _EPERM)
    if not processes:
        for numbers in _PROCESSES.values():
            refuse(numbers[index])
        refuse(_CLONE3[index], _ENOSYS)  # its flags are out of the filter's sight
        op(_JEQ_K, _CLONE[index], 0, 4)  # a thread (CLONE_THREAD), never a process
        op(_LD_W_ABS, _ARG0)
        op(_JSET_K, _CLONE_THREAD, 0, 1)
        op(_RET_K, _ALLOW)
        op(_RET_K, _EPERM)
    for number in _SIGNALS[machine]:  # the first argument is the pid
        op(_JEQ_K, number, 0, 6)
        op(_LD_W_ABS, _ARG0)
        op(_JEQ_K, 0, 3, 0)
        op(_JEQ_K, pid, 2, 0)
        op(_JEQ_K, -pid, 1, 0)
        op(_RET_K, _EPERM)
        op(_RET_K, _ALLOW)
    op(_RET_K, _ALLOW)
    return b"".join(program)


def restrict(processes: bool = False) -> bool:
    """Install the filter on this process (and all it starts); False where it cannot be.
    ``processes``: allow new processes (the grader's own tests of its process cleanup)."""
    machine = os.uname().machine
    if not sys.platform.startswith("linux") or machine not in _ARCH:
        return False
    code = _filter(machine, os.getpid(), processes)
    instructions = (ctypes.c_char * len(code)).from_buffer_copy(code)
    program = struct.pack("<HxxxxxxQ", len(code) // 8, ctypes.addressof(instructions))
    fprog = (ctypes.c_char * len(program)).from_buffer_copy(program)
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(38, 1, 0, 0, 0) != 0:  # PR_SET_NO_NEW_PRIVS
        return False
    return libc.prctl(22, 2, fprog, 0, 0) == 0  # SECCOMP_MODE_FILTER, a pointer to it
