"""A float32 model predicting float64 input computes in float64, as scikit-learn does (NumPy's
promotion of float64 @ float32), and float32 input keeps float32."""

import warnings

import numpy as np
import pytest
import sklearn.neural_network as sk
from sklearn.exceptions import ConvergenceWarning

import scratch
from reference import TorchMLPClassifier, TorchMLPRegressor, transfer
from tests.datasets import digits


@pytest.mark.parametrize("cls,sk_cls", [(scratch.MLPClassifier, sk.MLPClassifier),
                                        (TorchMLPClassifier, sk.MLPClassifier),
                                        (scratch.MLPRegressor, sk.MLPRegressor),
                                        (TorchMLPRegressor, sk.MLPRegressor)])
def test_a_float32_model_predicts_float64_input_as_sklearn_does(cls, sk_cls):
    X, y = digits(120)
    y = y.astype(float) if sk_cls is sk.MLPRegressor else y
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ours = cls(hidden_layer_sizes=(7,), max_iter=3, random_state=0).fit(X.astype(np.float32), y)
    theirs = transfer(ours, sk_cls())
    assert ours.coefs_[0].dtype == theirs.coefs_[0].dtype == np.float32
    method = "predict_proba" if sk_cls is sk.MLPClassifier else "predict"
    for dtype in (np.float64, np.float32):
        a, b = getattr(ours, method)(X.astype(dtype)), getattr(theirs, method)(X.astype(dtype))
        assert a.dtype == b.dtype == dtype
        np.testing.assert_allclose(a, b, rtol=1e-12 if dtype == np.float64 else 1e-5)
