"""Attributes replaced for the span of a ``with`` block and put back as they were after it:
``spy.Spy`` and ``inline.Inline`` replace a Function's ``apply`` (and more) while a check
runs."""


class Patches:
    """Base of a context manager: ``_patch(owner, name, value)`` sets an attribute; leaving
    the block restores each one, last first (deleted where the owner had none of its own)."""

    def __init__(self) -> None:
        self._undo: list[tuple[object, str, bool, object]] = []

    def __exit__(self, *exc: object) -> None:
        for owner, name, had, old in reversed(self._undo):
            if had:
                setattr(owner, name, old)
            else:
                delattr(owner, name)
        self._undo.clear()

    def _patch(self, owner: object, name: str, value: object) -> None:
        had = name in owner.__dict__
        self._undo.append((owner, name, had, owner.__dict__.get(name)))
        setattr(owner, name, value)
