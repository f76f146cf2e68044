"""Maintenance commands: they keep what readers see in step with the code.

- ``doc_blocks.py``: ``python -m comparisons.tools.doc_blocks`` runs the README's and the
  docs' Python blocks from a folder outside the clone, and checks (or updates) their output;
  ``forked.py`` runs each block in a process forked from one that has imported the libraries.
- ``notebooks.py``: ``python -m comparisons.tools.notebooks`` runs the notebooks in fresh
  kernels; ``--update`` stores them with their outputs.
- ``architecture.py``: ``python -m comparisons.tools.architecture`` draws the floors and
  rooms from the imports (docs/architecture.md).
- ``browser.py``: ``python -m comparisons.tools.browser REPORT.html`` measures the report in
  headless Chromium at a desktop's, a tablet's and a phone's width (sideways scrolling, hidden
  text, broken words, figures too small to read, verdict columns out of view, what the
  report's own figure check found) and saves screenshots.
"""
