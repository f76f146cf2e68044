"""Model files: round trips between the twins, saves that cannot destroy a good file, loads
that trust nothing (malformed, lying, oversized or self-contradicting archives are refused
with a ValueError within a small memory budget), and loaded models that train on."""

import io
import json
import os
import tracemalloc
import warnings
import zipfile

import numpy as np
import pandas as pd
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.exceptions import NotFittedError

import scratch
from reference import TorchMLPClassifier, TorchMLPRegressor
from scratch.files.persistence import FORMAT
from tests.datasets import task_data
from tests.twins import quiet_fit

CLASSIFIERS = [scratch.MLPClassifier, TorchMLPClassifier]
REGRESSORS = [scratch.MLPRegressor, TorchMLPRegressor]



def fitted(cls, task="multiclass", **params):
    X, y = task_data(task, np.random.default_rng(0), n=40)
    if cls in REGRESSORS:
        y = y.astype(float)
    return quiet_fit(cls(hidden_layer_sizes=(5, 3), max_iter=5, random_state=0, **params),
                     X, y), X


@pytest.mark.parametrize("target", CLASSIFIERS)
@pytest.mark.parametrize("source", CLASSIFIERS)
@pytest.mark.parametrize("task", ["binary", "multiclass", "multilabel"])
def test_classifier_files_round_trip_between_scratch_and_torch(source, target, task, tmp_path):
    model, X = fitted(source, task, activation="tanh")
    model.save(tmp_path / "model.npz")
    loaded = target.load(tmp_path / "model.npz")
    for a, b in zip(loaded.coefs_ + loaded.intercepts_, model.coefs_ + model.intercepts_):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(loaded.predict_proba(X), model.predict_proba(X), atol=1e-12)
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    assert loaded.activation == "tanh" and loaded.loss_curve_ == model.loss_curve_


@pytest.mark.parametrize("cls", REGRESSORS)
def test_regressor_file_round_trip_keeps_dtype_and_loss(cls, tmp_path):
    X, y = task_data("poisson", np.random.default_rng(0), n=40)
    model = quiet_fit(cls(loss="poisson", hidden_layer_sizes=(4,), max_iter=5),
                      X.astype(np.float32), y)
    model.save(tmp_path / "m.npz")
    loaded = REGRESSORS[1 - REGRESSORS.index(cls)].load(tmp_path / "m.npz")
    assert loaded.loss == "poisson" and loaded.coefs_[0].dtype == np.float32
    np.testing.assert_allclose(loaded.predict(X.astype(np.float32)),
                               model.predict(X.astype(np.float32)), rtol=1e-6)


def _rewrite(path, change):
    with np.load(path, allow_pickle=False) as npz:
        arrays = {k: npz[k] for k in npz.files}
    change(arrays)
    with open(path, "wb") as f:
        np.savez(f, **arrays)


def _header(change):
    def apply(arrays):
        header = json.loads(str(arrays["header"]))
        change(header)
        arrays["header"] = np.array(json.dumps(header))
    return apply


MALFORMED = {
    "truncated": lambda p: p.write_bytes(p.read_bytes()[: len(p.read_bytes()) // 2]),
    "not a zip": lambda p: p.write_bytes(b"this is not a model"),
    "future version": lambda p: _rewrite(p, _header(lambda h: h.update(version=99))),
    "other format": lambda p: _rewrite(p, _header(lambda h: h.update(format="keras"))),
    "no header": lambda p: _rewrite(p, lambda a: a.pop("header")),
    "missing layer": lambda p: _rewrite(p, lambda a: a.pop("coef_1")),
    "wrong shape": lambda p: _rewrite(p, lambda a: a.update(coef_1=np.zeros((2, 2)))),
    "nan weights": lambda p: _rewrite(p, lambda a: a.update(intercept_0=a["intercept_0"] * np.nan)),
    "integer weights": lambda p: _rewrite(p, lambda a: a.update(coef_0=a["coef_0"].astype(int))),
    "pickled object": lambda p: _rewrite(p, lambda a: a.update(
        coef_0=np.array([object()], dtype=object))),
}


@pytest.mark.parametrize("damage", MALFORMED)
def test_malformed_files_are_refused_clearly(damage, tmp_path):
    model, _ = fitted(scratch.MLPClassifier)
    path = tmp_path / "model.npz"
    model.save(path)
    try:
        MALFORMED[damage](path)
    except ValueError:  # numpy refuses to even write an object array without pickle
        return
    with pytest.raises(ValueError, match="not a usable model file"):
        scratch.MLPClassifier.load(path)


def test_a_classifier_file_does_not_load_as_a_regressor(tmp_path):
    model, _ = fitted(scratch.MLPClassifier)
    model.save(tmp_path / "c.npz")
    with pytest.raises(ValueError, match="classifier"):
        scratch.MLPRegressor.load(tmp_path / "c.npz")


def test_model_file_holds_no_pickle(tmp_path):
    model, _ = fitted(TorchMLPClassifier, dropout=0.1)
    model.save(tmp_path / "m.npz")
    with zipfile.ZipFile(tmp_path / "m.npz") as z:
        names = z.namelist()
    assert "header.npy" in names
    with np.load(tmp_path / "m.npz", allow_pickle=False) as npz:
        header = json.loads(str(npz["header"]))
    assert header["format"] == FORMAT and header["params"]["dropout"] == 0.1


def test_saving_an_unfitted_model_is_refused(tmp_path):
    with pytest.raises(NotFittedError):
        scratch.MLPClassifier().save(tmp_path / "m.npz")


def test_pickle_still_works():
    import pickle

    model, X = fitted(TorchMLPClassifier)
    again = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(again.predict_proba(X), model.predict_proba(X))


# --- hostile archives: crafted member by member -----------------------------------------------

def raw_members(path):
    with zipfile.ZipFile(path) as z:
        return {info.filename: z.read(info) for info in z.infolist()}


def write_members(path, members, compression=zipfile.ZIP_STORED):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # zipfile warns of duplicate names
        with zipfile.ZipFile(path, "w", compression) as z:
            for name, data in members:
                z.writestr(name, data)


def npy_header(shape, dtype="<f8"):
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        buffer, {"descr": np.lib.format.dtype_to_descr(np.dtype(dtype)),
                 "fortran_order": False, "shape": shape})
    return buffer.getvalue()


def header_member(header):
    buffer = io.BytesIO()
    np.save(buffer, np.array(json.dumps(header)))
    return buffer.getvalue()


def saved(tmp_path, cls=scratch.MLPClassifier, **params):
    model, X = fitted(cls, **params)
    path = tmp_path / "model.npz"
    model.save(path)
    return model, X, path


def edit_header(path, change):
    members = raw_members(path)
    header = json.loads(str(np.load(io.BytesIO(members["header.npy"]))))
    change(header)
    members["header.npy"] = header_member(header)
    write_members(path, members.items())


def refused(path, match="not a usable model file", cls=scratch.MLPClassifier, **kwargs):
    """Load must fail with a ValueError naming the file, using little memory."""
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match=match) as error:
            cls.load(path, **kwargs)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert str(path) in str(error.value)
    assert peak < 64 * 2**20, f"refusing took {peak / 2**20:.0f} MB"
    return str(error.value)


def test_a_member_claiming_terabytes_is_refused_before_anything_is_read(tmp_path):
    _, _, path = saved(tmp_path)
    members = raw_members(path)
    data = members["coef_0.npy"][len(npy_header((5, 5))):]
    members["coef_0.npy"] = npy_header((10**6, 10**6)) + data
    write_members(path, members.items())
    assert "declares" in refused(path)


def test_an_extra_deflated_member_is_refused_without_inflating_it(tmp_path):
    _, _, path = saved(tmp_path)
    members = list(raw_members(path).items())
    bomb = npy_header((100 * 2**20,), "|u1") + bytes(100 * 2**20)  # 100 MB of zeros ...
    write_members(path, members + [("extra.npy", bomb)], zipfile.ZIP_DEFLATED)
    del bomb
    assert os.path.getsize(path) < 2**20  # ... in a file under 1 MB
    assert "unexpected member 'extra'" in refused(path)


def test_a_consistent_but_oversized_model_is_refused_by_the_byte_budget(tmp_path):
    _, _, path = saved(tmp_path)
    members = raw_members(path)
    n_features = 2 * 2**20
    members["coef_0.npy"] = npy_header((n_features, 5)) + bytes(n_features * 5 * 8)  # 80 MB
    write_members(path, members.items(), zipfile.ZIP_DEFLATED)
    edit_header(path, lambda h: h.update(n_features_in=n_features))
    message = refused(path, max_bytes=16 * 2**20)
    assert "budget" in message and "max_bytes" in message


@pytest.mark.parametrize("damage", ["duplicate", "npy", "bzip2", "encrypted", "flipped data",
                                    "short data", "object dtype", "not npy"])
def test_damaged_archives_are_refused_with_the_reason(damage, tmp_path):
    _, _, path = saved(tmp_path)
    members = raw_members(path)
    if damage == "duplicate":
        write_members(path, list(members.items()) + [("coef_0.npy", members["coef_0.npy"])])
    elif damage == "npy":
        np.save(path.with_suffix(""), np.zeros(3))
        os.replace(path.with_suffix(".npy"), path)
    elif damage == "bzip2":
        write_members(path, members.items(), zipfile.ZIP_BZIP2)
    elif damage == "encrypted":
        raw = bytearray(path.read_bytes())
        for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
            at = raw.index(signature)
            raw[at + offset] |= 1
        path.write_bytes(bytes(raw))
    elif damage == "flipped data":
        raw = bytearray(path.read_bytes())
        at = raw.index(members["coef_1.npy"][-16:])
        raw[at] ^= 0x40
        path.write_bytes(bytes(raw))
    elif damage == "short data":
        members["coef_1.npy"] = members["coef_1.npy"][:-8]
        write_members(path, members.items())
    elif damage == "object dtype":
        members["coef_1.npy"] = npy_header((1,), "|O") + b"\x80\x04N."
        write_members(path, members.items())
    elif damage == "not npy":
        members["coef_1.npy"] = b"this is not an array"
        write_members(path, members.items())
    reason = {"duplicate": "same member name twice", "npy": "single .npy array",
              "bzip2": "unsupported compression", "encrypted": "encrypted",
              "flipped data": "damaged", "short data": "declares", "object dtype": "pickle",
              "not npy": "not a readable .npy"}[damage]
    assert reason in refused(path)


HEADER_EDITS = {
    "identity output for a classifier": lambda h: h.update(out_activation="identity"),
    "history entry named like a method": lambda h: h["history"].update(predict=1),
    "unknown activation": lambda h: h["params"].update(activation="swish"),
    "n_layers as a string": lambda h: h.update(n_layers="3"),
    "version true": lambda h: h.update(version=True),
    "future version": lambda h: h.update(version=99),
    "other format": lambda h: h.update(format="keras"),
    "unknown field": lambda h: h.update(author="someone"),
    "hidden sizes that contradict the weights": lambda h: h["params"].update(
        hidden_layer_sizes=[7, 3]),
    "a label type that contradicts the classes": lambda h: h.update(label_type="binary"),
    "loss_curve_ of strings": lambda h: h["history"].update(loss_curve_=["a"]),
    "n_iter_ negative": lambda h: h["history"].update(n_iter_=-1),
    "an optimizer state for another solver": lambda h: h["optimizer"].update(solver="sgd"),
    "a parameter the estimator does not take": lambda h: h["params"].update(colour="red"),
    "a parameter of the wrong type": lambda h: h["params"].update(shuffle="yes"),
    "a header nested too deeply": lambda h: h["history"].update(
        loss_curve_=json.loads("[" * 50 + "]" * 50)),
    "a header nested beyond the parser": lambda h: h["params"].update(
        conventions=json.loads("[" * 900 + "]" * 900)),
    "not an object": lambda h: h.clear(),
}


@pytest.mark.parametrize("edit", HEADER_EDITS)
def test_headers_that_break_the_schema_or_contradict_themselves_are_refused(edit, tmp_path):
    _, _, path = saved(tmp_path)
    edit_header(path, HEADER_EDITS[edit])
    refused(path)


def test_a_header_beyond_the_size_limit_is_refused_unread(tmp_path):
    _, _, path = saved(tmp_path)
    edit_header(path, lambda h: h["history"].update(loss_curve_=[0.5] * 1_200_000))
    assert "at most" in refused(path)


def test_a_regressor_whose_output_contradicts_its_loss_is_refused(tmp_path):
    _, _, path = saved(tmp_path, scratch.MLPRegressor)
    edit_header(path, lambda h: h.update(out_activation="exp"))
    refused(path, cls=scratch.MLPRegressor)


# --- saving never destroys a good file -------------------------------------------------------

def test_a_save_that_fails_leaves_the_previous_file_byte_for_byte(tmp_path, monkeypatch):
    model, _, path = saved(tmp_path)
    before = path.read_bytes()
    model.alpha = object()  # a parameter that cannot be written
    with pytest.raises(ValueError, match="alpha.*cannot be written"):
        model.save(path)
    model.alpha = 1e-4

    def interrupted(f, **arrays):
        f.write(b"half a model")
        raise KeyboardInterrupt

    monkeypatch.setattr(np, "savez", interrupted)
    with pytest.raises(KeyboardInterrupt):
        model.save(path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["model.npz"]  # no temporary file left behind


def test_names_a_numpy_string_array_would_change_are_refused_at_save_time(tmp_path):
    X, y = task_data("binary", np.random.default_rng(0), n=30)
    frame = pd.DataFrame(X, columns=["a", "b\x00c", "日本", "d", "e\x00"])
    model = quiet_fit(scratch.MLPClassifier((3,), max_iter=2), frame, y)
    with pytest.raises(ValueError, match="NUL"):
        model.save(tmp_path / "m.npz")
    assert not os.listdir(tmp_path)
    frame.columns = ["a", "b\x00c", "日本", "d", "e"]
    labels = np.where(y == "yes", "ja\x00nein", "日本")
    model = quiet_fit(scratch.MLPClassifier((3,), max_iter=2), frame, labels)
    model.save(tmp_path / "m.npz")
    loaded = scratch.MLPClassifier.load(tmp_path / "m.npz")
    assert list(loaded.feature_names_in_) == list(frame.columns)
    assert list(loaded.classes_) == list(model.classes_)
    np.testing.assert_array_equal(loaded.predict(frame), model.predict(frame))


def test_numpy_booleans_and_a_torch_device_are_saved_as_plain_values(tmp_path):
    X, y = task_data("multiclass", np.random.default_rng(0), n=30)
    model = quiet_fit(TorchMLPClassifier((3,), max_iter=2, shuffle=np.True_,
                                         early_stopping=np.False_, device=torch.device("cpu")),
                      X, y)
    model.save(tmp_path / "m.npz")
    for cls in CLASSIFIERS:
        loaded = cls.load(tmp_path / "m.npz")
        assert loaded.shuffle is True and loaded.early_stopping is False
        quiet_fit(loaded, X, y)  # the parameters survive a refit


# --- loaded models train on ------------------------------------------------------------------

def _same(a, b, atol=0.0):
    for x, y in zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_):
        np.testing.assert_allclose(x, y, rtol=0, atol=atol)


@pytest.mark.parametrize("solver", ["sgd", "adam"])
@pytest.mark.parametrize("cls", CLASSIFIERS)
def test_partial_fit_on_a_loaded_model_goes_on_exactly_as_on_the_saved_one(cls, solver, tmp_path):
    X, y = task_data("multiclass", np.random.default_rng(0), n=40)
    model = cls((5,), solver=solver, learning_rate="invscaling", learning_rate_init=0.05,
                batch_size=16, random_state=0)
    for _ in range(3):
        model.partial_fit(X, y, classes=np.unique(y))
    model.save(tmp_path / "m.npz")
    loaded = cls.load(tmp_path / "m.npz")
    other = CLASSIFIERS[1 - CLASSIFIERS.index(cls)].load(tmp_path / "m.npz")
    for m in (model, loaded, other):
        for _ in range(2):
            m.partial_fit(X, y)
    _same(loaded, model)
    assert loaded.loss_curve_ == model.loss_curve_ and loaded.t_ == model.t_
    _same(other, model, atol=1e-12)  # the other framework's optimizer, from the same state


@pytest.mark.parametrize("early_stopping", [False, True])
@pytest.mark.parametrize("cls", CLASSIFIERS + REGRESSORS)
def test_a_warm_start_refit_of_a_loaded_model_equals_the_saved_ones(cls, early_stopping,
                                                                   tmp_path):
    X, y = task_data("multiclass", np.random.default_rng(1), n=60)
    y = y.astype(float) if cls in REGRESSORS else y
    model = quiet_fit(cls(hidden_layer_sizes=(5,), max_iter=4, random_state=0, warm_start=True,
                          early_stopping=early_stopping), X, y)
    model.save(tmp_path / "m.npz")
    loaded = cls.load(tmp_path / "m.npz")
    for m in (model, loaded):
        m.set_params(random_state=0)
        quiet_fit(m, X, y)
    _same(loaded, model)
    assert loaded.loss_curve_ == model.loss_curve_
    assert loaded._no_improvement_count == model._no_improvement_count


def test_an_lbfgs_model_loads_and_refits(tmp_path):
    model, X, path = saved(tmp_path, solver="lbfgs")
    loaded = scratch.MLPClassifier.load(path)
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    quiet_fit(loaded.set_params(warm_start=True), *task_data("multiclass",
                                                               np.random.default_rng(0), n=40))


# --- fuzzing: whatever the bytes, a model or a ValueError -------------------------------------

@pytest.fixture(scope="module")
def model_file_bytes(tmp_path_factory):
    model, X = fitted(scratch.MLPClassifier, solver="sgd")
    path = tmp_path_factory.mktemp("fuzz") / "m.npz"
    model.save(path)
    return path.read_bytes(), X


def _json_values():
    scalars = st.one_of(st.none(), st.booleans(), st.integers(-3, 10**6), st.floats(),
                        st.text(max_size=8))
    return st.recursive(scalars, lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=6), inner, max_size=4)),
        max_leaves=12)


@settings(max_examples=150, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
@pytest.mark.slow  # a hypothesis fuzz of model files: 1 s
def test_fuzzed_model_files_give_a_model_or_a_value_error(model_file_bytes, data, tmp_path):
    original, X = model_file_bytes
    raw = bytearray(original)
    mutation = data.draw(st.sampled_from(["truncate", "flip", "header"]))
    path = tmp_path / "fuzzed.npz"
    if mutation == "truncate":
        raw = raw[: data.draw(st.integers(0, len(raw) - 1))]
        path.write_bytes(bytes(raw))
    elif mutation == "flip":
        for _ in range(data.draw(st.integers(1, 4))):
            raw[data.draw(st.integers(0, len(raw) - 1))] ^= data.draw(st.integers(1, 255))
        path.write_bytes(bytes(raw))
    else:
        path.write_bytes(bytes(raw))
        keys = ["format", "version", "kind", "params", "n_layers", "n_features_in",
                "n_outputs", "out_activation", "history", "label_type", "optimizer"]
        key, value = data.draw(st.sampled_from(keys)), data.draw(_json_values())
        edit_header(path, lambda h: h.update({key: value}))
    tracemalloc.start()
    try:
        loaded = scratch.MLPClassifier.load(path)
    except ValueError as error:
        assert "not a usable model file" in str(error)
        return
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert peak < 64 * 2**20
    proba = loaded.predict_proba(X)  # it loaded: then it is a working model
    assert np.isfinite(proba).all() and np.allclose(proba.sum(axis=1), 1)


def test_a_header_nested_beyond_pythons_recursion_limit_is_refused(tmp_path):
    _, _, path = saved(tmp_path)
    members = raw_members(path)
    text = '{"format": "%s", "history": {"loss_curve_": %s}}' % (
        FORMAT, "[" * 100_000 + "]" * 100_000)
    buffer = io.BytesIO()
    np.save(buffer, np.array(text))
    members["header.npy"] = buffer.getvalue()
    write_members(path, members.items())
    assert "nests too deeply" in refused(path)
