"""The checkers: your backward pass and your optimizer step against exact references.

- ``check_backprop.py``: a whole network's gradients: conventions detected, mistakes named,
  with ``backprop_variants.py`` (the right gradient, and each classic mistake computed by the
  same code with one step changed) and ``backprop_conventions.py`` (the conventions as
  numbers and in words).
- ``check_optimizer.py``: an optimizer step against ``torch.optim`` and scikit-learn's.
- ``gradients.py``: one gradient question answered by scratch, torch, scikit-learn and
  finite differences; ``relative_difference``, the measure every verdict uses.
"""
