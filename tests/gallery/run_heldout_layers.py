"""Run ``check_layer`` and ``check_optimizer`` on the held-out galleries and print the tally.

``python -m tests.gallery.run_heldout_layers [layers|optimizers]``

Per case: the verdict, the inputs flagged against the inputs measured wrong (layers), the first
sentence of the diagnosis and ``named``. Then the totals: correct cases OK, bugs detected (NOT
OK), bugs whose flagged inputs are exactly the wrong ones, NOT OK verdicts with at least one
sentence, NOT OK verdicts with a non-empty ``named``, crashes. Keywords the checkers do not
take yet (``nesterov=``) are translated or dropped, and said so.
"""

import inspect
import sys
import time
import traceback

from reference import check_layer, check_optimizer
from tests.gallery import optimizer_slips, unusual_layers


def _sentences(diagnosis):
    if diagnosis is None:
        return []
    if isinstance(diagnosis, str):
        return [diagnosis] if diagnosis.strip() else []
    return [s for s in diagnosis if str(s).strip()]


def _field(row, key):
    return row[key] if isinstance(row, dict) else getattr(row, key)


def _named(report):
    return getattr(report, "named", None)


def _short(text, width=150):
    text = " ".join(str(text).split())
    return text if len(text) <= width else text[:width - 3] + "..."


def _adapt_optimizer_kwargs(kwargs):
    """Translate keywords the installed check_optimizer does not take; return (kwargs, notes)."""
    accepted = inspect.signature(check_optimizer).parameters
    kwargs, notes = dict(kwargs), []
    if "nesterov" in kwargs and "nesterov" not in accepted:
        if kwargs.pop("nesterov") and kwargs["optimizer"] == "sgd":
            kwargs["optimizer"] = "nesterov"
            notes.append("nesterov= not taken: checked as optimizer='nesterov'")
    for key in [k for k in kwargs if k not in accepted]:
        notes.append(f"{key}= not taken: dropped")
        kwargs.pop(key)
    return kwargs, notes


def _run(cases, check):
    tally = {"correct": 0, "correct_ok": 0, "bugs": 0, "detected": 0, "exact": 0,
             "not_ok": 0, "explained": 0, "named": 0, "crashes": 0}
    for case in cases:
        is_bug = case["bug"] is not None
        tally["bugs" if is_bug else "correct"] += 1
        start = time.perf_counter()
        try:
            report, flagged, notes = check(case)
        except Exception as error:                               # a crash is a result here
            tally["crashes"] += 1
            print(f"{case['name']:34s} CRASH {type(error).__name__}: {_short(error)}")
            print("    " + _short(traceback.format_exc().strip().splitlines()[-3], 200))
            continue
        seconds = time.perf_counter() - start
        sentences, named = _sentences(report.diagnosis), _named(report)
        verdict = "OK" if report.ok else "NOT OK"
        line = f"{case['name']:34s} {verdict:6s} {seconds:5.1f}s"
        if flagged is not None:
            line += f"  flagged {sorted(flagged)} wrong {sorted(case['wrong'])}"
        print(line)
        for note in notes:
            print(f"    note: {note}")
        if is_bug:
            print(f"    slip: {case['kind_of_slip']}: {case['bug']}")
        if sentences:
            print(f"    says: {_short(sentences[0])}")
        if named:
            print(f"    named: {_short(named, 300)}")
        if report.ok and not is_bug:
            tally["correct_ok"] += 1
        if not report.ok:
            tally["not_ok"] += 1
            tally["explained"] += bool(sentences)
            tally["named"] += bool(named)
        if is_bug and not report.ok:
            tally["detected"] += 1
        if is_bug and flagged is not None and flagged == case["wrong"]:
            tally["exact"] += 1
    return tally


def _check_layer_case(case):
    forward, backward, inputs, kwargs = case["make"]()
    report = check_layer(forward, backward, *inputs, **kwargs)
    return report, {_field(row, "name") for row in report.rows if not _field(row, "ok")}, []


def _check_optimizer_case(case):
    factory, kwargs = case["make"]()
    kwargs, notes = _adapt_optimizer_kwargs(kwargs)
    return check_optimizer(factory(), **kwargs), None, notes


def _print_tally(title, tally, exact=True):
    named_note = "" if hasattr_named() else " (reports have no `named` field yet)"
    print(f"\n== {title}")
    print(f"correct OK:              {tally['correct_ok']}/{tally['correct']}")
    print(f"bugs detected (NOT OK):  {tally['detected']}/{tally['bugs']}")
    if exact:
        print(f"exact inputs flagged:    {tally['exact']}/{tally['bugs']}")
    print(f"NOT OK with a sentence:  {tally['explained']}/{tally['not_ok']}")
    print(f"NOT OK with `named`:     {tally['named']}/{tally['not_ok']}{named_note}")
    print(f"crashes:                 {tally['crashes']}")


def hasattr_named():
    """Whether the installed reports carry ``named``."""
    from reference import LayerReport, OptimizerReport
    return all("named" in getattr(cls, "__dataclass_fields__", {}) or hasattr(cls, "named")
               for cls in (LayerReport, OptimizerReport))


def main(which=("layers", "optimizers")):
    if "layers" in which:
        print("== check_layer on tests/gallery/unusual_layers.py")
        layer_tally = _run(unusual_layers.CASES, _check_layer_case)
    if "optimizers" in which:
        print("\n== check_optimizer on tests/gallery/optimizer_slips.py")
        optimizer_tally = _run(optimizer_slips.CASES, _check_optimizer_case)
    if "layers" in which:
        _print_tally("check_layer", layer_tally)
    if "optimizers" in which:
        _print_tally("check_optimizer", optimizer_tally, exact=False)


if __name__ == "__main__":
    main(tuple(sys.argv[1:]) or ("layers", "optimizers"))
