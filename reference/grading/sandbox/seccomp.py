"""Linux's seccomp, through ctypes: a filter the kernel applies to every system call of the
process and of all it becomes or starts, which nothing inside can lift.

The child that runs a submission installs it once, beside Landlock (``sandbox/main.py``, its
first stage), so that even code that broke its audit guard from inside cannot reach another
process or the network: no socket but a Unix one (Landlock leaves UDP open), no signal but
to itself (Landlock scopes signals only from ABI 6), no ``pidfd_*``, ``ptrace`` or
``process_vm_*`` (reading or signalling the grader), no ``io_uring`` (system calls the
filter would not see), no namespaces, mounts, BPF or keyrings. x86-64 and AArch64 only:
elsewhere ``restrict`` returns False and the other limits hold alone. Standard library only.
"""

import ctypes
import os
import struct
import sys

_ARCH = {"x86_64": 0xC000003E, "aarch64": 0xC00000B7}  # AUDIT_ARCH_*
# name -> (x86-64, AArch64) system call numbers
_REFUSED = {"ptrace": (101, 117), "process_vm_readv": (310, 270),
            "process_vm_writev": (311, 271), "pidfd_open": (434, 434),
            "pidfd_send_signal": (424, 424), "pidfd_getfd": (438, 438),
            "io_uring_setup": (425, 425), "io_uring_enter": (426, 426),
            "io_uring_register": (427, 427), "bpf": (321, 280), "perf_event_open": (298, 241),
            "userfaultfd": (323, 282), "unshare": (272, 97), "setns": (308, 268),
            "mount": (165, 40), "add_key": (248, 217), "request_key": (249, 218),
            "keyctl": (250, 219)}
_SOCKET, _SIGNALS = {"x86_64": 41, "aarch64": 198}, {"x86_64": (62, 200, 234),
                                                      "aarch64": (129, 130, 131)}
_AF_UNIX = 1
_LD_W_ABS, _JEQ_K, _JGE_K, _RET_K = 0x20, 0x15, 0x35, 0x06
_ALLOW, _EPERM = 0x7FFF0000, 0x00050000 | 1
_NR, _ARCH_AT, _ARG0 = 0, 4, 16  # offsets in struct seccomp_data


def _filter(machine: str, pid: int) -> bytes:
    """The BPF program: refuse the listed calls, sockets but Unix ones, and signals to any
    process but ``pid`` (and its group); allow the rest."""
    arch, index = _ARCH[machine], 0 if machine == "x86_64" else 1
    program = []

    def op(code: int, k: int, jt: int = 0, jf: int = 0) -> None:
        program.append(struct.pack("<HBBI", code, jt, jf, k & 0xFFFFFFFF))

    op(_LD_W_ABS, _ARCH_AT)
    op(_JEQ_K, arch, 1, 0)
    op(_RET_K, _ALLOW)  # another architecture's calls: not ours to judge
    op(_LD_W_ABS, _NR)
    if machine == "x86_64":
        op(_JGE_K, 0x40000000, 0, 1)  # x32 calls: the same calls under other numbers
        op(_RET_K, _EPERM)
    for numbers in _REFUSED.values():
        op(_JEQ_K, numbers[index], 0, 1)
        op(_RET_K, _EPERM)
    op(_JEQ_K, _SOCKET[machine], 0, 4)
    op(_LD_W_ABS, _ARG0)  # the domain
    op(_JEQ_K, _AF_UNIX, 0, 1)
    op(_RET_K, _ALLOW)
    op(_RET_K, _EPERM)
    for number in _SIGNALS[machine]:  # kill, tkill, tgkill: the first argument is the pid
        op(_JEQ_K, number, 0, 6)
        op(_LD_W_ABS, _ARG0)
        op(_JEQ_K, 0, 3, 0)
        op(_JEQ_K, pid, 2, 0)
        op(_JEQ_K, -pid, 1, 0)
        op(_RET_K, _EPERM)
        op(_RET_K, _ALLOW)
    op(_RET_K, _ALLOW)
    return b"".join(program)


def restrict() -> bool:
    """Install the filter on this process (and all it starts); False where it cannot be."""
    machine = os.uname().machine
    if not sys.platform.startswith("linux") or machine not in _ARCH:
        return False
    code = _filter(machine, os.getpid())
    instructions = (ctypes.c_char * len(code)).from_buffer_copy(code)
    program = struct.pack("<HxxxxxxQ", len(code) // 8, ctypes.addressof(instructions))
    fprog = (ctypes.c_char * len(program)).from_buffer_copy(program)
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(38, 1, 0, 0, 0) != 0:  # PR_SET_NO_NEW_PRIVS
        return False
    return libc.prctl(22, 2, fprog, 0, 0) == 0  # SECCOMP_MODE_FILTER, a pointer to it
