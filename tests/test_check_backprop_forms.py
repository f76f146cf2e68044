"""check_backprop on the forms people really write: dicts, tuples of lists, tensors, biases
as columns, samples as columns, gradients in another order; verdicts that never mislead
(the headline, NaN, infinity, complex, missing and extra arrays); the arguments checked; the
intermediate nodes and the first wrong step; ``compare``."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from reference import assert_backprop, check_backprop, compare
from tests.students import Student, data, init

UNITS = [5, 4, 3]


def rows(report):
    return {row["name"]: row["ok"] for row in report.params}


def as_dict(student, keys=("W1", "b1", "W2", "b2"), grad_prefix=""):
    """A CS231n-style grad_fn: params and grads as dicts."""
    def grad_fn(params, X, Y):
        loss, grads = student([params[k] for k in keys], X, Y)
        return loss, {grad_prefix + k: g for k, g in zip(keys, grads)}
    return grad_fn


# --- calling forms -------------------------------------------------------------------------------

def test_a_cs231n_params_dict_is_read_with_its_own_names():
    student = Student(activation="relu", alpha=0.1)
    X, Y = data(12, 5, 3)
    params = dict(zip(("W1", "b1", "W2", "b2"), init(UNITS)))
    report = check_backprop(as_dict(student), params, X, Y, activation="relu", alpha=0.1)
    assert report.ok, str(report)
    assert [row["name"] for row in report.params] == ["W1", "b1", "W2", "b2"]
    assert any("by name" in line for line in report.reading)


def test_gradient_names_with_d_or_grad_marks_are_paired_by_name():
    student = Student(activation="tanh")
    X, Y = data(12, 5, 3)
    params = dict(zip(("W1", "b1", "W2", "b2"), init(UNITS)))
    for prefix in ("d", "grad_"):
        report = check_backprop(as_dict(student, grad_prefix=prefix), params, X, Y,
                                activation="tanh")
        assert report.ok, str(report)


def test_a_planted_mistake_is_named_with_the_users_own_names():
    student = Student(activation="tanh", bug="derivative_at_z")
    X, Y = data(12, 5, 3)
    params = dict(zip(("W1", "b1", "W2", "b2"), init(UNITS)))
    report = check_backprop(as_dict(student), params, X, Y, activation="tanh")
    assert rows(report) == {"W1": False, "b1": False, "W2": True, "b2": True}
    text = " ".join(report.diagnosis)
    assert "W1 and b1 are wrong" in text and "between W1 and W2" in text, text
    assert "W0" not in str(report)


def test_gradients_in_another_order_are_paired_by_shape_and_said():
    student = Student(batch="sum")
    X, Y = data(12, 5, 3)

    def sorted_order(params, X, Y):  # [W0, W1, b0, b1]: sorted(grads) of a dict
        loss, grads = student(params, X, Y)
        return loss, [grads[0], grads[2], grads[1], grads[3]]

    report = check_backprop(sorted_order, init(UNITS), X, Y)
    assert all(rows(report).values()) and not report.ok, str(report)  # every array right,
    assert any("by shape" in line and "another order" in line for line in report.reading)
    assert "in another order than params (W0, W1, b0, b1 for W0, b0, W1, b1)" in \
        " ".join(report.diagnosis)  # but a list in another order is a bug for a zip update


def test_nielsens_nabla_b_and_nabla_w_for_a_flat_list_are_paired_by_shape():
    student = Student(batch="sum")
    X, Y = data(12, 5, 3)

    def nabla(params, X, Y):
        loss, grads = student(params, X, Y)
        return loss, (grads[1::2], grads[0::2])  # (nabla_b, nabla_w)

    report = check_backprop(nabla, init(UNITS), X, Y)
    assert report.ok, str(report)  # a structure of its own: paired by shape, no order implied


def test_nielsens_biases_and_weights_with_column_biases():
    student = Student(activation="logistic", output="logistic", loss="squared_error",
                      batch="sum", layout="torch")
    X, Y = data(12, 5, 3, output="logistic")
    flat = init(UNITS, layout="torch")
    params = ([flat[1][:, None], flat[3][:, None]], [flat[0], flat[2]])

    def backprop(params, X, Y):
        biases, weights = params
        loss, grads = student([weights[0], biases[0].ravel(), weights[1], biases[1].ravel()],
                              X, Y)
        return loss, ([grads[1][:, None], grads[3][:, None]], [grads[0], grads[2]])

    report = check_backprop(backprop, params, X, Y, activation="logistic", output="logistic",
                            loss="squared_error")
    assert report.ok, str(report)
    assert [row["name"] for row in report.params] == ["weights[0]", "biases[0]", "weights[1]",
                                                      "biases[1]"]


def test_samples_as_columns_whose_shapes_also_chain_another_way():
    # Andrew Ng's layout with 2 features, 3 samples, 3 hidden units and 2 outputs: read
    # with samples as rows, (3, 2) and (2, 1) chain up as a network in another order; the
    # order given, read with samples as columns, comes first.
    student = Student(activation="tanh")
    X, Y = data(3, 2, 2)
    params = [init([2, 3, 2])[k] for k in range(4)]
    ng = [params[0].T.copy(), params[1][:, None].copy(), params[2].T.copy(),
          params[3][:, None].copy()]

    def columns(params, X, Y):  # W (n_out, n_in), b (n_out, 1), X (n_features, n_samples)
        W1, b1, W2, b2 = params
        loss, (gW1, gb1, gW2, gb2) = student([W1.T, b1.ravel(), W2.T, b2.ravel()], X.T, Y.T)
        return loss, [gW1.T, gb1[:, None], gW2.T, gb2[:, None]]

    report = check_backprop(columns, ng, X.T.copy(), Y.T.copy(), activation="tanh")
    assert report.ok, str(report)
    assert any("samples are columns" in line for line in report.reading), str(report)
    assert any("in the order given" in line for line in report.reading), str(report)

def test_biases_as_rows_are_accepted():
    student = Student(activation="relu")
    X, Y = data(12, 5, 3)
    params = [p[None, :] if p.ndim == 1 else p for p in init(UNITS)]

    def karpathy(params, X, Y):
        loss, grads = student([p.ravel() if p.shape[0] == 1 else p for p in params], X, Y)
        return loss, [g[None, :] if g.ndim == 1 else g for g in grads]

    assert check_backprop(karpathy, params, X, Y, activation="relu").ok


def test_samples_as_columns_are_recognised_and_said():
    student = Student(activation="tanh", batch="sum")
    X, Y = data(12, 5, 3)

    def columns(params, X, Y):  # X (n_features, n_samples), Y (n_outputs, n_samples)
        return student(params, X.T, Y.T)

    report = check_backprop(columns, init(UNITS), X.T.copy(), Y.T.copy(), activation="tanh")
    assert report.ok, str(report)
    assert any("samples are columns" in line for line in report.reading)


def test_a_pytorch_state_dict_of_tensors_float64_and_float32():
    torch.manual_seed(0)
    for dtype in (torch.float64, torch.float32):
        model = torch.nn.Sequential(torch.nn.Linear(5, 4), torch.nn.Tanh(),
                                    torch.nn.Linear(4, 3)).to(dtype)
        X = torch.randn(16, 5, dtype=dtype)
        y = torch.arange(16) % 3

        def grad_fn(params, X, y):
            model.load_state_dict(params)
            model.zero_grad()
            loss = torch.nn.functional.cross_entropy(model(X), y)
            loss.backward()
            return loss.item(), {k: p.grad.clone() for k, p in model.named_parameters()}

        state = {k: v.clone() for k, v in model.state_dict().items()}
        report = check_backprop(grad_fn, state, X, y, activation="tanh")
        assert report.ok, str(report)
        assert report.loss_ok is True, str(report)  # no false alarm at float32
        assert report.precision == str(dtype).split(".")[1]
        assert [row["name"] for row in report.params] == list(state)


def test_a_loss_returned_as_a_list_or_of_shape_one_is_read():
    student = Student(batch="sum")
    X, Y = data(12, 5, 3)

    def as_list(params, X, Y):
        loss, grads = student(params, X, Y)
        return [np.array([loss]), grads]

    report = check_backprop(as_list, init(UNITS), X, Y)
    assert report.ok and report.loss_ok is True, str(report)


# --- verdicts that do not mislead ----------------------------------------------------------------

@pytest.mark.parametrize("bad", [np.nan, np.inf, 1j])
def test_nan_inf_and_complex_gradients_are_never_ok(bad):
    student = Student(batch="sum")
    X, Y = data(12, 5, 3)

    def spoilt(params, X, Y):
        loss, grads = student(params, X, Y)
        grads[2] = grads[2] + bad
        return loss, grads

    report = check_backprop(spoilt, init(UNITS), X, Y)
    assert not report.ok and not rows(report)["W1"]
    text = " ".join(report.diagnosis)
    assert "W1's gradient is not usable" in text and "accumulated" not in text, text


@pytest.mark.parametrize("kind", [object, str])
def test_gradients_that_are_not_numbers_are_never_ok_and_said(kind):
    """Object or string arrays handed back as gradients: NOT OK, said in one sentence, and
    nothing inside NumPy raises."""
    student = Student(batch="sum")
    X, Y = data(12, 5, 3)

    def spoilt(params, X, Y):
        loss, grads = student(params, X, Y)
        grads[0] = np.array(grads[0], dtype=kind)
        return loss, grads

    report = check_backprop(spoilt, init(UNITS), X, Y)
    assert not report.ok and not rows(report)["W0"]
    assert "W0's gradient is not usable: it holds" in " ".join(report.diagnosis), str(report)


def test_a_nan_loss_is_not_ok():
    student = Student(batch="sum")
    X, Y = data(12, 5, 3)
    report = check_backprop(lambda p, X, Y: (np.nan, student(p, X, Y)[1]), init(UNITS), X, Y)
    assert not report.ok and report.loss_ok is False
    assert "nan" in " ".join(report.diagnosis).lower()


@pytest.mark.parametrize("change", ["fewer", "more"])
def test_one_array_too_few_or_too_many_is_never_ok(change):
    student = Student(batch="sum")
    X, Y = data(12, 5, 3)

    def counted(params, X, Y):
        loss, grads = student(params, X, Y)
        return loss, grads[:-1] if change == "fewer" else grads + [np.zeros(3)]

    report = check_backprop(counted, init(UNITS), X, Y)
    assert not report.ok
    assert ("no gradient" if change == "fewer" else "more than there are parameters") in \
        " ".join(report.diagnosis)


def test_a_grad_fn_that_writes_into_its_arguments_is_named():
    student = Student(batch="sum")
    X, Y = data(12, 5, 3)
    params = init(UNITS)
    originals = [p.copy() for p in params], X.copy()

    def scaling(params, X, Y):
        X /= 2.0  # in place: a classic preprocessing slip
        loss, grads = student(params, X * 2.0, Y)
        params[0] -= 0.1 * grads[0]  # and an update inside the gradient function
        return loss, grads

    report = check_backprop(scaling, params, X, Y)
    assert not report.ok
    text = " ".join(report.diagnosis)
    assert "wrote into its arguments: W0 and X changed" in text, text
    for a, b in zip(params + [X], originals[0] + [originals[1]]):
        np.testing.assert_array_equal(a, b)


def test_an_l2_term_on_the_biases_in_the_gradient_only_is_named():
    student = Student(batch="mean", alpha=0.2)
    X, Y = data(12, 5, 3)

    def biases_too(params, X, Y):
        loss, grads = student(params, X, Y)
        return loss, [g + 0.2 * p if k % 2 else g for k, (g, p) in
                      enumerate(zip(grads, params))]

    report = check_backprop(biases_too, init(UNITS), X, Y, alpha=0.2)
    assert not report.ok and report.loss_ok is False
    assert "Your gradient adds an L2 term on the biases (0.2 b) that your loss does not " \
        "have" in " ".join(report.diagnosis), str(report)


def test_a_layer_holding_only_its_l2_term_is_named():
    student = Student(batch="mean", alpha=0.2)
    X, Y = data(12, 5, 3)

    def detached(params, X, Y):
        loss, grads = student(params, X, Y)
        grads[0] = 0.2 * params[0]  # the data part lost (a detached layer)
        return loss, grads

    report = check_backprop(detached, init(UNITS), X, Y, alpha=0.2)
    assert rows(report) == {"W0": False, "b0": True, "W1": True, "b1": True}
    assert "holds only its L2 term" in " ".join(report.diagnosis), str(report)


def test_a_factor_nobody_uses_is_stated_as_the_factor():
    student = Student(batch="mean")
    X, Y = data(12, 5, 3)

    def odd(params, X, Y):
        loss, grads = student(params, X, Y)
        grads[2] = grads[2] / 784  # divided by the number of features of another data set
        return loss, grads

    report = check_backprop(odd, init(UNITS), X, Y)
    assert rows(report) == {"W0": True, "b0": True, "W1": False, "b1": True}
    assert "W1: 0.001276 times" in " ".join(report.diagnosis), str(report)


def test_assert_backprop_raises_on_a_loss_mismatch_unless_the_loss_check_is_off():
    student = Student(batch="sum")
    X, Y = data(12, 5, 3)
    halved = lambda p, X, Y: (student(p, X, Y)[0] / 2, student(p, X, Y)[1])  # noqa: E731
    with pytest.raises(AssertionError, match="NOT OK"):
        assert_backprop(halved, init(UNITS), X, Y)
    assert assert_backprop(halved, init(UNITS), X, Y, check_loss=False).ok


# --- the arguments -------------------------------------------------------------------------------

@pytest.mark.parametrize("result,words", [(None, "returned None"), (1.5, "returned a float"),
                                          ("grads", "returned a str")])
def test_a_result_that_is_no_gradient_is_a_one_line_type_error(result, words):
    X, Y = data(12, 5, 3)
    with pytest.raises(TypeError, match=words) as info:
        check_backprop(lambda p, X, Y: result, init(UNITS), X, Y)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("kwargs,error,words", [
    ({"alpha": -1.0}, ValueError, "alpha"), ({"alpha": np.nan}, ValueError, "alpha"),
    ({"rtol": 0.0}, ValueError, "rtol"), ({"rtol": "1e-6"}, TypeError, "rtol"),
    ({"negative_slope": np.inf}, ValueError, "negative_slope"),
    ({"nodes": ["dz"]}, TypeError, "nodes"), ({"check_loss": "no"}, TypeError, "check_loss"),
    ({"activation": "gelu"}, ValueError, "activation"),
])
def test_arguments_are_checked_with_one_line_naming_them(kwargs, error, words):
    X, Y = data(12, 5, 3)
    with pytest.raises(error, match=words):
        check_backprop(Student(), init(UNITS), X, Y, **kwargs)


def test_inputs_that_cannot_be_checked_are_named():
    X, Y = data(12, 5, 3)
    with pytest.raises(ValueError, match="Y has 11 rows but X has 12 samples"):
        check_backprop(Student(), init(UNITS), X, Y[:11])
    with pytest.raises(ValueError, match="X must be"):
        check_backprop(Student(), init(UNITS), X[:0], Y[:0])
    bad = X.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="X cannot be checked: it holds NaN"):
        check_backprop(Student(), init(UNITS), bad, Y)
    with pytest.raises(TypeError, match="grad_fn must be a function"):
        check_backprop("not a function", init(UNITS), X, Y)
    with pytest.raises(ValueError, match="grad_fn raised ZeroDivisionError"):
        check_backprop(lambda p, X, Y: 1 / 0, init(UNITS), X, Y)


# --- hostile results are never OK ----------------------------------------------------------------

HOSTILE = st.sampled_from(["nan", "inf", "-inf", "complex", "object", "none_array", "short",
                           "long", "transposed", "scalar", "string", "empty", "ones",
                           "masked"])


@settings(max_examples=40, deadline=None, derandomize=True)
@given(kind=HOSTILE, position=st.integers(0, 3), loss=st.booleans())
def test_property_a_hostile_result_never_gives_ok(kind, position, loss):
    student = Student(batch="sum")
    X, Y = data(12, 5, 3)

    def hostile(params, X, Y):
        value, grads = student(params, X, Y)
        g = grads[position]
        grads[position] = {
            "nan": g * np.nan, "inf": g + np.inf, "-inf": g - np.inf, "complex": g + 0.5j,
            "object": np.array([object()] * g.size, dtype=object), "none_array": None,
            "short": g.ravel()[:-1], "long": np.append(g.ravel(), 1.0), "transposed": g.T,
            "scalar": 1.0, "string": "gradient", "empty": np.array([]),
            "ones": np.ones_like(g),
            "masked": np.ma.masked_array(g, mask=np.arange(g.size).reshape(g.shape) == 0),
        }[kind]
        return (value, grads) if loss else grads

    try:
        report = check_backprop(hostile, init(UNITS), X, Y)
    except (ValueError, TypeError) as error:
        assert "\n" not in str(error)
        return
    if kind == "transposed" and position % 2:
        return  # a bias, (n,) transposed, is the same vector
    assert not report.ok, str(report)


HOSTILE_LOSS = st.sampled_from(["constant", "nan", "inf", "complex", "string", "negated",
                                "doubled", "none", "array of one", "array of two"])


@settings(max_examples=30, deadline=None, derandomize=True)
@given(kind=HOSTILE_LOSS, as_list=st.booleans())
def test_property_a_hostile_loss_never_gives_ok(kind, as_list):
    """Right gradients with a wrong loss beside them: NOT OK, or a one-line error; the one
    harmless form (the right loss as an array of one value) may pass."""
    student = Student(batch="sum")
    X, Y = data(12, 5, 3)

    def hostile(params, X, Y):
        value, grads = student(params, X, Y)
        loss = {"constant": 0.5, "nan": np.nan, "inf": np.inf, "complex": value + 1j,
                "string": "loss", "negated": -value, "doubled": 2 * value, "none": None,
                "array of one": np.array([value]),
                "array of two": np.array([value, value])}[kind]
        return [loss, grads] if as_list else (loss, grads)

    try:
        report = check_backprop(hostile, init(UNITS), X, Y)
    except (ValueError, TypeError) as error:
        assert "\n" not in str(error) and "grad_fn" in str(error)
        return
    if kind == "array of one":
        assert report.ok, str(report)
    else:
        assert not report.ok, str(report)


# --- the first wrong step ------------------------------------------------------------------------

def two_layer(bug=None):
    """A Karpathy-style two-layer net that hands over its intermediate gradients."""
    def grad_fn(params, X, y):
        W1, b1, W2, b2 = params["W1"], params["b1"], params["W2"], params["b2"]
        n = len(X)
        hpre = X @ W1 + b1
        h = np.tanh(hpre)
        logits = h @ W2 + b2
        p = np.exp(logits - logits.max(1, keepdims=True))
        p /= p.sum(1, keepdims=True)
        loss = -np.log(p[np.arange(n), y]).mean()
        dlogits = p.copy()
        dlogits[np.arange(n), y] -= 1
        dlogits /= n
        dh = dlogits @ (W2 if bug == "no transpose" else W2.T)
        dhpre = dh * ((1 - h) if bug == "1 - h" else (1 - h**2))
        grads = {"W1": X.T @ dhpre, "b1": dhpre.sum(0), "W2": h.T @ dlogits,
                 "b2": dlogits.sum(0)}
        return loss, grads, {"dlogits": dlogits, "dh": dh, "dhpre": dhpre}
    return grad_fn


NODES = {"dlogits": "z2", "dh": "h1", "dhpre": "z1"}


def two_layer_data(width=4):
    rng = np.random.default_rng(0)
    params = {"W1": rng.normal(0, 0.5, (5, width)), "b1": rng.normal(0, 0.1, width),
              "W2": rng.normal(0, 0.5, (width, width)), "b2": rng.normal(0, 0.1, width)}
    X, y = rng.normal(size=(10, 5)), np.arange(10) % width
    return params, X, y


def test_intermediate_nodes_are_checked_in_backward_order():
    params, X, y = two_layer_data()
    report = check_backprop(two_layer(), params, X, y, activation="tanh", nodes=NODES)
    assert report.ok, str(report)
    assert [row["name"] for row in report.nodes] == ["dlogits", "dh", "dhpre"]
    assert all(row["verdict"] in ("exact", "close") for row in report.nodes)


@pytest.mark.parametrize("bug,node,words", [
    ("1 - h", "dhpre", "the tanh derivative is written 1 - h (not squared) instead of 1 - h^2"),
    ("no transpose", "dh", "the backward multiply uses W where it needs its transpose"),
])
def test_the_first_wrong_node_is_named_with_its_local_step(bug, node, words):
    params, X, y = two_layer_data()
    report = check_backprop(two_layer(bug), params, X, y, activation="tanh", nodes=NODES)
    assert not report.ok
    verdicts = {row["name"]: row["verdict"] for row in report.nodes}
    assert verdicts[node] == "wrong"
    text = " ".join(report.diagnosis)
    assert f"{node} (" in text and "first wrong node" in text and words in text, str(report)
    worst = next(row for row in report.nodes if row["name"] == node)
    assert worst["worst_index"] is not None and worst["yours"] != worst["reference"]


def test_a_node_name_the_network_lacks_is_refused():
    params, X, y = two_layer_data()
    with pytest.raises(ValueError, match="not a node of this network"):
        check_backprop(two_layer(), params, X, y, activation="tanh", nodes={"dh": "h2"})


def test_compare_gives_the_worst_element_and_never_passes_nan():
    right = np.arange(6.0).reshape(2, 3)
    assert compare("a", right.copy(), right).verdict == "exact"
    assert compare("a", right + 1e-9, right).verdict == "close"
    wrong = right.copy()
    wrong[1, 2] = 9.0
    result = compare("a", wrong, right)
    assert (result.verdict, result.worst_index, result.yours, result.reference) == \
        ("wrong", (1, 2), 9.0, 5.0)
    assert "worst at (1, 2)" in str(result)
    for bad in (right * np.nan, right + np.inf, right + 1j, right.T):
        assert not compare("a", bad, right).ok


# --- float32's tolerance needs evidence of a float32 computation ----------------------------------

def _rounded(student, scale=1.0, loss_as=float, return_loss=True):
    """float64 gradients rounded to float32 numbers (W1 scaled by ``scale``), the loss
    rounded by ``loss_as``."""
    def grad_fn(params, X, Y):
        loss, grads = student(params, X, Y)
        grads = [g.copy() for g in grads]
        grads[0] = grads[0] * scale
        grads = [g.astype(np.float32).astype(np.float64) for g in grads]
        return (loss_as(loss), grads) if return_loss else grads
    return grad_fn


def test_a_wrong_gradient_rounded_to_float32_numbers_is_not_loosened():
    # 0.05% too large is inside float32's 1e-3 but far outside float64's 1e-6; with a
    # float64 loss and float64 inputs nothing says the computation ran in float32.
    student = Student()
    X, Y = data(12, 5, 3)
    report = check_backprop(_rounded(student, scale=1.0005), init(UNITS), X, Y)
    assert not report.ok, str(report)
    assert rows(report) == {"W0": False, "b0": True, "W1": True, "b1": True}
    assert report.params[0]["tolerance"] == 1e-6


def test_a_float32_computation_handed_over_as_float64_keeps_float32s_tolerance():
    student = Student()
    X, Y = data(12, 5, 3)

    def as32(loss):
        return float(np.float32(loss))

    for grad_fn in (_rounded(student, loss_as=as32), _rounded(student, return_loss=False)):
        report = check_backprop(grad_fn, init(UNITS), X, Y)
        assert report.ok, str(report)
        # (the biases have too few values to say what they carry: float64's, still met)
        tolerances = {row["name"]: row["tolerance"] for row in report.params}
        assert tolerances == {"W0": 1e-3, "b0": 1e-6, "W1": 1e-3, "b1": 1e-6}, str(report)
    # and a float32 computation's own error (not just its rounding) is within it
    params32 = [p.astype(np.float32) for p in init(UNITS)]

    def grad_fn(params, X, Y):
        loss, grads = student([np.asarray(p, np.float32) for p in params],
                              X.astype(np.float32), Y.astype(np.float32))
        return float(loss), [np.asarray(g, np.float64) for g in grads]

    report = check_backprop(grad_fn, [p.astype(np.float64) for p in params32], X, Y)
    assert report.ok, str(report)


def test_a_float32_bias_loosens_itself_alone_not_a_wrong_float64_weight_beside_it():
    student = Student()
    X, Y = data(12, 5, 3)

    def grad_fn(params, X, Y):
        loss, grads = student(params, X, Y)
        return loss, [grads[0] * 1.0005, grads[1].astype(np.float32), *grads[2:]]

    report = check_backprop(grad_fn, init(UNITS), X, Y)
    assert not report.ok, str(report)
    assert rows(report) == {"W0": False, "b0": True, "W1": True, "b1": True}
    tolerances = {row["name"]: row["tolerance"] for row in report.params}
    assert tolerances["W0"] == 1e-6 and tolerances["b0"] == 1e-3
