"""reference.check_function (issue 28): a PyTorch custom backward held to its own forward.
Every form of fn is read and a right one is OK; inputs are read, named and never touched;
the reference is float64 finite differences, elementwise or along directions with the worst
element found afterwards; float32 precision is told apart from mistakes; kinks are left out
and counted; every probe can make a report NOT OK; arguments that cannot be checked are a
one-line error. The named mistakes are in test_check_function_named.py, check_model in
test_check_model.py."""

import json
import random

import numpy as np
import pytest
import torch

from reference import FunctionReport, assert_function, check_function
from tests import custom_functions as cf

D = torch.float64


def rows(report):
    return {row["name"]: row["ok"] for row in report.rows}


def probe(report, name):
    return next(p for p in report.probes if p["probe"] == name)


# --- item 1: every form, right, is OK -------------------------------------------------------------

@pytest.mark.parametrize("name", list(cf.RIGHT))
def test_a_right_function_of_every_form_is_ok(name):
    fn, inputs = cf.RIGHT[name]
    report = check_function(fn, *inputs)
    assert report.ok, report
    assert all(p["ok"] is not False for p in report.probes)
    assert report.named == []


def test_rows_are_named_by_the_forward_s_own_parameters():
    report = check_function(cf.Linear, cf.X, cf.W, cf.B)
    assert [r["name"] for r in report.rows] == ["x", "weight", "bias"]
    assert report.rows[0] == {"name": "x", "shape": (8, 4), "ok": True,
                              "rel_error": report.rows[0]["rel_error"], "worst_index": None,
                              "yours": None, "reference": None, "kinks": 0,
                              "returned_shape": None}
    module = check_function(cf.LinearModule(4, 3), cf.randn(5, 4))
    assert [r["name"] for r in module.rows] == ["x", "weight", "bias"]
    custom = check_function(cf.scaled_sin, cf.randn(5), 2.0)
    assert [r["name"] for r in custom.rows] == ["x"]
    assert "k passed through" in custom.reading[0]


def test_names_come_from_names_or_are_numbered():
    def f(*tensors):
        return tensors[0] * tensors[1]
    a, b = cf.randn(3), cf.randn(3)
    assert [r["name"] for r in check_function(f, a, b).rows] == ["input0", "input1"]
    assert [r["name"] for r in check_function(f, a, b, names=["a", "b"]).rows] == ["a", "b"]


def test_what_is_not_a_floating_tensor_is_passed_through():
    def f(x, n, flag, label, nothing, index):
        assert isinstance(n, int) and flag is True and label == "a" and nothing is None
        return x[index] * n
    x = cf.randn(5)
    report = check_function(f, x, 3, True, "a", None, torch.tensor([0, 2, 4]))
    assert report.ok and [r["name"] for r in report.rows] == ["x"]
    assert report.reading[0] == ("inputs: x differentiated; n, flag, label, nothing, index "
                                 "passed through")


def test_requires_grad_set_on_some_inputs_chooses_them():
    x, w, b = cf.X.clone(), cf.W.clone().requires_grad_(), cf.B.clone()
    report = check_function(cf.Linear, x, w, b)
    assert [r["name"] for r in report.rows] == ["weight"]


def test_the_user_s_tensors_their_flags_and_the_random_states_are_untouched():
    x, w, b = cf.X.clone(), cf.W.clone().requires_grad_(), cf.B.clone()
    saved = [t.detach().clone() for t in (x, w, b)]
    torch.manual_seed(5)
    np.random.seed(5)
    random.seed(5)
    states = torch.get_rng_state(), np.random.get_state()[1].copy(), random.getstate()
    threads = torch.get_num_threads()
    check_function(cf.Linear, x, w, b)
    check_function(cf.Nondeterministic, cf.randn(4))
    check_function(cf.WritesInput, x)
    assert torch.equal(states[0], torch.get_rng_state())
    assert np.array_equal(states[1], np.random.get_state()[1]) and random.getstate() == states[2]
    assert torch.get_num_threads() == threads
    assert all(torch.equal(t, s) for t, s in zip((x, w, b), saved))
    assert (x.requires_grad, w.requires_grad, b.requires_grad) == (False, True, False)
    assert w.grad is None


def test_a_module_s_own_parameters_are_not_touched():
    module = cf.LinearModule(4, 3)
    before = {k: v.detach().clone() for k, v in module.state_dict().items()}
    check_function(module, cf.randn(5, 4))
    assert all(torch.equal(v, before[k]) for k, v in module.state_dict().items())
    assert all(p.grad is None for p in module.parameters())


def test_a_gradient_of_the_wrong_shape_is_flagged_never_reshaped():
    report = check_function(cf.MISTAKES["transposed"][0], cf.X, cf.W, cf.B)
    # autograd refuses a (4, 3) gradient for a (3, 4) weight: no gradient reaches any input
    assert rows(report) == {"x": False, "weight": False, "bias": False}
    assert report.named[0]["slip"] == "transposed" and report.named[0]["where"] == ["weight"]
    assert report.rows[1]["returned_shape"] == (4, 3) and report.rows[1]["shape"] == (3, 4)
    assert "weight (3, 4)           NO   -                your gradient has shape (4, 3)" in \
        str(report)
    assert probe(report, "shapes")["ok"] is False
    assert "shape (4, 3) for weight, whose shape is (3, 4)" in probe(report, "shapes")["text"]


def test_the_reference_is_float64_finite_differences_of_your_own_forward():
    report = check_function(cf.Sigmoid, cf.randn(4, 5))
    assert "finite differences of your own forward in float64, entry by entry" in \
        report.reading[-1]
    linear = check_function(cf.Linear, cf.X, cf.W, cf.B)
    assert "along random directions for x, weight, bias" in linear.reading[-1]


def test_a_forward_that_cannot_run_in_float64_is_checked_at_its_own_precision():
    class CastsToFloat32(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return (x.float() * 2).float()

        @staticmethod
        def backward(ctx, grad_output):
            return 2 * grad_output
    report = check_function(CastsToFloat32, cf.randn(6, dtype=torch.float32))
    assert report.ok, report
    assert report.triage.startswith("float32 only: your function cannot run in float64 (given "
                                    "float64 copies it still returns float32)")
    assert "in float32" in report.reading[-1]


def test_a_large_input_is_checked_along_directions_and_its_worst_element_found_after():
    class Softmax(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            y = x.softmax(-1)
            ctx.save_for_backward(y)
            return y

        @staticmethod
        def backward(ctx, grad_output):
            y, = ctx.saved_tensors
            grad = y * (grad_output - (grad_output * y).sum(-1, keepdim=True))
            grad[61, 17] += 0.5  # one entry wrong
            return grad
    report = check_function(Softmax, cf.randn(100, 100))
    assert not report.ok
    assert report.rows[0]["worst_index"] == (61, 17)
    assert report.rows[0]["yours"] - report.rows[0]["reference"] == pytest.approx(0.5)
    assert "along random directions" in report.reading[-1]


def test_a_large_input_autograd_cannot_follow_has_its_worst_element_found_by_halving():
    class NumpyCumsumSquared(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return torch.from_numpy(np.cumsum(x.detach().numpy(), 1) ** 2)

        @staticmethod
        def backward(ctx, grad_output):
            x, = ctx.saved_tensors
            c = np.cumsum(x.numpy(), 1)
            grad = np.cumsum((2 * c * grad_output.numpy())[:, ::-1], 1)[:, ::-1].copy()
            grad[5, 7] += 1.0  # one entry wrong
            return torch.from_numpy(grad)
    report = check_function(NumpyCumsumSquared, cf.randn(100, 100))
    assert not report.ok and report.rows[0]["worst_index"] == (5, 7)
    assert report.rows[0]["yours"] - report.rows[0]["reference"] == pytest.approx(1.0, rel=1e-4)
    assert "halving along directions" in report.diagnosis[0]


# --- item 2: precision triage, kinks --------------------------------------------------------------

def test_float32_right_is_ok_and_said_to_be_within_its_precision():
    report = check_function(cf.Sigmoid, cf.randn(10, 10, dtype=torch.float32))
    assert report.ok and report.precision == "float32, also run in float64"
    assert report.triage.startswith("within float32's precision in float32")
    assert "exact in float64" in report.triage


def test_float32_precision_alone_is_told_apart_from_a_mistake():
    class Cancels(torch.autograd.Function):
        """(1 - cos x) / x^2 near 0: right formulas that lose float32's digits."""
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return (1 - torch.cos(x)) / x ** 2

        @staticmethod
        def backward(ctx, grad_output):
            x, = ctx.saved_tensors
            return grad_output * (x * torch.sin(x) - 2 * (1 - torch.cos(x))) / x ** 3
    x = torch.rand(20, generator=torch.Generator().manual_seed(0)) * 0.1 + 0.1
    report = check_function(Cancels, x)
    assert report.ok, report
    assert report.triage.startswith("precision only: wrong by")
    assert report.triage.endswith("in float32, exact in float64")
    nearer = check_function(Cancels, x / 2)  # more digits lost than float32 has to give
    assert not nearer.ok and nearer.named == []
    assert nearer.triage.startswith("precision only, but too much for float32: wrong by")


def test_a_float32_overflow_is_precision_but_not_ok():
    class NaiveLogSumExp(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return torch.log(torch.exp(x).sum(-1))

        @staticmethod
        def backward(ctx, grad_output):
            x, = ctx.saved_tensors
            e = torch.exp(x)
            return grad_output[:, None] * e / e.sum(-1, keepdim=True)
    report = check_function(NaiveLogSumExp, 60 * cf.randn(8, 6, dtype=torch.float32))
    assert not report.ok
    assert report.triage.startswith("precision only, but float32 overflows")


def test_a_float32_mistake_is_a_real_mistake_even_within_float32_s_tolerance():
    class OffByLittle(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x.sin()

        @staticmethod
        def backward(ctx, grad_output):
            x, = ctx.saved_tensors
            return grad_output * x.cos() * 1.0005
    report = check_function(OffByLittle, cf.randn(10, 10, dtype=torch.float32))
    assert not report.ok
    assert report.triage == ("a real mistake: wrong in float64 too (by 5e-04), though within "
                             "float32's tolerance in float32")
    assert report.named[0]["slip"] == "factor" and "1.0005 times" in report.named[0]["text"]


def test_a_float32_sign_mistake_is_wrong_in_float64_too():
    fn, inputs, _, _ = cf.MISTAKES["sign"]
    report = check_function(fn, *[t.float() if isinstance(t, torch.Tensor) else t
                                  for t in inputs])
    assert not report.ok and report.triage.startswith("a real mistake: wrong in float64 too")
    assert report.named[0]["slip"] == "sign"


def test_float16_is_checked_at_its_own_precision_too():
    report = check_function(cf.Tanh, cf.randn(6, 4, dtype=torch.float16))
    assert report.ok and report.tolerance == 5e-2
    assert report.triage.startswith("within float16's precision")


def test_bfloat16_a_number_of_zero_dimensions_and_an_empty_input_are_checked():
    report = check_function(cf.Tanh, cf.randn(6, 4, dtype=torch.bfloat16))
    assert report.ok and report.precision == "bfloat16, also run in float64"
    assert report.triage.startswith("within bfloat16's precision")
    assert check_function(cf.Sigmoid, torch.tensor(0.3, dtype=D)).ok
    assert check_function(cf.Sigmoid, torch.zeros(0, 3, dtype=D)).ok


def test_a_forward_drawing_from_numpy_gets_the_same_draws_and_numpy_is_left_alone():
    def noisy(x):
        return x * float(np.random.rand())
    np.random.seed(3)
    state = np.random.get_state()[1].copy()
    report = check_function(noisy, cf.randn(3))
    assert report.ok and any("draws random numbers" in line for line in report.reading)
    assert np.array_equal(np.random.get_state()[1], state)


def test_kinks_are_found_left_out_and_counted():
    x = cf.randn(6, 4)
    x[0, :3] = 0.0
    report = check_function(cf.Relu, x)
    assert report.ok and report.rows[0]["kinks"] == 3
    assert "x: 3 entries sit at a kink" in " ".join(report.reading)
    ties = cf.randn(5, 4)
    ties[1, 2] = ties[1, 3] = ties[1].max() + 1
    report = check_function(cf.RowMax, ties)
    assert report.ok and report.rows[0]["kinks"] == 2


def test_a_wrong_gradient_away_from_the_kinks_is_still_caught():
    x = cf.randn(6, 4)
    x[0, :3] = 0.0

    class LeakyWrong(cf.Relu):
        @staticmethod
        def backward(ctx, grad_output):
            x, = ctx.saved_tensors
            return grad_output * (x > 0) + 0.01 * grad_output * (x < 0)
    report = check_function(LeakyWrong, x)
    assert not report.ok and report.rows[0]["kinks"] == 3


# --- item 3: every probe can make the report NOT OK -----------------------------------------------

@pytest.mark.parametrize("mistake,name", [
    ("accumulating across calls", "twice"), ("nondeterministic", "twice"),
    ("non-contiguous grad_output read as contiguous", "noncontiguous"),
    ("not multiplied by grad_output", "zero"), ("not multiplied by grad_output", "scaled"),
    ("multiplied twice", "scaled"), ("broadcast not reduced", "shapes"),
    ("wrong dtype", "dtypes"), ("None missing", "count"),
    ("gradient for a non-tensor input", "count"),
    ("writes its input without mark_dirty", "writes"),
    ("in-place change to a saved tensor", "saved"), ("wrong second derivative", "double"),
])
def test_each_probe_can_make_the_report_not_ok(mistake, name):
    fn, inputs, _, _ = cf.MISTAKES[mistake]
    report = check_function(fn, *inputs, **cf.KEYWORDS.get(mistake, {}))
    assert not report.ok
    assert probe(report, name)["ok"] is False, report


def test_a_constant_added_to_the_gradient_fails_the_zero_probe_and_is_named():
    class Offset(cf.Sigmoid):
        @staticmethod
        def backward(ctx, grad_output):
            y, = ctx.saved_tensors
            return grad_output * y * (1 - y) + 0.1
    report = check_function(Offset, cf.randn(4, 5))
    assert probe(report, "zero")["ok"] is False
    assert report.named[0]["slip"] == "constant"


def test_backward_writing_into_grad_output_or_its_inputs_is_not_ok():
    class WritesGrad(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, grad_output):
            x, = ctx.saved_tensors
            grad_output.mul_(2)
            return grad_output * x

    class WritesSaved(WritesGrad):
        @staticmethod
        def backward(ctx, grad_output):
            x, = ctx.saved_tensors
            out = 2 * x * grad_output
            x.zero_()
            return out
    report = check_function(WritesGrad, cf.randn(5))
    assert not report.ok and report.named[0]["slip"] == "writes into grad_output"
    report = check_function(WritesSaved, cf.randn(5))
    assert not report.ok and "backward writes into the forward's input x" in \
        probe(report, "writes")["text"]


def test_a_backward_that_is_not_reentrant_is_not_ok():
    class Frees(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.keep = x.detach().clone()
            return 2 * x

        @staticmethod
        def backward(ctx, grad_output):
            kept = ctx.keep
            del ctx.keep
            return 2 * grad_output + 0 * kept
    report = check_function(Frees, cf.randn(5))
    assert not report.ok and probe(report, "twice")["ok"] is False
    assert "not reentrant" in probe(report, "twice")["text"]


def test_double_backward_is_checked_by_default_on_small_inputs_and_on_request():
    fn, inputs, _, _ = cf.MISTAKES["wrong second derivative"]
    asked = check_function(fn, *inputs, double_backward=True)
    assert not asked.ok and probe(asked, "double")["ok"] is False
    by_default = check_function(fn, *inputs)  # said, not held against it
    assert by_default.ok and probe(by_default, "double")["ok"] is None
    assert "the second derivative in x is wrong" in probe(by_default, "double")["text"]
    assert "counts with double_backward=True" in probe(by_default, "double")["text"]
    assert probe(check_function(cf.Exp, cf.randn(4)), "double")["ok"] is None  # once_diff.
    assert "once_differentiable" in probe(check_function(cf.Exp, cf.randn(4)), "double")["text"]
    quiet = check_function(cf.NumpySin, cf.randn(5))
    assert quiet.ok and probe(quiet, "double")["ok"] is None
    asked = check_function(cf.NumpySin, cf.randn(5), double_backward=True)
    assert not asked.ok and probe(asked, "double")["ok"] is False
    large = check_function(cf.Sigmoid, cf.randn(50, 50))
    assert not [p for p in large.probes if p["probe"] == "double"]


def test_a_probe_that_does_not_apply_says_so():
    class Total(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return (x * x).sum()

        @staticmethod
        def backward(ctx, grad_output):
            x, = ctx.saved_tensors
            return 2 * x * grad_output
    report = check_function(Total, cf.randn(5))
    assert report.ok and probe(report, "noncontiguous")["ok"] is None


def test_a_forward_that_draws_random_numbers_gets_the_same_draws_each_call():
    class Dropout(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            mask = (torch.rand(x.shape, dtype=x.dtype) > 0.5).to(x.dtype)
            ctx.save_for_backward(mask)
            return x * mask * 2

        @staticmethod
        def backward(ctx, grad_output):
            mask, = ctx.saved_tensors
            return grad_output * mask * 2
    report = check_function(Dropout, cf.randn(6, 5))
    assert report.ok, report
    assert any("draws random numbers" in line for line in report.reading)


# --- the report -----------------------------------------------------------------------------------

def test_the_report_is_a_report():
    report = check_function(cf.Linear, cf.X, cf.W, cf.B)
    assert isinstance(report, FunctionReport) and bool(report) is True
    assert repr(report) == str(report)
    data = json.loads(json.dumps(report.to_dict()))
    assert data["ok"] is True and data["rows"][0]["name"] == "x"
    assert {"probe", "title", "ok", "text"} <= set(data["probes"][0])
    text = str(report)
    assert text.startswith("check_function (Linear): OK")
    assert "probes:" in text and "yes  backward called twice gives the same gradient" in text


def test_a_not_ok_report_shows_the_worst_element_and_the_diagnosis():
    fn, inputs, _, _ = cf.MISTAKES["sign"]
    report = check_function(fn, *inputs)
    assert bool(report) is False
    text = str(report)
    assert "NOT OK" in text and "x      (5, 3)           NO" in text
    assert "diagnosis:\n  - x is wrong: its sign is flipped" in text


def test_assert_function_raises_with_the_report_and_returns_it_when_ok():
    assert assert_function(cf.Sigmoid, cf.randn(3)).ok
    fn, inputs, _, _ = cf.MISTAKES["sign"]
    with pytest.raises(AssertionError, match="its sign is flipped"):
        assert_function(fn, *inputs)


# --- arguments that cannot be checked: one line, naming the argument ------------------------------

class NoBackward(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        return 2 * x


@pytest.mark.parametrize("call,error,words", [
    (lambda: check_function(3, cf.randn(3)), TypeError, "fn must be"),
    (lambda: check_function(cf.Sigmoid), ValueError, "needs fn's inputs"),
    (lambda: check_function(cf.Sigmoid, np.ones(3)), ValueError, "give torch.tensor"),
    (lambda: check_function(cf.Sigmoid, torch.tensor([1, 2])), ValueError, "none of the inputs"),
    (lambda: check_function(cf.Sigmoid, torch.tensor([1.0, float("nan")])), ValueError,
     "input x cannot be checked: it holds NaN"),
    (lambda: check_function(cf.Sigmoid, cf.randn(3), rtol=0), ValueError, "rtol"),
    (lambda: check_function(cf.Sigmoid, cf.randn(3), seed=-1), ValueError, "seed"),
    (lambda: check_function(cf.Sigmoid, cf.randn(3), double_backward=1), TypeError,
     "double_backward"),
    (lambda: check_function(cf.Sigmoid, cf.randn(3), names="x"), TypeError, "names"),
    (lambda: check_function(cf.Sigmoid, cf.randn(3), names=["a", "b"]), ValueError, "names"),
    (lambda: check_function(NoBackward, cf.randn(3)), TypeError, "defines no backward"),
    (lambda: check_function(lambda x: 1 / 0, cf.randn(3)), ValueError,
     "fn raised ZeroDivisionError"),
    (lambda: check_function(lambda x: "a", cf.randn(3)), ValueError,
     "fn returned no floating-point tensor"),
    (lambda: check_function(lambda x: x / 0 * 0, cf.randn(3)), ValueError,
     "fn's output cannot be checked at these inputs: it holds NaN"),
    (lambda: check_function(cf.Sigmoid, torch.eye(3, dtype=D).to_sparse()), ValueError,
     "input x cannot be checked: it is a torch.sparse_coo tensor"),
])
def test_an_argument_that_cannot_be_checked_is_a_one_line_error(call, error, words):
    with pytest.raises(error) as raised:
        call()
    assert words in str(raised.value) and "\n" not in str(raised.value)


def test_a_function_whose_output_does_not_require_grad_is_not_ok():
    report = check_function(lambda x: x.detach() * 2, cf.randn(3))
    assert not report.ok and "no output of fn requires grad" in report.diagnosis[0]
