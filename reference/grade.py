"""``python -m reference.grade``: grade a submission of the exercises (see
``reference.grading.cli``)."""

if __name__ == "__main__":
    from reference.grading.cli import command

    raise SystemExit(command())
