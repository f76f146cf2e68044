"""The lecture's z = W x, h = sigmoid(z), s = u^T h, by hand and by torch autograd."""

import numpy as np

from comparisons.lecture import worked_example_check
from scratch.worked_example import worked_example


def test_worked_example_matches_torch_autograd():
    for seed in range(5):
        result = worked_example_check(seed)
        assert result["max_difference_vs_torch"] <= 1e-14
        assert [node["node"] for node in result["nodes"]][0].startswith("s = u^T h")


def test_dS_dW_is_delta_times_x_transposed(rng):
    W, x, u = rng.normal(size=(2, 3)), rng.normal(size=3), rng.normal(size=2)
    r = worked_example(W, x, u)
    np.testing.assert_array_equal(r["ds_dW"], r["delta"][:, None] * x[None, :])
    np.testing.assert_allclose(r["local_sigmoid"], r["h"] * (1 - r["h"]))
