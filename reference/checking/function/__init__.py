"""``check_function``: a PyTorch custom backward (a ``torch.autograd.Function``, a module with
a hook, a custom op) checked against the gradient of its own forward, and ``check_model``:
the first wrong custom module inside a model.

- ``check.py``: ``check_function`` and ``assert_function``, in stages.
- ``report.py``: ``FunctionReport``.
- ``read.py``: the forms ``fn`` takes, the inputs differentiated and their names.
- ``calls.py``: your forward and backward called on copies, in your dtypes or in float64.
- ``spy.py``: what each custom Function returns raw, saves and is called with.
- ``reference.py``: finite differences of your forward (elementwise, or along directions),
  kinks found and left out; the whole reference for the wrong rows.
- ``inline.py``: autograd on your forward alone, a fast candidate for the whole reference.
- ``patches.py``: what ``spy`` and ``inline`` replace while a check runs, put back after.
- ``probes.py``: what gradcheck does not try (called twice, a non-contiguous or zero or
  scaled grad_output, what backward returns, what is written into, saved tensors changed).
- ``double.py``: the second derivative against finite differences of your backward.
- ``explain.py``: the slips named (``core.local``) and the precision triage.
- ``model.py``: ``check_model``, every custom module of a model checked on what it saw.
"""
