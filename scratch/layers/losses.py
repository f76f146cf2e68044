"""Output layers and their losses, each pair written once (a canonical link).

Every class here turns the last layer's logits ``z`` (n_samples, n_outputs) into outputs
``p`` in ``forward`` (in place, as scikit-learn does), measures ``loss(y, p)`` as scikit-learn
does, and in ``backward(y, p)`` returns the gradient of the **summed** loss with respect to
``z``. For all four pairs that gradient is the same line, ``p - y`` (times the sample weight):
the output non-linearity and the loss cancel. The mean over samples is taken once, when the
network divides its parameter gradients by ``n_samples`` (or the sum of sample weights), which
keeps our float64 round-off identical to scikit-learn's.

Probabilities are clipped to [eps, 1 - eps] (eps of p's dtype) in the loss value only, as
scikit-learn does: it changes the loss for logits beyond about 36, never the gradient.

``reduction="sklearn"`` sums over the K output columns (and halves the squared error);
``reduction="torch"`` is torch's default ``reduction='mean'`` over all n * K elements
(``BCEWithLogitsLoss``, ``MSELoss`` without the half, ``PoissonNLLLoss`` without the constant
y log y - y), which scales the loss and its gradient by 1/K (2/K for squared error).
"""

import numpy as np

from scratch.layers.activations import Identity, Logistic


def _clip(p):
    eps = np.finfo(p.dtype).eps
    return np.minimum(np.maximum(p, eps), 1 - eps)  # np.clip(p, eps, 1 - eps)


def _xlogy(x, y):
    """x * log(y), and 0 where x == 0 (so 0 * log(0) is 0, not nan)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(x == 0, 0.0, x * np.log(y))


def _mean_over_samples(per_sample, sample_weight):
    """np.average(per_sample, weights=sample_weight, axis=0), without its overhead when
    there are no weights (the same sum divided by n)."""
    if sample_weight is None:
        return np.add.reduce(per_sample, axis=0) / per_sample.shape[0]
    return np.average(per_sample, weights=sample_weight, axis=0)


def _delta(y, p, sample_weight, out=None):
    """d(sum_i w_i loss_i)/dz = w_i (p_i - y_i): the gradient every loss here shares."""
    delta = np.subtract(p, y, out=out, dtype=p.dtype)
    if sample_weight is not None:
        delta *= sample_weight.reshape(-1, 1)
    return delta


class _OutputLoss:
    """What the four pairs share: the gradient p - y, and its scale under torch's reduction
    (``torch_factor / K``: torch averages over the K output columns too)."""

    torch_factor = 1.0

    def __init__(self, reduction: str = "sklearn") -> None:
        self.reduction = reduction

    def backward(self, y: np.ndarray, p: np.ndarray, sample_weight: np.ndarray | None = None,
                 out: np.ndarray | None = None) -> np.ndarray:
        """d(sum of the per-sample losses)/dz, shape (n_samples, n_outputs)."""
        delta = _delta(y, p, sample_weight, out)
        if self.reduction == "torch" and self.torch_factor is not None:
            delta *= self.torch_factor / p.shape[1]
        return delta


class SoftmaxCrossEntropy(_OutputLoss):
    """p = softmax(z) row-wise; loss = -mean_i sum_k y_ik log p_ik (multiclass).

    torch's ``CrossEntropyLoss`` is the same mean over samples, so ``reduction`` changes
    nothing here.
    """

    out_activation = "softmax"
    torch_factor = None

    def forward(self, z: np.ndarray) -> np.ndarray:
        z -= z.max(axis=1, keepdims=True)  # exp(z - max): the same p, and no overflow
        np.exp(z, out=z)
        z /= z.sum(axis=1, keepdims=True)
        return z

    def loss(self, y: np.ndarray, p: np.ndarray,
             sample_weight: np.ndarray | None = None) -> float:
        log_p = np.log(_clip(p))  # clipped: finite, so y * log p is xlogy(y, p)
        log_p *= y
        return -_mean_over_samples(log_p, sample_weight).sum()


class LogisticLoss(_OutputLoss):
    """p = sigmoid(z) per column; loss = -mean_i sum_k [y log p + (1 - y) log(1 - p)].

    One logistic unit for binary targets, one per label for multilabel targets. The sum over
    the K labels is scikit-learn's choice: K times torch's ``BCEWithLogitsLoss()`` mean.
    """

    out_activation = "logistic"

    def forward(self, z: np.ndarray) -> np.ndarray:
        return Logistic().forward(z)

    def loss(self, y: np.ndarray, p: np.ndarray,
             sample_weight: np.ndarray | None = None) -> float:
        p = _clip(p)  # clipped: both logs are finite, so y * log p is xlogy(y, p)
        per_sample = y * np.log(p) + (1 - y) * np.log(1 - p)
        per_output = -_mean_over_samples(per_sample, sample_weight)
        return per_output.mean() if self.reduction == "torch" else per_output.sum()


class SquaredError(_OutputLoss):
    """p = z; loss = 0.5 * mean_i of (y - p)**2, then reduced over the outputs.

    ``average_outputs=True`` is scikit-learn's reported value: the mean over the K outputs.
    Its gradient ``p - y`` is, however, that of the **sum** over outputs
    (``average_outputs=False``), so for K > 1 scikit-learn reports one objective and descends
    another, K times larger; we do exactly the same, and the tests pin the factor down.
    """

    out_activation = "identity"
    torch_factor = 2.0  # MSELoss has no 1/2

    def __init__(self, average_outputs: bool = True, reduction: str = "sklearn") -> None:
        super().__init__(reduction)
        self.average_outputs = average_outputs

    def forward(self, z: np.ndarray) -> np.ndarray:
        return Identity().forward(z)

    def loss(self, y: np.ndarray, p: np.ndarray,
             sample_weight: np.ndarray | None = None) -> float:
        if self.reduction == "torch":  # MSELoss: mean over all elements, no half
            return np.average((y - p) ** 2, weights=sample_weight, axis=0).mean()
        per_output = 0.5 * np.average((y - p) ** 2, weights=sample_weight, axis=0)
        return per_output.mean() if self.average_outputs else per_output.sum()


class PoissonLoss(_OutputLoss):
    """p = exp(z); loss = mean_i sum_k [y log(y / p) - y + p], half the Poisson deviance."""

    out_activation = "exp"

    def forward(self, z: np.ndarray) -> np.ndarray:
        with np.errstate(over="ignore"):
            return np.exp(z, out=z)

    def loss(self, y: np.ndarray, p: np.ndarray,
             sample_weight: np.ndarray | None = None) -> float:
        with np.errstate(divide="ignore", invalid="ignore"):  # y / p is 0 / 0 where y = p = 0
            if self.reduction == "torch":  # PoissonNLLLoss: mean of p - y log p
                per_sample = p - _xlogy(y, p)
            else:
                per_sample = _xlogy(y, y / p) - y + p
        per_output = np.average(per_sample, weights=sample_weight, axis=0)
        return per_output.mean() if self.reduction == "torch" else per_output.sum()


Loss = SoftmaxCrossEntropy | LogisticLoss | SquaredError | PoissonLoss


def make_loss(out_activation: str, reduction: str = "sklearn") -> Loss:
    """The loss that goes with scikit-learn's ``out_activation_`` name."""
    return {
        "softmax": SoftmaxCrossEntropy,
        "logistic": LogisticLoss,
        "identity": SquaredError,
        "exp": PoissonLoss,
    }[out_activation](reduction=reduction)
