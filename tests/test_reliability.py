"""Bad input gets a clear error and loses nothing; numbers stay finite; fits repeat exactly.
(Model files: tests/test_model_files.py.)"""

import subprocess
import sys
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from sklearn.exceptions import NotFittedError

import scratch
from reference import TorchMLPClassifier, TorchMLPRegressor
from reference.checking.gradients import assert_same_gradients, scratch_gradients, torch_gradients
from scratch.layers.initialization import glorot_uniform
from scratch.layers.losses import LogisticLoss, PoissonLoss, SoftmaxCrossEntropy, SquaredError
from tests.datasets import digits, task_data
from tests.twins import quiet_fit

CLASSIFIERS = [scratch.MLPClassifier, TorchMLPClassifier]
REGRESSORS = [scratch.MLPRegressor, TorchMLPRegressor]


# --- bad input -------------------------------------------------------------------------------

@pytest.mark.parametrize("cls", CLASSIFIERS + REGRESSORS)
@pytest.mark.parametrize("layout", ["C", "F", "float32", "sparse", "list"])
def test_callers_data_is_never_modified(cls, layout):
    X, y = task_data("multiclass", np.random.default_rng(0), n=40)
    Xc = {"C": X.copy(), "F": np.asfortranarray(X), "float32": X.astype(np.float32),
          "sparse": sp.csr_matrix(X), "list": X.tolist()}[layout]
    y = y.astype(float) if cls in REGRESSORS else y
    sw = np.linspace(0.5, 2, len(X))
    before = (Xc.copy() if not isinstance(Xc, list) else [r[:] for r in Xc], y.copy(), sw.copy())
    model = cls(hidden_layer_sizes=(4,), max_iter=3, random_state=0)
    quiet_fit(model, Xc, y, sample_weight=sw)
    model.predict(Xc)
    if hasattr(model, "partial_fit"):
        model.partial_fit(Xc, y, sample_weight=sw)
    after = (Xc, y, sw)
    for a, b in zip(before, after):
        a = a.toarray() if sp.issparse(a) else np.asarray(a)
        b = b.toarray() if sp.issparse(b) else np.asarray(b)
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("cls", CLASSIFIERS + REGRESSORS)
def test_unusual_bad_input_gets_clear_errors(cls):
    X, y = task_data("multiclass", np.random.default_rng(0), n=30)
    y = y.astype(float) if cls in REGRESSORS else y
    cases = [
        (lambda: cls().fit(X, y, sample_weight=np.zeros(len(X))), ValueError, "weight"),
        (lambda: cls().fit(X, y, sample_weight=np.ones(5)), ValueError, "sample_weight"),
        (lambda: cls().fit(X + 1j, y), ValueError, "omplex"),
        (lambda: cls(hidden_layer_sizes=("a",)).fit(X, y), TypeError, "hidden_layer_sizes"),
        (lambda: cls(hidden_layer_sizes=(2.5,)).fit(X, y), ValueError, "hidden_layer_sizes"),
        (lambda: cls(hidden_layer_sizes=(3, 0)).fit(X, y), ValueError, "must be > 0"),
        (lambda: cls(conventions="keras").fit(X, y), ValueError, "conventions"),
        (lambda: cls(dropout=1.0).fit(X, y), ValueError, "dropout"),
        (lambda: cls(early_stopping=True, validation_fraction=0.01).fit(X[:10], y[:10]),
         ValueError, "validation set is too small"),
        (lambda: cls().predict(X), NotFittedError, "not fitted"),
    ]
    for make, error, words in cases:
        with pytest.raises(error, match=words):
            make()


def test_classifier_refuses_continuous_targets_and_regressor_refuses_nan():
    X, y = task_data("regression", np.random.default_rng(0), n=30)
    with pytest.raises(ValueError, match="Unknown label type"):
        scratch.MLPClassifier().fit(X, y)
    with pytest.raises(ValueError, match="NaN"):
        scratch.MLPRegressor().fit(X, np.where(y > 0, np.nan, y))
    with pytest.raises(ValueError, match="y >= 0"):
        scratch.MLPRegressor(loss="poisson").fit(X, y)


@pytest.mark.parametrize("cls", REGRESSORS)
@pytest.mark.parametrize("solver", ["sgd", "adam", "lbfgs"])
def test_divergence_stops_with_a_clear_error_and_no_fitted_model(cls, solver):
    X, y = task_data("regression", np.random.default_rng(0), n=40)
    model = cls(solver=solver, learning_rate_init=1e3, max_iter=50, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        with pytest.raises(ValueError, match="diverged|overflows|non-finite"):
            quiet_fit(model, X * 1e200, y * 1e200)
    with pytest.raises(NotFittedError):
        model.predict(X)


def test_keyboard_interrupt_keeps_the_model_with_a_warning_as_sklearn_does(monkeypatch):
    X, y = digits(100)
    model = scratch.MLPClassifier((5,), max_iter=50, random_state=0)
    calls = {"n": 0}
    original = scratch.estimators.base.BaseMLP._update_no_improvement_count

    def interrupt_on_third_epoch(self, validation):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt
        return original(self, validation)

    monkeypatch.setattr(scratch.estimators.base.BaseMLP, "_update_no_improvement_count",
                        interrupt_on_third_epoch)
    with pytest.warns(UserWarning, match="interrupted"):
        model.fit(X, y)
    assert model.n_iter_ == 3 and np.isfinite(model.coefs_[0]).all()


# --- numerical stability -----------------------------------------------------------------------

@pytest.mark.parametrize("loss,y", [
    (SoftmaxCrossEntropy(), np.eye(3)[[0, 1, 2, 0]]),
    (LogisticLoss(), np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [0.0, 0.0]])),
    (SquaredError(), np.ones((4, 2))),
    (LogisticLoss(reduction="torch"), np.array([[1.0], [0.0], [1.0], [0.0]])),
    (SquaredError(reduction="torch"), np.ones((4, 1))),
])
def test_logits_of_plus_minus_1e4_give_finite_loss_and_gradient(loss, y):
    z = np.tile(np.array([[1e4], [-1e4], [1e4], [-1e4]]), (1, y.shape[1]))
    z[:, 0] *= -1
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        p = loss.forward(z.copy())
        value = loss.loss(y, p)
        delta = loss.backward(y, p)
    assert np.isfinite(value) and np.isfinite(delta).all()


def test_poisson_is_finite_for_very_negative_logits_and_reports_overflow_above():
    """exp(z) itself overflows for z > 709: the loss is then genuinely infinite."""
    loss, y = PoissonLoss(), np.array([[0.0], [2.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        p = loss.forward(np.array([[-1e4], [3.0]]))
        assert np.isfinite(loss.loss(y[:1], p[:1])) and np.isfinite(loss.backward(y, p)).all()


def test_extreme_hidden_preactivations_stay_finite_without_warnings():
    X = np.array([[1e4, -1e4], [-1e4, 1e4], [0.0, 0.0]])
    Y = np.eye(3)
    for activation in ("logistic", "tanh", "relu", "identity", "leaky_relu"):
        coefs, intercepts = glorot_uniform([2, 4, 3], activation, np.random.RandomState(0))
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            loss, grads_W, grads_b = scratch_gradients(
                coefs, intercepts, X, Y, activation=activation, out_activation="softmax",
                alpha=0.1)
        assert np.isfinite(loss) and all(np.isfinite(g).all() for g in grads_W + grads_b)


@settings(max_examples=60, deadline=None, derandomize=True)
@given(n=st.integers(1, 12), n_features=st.integers(1, 6),
       hidden=st.lists(st.integers(1, 6), min_size=0, max_size=3),
       n_outputs=st.integers(1, 4),
       activation=st.sampled_from(["identity", "logistic", "tanh", "relu", "leaky_relu"]),
       out_activation=st.sampled_from(["softmax", "logistic", "identity", "exp"]),
       alpha=st.floats(0, 10), seed=st.integers(0, 2**16),
       dtype=st.sampled_from([np.float64, np.float32]))
def test_property_backprop_equals_torch_autograd(n, n_features, hidden, n_outputs, activation,
                                                 out_activation, alpha, seed, dtype):
    rng = np.random.default_rng(seed)
    if out_activation == "softmax":
        n_outputs = max(n_outputs, 2)
        Y = np.eye(n_outputs)[rng.integers(0, n_outputs, n)]
    elif out_activation == "logistic":
        Y = (rng.uniform(size=(n, n_outputs)) > 0.5) * 1.0
    elif out_activation == "exp":
        Y = rng.poisson(1.0, size=(n, n_outputs)) * 1.0
    else:
        Y = rng.normal(size=(n, n_outputs))
    X = rng.normal(size=(n, n_features))
    units = [n_features, *hidden, n_outputs]
    coefs, intercepts = glorot_uniform(units, activation, np.random.RandomState(seed), dtype)
    if activation in ("relu", "leaky_relu"):
        # at a kink the derivative jumps: a pre-activation within float32 round-off of 0 may
        # fall on either side in two precisions, so such draws say nothing about backprop
        h = X
        for W, b in zip(coefs[:-1], intercepts[:-1]):
            z = h @ W.astype(np.float64) + b
            assume(np.all(np.abs(z) > 1e-3))
            h = np.maximum(z, 0) if activation == "relu" else np.maximum(z, 0.05 * z)
    kw = dict(activation=activation, out_activation=out_activation, alpha=alpha,
              negative_slope=0.05)
    theirs = torch_gradients([c.astype(np.float64) for c in coefs],
                             [b.astype(np.float64) for b in intercepts], X, Y, **kw)
    ours = scratch_gradients(coefs, intercepts, X.astype(dtype), Y.astype(dtype), **kw)
    assert all(g.dtype == dtype for g in ours[1] + ours[2])
    if out_activation == "identity" and n_outputs > 1:
        theirs = (theirs[0] / n_outputs, *theirs[1:])  # scikit-learn's reported value
    assert_same_gradients(ours, theirs, 1e-10 if dtype == np.float64 else 1e-4)


# --- determinism -------------------------------------------------------------------------------

FIT_SCRIPT = """
import sys, warnings, hashlib
import numpy as np
warnings.simplefilter("ignore")
sys.path.insert(0, {root!r})
import scratch
from reference import TorchMLPClassifier
from tests.datasets import digits
X, y = digits(200)
make = {{"scratch": lambda: scratch.MLPClassifier((16,), max_iter=8, random_state=5,
                                                  dropout=0.2),
        "torch": lambda: TorchMLPClassifier((16,), max_iter=8, random_state=5, dropout=0.2),
        "torch_native": lambda: TorchMLPClassifier((16,), max_iter=8, random_state=5,
                                                   dropout=0.2, conventions="torch")}}
for name in sys.argv[1:]:
    model = make[name]().fit(X, y)
    print(name, hashlib.sha256(b"".join(w.tobytes() for w in model.coefs_ + model.intercepts_))
          .hexdigest())
"""
FRAMEWORKS = ["scratch", "torch", "torch_native"]


@pytest.fixture(scope="module")
def weights_in_fresh_processes(tmp_path_factory) -> list[dict[str, str]]:
    """Each framework's weights (a hash) after a fit in each of three fresh processes, which
    fit the three frameworks in turn, each process starting with another one (so each is
    also fitted first in a fresh process): framework -> hash, per process."""
    import pathlib

    root = str(pathlib.Path(__file__).resolve().parents[1])
    script = tmp_path_factory.mktemp("fits") / "fit.py"
    script.write_text(FIT_SCRIPT.format(root=root))
    found = []
    for first in range(len(FRAMEWORKS)):
        order = FRAMEWORKS[first:] + FRAMEWORKS[:first]
        out = subprocess.run([sys.executable, str(script), *order], capture_output=True,
                             text=True, check=True, cwd=root).stdout
        found.append(dict(line.split() for line in out.splitlines()))
    return found


@pytest.mark.parametrize("framework", FRAMEWORKS)
@pytest.mark.slow  # fits in three fresh processes, once for its 3: 15 s
def test_same_random_state_gives_bit_identical_weights_across_processes(
        framework, weights_in_fresh_processes):
    hashes = {fits[framework] for fits in weights_in_fresh_processes}
    assert len(hashes) == 1 and len(next(iter(hashes))) == 64


@pytest.mark.parametrize("conventions", ["sklearn", "torch"])
@pytest.mark.parametrize("cls", [scratch.MLPClassifier, TorchMLPClassifier])
def test_repeated_fits_in_one_process_are_bit_identical(cls, conventions):
    X, y = digits(150)
    fits = [quiet_fit(cls((12,), max_iter=6, random_state=2, dropout=0.1,
                          conventions=conventions), X, y) for _ in range(2)]
    for a, b in zip(fits[0].coefs_ + fits[0].intercepts_, fits[1].coefs_ + fits[1].intercepts_):
        np.testing.assert_array_equal(a, b)


# --- the twin under torch's no-grad modes; negative sample weights ----------------------------

@pytest.mark.parametrize("mode", ["no_grad", "inference_mode"])
@pytest.mark.parametrize("solver", ["adam", "sgd", "lbfgs"])
def test_the_twin_fits_under_torchs_no_grad_modes_as_it_does_outside(mode, solver):
    import torch

    from reference import TorchMLPClassifier

    X = np.random.default_rng(0).normal(size=(30, 3))
    y = (X[:, 0] > 0).astype(int)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        outside = TorchMLPClassifier(max_iter=5, random_state=0, solver=solver).fit(X, y)
        with getattr(torch, mode)():
            inside = TorchMLPClassifier(max_iter=5, random_state=0, solver=solver).fit(X, y)
            if solver != "lbfgs":
                inside.partial_fit(X, y)
                outside.partial_fit(X, y)
            proba = inside.predict_proba(X)
    np.testing.assert_array_equal(proba, outside.predict_proba(X))


@pytest.mark.parametrize("weights", ["one negative", "all negative", "a large negative"])
@pytest.mark.parametrize("loss,solver", [("squared_error", "adam"), ("squared_error", "lbfgs"),
                                         ("poisson", "sgd"), ("poisson", "lbfgs")])
def test_negative_sample_weights_behave_alike_in_scratch_and_the_twin(weights, loss, solver):
    """scikit-learn accepts negative sample weights (its MLPs do not refuse them), so the
    twins accept them too; where the objective then overflows, both say so the same way."""
    from reference import TorchMLPRegressor

    rng = np.random.default_rng(0)
    X = rng.normal(size=(30, 3))
    y = np.abs(X[:, 0])
    w = {"one negative": np.r_[-1.0, np.ones(29)], "all negative": -np.ones(30),
         "a large negative": np.r_[-1e3, np.ones(29)]}[weights]
    outcomes = []
    for cls in (scratch.MLPRegressor, TorchMLPRegressor):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                cls(max_iter=50, solver=solver, loss=loss, random_state=0).fit(
                    X, y, sample_weight=w)
                outcomes.append("fits")
            except ValueError as error:
                outcomes.append(str(error).split(":")[0])
    assert outcomes[0] == outcomes[1], outcomes
