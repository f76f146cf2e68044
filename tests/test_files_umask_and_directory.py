"""Model files, adversarially: ``save`` never sets the process's umask (``os.umask(0)``, to
read it, once left a moment in which another thread's new file came out world-writable), and
a zip whose end record declares more members, or a larger central directory, than a model
file can have is refused from that record alone, before ``zipfile`` reads the directory (a
million entries once cost 5.9 s and 459 MB)."""

import os
import stat
import struct
import time
import tracemalloc
import zipfile

import numpy as np
import pytest

import scratch
from scratch.files.safe_npz import SafeNpz, central_directory
from tests.datasets import task_data
from tests.twins import quiet_fit


def _model():
    X, y = task_data("multiclass", np.random.default_rng(0), n=40)
    return quiet_fit(scratch.MLPClassifier(hidden_layer_sizes=(3,), max_iter=2), X, y)


def umask() -> int:
    """The process's umask, read without setting it (Linux 4.7 and later)."""
    with open("/proc/self/status") as f:
        return next(int(line.split()[1], 8) for line in f if line.startswith("Umask:"))


def test_save_never_sets_the_umask_and_a_new_file_follows_it(tmp_path, monkeypatch):
    def refuse(*args):
        raise AssertionError("save called os.umask")

    model = _model()
    monkeypatch.setattr(os, "umask", refuse)
    model.save(tmp_path / "new.npz")
    assert stat.S_IMODE((tmp_path / "new.npz").stat().st_mode) == 0o666 & ~umask()
    (tmp_path / "new.npz").chmod(0o640)
    model.save(tmp_path / "new.npz")
    assert stat.S_IMODE((tmp_path / "new.npz").stat().st_mode) == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["new.npz"]  # no temporary left


def _entry(name: bytes) -> bytes:
    """A minimal central directory entry (stored, empty) named ``name``."""
    return struct.pack("<4s4B4HL2L5H2L", b"PK\x01\x02", 20, 3, 20, 0, 0, 0, 0, 0, 0, 0, 0,
                       len(name), 0, 0, 0, 0, 0, 0) + name


def directory_bomb(path, entries: int, declared: int | None = None) -> None:
    """A file that is only a central directory of ``entries`` entries and ZIP64 end records
    declaring ``declared`` of them (default: all)."""
    directory = b"".join(_entry(f"coef_{i}.npy".encode()) for i in range(entries))
    declared = entries if declared is None else declared
    end64 = struct.pack("<4sQ2H2L4Q", b"PK\x06\x06", 44, 45, 45, 0, 0, declared, declared,
                        len(directory), 0)
    locator = struct.pack("<4sLQL", b"PK\x06\x07", 0, len(directory), 1)
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF,
                      0xFFFFFFFF, 0)
    path.write_bytes(directory + end64 + locator + end)


def _refusal(path) -> tuple[str, float, float]:
    """(the error, seconds, peak MB allocated by Python) of loading ``path``."""
    tracemalloc.start()
    start = time.perf_counter()
    try:
        with pytest.raises(ValueError) as error:
            scratch.MLPClassifier.load(path)
        return (str(error.value), time.perf_counter() - start,
                tracemalloc.get_traced_memory()[1] / 2**20)
    finally:
        tracemalloc.stop()


def test_a_million_declared_members_are_refused_from_the_end_record(tmp_path):
    path = tmp_path / "million.npz"
    directory_bomb(path, 1_000_000)  # 57 MB of directory entries
    assert central_directory(path)[0] == 1_000_000
    message, seconds, peak = _refusal(path)
    assert "declares 1,000,000 members, more than 4,096" in message
    assert seconds < 0.5 and peak < 1, (seconds, peak)


def test_a_directory_larger_than_its_declared_members_need_is_refused_unread(tmp_path):
    """zipfile reads entries until the directory's declared size is used up, whatever count
    the record declares: the size is bounded too."""
    path = tmp_path / "lying.npz"
    directory_bomb(path, 200_000, declared=3)
    message, seconds, peak = _refusal(path)
    assert "central directory declares" in message and "more than 4,096 members need" in message
    assert seconds < 0.5 and peak < 1, (seconds, peak)


def test_a_damaged_zip64_record_is_refused(tmp_path):
    path = tmp_path / "damaged.npz"
    directory_bomb(path, 3)
    raw = bytearray(path.read_bytes())
    at = raw.rindex(b"PK\x06\x06")
    raw[at:at + 4] = b"XXXX"
    path.write_bytes(bytes(raw))
    with pytest.raises(ValueError, match="ZIP64 end record is missing or damaged"):
        scratch.MLPClassifier.load(path)


def test_a_model_file_with_a_zip_comment_still_loads(tmp_path):
    model, path = _model(), tmp_path / "m.npz"
    model.save(path)
    with zipfile.ZipFile(path, "a") as z:
        z.comment = b"a comment of 60,000 bytes " + b"x" * 59_974
    with SafeNpz(path, r".*") as npz:
        assert "coef_0" in npz.members
    assert np.array_equal(scratch.MLPClassifier.load(path).coefs_[0], model.coefs_[0])
