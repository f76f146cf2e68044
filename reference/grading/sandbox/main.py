"""The program that runs a submission's code, in a process that holds nothing of the grader's:
no solutions, no references, no judging (``child.py`` is the grader's side of it).

``python -I -S -u sandbox/main.py limit CONFIG`` (isolated: no site, no environment, not even the
project on its path). Two stages:

1. ``limit``: resource limits (memory, file size, no core), death with the grader
   (``PR_SET_PDEATHSIG``), Landlock (``landlock.py``: only the standard library, the
   installed packages but the refused ones, a few system files, the submission's cells and
   its own temporary folder; no TCP, no signals to the grader) and seccomp (``seccomp.py``:
   no new socket, no new process, no other process). Then it executes itself again, so
   that what it loaded for this (ctypes) is gone.
2. ``run``: NumPy imported without ctypes; ``wire.py``, ``guard.py`` and ``shell.py`` loaded
   by their paths; the submission's cells read from their file; the guard turned on
   (``guard.py``: an audit hook, which Python code cannot remove). Then it serves the
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

CO_COROUTINE = 0x80  # a statement compiled with a top-level await
HERE = os.path.dirname(os.path.abspath(__file__)) + os.sep  # the sandbox's own files


# --- stage 1: the limits the operating system keeps ------------------------------------------

def _sibling(name: str) -> types.ModuleType:
    """``name``.py from this file's folder, loaded by its path (the grader's packages are
    not importable here)."""
    import importlib.util

    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), name + ".py")
    spec = importlib.util.spec_from_file_location("_grading_" + name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # as an import would (dataclasses look it up)
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


def _rules(config: dict, landlock: types.ModuleType, low_level: str) -> list:
    """Landlock's rules: what the code may read (and run), and the one folder it may write.
    The kernel keeps them even if the guard is broken from inside (NumPy alone can reach raw
    memory): the project, the answer keys of ``guard.DENIED`` (torch...) and the other
    submissions stay unreadable. ``low_level``: why ctypes is refused (not an answer key:
    the standard library's ctypes may stay readable)."""
    here = os.path.dirname(os.path.abspath(__file__))
    denied = tuple(os.path.realpath(p) for p, why in config["denied_paths"] if why != low_level)
    roots = [*config["paths"], *config["prefixes"], sys.prefix, sys.base_prefix,
             sys.exec_prefix, os.path.realpath(sys.executable), "/lib", "/lib64", "/usr/lib",
             "/usr/lib64", "/usr/local/lib", "/usr/share/zoneinfo", "/etc/ld.so.cache",
             "/etc/localtime", "/etc/nsswitch.conf", "/etc/passwd", "/etc/group",
             "/proc/cpuinfo", "/proc/meminfo", f"/proc/{os.getpid()}",
             "/sys/devices/system/cpu", "/dev/urandom", "/dev/random", "/dev/zero",
             *(os.path.join(here, f"{name}.py") for name in ("main", "wire", "guard", "shell")),
             config["cells"]]
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
    low_level = _sibling("guard").DENIED["ctypes"]
    abi = landlock.restrict(_rules(config, landlock, low_level)) if config["landlock"] else 0
    filtered = seccomp.restrict(config["processes"]) if config["seccomp"] else False
    os.execv(sys.executable, [sys.executable, "-I", "-S", "-u", os.path.abspath(__file__),
                              "run", argument, str(abi), str(int(filtered))])


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

    def __init__(self, channel: socket.socket, wire: types.ModuleType, shell: types.ModuleType,
                 cells: list, log: list) -> None:
        self.channel, self.wire, self.shell, self.cells, self.log = \
            channel, wire, shell, cells, log
        self.frames = wire.Frames()
        self.loop = None  # the event loop of a notebook's top-level awaits
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
        try:  # the student's traceback, without the sandbox's frames (nor their lines)
            frames = traceback.StackSummary.extract(traceback.walk_tb(error.__traceback__),
                                                    lookup_lines=False)
            frames = traceback.StackSummary.from_list(
                [f for f in frames if not f.filename.startswith(HERE)])
            print("Traceback (most recent call last):\n" + "".join(frames.format()) +
                  "".join(traceback.format_exception_only(type(error), error)),
                  end="", file=sys.stderr)
        except BaseException:  # noqa: BLE001 - a traceback of the student's objects
            pass
        return found

    def load(self, request: dict) -> None:
        """Run the cells (read from their file when the child started), each from the top
        and, where the grader says so (``skip``), up to a statement only."""
        module = types.ModuleType(request["module"])  # "__main__" for a notebook, as Jupyter
        sys.modules[request["module"]] = module
        self.namespace = module.__dict__
        shell = self.shell.Shell(self.namespace)
        self.namespace.update(get_ipython=lambda: shell, display=self.shell.display)
        if request.get("file"):
            self.namespace["__file__"] = request["file"]
        skip = {int(k): int(v) for k, v in request["skip"]}
        awaits = ast.PyCF_ALLOW_TOP_LEVEL_AWAIT if request.get("await") else 0
        for index, (filename, source) in enumerate(self.cells):
            self.filenames.add(filename)
            linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
            self.send({"kind": "cell", "cell": index})
            status = self.run_cell(index, filename, source, skip.get(index), awaits)
            self.send({"kind": "done", "cell": index, **status})
        defined = [name for name in request["names"] if callable(self.namespace.get(name))]
        self.send({"kind": "loaded", "defined": defined})

    def run_statement(self, code: types.CodeType) -> None:
        """One statement; one with a top-level ``await`` (a notebook's, as IPython's autoawait
        runs it) on an event loop kept for the whole load."""
        if not code.co_flags & CO_COROUTINE:
            exec(code, self.namespace)
            return
        import asyncio

        if self.loop is None:
            self.loop = asyncio.new_event_loop()
        self.loop.run_until_complete(eval(code, self.namespace))

    def run_cell(self, index: int, filename: str, source: str, stop: int | None,
                 flags: int = 0) -> dict:
        tree = compile(source, filename, "exec", ast.PyCF_ONLY_AST | flags, dont_inherit=True)
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
                self.run_statement(code)
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


def _without_fork_exec(refused: type) -> None:
    """subprocess imported now, its C ``fork_exec`` (which raises no audit event) replaced:
    a library may import subprocess, and nothing may start a process through it."""
    import _posixsubprocess
    import subprocess

    def fork_exec(*args: object, **kwargs: object) -> None:
        raise refused("the grader does not allow starting a process: a submission runs in "
                      "one process")

    _posixsubprocess.fork_exec = subprocess._fork_exec = fork_exec


def _graders_names(shell: types.ModuleType) -> None:
    """``reference.grading``'s public names (``grade``, ``Grade``), inert: a notebook's own
    ``grade`` cells run; any other name of the project meets the guard."""
    stub = types.ModuleType("reference.grading")
    stub.grade, stub.Grade, stub.__path__ = shell.grade, shell.Grade, []  # a package
    stub.__all__ = ["grade", "Grade"]
    sys.modules["reference"] = types.ModuleType("reference")
    sys.modules["reference"].__path__ = []
    sys.modules["reference"].grading = sys.modules["reference.grading"] = stub


def run(argument: str, abi: str, filtered: str) -> None:
    """Stage 2: NumPy without ctypes, the cells, the guard, then the request loop."""
    config = json.loads(argument)
    sys.dont_write_bytecode = True
    sys.path[:] = [config["tmp"], *config["paths"]]  # its own folder first, as Jupyter's
    sys.modules["ctypes"] = sys.modules["_ctypes"] = None  # NumPy runs without them
    import numpy  # noqa: F401 - imported before the guard, as the student's code expects

    for name in ("ctypes", "_ctypes"):
        if sys.modules.get(name, 0) is None:
            del sys.modules[name]  # so that an import of them meets the guard
    wire, guard, shell = _sibling("wire"), _sibling("guard"), _sibling("shell")
    with open(config["cells"], encoding="utf-8") as f:
        cells = json.load(f)  # [[file name, source], ...]
    channel = socket.socket(fileno=config["fd"])
    log: list = []
    _graders_names(shell)
    builtins.exit = builtins.quit = sys.exit
    builtins.help = lambda *args, **kwargs: None
    os.chdir(config["tmp"])
    import shutil
    import subprocess  # noqa: F401 - before the guard: it needs _posixsubprocess

    # rmtree by paths, not through folder descriptors (which the guard refuses: the "open"
    # event does not say which folder a path is relative to): TemporaryDirectory works
    shutil._use_fd_functions = False

    if not config["processes"]:
        _without_fork_exec(guard.Refused)
    guard.bound_threads(config["threads"], log)
    sys.meta_path.insert(0, guard.Inert(log, frozenset(config["allow"])))
    guard.install(config, log)
    server = Server(channel, wire, shell, cells, log)
    server.send({"kind": "hello", "landlock": int(abi), "seccomp": filtered == "1",
                 "pid": os.getpid()})
    server.serve()


if __name__ == "__main__":
    if sys.argv[1] == "limit":
        limit(sys.argv[2])
    else:
        run(sys.argv[2], sys.argv[3], sys.argv[4])
