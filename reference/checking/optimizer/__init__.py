"""``check_optimizer``: an optimizer step against the frameworks' updates, and its slips named.

In the order the checker runs:

- ``check.py``: ``check_optimizer`` and ``OptimizerReport``: the arguments read, your step
  and the frameworks' run in lockstep, the probes, the measure, the verdict.
- ``frameworks.py``: the real ``torch.optim`` and scikit-learn optimizers, each beside the
  rule that writes it out.
- ``rules.py``: an update as the choices its writer makes (``Rule``), and the update it
  gives (``Stepper``, ``replay``).
- ``slips.py``: the grammar: each slip changes one choice of a rule (``SLIPS``).
- ``explain.py``: which slips reproduce your step; else what it does and where it leaves
  the closest framework.
"""
