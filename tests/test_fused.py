"""The compiled optimizer steps (scratch/optim/fused.py) are the NumPy steps to the last bit, in
float32 and float64, and scratch gives the same fits with them, without them, and without
numba at all."""

import hashlib
import os
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

import scratch
from scratch.optim import fused
from scratch.optim.adam import Adam
from scratch.optim.sgd import SGD

pytestmark = pytest.mark.skipif(fused.kernels()[0] is None, reason="numba is not available")


def draws(dtype, steps=60, n=1001, seed=0):
    rng = np.random.default_rng(seed)
    start = rng.normal(size=n).astype(dtype)
    grads = [(rng.choice([-1, 1], n) * 10.0 ** rng.uniform(-9, 1, n)).astype(dtype)
             for _ in range(steps)]
    return start, grads


RAW = [None, (600, 1e-3, 32), (600, 0.0, 7), (600, np.float64(0.3), 5), (1001, 2.5, 1)]


@pytest.mark.parametrize("raw", RAW, ids=["finished", "alpha", "no alpha", "numpy alpha",
                                          "all penalised"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("make", [
    lambda p: Adam(p, 1e-3), lambda p: Adam(p, 0.05, beta_1=0.5, beta_2=0.9, epsilon=1e-4),
    lambda p: SGD(p, 0.1, momentum=0.9, nesterov=True),
    lambda p: SGD(p, 0.1, momentum=0.9, nesterov=False), lambda p: SGD(p, 0.3, momentum=0.0),
    lambda p: SGD(p, 0.5, "invscaling", momentum=0.9, power_t=0.5)])
def test_the_compiled_step_is_the_numpy_step_to_the_last_bit(make, dtype, raw):
    """Also when the step first finishes raw gradient sums (the L2 term and the 1/n)."""
    start, grads = draws(dtype)
    compiled_params, numpy_params = start.copy(), start.copy()
    compiled, by_numpy = make(compiled_params), make(numpy_params)
    by_numpy._fused = None
    assert compiled._fused is not None
    for t, g in enumerate(grads):
        g_compiled, g_numpy = g.copy(), g.copy()
        compiled.step(compiled_params, g_compiled, raw)
        by_numpy.step(numpy_params, g_numpy, raw)
        np.testing.assert_array_equal(g_compiled, g_numpy)  # the finished gradient too
        if t % 10 == 9:
            compiled.iteration_ends(t * 100)
            by_numpy.iteration_ends(t * 100)
    np.testing.assert_array_equal(compiled_params, numpy_params)
    for a, b in zip(compiled.state().values(), by_numpy.state().values()):
        if isinstance(a, np.ndarray):
            np.testing.assert_array_equal(a, b)
        else:
            assert a == b


FIT = """
import hashlib, sys, warnings
import numpy as np
warnings.simplefilter("ignore")
import scratch
from sklearn.datasets import load_digits
X, y = load_digits(return_X_y=True)
X = (X / 16).astype(sys.argv[1])
for solver in ("adam", "sgd"):
    m = scratch.MLPClassifier((16,), solver=solver, max_iter=5, random_state=0).fit(X, y)
    print(hashlib.sha256(b"".join(w.tobytes() for w in m.coefs_ + m.intercepts_)).hexdigest())
"""


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.slow  # compiles the numba kernels: 5 s at most, 9 s for its 2
def test_fits_are_bit_identical_with_and_without_numba(dtype, tmp_path):
    script = tmp_path / "fit.py"
    script.write_text(FIT)
    root = str(Path(__file__).resolve().parents[1])
    outputs = []
    for env in ({}, {"MLP_TWINS_NO_NUMBA": "1"}):
        done = subprocess.run([sys.executable, str(script), dtype], capture_output=True,
                              text=True, cwd=root, env={**_environment(), **env}, check=True)
        outputs.append(done.stdout)
    assert outputs[0] == outputs[1] and len(outputs[0].split()) == 2


def _environment():
    return {k: v for k, v in os.environ.items() if k != "MLP_TWINS_NO_NUMBA"}


def test_a_fit_in_this_process_uses_the_compiled_steps_and_matches_numpy(monkeypatch):
    from tests.datasets import digits

    X, y = digits(200)
    fits = []
    for use in (True, False):
        if not use:
            monkeypatch.setattr(fused, "kernels", lambda: (None, None))
        model = scratch.MLPClassifier((8,), max_iter=4, random_state=0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(X, y)
        assert (model._optimizer._fused is not None) == use
        fits.append(hashlib.sha256(b"".join(w.tobytes() for w in model.coefs_)).hexdigest())
    assert fits[0] == fits[1]
