"""The program that runs a submission's code, in a process that holds nothing of the grader's:
no solutions, no references, no judging (``child.py`` is the grader's side of it).

``python -I -S -u sandbox/main.py limit CONFIG`` (isolated: no site, no environment, not even the
project on its path). Two stages:

1. ``limit``: resource limits (memory, file size, no core), death with the grader
   (``PR_SET_PDEATHSIG``), Landlock (``landlock.py``: only the standard library, the
   installed packages but the refused ones, a few system files and its own temporary
   folder; no TCP, no signals to the grader) and seccomp (``seccomp.py``: no network, no
   other process). Then it executes itself again, so that what it loaded for this (ctypes)
   is gone.
2. ``run``: NumPy imported without ctypes; ``wire.py`` loaded by its path; the guard turned
   on (``sys.addaudithook``, which Python code cannot remove): the project's packages and
   automatic differentiation (``DENIED``) cannot be imported, nor ctypes and its kind; no
   process can be started, no network opened, no file of the project or under ``/proc`` of
   another process opened, nothing written outside the temporary folder. Then it serves the
   grader's requests on its channel: ``load`` (run the cells, statement by statement,
   saying where each cell stopped and why) and ``call`` (an exercise's function on one
   case, its answer sent back as data).

Standard library and NumPy only.
"""

import ast
import builtins
import json
import linecache
import os
import socket
import sys
import traceback
import types

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
PATH_EVENTS = frozenset({"os.rename", "os.remove", "os.rmdir", "os.mkdir", "os.chmod",
                         "os.chown", "os.truncate", "os.utime", "os.setxattr",
                         "os.removexattr", "os.chflags", "os.link", "os.symlink"})
REFUSED_EVENTS = {"code.__new__": "it builds code from raw bytes",
                  "resource.setrlimit": "it changes its limits",
                  "resource.prlimit": "it changes its limits",
                  "setopencodehook": "it hooks how code is read",
                  "gc.get_objects": "it searches the interpreter's memory",
                  "gc.get_referrers": "it searches the interpreter's memory",
                  "gc.get_referents": "it searches the interpreter's memory"}
SKIPPED_MAGICS = "the grader runs no shell commands and skips magics"
RUN_BODY_MAGICS = frozenset({"time", "timeit", "capture", "prun"})  # %%time: the body runs


# --- stage 1: the limits the operating system keeps ------------------------------------------

def _sibling(name: str) -> types.ModuleType:
    """``name``.py from this file's folder, loaded by its path (the grader's packages are
    not importable here)."""
    import importlib.util

    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), name + ".py")
    spec = importlib.util.spec_from_file_location("_grading_" + name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _readable(path: str, denied: tuple, depth: int = 0) -> list[tuple[str, str]]:
    """(path, "all" or "list") for Landlock, the denied paths left out: a folder that holds
    one (the installed packages, holding torch) may be listed, and its other entries read,
    one rule each."""
    path = os.path.realpath(path)  # a link (a venv's lib64) is judged by where it leads
    if path in denied:
        return []
    if depth > 8 or not any(d.startswith(path.rstrip("/") + "/") for d in denied):
        return [(path, "all")]
    try:
        entries = sorted(os.listdir(path))
    except OSError:
        return []
    return [(path, "list")] + [kept for entry in entries for kept in
                               _readable(os.path.join(path, entry), denied, depth + 1)]


def _rules(config: dict, landlock: types.ModuleType) -> list:
    """Landlock's rules: what the code may read (and run), and the one folder it may write.
    The kernel keeps them even if the guard is broken from inside (NumPy alone can reach raw
    memory): the project, the answer keys of ``DENIED`` (torch...) and the other
    submissions stay unreadable."""
    here = os.path.dirname(os.path.abspath(__file__))
    low_level = DENIED["ctypes"]  # not answers: the stdlib's ctypes may stay readable
    denied = tuple(os.path.realpath(p) for p, why in config["denied_paths"] if why != low_level)
    roots = [*config["paths"], *config["prefixes"], sys.prefix, sys.base_prefix,
             sys.exec_prefix, os.path.realpath(sys.executable), "/lib", "/lib64", "/usr/lib",
             "/usr/lib64", "/usr/local/lib", "/usr/share/zoneinfo", "/etc/ld.so.cache",
             "/etc/localtime", "/etc/nsswitch.conf", "/etc/passwd", "/etc/group",
             "/proc/cpuinfo", "/proc/meminfo", f"/proc/{os.getpid()}",
             "/sys/devices/system/cpu", "/dev/urandom", "/dev/random", "/dev/zero",
             os.path.join(here, "main.py"), os.path.join(here, "wire.py")]
    rights = {"all": landlock.READ, "list": landlock.READ_DIR}
    rules = list(dict.fromkeys((path, rights[how]) for root in roots
                               for path, how in _readable(root, denied)))
    rules += [(config["tmp"], landlock.ALL), ("/dev/null", landlock.READ | landlock.WRITE_FILE)]
    return rules


def limit(argument: str) -> None:
    """Stage 1: resource limits, death with the parent, Landlock; then stage 2."""
    import ctypes
    import resource
    import signal

    config = json.loads(argument)
    for kind, value in ((resource.RLIMIT_AS, config["memory"]),
                        (resource.RLIMIT_FSIZE, config["file_size"]), (resource.RLIMIT_CORE, 0)):
        try:
            resource.setrlimit(kind, (value, value))
        except (ValueError, OSError):  # a limit this system does not take (macOS's AS)
            pass
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, int(signal.SIGKILL), 0, 0, 0)  # PR_SET_PDEATHSIG: die with the grader
    if os.getppid() != config["parent"]:
        os._exit(70)  # the grader is already gone
    landlock, seccomp = _sibling("landlock"), _sibling("seccomp")  # read before Landlock
    abi = landlock.restrict(_rules(config, landlock)) if config["landlock"] else 0
    filtered = seccomp.restrict() if config["seccomp"] else False
    os.execv(sys.executable, [sys.executable, "-I", "-S", "-u", os.path.abspath(__file__),
                              "run", argument, str(abi), str(int(filtered))])


# --- stage 2: the guard ----------------------------------------------------------------------

class RefusedImport(ImportError):
    """An import the grader does not allow (``DENIED``)."""


class Refused(PermissionError):
    """Something else the grader does not allow its students' code to do."""


def _install_guard(config: dict, log: list) -> None:
    """Turn on the audit hook. It holds only what it captured now (C functions, the
    built-ins it uses, frozen tables), never a name looked up later, so that nothing the
    student's code patches (``builtins.isinstance``, this module's tables) changes what it
    allows; and it never calls the student's code (a path must already be a str)."""
    import importlib._bootstrap_external
    import posix

    lstat, readlink, getcwd, stat, getpid = posix.lstat, posix.readlink, posix.getcwd, \
        posix.stat, posix.getpid
    getframe, append = sys._getframe, log.append
    isinstance, len, any, bool, str, bytes, int, OSError, ValueError = (
        builtins.isinstance, builtins.len, builtins.any, builtins.bool, builtins.str,
        builtins.bytes, builtins.int, builtins.OSError, builtins.ValueError)
    Refused, RefusedImport = globals()["Refused"], globals()["RefusedImport"]
    process_events, path_events = PROCESS_EVENTS, PATH_EVENTS
    refused_events, reasons = tuple(REFUSED_EVENTS.items()), tuple(DENIED.items())
    unmarshal = importlib._bootstrap_external._compile_bytecode.__code__  # imports' .pyc
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
            return  # a descriptor already open
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

    def check_import(name: str, filename: object) -> None:
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
            if any(isinstance(a, int) for a in args[2:]):
                refuse(Refused, event, "paths relative to a folder descriptor")
            for path in args[:2] if event in ("os.rename", "os.link", "os.symlink") \
                    else args[:1]:
                check_path(path, True, event)
        elif event.startswith(("socket.", "ctypes.", "sqlite3.")):
            refuse(Refused, event.split(".")[0], "it reaches past Python into memory, files "
                   "or the network")
        elif event in ("marshal.loads", "marshal.load"):
            if getframe(1).f_code is not unmarshal:  # only the import system's own .pyc
                refuse(Refused, event, "it builds code from raw bytes")
        else:
            for name, why in refused_events:
                if event == name:
                    refuse(Refused, event, why)

    sys.addaudithook(hook)


# --- stage 2: what a notebook's magics call --------------------------------------------------

class Shell:
    """``get_ipython()`` in the grader: IPython turned ``%...`` and ``!...`` into calls to
    these (``submission.py``); line magics are skipped, ``%%time``-like cell magics run
    their body, shell commands are not run."""

    def __init__(self, namespace: dict) -> None:
        self.user_ns = namespace

    def _skip(self, what: str) -> None:
        print(f"({SKIPPED_MAGICS}: {what})", file=sys.stderr)

    def run_line_magic(self, name: str, line: str, _stack_depth: int = 1) -> None:
        if name in ("time", "timeit"):
            exec(compile(line, sys._getframe(1).f_code.co_filename, "exec"), self.user_ns)
        elif name not in ("matplotlib", "load_ext", "autoreload", "config", "pinfo", "pinfo2"):
            self._skip(f"%{name} {line}"[:80])

    def run_cell_magic(self, name: str, line: str, cell: str) -> None:
        if name not in RUN_BODY_MAGICS:
            self._skip(f"%%{name}")
            return
        filename = sys._getframe(1).f_code.co_filename
        tree = ast.parse(cell, filename)
        ast.increment_lineno(tree, 1)  # the body starts on the line after %%name
        exec(compile(tree, filename, "exec"), self.user_ns)

    def system(self, command: str) -> None:
        self._skip(f"!{command}"[:80])

    def getoutput(self, command: str) -> list:
        self._skip(f"!{command}"[:80])
        return []

    def magic(self, line: str) -> None:
        self._skip(f"%{line}"[:80])


def _display(*values: object, **options: object) -> None:
    for value in values:
        print(repr(value))


def _stub_grade(name: str, fn: object, seed: object = None) -> str:
    """The notebook's own ``grade`` cells, here: the grader grades after the cells ran."""
    return f"{name}: graded by python -m reference.grade"


# --- stage 2: serving the grader ---------------------------------------------------------------

def _text(value: object, limit: int = 300) -> str:
    try:
        return str(value)[:limit]
    except BaseException:  # noqa: BLE001 - its __str__ is the student's code
        return "(a message that cannot be printed)"


def _exit_code(error: SystemExit) -> str:
    return _text(error.code if not isinstance(error.code, str) else repr(error.code), 60)


class Server:
    """The request loop: ``load`` a submission's cells, ``call`` a function on a case."""

    def __init__(self, channel: socket.socket, wire: types.ModuleType, log: list) -> None:
        self.channel, self.wire, self.log = channel, wire, log
        self.frames = wire.Frames()
        self.namespace: dict = {}
        self.filenames: set[str] = set()
        self.refused_names: dict[str, tuple] = {}  # a name an import refused -> (what, why)
        self.states: dict[int, dict] = {}
        self.exercise = None

    def send(self, header: dict, value: object = None, refs: list | None = None) -> None:
        try:
            message, _ = self.wire.encode(header, value, refs=refs)
            data = self.wire.frame(message)
        except self.wire.WireError as error:
            message, _ = self.wire.encode({**header, "kind": "unreadable",
                                           "message": _text(error)})
            data = self.wire.frame(message)
        self.channel.sendall(data)

    def receive(self) -> tuple[dict, list]:
        while True:
            message = self.frames.next()
            if message is not None:
                return self.wire.decode(message, held=self.states)
            data = self.channel.recv(1 << 16)
            if not data:
                os._exit(0)  # the grader closed the channel
            self.frames.feed(data)

    def serve(self) -> None:
        while True:
            request, arrays = self.receive()
            if request["kind"] == "load":
                self.load(request)
            elif request["kind"] == "call":
                self.call(request, arrays)
            elif request["kind"] == "stop":
                os._exit(0)

    # -- loading --------------------------------------------------------------------------
    def where(self, error: BaseException) -> list | None:
        """[file name, line] of the innermost frame in the student's code."""
        found, tb = None, error.__traceback__
        while tb is not None:
            if tb.tb_frame.f_code.co_filename in self.filenames:
                found = [tb.tb_frame.f_code.co_filename, tb.tb_lineno]
            tb = tb.tb_next
        return found

    def failure(self, error: BaseException, mark: int) -> dict:
        """What the grader reports of an exception: its type, message, where, and the
        imports refused meanwhile."""
        if isinstance(error, SystemExit):
            return {"exit": _exit_code(error), "where": self.where(error)}
        found = {"raised": type(error).__name__, "message": _text(error),
                 "builtin": type(error).__module__ == "builtins", "where": self.where(error),
                 "refused": [list(r) for r in self.log[mark:]][:3]}
        try:  # the student's traceback, without this file's frames (nor their lines)
            frames = traceback.StackSummary.extract(traceback.walk_tb(error.__traceback__),
                                                    lookup_lines=False)
            frames = traceback.StackSummary.from_list(
                [f for f in frames if f.filename != __file__])
            print("Traceback (most recent call last):\n" + "".join(frames.format()) +
                  "".join(traceback.format_exception_only(type(error), error)),
                  end="", file=sys.stderr)
        except BaseException:  # noqa: BLE001 - a traceback of the student's objects
            pass
        return found

    def load(self, request: dict) -> None:
        module = types.ModuleType(request["module"])  # "__main__" for a notebook, as Jupyter
        sys.modules[request["module"]] = module
        self.namespace = module.__dict__
        shell = Shell(self.namespace)
        self.namespace.update(get_ipython=lambda: shell, display=_display)
        if request.get("file"):
            self.namespace["__file__"] = request["file"]
        skip = {int(k): int(v) for k, v in request["skip"]}
        for index, (filename, source) in enumerate(request["value"]):
            self.filenames.add(filename)
            linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
            self.send({"kind": "cell", "cell": index})
            status = self.run_cell(index, filename, source, skip.get(index))
            self.send({"kind": "done", "cell": index, **status})
        defined = [name for name in request["names"] if callable(self.namespace.get(name))]
        self.send({"kind": "loaded", "defined": defined})

    def run_cell(self, index: int, filename: str, source: str, stop: int | None) -> dict:
        tree = ast.parse(source, filename)
        flags = 0
        for number, statement in enumerate(tree.body):
            if stop is not None and number >= stop:
                return {"stopped": number}
            self.send({"kind": "statement", "cell": index, "statement": number,
                       "line": statement.lineno})
            mark = len(self.log)
            if isinstance(statement, ast.ImportFrom) and statement.module == "__future__":
                import __future__

                for alias in statement.names:
                    flags |= getattr(__future__, alias.name).compiler_flag \
                        if hasattr(__future__, alias.name) else 0
            try:
                code = compile(ast.Module([statement], type_ignores=[]), filename, "exec",
                               flags=flags, dont_inherit=True)
                exec(code, self.namespace)
            except BaseException as error:  # noqa: BLE001 - the cell stops, as in Jupyter
                self.note_refused(statement, mark)
                return {"statement": number, **self.failure(error, mark)}
            self.note_refused(statement, mark)
        return {}

    def note_refused(self, statement: ast.stmt, mark: int) -> None:
        """The names an import refused in ``statement`` would have bound (for a later
        NameError to be told why)."""
        if len(self.log) == mark:
            return
        for node in ast.walk(statement):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                for alias in node.names:
                    bound = alias.asname or alias.name.split(".")[0]
                    self.refused_names.setdefault(bound, self.log[mark])

    # -- calling ----------------------------------------------------------------------------
    def uses_refused(self, fn: object) -> list:
        """The refused imports whose names the function (or a function inside it) uses."""
        names, todo = set(), [getattr(fn, "__code__", None)]
        while todo:
            code = todo.pop()
            if isinstance(code, types.CodeType):
                names.update(code.co_names)
                todo.extend(c for c in code.co_consts if isinstance(c, types.CodeType))
        return [list(self.refused_names[n]) for n in sorted(names) if n in self.refused_names]

    def call(self, request: dict, arrays: list) -> None:
        if request["name"] != self.exercise:
            self.states.clear()
            self.exercise = request["name"]
        fn = self.namespace.get(request["name"])
        positional, keywords = request["value"]
        before = [(a.dtype, a.shape, a.tobytes()) for a in arrays]
        mark = len(self.log)
        try:
            result = fn(*positional, **{str(k): v for k, v in keywords})
        except BaseException as error:  # noqa: BLE001 - reported, never raised here
            status = self.failure(error, mark)
            if "raised" in status and not status["refused"]:
                status["refused"] = self.uses_refused(fn)[:1]
            self.send({"kind": "failed", "id": request["id"], **status})
            return
        wrote = [k for k, (a, b) in enumerate(zip(arrays, before))
                 if (a.dtype, a.shape, a.tobytes()) != b]
        states = {str(handle): [_text(key, 40) for key in state][:20]
                  for handle, state in self.states.items()}
        try:
            self.send({"kind": "answer", "id": request["id"], "wrote": wrote, "states": states},
                      [result, [arrays[k].copy() for k in wrote]], refs=arrays)
        except BaseException as error:  # noqa: BLE001 - an answer whose conversion fails
            self.send({"kind": "unreadable", "id": request["id"],
                       "message": f"{type(error).__name__}: {_text(error)}"})


def _without_fork_exec() -> None:
    """subprocess imported now, its C ``fork_exec`` (which raises no audit event) replaced:
    a library may import subprocess, and nothing may start a process through it."""
    import _posixsubprocess
    import subprocess

    def fork_exec(*args: object, **kwargs: object) -> None:
        raise Refused("the grader does not allow starting a process: a submission runs in "
                      "one process")

    _posixsubprocess.fork_exec = subprocess._fork_exec = fork_exec


def run(argument: str, abi: str, filtered: str) -> None:
    """Stage 2: NumPy without ctypes, the guard, then the request loop."""
    config = json.loads(argument)
    sys.dont_write_bytecode = True
    sys.path[:] = config["paths"]
    sys.modules["ctypes"] = sys.modules["_ctypes"] = None  # NumPy runs without them
    import numpy  # noqa: F401 - imported before the guard, as the student's code expects

    for name in ("ctypes", "_ctypes"):
        if sys.modules.get(name, 0) is None:
            del sys.modules[name]  # so that an import of them meets the guard
    wire = _sibling("wire")
    channel = socket.socket(fileno=config["fd"])
    log: list = []
    stub = types.ModuleType("reference.grading")  # the notebook's own `grade` cells
    stub.grade, stub.__path__ = _stub_grade, []  # a package: any other name meets the guard
    sys.modules["reference"] = types.ModuleType("reference")
    sys.modules["reference"].__path__ = []
    sys.modules["reference"].grading = sys.modules["reference.grading"] = stub
    builtins.exit = builtins.quit = sys.exit
    builtins.help = lambda *args, **kwargs: None
    os.chdir(config["tmp"])
    import subprocess  # noqa: F401 - before the guard: it needs _posixsubprocess

    if not config["processes"]:
        _without_fork_exec()
    _install_guard(config, log)
    server = Server(channel, wire, log)
    server.send({"kind": "hello", "landlock": int(abi), "seccomp": filtered == "1",
                 "pid": os.getpid()})
    server.serve()


if __name__ == "__main__":
    if sys.argv[1] == "limit":
        limit(sys.argv[2])
    else:
        run(sys.argv[2], sys.argv[3], sys.argv[4])
