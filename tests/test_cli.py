"""python -m comparisons fails fast and cleanly: every argument checked before any training
(exit 2, one line naming the problem), damaged data files refused without a traceback,
Ctrl-C stops at once (exit 130) and leaves no report behind, and --jobs changes nothing but
the time it takes."""

import gzip
import json
import os
import signal
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from comparisons.cli import main
from comparisons.data import MNIST_FILES, read_idx
from tests.folders import snapshot

ROOT = Path(__file__).resolve().parents[1]


def idx_bytes(array):
    header = struct.pack(">HBB", 0, 8, array.ndim) + struct.pack(">" + "I" * array.ndim,
                                                                 *array.shape)
    return header + array.astype(np.uint8).tobytes()


def mnist_folder(folder, n_train=20, n_test=10, compress=True, image_shape=(28, 28)):
    folder.mkdir(exist_ok=True)
    rng = np.random.default_rng(0)
    parts = {"train_images": rng.integers(0, 256, (n_train, *image_shape)),
             "train_labels": rng.integers(0, 10, n_train),
             "test_images": rng.integers(0, 256, (n_test, *image_shape)),
             "test_labels": rng.integers(0, 10, n_test)}
    for key, name in MNIST_FILES.items():
        data = idx_bytes(parts[key])
        if compress:
            (folder / (name + ".gz")).write_bytes(gzip.compress(data))
        else:
            (folder / name).write_bytes(data)
    return folder


def fails_fast(argv, capsys, *words):
    start = time.perf_counter()
    try:
        status = main([*argv, "--quiet"])
    except SystemExit as stop:  # argparse's error(): the same one line and status
        status = stop.code
    assert status == 2
    assert time.perf_counter() - start < 10  # refused before any training
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    for word in words:
        assert word in err, err
    return err


def test_out_that_is_a_file_fails_before_training(tmp_path, capsys):
    (tmp_path / "taken").write_text("a file")
    fails_fast(["--out", str(tmp_path / "taken")], capsys, "is a file")


def test_out_under_a_file_fails_before_training(tmp_path, capsys):
    (tmp_path / "taken").write_text("a file")
    fails_fast(["--out", str(tmp_path / "taken" / "report")], capsys, "cannot be created")


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0,
                    reason="root may write into a read-only folder")
def test_out_in_a_read_only_folder_fails_before_training(tmp_path, capsys):
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        fails_fast(["--out", str(folder)], capsys, "not writable")
    finally:
        folder.chmod(0o755)


def test_data_dir_without_mnist_is_refused(tmp_path, capsys):
    fails_fast(["--dataset", "xor", "--data-dir", str(tmp_path), "--out", str(tmp_path / "o")],
               capsys, "--data-dir is for MNIST")


def _damage(folder, how):
    path = folder / (MNIST_FILES["train_images"] + ".gz")
    raw = path.read_bytes()
    if how == "truncated gzip":
        path.write_bytes(raw[: len(raw) // 2])
    elif how == "not gzip at all":
        path.write_bytes(b"\x1f\x8b" + b"garbage" * 20)
    elif how == "empty":
        path.write_bytes(b"")
    elif how == "wrong magic":
        path.write_bytes(gzip.compress(b"\x00\x00\x0d\x03" + gzip.decompress(raw)[4:]))
    elif how == "truncated body":
        path.write_bytes(gzip.compress(gzip.decompress(raw)[:-100]))
    elif how == "trailing bytes":
        path.write_bytes(gzip.compress(gzip.decompress(raw) + b"extra"))
    elif how == "a folder":
        path.unlink()
        path.mkdir()
    elif how == "huge header":
        path.write_bytes(gzip.compress(struct.pack(">HBBIII", 0, 8, 3, 2**31, 28, 28)))
    elif how == "label count":
        label = folder / (MNIST_FILES["train_labels"] + ".gz")
        label.write_bytes(gzip.compress(idx_bytes(np.zeros(7))))
    elif how == "label 12":
        label = folder / (MNIST_FILES["train_labels"] + ".gz")
        label.write_bytes(gzip.compress(idx_bytes(np.full(20, 12))))
    return path


@pytest.mark.parametrize("how", ["truncated gzip", "not gzip at all", "empty", "wrong magic",
                                 "truncated body", "trailing bytes", "a folder", "huge header",
                                 "label count", "label 12"])
def test_damaged_mnist_files_are_one_line_errors_naming_the_file(how, tmp_path, capsys):
    folder = mnist_folder(tmp_path / "mnist")
    _damage(folder, how)
    fails_fast(["--dataset", "mnist", "--data-dir", str(folder), "--out", str(tmp_path / "o")],
               capsys, "train-")


def test_images_that_are_not_28_by_28_are_refused(tmp_path, capsys):
    folder = mnist_folder(tmp_path / "mnist", image_shape=(27, 27))
    fails_fast(["--dataset", "mnist", "--data-dir", str(folder), "--out", str(tmp_path / "o")],
               capsys, "28 x 28")


def test_a_gz_name_holding_plain_bytes_is_read_by_its_content(tmp_path):
    path = tmp_path / "plain.gz"
    path.write_bytes(idx_bytes(np.arange(12).reshape(3, 4)))
    np.testing.assert_array_equal(read_idx(str(path)), np.arange(12).reshape(3, 4))


def test_a_gzip_bomb_is_refused_after_reading_its_header_only(tmp_path):
    path = tmp_path / "bomb.gz"
    with gzip.open(path, "wb") as f:  # a header promising 2**31 bytes, then a few zeros
        f.write(struct.pack(">HBBI", 0, 8, 1, 2**31) + bytes(10**6))
    with pytest.raises(ValueError, match="more than the"):
        read_idx(str(path))


def _children(pid):
    found = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    return {int(line) for line in found.split()}


def _alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"  # a zombie is dead
    except FileNotFoundError:
        return False


def _maps_torch(pid):
    try:
        with open(f"/proc/{pid}/maps") as f:
            return "libtorch" in f.read()
    except FileNotFoundError:
        return False


@pytest.mark.parametrize("moment", ["while the libraries load"])  # the fits: test_commands
@pytest.mark.slow  # starts the report and interrupts it: 1 s
def test_ctrl_c_stops_at_once_with_130_and_leaves_no_report_and_no_worker(tmp_path, moment):
    out = tmp_path / "report"
    process = subprocess.Popen(
        [sys.executable, "-m", "comparisons", "--quick", "--jobs", "2", "--out", str(out)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        # as typed in a terminal: a shell that starts a command in the background (CI's may)
        # passes SIGINT on as ignored, and Python then rightly never raises KeyboardInterrupt
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    err = bytearray()
    reader = threading.Thread(target=lambda: [err.extend(chunk) for chunk in
                                              iter(lambda: process.stderr.read1(4096), b"")])
    reader.start()
    workers = set()
    deadline = time.monotonic() + 240
    if moment == "while the libraries load":  # torch loading, inside comparisons' import
        while time.monotonic() < deadline and not _maps_torch(process.pid):
            time.sleep(0.01)
    else:  # the progress bar says fits run, and the two worker processes exist
        while time.monotonic() < deadline and not (b": fitting" in err and len(workers) >= 2):
            time.sleep(0.2)
            workers = {pid for child in _children(process.pid)
                       for pid in [child, *_children(child)]}
        assert len(workers) >= 2, bytes(err).decode()
        time.sleep(1)
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=30)
    finally:
        process.kill()
    process.stdout.close()
    reader.join(timeout=30)
    text = bytes(err).decode()
    assert process.returncode == 130, text
    assert "interrupted; no report was written" in text and "Traceback" not in text
    assert not out.exists() or list(out.iterdir()) == []  # no report, no temporary folder
    for _ in range(50):  # every worker gone within a few seconds
        if not any(_alive(pid) for pid in workers):
            break
        time.sleep(0.1)
    assert not any(_alive(pid) for pid in workers)


def _without_timings(value):
    if isinstance(value, dict):
        return {k: _without_timings(v) for k, v in value.items()
                if "seconds" not in k and k not in ("created", "command", "jobs")
                and k not in ("ratio", "ratio_quartiles")}  # reverse_vs_forward's time ratio
    if isinstance(value, list):
        return [_without_timings(v) for v in value]
    return value


@pytest.mark.slow  # runs the report's experiments twice: 25 s
def test_results_are_bit_identical_for_any_number_of_jobs(tmp_path, monkeypatch):
    import comparisons.run

    # the results alone are compared: the figures drawn from them are left out (40 s)
    monkeypatch.setattr(comparisons.run, "make_figures", lambda *args: {})
    results = []
    for jobs in ("1", "2"):
        out = tmp_path / f"jobs{jobs}"
        assert main(["--dataset", "digits", "--quick", "--seeds", "2", "--quiet",
                     "--jobs", jobs, "--out", str(out)]) == 0
        results.append(json.loads((out / "results.json").read_text()))
    assert results[0]["settings"]["jobs"] == 1 and results[1]["settings"]["jobs"] == 2
    assert _without_timings(results[0]) == _without_timings(results[1])


@pytest.mark.slow  # runs the report: 30 s
def test_a_second_run_replaces_the_report_and_keeps_other_files(xor_report, tmp_path):
    """The second run over conftest.xor_report's folder (its first run, made once a
    session), copied."""
    import shutil

    out = shutil.copytree(xor_report[1], tmp_path / "report")
    first = snapshot(out)
    assert main(["--dataset", "xor", "--quick", "--seeds", "1", "--quiet",
                 "--out", str(out)]) == 0
    second = snapshot(out)
    assert set(second) == set(first)
    assert sorted(p.name for p in out.iterdir()) == [
        "bench.json", "data", "figures", "notes.txt", "report.html", "report.md",
        "results.json"]
    for name in ("notes.txt", "data/raw.csv", "figures/my_plot.png", "bench.json"):
        assert second[name] == first[name], name
    created = [json.loads(files["results.json"])["settings"]["wall_seconds"]
               for files in (first, second)]
    assert created[0] != created[1]  # results.json is the second run's


@pytest.mark.parametrize("n_train,n_test", [(3, 10), (0, 10), (300, 0)])
def test_mnist_files_too_small_for_the_report_are_refused(n_train, n_test, tmp_path, capsys):
    folder = mnist_folder(tmp_path / "mnist", n_train=n_train, n_test=n_test)
    fails_fast(["--dataset", "mnist", "--data-dir", str(folder), "--out", str(tmp_path / "o")],
               capsys, "the report needs at least 200 training images")


def test_an_idx_path_that_is_a_fifo_is_refused_not_read(tmp_path, capsys):
    folder = mnist_folder(tmp_path / "mnist")
    path = folder / (MNIST_FILES["train_images"] + ".gz")
    path.unlink()
    os.mkfifo(path)
    fails_fast(["--dataset", "mnist", "--data-dir", str(folder), "--out", str(tmp_path / "o")],
               capsys, "is not a regular file")
