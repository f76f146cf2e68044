"""``FunctionReport``: the verdict of ``check_function``, as data and as text."""

from dataclasses import dataclass, field

from reference.checking.core.local import distinct
from reference.checking.core.report import Report


@dataclass(repr=False)
class FunctionReport(Report):
    """The verdict of ``check_function``.

    ``ok``: every gradient is the gradient of your own forward (within ``tolerance``) and
    every probe passes. ``rows``: one per differentiated input, named as your forward names
    them (``name``, ``shape``, ``ok``, ``rel_error``, ``worst_index`` (a tuple, or None),
    ``yours`` and ``reference``: the values there, ``kinks``: entries left out of finite
    differences, ``returned_shape``: your gradient's shape where it is not the input's).
    ``probes``: one per probe (``probe``, ``title``, ``ok``: True, False or None where it
    does not apply, ``text``). ``named``: the mistakes named, each ``{"slip", "where",
    "text"}`` with ``where`` your input names; empty when nothing is named. ``triage``: for a
    float32 or float16 function, the sentence telling precision from a mistake.
    ``diagnosis``: sentences. ``reading``: how your arguments were read.
    """

    ok: bool
    rows: list[dict]
    probes: list[dict]
    named: list[dict]
    diagnosis: list[str]
    function: str = ""
    tolerance: float = 1e-6
    precision: str = "float64"
    triage: str | None = None
    reading: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        lines = [f"check_function ({self.function}): {'OK' if self.ok else 'NOT OK'}",
                 f"precision: {self.precision}, a gradient is right when its relative error "
                 f"is at most {self.tolerance:.0e}"]
        lines += [f"  {sentence}" for sentence in self.reading]
        width = max([6] + [len(r["name"]) for r in self.rows])
        lines.append(f"  {'input':<{width}} {'shape':<16} {'ok':<4} relative error   worst")
        for r in self.rows:
            error = "-" if r["rel_error"] is None else f"{r['rel_error']:.1e}"
            worst = ""
            if r["worst_index"] is not None and not r["ok"] and r["yours"] is not None:
                mine, right = distinct(r["yours"], r["reference"])
                worst = f"at {r['worst_index']}: yours {mine}, right {right}"
            elif r.get("returned_shape") is not None:
                worst = f"your gradient has shape {r['returned_shape']}"
            lines.append(f"  {r['name']:<{width}} {str(r['shape']):<16} "
                         f"{'yes' if r['ok'] else 'NO':<4} {error:<16} {worst}".rstrip())
        if self.probes:
            lines.append("probes:")
            for p in self.probes:
                mark = {True: "yes", False: "NO", None: "-"}[p["ok"]]
                text = f": {p['text']}" if p["text"] and p["ok"] is not True else ""
                lines.append(f"  {mark:<4} {p['title']}{text}")
        if self.triage:
            lines.append(f"triage: {self.triage}")
        if self.diagnosis:
            lines.append("diagnosis:")
            lines += [f"  - {sentence}" for sentence in self.diagnosis]
        return "\n".join(lines)
