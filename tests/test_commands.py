"""The three commands (``python -m comparisons``, ``comparisons.bench``,
``comparisons.profile_epoch``) answer a wrong argument at once, in one line, before torch,
scikit-learn or matplotlib loads; their ``--out`` receives exactly their own files and never
removes the user's; SIGINT and SIGTERM stop them with 130 and 143 and leave nothing behind."""

import os
import signal
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from comparisons import outputs
from tests.folders import snapshot, users_folder

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("torch", "sklearn", "matplotlib", "numpy", "scipy", "joblib")
COMMANDS = ["comparisons", "comparisons.bench", "comparisons.profile_epoch"]


def _python(*args: str, cwd: Path = ROOT, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout)


@pytest.mark.parametrize("module", ["comparisons.cli", "comparisons.bench.cli",
                                    "comparisons.profile_epoch"])
def test_a_command_module_loads_nothing_heavy(module):
    done = _python("-c", f"import sys, {module}; "
                         f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))")
    assert done.stdout.strip() == "[]", done.stdout + done.stderr


def _seconds(*args: str) -> float:
    start = time.perf_counter()
    _python(*args)
    return time.perf_counter() - start


@pytest.mark.slow  # times a fresh process against importing torch: 5 s
def test_a_bad_out_answers_faster_than_importing_torch(tmp_path):
    afile = tmp_path / "afile"
    afile.write_text("mine")
    torch_import = statistics.median(_seconds("-c", "import torch") for _ in range(3))
    for command in COMMANDS:
        args = ["--out", str(afile)] if command != "comparisons.profile_epoch" else \
            ["--fits", "0"]
        answer = statistics.median(_seconds("-m", command, *args) for _ in range(3))
        assert answer < torch_import / 2, (command, answer, torch_import)
        done = _python("-m", command, *args)
        assert done.returncode == 2 and done.stdout == ""
        assert len(done.stderr.strip().splitlines()) == 1, done.stderr
        help_seconds = statistics.median(_seconds("-m", command, "--help") for _ in range(3))
        assert help_seconds < torch_import / 2, (command, help_seconds, torch_import)
    assert afile.read_text() == "mine"


@pytest.mark.parametrize("command,args,words", [
    ("comparisons", ["--seeds", "1000000000"], "--seeds must be from 1 to 100"),
    ("comparisons", ["--seeds", "0"], "--seeds must be from 1 to 100"),
    ("comparisons", ["--jobs", "0"], "--jobs must be at least 1"),
    ("comparisons", ["--data-dir", "/no/such/folder"], "is not a folder"),
    ("comparisons", ["--dataset", "xor", "--data-dir", "."], "--data-dir is for MNIST"),
    ("comparisons.bench", ["--repeats", "0"], "--repeats must be from 1 to 50"),
    ("comparisons.bench", ["--probe-tolerance", "-1"], "--probe-tolerance must be above 0"),
    ("comparisons.bench", ["--probe-tolerance", "nan"], "--probe-tolerance must be above 0"),
    ("comparisons.profile_epoch", ["--fits", "0"], "--fits must be from 1 to 20"),
    ("comparisons.profile_epoch", ["--hidden", "0"], "--hidden must be from 1 to 4096"),
    ("comparisons.profile_epoch", ["--hidden", "-5"], "--hidden must be from 1 to 4096"),
    ("comparisons.profile_epoch", ["--hidden", "10000000"], "--hidden must be from 1 to 4096"),
    ("comparisons.profile_epoch", ["--batch", "0"], "--batch must be from 1 to 60000"),
    ("comparisons.profile_epoch", ["--batch", "200", "-7"], "not -7"),
    ("comparisons.profile_epoch", ["--solver", "lbfgs"], "invalid choice"),
])
def test_a_wrong_argument_is_one_line_and_exit_2(command, args, words, tmp_path):
    out = ["--out", str(tmp_path / "out")] if command != "comparisons.profile_epoch" else []
    done = _python("-m", command, *args, *out)
    assert done.returncode == 2 and done.stdout == "", done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and words in done.stderr, done.stderr
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


@pytest.mark.parametrize("content,words", [
    (None, "there is no"), ("[]", "is not the results of"), ("{not json", "cannot be read"),
    ('{"rows": [], "scaling": [], "machine": {}, "command": 3}', "is not the results of"),
    ('{"rows": [{"config": {}, "contenders": "abc"}], "scaling": [], "machine": {}, '
     '"command": "x"}', "is not a benchmark row"),
])
def test_retry_missing_on_a_bad_bench_json_is_refused_before_measuring(content, words,
                                                                        tmp_path):
    if content is not None:
        (tmp_path / "bench.json").write_text(content)
    done = _python("-m", "comparisons.bench", "--retry-missing", "--out", str(tmp_path))
    assert done.returncode == 2 and words in done.stderr, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "bench.md").exists()


def test_more_jobs_than_cores_are_capped_and_said(capsys):
    from comparisons.cli import parse
    from comparisons.parallel import default_jobs

    args = parse(["--jobs", str(default_jobs() + 10)])
    assert args.jobs == default_jobs()
    assert f"more than this machine's {default_jobs()} cores" in capsys.readouterr().err


# --- --out owns only its own files ------------------------------------------------------------

@pytest.mark.parametrize("command,taken", [
    ("comparisons", "results.json"), ("comparisons", "report.html"),
    ("comparisons", "figures/accuracy.png"), ("comparisons.bench", "bench.json"),
])
def test_a_folder_where_an_output_goes_is_refused_and_left_as_it_is(command, taken, tmp_path):
    out = users_folder(tmp_path / "out")
    (out / taken).mkdir()
    (out / taken / "raw.csv").write_text("precious")
    before = snapshot(out)
    done = _python("-m", command, "--out", str(out), timeout=60)
    assert done.returncode == 2 and "where this command writes a file" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert snapshot(out) == before


def test_a_file_where_a_folder_goes_is_refused(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "figures").write_text("a file named figures")
    with pytest.raises(outputs.UsageError, match="where this command writes a folder"):
        outputs.claim(str(out), ["figures/accuracy.png"])
    assert (out / "figures").read_text() == "a file named figures"


def test_a_fifo_where_an_output_goes_is_refused_not_opened(tmp_path):
    os.mkfifo(tmp_path / "report.md")
    with pytest.raises(outputs.UsageError, match="special file"):
        outputs.claim(str(tmp_path), ["report.md"])


@pytest.mark.slow  # reads conftest.xor_report: a report run of about 30 s, once a session
def test_a_report_over_the_users_folder_replaces_its_files_only(xor_report):
    """(conftest.xor_report: the folder before and after the run, made once a session.)"""
    before, after = (snapshot(folder) for folder in xor_report)
    for name, content in before.items():
        if name != "report.md":
            assert after[name] == content, name
    assert before["report.md"] == b"an old report" and after["report.md"] != b"an old report"
    assert not [name for name in after if outputs.STAGE_PREFIX in name]
    mine = {"notes.txt", "data", "data/raw.csv", "figures", "figures/my_plot.png",
            "bench.json"}  # (bench.json: a benchmark's, which the report reads)
    from comparisons.cli import OUTPUTS

    assert set(after) - mine <= set(OUTPUTS) | {"figures"}
    assert {"report.html", "results.json", "figures/accuracy.svg"} <= set(after)


def test_the_report_can_only_draw_figures_that_are_claimed():
    """``cli.FIGURES`` (claimed before the heavy imports) holds every name ``run.make_figures``
    may give a figure."""
    import inspect
    import re

    from comparisons import cli, run

    source = inspect.getsource(run.make_figures)
    names = set(re.findall(r'figs\["(\w+)"\]', source)) | set(
        re.findall(r'^\s+"(\w+)": \(', source, re.M))
    names |= {f"{kind}_{data}" for kind in ("confusion", "misclassified")
              for data in ("digits", "mnist")}
    assert names and names <= set(cli.FIGURES), names - set(cli.FIGURES)


def test_staged_puts_all_files_in_place_or_none(tmp_path):
    (tmp_path / "report.md").write_text("old")
    with pytest.raises(RuntimeError):
        with outputs.staged(str(tmp_path)) as stage:
            Path(stage, "report.md").write_text("new")
            raise RuntimeError("the run failed")
    assert (tmp_path / "report.md").read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.md"]
    with outputs.staged(str(tmp_path)) as stage:
        Path(stage, "figures").mkdir()
        Path(stage, "figures", "a.png").write_bytes(b"png")
        Path(stage, "report.md").write_text("new")
    assert stage.moved and (tmp_path / "report.md").read_text() == "new"
    assert sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*")) == \
        ["figures", "figures/a.png", "report.md"]


# --- signals -------------------------------------------------------------------------------

def _start(args: list[str], **kw) -> tuple[subprocess.Popen, bytearray, threading.Thread]:
    process = subprocess.Popen([sys.executable, *args], cwd=ROOT, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, **kw,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    err = bytearray()
    reader = threading.Thread(target=lambda: [err.extend(chunk) for chunk in
                                              iter(lambda: process.stderr.read1(4096), b"")])
    reader.start()
    return process, err, reader


def _stop(process, reader, signum) -> str:
    process.send_signal(signum)
    try:
        process.wait(timeout=60)
    finally:
        process.kill()
    out = process.stdout.read()
    process.stdout.close()
    reader.join(timeout=30)
    return out.decode()


def _wait_for(condition, seconds=240.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not condition():
        time.sleep(0.1)
    assert condition()


# the report's own command and write, paused once its files are staged; what it writes is
# the results of a real run (argv[1]: conftest.xor_report's results.json), without figures
# (the staging and the signal are the same with the experiments and the figures, which take
# 30 s; tests/test_cli.py and conftest.xor_report run them). As after the real experiments,
# the parallel fits' two worker processes are alive, idle, while the report is written.
SLOW_WRITE = """
import json, sys, time
import comparisons.report.page as page
import comparisons.run as run
from comparisons.parallel import run_tasks
with open(sys.argv.pop(1)) as f:
    results = json.load(f)
def experiments(args, argv, plan):
    assert run_tasks([(abs, (-1,)), (abs, (-2,))], jobs=2) == [1, 2]
    return results, {}
run.run = experiments
original = page.write
def slow(results, figs, stage):
    original(results, figs, stage)
    print("written to the stage", file=sys.stderr, flush=True)
    time.sleep(120)
page.write = slow
from comparisons.cli import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.parametrize("signum,status", [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
@pytest.mark.slow  # writes a report in a process and signals it: 6 s, 12 s for its 2
def test_a_signal_while_the_report_is_written_leaves_the_users_folder_as_it_was(
        signum, status, tmp_path, xor_report):
    out = users_folder(tmp_path / "out")
    before = snapshot(out)
    script = tmp_path / "slow_write.py"
    script.write_text(SLOW_WRITE)
    process, err, reader = _start([str(script), str(xor_report[1] / "results.json"),
                                   "--dataset", "xor", "--quick", "--seeds", "1", "--quiet",
                                   "--out", str(out)])
    _wait_for(lambda: b"written to the stage" in err)
    assert [p for p in out.iterdir() if p.name.startswith(outputs.STAGE_PREFIX)]
    workers = _workers(process.pid)
    assert len(workers) >= 2
    _stop(process, reader, signum)
    assert process.returncode == status, bytes(err).decode()
    text = bytes(err).decode()
    assert "no report was written" in text and "Traceback" not in text
    assert snapshot(out) == before
    _wait_for(lambda: not any(_alive(pid) for pid in workers), seconds=10)


def _shm(pid: int) -> set[str]:
    """joblib's and loky's files in /dev/shm made by the process ``pid`` (their names hold
    it), so that another test's report running beside this one (pytest-xdist) is not
    counted."""
    if not os.path.isdir("/dev/shm"):
        return set()
    return {p for p in os.listdir("/dev/shm")
            if f"joblib_memmapping_folder_{pid}_" in p or f"loky-{pid}-" in p}


@pytest.mark.parametrize("signum,status", [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
@pytest.mark.slow  # starts the command in a process and signals it: 5 s at most, 10 s for its 2
def test_a_signal_during_the_parallel_fits_stops_every_worker(signum, status, tmp_path):
    out = tmp_path / "out"
    process, err, reader = _start(["-m", "comparisons", "--quick", "--jobs", "2",
                                   "--dataset", "digits", "--out", str(out)])
    _wait_for(lambda: b": fitting" in err and len(_workers(process.pid)) >= 2)
    workers = _workers(process.pid)
    time.sleep(1)
    _stop(process, reader, signum)
    text = bytes(err).decode()
    assert process.returncode == status, text
    assert ("terminated" if signum == signal.SIGTERM else "interrupted") in text
    assert "Traceback" not in text
    assert not out.exists() or list(out.iterdir()) == []
    _wait_for(lambda: not any(_alive(pid) for pid in workers), seconds=10)
    _wait_for(lambda: not any(_shm(pid) for pid in {process.pid, *workers}), seconds=10)


def _workers(pid: int) -> set[int]:
    found = set()
    for child in _children(pid):
        found |= {child, *_children(child)}
    return found


def _children(pid: int) -> set[int]:
    text = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    return {int(line) for line in text.split()}


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


@pytest.mark.parametrize("signum,status", [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
@pytest.mark.slow  # starts the command in a process and signals it: 5 s at most, 10 s for its 2
def test_profile_epoch_stops_on_a_signal_without_a_table(signum, status):
    process, err, reader = _start(["-m", "comparisons.profile_epoch", "--batch", "200",
                                   "--fits", "20"])
    _wait_for(lambda: any(_alive(p) for p in [process.pid]) and _maps_torch(process.pid))
    time.sleep(3)
    out = _stop(process, reader, signum)
    assert process.returncode == status, bytes(err).decode()
    assert out == "" and "Traceback" not in bytes(err).decode()


@pytest.mark.parametrize("signum,status", [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
@pytest.mark.slow  # starts the command in a process and signals it: 4 s at most, 8 s for its 2
def test_bench_stops_on_a_signal_and_writes_nothing(signum, status, tmp_path):
    process, err, reader = _start(["-m", "comparisons.bench", "--quick", "--out",
                                   str(tmp_path)])
    _wait_for(lambda: _maps_torch(process.pid))
    time.sleep(3)
    _stop(process, reader, signum)
    text = bytes(err).decode()
    assert process.returncode == status, text
    assert "nothing was written" in text and "Traceback" not in text
    assert list(tmp_path.iterdir()) == []


def _maps_torch(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/maps") as f:
            return "libtorch" in f.read()
    except FileNotFoundError:
        return False


CUT_SHORT = """
import os, signal, sys, threading
from comparisons import signals
from comparisons.bench.contenders import Config
from comparisons.bench.measure import data, epoch_seconds
config = Config((100,), 200, "adam", "float32", n_samples=10000, epochs=150)
X, y = data(config)
threading.Timer(2.0, lambda: os.kill(os.getpid(), signal.SIG%s)).start()
try:
    with signals.stopping():
        epoch_seconds(sys.argv[1], config, X, y)
    print("measured")
except KeyboardInterrupt:
    print("stopped")
"""


@pytest.mark.parametrize("contender", ["scratch", "sklearn"])
@pytest.mark.parametrize("name", ["TERM", "INT"])
@pytest.mark.slow  # starts the command in a process and signals it: 6 s at most, 22 s for its 4
def test_a_fit_cut_short_by_a_signal_is_not_a_measurement(contender, name, tmp_path):
    """scikit-learn's and scratch's fits catch KeyboardInterrupt and end early; the bench
    must stop there, not record the cut-short fit and go on."""
    script = tmp_path / "cut.py"
    script.write_text(CUT_SHORT % name)
    done = _python(str(script), contender, timeout=300)
    assert done.stdout.strip() == "stopped", done.stdout + done.stderr
