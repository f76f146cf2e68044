"""The PyTorch twin of the network: ``nn.Linear`` layers with an activation between them.

Every random draw (``nn.Linear``'s default init, dropout masks) comes from a
``torch.Generator`` handed in by the caller, never from torch's global generator, so fits in
threads cannot disturb each other and the caller's ``torch.manual_seed`` state is untouched.
"""

import math

import torch
from torch import nn


def _activation(name: str, negative_slope: float = 0.01) -> nn.Module:
    if name == "leaky_relu":
        return nn.LeakyReLU(negative_slope)
    return {"identity": nn.Identity, "logistic": nn.Sigmoid, "tanh": nn.Tanh,
            "relu": nn.ReLU}[name]()


class Dropout(nn.Module):
    """Inverted dropout drawing its masks from ``generator``: in training,
    x * (mask / (1 - p)) with mask ~ Bernoulli(1 - p); the identity in eval mode.

    The same operations as ``torch.nn.functional.dropout`` (``bernoulli_``, ``div_``, a
    product), so with a generator seeded like the global one the output is bit-identical.
    """

    def __init__(self, p: float, generator: torch.Generator | None = None) -> None:
        super().__init__()
        self.p, self.generator = p, generator

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p == 0:
            return x
        noise = torch.empty_like(x).bernoulli_(1 - self.p, generator=self.generator)
        noise.div_(1 - self.p)
        return x * noise


class TorchMLP(nn.Module):
    """Linear -> activation (-> dropout) -> ... -> Linear; ``forward`` returns the logits.

    Parameters
    ----------
    layer_units : list of int
        [n_features, *hidden_layer_sizes, n_outputs].
    activation : str
        'identity', 'logistic', 'tanh', 'relu' or 'leaky_relu'.
    dropout : float
        Dropout rate after each hidden activation (0 leaves it out).
    generator : torch.Generator, optional
        Draws the initial weights and the dropout masks (torch's global generator if None).
    init : bool
        Draw the initial weights (``reset_parameters``); False leaves them unset, for a caller
        that copies weights in (no random number is drawn then).
    """

    def __init__(self, layer_units: list[int], activation: str = "relu", *,
                 negative_slope: float = 0.01, dropout: float = 0.0,
                 dtype: torch.dtype = torch.float64, device: str | torch.device = "cpu",
                 generator: torch.Generator | None = None, init: bool = True) -> None:
        super().__init__()
        layers = []
        pairs = list(zip(layer_units[:-1], layer_units[1:]))
        for i, (n_in, n_out) in enumerate(pairs):
            layers.append(nn.Linear(n_in, n_out, dtype=dtype, device="meta"))
            if i < len(pairs) - 1:
                layers.append(_activation(activation, negative_slope))
                if dropout > 0:
                    layers.append(Dropout(dropout, generator))
        self.layers = nn.Sequential(*layers).to_empty(device=device)  # no draw made yet
        self.generator = generator
        if init:
            self.reset_parameters()

    @property
    def linears(self) -> list[nn.Linear]:
        """The ``nn.Linear`` layers, first to last."""
        return [m for m in self.layers if isinstance(m, nn.Linear)]

    def reset_parameters(self) -> "TorchMLP":
        """``nn.Linear``'s default init, W and b ~ U(+-1 / sqrt(fan_in)), drawn layer by
        layer from ``generator``: the numbers ``nn.Linear`` would draw from a global generator
        seeded the same way."""
        with torch.no_grad():
            for linear in self.linears:
                nn.init.kaiming_uniform_(linear.weight, a=math.sqrt(5), generator=self.generator)
                bound = 1 / math.sqrt(linear.in_features)
                nn.init.uniform_(linear.bias, -bound, bound, generator=self.generator)
        return self

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layers(x)
