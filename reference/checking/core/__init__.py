"""The verdict core every checker shares.

- ``report.py``: what every report is (``ok`` as its truth value, ``to_dict`` for JSON).
- ``precision.py``: the precision each array and each loss carries, from its dtype and its
  values (a float32 model handed over as float64 shows in its numbers).
- ``numeric.py``: finite differences of a forward along directions and at coordinates, kinks
  found and left out (check_layer's and check_function's).
- ``local.py``: the grammar of slips of one local step (a layer's backward, a Function's
  backward) and the search that names the ones reproducing a gradient.
"""
