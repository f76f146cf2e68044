"""The lecture's z = W x, h = sigmoid(z), s = u^T h with small integers, by hand and by torch
autograd; every number a student needs is in the table."""

import numpy as np
import pytest

from comparisons.report.lecture import worked_example_check
from scratch.lecture.worked_example import LECTURE, node_rows, worked_example


def test_the_lectures_example_matches_torch_autograd_number_for_number():
    result = worked_example_check()
    assert result["inputs"] == LECTURE
    assert result["max_difference_vs_torch"] <= 1e-15
    for key, theirs in result["torch"].items():
        np.testing.assert_allclose(worked_example(**LECTURE)[key], theirs, rtol=0, atol=1e-15)


def test_the_example_is_made_of_small_integers_and_round_numbers():
    for key in ("W", "x", "u"):
        assert all(float(v).is_integer() and abs(v) <= 3 for v in np.ravel(LECTURE[key]))
    r = worked_example(**LECTURE)
    assert r["W"].shape == (2, 4)  # four inputs, two hidden units, as in the lecture
    np.testing.assert_array_equal(r["z"], [0, 2])
    assert r["h"][0] == 0.5 and r["local_sigmoid"][0] == 0.25


def test_every_row_spells_out_downstream_as_local_times_upstream():
    r = worked_example(**LECTURE)
    rows = node_rows(r)
    assert len(rows) == 1 + 2 * 2 + 2 + 8  # s, u and h, z, every W_ij
    for row in rows[5:]:
        local = float(row["local"].split("= ")[-1])
        assert float(row["downstream"]) == pytest.approx(local * float(row["upstream"]),
                                                         abs=1e-4)
        assert row["rule"].endswith(row["downstream"])


def test_dS_dW_is_delta_times_x_transposed(rng):
    W, x, u = rng.normal(size=(2, 3)), rng.normal(size=3), rng.normal(size=2)
    r = worked_example(W, x, u)
    np.testing.assert_array_equal(r["ds_dW"], r["delta"][:, None] * x[None, :])
    np.testing.assert_allclose(r["local_sigmoid"], r["h"] * (1 - r["h"]))
