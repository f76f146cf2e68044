"""``check_layer``: one layer's backward pass checked at a time, its conventions found and
its classic mistakes named.

- ``check.py``: ``check_layer``, ``assert_layer`` and ``LayerReport``.
- ``calls.py``: calling your forward and backward on copies, reading what they return.
- ``probes.py``: your backward called as a network calls it: writes into dout, the cache or
  the inputs, and a second call that differs.
- ``recognise.py``: a known kind read from what your forward computes (no ``kind=``).
- ``explain.py``: the words for a wrong gradient, as a slip of one local step
  (``core.local``).
- ``kinds/``: what the checker knows of each kind of layer (dense, the activations, the
  losses, dropout, batch and layer norm, conv2d, maxpool2d): torch's operation, the
  conventions, the classic mistakes.
"""
