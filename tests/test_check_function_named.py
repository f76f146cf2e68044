"""check_function's named mistakes (issue 28, item 4): each planted mistake is NOT OK, with
exactly the rows it spoils flagged and the mistake named by the slip that makes it; where
nothing in the grammar reproduces a gradient, nothing is named and the report says where it
is worst."""

import pytest
import torch

from reference import check_function
from tests import custom_functions as cf


@pytest.mark.parametrize("name", list(cf.MISTAKES))
def test_each_planted_mistake_is_caught_in_its_rows_and_named(name):
    fn, inputs, spoiled, slip = cf.MISTAKES[name]
    report = check_function(fn, *inputs, **cf.KEYWORDS.get(name, {}))
    assert not report.ok
    assert [row["name"] for row in report.rows if not row["ok"]] == spoiled, report
    assert report.named and report.named[0]["slip"] == slip, report
    assert report.diagnosis[0] == report.named[0]["text"]


@pytest.mark.parametrize("name,words", [
    ("not multiplied by grad_output", "does not multiply by grad_output"),
    ("constant factor", "1/8 times the right gradient (1/n, n = 8"),
    ("broadcast not reduced", "not summed back to bias's shape (3,): sum it over axis 0"),
    ("reduced over the wrong axis", "summed over axis 1 instead of axis 0"),
    ("two gradients swapped", "x and y are wrong: their gradients are swapped"),
    ("wrong saved tensor", "reads x where it needs y"),
    ("derivative at the input", "written in terms of the output y (1 - y^2), is evaluated "
                                "at the input x"),
    ("non-contiguous grad_output read as contiguous", "as if it were contiguous"),
    ("None missing", "returns 2 value(s) for its 3 forward inputs: none for k"),
    ("gradient for a non-tensor input", "a gradient for k, which is not a tensor"),
])
def test_the_sentence_says_what_happened(name, words):
    fn, inputs, _, _ = cf.MISTAKES[name]
    assert words in check_function(fn, *inputs).named[0]["text"]


def test_a_mistake_in_a_module_s_parameter_is_named_by_the_parameter():
    bad = cf.MISTAKES["constant factor"][0]
    report = check_function(cf.LinearModule(4, 3, bad), cf.randn(8, 4))
    assert [r["name"] for r in report.rows if not r["ok"]] == ["bias"]
    assert report.named[0]["slip"] == "factor" and report.named[0]["where"] == ["bias"]


def test_a_broadcast_left_unreduced_inside_a_module_is_caught_though_autograd_sums_it():
    bad = cf.MISTAKES["broadcast not reduced"][0]
    report = check_function(cf.LinearModule(4, 3, bad), cf.randn(5, 4))
    assert not report.ok and [r["name"] for r in report.rows if not r["ok"]] == ["bias"]
    assert report.named[0]["slip"] == "not_reduced"
    assert "autograd summed it silently" in report.named[0]["text"]


def test_two_slips_at_once_are_named_together():
    class NotMultipliedAndNegated(cf.Sigmoid):
        @staticmethod
        def backward(ctx, grad_output):
            y, = ctx.saved_tensors
            return -y * (1 - y)
    report = check_function(NotMultipliedAndNegated, cf.randn(4, 5))
    assert report.named[0]["slip"] == "not_multiplied+sign"


def test_the_sign_of_one_output_s_term_is_named():
    class OneTermSign(cf.SinCos):
        @staticmethod
        def backward(ctx, grad_sin, grad_cos):
            x, = ctx.saved_tensors
            return grad_sin * x.cos() + grad_cos * x.sin()
    report = check_function(OneTermSign, cf.randn(6))
    assert report.named[0]["slip"] == "sign"
    assert "upstream gradient of out1" in report.named[0]["text"]


@pytest.mark.parametrize("seed", range(4))
def test_a_gradient_off_by_noise_is_never_named_and_its_worst_element_is_given(seed):
    noise = torch.randn(4, 5, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    seen = []

    class Noisy(cf.Sigmoid):
        @staticmethod
        def backward(ctx, grad_output):
            y, = ctx.saved_tensors
            seen.append(grad_output.clone())
            return grad_output * (y * (1 - y) + 0.05 * noise)
    report = check_function(Noisy, cf.randn(4, 5))
    assert not report.ok and report.named == []
    gap = (0.05 * noise * seen[0]).abs()  # the first call's upstream gradient is the rows'
    worst = tuple(int(i) for i in divmod(int(gap.argmax()), 5))
    assert report.rows[0]["worst_index"] == worst
    assert f"worst at {worst}" in report.diagnosis[0]


def test_a_derivative_of_another_form_is_not_named_but_located():
    class OneMinusY(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x, w):
            ctx.save_for_backward(x, w)
            return torch.tanh(x @ w)

        @staticmethod
        def backward(ctx, grad_output):
            x, w = ctx.saved_tensors
            y = torch.tanh(x @ w)
            grad_z = grad_output * (1 - y)  # 1 - y where 1 - y^2 belongs
            return grad_z @ w.t(), x.t() @ grad_z
    report = check_function(OneMinusY, cf.randn(10, 6), cf.randn(6, 3))
    assert not report.ok and report.named == []
    assert all(r["worst_index"] is not None for r in report.rows)
    assert report.diagnosis[0].startswith("x is wrong and no slip of the grammar")


# --- mistakes that show only in how the Function is used, named all the same -----------------

class SiLUInPlace(torch.autograd.Function):
    """x <- x sigmoid(x) in place, without mark_dirty."""

    @staticmethod
    def forward(ctx, x):
        s = torch.sigmoid(x)
        ctx.save_for_backward(s, x.clone())
        return x.mul_(s)

    @staticmethod
    def backward(ctx, grad_output):
        s, x = ctx.saved_tensors
        return grad_output * (s + x * s * (1 - s))


def residual_silu(x, w):
    h = x @ w
    return h + SiLUInPlace.apply(h)  # h is changed under autograd's feet


def test_a_function_inside_fn_writing_an_intermediate_without_mark_dirty_is_named():
    report = check_function(residual_silu, cf.randn(5, 3), cf.randn(3, 3))
    assert not report.ok and report.named[0]["slip"] == "writes its input without mark_dirty"
    assert "SiLUInPlace's forward writes into its input x" in report.named[0]["text"]


class ViewsGradOutput(cf.Linear):
    @staticmethod
    def backward(ctx, grad_output):
        x, weight = ctx.saved_tensors
        flat = grad_output.view(-1)  # fails on a non-contiguous grad_output
        g = flat.view(grad_output.shape)
        return g @ weight, g.t() @ x, g.sum(0)


def test_a_view_of_a_non_contiguous_grad_output_is_named_where_the_graph_transposes_it():
    def used_transposed(x, weight, bias):
        return ViewsGradOutput.apply(x, weight, bias).t()
    report = check_function(used_transposed, cf.X, cf.W, cf.B)
    assert not report.ok and report.named[0]["slip"] == "non-contiguous grad_output"
    assert all(not row["ok"] for row in report.rows)


class IgnoresNone(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.set_materialize_grads(False)
        ctx.save_for_backward(x)
        return 2 * x, x * x

    @staticmethod
    def backward(ctx, grad_double, grad_square):
        x, = ctx.saved_tensors
        return 2 * grad_double + 2 * x * grad_square  # grad_double may be None


def test_a_none_grad_output_left_unhandled_is_named():
    def square_only(x):
        return IgnoresNone.apply(x)[1]
    report = check_function(square_only, cf.randn(4))
    assert not report.ok and report.named[0]["slip"] == "None grad_output not handled"


_workspace = {}


class Workspace(cf.Linear):
    @staticmethod
    def backward(ctx, grad_output):
        x, weight = ctx.saved_tensors
        buffer = _workspace.setdefault("w", torch.zeros_like(weight))
        buffer += grad_output.t() @ x  # never zeroed, and handed back itself
        return grad_output @ weight, buffer, grad_output.sum(0)


def test_a_buffer_handed_back_and_added_into_is_told_as_accumulating():
    _workspace.clear()
    report = check_function(Workspace, cf.X, cf.W, cf.B)
    assert [r["name"] for r in report.rows if not r["ok"]] == ["weight"]
    assert report.named[0]["slip"] == "accumulates across calls"


class ChangesSavedInBackward(cf.Sigmoid):
    @staticmethod
    def backward(ctx, grad_output):
        y, = ctx.saved_tensors
        return grad_output * y.mul_(1 - y)  # the saved output overwritten


def test_a_backward_that_changes_a_saved_tensor_is_named_and_its_row_flagged():
    report = check_function(ChangesSavedInBackward, cf.randn(4, 5))
    assert not report.ok and [r["ok"] for r in report.rows] == [False]
    assert report.named[0]["slip"] == "in-place change to a saved tensor"


class StraightThrough(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        return torch.round(x)

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output


def test_a_straight_through_estimator_is_not_ok_and_said_to_be_one():
    x = torch.tensor([[0.2, 1.3, -0.7], [2.1, -1.2, 0.6]], dtype=torch.float64)
    report = check_function(StraightThrough, x)
    assert not report.ok and report.named[0]["slip"] == "pass_through"
    assert "straight-through estimator" in report.named[0]["text"]
