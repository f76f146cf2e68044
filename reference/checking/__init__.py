"""The checkers: your backward pass and your optimizer step against exact references.

- ``core/``: what every checker shares: the report (its truth value, its JSON), the
  precision each array carries, finite differences of a forward, and the grammar of slips of
  one local step.
- ``backprop/``: ``check_backprop``, a whole network's gradients: conventions detected,
  mistakes named as slips of a grammar of local steps, the first wrong node found.
- ``layer/``: ``check_layer``, one layer's backward pass (dense, the activations, the
  losses, dropout, batch and layer norm, conv2d, max pooling): its conventions found, its
  classic mistakes named.
- ``function/``: ``check_function``, a PyTorch custom backward (a ``torch.autograd.Function``,
  a module with a hook, a custom op) against its own forward, with the probes gradcheck does
  not make; ``check_model``, the first wrong custom module inside a model.
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
