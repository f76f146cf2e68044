"""reference.check_optimizer against optimizers written by hand: the right ones match
torch's and scikit-learn's updates, each usual variant is named, and no hostile step is
ever OK."""

import numpy as np
import pytest

from reference import check_optimizer


class HandSGD:
    """SGD with momentum the way a student writes it (torch's buffer form), in place."""

    def __init__(self, lr, momentum=0.0, nesterov=False, weight_decay=0.0, average=False,
                 ascent=False):
        self.lr, self.mu, self.nesterov, self.wd = lr, momentum, nesterov, weight_decay
        self.average, self.ascent, self.buffers = average, ascent, None

    def step(self, params, grads):
        if self.buffers is None:
            self.buffers = [None] * len(params)
        for k, (p, g) in enumerate(zip(params, grads)):
            g = g + self.wd * p
            if self.mu:
                b = self.buffers[k]
                if self.average:
                    b = (1 - self.mu) * g if b is None else self.mu * b + (1 - self.mu) * g
                else:
                    b = g.copy() if b is None else self.mu * b + g
                self.buffers[k] = b
                g = g + self.mu * b if self.nesterov else b
            p -= (-1 if self.ascent else 1) * self.lr * g


class VelocitySGD:
    """scikit-learn's velocity form, returning new arrays."""

    def __init__(self, lr, momentum):
        self.lr, self.mu, self.v = lr, momentum, None

    def step(self, params, grads):
        if self.v is None:
            self.v = [np.zeros_like(p) for p in params]
        self.v = [self.mu * v - self.lr * g for v, g in zip(self.v, grads)]
        return [p + v for p, v in zip(params, self.v)]


class HandAdam:
    def __init__(self, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
                 decoupled=False, mistake=None):
        self.lr, (self.b1, self.b2), self.eps = lr, betas, eps
        self.wd, self.decoupled, self.mistake = weight_decay, decoupled, mistake
        self.t, self.m, self.v = 0, None, None

    def step(self, params, grads):
        if self.m is None:
            self.m = [np.zeros_like(p) for p in params]
            self.v = [np.zeros_like(p) for p in params]
        if self.mistake != "t_not_incremented" or self.t == 0:
            self.t += 1
        b1, b2 = (self.b2, self.b1) if self.mistake == "betas_swapped" else (self.b1, self.b2)
        for k, (p, g) in enumerate(zip(params, grads)):
            if self.wd and self.decoupled:
                p *= 1 - self.lr * self.wd
            elif self.wd:
                g = g + self.wd * p
            self.m[k] = b1 * self.m[k] + (1 - b1) * g
            self.v[k] = b2 * self.v[k] + (1 - b2) * g * g
            if self.mistake == "sklearn":
                lr_t = self.lr * np.sqrt(1 - b2**self.t) / (1 - b1**self.t)
                p -= lr_t * self.m[k] / (np.sqrt(self.v[k]) + self.eps)
                continue
            m_hat = self.m[k] if self.mistake == "no_bias_correction" else \
                self.m[k] / (1 - b1**self.t)
            v_hat = self.v[k] if self.mistake == "no_bias_correction" else \
                self.v[k] / (1 - b2**self.t)
            if self.mistake == "eps_inside_sqrt":
                p -= self.lr * m_hat / np.sqrt(v_hat + self.eps)
            else:
                p -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)


@pytest.mark.parametrize("optimizer,make,expected", [
    ("sgd", lambda: HandSGD(0.1), {"torch.optim.SGD", "scikit-learn's SGDOptimizer"}),
    ("momentum", lambda: HandSGD(0.1, 0.9), {"torch.optim.SGD", "scikit-learn's SGDOptimizer"}),
    ("momentum", lambda: VelocitySGD(0.1, 0.9), {"torch.optim.SGD",
                                                 "scikit-learn's SGDOptimizer"}),
    ("nesterov", lambda: HandSGD(0.1, 0.9, nesterov=True), {"torch.optim.SGD",
                                                           "scikit-learn's SGDOptimizer"}),
    ("momentum", lambda: HandSGD(0.1, 0.9, weight_decay=0.01), {"torch.optim.SGD"}),
    ("adam", lambda: HandAdam(), {"torch.optim.Adam"}),
    ("adam", lambda: HandAdam(mistake="sklearn"), {"scikit-learn's AdamOptimizer"}),
    ("adam", lambda: HandAdam(weight_decay=0.01), {"torch.optim.Adam"}),
    ("adamw", lambda: HandAdam(weight_decay=0.01, decoupled=True), {"torch.optim.AdamW"}),
])
def test_correct_steps_match_the_frameworks(optimizer, make, expected):
    kwargs = {"weight_decay": make().wd} if hasattr(make(), "wd") else {}
    if optimizer != "sgd":  # "sgd" takes its momentum as torch spells it: none here
        kwargs["momentum"] = 0.9
    report = check_optimizer(make().step, optimizer=optimizer, lr=make().lr, **kwargs)
    assert report.ok and set(report.matches) == expected, str(report)


@pytest.mark.parametrize("nesterov", [False, True])
def test_sgd_with_momentum_spelled_as_torch_spells_it(nesterov):
    """torch.optim.SGD(momentum=0.9, nesterov=...) is optimizer="sgd", momentum=0.9."""
    report = check_optimizer(HandSGD(0.1, 0.9, nesterov=nesterov).step, optimizer="sgd",
                             lr=0.1, momentum=0.9, nesterov=nesterov)
    assert report.ok and "torch.optim.SGD" in report.matches, str(report)
    wrong = check_optimizer(HandSGD(0.1, 0.9, nesterov=not nesterov).step, optimizer="sgd",
                            lr=0.1, momentum=0.9, nesterov=nesterov)
    assert not wrong.ok and "Nesterov momentum" in " ".join(wrong.diagnosis), str(wrong)


@pytest.mark.parametrize("optimizer,make,words", [
    ("adam", lambda: HandAdam(mistake="no_bias_correction"), "not bias-corrected"),
    ("adam", lambda: HandAdam(mistake="eps_inside_sqrt"), "inside the square root"),
    ("adam", lambda: HandAdam(mistake="t_not_incremented"), "not incremented"),
    ("adam", lambda: HandAdam(mistake="betas_swapped"), "swapped"),
    ("adamw", lambda: HandAdam(weight_decay=0.05), "coupled"),
    ("adam", lambda: HandAdam(weight_decay=0.05, decoupled=True), "decoupled"),
    ("momentum", lambda: HandSGD(0.1, 0.9, average=True), "an average"),
    ("momentum", lambda: HandSGD(0.1, 0.9, nesterov=True), "it is Nesterov momentum"),
    ("nesterov", lambda: HandSGD(0.1, 0.9), "it is classic momentum"),
    ("sgd", lambda: HandSGD(0.1, ascent=True), "climbs the loss"),
])
def test_each_usual_variant_is_named(optimizer, make, words):
    model = make()
    report = check_optimizer(model.step, optimizer=optimizer, lr=model.lr, momentum=0.9,
                             weight_decay=model.wd)
    assert not report.ok and not report.matches
    assert words in " ".join(report.diagnosis), str(report)


def test_an_unknown_difference_says_at_which_step_it_starts():
    class Forgetful(HandSGD):  # the buffer is reset every third step
        calls = 0

        def step(self, params, grads):
            Forgetful.calls += 1
            if Forgetful.calls % 3 == 0:
                self.buffers = None
            super().step(params, grads)

    report = check_optimizer(Forgetful(0.1, 0.9).step, optimizer="momentum", lr=0.1)
    assert not report.ok
    assert "The first 2 step(s) agree with torch.optim.SGD's, step 3 differs" in report.diagnosis[0]


def test_a_step_that_writes_into_the_gradients_is_not_ok():
    def step(params, grads):
        for p, g in zip(params, grads):
            g *= 0.1
            p -= g

    report = check_optimizer(step, optimizer="sgd", lr=0.1)
    assert not report.ok and report.matches == ["torch.optim.SGD", "scikit-learn's SGDOptimizer"]
    assert "changed the gradient arrays" in report.diagnosis[0]
    assert report.named[0]["slip"] == "writes into grads"


# --- RMSprop and Adagrad ---------------------------------------------------------------------

def rmsprop(lr=0.01, alpha=0.99, eps=1e-8, centered=False, mistake=None):
    state = {}

    def step(params, grads):
        for k, (p, g) in enumerate(zip(params, grads)):
            sq, avg = state.get(k, (0.0, 0.0))
            a = 1 - alpha if mistake == "alpha_swapped" else alpha
            sq = a * sq + (1 - a) * g * g
            avg = alpha * avg + (1 - alpha) * g
            second = sq - avg**2 if centered else sq
            denominator = np.sqrt(second + eps) if mistake == "eps_inside_sqrt" else \
                np.sqrt(second) + eps
            state[k] = (sq, avg)
            p -= lr * g / denominator
    return step


def adagrad(lr=0.01, eps=1e-10, start=0.0, mistake=None):
    state = {}

    def step(params, grads):
        for k, (p, g) in enumerate(zip(params, grads)):
            total = state.get(k, np.full_like(p, 0.1 if mistake == "from_0.1" else start))
            total = total + g * g
            state[k] = total
            denominator = np.sqrt(total + eps) if mistake == "eps_inside_sqrt" else \
                np.sqrt(total) + eps
            p -= lr * g / denominator
    return step


@pytest.mark.parametrize("centered", [False, True])
def test_rmsprop_matches_torch_centred_or_not(centered):
    report = check_optimizer(rmsprop(centered=centered), optimizer="rmsprop", lr=0.01,
                             centered=centered)
    assert report.ok and report.matches == ["torch.optim.RMSprop"], str(report)


@pytest.mark.parametrize("kwargs,words", [
    ({"mistake": "eps_inside_sqrt"}, "epsilon is inside the square root, sqrt(v + eps)"),
    ({"mistake": "alpha_swapped"}, "the smoothing constant weighs the new gradient"),
    ({"centered": True}, "it is centred RMSprop, not plain"),
])
def test_rmsprops_usual_slips_are_named(kwargs, words):
    report = check_optimizer(rmsprop(**kwargs), optimizer="rmsprop", lr=0.01)
    assert not report.ok and words in " ".join(report.diagnosis), str(report)


def test_adagrad_matches_torch_and_its_slips_are_named():
    assert check_optimizer(adagrad(), optimizer="adagrad", lr=0.01).ok
    assert check_optimizer(adagrad(start=0.5), optimizer="adagrad", lr=0.01,
                           initial_accumulator_value=0.5).ok
    for mistake, words in (("eps_inside_sqrt", "sqrt(sum + eps)"),
                           ("from_0.1", "the accumulator starts at 0.1")):
        report = check_optimizer(adagrad(mistake=mistake), optimizer="adagrad", lr=0.01)
        assert not report.ok and words in " ".join(report.diagnosis), str(report)
    report = check_optimizer(adagrad(), optimizer="adagrad", lr=0.01,
                             initial_accumulator_value=0.5)
    assert "starts at 0 instead of initial_accumulator_value = 0.5" in report.diagnosis[0]


# --- returned arrays, and the framework the step follows longest -------------------------------

def test_a_step_returning_new_arrays_is_accepted_and_said():
    report = check_optimizer(VelocitySGD(0.1, 0.9).step, optimizer="momentum", lr=0.1)
    assert report.ok and report.mode == "returned"
    assert "returns the new arrays" in str(report)


def test_a_step_matching_one_frameworks_first_step_is_reported_against_it():
    state = {"t": 0}

    def adam_then_drift(params, grads):  # torch's Adam for one step (m_hat = g,
        state["t"] += 1                   # v_hat = g^2), then half of it
        for p, g in zip(params, grads):
            p -= 1e-3 * g / (np.abs(g) + 1e-8) * (1.0 if state["t"] == 1 else 0.5)

    report = check_optimizer(adam_then_drift, optimizer="adam", lr=1e-3)
    assert not report.ok
    text = " ".join(report.diagnosis)
    assert "The first 1 step(s) agree with torch.optim.Adam's, step 2 differs" in text, text


# --- never OK ---------------------------------------------------------------------------------

@pytest.mark.parametrize("spoil", ["nan", "inf", "complex", "fewer", "empty", "shape",
                                   "string"])
def test_a_hostile_step_is_never_ok(spoil):
    def step(params, grads):
        new = [p - 0.1 * g for p, g in zip(params, grads)]
        if spoil == "nan":
            new[0] = new[0] * np.nan
        elif spoil == "inf":
            new[1] = new[1] + np.inf
        elif spoil == "complex":
            new[0] = new[0] + 1j
        elif spoil == "fewer":
            new = new[:-1]
        elif spoil == "empty":
            new = []
        elif spoil == "shape":
            new[0] = new[0].T
        elif spoil == "string":
            return "done"
        return new

    report = check_optimizer(step, optimizer="sgd", lr=0.1)
    assert not report.ok and report.diagnosis, str(report)


def test_a_step_writing_nan_in_place_is_not_ok():
    def step(params, grads):
        for p in params:
            p[...] = np.nan

    assert not check_optimizer(step, optimizer="sgd", lr=0.1).ok


@pytest.mark.parametrize("kwargs,error,words", [
    ({"steps": 0}, ValueError, "steps"), ({"steps": 2.5}, ValueError, "steps"),
    ({"lr": np.nan}, ValueError, "lr"), ({"lr": -1.0}, ValueError, "lr"),
    ({"rtol": -1.0}, ValueError, "rtol"), ({"eps": 0.0}, ValueError, "eps"),
    ({"momentum": 1.5}, ValueError, "momentum"), ({"betas": (0.9,)}, TypeError, "betas"),
    ({"optimizer": "lion"}, ValueError, "optimizer"), ({"shapes": []}, ValueError, "shapes"),
])
def test_arguments_are_checked_with_one_line_naming_them(kwargs, error, words):
    settings = {"optimizer": "sgd", "lr": 0.1, **kwargs}
    with pytest.raises(error, match=words):
        check_optimizer(lambda p, g: None, **settings)


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adam", "rmsprop", "adagrad"])
@pytest.mark.parametrize("lr", [1e-7, 1e-9])
def test_a_tiny_learning_rate_hides_no_wrong_step(optimizer, lr):
    """The difference is measured against how far the parameters moved, not their size."""
    def nothing(params, grads):
        return None

    def ascent(params, grads):
        for p, g in zip(params, grads):
            p += lr * g

    for wrong in (nothing, ascent):
        report = check_optimizer(wrong, optimizer=optimizer, lr=lr)
        assert not report.ok, (wrong.__name__, report.errors)


def test_an_adam_ignoring_its_beta_2_is_caught_at_a_small_learning_rate():
    import torch

    def fixed_beta_2(params, grads, state={}):  # noqa: B006 - the state lives between calls
        if "opt" not in state:
            state["tensors"] = [torch.tensor(p) for p in params]
            state["opt"] = torch.optim.Adam(state["tensors"], lr=5e-5, betas=(0.9, 0.999))
        for t, g in zip(state["tensors"], grads):
            t.grad = torch.tensor(g)
        state["opt"].step()
        for p, t in zip(params, state["tensors"]):
            p[...] = t.detach().numpy()

    report = check_optimizer(fixed_beta_2, optimizer="adam", lr=5e-5, betas=(0.9, 0.99))
    assert not report.ok


@pytest.mark.parametrize("kwargs,error,words", [
    (dict(seed=-1), ValueError, "seed"), (dict(seed=1.5), ValueError, "seed"),
    (dict(seed="a"), ValueError, "seed"), (dict(centered="no"), TypeError, "centered"),
    (dict(lr=1e308), ValueError, "lr"), (dict(shapes=np.array([[2, 3]])), ValueError, "shapes"),
    (dict(shapes=[(True, 2)]), ValueError, "shapes"),
])
def test_more_bad_arguments_are_named(kwargs, error, words):
    args = dict(optimizer="rmsprop", lr=0.1, **{k: v for k, v in kwargs.items() if k != "lr"})
    if "lr" in kwargs:
        args["lr"] = kwargs["lr"]
    with pytest.raises(error, match=words):
        check_optimizer(lambda params, grads: None, **args)
