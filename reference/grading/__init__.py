"""The exercises of ``notebooks/09_exercises`` and their grader, which never runs a student's
code in its own process.

In the grader's process (judging, references, words):

- ``exercises.py``: each exercise's cases (drawn at grading time), the typical mistakes it
  recognises, and ``grade(name, fn)`` for a notebook cell.
- ``answers.py``: reading an answer: NaN, infinity, complex values, wrong counts and shapes
  are never right.
- ``submission.py``: reading a ``.py`` file or a ``.ipynb`` notebook as Python reads it,
  into cells (nothing of it runs there).
- ``runner.py``: grading a submission: its code in a child, each exercise judged here on
  answers that come back as data, within its time limit.
- ``child.py``: the grader's side of that child: started clean, its cells as a file, its
  channel, deadlines, its output kept as a bounded tail; ``frames.py``: what the grader
  believes of a frame from it (nothing unchecked); ``watch.py``: its folder and threads
  watched from outside, and its folder removed however deep; ``processes.py``: stopping it
  and all it started (a child subreaper, ``/proc``).
- ``text.py``: what comes from outside (the child's words, file names) made printable and
  cut, for the terminal, the CSV and the JSON.
- ``cli.py``: ``python -m reference.grade`` (with ``reference/grade.py``): one submission,
  or a class (``classroom.py``: a folder, a CSV, ``--jobs``); ``autograder.py``: Gradescope's
  results.json and its autograder (``setup.sh``, ``run_autograder``).

In the child (standard library and NumPy only, loaded by path):

- ``sandbox/``: the program that runs the student's code (``main.py``: limits, then a guard,
  then the requests), the guard (``guard.py``: an audit hook), what a notebook finds in place
  of IPython and the grader (``shell.py``), what the kernel then enforces (``landlock.py``,
  ``seccomp.py``), and the channel's format (``wire.py``: plain values and arrays, never
  code), both sides.
"""

__all__ = ["grade", "Grade"]


def __getattr__(name: str) -> object:
    """``grade`` and ``Grade``, imported when first asked for: ``python -m reference.grade
    --help`` then needs neither the checkers nor torch."""
    if name in __all__:
        from reference.grading import exercises

        return getattr(exercises, name)
    raise AttributeError(f"module 'reference.grading' has no attribute {name!r}")
