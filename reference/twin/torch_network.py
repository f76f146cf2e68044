"""The torch twin's network: a ``TorchMLP``, its loss and autograd, behind the same small
interface as scratch's ``Network`` so that one training loop drives either.

What it offers the loop: ``coefs``/``intercepts`` (NumPy, scikit-learn's layout),
``loss_and_gradients`` (forward, loss, ``backward()``), ``loss_value``, ``forward``, and the
flat vectors L-BFGS needs. ``params`` is the list of torch parameters, which the torch
optimizers update themselves.
"""

import numpy as np
import scipy.sparse as sp
import torch
import torch.nn.functional as F
from numpy.typing import ArrayLike

from reference.twin.exchange import flat_from_torch, load_into_torch, torch_from_flat
from reference.twin.torch_losses import data_loss, l2_penalty
from reference.twin.torch_mlp import TorchMLP

OUTPUT = {"softmax": lambda z: torch.softmax(z, dim=1), "logistic": torch.sigmoid,
          "identity": lambda z: z, "exp": torch.exp}


def torch_default_loss(logits: torch.Tensor, y: torch.Tensor, out_activation: str,
                       sample_weight: torch.Tensor | None = None) -> torch.Tensor:
    """What a PyTorch user writes: the framework's losses with ``reduction='mean'``
    (per sample here, so that sample weights can weight the mean over samples)."""
    if out_activation == "softmax":
        per_sample = F.cross_entropy(logits, y.argmax(dim=1), reduction="none")
    elif out_activation == "logistic":
        per_sample = F.binary_cross_entropy_with_logits(logits, y, reduction="none").mean(1)
    elif out_activation == "identity":
        per_sample = F.mse_loss(logits, y, reduction="none").mean(1)
    else:
        per_sample = F.poisson_nll_loss(logits, y, log_input=True, reduction="none").mean(1)
    if sample_weight is None:
        return per_sample.mean()
    return (per_sample * sample_weight).sum() / sample_weight.sum()


def sklearn_reported_loss(logits: torch.Tensor, y: torch.Tensor, out_activation: str,
                          sample_weight: torch.Tensor | None = None) -> float:
    """scikit-learn's loss *value*: probabilities clipped to [eps, 1 - eps], and the squared
    error averaged (not summed) over outputs. No gradient flows through it."""
    with torch.no_grad():
        p = OUTPUT[out_activation](logits)
        eps = torch.finfo(p.dtype).eps
        if out_activation == "softmax":
            per_sample = -torch.xlogy(y, p.clamp(eps, 1 - eps)).sum(1)
        elif out_activation == "logistic":
            p = p.clamp(eps, 1 - eps)
            per_sample = -(torch.xlogy(y, p) + torch.xlogy(1 - y, 1 - p)).sum(1)
        elif out_activation == "identity":
            per_sample = 0.5 * ((y - p) ** 2).mean(1)
        else:
            per_sample = (torch.xlogy(y, y / p) - y + p).sum(1)
        if sample_weight is None:
            return per_sample.mean().item()
        return ((per_sample * sample_weight).sum() / sample_weight.sum()).item()


class TorchNetwork:
    """A ``TorchMLP`` with scikit-learn's objective (or torch's), driven like scratch's
    ``Network``.

    Parameters
    ----------
    coefs, intercepts : lists of arrays in scikit-learn's layout; copied into the model.
    activation, out_activation : str
    conventions : dict from ``scratch.conventions.resolve_conventions``
    device : torch device; negative_slope, dropout : as for the estimators.
    decay_in_optimizer : bool
        Whether a torch optimizer applies ``weight_decay`` (True), or the objective must
        carry it (False, for L-BFGS).
    generator : torch.Generator, optional
        Draws the dropout masks.
    """

    def __init__(self, coefs: list[np.ndarray], intercepts: list[np.ndarray], activation: str,
                 out_activation: str, conventions: dict, device: str | torch.device = "cpu",
                 negative_slope: float = 0.01, dropout: float = 0.0,
                 decay_in_optimizer: bool = True,
                 generator: torch.Generator | None = None) -> None:
        self.layer_units = [coefs[0].shape[0]] + [W.shape[1] for W in coefs]
        self.dtype = torch.float32 if coefs[0].dtype == np.float32 else torch.float64
        self.device = torch.device(device)
        self.out_activation = out_activation
        self.conventions = conventions
        self.decay_in_optimizer = decay_in_optimizer  # False for L-BFGS: no torch optimizer
        # no random init (no number drawn): the weights are copied in
        self.model = TorchMLP(self.layer_units, activation, negative_slope=negative_slope,
                              dropout=dropout, dtype=self.dtype, device=self.device,
                              generator=generator, init=False)
        load_into_torch(self.model, coefs, intercepts)
        self.params = list(self.model.parameters())
        self.grads = None

    # --- data in and out ---------------------------------------------------------------

    def tensor(self, a: ArrayLike) -> torch.Tensor:
        a = a.toarray() if sp.issparse(a) else np.asarray(a)
        if not a.flags.writeable:  # e.g. a memory map: torch wants memory it may write
            a = a.copy()
        return torch.as_tensor(a, device=self.device).to(self.dtype)

    @property
    def coefs(self) -> list[np.ndarray]:
        """The weights as NumPy arrays (n_in, n_out); on the CPU these are live views."""
        return [lin.weight.detach().cpu().numpy().T for lin in self.model.linears]

    @property
    def intercepts(self) -> list[np.ndarray]:
        return [lin.bias.detach().cpu().numpy() for lin in self.model.linears]

    def flat_params(self) -> np.ndarray:
        """scikit-learn's packing: every coefficient matrix, row-major, then every bias."""
        return flat_from_torch(self.params)

    def set_flat_params(self, flat: np.ndarray) -> None:
        with torch.no_grad():
            for param, value in zip(self.params, torch_from_flat(flat, self.params)):
                param.copy_(value)

    def flat_grads(self) -> np.ndarray:
        return flat_from_torch([p.grad for p in self.params])

    # --- the objective -----------------------------------------------------------------

    def forward(self, X: ArrayLike, training: bool = False) -> np.ndarray:
        """Outputs (probabilities or values) as a NumPy array, no gradient."""
        self.model.train(training)
        with torch.no_grad():
            return OUTPUT[self.out_activation](self.model(self.tensor(X))).cpu().numpy()

    def _data_loss(self, logits: torch.Tensor, Y: torch.Tensor,
                   sw: torch.Tensor | None) -> tuple[torch.Tensor, float]:
        if self.conventions["loss"] == "torch":
            loss = torch_default_loss(logits, Y, self.out_activation, sw)
            return loss, loss.item()
        loss = data_loss(logits, Y, self.out_activation, sw)
        return loss, sklearn_reported_loss(logits, Y, self.out_activation, sw)

    def loss_value(self, X: ArrayLike, y: ArrayLike,
                   sample_weight: ArrayLike | None = None) -> float:
        """The data loss alone (no penalty, no dropout), e.g. on held-out data."""
        self.model.eval()
        with torch.no_grad():
            sw = None if sample_weight is None else self.tensor(sample_weight)
            return self._data_loss(self.model(self.tensor(X)), self.tensor(y), sw)[1]

    def loss_and_gradients(self, X: ArrayLike, y: ArrayLike, alpha: float = 0.0,
                           sample_weight: ArrayLike | None = None, training: bool = False,
                           l2: str = "sklearn", batch_size: int | None = None,
                           scale: bool = True) -> float:
        """Forward, the loss, ``backward()``: gradients land in each parameter's ``.grad``.

        Returns the loss value as scikit-learn reports it (or torch's, under torch's loss
        convention). Penalties: "sklearn" adds alpha / (2 n) sum ||W||^2 to the objective;
        "weight_decay" and "decoupled" are left to the torch optimizer, whose penalty is
        added to the reported value only. ``scale`` is scratch's; autograd's gradients are
        always finished.
        """
        self.model.train(training)
        self.model.zero_grad(set_to_none=True)
        sw = None if sample_weight is None else self.tensor(sample_weight)
        n = X.shape[0] if sw is None else sw.sum()
        loss, reported = self._data_loss(self.model(self.tensor(X)), self.tensor(y), sw)
        weights = [lin.weight for lin in self.model.linears]
        everything = list(self.model.parameters())
        if l2 == "weight_decay" and self.decay_in_optimizer:
            reported += l2_penalty(everything, alpha, 1).item()
        elif l2 != "decoupled":
            penalised = everything if l2 in ("with_biases", "weight_decay") else weights
            denominator = {"fixed_batch": batch_size, "weight_decay": 1}.get(l2, n)
            penalty = l2_penalty(penalised, alpha, denominator)
            loss = loss + penalty
            reported += penalty.item()
        loss.backward()
        return reported
