"""Where a scratch epoch's time goes: the timers catch every product and change nothing."""

import numpy as np

from comparisons.bench import profile as profile_epoch
from comparisons.bench.contenders import Config, data
from scratch import network, training
from scratch.layers import dense

SMALL = Config((16,), 100, "adam", "float32", n_samples=1000, epochs=3)


def test_every_part_is_timed_and_every_product_caught():
    result = profile_epoch.profile(SMALL, fits=2)
    assert result["matmuls_per_batch"] == 5  # forward x2, weight gradients x2, one input grad
    parts = result["parts"]
    assert all(len(v) == 2 * (SMALL.epochs - 1) for v in parts.values())  # warm-ups left out
    for key in ("gather", "matrix products", "rest of loss and gradient", "optimizer"):
        assert all(0 < t < e for t, e in zip(parts[key], parts["epoch"])), key
    text = profile_epoch.table(result)
    assert "| matrix products |" in text and "GEMM floor" in text
    assert len(result["gemm_floor"]) == len(result["over_floor"]) == 2
    assert len(result["unavoidable_over_floor"]) == 2
    assert all(r > 0 for r in result["unavoidable_over_floor"])
    assert "The unavoidable parts alone" in text


def test_the_timers_change_nothing_and_are_removed():
    X, y = data(SMALL)
    plain = profile_epoch.fit(SMALL, X, y)
    spent = dict.fromkeys(("gather", "matrix products", "loss and gradient", "optimizer"), 0.0)
    with profile_epoch.timers(spent, dict.fromkeys(spent, 0)):
        timed = profile_epoch.fit(SMALL, X, y)
    for a, b in zip(plain.coefs_ + plain.intercepts_, timed.coefs_ + timed.intercepts_):
        np.testing.assert_array_equal(a, b)
    assert plain.loss_curve_ == timed.loss_curve_
    assert dense.np is np and "timed" not in repr(training._RowTaker.take)
    assert "timed" not in repr(network.Network.loss_and_gradients)
    assert all(v > 0 for v in spent.values())
