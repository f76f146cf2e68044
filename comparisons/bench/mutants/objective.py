"""The independent reference: the architecture's loss written once in torch, differentiated by
autograd (float64).

``reference(arch, canon)`` is what every generated backward pass must equal;
``reference(arch, canon, conventions)`` is the same network under other conventions (the
batch summed, the L2 term halved, ...), which ``other_convention`` uses to tell a mutant that
merely changes a convention.
"""

import itertools

import numpy as np
import torch
import torch.nn.functional as F

from comparisons.bench.mutants.architectures import L2_FORMS, Architecture, expectation
from comparisons.bench.mutants.forms import Canonical

_L2_FACTOR = {  # the L2 term is factor(alpha, n) * sum of squares
    "alpha/2 * sum W^2": lambda a, n: a / 2, "alpha * sum W^2": lambda a, n: a,
    "alpha/(2n) * sum W^2": lambda a, n: a / (2 * n), "alpha/n * sum W^2": lambda a, n: a / n}


def _hidden(arch: Architecture, z: torch.Tensor) -> torch.Tensor:
    if arch.activation == "identity":
        return z
    if arch.activation == "logistic":
        return torch.sigmoid(z)
    if arch.activation == "tanh":
        return torch.tanh(z)
    if arch.activation == "relu":
        return F.relu(z)
    return F.leaky_relu(z, arch.negative_slope)


def _data_loss(arch: Architecture, z: torch.Tensor, Y: torch.Tensor, conv: dict):
    """The data term of the loss from the output layer's scores z, (n_samples, n_outputs)."""
    if arch.loss == "cross_entropy" and arch.output == "softmax":
        per_sample = -(Y * F.log_softmax(z, dim=1)).sum(1)
    else:
        if arch.loss == "cross_entropy":  # logistic outputs
            per_unit = F.binary_cross_entropy_with_logits(z, Y, reduction="none")
        else:
            p = {"softmax": lambda: torch.softmax(z, 1), "logistic": lambda: torch.sigmoid(z),
                 "identity": lambda: z}[arch.output]()
            per_unit = (p - Y) ** 2 * (0.5 if conv["squared_error"] == "half" else 1.0)
        per_sample = per_unit.mean(1) if conv["outputs"] == "mean" else per_unit.sum(1)
    return per_sample.mean() if conv["batch"] == "mean" else per_sample.sum()


def reference(arch: Architecture, canon: Canonical, conventions: dict | None = None) -> tuple:
    """(loss, dWs, dbs) for the canonical arrays: dWs[k] (n_in, n_out), dbs[k] (n_out,)."""
    conv = expectation(arch) if conventions is None else conventions
    Ws = [torch.tensor(W, requires_grad=True) for W in canon.Ws]
    bs = [torch.tensor(b, requires_grad=True) for b in canon.bs]
    h = torch.tensor(canon.X)
    for k, (W, b) in enumerate(zip(Ws, bs)):
        z = h @ W + b
        h = _hidden(arch, z) if k < len(Ws) - 1 else z
    loss = _data_loss(arch, z, torch.tensor(canon.Y), conv)
    if arch.alpha:
        penalised = Ws + (bs if conv["l2_biases"] else [])
        squares = sum((a ** 2).sum() for a in penalised)
        loss = loss + _L2_FACTOR[conv["l2"]](arch.alpha, arch.n_samples) * squares
    loss.backward()
    return (loss.item(), [W.grad.numpy() for W in Ws], [b.grad.numpy() for b in bs])


def relative_error(a: np.ndarray, b: np.ndarray) -> float:
    """max |a - b| over the larger of max |a|, max |b| and 1e-8 (NaN or inf: inf)."""
    if not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
        return float("inf")
    scale = max(np.max(np.abs(a), initial=0), np.max(np.abs(b), initial=0), 1e-8)
    return float(np.max(np.abs(a - b), initial=0) / scale)


def other_conventions(arch: Architecture) -> list[dict]:
    """Every convention dict that differs from ``arch``'s in a key that matters for it."""
    options = {"batch": ["mean", "sum"],
               "outputs": ["mean", "sum"] if arch.outputs_apply else [arch.outputs],
               "squared_error": ["half", "full"] if arch.loss == "squared_error"
               else [arch.squared_error],
               "l2": list(L2_FORMS) if arch.alpha else [arch.l2],
               "l2_biases": [True, False] if arch.alpha else [arch.l2_biases]}
    mine = expectation(arch)
    combos = [dict(zip(options, values)) for values in itertools.product(*options.values())]
    return [c for c in combos if c != mine]


def other_convention(arch: Architecture, canon: Canonical, dWs: list, dbs: list,
                     rtol: float = 1e-6) -> dict | None:
    """The first other convention whose gradients (dWs, dbs) equal to ``rtol``, or None."""
    for conv in other_conventions(arch):
        _, rWs, rbs = reference(arch, canon, conv)
        if all(relative_error(a, b) <= rtol for a, b in zip(dWs + dbs, rWs + rbs)):
            return conv
    return None
