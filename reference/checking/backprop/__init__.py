"""``check_backprop``: a whole network's backward pass against exact references.

In the order the checker runs (read, probe, reference, explain, your loss, your nodes,
verdict):

- ``check.py``: ``check_backprop``, ``assert_backprop``, ``BackpropReport`` and
  ``reproducible``: the stages below run in order, and the verdict.
- ``read.py``: the arguments, each checked with a one-line error naming it.
- ``calls.py``: calling your ``grad_fn`` on copies, reading what it returns.
- ``pair.py``: your gradients paired with the parameters and named by your names; what
  cannot be compared (missing, extra, duplicated, misordered, of the wrong shape).
- ``grammar/``: the declared network forward, the right backward pass as a program of local
  steps, the slips a step can be written with, and the search that finds which of them
  reproduce your arrays.
- ``conventions.py``: the conventions a correct gradient may follow (and ``expect=``).
- ``words.py``: the verdict in sentences.
- ``agreement.py``: your loss against the declared network's: is your forward pass it?
- ``loss.py``: are your gradients the gradient of your own loss, at its precision?
- ``nodes.py``: your intermediate gradients node by node, and the first wrong step
  (``NODES``).
- ``references.py``: the reference checked on the spot (torch autograd, scikit-learn,
  finite differences).
"""
