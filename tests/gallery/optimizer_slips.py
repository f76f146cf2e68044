"""Held-out optimizer steps for ``check_optimizer``: correct ones and hand-written slips.

A step function is ``step(params, grads)``: it updates a list of arrays in place or returns the
new list, and keeps its own state between calls. Three hands write them here: torch's loop
(``torch/optim/*.py`` written out in NumPy), CS231n's ``optim.py`` (``w, config = update(w, dw,
config)``, one config dict per parameter) and small classes that own their state.

``CASES`` holds one dict per case::

    {"name", "make": () -> (step_fn_factory, check_optimizer_kwargs), "bug": None or words,
     "kind_of_slip": None or a slip}

``step_fn_factory()`` returns a fresh step function (new state). The kwargs spell the optimizer
as the checker does; Nesterov is torch's spelling, ``optimizer="sgd", momentum=0.9,
nesterov=True``. ``self_check()`` runs each correct step against ``torch.optim`` on the same drawn
gradients and confirms each slip leaves torch's trajectory or writes into the gradients;
``python -m tests.gallery.optimizer_slips`` runs it.
"""

import numpy as np

# --------------------------------------------------------------------------- torch's loops


class SGD:
    """torch.optim.SGD: buf = mu buf + g (buf = g at first); p -= lr (g + mu buf or buf)."""

    def __init__(self, lr, momentum=0.0, nesterov=False, weight_decay=0.0):
        self.lr, self.momentum, self.nesterov = lr, momentum, nesterov
        self.weight_decay = weight_decay
        self.buffers = {}

    def step(self, params, grads):
        for i, (p, g) in enumerate(zip(params, grads)):
            d_p = g + self.weight_decay * p if self.weight_decay else g
            if self.momentum:
                if i not in self.buffers:
                    self.buffers[i] = d_p.copy()
                else:
                    self.buffers[i] = self.momentum * self.buffers[i] + d_p
                buf = self.buffers[i]
                d_p = d_p + self.momentum * buf if self.nesterov else buf
            p -= self.lr * d_p


class Adam:
    """torch.optim.Adam: p -= lr m_hat / (sqrt(v_hat) + eps), hats bias-corrected by t."""

    def __init__(self, lr, betas=(0.9, 0.999), eps=1e-8):
        self.lr, self.betas, self.eps = lr, betas, eps
        self.ms, self.vs, self.t = None, None, 0

    def step(self, params, grads):
        b1, b2 = self.betas
        if self.ms is None:
            self.ms = [np.zeros_like(p) for p in params]
            self.vs = [np.zeros_like(p) for p in params]
        self.t += 1
        for p, g, m, v in zip(params, grads, self.ms, self.vs):
            m *= b1
            m += (1 - b1) * g
            v *= b2
            v += (1 - b2) * g * g
            m_hat = m / (1 - b1 ** self.t)
            v_hat = v / (1 - b2 ** self.t)
            p -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)


class AdamW(Adam):
    """torch.optim.AdamW: p *= 1 - lr wd, then Adam's step on the raw gradient."""

    def __init__(self, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2):
        super().__init__(lr, betas, eps)
        self.weight_decay = weight_decay

    def step(self, params, grads):
        for p in params:
            p *= 1 - self.lr * self.weight_decay
        super().step(params, grads)


class RMSprop:
    """torch.optim.RMSprop: v = alpha v + (1 - alpha) g^2; p -= lr g / (sqrt(v) + eps)."""

    def __init__(self, lr, alpha=0.99, eps=1e-8):
        self.lr, self.alpha, self.eps = lr, alpha, eps
        self.square_avgs = {}

    def step(self, params, grads):
        for i, (p, g) in enumerate(zip(params, grads)):
            v = self.square_avgs.setdefault(i, np.zeros_like(p))
            v *= self.alpha
            v += (1 - self.alpha) * g * g
            p -= self.lr * g / (np.sqrt(v) + self.eps)


class Adagrad:
    """torch.optim.Adagrad: s += g^2; p -= lr g / (sqrt(s) + eps)."""

    def __init__(self, lr, eps=1e-10, initial_accumulator_value=0.0):
        self.lr, self.eps, self.initial = lr, eps, initial_accumulator_value
        self.sums = {}

    def step(self, params, grads):
        for i, (p, g) in enumerate(zip(params, grads)):
            s = self.sums.setdefault(i, np.full_like(p, self.initial))
            s += g * g
            p -= self.lr * g / (np.sqrt(s) + self.eps)


# --------------------------------------------------------------------------- CS231n's optim.py

def sgd_momentum(w, dw, config=None):
    """v = momentum v - learning_rate dw; next_w = w + v."""
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("momentum", 0.9)
    v = config.get("velocity", np.zeros_like(w))
    v = config["momentum"] * v - config["learning_rate"] * dw
    next_w = w + v
    config["velocity"] = v
    return next_w, config


def rmsprop(w, dw, config=None):
    """cache = decay cache + (1 - decay) dw^2; next_w = w - lr dw / (sqrt(cache) + eps)."""
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("decay_rate", 0.99)
    config.setdefault("epsilon", 1e-8)
    config.setdefault("cache", np.zeros_like(w))
    decay = config["decay_rate"]
    config["cache"] = decay * config["cache"] + (1 - decay) * dw ** 2
    next_w = w - config["learning_rate"] * dw / (np.sqrt(config["cache"]) + config["epsilon"])
    return next_w, config


def adam(w, dw, config=None):
    """m, v moving averages; next_w = w - lr m_hat / (sqrt(v_hat) + eps), t counts steps."""
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-3)
    config.setdefault("beta1", 0.9)
    config.setdefault("beta2", 0.999)
    config.setdefault("epsilon", 1e-8)
    config.setdefault("m", np.zeros_like(w))
    config.setdefault("v", np.zeros_like(w))
    config.setdefault("t", 0)
    b1, b2 = config["beta1"], config["beta2"]
    config["t"] += 1
    config["m"] = b1 * config["m"] + (1 - b1) * dw
    mt = config["m"] / (1 - b1 ** config["t"])
    config["v"] = b2 * config["v"] + (1 - b2) * dw ** 2
    vt = config["v"] / (1 - b2 ** config["t"])
    next_w = w - config["learning_rate"] * mt / (np.sqrt(vt) + config["epsilon"])
    return next_w, config


def _per_parameter(update, **config):
    """Return a factory of step functions applying a CS231n update with one config per array."""
    def factory():
        configs = {}

        def step(params, grads):
            new = []
            for i, (w, dw) in enumerate(zip(params, grads)):
                next_w, configs[i] = update(w, dw, configs.get(i, dict(config)))
                new.append(next_w)
            return new
        return step
    return factory


# --------------------------------------------------------------------------- the slips

def adam_v_with_beta1(w, dw, config):
    config.setdefault("m", np.zeros_like(w))
    config.setdefault("v", np.zeros_like(w))
    config.setdefault("t", 0)
    b1, b2 = config["beta1"], config["beta2"]
    config["t"] += 1
    config["m"] = b1 * config["m"] + (1 - b1) * dw
    mt = config["m"] / (1 - b1 ** config["t"])
    config["v"] = b2 * config["v"] + (1 - b2) * dw ** 2
    vt = config["v"] / (1 - b1 ** config["t"])                 # beta1 where beta2 belongs
    next_w = w - config["learning_rate"] * mt / (np.sqrt(vt) + config["epsilon"])
    return next_w, config


def sgd_momentum_step_then_velocity(w, dw, config):
    v = config.get("velocity", np.zeros_like(w))
    next_w = w + v                                             # moves with last step's velocity
    v = config["momentum"] * v - config["learning_rate"] * dw
    config["velocity"] = v
    return next_w, config


def nesterov_momentum_swapped(w, dw, config):
    v = config.get("velocity", np.zeros_like(w))
    v_prev = v
    v = config["momentum"] * v - config["learning_rate"] * dw
    next_w = w - config["momentum"] * v + (1 + config["momentum"]) * v_prev   # v, v_prev swapped
    config["velocity"] = v
    return next_w, config


def sgd_momentum_lr_twice(w, dw, config):
    v = config.get("velocity", np.zeros_like(w))
    v = config["momentum"] * v - config["learning_rate"] * dw
    next_w = w + config["learning_rate"] * v                   # lr is already inside v
    config["velocity"] = v
    return next_w, config


def _sgd_no_op(lr):
    def factory():
        def step(params, grads):
            for p, g in zip(params, grads):
                p = p - lr * g                                 # rebinds the name only
        return step
    return factory


def _sgd_ascending(lr):
    def factory():
        def step(params, grads):
            for p, g in zip(params, grads):
                p += lr * g                                    # climbs the gradient
        return step
    return factory


def _sgd_decay_into_grads(lr, weight_decay):
    def factory():
        def step(params, grads):
            for p, g in zip(params, grads):
                g += weight_decay * p                          # the caller's gradient changes
                p -= lr * g
        return step
    return factory


class EMAMomentum(SGD):
    """Momentum as an exponential average: buf = mu buf + (1 - mu) g."""

    def step(self, params, grads):
        for i, (p, g) in enumerate(zip(params, grads)):
            buf = self.buffers.setdefault(i, np.zeros_like(p))
            buf *= self.momentum
            buf += (1 - self.momentum) * g                     # dampening torch does not apply
            p -= self.lr * buf


class NesterovWithoutLookahead(SGD):
    """Meant as torch's Nesterov; steps with the buffer alone."""

    def step(self, params, grads):
        for i, (p, g) in enumerate(zip(params, grads)):
            buf = self.buffers.get(i)
            buf = g.copy() if buf is None else self.momentum * buf + g
            self.buffers[i] = buf
            p -= self.lr * buf                                 # g + mu buf was meant


class AdamCoupledDecay(Adam):
    """Meant as AdamW; adds wd p to the gradient, which is Adam with L2."""

    def __init__(self, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2):
        super().__init__(lr, betas, eps)
        self.weight_decay = weight_decay

    def step(self, params, grads):
        super().step(params, [g + self.weight_decay * p for p, g in zip(params, grads)])


class AdamWDecayWithoutLr(Adam):
    """AdamW whose decay forgets the learning rate: p -= wd p."""

    def __init__(self, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2):
        super().__init__(lr, betas, eps)
        self.weight_decay = weight_decay

    def step(self, params, grads):
        for p in params:
            p -= self.weight_decay * p
        super().step(params, grads)


class AdamCountAfter(Adam):
    """t is counted after the update, so the bias corrections use t - 1 (0 at the first step)."""

    def step(self, params, grads):
        b1, b2 = self.betas
        if self.ms is None:
            self.ms = [np.zeros_like(p) for p in params]
            self.vs = [np.zeros_like(p) for p in params]
        for p, g, m, v in zip(params, grads, self.ms, self.vs):
            m[...] = b1 * m + (1 - b1) * g
            v[...] = b2 * v + (1 - b2) * g * g
            m_hat = m / (1 - b1 ** self.t)
            v_hat = v / (1 - b2 ** self.t)
            p -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)
        self.t += 1


class AdamCountPerParameter(Adam):
    """t is incremented inside the loop over arrays, so it counts arrays, not steps."""

    def step(self, params, grads):
        b1, b2 = self.betas
        if self.ms is None:
            self.ms = [np.zeros_like(p) for p in params]
            self.vs = [np.zeros_like(p) for p in params]
        for p, g, m, v in zip(params, grads, self.ms, self.vs):
            self.t += 1
            m[...] = b1 * m + (1 - b1) * g
            v[...] = b2 * v + (1 - b2) * g * g
            m_hat = m / (1 - b1 ** self.t)
            v_hat = v / (1 - b2 ** self.t)
            p -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)


class AdamEpsInsideSqrt(Adam):
    """p -= lr m_hat / sqrt(v_hat + eps)."""

    def step(self, params, grads):
        b1, b2 = self.betas
        if self.ms is None:
            self.ms = [np.zeros_like(p) for p in params]
            self.vs = [np.zeros_like(p) for p in params]
        self.t += 1
        for p, g, m, v in zip(params, grads, self.ms, self.vs):
            m[...] = b1 * m + (1 - b1) * g
            v[...] = b2 * v + (1 - b2) * g * g
            m_hat = m / (1 - b1 ** self.t)
            v_hat = v / (1 - b2 ** self.t)
            p -= self.lr * m_hat / np.sqrt(v_hat + self.eps)


class AdamNoBiasCorrection(Adam):
    """p -= lr m / (sqrt(v) + eps): the moments are never corrected."""

    def step(self, params, grads):
        b1, b2 = self.betas
        if self.ms is None:
            self.ms = [np.zeros_like(p) for p in params]
            self.vs = [np.zeros_like(p) for p in params]
        for p, g, m, v in zip(params, grads, self.ms, self.vs):
            m[...] = b1 * m + (1 - b1) * g
            v[...] = b2 * v + (1 - b2) * g * g
            p -= self.lr * m / (np.sqrt(v) + self.eps)


class RMSpropNoOneMinusAlpha(RMSprop):
    """v = alpha v + g^2: the new square is not weighted by 1 - alpha."""

    def step(self, params, grads):
        for i, (p, g) in enumerate(zip(params, grads)):
            v = self.square_avgs.setdefault(i, np.zeros_like(p))
            v *= self.alpha
            v += g * g
            p -= self.lr * g / (np.sqrt(v) + self.eps)


class AdagradNoSqrt(Adagrad):
    """p -= lr g / (s + eps): divides by the sum of squares, not its square root."""

    def step(self, params, grads):
        for i, (p, g) in enumerate(zip(params, grads)):
            s = self.sums.setdefault(i, np.full_like(p, self.initial))
            s += g * g
            p -= self.lr * g / (s + self.eps)


# --------------------------------------------------------------------------- the cases

def _stepper(cls, **hyper):
    return lambda: cls(**hyper).step


def _case(name, factory, kwargs, bug=None, kind_of_slip=None):
    return {"name": name, "make": lambda: (factory, dict(kwargs)), "bug": bug,
            "kind_of_slip": kind_of_slip}


_ADAM_CS231N = {"learning_rate": 1e-2, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8}
_MOMENTUM_CS231N = {"learning_rate": 0.1, "momentum": 0.9}

CASES = [
    # correct
    _case("torch_sgd_momentum", _stepper(SGD, lr=0.1, momentum=0.9),
          {"optimizer": "sgd", "lr": 0.1, "momentum": 0.9}),
    _case("torch_sgd_weight_decay", _stepper(SGD, lr=0.1, weight_decay=0.1),
          {"optimizer": "sgd", "lr": 0.1, "weight_decay": 0.1}),
    _case("torch_nesterov", _stepper(SGD, lr=0.1, momentum=0.9, nesterov=True),
          {"optimizer": "sgd", "lr": 0.1, "momentum": 0.9, "nesterov": True}),
    _case("cs231n_sgd_momentum", _per_parameter(sgd_momentum, **_MOMENTUM_CS231N),
          {"optimizer": "momentum", "lr": 0.1, "momentum": 0.9}),
    _case("cs231n_adam", _per_parameter(adam, **_ADAM_CS231N),
          {"optimizer": "adam", "lr": 1e-2, "eps": 1e-8}),
    _case("cs231n_rmsprop", _per_parameter(rmsprop, learning_rate=1e-2, decay_rate=0.99),
          {"optimizer": "rmsprop", "lr": 1e-2, "alpha": 0.99, "eps": 1e-8}),
    _case("class_adam", _stepper(Adam, lr=1e-2),
          {"optimizer": "adam", "lr": 1e-2, "eps": 1e-8}),
    _case("class_adamw", _stepper(AdamW, lr=1e-2, weight_decay=0.1),
          {"optimizer": "adamw", "lr": 1e-2, "eps": 1e-8, "weight_decay": 0.1}),
    _case("class_rmsprop", _stepper(RMSprop, lr=1e-2),
          {"optimizer": "rmsprop", "lr": 1e-2, "alpha": 0.99, "eps": 1e-8}),
    _case("class_adagrad", _stepper(Adagrad, lr=0.1),
          {"optimizer": "adagrad", "lr": 0.1, "eps": 1e-10}),
    # slips
    _case("adam_v_corrected_with_beta1", _per_parameter(adam_v_with_beta1, **_ADAM_CS231N),
          {"optimizer": "adam", "lr": 1e-2, "eps": 1e-8},
          "v_hat = v / (1 - beta1^t) instead of (1 - beta2^t)", "bias_correction"),
    _case("momentum_step_before_velocity",
          _per_parameter(sgd_momentum_step_then_velocity, **_MOMENTUM_CS231N),
          {"optimizer": "momentum", "lr": 0.1, "momentum": 0.9},
          "moves w with the old velocity, then updates v (a step late)", "order"),
    _case("nesterov_v_prev_swapped",
          _per_parameter(nesterov_momentum_swapped, **_MOMENTUM_CS231N),
          {"optimizer": "sgd", "lr": 0.1, "momentum": 0.9, "nesterov": True},
          "CS231n's look-ahead form with v and v_prev swapped: -mu v + (1 + mu) v_prev",
          "swap"),
    _case("sgd_no_op", _sgd_no_op(0.1), {"optimizer": "sgd", "lr": 0.1},
          "p = p - lr * g rebinds the loop variable; nothing changes", "no_op"),
    _case("sgd_ascending_tiny_lr", _sgd_ascending(1e-15), {"optimizer": "sgd", "lr": 1e-15},
          "p += lr * g climbs the gradient; at lr = 1e-15 the step is a few ulps", "sign"),
    _case("sgd_decay_written_into_grads", _sgd_decay_into_grads(0.1, 0.1),
          {"optimizer": "sgd", "lr": 0.1, "weight_decay": 0.1},
          "g += wd * p changes the caller's gradient arrays (the step itself is right)",
          "writes_grads"),
    _case("adamw_decay_coupled", _stepper(AdamCoupledDecay, lr=1e-2, weight_decay=0.1),
          {"optimizer": "adamw", "lr": 1e-2, "eps": 1e-8, "weight_decay": 0.1},
          "weight decay added to the gradient (Adam with L2), not decoupled", "coupled_decay"),
    _case("adam_bias_correction_t_minus_1", _stepper(AdamCountAfter, lr=1e-2),
          {"optimizer": "adam", "lr": 1e-2, "eps": 1e-8},
          "t incremented after the update: corrections use t - 1, 0 / 0 at the first step",
          "off_by_one"),
    _case("adam_eps_inside_sqrt", _stepper(AdamEpsInsideSqrt, lr=1e-2, eps=1e-4),
          {"optimizer": "adam", "lr": 1e-2, "eps": 1e-4},
          "sqrt(v_hat + eps) instead of sqrt(v_hat) + eps", "eps_placement"),
    # lr = 0.05: at lr = 1 - momentum = 0.1, lr twice equals the averaged buffer (dampening)
    _case("momentum_lr_twice",
          _per_parameter(sgd_momentum_lr_twice, learning_rate=0.05, momentum=0.9),
          {"optimizer": "momentum", "lr": 0.05, "momentum": 0.9},
          "next_w = w + lr * v, with lr already inside v", "lr_twice"),
    _case("sgd_momentum_as_ema", _stepper(EMAMomentum, lr=0.1, momentum=0.9),
          {"optimizer": "sgd", "lr": 0.1, "momentum": 0.9},
          "buf = mu buf + (1 - mu) g: dampening torch's SGD does not apply", "dampening"),
    _case("nesterov_without_lookahead",
          _stepper(NesterovWithoutLookahead, lr=0.1, momentum=0.9, nesterov=True),
          {"optimizer": "sgd", "lr": 0.1, "momentum": 0.9, "nesterov": True},
          "steps with buf, not g + mu buf: plain momentum", "other"),
    _case("adam_t_per_parameter", _stepper(AdamCountPerParameter, lr=1e-2),
          {"optimizer": "adam", "lr": 1e-2, "eps": 1e-8},
          "t += 1 inside the loop over arrays: t counts arrays, not steps", "other"),
    _case("adam_no_bias_correction", _stepper(AdamNoBiasCorrection, lr=1e-2),
          {"optimizer": "adam", "lr": 1e-2, "eps": 1e-8},
          "m and v used uncorrected", "bias_correction"),
    _case("adamw_decay_without_lr", _stepper(AdamWDecayWithoutLr, lr=1e-2, weight_decay=0.1),
          {"optimizer": "adamw", "lr": 1e-2, "eps": 1e-8, "weight_decay": 0.1},
          "p -= wd * p instead of p -= lr * wd * p", "factor"),
    _case("rmsprop_no_one_minus_alpha", _stepper(RMSpropNoOneMinusAlpha, lr=1e-2),
          {"optimizer": "rmsprop", "lr": 1e-2, "alpha": 0.99, "eps": 1e-8},
          "v = alpha v + g^2, the new square not weighted by 1 - alpha", "factor"),
    _case("adagrad_no_sqrt", _stepper(AdagradNoSqrt, lr=0.1),
          {"optimizer": "adagrad", "lr": 0.1, "eps": 1e-10},
          "divides by the accumulated sum of squares, not its square root", "other"),
]


# --------------------------------------------------------------------------- against torch

def _torch_optimizer(tensors, kw):
    import torch
    name, lr, wd = kw["optimizer"], kw["lr"], kw.get("weight_decay", 0.0)
    if name in ("sgd", "momentum", "nesterov"):
        momentum = kw.get("momentum") or (0.9 if name != "sgd" else 0.0)
        nesterov = kw.get("nesterov", False) or name == "nesterov"
        return torch.optim.SGD(tensors, lr=lr, momentum=momentum, nesterov=nesterov,
                               weight_decay=wd)
    betas, eps = kw.get("betas", (0.9, 0.999)), kw.get("eps")
    if name == "adam":
        return torch.optim.Adam(tensors, lr=lr, betas=betas, eps=eps or 1e-8, weight_decay=wd)
    if name == "adamw":
        return torch.optim.AdamW(tensors, lr=lr, betas=betas, eps=eps or 1e-8, weight_decay=wd)
    if name == "rmsprop":
        return torch.optim.RMSprop(tensors, lr=lr, alpha=kw.get("alpha", 0.99),
                                   eps=eps or 1e-8, weight_decay=wd,
                                   centered=kw.get("centered", False))
    if name == "adagrad":
        return torch.optim.Adagrad(tensors, lr=lr, eps=eps or 1e-10, weight_decay=wd,
                                   initial_accumulator_value=kw.get("initial_accumulator_value",
                                                                    0.0))
    raise ValueError(name)


def against_torch(case, steps=10, shapes=((5, 4), (4,)), seed=0):
    """Return (worst deviation from torch relative to torch's step size, grads were written).

    Both run from the same start on the same drawn gradients, in float64.
    """
    import torch
    factory, kw = case["make"]()
    step = factory()
    rng = np.random.default_rng(seed)
    params = [rng.normal(size=s) for s in shapes]
    tensors = [torch.tensor(p, dtype=torch.float64, requires_grad=True) for p in params]
    optimizer = _torch_optimizer(tensors, kw)
    worst, wrote = 0.0, False
    for _ in range(steps):
        grads = [rng.normal(size=s) for s in shapes]
        given = [g.copy() for g in grads]
        before = [t.detach().numpy().copy() for t in tensors]
        for t, g in zip(tensors, grads):
            t.grad = torch.tensor(g, dtype=torch.float64)
        optimizer.step()
        returned = step(params, given)
        if returned is not None:
            params = [np.asarray(p, dtype=float) for p in returned]
        wrote |= any(not np.array_equal(g, h) for g, h in zip(grads, given))
        for p, t, b in zip(params, tensors, before):
            theirs = t.detach().numpy()
            scale = max(np.max(np.abs(theirs - b)), 1e-300)
            deviation = np.max(np.abs(p - theirs)) / scale
            worst = max(worst, deviation) if np.isfinite(deviation) else np.inf
    return worst, wrote


def self_check(tol=1e-10):
    """Every correct step follows torch.optim to tol; every slip leaves it or writes its grads."""
    failures = []
    with np.errstate(divide="ignore", invalid="ignore"):
        for case in CASES:
            worst, wrote = against_torch(case)
            if case["bug"] is None and (worst > tol or wrote):
                failures.append(f"{case['name']}: {worst:.2e} from torch, grads written: {wrote}")
            if case["bug"] is not None and worst <= 1e-6 and not wrote:
                failures.append(f"{case['name']}: the slip follows torch ({worst:.2e})")
    if failures:
        raise AssertionError("\n".join(failures))
    correct = sum(case["bug"] is None for case in CASES)
    return {"correct": correct, "slips": len(CASES) - correct}


if __name__ == "__main__":
    print(self_check())
    with np.errstate(divide="ignore", invalid="ignore"):
        for case in CASES:
            worst, wrote = against_torch(case)
            print(f"{case['name']:32s} {worst:9.2e} {'writes grads' if wrote else ''}")
