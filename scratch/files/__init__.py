"""Model files: a fitted estimator saved as an ``.npz`` archive and loaded back, safely.

- ``persistence.py``: ``save_model`` (atomic: a temporary file renamed over the target) and
  ``load_model`` (a header checked against a schema, arrays against the header).
- ``safe_npz.py``: an ``.npz`` reader that inspects the archive before reading any array
  (members, sizes, dtypes, CRCs; no pickled objects).
"""
