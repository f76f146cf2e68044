"""Fit scratch and scikit-learn side by side and compare everything they learned."""

import copy
import warnings

import numpy as np
import sklearn.neural_network as sk
from sklearn.exceptions import ConvergenceWarning

import scratch
from reference.twin.torch_estimators import TorchMLPClassifier, TorchMLPRegressor

FITTED = ["coefs_", "intercepts_", "loss_", "loss_curve_", "best_loss_", "validation_scores_",
          "best_validation_score_", "n_iter_", "t_", "n_layers_", "n_outputs_",
          "out_activation_", "n_features_in_"]


OURS = {("scratch", "classifier"): scratch.MLPClassifier,
        ("scratch", "regressor"): scratch.MLPRegressor,
        ("torch", "classifier"): TorchMLPClassifier,
        ("torch", "regressor"): TorchMLPRegressor}


def twin(kind, framework="scratch", **params):
    """(our estimator, scikit-learn's) with equal parameters; ``framework`` is "scratch" or
    "torch" (the torch twin). A RandomState instance is copied, so each consumes its own."""
    ours, theirs = copy.deepcopy(params), copy.deepcopy(params)
    sklearn_cls = sk.MLPClassifier if kind == "classifier" else sk.MLPRegressor
    return OURS[framework, kind](**ours), sklearn_cls(**theirs)


def quiet_fit(model, *args, **kwargs):
    """model.fit(*args, **kwargs) without its ConvergenceWarning (short fits on purpose)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model.fit(*args, **kwargs)


def call(method, *args, **kwargs):
    """Run method(*args), returning (result or exception, [(category, message)] warned)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = method(*args, **kwargs)
        except Exception as error:  # noqa: BLE001 - the twins must fail alike too
            result = error
    return result, [(w.category, str(w.message)) for w in caught]


def max_abs_difference(a, b):
    return max(float(np.max(np.abs(np.asarray(x) - np.asarray(y)))) for x, y in zip(a, b))


def assert_same_state(ours, theirs, atol):
    """Every fitted attribute scikit-learn has, we have, equal to ``atol``."""
    for name in FITTED:
        assert hasattr(ours, name) == hasattr(theirs, name), name
        if not hasattr(theirs, name):
            continue
        a, b = getattr(ours, name), getattr(theirs, name)
        if name in ("coefs_", "intercepts_"):
            assert [x.shape for x in a] == [y.shape for y in b], name
            assert [x.dtype for x in a] == [y.dtype for y in b], name
            assert max_abs_difference(a, b) <= atol, (name, max_abs_difference(a, b))
        elif name in ("loss_curve_", "validation_scores_") and b is not None:
            assert len(a) == len(b), (name, len(a), len(b))
            assert np.allclose(a, b, rtol=0, atol=atol), name
        elif isinstance(b, float) and b is not None and np.isfinite(b):
            assert abs(a - b) <= atol, (name, a, b)
        else:
            assert a == b or (a is None and b is None), (name, a, b)
    if hasattr(theirs, "classes_"):
        np.testing.assert_array_equal(ours.classes_, theirs.classes_)


def fit_twins(kind, X, y, steps=(("fit", {}),), atol=1e-9, expect_error=None,
              framework="scratch", **params):
    """Apply the same sequence of (method, kwargs) calls to both twins, comparing the
    results, the warnings and the fitted state after every call. Returns the twins.
    A call may fail only if ``expect_error`` names the exception type; both must then fail
    with it."""
    ours, theirs = twin(kind, framework, **params)
    for method, kwargs in steps:
        kwargs = dict(kwargs)
        set_params = kwargs.pop("set_params", {})
        ours.set_params(**set_params)
        theirs.set_params(**set_params)
        data = kwargs.pop("data", (X, y))
        a, warned_a = call(getattr(ours, method), *data, **kwargs)
        b, warned_b = call(getattr(theirs, method), *data, **kwargs)
        if isinstance(b, Exception):
            assert expect_error is not None and isinstance(b, expect_error), b
            assert type(a) is type(b), (a, b)
            continue
        assert not isinstance(a, Exception), a
        assert [w[0] for w in warned_a] == [w[0] for w in warned_b], (warned_a, warned_b)
        assert [w[1] for w in warned_a] == [w[1] for w in warned_b]
        assert_same_state(ours, theirs, atol)
    return ours, theirs
