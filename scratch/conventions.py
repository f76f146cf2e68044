"""The places where scikit-learn and PyTorch decide differently for their users, as switches.

Each switch names one decision; ``SKLEARN`` and ``TORCH`` set all of them the way each
framework does by default. An estimator's ``conventions`` parameter is "sklearn", "torch", or
a dict that overrides single switches on top of scikit-learn's (so one difference at a time
can be switched on and its effect measured). docs/conventions.md has the table and the sizes.

- ``init``: "sklearn" draws W and b ~ U(+-sqrt(f / (fan_in + fan_out))), f = 2 for logistic
  else 6; "torch" is ``nn.Linear``'s default, W and b ~ U(+-1 / sqrt(fan_in)).
- ``shuffle``: "sklearn" permutes the previous epoch's order (idx = idx[perm]); "torch" draws
  a fresh permutation every epoch, as a ``DataLoader(shuffle=True)`` does.
- ``loss``: "sklearn" takes the mean over samples of the loss summed over output columns
  (half squared error); "torch" uses torch's default ``reduction='mean'`` over every element
  (``BCEWithLogitsLoss``, ``MSELoss`` without the half, ``PoissonNLLLoss``).
- ``l2``: "sklearn" adds alpha / (2 n_batch) * sum ||W||^2 (weights only, n_batch of the
  current, possibly short, batch); "fixed_batch" divides by the nominal batch size instead;
  "with_biases" penalises the intercepts too; "weight_decay" is torch's coupled
  ``weight_decay=alpha`` (grad += alpha * param for every parameter, i.e. a penalty
  alpha / 2 * ||params||^2 that ignores the batch size); "decoupled" is ``AdamW``'s
  param -= lr * alpha * param before each step (adam only, not in the loss value).
  The reported loss (``loss_curve_``) includes the penalty in every case but "decoupled".
- ``binary_output``: "one_logit" is scikit-learn's single logistic unit for two classes;
  "two_logits" is the two-column softmax a PyTorch classifier with ``CrossEntropyLoss``
  has (the same probabilities for W = (0, w), but a different model to train).
- ``adam_epsilon``: "sklearn" adds eps to sqrt(v); "torch" adds it to sqrt(v / (1 - b2^t)).
- ``momentum``: "sklearn" keeps the velocity v = mu v - lr g (the learning rate inside);
  "torch" keeps buf = mu buf + g and multiplies by the current lr at each step, so the two
  part ways whenever the learning rate changes.
"""

SKLEARN = {"init": "sklearn", "shuffle": "sklearn", "loss": "sklearn", "l2": "sklearn",
           "binary_output": "one_logit", "adam_epsilon": "sklearn", "momentum": "sklearn"}
TORCH = {"init": "torch", "shuffle": "torch", "loss": "torch", "l2": "weight_decay",
         "binary_output": "two_logits", "adam_epsilon": "torch", "momentum": "torch"}
OPTIONS = {
    "init": ("sklearn", "torch"),
    "shuffle": ("sklearn", "torch"),
    "loss": ("sklearn", "torch"),
    "l2": ("sklearn", "fixed_batch", "with_biases", "weight_decay", "decoupled"),
    "binary_output": ("one_logit", "two_logits"),
    "adam_epsilon": ("sklearn", "torch"),
    "momentum": ("sklearn", "torch"),
}


def resolve_conventions(conventions: str | dict) -> dict[str, str]:
    """Return the full dict of switches for "sklearn", "torch" or a dict of overrides."""
    if isinstance(conventions, str):
        if conventions not in ("sklearn", "torch"):
            raise ValueError(
                f"conventions must be 'sklearn', 'torch' or a dict of switches, got "
                f"{conventions!r}."
            )
        return dict(SKLEARN if conventions == "sklearn" else TORCH)
    if not isinstance(conventions, dict):
        raise ValueError(
            f"conventions must be 'sklearn', 'torch' or a dict of switches, got {conventions!r}."
        )
    resolved = dict(SKLEARN)
    for key, value in conventions.items():
        if key not in OPTIONS:
            raise ValueError(f"Unknown convention {key!r}; the switches are {sorted(OPTIONS)}.")
        if value not in OPTIONS[key]:
            raise ValueError(f"Convention {key!r} takes one of {OPTIONS[key]}, got {value!r}.")
        resolved[key] = value
    return resolved
