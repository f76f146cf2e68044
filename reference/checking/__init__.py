"""The checkers: your backward pass and your optimizer step against exact references.

- ``backprop/``: ``check_backprop``, a whole network's gradients: conventions detected,
  mistakes named, the first wrong node of a backward pass found.
- ``layer/``: ``check_layer``, one layer's backward pass (dense, the activations, the
  losses, dropout, batch and layer norm, conv2d, max pooling): its conventions found, its
  classic mistakes named.
- ``check_optimizer.py``: an optimizer step against ``torch.optim`` and scikit-learn's.
- ``compare.py``: one array against its reference (exact, close or wrong, the worst
  element), and ``relative_difference``, the measure every verdict uses: NaN, infinity and
  complex values can never pass it.
- ``structures.py``: reading parameters and gradients in the forms people keep them (lists,
  dicts, Nielsen's tuples; NumPy or torch) with their own names.
- ``gradients.py``: one gradient question answered by scratch, torch, scikit-learn and
  finite differences.
"""
