"""reference.check_backprop on a gallery of networks written the ways people write them:
correct ones pass with their conventions named, each classic mistake is named with the arrays
it spoils, and the arrays it leaves alone stay ok."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from reference import assert_backprop, check_backprop
from tests.planted import MISTAKES, data_gradient
from tests.students import Student, data, init

UNITS = [5, 4, 3]


def check(student, units=UNITS, n=12, seed=0, **kwargs):
    X, Y = data(n, units[0], units[-1], seed, student.output)
    params = init(units, student.layout, seed)
    return check_backprop(student, params, X, Y, activation=student.activation,
                          output=student.output, loss=student.loss, alpha=student.alpha,
                          negative_slope=student.slope, **kwargs)


def rows(report):
    return {row["name"]: row["ok"] for row in report.params}


CORRECT = {
    "textbook: sum, sigmoid outputs, L2 on weights": (
        Student(output="logistic", batch="sum", alpha=0.1),
        {"batch": "summed over the batch", "outputs": "summed over the outputs",
         "l2": "alpha/2 * sum W^2 (gradient alpha W), not divided"}),
    "scikit-learn's objective": (
        Student(activation="relu", batch="mean", alpha=0.1, l2_per_sample=True),
        {"batch": "averaged", "l2": "divided by the batch size n"}),
    "torch: CrossEntropyLoss and weight_decay, (n_out, n_in)": (
        Student(activation="tanh", layout="torch", alpha=0.1, l2_biases=True),
        {"layout": "(n_out, n_in)", "l2": "weights and biases"}),
    "torch: MSELoss (mean over n*K, no 1/2)": (
        Student(activation="tanh", output="identity", loss="squared_error", outputs="mean",
                half=False, layout="torch"),
        {"outputs": "averaged over the outputs", "squared_error": "without the 1/2"}),
    "torch: BCEWithLogitsLoss": (
        Student(output="logistic", outputs="mean", layout="torch"),
        {"outputs": "averaged over the outputs"}),
    "sigmoid outputs with squared error, L2 alpha sum W^2": (
        Student(output="logistic", loss="squared_error", batch="sum", alpha=0.3,
                l2_half=False), {"l2": "alpha * sum W^2 (gradient 2 alpha W)"}),
    "leaky relu, mean, no L2": (
        Student(activation="leaky_relu", batch="mean"), {"l2": "not checked: alpha = 0"}),
}


@pytest.mark.parametrize("case", CORRECT)
def test_correct_networks_pass_and_their_conventions_are_named(case):
    student, expected = CORRECT[case]
    report = check(student)
    assert report.ok, str(report)
    assert all(rows(report).values())
    for key, words in expected.items():
        assert words in report.conventions[key], (key, report.conventions[key])
    assert report.loss_ok is True
    assert report.references["torch autograd"] <= 1e-12
    assert report.references["finite differences"] <= 1e-6


def test_sklearns_own_backprop_vouches_for_the_reference_where_it_applies():
    report = check(Student(activation="relu", alpha=0.1, l2_per_sample=True))
    assert report.references["scikit-learn's backprop"] <= 1e-12
    assert check(Student(batch="sum")).references["scikit-learn's backprop"] is None


def test_integer_labels_and_one_hot_targets_give_the_same_verdict():
    student = Student(batch="sum", alpha=0.1)
    X, Y = data(12, 5, 3)
    params = init(UNITS)
    labels = Y.argmax(axis=1)
    by_labels = check_backprop(lambda p, X, y: student(p, X, np.eye(3)[y]), params, X, labels,
                               output="softmax", alpha=0.1)
    assert by_labels.ok and by_labels.conventions == check(student).conventions


def test_every_square_layer_makes_the_layout_ambiguous_and_both_are_tried():
    student = Student(activation="tanh", layout="torch")
    report = check(student, units=[4, 4, 4])
    assert report.ok and "both layouts were tried" in report.conventions["layout"]
    assert "(n_out, n_in)" in report.conventions["layout"]


# --- the mistakes ------------------------------------------------------------------------------

MISTAKE_CASES = [
    # (bug, student settings, units, bug_layer, arrays spoilt, words in the diagnosis)
    ("derivative_at_z", {}, UNITS, 0, {"W0", "b0"}, "pre-activation z"),
    ("derivative_of_the_output", {"activation": "tanh"}, UNITS, 0, {"W0", "b0"},
     "written 1 - tanh(h)^2 instead of 1 - h^2"),
    ("missing_derivative", {"activation": "relu"}, [5, 4, 4, 3], 1, {"W0", "b0", "W1", "b1"},
     "derivative is missing"),
    ("relu_wrong_side", {"activation": "relu"}, UNITS, 0, {"W0", "b0"},
     "1[z < 0] (the wrong side)"),
    ("backward_without_transpose", {"activation": "tanh"}, [5, 4, 4, 3], 0, {"W0", "b0"},
     "the backward multiply uses W where it needs its transpose: delta W1 instead of"),
    ("weight_gradient_transposed", {"activation": "tanh"}, [5, 4, 4, 3], 1, {"W1"},
     "transposed"),
    ("weight_gradient_from_the_output", {"activation": "tanh"}, [5, 4, 4, 3], 1, {"W1"},
     "own output"),
    ("bias_gradient_first_sample", {"activation": "tanh"}, UNITS, 1, {"b1"}, "first sample"),
    ("cross_entropy_delta_with_squared_error", {"output": "logistic", "loss": "squared_error"},
     UNITS, 0, {"W0", "b0", "W1", "b1"}, "lacks the sigmoid's derivative"),
    ("sigmoid_derivative_with_cross_entropy", {"output": "logistic"}, UNITS, 0,
     {"W0", "b0", "W1", "b1"}, "squared-error habit"),
    ("softmax_gradient_for_sigmoid_outputs", {"output": "logistic"}, UNITS, 0,
     {"W0", "b0", "W1", "b1"}, "softmax output"),
    ("sigmoid_gradient_for_softmax_outputs", {}, UNITS, 0, {"W0", "b0", "W1", "b1"},
     "independent sigmoid outputs"),
    ("sign_flipped", {"batch": "sum"}, UNITS, 0, {"W0", "b0", "W1", "b1"},
     "output delta has the wrong sign"),
    ("l2_sign", {"batch": "sum", "alpha": 0.2}, UNITS, 1, {"W1"}, "L2 term is added with the "
                                                                 "wrong sign"),
    ("l2_missing", {"alpha": 0.2, "l2_per_sample": True}, UNITS, 0, {"W0"}, "L2 term is "
                                                                           "missing"),
    ("bias_summed_weights_averaged", {"alpha": 0.2, "l2_per_sample": True}, UNITS, 0, {"b0"},
     "bias gradient is summed over the batch while the weight gradients"),
    ("derivative_squared", {"activation": "tanh"}, UNITS, 0, {"W0", "b0"}, "applied twice"),
    ("tanh_derivative_unsquared", {"activation": "tanh"}, UNITS, 0, {"W0", "b0"},
     "1 - h (not squared) instead of 1 - h^2"),
    ("sigmoid_derivative_without_1_minus_h", {}, UNITS, 0, {"W0", "b0"},
     "h (without its factor 1 - h) instead of h (1 - h)"),
    ("sigmoid_derivative_without_h", {}, UNITS, 0, {"W0", "b0"},
     "1 - h (without its factor h) instead of h (1 - h)"),
    ("relu_derivative_is_its_output", {"activation": "relu"}, UNITS, 0, {"W0", "b0"},
     "max(z, 0) (the output, not a mask) instead of 1[z > 0]"),
    ("relu_mask_from_the_gradient", {"activation": "relu"}, UNITS, 0, {"W0", "b0"},
     "(its mask) is read from the incoming gradient"),
    ("leaky_slope_missing", {"activation": "leaky_relu", "slope": 0.2}, UNITS, 0, {"W0", "b0"},
     "written 1[z > 0] instead of 1 where z > 0, else the slope"),
    ("backward_without_weights", {"activation": "tanh"}, [5, 4, 4, 3], 0, {"W0", "b0"},
     "without multiplying by the weights"),
    ("weight_gradient_from_z", {"activation": "tanh"}, [5, 4, 4, 3], 1, {"W1"},
     "before its activation"),
    ("gradients_before_the_derivative", {"activation": "tanh"}, [5, 4, 4, 3], 1, {"W1", "b1"},
     "built from dL/dh where it needs delta (taken before the activation's derivative"),
    ("softmax_jacobian_missing", {"loss": "squared_error", "batch": "sum"}, UNITS, 0,
     {"W0", "b0", "W1", "b1"}, "lacks the softmax's Jacobian"),
    ("softmax_jacobian_diagonal", {}, UNITS, 0, {"W0", "b0", "W1", "b1"},
     "reduced to its diagonal"),
    ("logits_for_probabilities", {}, UNITS, 0, {"W0", "b0", "W1", "b1"},
     "scores z instead of the probabilities"),
    ("derivative_of_the_layer_above", {"activation": "tanh"}, [5, 4, 4, 3], 0, {"W0", "b0"},
     "read from the layer above"),
    ("passed_down_before_the_derivative", {"activation": "tanh"}, [5, 4, 6, 2, 3], 0,
     {"W0", "b0"}, "the error passed down is built from dL/dh where it needs delta"),
    ("weight_gradient_before_the_derivative", {"activation": "tanh"}, UNITS, 0, {"W0"},
     "weight gradient is built from dL/dh where it needs delta"),
    ("bias_gradient_before_the_derivative", {"activation": "relu"}, UNITS, 0, {"b0"},
     "bias gradient is built from dL/dh where it needs delta"),
    ("bias_gradient_last_sample", {"activation": "tanh"}, UNITS, 1, {"b1"},
     "the last sample's delta"),
    ("derivative_at_the_output_layer", {"activation": "relu"}, UNITS, 0,
     {"W0", "b0", "W1", "b1"}, "applied to the output delta"),
    ("softmax_applied_twice", {}, UNITS, 0, {"W0", "b0", "W1", "b1"},
     "softmax of the softmax"),
    ("sigmoid_applied_twice", {"output": "logistic"}, UNITS, 0, {"W0", "b0", "W1", "b1"},
     "sigmoid of the sigmoid"),
    ("log_softmax_missing", {}, UNITS, 0, {"W0", "b0", "W1", "b1"},
     "used as log-probabilities"),
    ("target_not_subtracted", {}, UNITS, 0, {"W0", "b0", "W1", "b1"},
     "the output delta is p instead of p - y"),
]

EVERY_LAYER_CASES = [
    # a mistake made in every place it can be: every hidden layer, and a sigmoid output
    ("derivative_at_z", {"output": "logistic", "loss": "squared_error", "batch": "sum"},
     [5, 4, 6, 3], "at the output; the sigmoid derivative is taken at the pre-activation z"),
    ("missing_derivative", {"activation": "tanh"}, [5, 4, 6, 3], "in every hidden layer"),
    ("sigmoid_derivative_without_h", {"output": "logistic", "loss": "squared_error"},
     [5, 4, 6, 3], "(without its factor p) instead of p (1 - p), at the output; the sigmoid"),
    ("weight_gradient_from_z", {"activation": "tanh"}, [5, 4, 6, 3],
     "in every layer's weight gradient"),
]


@pytest.mark.parametrize("bug,settings,units,words", EVERY_LAYER_CASES,
                         ids=[case[0] for case in EVERY_LAYER_CASES])
def test_a_mistake_made_in_every_layer_is_named_as_such(bug, settings, units, words):
    student = Student(**{"batch": "mean", **settings, "bug": bug, "bug_layer": "every"})
    report = check(student, units=units)
    assert not report.ok
    text = " ".join(report.diagnosis)
    assert words in text and "match no slip" not in text, str(report)


def test_the_gallery_covers_the_catalogue():
    planted = {case[0] for case in MISTAKE_CASES}
    assert set(MISTAKES) <= planted | {case[0] for case in EVERY_LAYER_CASES}
    assert len(planted) >= 30


@pytest.mark.parametrize("layout", ["sk", "torch"])
@pytest.mark.parametrize("bug,settings,units,layer,spoilt,words", MISTAKE_CASES,
                         ids=[case[0] for case in MISTAKE_CASES])
def test_each_mistake_is_named_with_the_arrays_it_spoils(bug, settings, units, layer, spoilt,
                                                         words, layout):
    student = Student(**{"batch": "mean", **settings, "bug": bug, "bug_layer": layer,
                         "layout": layout})
    report = check(student, units=units)
    assert not report.ok
    text = " ".join(report.diagnosis)
    assert words in text, str(report)
    verdict = rows(report)
    assert {name for name, ok in verdict.items() if not ok} == spoilt, str(report)
    for name in spoilt:
        assert name in text, (name, str(report))


def test_a_gradient_that_accumulates_between_calls_is_caught():
    student, memory = Student(batch="sum"), {}

    def accumulating(params, X, Y):
        loss, grads = student(params, X, Y)
        for k, g in enumerate(grads):
            memory[k] = memory.get(k, 0) + g
        return loss, [memory[k] for k in range(len(grads))]

    X, Y = data(12, 5, 3)
    report = check_backprop(accumulating, init(UNITS), X, Y)
    assert not report.ok and "accumulated" in " ".join(report.diagnosis)


def test_a_transposed_gradient_of_the_wrong_shape_is_named():
    student = Student(batch="sum")

    def transposed(params, X, Y):
        loss, grads = student(params, X, Y)
        return loss, [grads[0].T] + grads[1:]

    X, Y = data(12, 5, 3)
    report = check_backprop(transposed, init(UNITS), X, Y)
    assert not report.ok and rows(report) == {"W0": False, "b0": True, "W1": True, "b1": True}
    assert "transposed" in " ".join(report.diagnosis)


def test_the_textbooks_cost_update_mismatch_is_reported_through_loss_ok():
    student = Student(output="logistic", batch="sum", alpha=0.01, bug="textbook_cost")
    report = check(student)
    assert not report.ok and all(rows(report).values()) and report.loss_ok is False
    assert str(report).startswith("check_backprop: NOT OK")
    assert any("twice what your gradient differentiates" in s for s in report.diagnosis)
    assert any("Every array is exact" in s for s in report.diagnosis)
    assert check(student, check_loss=False).ok  # the loss left out of the verdict


def test_a_loss_averaged_while_the_gradient_sums_is_reported():
    student = Student(batch="sum")

    def inconsistent(params, X, Y):
        loss, grads = student(params, X, Y)
        return loss / len(X), grads

    X, Y = data(12, 5, 3)
    report = check_backprop(inconsistent, init(UNITS), X, Y)
    assert not report.ok and all(rows(report).values()) and report.loss_ok is False
    text = " ".join(report.diagnosis)
    assert "0.08333 times" in text and "the loss averages over the batch while the gradient " \
        "sums" in text, text


def test_the_callers_arrays_are_never_changed():
    student = Student(batch="sum", alpha=0.1)
    X, Y = data(12, 5, 3)
    params = init(UNITS)
    copies = [p.copy() for p in params], X.copy(), Y.copy()
    check_backprop(student, params, X, Y, alpha=0.1)
    for a, b in zip(params + [X, Y], copies[0] + [copies[1], copies[2]]):
        np.testing.assert_array_equal(a, b)


def test_assert_backprop_raises_with_the_report():
    student = Student(bug="missing_derivative")
    X, Y = data(12, 5, 3)
    with pytest.raises(AssertionError, match="derivative is missing"):
        assert_backprop(student, init(UNITS), X, Y)
    assert assert_backprop(Student(), init(UNITS), X, Y).ok


def test_impossible_shapes_get_a_clear_error():
    X, Y = data(12, 5, 3)
    params = init(UNITS)
    params[0] = np.zeros((6, 4))
    with pytest.raises(ValueError, match="do not make a network for X's 5 features"):
        check_backprop(Student(), params, X, Y)


# --- property tests ---------------------------------------------------------------------------

@settings(max_examples=40, deadline=None, derandomize=True)
@given(hidden=st.lists(st.integers(1, 5), min_size=1, max_size=3),
       n_features=st.integers(1, 5), K=st.integers(2, 4), n=st.integers(2, 9),
       activation=st.sampled_from(["logistic", "tanh", "identity", "leaky_relu"]),
       pair=st.sampled_from([("softmax", "cross_entropy"), ("logistic", "cross_entropy"),
                             ("identity", "squared_error"), ("logistic", "squared_error")]),
       layout=st.sampled_from(["sk", "torch"]), batch=st.sampled_from(["sum", "mean"]),
       alpha=st.sampled_from([0.0, 0.3]), l2=st.sampled_from([(True, False, False),
                                                             (False, True, False),
                                                             (True, False, True)]),
       seed=st.integers(0, 1000))
@pytest.mark.slow  # a hypothesis property: many random networks: 1 s
def test_property_correct_networks_of_any_shape_pass(hidden, n_features, K, n, activation,
                                                     pair, layout, batch, alpha, l2, seed):
    output, loss = pair
    student = Student(activation=activation, output=output, loss=loss, layout=layout,
                      batch=batch, alpha=alpha, l2_half=l2[0], l2_per_sample=l2[1],
                      l2_biases=l2[2], slope=0.01)
    units = [n_features, *hidden, K]
    report = check(student, units=units, n=n, seed=seed)
    factor = (1 if l2[0] else 2) / n  # the L2 term's multiple of alpha W
    mixed = alpha > 0 and l2[1] and batch == "sum" and factor not in (1.0, 2.0)  # two
    #       conventions mixed (unless the numbers make it a familiar one)
    assert report.ok != mixed, str(report)
    if mixed:
        assert "the sum's data part with the mean's L2 term" in " ".join(report.diagnosis)


@settings(max_examples=30, deadline=None, derandomize=True)
@given(hidden=st.lists(st.integers(1, 5), min_size=0, max_size=3), K=st.integers(1, 4),
       activation=st.sampled_from(["logistic", "tanh", "identity", "relu", "leaky_relu"]),
       pair=st.sampled_from([("softmax", "cross_entropy"), ("logistic", "cross_entropy"),
                             ("identity", "squared_error"), ("logistic", "squared_error"),
                             ("softmax", "squared_error")]),
       seed=st.integers(0, 1000))
def test_property_the_reference_gradient_is_torch_autograds(hidden, K, activation, pair, seed):
    output, loss = pair
    K = max(K, 2) if output == "softmax" else K
    rng = np.random.default_rng(seed)
    units = [3, *hidden, K]
    coefs = [rng.normal(size=(a, b)) for a, b in zip(units[:-1], units[1:])]
    intercepts = [rng.normal(size=b) for b in units[1:]]
    X = rng.normal(size=(7, 3))
    Y = np.eye(K)[rng.integers(0, K, 7)] if output == "softmax" else \
        rng.random((7, K)) if loss == "squared_error" else (rng.random((7, K)) > 0.5) * 1.0
    ours = data_gradient(coefs, intercepts, X, Y, activation, output, loss, 0.05)
    Wt = [torch.tensor(W, requires_grad=True) for W in coefs]
    bt = [torch.tensor(b, requires_grad=True) for b in intercepts]
    h = torch.tensor(X)
    act = {"logistic": torch.sigmoid, "tanh": torch.tanh, "identity": lambda z: z,
           "relu": torch.relu,
           "leaky_relu": lambda z: torch.nn.functional.leaky_relu(z, 0.05)}[activation]
    for i, (W, b) in enumerate(zip(Wt, bt)):
        h = h @ W + b
        if i < len(Wt) - 1:
            h = act(h)
    Yt = torch.tensor(Y)
    p = {"softmax": lambda z: torch.softmax(z, 1), "logistic": torch.sigmoid,
         "identity": lambda z: z}[output](h)
    if loss == "squared_error":
        objective = 0.5 * ((p - Yt) ** 2).sum()
    elif output == "softmax":
        objective = -(Yt * torch.log(p)).sum()
    else:
        objective = -(Yt * torch.log(p) + (1 - Yt) * torch.log(1 - p)).sum()
    objective.backward()
    theirs = [t.grad.numpy() for pair_ in zip(Wt, bt) for t in pair_]
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)


def test_a_factor_in_one_backward_step_is_found_and_placed():
    class HalfDerivative(Student):  # f'(z) / 2 at the top hidden layer: a factor found
        def act_grad(self, z, h, layer, upstream=None):
            return super().act_grad(z, h, layer, upstream) * (0.5 if layer == 1 else 1.0)

    report = check(HalfDerivative(activation="tanh"), units=[5, 4, 4, 3])
    assert not report.ok
    assert rows(report) == {"W0": False, "b0": False, "W1": False, "b1": False, "W2": True,
                            "b2": True}
    assert any("is half the right value" in sentence and "the step from W2 down to W1"
               in sentence for sentence in report.diagnosis), str(report)
    assert report.named and set(report.named[0]["where"]) == {"h2", "z2"}


def test_where_nothing_fits_the_checker_says_where_the_error_enters_and_what_comes_closest():
    class SquaredUpstream(Student):  # dL/dh squared at the top hidden layer: no slip of the
        def act_grad(self, z, h, layer, upstream=None):  # grammar gives it
            local = super().act_grad(z, h, layer, upstream)
            return local * (upstream if layer == 1 else 1.0)

    report = check(SquaredUpstream(activation="tanh"), units=[5, 4, 4, 3])
    assert not report.ok and not report.named
    assert rows(report) == {"W0": False, "b0": False, "W1": False, "b1": False, "W2": True,
                            "b2": True}
    text = " ".join(report.diagnosis)
    assert "match no slip of the checker's grammar" in text, str(report)
    assert "the error enters in the backward step from W2 down to W1" in text, str(report)


def test_two_independent_mistakes_are_both_named():
    student = Student(batch="sum", alpha=0.2, bug="l2_sign", bug_layer=0)

    def also_bias(params, X, Y):
        loss, grads = student(params, X, Y)
        grads[3] = grads[3] / len(X)  # b1 averaged while the rest is summed
        return loss, grads

    X, Y = data(12, 5, 3)
    report = check_backprop(also_bias, init(UNITS), X, Y, alpha=0.2)
    text = " ".join(report.diagnosis)
    assert rows(report) == {"W0": False, "b0": True, "W1": True, "b1": False}
    assert "W0: the L2 term is added with the wrong sign" in text
    assert "b1: the bias gradient is averaged over the batch while" in text


# --- the textbook's network, as the chapter writes it, with its mistakes planted --------------

def _textbook(bug):
    from scratch.lecture.textbook_net import TextbookNet

    class Planted(TextbookNet):
        def sigmoid_derivative(self, z, a):
            if bug == "derivative at z":
                return z * (1 - z)
            if bug == "no derivative":
                return np.ones_like(a)
            return super().sigmoid_derivative(z, a)

    net = Planted(l2=0.01)

    def grad_fn(params, X, Y):
        cost, g = net.gradients(params, X, Y)
        n = len(X)
        if bug == "L2 sign":
            g[0] = g[0] - 2 * net.l2 * params[0]
        elif bug == "weights averaged":
            g[0], g[2] = g[0] / n, g[2] / n
        elif bug == "flipped sign":
            g = [-(g[0] - net.l2 * params[0]) + net.l2 * params[0], -g[1],
                 -(g[2] - net.l2 * params[2]) + net.l2 * params[2], -g[3]]
        return cost, g

    return grad_fn, TextbookNet.init(6, 5, 3)


@pytest.mark.parametrize("bug,wrong,words", [
    (None, set(), None),
    ("derivative at z", {"W0", "b0"}, "pre-activation z"),
    ("no derivative", {"W0", "b0"}, "derivative is missing"),
    ("L2 sign", {"W0"}, "L2 term is added with the wrong sign"),
    ("weights averaged", {"W0", "W1"}, "weight gradient is averaged over the batch while the "
                                       "bias gradients (b0 and b1) are summed"),
    ("flipped sign", {"W0", "b0", "W1", "b1"}, "output delta has the wrong sign"),
])
def test_the_textbook_network_and_its_planted_mistakes(bug, wrong, words):
    grad_fn, params = _textbook(bug)
    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(20, 6)), np.eye(3)[rng.integers(0, 3, size=20)]
    report = check_backprop(grad_fn, params, X, Y, activation="logistic", output="logistic",
                            alpha=0.01)
    assert not report.ok  # the book's cost disagrees with its update, as written
    assert {name for name, ok in rows(report).items() if not ok} == wrong, str(report)
    if bug is None:
        assert report.conventions["batch"] == "summed over the batch"
        assert "not divided by the batch size, on the weights only" in report.conventions["l2"]
        assert report.loss_ok is False  # the book's cost: an L2 term twice its gradient's
    else:
        assert words in " ".join(report.diagnosis), str(report)


def test_an_l2_term_with_the_wrong_sign_everywhere_is_named_once_and_not_as_a_factor():
    student = Student(batch="sum", alpha=0.2)

    def minus_l2(params, X, Y):  # every weight gradient adds -alpha W, the loss +alpha/2 W^2
        loss, grads = student(params, X, Y)
        return loss, [g - 2 * 0.2 * p if k % 2 == 0 else g
                      for k, (g, p) in enumerate(zip(grads, params))]

    X, Y = data(12, 5, 3)
    report = check_backprop(minus_l2, init(UNITS), X, Y, alpha=0.2)
    text = " ".join(report.diagnosis)
    assert rows(report) == {"W0": False, "b0": True, "W1": False, "b1": True}
    assert report.loss_ok is False
    assert "W0 and W1: the L2 term is added with the wrong sign" in text
    assert "times what your gradient differentiates" not in text
