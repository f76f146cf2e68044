"""What every checker's report is: its truth value is its verdict, and it turns into JSON.

``bool(report)`` is ``report.ok``, so ``assert report`` works in a test, and ``repr(report)``
is the report's text, which a failed ``assert report`` then shows; ``report.to_dict()``
gives plain Python values only (numbers, strings, lists, dicts; tuples become lists and
NumPy scalars numbers), ready for ``json.dumps``.
"""

import dataclasses
import math

import numpy as np


def plain(value: object) -> object:
    """``value`` with NumPy scalars and arrays, tuples and dataclasses made plain JSON values
    (a non-finite float becomes None: JSON has no NaN)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return plain(value.tolist())
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value) if math.isfinite(value) else None
    if value is None or isinstance(value, str):
        return value
    return str(value)


class Report:
    """A mixin for the checkers' report dataclasses (declared with ``repr=False``):
    ``bool(report) == report.ok``, ``repr(report)`` is its text (what a notebook or a failed
    ``assert report`` shows), and ``report.to_dict()``."""

    ok: bool

    def __bool__(self) -> bool:
        return bool(self.ok)

    def __repr__(self) -> str:
        return str(self)

    def to_dict(self) -> dict:
        """The report as plain JSON values (see the module docstring)."""
        return plain(self)
