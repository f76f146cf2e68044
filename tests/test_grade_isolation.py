"""No submission raises its own score by anything its code does: each hostile submission of
``tests/gallery/hostile_submissions.py`` (forged output, a patched grader or NumPy, stolen
frames, the solutions, the project's layers, torch's autograd, the project's files, other
processes, the grader's memory, the channel forged, a program outside asked through C
sockets, ...) gets full marks only on what it really answers, as a ``.py`` file and as a
notebook; the channel's reader believes nothing it is sent, and what the child sends is
shown cut and printable."""

import io
import json
import os
import socket
import struct
import subprocess
import sys
import threading
import unicodedata
from pathlib import Path

import nbformat
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reference.grading import cli, frames, runner, submission
from reference.grading.exercises import EXERCISES, POINTS
from reference.grading.exercises import grade as grade_in_process
from reference.grading.sandbox import wire
from tests.gallery.hostile_submissions import ATTACKS, NOTEBOOK_ONLY
from tests.gallery.model_answers import SOURCES, answer

ROOT = Path(__file__).resolve().parents[1]


def _fill(source: str, target: Path) -> str:
    source = source.replace("{ROOT}", str(ROOT)).replace("{TARGET}", str(target))
    for name, right in SOURCES.items():
        source = source.replace(f"{{RIGHT:{name}}}", right)
    return source


def write(folder: Path, name: str, cells: list[str], kind: str) -> Path:
    """The submission as a ``.py`` file (its cells joined) or a notebook (a cell each)."""
    target = folder / "watched.json"
    cells = [_fill(c, target) for c in cells]
    if kind == "py":
        path = folder / f"{name}.py"
        path.write_text("\n\n".join(cells))
    else:
        path = folder / f"{name}.ipynb"
        nbformat.write(nbformat.v4.new_notebook(
            cells=[nbformat.v4.new_code_cell(c) for c in cells]), path)
    return path


def grade(path: Path, seed: int = 4, timeout: float = 3.0) -> runner.Report:
    return runner.grade_submission(submission.read(path, list(EXERCISES)), seed, timeout,
                                   runner.Limits(denied_paths=(str(path.parent),)))


CASES = [(name, kind) for name in ATTACKS for kind in ("py", "ipynb")
         if not (kind == "py" and name in NOTEBOOK_ONLY)]


@pytest.mark.parametrize("name,kind", CASES, ids=[f"{n}-{k}" for n, k in CASES])
def test_an_attack_scores_only_what_it_really_answers(name, kind, tmp_path):
    watched = tmp_path / "watched.json"
    watched.write_text("{}")
    report = grade(write(tmp_path, name, ATTACKS[name]["cells"], kind))
    earned = set(ATTACKS[name]["earned"])
    assert {r["name"]: r["score"] for r in report.results} == \
        {e: (POINTS if e in earned else 0.0) for e in EXERCISES}, report.results
    assert watched.read_text() == "{}" and not (tmp_path / "watched.json.planted").exists()
    assert "ALLOWED" not in report.printed and "OPENED" not in report.printed
    assert "WROTE" not in report.printed


WITHOUT_LANDLOCK = ["finds_the_project_by_other_roads", "reads_the_graders_memory_and_files",
                    "writes_outside_its_folder", "borrows_the_projects_layers",
                    "reaches_past_python", "starts_processes"]


@pytest.mark.parametrize("name", WITHOUT_LANDLOCK)
def test_the_audit_guard_alone_holds_where_the_kernel_has_no_landlock(name, tmp_path):
    """Landlock missing (an older kernel, another OS): the guard's own checks still refuse
    the files, imports and processes (not the signals: see docs/teaching.md)."""
    watched = tmp_path / "watched.json"
    watched.write_text("{}")
    path = write(tmp_path, name, ATTACKS[name]["cells"], "py")
    report = runner.grade_submission(submission.read(path, list(EXERCISES)), 4, 3.0,
                                     runner.Limits(landlock=False,
                                                   denied_paths=(str(tmp_path),)))
    assert "no Landlock" in report.isolation
    assert sum(r["score"] for r in report.results) == POINTS * len(ATTACKS[name]["earned"])
    assert watched.read_text() == "{}" and "OPENED" not in report.printed
    assert "ALLOWED" not in report.printed and "WROTE" not in report.printed


def test_the_attacks_would_score_where_the_code_ran_unguarded():
    """The gallery's attacks have teeth: in the grader's own process, the project's layers
    and torch's autograd answer right."""
    for name, exercises in (("borrows_the_projects_layers", ["sigmoid_backward",
                                                             "dense_backward"]),
                            ("uses_torch_autograd", ["sigmoid_backward", "relu_backward"])):
        namespace: dict = {}
        exec("\n\n".join(ATTACKS[name]["cells"]), namespace)
        for exercise in exercises:
            assert grade_in_process(exercise, namespace[exercise], seed=0).ok, (name, exercise)


@pytest.mark.parametrize("kind", ["py", "ipynb"])
def test_a_refused_import_costs_its_exercise_with_one_line_saying_why(kind, tmp_path):
    report = grade(write(tmp_path, "torch", ATTACKS["uses_torch_autograd"]["cells"], kind))
    words = ("it needs torch, which the grader does not allow: automatic differentiation or "
             "a ready-made network would answer the exercise; write it with NumPy")
    sigmoid, relu = report.results[0]["output"], report.results[1]["output"]
    assert words in relu and "\n" not in relu  # refused inside the function
    assert "torch" in sigmoid and "does not allow" in sigmoid  # refused at the top


def test_the_project_and_other_submissions_are_out_of_reach_even_by_path(tmp_path):
    other = tmp_path / "bob.py"
    other.write_text(SOURCES["sigmoid_backward"])  # a classmate's right answer
    cells = ["import numpy as np\nstolen = {}\n"
             f"for path in ({str(other)!r}, {str(ROOT / 'tests/gallery/model_answers.py')!r}):\n"
             "    try:\n"
             "        exec(open(path).read(), stolen)\n"
             "    except BaseException as error:\n"
             "        print('refused', path, type(error).__name__)\n",
             "def sigmoid_backward(grad_out, out):\n"
             "    return stolen['sigmoid_backward'](grad_out, out)\n"]
    report = grade(write(tmp_path, "alice", cells, "py"))
    assert report.results[0]["score"] == 0
    assert report.printed.count("refused") == 2


def test_answers_memorised_for_one_seed_fail_under_the_commands_drawn_seed(tmp_path):
    """The cases are drawn from the seed; the command draws one when none is given, so a
    table of answers to seed 0's cases (the project is public) is worth nothing."""
    table, right = {}, answer("sigmoid_backward")

    def record(grad_out, out):
        table[(grad_out.tobytes() + out.tobytes()).hex()] = right(grad_out, out).tolist()
        return right(grad_out, out)

    assert grade_in_process("sigmoid_backward", record, seed=0).ok  # seed 0, exercise 0
    path = tmp_path / "recite.py"
    path.write_text("import numpy as np\n"
                    f"TABLE = {json.dumps(table)}\n\n\n"
                    "def sigmoid_backward(grad_out, out):\n"
                    "    key = (grad_out.tobytes() + out.tobytes()).hex()\n"
                    "    return np.array(TABLE.get(key, np.zeros_like(out).tolist()))\n")
    assert grade(path, seed=0).results[0]["score"] == POINTS  # the table does know seed 0
    out = tmp_path / "results.json"
    assert cli.main([str(path), "--json", str(out)]) == 0
    assert json.loads(out.read_text())["tests"][0]["score"] == 0


# --- the channel ---------------------------------------------------------------------------

def _message(header: dict, blob: bytes = b"") -> bytes:
    text = json.dumps(header).encode()
    return struct.pack("<I", len(text)) + text + blob


@pytest.mark.parametrize("value,words", [
    ({"a": ["|O8", [2], 0]}, "dtype"),
    ({"a": ["[('a', 'O')]", [1], 0]}, "dtype"),
    ({"a": ["<f8", [10**9], 0]}, "outside the message"),
    ({"a": ["<f8", [-1], 0]}, "shape"),
    ({"a": ["<f8", [2], 12]}, "outside the message"),
    ({"x": 1}, "malformed"),
    ({"r": 0}, "malformed"),
    ({"h": 0}, "malformed"),
    ({"d": [[[1], 2]]}, "unhashable"),
    ({"m": [{"a": ["<f8", [1], 0]}, {"a": ["|b1", [2], 8]}]}, "masked"),
])
def test_the_reader_refuses_what_the_format_does_not_allow(value, words):
    with pytest.raises(wire.WireError, match=words):
        wire.decode(_message({"kind": "answer", "value": value}, np.zeros(2).tobytes()))


def test_a_frame_larger_than_the_bound_is_refused_before_it_is_read():
    frames = wire.Frames()
    with pytest.raises(wire.WireError, match="more than"):
        frames.feed(struct.pack("<Q", wire.MAX_FRAME + 1))


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.binary(max_size=300))
@pytest.mark.slow  # a hypothesis property over the wire's bytes: 1 s
def test_property_any_bytes_are_read_or_refused_never_a_crash(data):
    try:
        wire.decode(data)
    except wire.WireError:
        pass


def test_values_cross_as_data_and_come_back_equal():
    values = [np.arange(6.0).reshape(2, 3), np.float64(1.5), (1, 2.5, None, True), "text",
              {"dz2": np.ones(2, np.float32)}, [np.array([1 + 2j])],
              np.ma.masked_array([1.0, 2.0], mask=[False, True]), np.array(["a", "bc"]),
              np.array([object(), 3], dtype=object), 3 + 4j, lambda: 0]
    message, _ = wire.encode({"kind": "answer"}, values)
    back, _ = wire.decode(message)
    back = back["value"]
    assert np.array_equal(back[0], values[0]) and back[0].dtype == np.float64
    assert isinstance(back[1], np.float64) and back[2] == values[2] and back[3] == "text"
    assert back[4]["dz2"].dtype == np.float32 and back[5][0].dtype.kind == "c"
    assert np.ma.is_masked(back[6]) and list(back[7]) == ["a", "bc"]
    assert back[8].dtype == object and isinstance(back[8][0], wire.Opaque)
    assert back[9] == 3 + 4j and isinstance(back[10], wire.Opaque)


def test_with_the_guard_gone_the_kernel_still_keeps_the_answer_keys_out_of_reach(tmp_path):
    """NumPy alone can reach raw memory (``__array_interface__``), so a submission could in
    principle switch its audit guard off; Landlock, which the kernel keeps, is the boundary
    that then holds. Simulated here by a fresh interpreter (no guard) started in the child's
    Landlock domain: the project, torch and scikit-learn's network stay unreadable, and
    seccomp keeps it from the network and from the grader's process."""
    site = Path(np.__file__).parents[1]
    probe = [str(ROOT / "scratch" / "layers" / "activations.py"), str(tmp_path / "bob.py"),
             str(site / "torch" / "__init__.py"),
             str(site / "sklearn" / "neural_network" / "_base.py")]
    (tmp_path / "bob.py").write_text(SOURCES["sigmoid_backward"])
    code = ("import os, signal, socket, sys\nfor path in sys.argv[1:]:\n    try:\n"
            "        open(path).read(1)\n        print('READ', path)\n"
            "    except OSError as error:\n        print('refused', path, error.errno)\n"
            "try:\n    import torch\n    print('READ torch')\nexcept BaseException:\n"
            "    print('refused torch')\n"
            f"for attempt in (lambda: socket.socket(socket.AF_INET, socket.SOCK_DGRAM),\n"
            f"                lambda: os.kill({os.getpid()}, 0),\n"
            f"                lambda: os.pidfd_open({os.getpid()})):\n"
            "    try:\n        attempt()\n        print('READ (reached)')\n"
            "    except OSError as error:\n        print('refused', error.errno)\n")
    path = tmp_path / "alice.py"
    path.write_text("import subprocess, sys\n"
                    f"print(subprocess.run([sys.executable, '-c', {code!r}, *{probe!r}], "
                    "capture_output=True, text=True).stdout)\n")
    report = runner.grade_submission(submission.read(path, list(EXERCISES)), 0, 3,
                                     runner.Limits(processes=True,
                                                   denied_paths=(str(tmp_path),)))
    if "no Landlock" in report.isolation:
        pytest.skip("this kernel has no Landlock")
    assert report.printed.count("refused") == len(probe) + 4, report.printed
    assert "READ" not in report.printed


def test_an_exercise_may_allow_an_import_the_others_are_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(runner, "ALLOWED_IMPORTS", {"relu_backward": ("mlxtend",)})
    path = tmp_path / "alice.py"
    path.write_text("import numpy as np\n\n\n"
                    "def relu_backward(grad_out, x):\n    import mlxtend\n"
                    "    return grad_out * (x > 0)\n\n\n"
                    "def sigmoid_backward(grad_out, out):\n    import mlxtend\n"
                    "    return grad_out * out * (1 - out)\n")
    results = grade(path).results
    assert results[1]["score"] == POINTS
    assert results[0]["score"] == 0 and "it needs mlxtend" in results[0]["output"]


# --- what the kernel refuses: sockets and processes ----------------------------------------

class _Accomplice(threading.Thread):
    """A program outside the sandbox that answers sigmoid_backward with the model answer
    on a Unix socket at ``path`` (the protocol of ``reaches_out_through_c_sockets``)."""

    def __init__(self, path: str) -> None:
        super().__init__(daemon=True)
        self.server = socket.socket(socket.AF_UNIX)
        self.server.bind(path)
        self.server.listen(5)
        self.server.settimeout(0.2)
        self.stop, self.connections = threading.Event(), 0

    def run(self) -> None:
        right = answer("sigmoid_backward")
        while not self.stop.is_set():
            try:
                connection, _ = self.server.accept()
            except OSError:
                continue
            self.connections += 1
            with connection:
                connection.settimeout(5)
                data, chunk = b"", b"..."
                while chunk and (len(data) < 8 or
                                 len(data) < 8 + struct.unpack("<Q", data[:8])[0]):
                    chunk = connection.recv(1 << 16)
                    data += chunk
                if not chunk:
                    continue
                case = np.load(io.BytesIO(data[8:]))
                out = io.BytesIO()
                np.save(out, right(case["grad_out"], case["out"]))
                connection.sendall(struct.pack("<Q", len(out.getvalue())) + out.getvalue())


@pytest.mark.slow  # grades submissions in sandboxed processes: 2 s
def test_no_socket_reaches_a_program_outside_not_even_from_c(tmp_path):
    """pyzmq makes its sockets in C (no audit event) and Landlock does not cover connecting
    to a Unix socket by its path: only seccomp, which refuses every new socket, keeps a
    submission from asking an accomplice outside for the answers."""
    pytest.importorskip("zmq")
    accomplice = _Accomplice(str(tmp_path / "watched.json.sock"))
    accomplice.start()
    try:
        report = grade(write(tmp_path, "zmq", ATTACKS["reaches_out_through_c_sockets"]["cells"],
                             "py"))
    finally:
        accomplice.stop.set()
        accomplice.join()
    if not report.isolation.endswith("a seccomp filter"):
        pytest.skip("no seccomp filter on this machine")
    assert report.results[0]["score"] == 0, report.results[0]
    assert accomplice.connections == 0
    assert "no answer from outside" in report.printed


SECCOMP_PROBE = """\
import importlib.util, os, socket, sys, threading
spec = importlib.util.spec_from_file_location("seccomp", sys.argv[1])
seccomp = importlib.util.module_from_spec(spec)
spec.loader.exec_module(seccomp)
if not seccomp.restrict(processes=False):
    print("NO SECCOMP")
    raise SystemExit
attempts = {
    "unix socket": lambda: socket.socket(socket.AF_UNIX).connect(sys.argv[2]),
    "tcp": lambda: socket.socket(socket.AF_INET),
    "tcp6": lambda: socket.socket(socket.AF_INET6),
    "udp": lambda: socket.socket(socket.AF_INET, socket.SOCK_DGRAM),
    "datagram pair": lambda: socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM),
    "fork": lambda: os.fork() == 0 and os._exit(0),
    "posix_spawn": lambda: os.posix_spawn("/bin/true", ["true"], {}),
}
for what, attempt in attempts.items():
    try:
        attempt()
        print("REACHED", what)
    except OSError as error:
        print("refused", what, error.errno)
done = []
thread = threading.Thread(target=done.append, args=[1])
thread.start()
thread.join()
a, b = socket.socketpair()  # a connected pair of Unix stream sockets: asyncio's event loop
a.sendall(b"ok")
print("thread" if done else "NO THREAD", b.recv(2).decode())
"""


def test_the_seccomp_filter_refuses_new_sockets_and_processes_but_not_threads(tmp_path):
    """The kernel's side, whatever the code does from C: no socket (Unix, TCP, UDP), no
    datagram pair, no new process; threads and a stream socket pair still work."""
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(str(tmp_path / "outside.sock"))
    listener.listen(1)
    seccomp = Path(runner.__file__).parent / "sandbox" / "seccomp.py"
    done = subprocess.run([sys.executable, "-c", SECCOMP_PROBE, str(seccomp),
                           str(tmp_path / "outside.sock")], capture_output=True, text=True,
                          timeout=60)
    listener.close()
    if "NO SECCOMP" in done.stdout:
        pytest.skip("no seccomp filter on this machine")
    assert "REACHED" not in done.stdout and done.stdout.count("refused") == 7, done.stdout
    assert "thread ok" in done.stdout, done.stdout + done.stderr


# --- what the child sends: checked, cut, printable ------------------------------------------

@pytest.mark.parametrize("header,words", [
    ({"kind": "loaded", "defined": [["sigmoid_backward"]]}, "a name is not text"),
    ({"kind": "loaded", "defined": "sigmoid_backward"}, "not a short list"),
    ({"kind": "loaded", "defined": ["x"] * 1000}, "not a short list"),
    ({"kind": "statement", "cell": 0, "statement": "1", "line": 2}, "not a whole number"),
    ({"kind": "cell", "cell": True}, "not a whole number"),
    ({"kind": "done", "cell": 0, "raised": ["ValueError"]}, "not text"),
    ({"kind": "done", "cell": 0, "exit": "0", "where": ["f", "1"]}, "not a whole number"),
    ({"kind": "answer", "id": 1, "wrote": [[0]], "states": {}}, "not a whole number"),
    ({"kind": "answer", "id": 1, "wrote": [], "states": {"0": "m"}}, "not a short list"),
    ({"kind": "answer", "id": 1, "wrote": [], "states": []}, "not a short dict"),
    ({"kind": "failed", "id": 1}, "neither raised nor exited"),
    ({"kind": "failed", "id": 1, "raised": "E", "refused": [["a"]]}, "not \\[what, why\\]"),
    ({"kind": "hello", "landlock": 2**40}, "not a whole number"),
    ({"kind": "verdict", "score": 10}, "a frame of kind 'verdict'"),
])
def test_a_frame_is_believed_only_in_the_shape_its_kind_allows(header, words):
    with pytest.raises(frames.Malformed, match=words):
        frames.check(header)


def test_the_strings_a_frame_carries_are_cut_and_made_printable():
    header = frames.check({"kind": "done", "cell": 0, "statement": 3, "raised": "E" * 10**6,
                           "message": "\r\x1b[2Kx" + "y" * 10**6, "where": ["\x1b]0;t\x07", 4],
                           "refused": [["a\u202e", "b"]] * 9, "forged": "z" * 10**6})
    assert len(header["raised"]) < 100 and len(header["message"]) < 400
    assert header["message"].startswith("\\x0d\\x1b[2Kx") and "forged" not in header
    assert header["where"] == ["\\x1b]0;t\\x07", 4] and len(header["refused"]) == 3
    assert header["refused"][0] == ["a\\u202e", "b"]


def _control_characters(text: str) -> list[str]:
    return [c for c in text if unicodedata.category(c).startswith("C") and c != "\n"]


@pytest.mark.parametrize("name", ["forges_a_long_note", "forges_the_display"])
def test_what_the_child_sends_is_cut_and_printable_in_the_report(name, tmp_path):
    report = grade(write(tmp_path, name, ATTACKS[name]["cells"], "py"))
    texts = [*report.notes, *(r["output"] for r in report.results)]
    assert texts and all(len(t) < 1000 for t in texts), max(map(len, texts))
    assert not [t for t in texts if _control_characters(t)]
    assert not _control_characters(report.printed)


def test_escape_sequences_cannot_forge_the_graders_lines(tmp_path, capsys):
    path = write(tmp_path, "mallory", ATTACKS["forges_the_display"]["cells"], "py")
    assert cli.main([str(path), "--seed", "1", "--timeout", "3"]) == 0
    out = capsys.readouterr().out
    assert not _control_characters(out), repr(out)
    assert "\\x1b[2K" in out and "\\x0d" in out  # shown, escaped
    assert out.count("10/10") == 9  # its forged lines, shown as the text they are
    assert "total                     0/90" in out


# --- what a descriptor reaches ---------------------------------------------------------------

def test_a_descriptor_carries_no_write_outside_its_folder(tmp_path):
    """Without Landlock the guard alone judges: a file opened for reading outside the child's
    folder cannot have its mode or times changed through its descriptor."""
    outside = tmp_path / "outside" / "file.txt"
    outside.parent.mkdir()
    outside.write_text("x")
    outside.chmod(0o640)
    path = tmp_path / "fd.py"
    path.write_text("import os\n"
                    f"fd = os.open({str(outside)!r}, os.O_RDONLY)\n"
                    "for attempt in (lambda: os.chmod(fd, 0o777), lambda: os.utime(fd, (0, 0)),\n"
                    "                lambda: os.mkdir('d', dir_fd=fd)):\n"
                    "    try:\n        attempt()\n        print('WROTE')\n"
                    "    except OSError as error:\n        print('refused', error)\n")
    report = runner.grade_submission(submission.read(path, list(EXERCISES)), 0, 3,
                                     runner.Limits(landlock=False))
    assert report.printed.count("refused") == 3 and "WROTE" not in report.printed, \
        report.printed
    assert outside.stat().st_mode & 0o777 == 0o640 and outside.stat().st_mtime > 0
