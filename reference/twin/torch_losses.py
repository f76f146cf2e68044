"""scikit-learn's MLP objective written with torch operations, for autograd to differentiate.

``data_loss`` is the mean over samples (weighted by ``sample_weight`` if given) of the
per-sample loss **summed over output columns**, which is what scikit-learn descends:
softmax cross-entropy, binary/multilabel logistic loss (K logistic units, summed, i.e.
K times torch's ``BCEWithLogitsLoss()`` mean), half squared error and half Poisson deviance.
"""

import torch
import torch.nn.functional as F


def per_sample_loss(logits: torch.Tensor, y: torch.Tensor, out_activation: str) -> torch.Tensor:
    """Loss of each sample, shape (n_samples,), from the logits (n_samples, n_outputs)."""
    if out_activation == "softmax":
        return -(y * F.log_softmax(logits, dim=1)).sum(dim=1)
    if out_activation == "logistic":
        return F.binary_cross_entropy_with_logits(logits, y, reduction="none").sum(dim=1)
    if out_activation == "identity":
        return 0.5 * ((logits - y) ** 2).sum(dim=1)
    if out_activation == "exp":
        return (torch.xlogy(y, y) - y * logits - y + torch.exp(logits)).sum(dim=1)
    raise ValueError(f"unknown output activation {out_activation!r}")


def data_loss(logits: torch.Tensor, y: torch.Tensor, out_activation: str,
              sample_weight: torch.Tensor | None = None) -> torch.Tensor:
    """Mean (or sample-weighted mean) of ``per_sample_loss``."""
    per_sample = per_sample_loss(logits, y, out_activation)
    if sample_weight is None:
        return per_sample.mean()
    return (per_sample * sample_weight).sum() / sample_weight.sum()


def l2_penalty(weights: list[torch.Tensor], alpha: float,
               n: float | torch.Tensor) -> torch.Tensor:
    """scikit-learn's L2 term alpha / (2 n) * sum ||W||^2, on weights only (not biases)."""
    return 0.5 * alpha * sum((W**2).sum() for W in weights) / n
