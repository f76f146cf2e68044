"""What every known kind of layer provides to ``check_layer``.

A kind reads the user's inputs (``bind``: which array is x, w, gamma, ...; the
hyperparameters from a param dict or from the shapes), and for the convention the user's
forward follows (found by comparing outputs: ``Binding.conventions``) gives torch's own
operation in float64, so that the reference gradient is autograd on it. Its classic mistakes
(``Binding.mistakes``) are each a function giving the gradients that mistake produces, and
its kinks (``Binding.kinks``) the entries where finite differences cannot decide and torch's
choice is the one that counts.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch

Arrays = dict[str, np.ndarray]  # role -> float64 array ("x", "w", "b", "gamma", ...)


@dataclass
class Convention:
    """One way of computing the kind: its words (key -> sentence) and its forward in torch
    (role -> tensor, returning the output tensor)."""

    words: dict[str, str]
    forward: Callable[[dict[str, torch.Tensor]], torch.Tensor]
    differs_from_torch: str | None = None  # how it differs from torch's operation, if it does


@dataclass
class Mistake:
    """A classic mistake: its sentence, and the gradients it gives (role -> array) from the
    binding's arrays, the upstream gradient and the convention's output."""

    text: str
    gradients: Callable[[Arrays, np.ndarray, np.ndarray], Arrays]


def no_mistakes(convention: Convention) -> dict[str, Mistake]:
    """The default of ``Binding.mistakes``: no classic mistake known."""
    return {}


def no_kinks(arrays: Arrays) -> dict[str, np.ndarray]:
    """The default of ``Binding.kinks``: the derivative is defined everywhere."""
    return {}


@dataclass
class Binding:
    """A kind bound to the user's inputs: ``roles`` maps a role to the input's index;
    ``conventions`` are the candidate ways of computing it, the likely first; ``mistakes``
    give, for a convention, the classic mistakes; ``kinks`` the entries (role -> boolean
    mask) where the derivative is not defined; ``other`` names what a forward computes that
    matches no convention but another kind (e.g. batch norm in a "layernorm")."""

    roles: dict[str, int]
    conventions: list[Convention]
    mistakes: Callable[[Convention], dict[str, Mistake]] = no_mistakes
    kinks: Callable[[Arrays], dict[str, np.ndarray]] = no_kinks
    other: list[tuple[str, Callable[[dict[str, torch.Tensor]], torch.Tensor]]] = \
        field(default_factory=list)
    reading: list[str] = field(default_factory=list)


def tensors(arrays: Arrays) -> dict[str, torch.Tensor]:
    return {role: torch.tensor(a, dtype=torch.float64, requires_grad=True)
            for role, a in arrays.items()}


def run(forward: Callable[[dict[str, torch.Tensor]], torch.Tensor], arrays: Arrays,
        dout: np.ndarray | None = None) -> tuple[np.ndarray, Arrays | None]:
    """The output of ``forward`` on the arrays, and (given dout) autograd's gradients."""
    with torch.enable_grad():
        t = tensors(arrays)
        out = forward(t)
        grads = None
        if dout is not None:
            upstream = torch.tensor(np.asarray(dout, dtype=np.float64)).reshape(out.shape)
            present = [role for role in t]
            values = torch.autograd.grad(out, [t[r] for r in present], upstream,
                                         allow_unused=True)
            grads = {role: (np.zeros_like(arrays[role]) if g is None else g.numpy())
                     for role, g in zip(present, values)}
    return out.detach().numpy(), grads


def param(params: dict, *keys: str, default: object = None) -> object:
    """The first of ``keys`` a param dict holds."""
    for key in keys:
        if key in params:
            return params[key]
    return default
