"""The PyTorch twin of the network: ``nn.Linear`` layers with an activation between them."""

import torch
from torch import nn


def _activation(name: str, negative_slope: float = 0.01) -> nn.Module:
    if name == "leaky_relu":
        return nn.LeakyReLU(negative_slope)
    return {"identity": nn.Identity, "logistic": nn.Sigmoid, "tanh": nn.Tanh,
            "relu": nn.ReLU}[name]()


class TorchMLP(nn.Module):
    """Linear -> activation (-> dropout) -> ... -> Linear; ``forward`` returns the logits.

    Parameters
    ----------
    layer_units : list of int
        [n_features, *hidden_layer_sizes, n_outputs].
    activation : str
        'identity', 'logistic', 'tanh', 'relu' or 'leaky_relu'.
    dropout : float
        Rate of ``nn.Dropout`` after each hidden activation (0 leaves it out).
    """

    def __init__(self, layer_units: list[int], activation: str = "relu", *,
                 negative_slope: float = 0.01, dropout: float = 0.0,
                 dtype: torch.dtype = torch.float64, device: str | torch.device = "cpu") -> None:
        super().__init__()
        layers = []
        pairs = list(zip(layer_units[:-1], layer_units[1:]))
        for i, (n_in, n_out) in enumerate(pairs):
            layers.append(nn.Linear(n_in, n_out, dtype=dtype, device=device))
            if i < len(pairs) - 1:
                layers.append(_activation(activation, negative_slope))
                if dropout > 0:
                    layers.append(nn.Dropout(dropout))
        self.layers = nn.Sequential(*layers)

    @property
    def linears(self) -> list[nn.Linear]:
        """The ``nn.Linear`` layers, first to last."""
        return [m for m in self.layers if isinstance(m, nn.Linear)]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layers(x)
