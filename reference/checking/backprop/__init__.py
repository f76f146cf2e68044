"""``check_backprop``: a whole network's backward pass against exact references.

In the order the checker runs:

- ``check.py``: ``check_backprop``, ``assert_backprop`` and ``BackpropReport``: the
  arguments read, the steps below run, the verdict.
- ``calls.py``: calling your ``grad_fn`` on copies, reading what it returns.
- ``variants.py``: the right gradient of the unit loss, each classic mistake computed by the
  same code with one step changed (``MISTAKES``), and the nodes of the network (``NODES``).
- ``conventions.py``: the conventions a correct gradient may follow, as numbers and words.
- ``matching.py``: which convention explains your arrays, which variant or mistake the rest.
- ``words.py``: the verdict in sentences.
- ``loss.py``: are your gradients the gradient of your own loss, at its precision?
- ``nodes.py``: your intermediate gradients node by node, and the first wrong step.
- ``references.py``: the reference checked on the spot (torch autograd, scikit-learn,
  finite differences).
"""
