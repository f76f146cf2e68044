"""The child's side of grading: the process that runs a student's code (standard library and
NumPy only; it loads these files by their paths, never through the project's packages).

- ``main.py``: the program: limits, then a guard (an audit hook: no project, no automatic
  differentiation, no processes, no project files), then the grader's requests.
- ``landlock.py`` and ``seccomp.py``: what the kernel then enforces whatever the code does
  (files, signals; the network, other processes).
- ``wire.py``: the channel's format (plain values and arrays, never code), used by both sides.
"""
