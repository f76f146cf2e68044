"""The grammar of slips and the search that composes them, in the order they are built:

- ``network.py``: the declared network's forward pass (the arrays every step reads), and the
  ways an activation's derivative is written (``FORMS``).
- ``program.py``: the right backward pass as a program of local steps (the lecture's gates:
  local gradient x upstream = downstream), each a small dataclass of the choices its writer
  makes; ``rerun`` recomputes what a changed step reaches.
- ``slips.py``: the table of slips (``SLIPS``): which steps each applies to, how it changes
  one, and the sentence it earns.
- ``fit.py``: how well a candidate gradient explains your arrays, under which convention,
  with the numbers a slip carries found by least squares.
- ``search.py``: which composition of up to two slips reproduces your arrays exactly.
"""
