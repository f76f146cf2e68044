"""scikit-learn's own MLP tests, run unchanged against both twins.

The installed ``sklearn/neural_network/tests/test_mlp.py`` is imported twice, once with
``scratch.MLPClassifier``/``MLPRegressor`` and once with the torch twins standing in for
scikit-learn's classes (swapped into ``sklearn.neural_network`` while the module is imported,
so its module-level names and its ``parametrize`` lists hold ours). Every test function of it
becomes a test here, named ``test_<twin>__<its name>``: scikit-learn's public behaviour is
the twins' promise.

A few of its tests reach into scikit-learn's private attributes; they are listed in
``PRIVATE`` with what they read, and they pass too, because the twins keep those names
(``_optimizer.learning_rate``, ``_no_improvement_count``) or offer a thin adapter
(``_loss_grad_lbfgs``).
"""

import importlib.util
import re
from pathlib import Path

import pytest
import sklearn
import sklearn.neural_network

import scratch
from reference import TorchMLPClassifier, TorchMLPRegressor

SOURCE = Path(sklearn.__file__).parent / "neural_network" / "tests" / "test_mlp.py"
TWINS = {"scratch": (scratch.MLPClassifier, scratch.MLPRegressor),
         "torch": (TorchMLPClassifier, TorchMLPRegressor)}

PRIVATE = {
    "test_fit": "sets _coef_grads, _intercept_grads, _coef_velocity, _intercept_velocity and "
                "_no_improvement_count by hand before partial_fit (the twins ignore the first "
                "four and keep the last)",
    "test_gradient": "calls _loss_grad_lbfgs, scikit-learn's packed L-BFGS objective (the "
                     "twins offer it as an adapter over their own network)",
    "test_learning_rate_warmstart": "reads _optimizer.learning_rate",
    "test_adaptive_learning_rate": "reads _optimizer.learning_rate",
    "test_n_iter_no_change": "reads _no_improvement_count",
    "test_n_iter_no_change_inf": "reads _no_improvement_count",
}


def _import_with(name, classifier, regressor):
    """scikit-learn's test module, imported with our classes in place of its own."""
    package = sklearn.neural_network
    original = package.MLPClassifier, package.MLPRegressor
    package.MLPClassifier, package.MLPRegressor = classifier, regressor
    try:
        spec = importlib.util.spec_from_file_location(name, SOURCE)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        package.MLPClassifier, package.MLPRegressor = original
    return module


# The torch twin's runs of these take more than a second each (1 to 8 s, 2026-12-06): they
# train many models on the CPU with torch's per-step overhead; the quick tier leaves them out.
SLOW_ON_TORCH = {"test_n_iter_no_change_inf", "test_gradient", "test_partial_fit_classification",
                 "test_warm_start", "test_lbfgs_regression", "test_multilabel_classification",
                 "test_multioutput_regression", "test_partial_fit_regression",
                 "test_predict_proba_multilabel", "test_alpha",
                 "test_mlp_regressor_dtypes_casting"}

MODULES = {twin: _import_with(f"sklearn_test_mlp_for_{twin}", *classes)
           for twin, classes in TWINS.items()}
for _twin, _module in MODULES.items():
    for _name, _test in vars(_module).items():
        if _name.startswith("test_") and callable(_test):
            if _twin == "torch" and _name in SLOW_ON_TORCH:
                _test = pytest.mark.slow(_test)
            globals()[f"test_{_twin}__{_name}"] = _test


@pytest.fixture
def global_random_seed():
    """scikit-learn's fixture of that name, at its default seed (42)."""
    return 42


def test_the_module_imported_ours_and_all_its_tests_are_collected():
    for twin, (classifier, regressor) in TWINS.items():
        assert MODULES[twin].MLPClassifier is classifier
        assert MODULES[twin].MLPRegressor is regressor
    names = re.findall(r"^def (test_\w+)\(", SOURCE.read_text(), flags=re.M)
    assert len(names) > 40
    for twin in TWINS:
        assert all(f"test_{twin}__{name}" in globals() for name in names)


def test_the_private_list_is_exactly_the_tests_that_read_private_names():
    """A test reads private state where it names ``mlp._x`` or ``clf._x``."""
    text = SOURCE.read_text()
    bodies = re.split(r"^(?=def test_)", text, flags=re.M)[1:]
    private = {re.match(r"def (\w+)", body).group(1) for body in bodies
               if re.search(r"\b(mlp|clf|est)\._[a-z]", body)}
    assert private == set(PRIVATE)
