"""The exercises of ``notebooks/09_exercises`` and their grader.

- ``exercises.py``: each exercise's cases (drawn at grading time), the typical mistakes it
  recognises, its reference solution (scratch's own layers, for the teacher) and
  ``grade(name, fn)`` for a notebook cell.
- ``answers.py``: calling a student's function on copies and reading its answer: NaN,
  infinity, complex values, wrong counts and shapes are never right.
- ``runner.py``: grading every exercise a submission defines, each within a time limit.
- ``submission.py``: running a ``.py`` file or a ``.ipynb`` notebook in a fresh process or
  kernel, then grading it.
- ``cli.py``: ``python -m reference.grade`` (with ``reference/grade.py``), Gradescope's
  results.json.
"""

from reference.grading.exercises import Grade, grade, solution

__all__ = ["grade", "Grade", "solution"]
