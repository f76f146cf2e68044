"""reference.check_model (issue 28, item 5): in a model of custom layers (Functions, a backward
hook, a tensor hook) the first wrong one in backward order is named, the same model with the
mistake removed is OK, standard modules are trusted and counted, and the model is never
changed."""

import pytest
import torch

from reference import check_model
from tests import custom_functions as cf

D = torch.float64


class Activation(torch.nn.Module):
    def __init__(self, function=cf.Tanh):
        super().__init__()
        self.function = function

    def forward(self, x):
        return self.function.apply(x)


class Net(torch.nn.Module):
    """Six custom layers (four Function layers, one with a backward hook, one with a tensor
    hook) and two standard ones."""

    def __init__(self, wrong=None):
        super().__init__()
        fn = cf.MISTAKES["constant factor"][0]
        self.fc1 = cf.LinearModule(5, 8, fn if wrong == "fc1" else cf.Linear)
        self.act1 = Activation(cf.MISTAKES["derivative at the output"][0]
                               if wrong == "act1" else cf.Tanh)
        self.fc2 = cf.LinearModule(8, 8, fn if wrong == "fc2" else cf.Linear)
        self.norm = torch.nn.LayerNorm(8).double()
        self.act2 = Activation()
        self.hooked = torch.nn.Linear(8, 4).double()
        self.hooked.register_full_backward_hook(
            lambda m, gi, go: (gi[0] * (0.5 if wrong == "hooked" else 1.0),))
        self.clip = cf.ClippedTanh(1e-3 if wrong == "clip" else 1e9)

    def forward(self, x):
        x = self.act1(self.fc1(x))
        x = self.act2(self.norm(self.fc2(x)))
        return self.clip(self.hooked(x))


X = cf.randn(6, 5)


def test_a_model_of_right_custom_layers_is_ok():
    report = check_model(Net(), X)
    assert report.ok, report
    assert [m["name"] for m in report.modules] == ["clip", "hooked", "act2", "fc2", "act1",
                                                   "fc1"]
    assert report.first_wrong is None and report.trusted == 1  # the LayerNorm
    assert all(m["ok"] for m in report.modules)


@pytest.mark.parametrize("wrong", ["fc1", "act1", "fc2", "hooked", "clip"])
def test_the_first_wrong_custom_module_is_named(wrong):
    report = check_model(Net(wrong), X)
    assert not report.ok and report.first_wrong == wrong, report
    assert [m["name"] for m in report.modules if not m["ok"]] == [wrong]
    assert report.diagnosis[0].startswith(f"The first wrong custom module in backward order "
                                          f"is {wrong}")


def test_the_first_wrong_in_backward_order_is_the_one_nearest_the_output():
    model = Net("fc1")
    model.fc2.function = cf.MISTAKES["constant factor"][0]
    report = check_model(model, X)
    assert report.first_wrong == "fc2"
    assert [m["name"] for m in report.modules if not m["ok"]] == ["fc2", "fc1"]


def test_why_each_module_is_custom_is_said():
    report = check_model(Net(), X)
    why = {m["name"]: m["why"] for m in report.modules}
    assert why["fc1"] == "calls Linear" and why["act2"] == "calls Tanh"
    assert why["hooked"] == "has a backward hook" and why["clip"] == "registers a tensor hook"
    assert "fc1" in str(report) and "trusted" in str(report)


def test_a_custom_loss_is_checked_as_the_last_module():
    class Squared(torch.autograd.Function):
        @staticmethod
        def forward(ctx, y):
            ctx.save_for_backward(y)
            return (y * y).sum()

        @staticmethod
        def backward(ctx, grad_output):
            y, = ctx.saved_tensors
            return y * grad_output  # the 2 is missing
    report = check_model(Net(), X, loss_fn=Squared.apply)
    assert report.first_wrong == "loss_fn" and report.modules[0]["name"] == "loss_fn"
    assert "2 times" in report.modules[0]["text"]
    plain = check_model(Net(), X, loss_fn=lambda y: (y ** 2).mean())
    assert plain.ok and plain.trusted == 2


def test_a_model_of_standard_modules_has_nothing_to_check():
    model = torch.nn.Sequential(torch.nn.Linear(5, 3), torch.nn.ReLU()).double()
    report = check_model(model, X)
    assert report.ok and report.modules == [] and report.trusted == 3
    assert "nothing custom to check" in report.diagnosis[0]


def test_the_model_is_never_changed():
    model = Net("fc2")
    before = {k: v.detach().clone() for k, v in model.state_dict().items()}
    check_model(model, X, loss_fn=lambda y: y.sum())
    assert all(torch.equal(v, before[k]) for k, v in model.state_dict().items())
    assert all(p.grad is None for p in model.parameters())
    assert torch.Tensor.register_hook.__module__ == "torch._tensor"


def test_the_report_is_a_report():
    import json

    report = check_model(Net("act1"), X)
    assert bool(report) is False
    data = json.loads(json.dumps(report.to_dict()))
    assert data["first_wrong"] == "act1" and data["reports"]["act1"]["ok"] is False


@pytest.mark.parametrize("call,error,words", [
    (lambda: check_model(3, X), TypeError, "model must be a torch.nn.Module"),
    (lambda: check_model(Net()), ValueError, "needs the model's inputs"),
    (lambda: check_model(Net(), cf.randn(6, 7)), ValueError, "model raised RuntimeError"),
    (lambda: check_model(Net(), X, loss_fn=3), TypeError, "loss_fn"),
])
def test_arguments_that_cannot_be_checked_are_a_one_line_error(call, error, words):
    with pytest.raises(error) as raised:
        call()
    assert words in str(raised.value) and "\n" not in str(raised.value)
