"""reference.check_optimizer against optimizers written by hand: the right ones match
torch's
and scikit-learn's updates, each usual variant is named."""

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
    report = check_optimizer(make().step, optimizer=optimizer, lr=make().lr,
                             momentum=0.9, **kwargs)
    assert report.ok and set(report.matches) == expected, str(report)


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


def test_a_step_that_writes_into_the_gradients_is_noticed():
    def step(params, grads):
        for p, g in zip(params, grads):
            g *= 0.1
            p -= g

    report = check_optimizer(step, optimizer="sgd", lr=0.1)
    assert report.ok and "changed the gradient arrays" in report.diagnosis[0]
