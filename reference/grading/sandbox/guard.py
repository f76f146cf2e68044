"""The guard of the process that runs a submission: an audit hook (``sys.addaudithook``, which
Python code cannot remove), turned on before the student's code runs (``main.py``).

It refuses imports of the project and of automatic differentiation (``DENIED``), ctypes and
its kind, starting processes, the network, opening the project's files or another process's
``/proc`` files, writing outside the child's folder, building code from raw bytes; and more
than a few threads at once (``bound_threads``: Python 3.11 raises no audit event for a new
thread). What it refuses is logged, so that the grader can say why an exercise failed.

The hook is not a sandbox on its own (NumPy alone gives Python code raw memory); the kernel
is the boundary (``landlock.py``, ``seccomp.py``). What it allows, it allows for a reason an
honest submission has: a library that marks a generator as a coroutine (``types.coroutine``:
asyncio, and tqdm, joblib... which import it) or relabels a function's code (hypothesis), a
socket pair (asyncio's event loop), file operations inside its own folder.

Standard library only: ``main.py`` loads this file by its path; the grader imports ``DENIED``.
"""

import builtins
import os
import sys

# module -> why the grader refuses it (a name refuses its submodules too)
DENIED = {
    **dict.fromkeys(("reference", "scratch", "comparisons"),
                    "the project's own code would answer the exercise"),
    **dict.fromkeys(("torch", "jax", "jaxlib", "autograd", "tensorflow", "keras", "functorch",
                     "flax", "mlx", "tinygrad", "micrograd", "chainer", "mxnet", "paddle",
                     "theano", "pytensor", "aesara", "sklearn.neural_network", "mlxtend"),
                    "automatic differentiation or a ready-made network would answer the "
                    "exercise; write it with NumPy"),
    **dict.fromkeys(("ctypes", "_ctypes", "cffi", "_cffi_backend", "numba", "llvmlite",
                     "_posixsubprocess", "_posixshmem", "_testcapi", "_testinternalcapi",
                     "_xxsubinterpreters", "sqlite3", "_sqlite3", "dbm", "_dbm", "_gdbm",
                     "readline", "_tkinter"),
                    "it reaches past Python into memory, files or processes"),
}
LOW_LEVEL = frozenset(name for name, why in DENIED.items() if why.startswith("it reaches"))
PROCESS_EVENTS = frozenset({"os.fork", "os.forkpty", "os.exec", "os.posix_spawn", "os.spawn",
                            "os.system", "os.startfile", "subprocess.Popen", "pty.spawn"})
# event -> the positions of its paths, and of its folder descriptors (-1: none given)
PATH_EVENTS = {"os.rename": ((0, 1), (2, 3)), "os.link": ((0, 1), (2, 3)),
               "os.symlink": ((0, 1), (2,)), "os.remove": ((0,), (1,)),
               "os.rmdir": ((0,), (1,)), "os.mkdir": ((0,), (2,)), "os.chmod": ((0,), (2,)),
               "os.chown": ((0,), (3,)), "os.utime": ((0,), (3,)), "os.truncate": ((0,), ()),
               "os.setxattr": ((0,), ()), "os.removexattr": ((0,), ()),
               "os.chflags": ((0,), ())}
REFUSED_EVENTS = {"resource.setrlimit": "it changes its limits",
                  "resource.prlimit": "it changes its limits",
                  "setopencodehook": "it hooks how code is read",
                  "gc.get_objects": "it searches the interpreter's memory",
                  "gc.get_referrers": "it searches the interpreter's memory",
                  "gc.get_referents": "it searches the interpreter's memory"}
RELABEL = frozenset({"co_filename", "co_firstlineno", "co_name", "co_qualname"})
AF_UNIX = 1


class RefusedImport(ImportError):
    """An import the grader does not allow (``DENIED``)."""

    __module__ = "__main__"  # a traceback says RefusedImport, not where the guard lives


class Refused(PermissionError):
    """Something else the grader does not allow its students' code to do."""

    __module__ = "__main__"


class Inert:
    """A finder (first on ``sys.meta_path``) that gives a library importing ``ctypes`` or
    ``_posixshmem`` an inert stand-in: joblib's loky imports both at its top, for Windows and
    for its process pool (which the grader refuses anyway). Every attribute of a stand-in
    raises ``RefusedImport`` (an ImportError, so that a library's fallback still works), logged
    as the refused import would have been. The guard lets a library's import of these through
    to this finder; the student's own is refused, and ``_ctypes`` (which the real ctypes
    needs) always is."""

    names = ("ctypes", "ctypes.wintypes", "_posixshmem")

    def __init__(self, log: list, allow: frozenset = frozenset()) -> None:
        self.log = log
        self.served = frozenset(n for n in self.names if n.split(".")[0] not in allow)

    def find_spec(self, name: str, path: object = None, target: object = None) -> object:
        import importlib.machinery

        if name not in self.served:  # an allowed import gets the real module
            return None
        return importlib.machinery.ModuleSpec(name, self, is_package=name == "ctypes")

    def create_module(self, spec: object) -> object:
        import types

        log, top = self.log, spec.name.split(".")[0]
        why = DENIED[top]

        def refused(*args: object, **kwargs: object) -> None:
            log.append((f"importing {top}", why))
            raise RefusedImport(f"the grader does not allow importing {top}: {why}")

        class Stand_in(types.ModuleType):
            def __getattr__(self, attribute: str) -> object:
                if attribute.startswith("__") or attribute == "wintypes":
                    raise AttributeError(attribute)  # the import system's own questions
                if top == "_posixshmem":  # functions only, which loky keeps for later
                    return refused
                return refused()

        return Stand_in(spec.name)

    def exec_module(self, module: object) -> None:
        if module.__name__ == "ctypes":
            module.__path__ = []  # a package: ctypes.wintypes is found here too


def install(config: dict, log: list) -> None:
    """Turn on the audit hook. It holds only what it captured now (C functions, the built-ins
    it uses, frozen tables), never a name looked up later, so that nothing the student's code
    patches (``builtins.isinstance``, this module's tables) changes what it allows; and it
    never calls the student's code (a path must already be a str)."""
    import importlib._bootstrap_external
    import opcode
    import posix
    import types

    lstat, readlink, getcwd, stat, getpid = posix.lstat, posix.readlink, posix.getcwd, \
        posix.stat, posix.getpid
    getframe, append = sys._getframe, log.append
    isinstance, len, any, bool, str, bytes, int, tuple, OSError, ValueError, type = (
        builtins.isinstance, builtins.len, builtins.any, builtins.bool, builtins.str,
        builtins.bytes, builtins.int, builtins.tuple, builtins.OSError, builtins.ValueError,
        builtins.type)
    code_type, function_type = types.CodeType, types.FunctionType
    process_events, path_events = PROCESS_EVENTS, dict(PATH_EVENTS)
    refused_events, reasons = tuple(REFUSED_EVENTS.items()), tuple(DENIED.items())
    unmarshal = importlib._bootstrap_external._compile_bytecode.__code__  # imports' .pyc
    coroutine = types.coroutine.__code__  # sets CO_ITERABLE_COROUTINE on a generator's code
    relabel = RELABEL
    stand_ins = frozenset(Inert.names)
    ops = dict(opcode.opmap)
    caches = tuple(getattr(opcode, "_inline_cache_entries", ()))
    readable_bytecode = sys.version_info[:2] == (3, 11) and len(caches) == 256
    if readable_bytecode:
        EXTENDED, CALL, PRECALL, KW_NAMES, LOAD_METHOD, LOAD_ATTR, LOAD_FAST = (
            ops["EXTENDED_ARG"], ops["CALL"], ops["PRECALL"], ops["KW_NAMES"],
            ops["LOAD_METHOD"], ops["LOAD_ATTR"], ops["LOAD_FAST"])
        pushes = {ops["LOAD_FAST"]: 1, ops["LOAD_DEREF"]: 1, ops["LOAD_CONST"]: 1,
                  ops["LOAD_ATTR"]: 0}  # the keywords' values: plain loads only
    traced = [False]  # a trace or profile function can rewrite a frame's locals
    pid = getpid()
    allow = frozenset(config["allow"])
    denied = tuple((name, why) for name, why in reasons if name not in allow)
    low_level = tuple((name, why) for name, why in reasons if name in LOW_LEVEL - allow)
    tmp = config["tmp"].rstrip("/") + "/"
    trusted = tuple(p.rstrip("/") + "/" for p in config["paths"])
    off_limits = tuple((p.rstrip("/") + "/", why) for p, why in config["denied_paths"])
    own_proc = (f"/proc/{pid}/", "/proc/cpuinfo/", "/proc/meminfo/")
    writes = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
    processes = config["processes"]
    link_mode, dir_mode = 0o120000, 0o040000

    def resolve(path: str) -> str:
        """The real path, every link followed (as the kernel would), from C calls only."""
        if not path.startswith("/"):
            path = getcwd() + "/" + path
        todo, out, hops = path.split("/")[::-1], [], 0
        while todo:
            part = todo.pop()
            if part in ("", "."):
                continue
            if part == "..":
                out = out[:-1]
                continue
            here = "/" + "/".join([*out, part])
            try:
                mode = lstat(here).st_mode & 0o170000
            except (OSError, ValueError):
                out.append(part)
                continue
            if mode == link_mode:
                hops += 1
                if hops > 40:
                    raise Refused("too many links")
                target = readlink(here)
                if target.startswith("/"):
                    out = []
                todo.extend(target.split("/")[::-1])
                continue
            out.append(part)
        return "/" + "/".join(out)

    def refuse(kind: type, what: str, why: str) -> None:
        append((what, why))
        raise kind(f"the grader does not allow {what}: {why}")

    def check_path(path: object, writing: bool, event: str) -> None:
        if isinstance(path, int):
            if event == "open":
                return  # a descriptor already open
            try:  # chmod, utime... through a descriptor: judged by the file it holds
                path = readlink(f"/proc/self/fd/{path}")
            except (OSError, ValueError):
                return  # no such descriptor: the call fails by itself
            if not path.startswith("/"):
                return  # a pipe, a socket: no file of anyone's
        if isinstance(path, bytes):
            path = path.decode("utf-8", "surrogateescape")
        if not isinstance(path, str):  # Python converts paths before the event
            refuse(Refused, "opening a path that is not a string", "it could change")
        real = resolve(path) + "/"
        for prefix, why in off_limits:
            if real.startswith(prefix):
                refuse(Refused, f"opening {path}", why)
        if real == "/proc/" or (real.startswith("/proc/") and not real.startswith(own_proc)):
            refuse(Refused, f"opening {path}", "another process's files are out of reach")
        if writing and not (real.startswith(tmp) or real == "/dev/null/"):
            refuse(Refused, f"writing {path}", "only its temporary folder can be written")
        if event == "open":
            try:
                is_dir = stat(real[:-1]).st_mode & 0o170000 == dir_mode
            except (OSError, ValueError):
                is_dir = False
            if is_dir:
                refuse(Refused, f"opening the folder {path}", "folder descriptors reach "
                       "around the other checks")
            if real.endswith((".pyc/", ".so/", ".pyd/")) and not real.startswith(trusted):
                refuse(Refused, f"loading {path}", "compiled code is loaded only from the "
                       "installed packages")

    def from_a_library() -> bool:
        """Whether the module importing now is a library's (its file under the installed
        packages or the standard library), not the student's code."""
        frame = getframe(3)
        while frame is not None and frame.f_code.co_filename.startswith("<frozen importlib"):
            frame = frame.f_back
        filename = frame.f_code.co_filename if frame is not None else ""
        return isinstance(filename, str) and filename.startswith("/") and \
            (resolve(filename) + "/").startswith(trusted)

    def check_import(name: str, filename: object) -> None:
        if name in stand_ins and name.split(".")[0] not in allow and from_a_library():
            return  # it gets an inert stand-in (``Inert``); _ctypes stays refused
        parts = name.split(".")
        for entry, why in denied:
            if name == entry or name.startswith(entry + "."):
                refuse(RefusedImport, f"importing {entry}", why)
        for entry, why in low_level:
            if parts[-1] == entry:
                refuse(RefusedImport, f"importing {entry}", why)
        if isinstance(filename, str):
            check_path(filename, False, "import")
            if not (resolve(filename) + "/").startswith(trusted):
                refuse(RefusedImport, f"loading {filename}", "compiled code is loaded only "
                       "from the installed packages")

    def instructions(code: object, last: int) -> list:
        """(offset, opcode, argument) of ``code`` up to offset ``last``, caches skipped."""
        raw, found, offset, extended = code.co_code, [], 0, 0
        while offset <= last and offset + 1 < len(raw):
            op, arg = raw[offset], raw[offset + 1] | extended
            if op == EXTENDED:
                extended, offset = arg << 8, offset + 2
                continue
            extended = 0
            found.append((offset, op, arg))
            offset += 2 + 2 * caches[op]
        return found

    def relabelling(frame: object, built: object) -> bool:
        """Whether the call that raised ``code.__new__`` in ``frame`` is
        ``f.__code__.replace(...)`` or ``co.replace(...)`` on a code object held in a local,
        with only the keywords of ``RELABEL``: the same code under another name or line (as
        hypothesis makes it). Read from the frame's own bytecode (CPython 3.11: LOAD_FAST,
        [LOAD_ATTR __code__], LOAD_METHOD replace, plain loads of the keywords' values,
        KW_NAMES, PRECALL, CALL); anything else, or a process that has traced (a trace
        function can rewrite a frame's locals), is False. ``built`` is the bytecode the new
        code gets: it must be the very bytes of the code held."""
        code = frame.f_code
        if traced[0] or not readable_bytecode or type(code) is not code_type:
            return False
        found = instructions(code, frame.f_lasti)
        if len(found) < 6 or found[-1][0] != frame.f_lasti or found[-1][1] != CALL or \
                found[-2][1] != PRECALL or found[-3][1] != KW_NAMES:
            return False
        count, consts, names = found[-1][2], code.co_consts, code.co_names
        keywords = consts[found[-3][2]] if found[-3][2] < len(consts) else None
        if type(keywords) is not tuple or len(keywords) != count or found[-2][2] != count \
                or any(k not in relabel for k in keywords):
            return False
        k, loaded = len(found) - 4, 0
        while k >= 0 and found[k][1] in pushes:
            loaded += pushes[found[k][1]]
            k -= 1
        if k < 1 or loaded != count or found[k][1] != LOAD_METHOD or \
                found[k][2] >= len(names) or names[found[k][2]] != "replace":
            return False
        k -= 1
        through_function = found[k][1] == LOAD_ATTR and found[k][2] < len(names) and \
            names[found[k][2]] == "__code__"
        k -= through_function
        if k < 0 or found[k][1] != LOAD_FAST or found[k][2] >= len(code.co_varnames):
            return False
        held = frame.f_locals.get(code.co_varnames[found[k][2]])
        if through_function:
            held = held.__code__ if type(held) is function_type else None
        return type(held) is code_type and held.co_code is built

    def hook(event: str, args: tuple) -> None:
        if event == "open":
            flags = args[2] if len(args) > 2 and isinstance(args[2], int) else 0
            mode = args[1] if len(args) > 1 and isinstance(args[1], str) else ""
            check_path(args[0], bool(flags & writes) or any(c in mode for c in "wax+"), event)
        elif event == "import":
            check_import(args[0], args[1] if len(args) > 1 else None)
        elif event in process_events:
            if not processes:
                refuse(Refused, "starting a process", "a submission runs in one process")
        elif event in ("os.kill", "os.killpg"):
            if args[0] not in (0, pid, -pid):
                refuse(Refused, "signalling another process", "only its own process")
        elif event in path_events:
            paths, folders = path_events[event]
            if any(k < len(args) and isinstance(args[k], int) and args[k] != -1
                   for k in folders):
                refuse(Refused, event, "paths relative to a folder descriptor")
            for k in paths:
                if k < len(args):
                    check_path(args[k], True, event)
        elif event == "socket.__new__":
            if not (len(args) > 1 and args[1] == AF_UNIX):  # a socket pair (asyncio's)
                refuse(Refused, "socket", "it reaches past Python into memory, files or the "
                       "network")
        elif event.startswith(("socket.", "ctypes.", "sqlite3.")):
            refuse(Refused, event.split(".")[0], "it reaches past Python into memory, files "
                   "or the network")
        elif event in ("marshal.loads", "marshal.load"):
            if getframe(1).f_code is not unmarshal:  # only the import system's own .pyc
                refuse(Refused, event, "it builds code from raw bytes")
        elif event == "code.__new__":
            caller = getframe(1)
            if not ((caller.f_code is coroutine and not traced[0]) or
                    relabelling(caller, args[0] if args else None)):
                refuse(Refused, event, "it builds code from raw bytes")
        elif event in ("sys.settrace", "sys.setprofile"):
            traced[0] = True  # from now on, no code object is rebuilt at all
        else:
            for name, why in refused_events:
                if event == name:
                    refuse(Refused, event, why)

    sys.addaudithook(hook)


def bound_threads(limit: int, log: list) -> None:
    """At most ``limit`` threads at once besides the main one: a new thread beyond them raises
    ``Refused`` (logged). Python code could undo this wrapper; the grader also counts the
    process's threads from outside and stops it past its own bound (``watch.py``)."""
    import _thread
    import threading

    start, count, append = _thread.start_new_thread, _thread._count, log.append

    def start_new_thread(function: object, args: tuple, kwargs: dict | None = None) -> int:
        if count() >= limit:
            append((f"more than {limit} threads at once", "a submission's threads are "
                    "bounded"))
            raise Refused(f"the grader does not allow more than {limit} threads at once: a "
                          "submission's threads are bounded")
        return start(function, args, {} if kwargs is None else kwargs)

    _thread.start_new_thread = _thread.start_new = start_new_thread
    threading._start_new_thread = start_new_thread
