"""Run ``check_layer`` (kind=None) on every case of ``more_layers.CASES``.

    .venv/bin/python -m tests.gallery.run_more_layers

Prints one block per case (verdict, flagged rows against the declared
``wrong`` set, the first sentence of the diagnosis, the named slips) and
the totals.  It only reports: it asserts nothing about the checker.
"""

from __future__ import annotations

import re
import traceback

from reference import check_layer
from tests.gallery.more_layers import CASES, hostile


def _first_sentence(diagnosis) -> str:
    if not diagnosis:
        return ""
    text = str(diagnosis[0]).strip()
    m = re.match(r"(.+?[.!?])(?:\s+(?=[A-Z(])|$)", text, flags=re.S)
    return (m.group(1) if m else text).replace("\n", " ")


def main() -> dict:
    totals = {
        "correct": 0, "correct_ok": 0,
        "bugs": 0, "bugs_detected": 0,
        "exact_rows": 0,
        "not_ok": 0, "not_ok_with_sentence": 0,
        "nonhostile_bugs": 0, "nonhostile_named": 0,
        "hostile": 0, "hostile_detected": 0,
        "crashes": 0,
    }
    for case in CASES:
        forward, backward, inputs, kwargs = case["make"]()
        kwargs = {**kwargs, "kind": None}
        is_bug = case["bug"] is not None
        wrong = set(case["wrong"])
        if is_bug:
            totals["bugs"] += 1
            if hostile(case):
                totals["hostile"] += 1
            else:
                totals["nonhostile_bugs"] += 1
        else:
            totals["correct"] += 1
        tag = "BUG " if is_bug else "GOOD"
        try:
            report = check_layer(forward, backward, *inputs, **kwargs)
        except Exception as exc:  # noqa: BLE001 - a crash is a result here
            totals["crashes"] += 1
            print(f"[{tag}] {case['name']:30s} CRASH {type(exc).__name__}: {exc}")
            print("       " + traceback.format_exc().strip().splitlines()[-1])
            continue
        flagged = {row["name"] for row in report.rows if not row.get("ok", True)}
        exact = flagged == wrong
        sentence = _first_sentence(report.diagnosis)
        named = [(n.get("slip"), tuple(n.get("where") or ())) for n in (report.named or [])]

        if not is_bug and report.ok:
            totals["correct_ok"] += 1
        if is_bug and not report.ok:
            totals["bugs_detected"] += 1
            if hostile(case):
                totals["hostile_detected"] += 1
        if exact:
            totals["exact_rows"] += 1
        if not report.ok:
            totals["not_ok"] += 1
            if sentence:
                totals["not_ok_with_sentence"] += 1
        if is_bug and not hostile(case) and named:
            totals["nonhostile_named"] += 1

        verdict = "OK    " if report.ok else "NOT OK"
        print(f"[{tag}] {case['name']:30s} {verdict} flagged={sorted(flagged)} "
              f"wrong={sorted(wrong)} {'exact' if exact else 'MISMATCH'}")
        if sentence:
            print(f"       diagnosis: {sentence}")
        if named:
            print("       named: " + "; ".join(f"{s}@{','.join(w)}" for s, w in named))

    n_cases = len(CASES)
    print()
    print("Totals")
    print(f"  correct OK:                          {totals['correct_ok']}/{totals['correct']}")
    print(f"  bugs detected (NOT OK):              {totals['bugs_detected']}/{totals['bugs']}"
          f"  (hostile {totals['hostile_detected']}/{totals['hostile']})")
    print(f"  exact rows flagged (== wrong):       {totals['exact_rows']}/{n_cases}")
    print(f"  NOT OK with a sentence:              "
          f"{totals['not_ok_with_sentence']}/{totals['not_ok']}")
    print(f"  non-hostile bugs with named slips:   "
          f"{totals['nonhostile_named']}/{totals['nonhostile_bugs']}")
    print(f"  crashes:                             {totals['crashes']}")
    return totals


if __name__ == "__main__":
    main()
