"""What the speed table times: each contender's epochs on the same MNIST-shaped data.

The estimators (scratch, scikit-learn, the torch twin in both conventions) are timed between
consecutive epoch ends, so that set-up is not counted. The loops a user would write are timed
the same way: a plain PyTorch loop (``nn.Sequential``, ``CrossEntropyLoss``,
``torch.optim.Adam``/``SGD``, a fresh permutation each epoch), the same with torch's
``foreach`` and ``fused`` optimizer implementations, the same with the training step
compiled by ``torch.compile``, a bare NumPy loop (forward, backward, update and nothing
else: NumPy's own floor), the **unavoidable** parts alone (each shuffled batch's rows
gathered, the GEMM floor's products on them, scratch's own optimizer step: what every such
loop must do), and the **GEMM floor**: only the epoch's matrix products, at the
configuration's exact shapes. Every contender's first epoch is left out (warm-up, and
``torch.compile``'s compilation).

``python -m comparisons.bench.contenders NAME CONFIG_JSON`` runs one contender in a process of its
own and prints its epoch times as JSON (the bench uses it for ``torch.compile``, whose
compilation may have to be given up after a time budget).
"""

import json
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import sklearn.neural_network as sk
import torch
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning

import scratch
from reference.twin.torch_estimators import TorchMLPClassifier
from scratch.layers.initialization import glorot_uniform
from scratch.layers.losses import make_loss
from scratch.network import Network
from scratch.optim.adam import Adam
from scratch.optim.sgd import SGD


class Skip(Exception):
    """A contender this machine or build cannot run, with the reason."""


@dataclass(frozen=True)
class Config:
    hidden: tuple[int, ...]
    batch: int
    solver: str
    dtype: str
    n_samples: int = 60000
    epochs: int = 3
    n_features: int = 784
    n_classes: int = 10

    @property
    def units(self) -> list[int]:
        return [self.n_features, *self.hidden, self.n_classes]

    @property
    def name(self) -> str:
        return "-".join(map(str, self.units))

    @classmethod
    def from_fields(cls, fields: dict) -> "Config":
        """The configuration from its fields as JSON holds them (``hidden`` a list; a
        ``name`` key, as the bench's results carry, is ignored)."""
        kept = {k: v for k, v in fields.items() if k != "name"}
        return cls(**{**kept, "hidden": tuple(kept["hidden"])})


def data(config: Config) -> tuple[np.ndarray, np.ndarray]:
    """make_classification: n_samples x 784, 10 classes, in the configuration's dtype."""
    X, y = make_classification(n_samples=config.n_samples, n_features=config.n_features,
                               n_informative=100, n_classes=config.n_classes, random_state=0)
    return X.astype(config.dtype), y


def gemm_flops(config: Config) -> int:
    """Floating-point operations of the matrix products an epoch performs: every layer's
    forward product and weight gradient, and every input gradient but the first layer's
    (nobody needs dL/dX): 2 n (2 sum_l in_l out_l + sum_{l > 0} in_l out_l)."""
    sizes = [a * b for a, b in zip(config.units[:-1], config.units[1:])]
    return 2 * config.n_samples * (2 * sum(sizes) + sum(sizes[1:]))


def stamp_epoch_ends(model: object, then: Callable[[], None] | None = None) -> list[float]:
    """The times of the model's epoch ends, filled in as it fits (``then`` called after
    each)."""
    stamps: list[float] = []
    original = model._update_no_improvement_count

    def stamp(*args: object, **kwargs: object) -> None:
        stamps.append(time.perf_counter())
        if then is not None:
            then()
        return original(*args, **kwargs)

    model._update_no_improvement_count = stamp
    return stamps


ESTIMATORS = {
    "scratch": lambda p: scratch.MLPClassifier(**p),
    "sklearn": lambda p: sk.MLPClassifier(**p),
    "torch_twin": lambda p: TorchMLPClassifier(**p),
    "torch_twin_native": lambda p: TorchMLPClassifier(conventions="torch", **p),
}


def estimator_params(config: Config) -> dict:
    """The estimators' parameters for ``config``: exactly ``epochs`` epochs, no early stop."""
    return dict(hidden_layer_sizes=config.hidden, batch_size=config.batch,
                solver=config.solver, max_iter=config.epochs, tol=0.0,
                n_iter_no_change=config.epochs + 1, random_state=0,
                learning_rate_init=1e-3 if config.solver == "adam" else 1e-2)


def estimator_epochs(name: str, config: Config, X: np.ndarray, y: np.ndarray) -> list[float]:
    model = ESTIMATORS[name](estimator_params(config))
    stamps = stamp_epoch_ends(model)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y)
    return list(np.diff(stamps))


def _torch_model(config: Config) -> torch.nn.Module:
    torch.manual_seed(0)
    layers: list[torch.nn.Module] = []
    for i, (a, b) in enumerate(zip(config.units[:-1], config.units[1:])):
        layers.append(torch.nn.Linear(a, b))
        if i < len(config.units) - 2:
            layers.append(torch.nn.ReLU())
    return torch.nn.Sequential(*layers).to(getattr(torch, config.dtype))


def _torch_optimizer(model: torch.nn.Module, config: Config, variant: str
                     ) -> torch.optim.Optimizer:
    options = {"foreach": {"foreach": True}, "fused": {"fused": True}}.get(variant, {})
    if config.solver == "adam":
        return torch.optim.Adam(model.parameters(), lr=1e-3, **options)
    return torch.optim.SGD(model.parameters(), lr=1e-2, momentum=0.9, nesterov=True,
                           **options)


def torch_epochs(config: Config, X: np.ndarray, y: np.ndarray, variant: str = "plain"
                 ) -> list[float]:
    """The loop a PyTorch user writes; ``variant`` "foreach", "fused" or "compiled"."""
    model = _torch_model(config)
    try:
        optimizer = _torch_optimizer(model, config, variant)
        if variant in ("foreach", "fused"):  # the build may not have it on the CPU: one step
            tiny = _torch_model(Config((4,), 2, config.solver, config.dtype, 4, 1, 3, 2))
            tiny(torch.zeros(2, 3, dtype=getattr(torch, config.dtype))).sum().backward()
            _torch_optimizer(tiny, config, variant).step()
    except (RuntimeError, ValueError, TypeError) as error:
        raise Skip(f"torch.optim with {variant}=True does not run here: {error}") from None
    loss_fn = torch.nn.CrossEntropyLoss()
    X_t, y_t = torch.from_numpy(X), torch.from_numpy(y)

    def step(xb: torch.Tensor, yb: torch.Tensor) -> None:
        optimizer.zero_grad(set_to_none=True)
        loss_fn(model(xb), yb).backward()
        optimizer.step()

    if variant == "compiled":
        step = torch.compile(step)
    generator = torch.Generator().manual_seed(0)
    stamps = []
    for _ in range(config.epochs):
        order = torch.randperm(len(X_t), generator=generator)
        for start in range(0, len(X_t), config.batch):
            idx = order[start : start + config.batch]
            step(X_t[idx], y_t[idx])
        stamps.append(time.perf_counter())
    return list(np.diff(stamps))


def numpy_epochs(config: Config, X: np.ndarray, y: np.ndarray) -> list[float]:
    """A bare NumPy loop: forward, backward and Adam (or SGD with Nesterov momentum) over one
    flat parameter vector, every buffer allocated once, and nothing else: no validation, no
    loss value, no L2, no bookkeeping."""
    dtype, units, L = X.dtype, config.units, len(config.units) - 1
    coefs, intercepts = glorot_uniform(units, "relu", np.random.RandomState(0), dtype)
    sizes = [W.size for W in coefs] + [b.size for b in intercepts]
    params, grads = np.concatenate([a.ravel() for a in coefs + intercepts]), np.empty(sum(sizes),
                                                                                     dtype)
    offsets = np.concatenate([[0], np.cumsum(sizes)])
    views = [(params[a:b], grads[a:b]) for a, b in zip(offsets[:-1], offsets[1:])]
    W = [v[0].reshape(s) for v, s in zip(views[:L], [c.shape for c in coefs])]
    gW = [v[1].reshape(s) for v, s in zip(views[:L], [c.shape for c in coefs])]
    b, gb = [v[0] for v in views[L:]], [v[1] for v in views[L:]]
    m, v, tmp, step = (np.zeros_like(params) for _ in range(4))
    Y = np.eye(config.n_classes, dtype=dtype)[y]
    B = config.batch
    x_buf, y_buf = np.empty((B, units[0]), dtype), np.empty((B, units[-1]), dtype)
    act = [np.empty((B, u), dtype) for u in units]
    back = [np.empty((B, u), dtype) for u in units]
    rng, stamps, t = np.random.default_rng(0), [], 0
    for _ in range(config.epochs):
        order = rng.permutation(len(X))
        for start in range(0, len(X), B):
            idx = order[start : start + B]
            k = len(idx)
            h = np.take(X, idx, axis=0, out=x_buf[:k])
            target = np.take(Y, idx, axis=0, out=y_buf[:k])
            hs = [h]
            for i in range(L):
                z = np.matmul(h, W[i], out=act[i + 1][:k])
                z += b[i]
                h = np.maximum(z, 0, out=z) if i < L - 1 else z
                hs.append(h)
            h -= h.max(axis=1, keepdims=True)
            np.exp(h, out=h)
            h /= h.sum(axis=1, keepdims=True)
            delta = np.subtract(h, target, out=back[L][:k])
            delta /= k
            for i in reversed(range(L)):
                np.matmul(hs[i].T, delta, out=gW[i])
                np.add.reduce(delta, axis=0, out=gb[i])
                if i:
                    delta = np.matmul(delta, W[i].T, out=back[i][:k])
                    delta *= hs[i] > 0
            t += 1
            if config.solver == "adam":
                m *= 0.9
                m += np.multiply(grads, 0.1, out=tmp)
                v *= 0.999
                v += np.multiply(np.square(grads, out=tmp), 0.001, out=tmp)
                denominator = np.sqrt(v, out=tmp)
                denominator += 1e-8
                np.multiply(m, 1e-3 * np.sqrt(1 - 0.999**t) / (1 - 0.9**t), out=step)
                step /= denominator
                params -= step
            else:
                lr_g = np.multiply(grads, 1e-2, out=tmp)
                m *= 0.9
                m -= lr_g
                np.multiply(m, 0.9, out=step)
                step -= lr_g
                params += step
        stamps.append(time.perf_counter())
    return list(np.diff(stamps))


def _products(coefs: list[np.ndarray], grad_coefs: list[np.ndarray],
              h: list[np.ndarray]) -> None:
    """One batch's matrix products and nothing else: forward through every layer, the weight
    gradients, and the input gradients of all but the first layer. ``h[0]`` (k, n_in) is the
    batch; ``h[i]`` (k, units[i]) for i >= 1 take the layers' outputs, then the gradients."""
    L = len(coefs)
    for i in range(L):
        np.matmul(h[i], coefs[i], out=h[i + 1])
    for i in reversed(range(L)):
        np.matmul(h[i].T, h[i + 1], out=grad_coefs[i])
        if i:
            np.matmul(h[i + 1], coefs[i].T, out=h[i])


def gemm_floor_epochs(config: Config, X: np.ndarray, y: np.ndarray) -> list[float]:
    """Only the matrix products of each epoch, at its exact shapes (short last batch
    included), on contiguous batches: what no implementation can go below on this BLAS."""
    rng = np.random.default_rng(0)
    dtype = X.dtype
    coefs = [rng.normal(size=(a, b)).astype(dtype) for a, b in
             zip(config.units[:-1], config.units[1:])]
    grads = [np.empty_like(W) for W in coefs]
    sizes = sorted({min(config.batch, config.n_samples - s)
                    for s in range(0, config.n_samples, config.batch)})
    buffers = {m: [np.ascontiguousarray(X[:m])] + [np.empty((m, u), dtype)
                                                   for u in config.units[1:]] for m in sizes}
    stamps = []
    for _ in range(config.epochs):
        for start in range(0, config.n_samples, config.batch):
            m = min(config.batch, config.n_samples - start)
            _products(coefs, grads, buffers[m])
        stamps.append(time.perf_counter())
    return list(np.diff(stamps))


def unavoidable_epochs(config: Config, X: np.ndarray, y: np.ndarray) -> list[float]:
    """What every shuffled mini-batch loop must do, and nothing else: each batch's rows
    gathered from X in a fresh permutation's order (as scratch gathers them), the GEMM
    floor's products on them, and scratch's own optimizer step on the flat parameter vector
    (scikit-learn's L2 term and 1/n folded in; compiled by numba where scratch's is). No bias,
    activation, softmax, loss or bookkeeping: an epoch's time over this one is what those
    cost."""
    rng = np.random.default_rng(0)
    net = Network(config.units, "relu", make_loss("softmax"), X.dtype)  # the flat layout
    net.params[...] = 0.01 * rng.standard_normal(net.params.size)
    grad_coefs = [layer.grad_W for layer in net.layers]
    optimizer = (Adam(net.params, 1e-3) if config.solver == "adam"
                 else SGD(net.params, 1e-2, momentum=0.9, nesterov=True))
    buffers = [np.empty((config.batch, u), X.dtype) for u in config.units]
    stamps = []
    for _ in range(config.epochs):
        order = rng.permutation(config.n_samples)
        for start in range(0, config.n_samples, config.batch):
            idx = order[start : start + config.batch]
            k = len(idx)
            h = [b[:k] for b in buffers]
            np.take(X, idx, axis=0, out=h[0], mode="clip")
            _products(net.coefs, grad_coefs, h)
            optimizer.step(net.params, net.grads, raw=(net.n_coef, 1e-4, k))
        stamps.append(time.perf_counter())
    return list(np.diff(stamps))


RUNNERS: dict[str, Callable[[Config, np.ndarray, np.ndarray], list[float]]] = {
    **{name: (lambda c, X, y, _n=name: estimator_epochs(_n, c, X, y)) for name in ESTIMATORS},
    "torch_plain": lambda c, X, y: torch_epochs(c, X, y, "plain"),
    "torch_foreach": lambda c, X, y: torch_epochs(c, X, y, "foreach"),
    "torch_fused": lambda c, X, y: torch_epochs(c, X, y, "fused"),
    "torch_compiled": lambda c, X, y: torch_epochs(c, X, y, "compiled"),
    "numpy_bare": numpy_epochs,
    "gemm_floor": gemm_floor_epochs,
    "unavoidable": unavoidable_epochs,
}


def main(argv: list[str] | None = None) -> int:
    name, raw = (argv or sys.argv[1:])[:2]
    fields = json.loads(raw)
    torch.set_num_threads(int(fields.pop("threads", torch.get_num_threads())))
    config = Config.from_fields(fields)
    X, y = data(config)
    try:
        print(json.dumps({"epochs": RUNNERS[name](config, X, y)}))
    except Skip as reason:
        print(json.dumps({"skip": str(reason)}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
