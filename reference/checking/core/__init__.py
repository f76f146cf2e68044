"""The verdict core every checker shares.

- ``report.py``: what every report is (``ok`` as its truth value, ``to_dict`` for JSON).
- ``precision.py``: the precision each array and each loss carries, from its dtype and its
  values (a float32 model handed over as float64 shows in its numbers).
"""
