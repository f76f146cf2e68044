"""The checkers: your backward pass and your optimizer step against exact references.

- ``core/``: what every checker shares: the report (its truth value, its JSON) and the
  precision each array carries.
- ``backprop/``: ``check_backprop``, a whole network's gradients: conventions detected,
  mistakes named as slips of a grammar of local steps, the first wrong node found.
- ``layer/``: ``check_layer``, one layer's backward pass (dense, the activations, the
  losses, dropout, batch and layer norm, conv2d, max pooling): its conventions found, its
  classic mistakes named.
- ``optimizer/``: ``check_optimizer``, an optimizer step against ``torch.optim`` and
  scikit-learn's, its slips named in a grammar of the update's steps.
- ``compare.py``: one array against its reference (exact, close or wrong, the worst
  element), and ``relative_difference``, the measure every verdict uses: NaN, infinity and
  complex values can never pass it.
- ``structures.py``: reading parameters and gradients in the forms people keep them (lists,
  dicts, Nielsen's tuples; NumPy or torch) with their own names.
- ``gradients.py``: one gradient question answered by scratch, torch, scikit-learn and
  finite differences.
"""
