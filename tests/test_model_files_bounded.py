"""Model files stay bounded in use, not only in loading: a small file whose header or array
shapes promise huge predictions (thousands of labels, labels millions of characters long, a
layer millions of units wide) is refused, or loads and predicts on 100 rows within a few
hundred MB (measured in a fresh process); only regular files are opened; save keeps the
destination's permissions and the first error; max_bytes is checked."""

import io
import json
import os
import resource
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

import scratch
from scratch.files import persistence
from tests.datasets import task_data
from tests.twins import quiet_fit

ROOT = Path(__file__).resolve().parents[1]


def _npy(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


def _template(tmp_path: Path, task: str = "multiclass") -> dict:
    X, y = task_data(task, np.random.default_rng(0), n=40)
    model = quiet_fit(scratch.MLPClassifier(hidden_layer_sizes=(3,), max_iter=2), X, y)
    model.save(tmp_path / "template.npz")
    with zipfile.ZipFile(tmp_path / "template.npz") as z:
        return json.loads(str(np.load(io.BytesIO(z.read("header.npy")))))


def craft(path: Path, header: dict, arrays: dict[str, np.ndarray]) -> Path:
    """A model file with this header and these arrays, deflated (zeros shrink to nothing)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("header.npy", _npy(np.array(json.dumps(header))))
        for name, array in arrays.items():
            z.writestr(f"{name}.npy", _npy(array))
    return path


def _wide(tmp_path: Path, width: int, n_in: int = 1, dtype: type = np.float32) -> Path:
    header = _template(tmp_path)
    header.pop("optimizer", None)
    header.update(n_layers=2, n_features_in=n_in, n_outputs=3, label_type="multiclass")
    header["params"]["hidden_layer_sizes"] = [width]
    return craft(tmp_path / "wide.npz", header, {
        "coef_0": np.zeros((n_in, width), dtype), "intercept_0": np.zeros(width, dtype),
        "coef_1": np.zeros((width, 3), dtype), "intercept_1": np.zeros(3, dtype),
        "classes": np.arange(3)})


def _multilabel(tmp_path: Path, labels: int) -> Path:
    header = _template(tmp_path, "multilabel")
    header.pop("optimizer", None)
    header.update(n_layers=1, n_features_in=2, n_outputs=labels)
    header["params"]["hidden_layer_sizes"] = []
    return craft(tmp_path / "labels.npz", header, {
        "coef_0": np.zeros((2, labels)), "intercept_0": np.zeros(labels),
        "classes": np.arange(labels)})


def _long_labels(tmp_path: Path, chars: int) -> Path:
    header = _template(tmp_path)
    header.pop("optimizer", None)
    header.update(n_layers=1, n_features_in=2, n_outputs=3, label_type="multiclass")
    header["params"]["hidden_layer_sizes"] = []
    labels = np.array(["a" * chars, "b" * chars, "c"], dtype=f"<U{chars}")
    return craft(tmp_path / "long.npz", header, {
        "coef_0": np.zeros((2, 3)), "intercept_0": np.zeros(3), "classes": labels})


USE = """
import resource, sys, numpy as np, scratch
model = scratch.MLPClassifier.load(sys.argv[1])
model.predict(np.zeros((100, model.n_features_in_)))
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def _peak_mb(path: Path) -> tuple[int, float, str]:
    """(exit status, the peak resident MB of loading and predicting on 100 rows in a fresh
    process beyond importing, stderr)."""
    base = subprocess.run([sys.executable, "-c", "import resource, numpy, scratch; print("
                           "resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"],
                          capture_output=True, text=True, timeout=300)
    done = subprocess.run([sys.executable, "-c", USE, str(path)], capture_output=True,
                          text=True, timeout=300)
    if done.returncode:
        return done.returncode, 0.0, done.stderr
    return 0, (int(done.stdout) - int(base.stdout)) / 1024, done.stderr


@pytest.mark.parametrize("make,refusal", [
    (lambda d: _wide(d, 5_000_000), "bytes"),
    (lambda d: _wide(d, 31_000, n_in=1000), "more than the budget"),
    (lambda d: _long_labels(d, 2_000_001), "characters long"),
    (lambda d: _multilabel(d, 40_000), "bytes per row"),
    (lambda d: _multilabel(d, 8_000), "bytes per row"),
])
def test_a_small_file_promising_a_huge_prediction_is_refused(make, refusal, tmp_path):
    path = make(tmp_path)
    assert path.stat().st_size < 1_000_000
    with pytest.raises(ValueError, match=refusal) as error:
        scratch.MLPClassifier.load(path)
    assert str(path) in str(error.value)
    assert refusal == "characters long" or "max_bytes" in str(error.value)


@pytest.mark.parametrize("make", [lambda d: _multilabel(d, 3_000),
                                  lambda d: _wide(d, 7_000),
                                  lambda d: _wide(d, 7_000, n_in=1000, dtype=np.float64),
                                  lambda d: _wide(d, 7_000, n_in=1000),
                                  lambda d: _long_labels(d, 1_000)])
@pytest.mark.slow  # loads and predicts with files near the memory bound: 3 s at most, 13 s for its
def test_a_small_file_that_loads_predicts_within_a_few_hundred_mb(make, tmp_path):
    path = make(tmp_path)
    assert path.stat().st_size < 1_000_000
    status, peak, err = _peak_mb(path)
    assert status == 0, err
    assert peak < 300, f"{peak:.0f} MB"


@pytest.mark.parametrize("target", ["/dev/zero", "fifo"])
def test_only_a_regular_file_is_opened(target, tmp_path):
    link = tmp_path / "model.npz"
    if target == "fifo":
        os.mkfifo(link)
    else:
        link.symlink_to(target)
    with pytest.raises(ValueError, match="not a regular file"):
        scratch.MLPClassifier.load(link)


@pytest.mark.parametrize("max_bytes,error", [("1e9", TypeError), (1.5e9, TypeError),
                                             (True, TypeError), (0, ValueError),
                                             (-5, ValueError)])
def test_max_bytes_is_checked(max_bytes, error, tmp_path):
    X, y = task_data("multiclass", np.random.default_rng(0), n=40)
    model = quiet_fit(scratch.MLPClassifier(hidden_layer_sizes=(3,), max_iter=2), X, y)
    model.save(tmp_path / "m.npz")
    with pytest.raises(error, match="max_bytes"):
        scratch.MLPClassifier.load(tmp_path / "m.npz", max_bytes=max_bytes)


def _model():
    X, y = task_data("multiclass", np.random.default_rng(0), n=40)
    return quiet_fit(scratch.MLPClassifier(hidden_layer_sizes=(3,), max_iter=2), X, y)


def test_save_keeps_a_private_files_mode_and_follows_the_umask(tmp_path):
    model = _model()
    private = tmp_path / "private.npz"
    model.save(private)
    private.chmod(0o600)
    model.save(private)
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    old = os.umask(0o077)
    try:
        model.save(tmp_path / "new.npz")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "new.npz").stat().st_mode) == 0o600
    old = os.umask(0o022)
    try:
        model.save(tmp_path / "shared.npz")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "shared.npz").stat().st_mode) == 0o644


def test_the_first_error_survives_a_failed_cleanup(tmp_path, monkeypatch):
    model = _model()
    folder = tmp_path / "gone"
    folder.mkdir()

    def vanish(*args, **kwargs):  # the folder disappears mid-save
        for child in folder.iterdir():
            child.unlink()
        folder.rmdir()
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(persistence.os, "replace", vanish)
    with pytest.raises(OSError, match="No space left on device"):
        model.save(folder / "m.npz")


def test_the_resource_module_reports_kilobytes():
    """ru_maxrss is in kilobytes on Linux, as _peak_mb reads it."""
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss > 10_000


def test_many_labels_load_without_a_square_matrix_of_them(tmp_path):
    """8,000 multilabel outputs once cost an 8,000 x 8,000 matrix (512 MB) at load."""
    import tracemalloc

    path = _multilabel(tmp_path, 8_000)
    tracemalloc.start()
    try:
        model = scratch.MLPClassifier.load(path, max_bytes=2**28)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert list(model.classes_) == list(range(8_000))
    assert peak < 16 * 2**20, f"{peak / 2**20:.0f} MB"


def test_save_writes_through_a_link_and_refuses_what_is_not_a_file(tmp_path):
    model = _model()
    target, link = tmp_path / "target.npz", tmp_path / "link.npz"
    target.write_bytes(b"old")
    link.symlink_to(target)
    model.save(link)
    assert link.is_symlink() and scratch.MLPClassifier.load(target).n_features_in_ == \
        model.n_features_in_
    os.mkfifo(tmp_path / "fifo.npz")
    (tmp_path / "folder.npz").mkdir()
    for bad, words in (("fifo.npz", "not a regular file"), ("folder.npz", "a folder")):
        with pytest.raises(ValueError, match=words) as error:
            model.save(tmp_path / bad)
        assert bad in str(error.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fifo.npz", "folder.npz", "link.npz",
                                                          "target.npz"]


def test_save_never_copies_a_setuid_bit(tmp_path):
    model = _model()
    path = tmp_path / "m.npz"
    model.save(path)
    path.chmod(0o4755)
    model.save(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o755
