"""The verdict core's grammar of slips of one local step (reference.checking.core.local) on
plain NumPy evidence, and the finite-difference helpers it shares (core.numeric): every slip
reproduces its own mistake and is named by it, compositions of two are found, nothing is
named that does not reproduce the gradient, and the search never raises."""

import numpy as np
import pytest

from reference.checking.core import numeric
from reference.checking.core.local import Evidence, diagnose, distinct

rng = np.random.default_rng(0)
X = rng.normal(size=(4, 5))
G = rng.normal(size=(4, 5))


def sigmoid(t):
    return 1 / (1 + np.exp(-t))


def tanh_evidence(yours, **kw):
    """y = tanh(x): the evidence with no vjp, no at: the grammar finds the derivatives from
    the forward, entry by entry."""
    y = np.tanh(X)
    return Evidence(["x"], [X], [yours], [G * (1 - y * y)], [y], [G], [1e-6],
                    forward=lambda replaced: [np.tanh(replaced.get(0, X))], **kw)


def slips(report):
    return [entry["slip"] for entry in report.named]


Y = np.tanh(X)
RIGHT = G * (1 - Y * Y)


@pytest.mark.parametrize("yours,slip,words", [
    (1 - Y * Y, "not_multiplied", "does not multiply by grad_output"),
    (G * G * (1 - Y * Y), "multiplied_twice", "multiplied in twice"),
    (-RIGHT, "sign", "sign is flipped"),
    (5 * RIGHT, "factor", "5 times the right gradient (n = 5"),
    (RIGHT / 4, "factor", "1/4 times the right gradient (1/n, n = 4"),
    (2 * RIGHT, "factor", "2 times the right gradient"),
    (G * (1 - np.tanh(Y) ** 2), "at_output", "at the output (out) instead of at the input x"),
    (G * (1 - X * X), "at_input", "written in terms of the output y (1 - y^2)"),
    (np.zeros_like(RIGHT), "zero", "zero everywhere"),
], ids=["not multiplied", "twice", "sign", "n", "1/n", "2", "at output", "at input", "zero"])
def test_each_slip_of_an_elementwise_step_is_named_by_its_numbers(yours, slip, words):
    report = diagnose(tanh_evidence(yours))
    assert slips(report) == [slip], report
    assert words in report.named[0]["text"] and report.named[0]["where"] == ["x"]
    assert report.explained[0] and not report.sentences


def test_a_right_gradient_names_nothing():
    report = diagnose(tanh_evidence(RIGHT + 1e-9 * RIGHT))
    assert report.named == [] and report.sentences == [] and report.explained == [[]]


def test_two_slips_composed_are_found():
    report = diagnose(tanh_evidence(-(1 - Y * Y)))
    assert slips(report) == ["not_multiplied+sign"]
    report = diagnose(tanh_evidence(3 * G * (1 - np.tanh(Y) ** 2)))
    assert slips(report) == ["at_output+factor"]


def test_a_gradient_no_composition_gives_is_told_where_and_not_named():
    wrong = RIGHT.copy()
    wrong[2, 3] += 0.5
    report = diagnose(tanh_evidence(wrong))
    assert report.named == [] and report.explained == [None]
    assert "worst at (2, 3)" in report.sentences[0]
    assert "no slip of the grammar" in report.sentences[0]


def test_the_closest_slip_is_said_with_the_share_it_leaves():
    wrong = 1 - Y * Y
    wrong[0, 0] += 0.3  # not multiplied, and one entry off besides
    report = diagnose(tanh_evidence(wrong))
    assert report.named == []
    assert "Closest: the backward does not multiply by grad_output" in report.sentences[0]
    assert "% of the difference unexplained" in report.sentences[0]


# --- steps with several inputs: swaps, saved tensors, broadcasts, transposes ----------------------

A, B = rng.normal(size=(3, 3)), rng.normal(size=(3, 3))
GA = rng.normal(size=(3, 3))


def mul_evidence(ya, yb):
    return Evidence(["a", "b"], [A, B], [ya, yb], [GA * B, GA * A], [A * B], [GA],
                    [1e-6, 1e-6], forward=lambda r: [r.get(0, A) * r.get(1, B)])


def test_two_inputs_swapped_are_one_named_swap():
    report = diagnose(mul_evidence(GA * A, GA * B))
    assert slips(report) == ["swapped"] and report.named[0]["where"] == ["a", "b"]


def test_a_derivative_read_from_the_wrong_saved_tensor():
    report = diagnose(mul_evidence(GA * A, GA * A))
    assert slips(report) == ["saved_tensor"]
    assert report.named[0]["text"] == ("a is wrong: the local derivative reads a where it "
                                       "needs b (the wrong saved tensor).")


def test_a_transposed_gradient():
    report = diagnose(mul_evidence((GA * B).T, GA * A))
    assert slips(report) == ["transposed"] and report.named[0]["where"] == ["a"]


XB, BB = rng.normal(size=(6, 3)), rng.normal(size=3)
GB = rng.normal(size=(6, 3))


def bias_evidence(yb):
    return Evidence(["X", "b"], [XB, BB], [GB, yb], [GB, GB.sum(0)], [XB + BB], [GB],
                    [1e-6, 1e-6], expanded={1: GB}, broadcast=[None, (6, 3)])


@pytest.mark.parametrize("yb,slip,words", [
    (GB, "not_reduced", "not summed back to b's shape (3,): sum it over axis 0"),
    (GB.sum(1), "wrong_axis", "summed over axis 1 instead of axis 0"),
    (GB.mean(0), "factor", "1/6 times"),
])
def test_a_broadcast_input_not_reduced_or_reduced_wrong(yb, slip, words):
    report = diagnose(bias_evidence(yb))
    assert slips(report) == [slip] and words in report.named[0]["text"]


def test_the_upstream_gradients_of_two_outputs():
    x = rng.normal(size=5)
    g1, g2 = rng.normal(size=5), rng.normal(size=5)

    def ev(yours):
        return Evidence(["x"], [x], [yours], [g1 * np.cos(x) - g2 * np.sin(x)],
                        [np.sin(x), np.cos(x)], [g1, g2], [1e-6],
                        forward=lambda r: [np.sin(r.get(0, x)), np.cos(r.get(0, x))])
    assert slips(diagnose(ev(g1 * np.cos(x) + g2 * np.sin(x)))) == ["sign"]
    assert "upstream gradient of out1" in diagnose(ev(g1 * np.cos(x) + g2 * np.sin(x))
                                                   ).named[0]["text"]
    assert slips(diagnose(ev(g1 * np.cos(x) - np.sin(x)))) == ["not_multiplied"]


def test_a_vjp_from_the_checker_is_used_where_the_step_is_not_elementwise():
    x = rng.normal(size=(3, 4))
    w = rng.normal(size=(4, 2))
    g = rng.normal(size=(3, 2))
    vjp = lambda u: [u[0] @ w.T, x.T @ u[0]]  # noqa: E731
    ev = Evidence(["x", "w"], [x, w], [np.ones((3, 2)) @ w.T, x.T @ g],
                  [g @ w.T, x.T @ g], [x @ w], [g], [1e-6, 1e-6], vjp=vjp)
    report = diagnose(ev)
    assert slips(report) == ["not_multiplied"] and report.named[0]["where"] == ["x"]


def test_a_gradient_handed_on_unchanged_is_a_straight_through_estimator():
    x = rng.normal(size=6)
    g = rng.normal(size=6)
    ev = Evidence(["x"], [x], [g.copy()], [np.zeros(6)], [np.round(x)], [g], [1e-6],
                  forward=lambda r: [np.round(r.get(0, x))])
    report = diagnose(ev)
    assert slips(report) == ["pass_through"] and "straight-through" in report.named[0]["text"]


def test_a_factor_that_is_the_square_root_of_a_size_says_so():
    q = rng.normal(size=(2, 3))
    g = rng.normal(size=(2, 3))
    ev = Evidence(["q"], [q], [np.sqrt(3) * g], [g], [q], [g], [1e-6])
    assert "sqrt(3) times the right gradient (sqrt(n), n = 3" in diagnose(ev).named[0]["text"]


def test_a_constant_added_shows_as_the_offset_a_zero_upstream_gives():
    offset = np.full_like(RIGHT, 0.25)
    report = diagnose(tanh_evidence(RIGHT + offset, offset=[offset]))
    assert slips(report) == ["constant"]


def test_kinks_masked_out_are_not_held_against_a_slip():
    x = np.array([[-1.0, 0.0, 2.0], [0.5, -0.3, 0.0]])
    g = rng.normal(size=x.shape)
    right = g * (x > 0)
    yours = -right
    yours[0, 1] = 7.0  # at a kink: whatever it is, it is left out
    mask = x == 0
    ev = Evidence(["x"], [x], [yours], [right], [np.maximum(x, 0)], [g], [1e-6], mask=[mask])
    assert slips(diagnose(ev)) == ["sign"]


@pytest.mark.parametrize("yours", [np.full((4, 5), np.nan), np.ones((2, 2)), np.ones(3),
                                   np.full((4, 5), np.inf)])
def test_the_search_never_raises_and_never_names_garbage(yours):
    report = diagnose(tanh_evidence(yours))
    assert report.named == [] and len(report.sentences) == 1


def test_a_forward_that_raises_is_a_slip_not_made():
    def forward(replaced):
        raise RuntimeError("no")
    ev = Evidence(["x"], [X], [-RIGHT], [RIGHT], [Y], [G], [1e-6], forward=forward)
    assert slips(diagnose(ev)) == ["sign"]


def test_distinct_numbers_are_written_with_the_digits_that_tell_them_apart():
    assert distinct(1.6070001, 1.6070002) == ("1.6070001", "1.6070002")
    assert distinct(0.25, 0.5) == ("0.25", "0.5")


# --- core.numeric: kinks at the point, the outputs' own derivative --------------------------------

def test_kinked_tells_a_kink_at_the_point_from_one_nearby():
    x = np.array([0.0, 1.0, -2.0])
    phi = lambda v: float(np.sum(np.abs(v)))  # noqa: E731
    assert numeric.kinked(phi, x, np.array([1.0, 0.0, 0.0]))
    assert not numeric.kinked(phi, x, np.array([0.0, 1.0, 1.0]))
    near = np.array([1e-9, 1.0, -2.0])
    assert not numeric.kinked(phi, near, np.array([0.0, 1.0, 0.0]))


def test_kink_coordinates_finds_the_kinked_entries_by_halving():
    x = rng.normal(size=200)
    x[[3, 77, 150]] = 0.0
    w = rng.normal(size=200)
    phi = lambda v: float(np.sum(w * np.maximum(v, 0)))  # noqa: E731
    mask = numeric.kink_coordinates(phi, x)
    assert sorted(np.flatnonzero(mask)) == [3, 77, 150]


def test_kink_coordinates_counts_what_it_has_no_budget_for_as_kinked():
    x = np.zeros(64)
    phi = lambda v: float(np.sum(np.abs(v)))  # noqa: E731
    assert numeric.kink_coordinates(phi, x, budget=5).all()


def test_jvp_is_the_outputs_derivative_along_a_direction():
    x = rng.normal(size=(3, 4))
    v = rng.normal(size=(3, 4))
    found = numeric.jvp(lambda t: [np.sin(t), t @ t.T], x, v)
    assert np.allclose(found[0], np.cos(x) * v, atol=1e-9)
    assert np.allclose(found[1], v @ x.T + x @ v.T, atol=1e-8)
