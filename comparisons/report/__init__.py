"""The report of ``python -m comparisons``: experiments, figures, tables, the page.

In the order the command uses them:

- ``experiments.py``: accuracy over seeds, gradient agreement, trajectories;
  ``conventions.py``: the twin's drift from scikit-learn with one convention switched at a
  time (``python -m comparisons.report.conventions``); ``textbook.py``: the chapter's
  experiment in all three frameworks; ``lecture.py``: the lecture's experiments;
  ``checker_demo.py``: the checkers at work; ``automates.py``: what each framework does for
  its user, as a table.
- ``plotting.py`` (shared style, the layouts for a desktop, a tablet and a phone, where
  legends go), ``figures.py`` and ``lecture_figures.py``: every figure, captioned, with
  labelled axes; ``legibility.py``: what a reader could not read in a drawn figure (a legend
  over data, overlapping tick labels, text under 9 px, an accuracy axis past 1).
- ``tables.py``: the Markdown tables; ``page.py``: the page, one list of blocks rendered to
  Markdown and HTML; ``schema.py``: results.json's JSON Schema.
"""
