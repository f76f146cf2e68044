"""The exercises of ``notebooks/08_exercises`` and their grader.

- ``exercises.py``: each exercise's reference solution (scratch's own layers), its grader
  and the typical mistakes it recognises; ``grade(name, fn)``.
"""
