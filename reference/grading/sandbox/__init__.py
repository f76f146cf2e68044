"""The child's side of grading: the process that runs a student's code (standard library and
NumPy only; it loads these files by their paths, never through the project's packages).

- ``main.py``: the program: limits, then the guard, then the grader's requests.
- ``guard.py``: the guard (an audit hook: no project, no automatic differentiation, no
  processes, no project files, no code from raw bytes; threads bounded).
- ``shell.py``: what a notebook finds in place of IPython (``get_ipython()``, its magics)
  and of the grader (``grade``, ``Grade``, inert).
- ``landlock.py`` and ``seccomp.py``: what the kernel then enforces whatever the code does
  (files, signals; new sockets, new processes, other processes).
- ``wire.py``: the channel's format (plain values and arrays, never code), used by both sides.
"""
