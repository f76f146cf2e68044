"""Run ``check_backprop`` on every case of the five held-out galleries and print how it did.

    python -m tests.gallery.run_heldout [--self-check] [--quiet] [module ...]

Per case: correct or bug, the verdict, the arrays flagged against the arrays the planted mistake
spoils (``wrong``), the first node flagged against ``first_wrong_node``, the first diagnosis
sentence and the ``named`` slips. Then the totals. Keyword arguments the installed checker does
not accept (``expect``, ``label_smoothing`` while they are being built) are dropped and said.
"""

import importlib
import inspect
import signal
import sys
import time
import traceback
import warnings

import numpy as np

MODULES = ["deeplearning_ai", "nnfs_objects", "leaky_regressor", "float32_smoothing",
           "torch_manual_backward"]
NODE_ORDER = ("p", "z3", "h2", "z2", "h1", "z1", "x")
SECONDS_PER_CASE = 300


class _Timeout(Exception):
    pass


def _alarm(signum, frame):
    raise _Timeout(f"more than {SECONDS_PER_CASE} s")


def _first_flagged_node(report, node_map):
    """The first node (in backward order) whose row is not ok, by the checker's node names."""
    flagged = set()
    for row in report.get("nodes") or []:
        if row.get("ok", True):
            continue
        for key in ("node", "name", "yours"):
            value = row.get(key)
            if value in NODE_ORDER:
                flagged.add(value)
            elif node_map and value in node_map:
                flagged.add(node_map[value])
    return next((n for n in NODE_ORDER if n in flagged), None)


def run_case(case, check_backprop, accepted):
    grad_fn, params, X, Y, kwargs = case["make"]()
    dropped = sorted(k for k in kwargs if k not in accepted)
    kwargs = {k: v for k, v in kwargs.items() if k in accepted}
    start = time.perf_counter()
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        report = check_backprop(grad_fn, params, X, Y, **kwargs)
    seconds = time.perf_counter() - start
    d = report.to_dict()
    named = d.get("named", getattr(report, "named", None)) or []
    flagged = {row["name"] for row in d.get("params", []) if not row.get("ok", True)}
    return {"ok": bool(d.get("ok")), "flagged": flagged, "diagnosis": d.get("diagnosis") or [],
            "named": list(named), "loss_ok": d.get("loss_ok"), "dropped": dropped,
            "first_node": _first_flagged_node(d, case["make"]()[4].get("nodes")),
            "seconds": seconds}


def _names(s):
    return "{" + ", ".join(sorted(s)) + "}" if s else "{}"


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    quiet = "--quiet" in argv
    do_self_check = "--self-check" in argv
    modules = [a for a in argv if not a.startswith("--")] or MODULES

    from reference import check_backprop

    accepted = set(inspect.signature(check_backprop).parameters)
    signal.signal(signal.SIGALRM, _alarm)
    totals = dict(correct=0, correct_ok=0, bugs=0, detected=0, exact=0, named=0, crashes=0,
                  unusual=0, unusual_detected=0, nodes_cases=0, nodes_right=0)
    dropped_anywhere = set()
    for module_name in modules:
        module = importlib.import_module(f"tests.gallery.{module_name}")
        if do_self_check:
            module.self_check(verbose=False)
            print(f"# {module_name}: self_check passed")
        print(f"\n=== {module_name} ({len(module.CASES)} cases)")
        for case in module.CASES:
            is_bug = case["bug"] is not None
            kind = "bug " if is_bug else "good"
            totals["bugs" if is_bug else "correct"] += 1
            if is_bug and case["unusual"]:
                totals["unusual"] += 1
            signal.alarm(SECONDS_PER_CASE)
            try:
                r = run_case(case, check_backprop, accepted)
            except Exception as exc:  # a crash is a result too
                signal.alarm(0)
                totals["crashes"] += 1
                frames = traceback.extract_tb(exc.__traceback__)
                where = ("in the case's grad_fn" if "tests/gallery" in frames[-1].filename
                         else "inside check_backprop")
                print(f"[{kind}] {case['name']}: CRASH {where}: {type(exc).__name__}: "
                      f"{str(exc).strip()}")
                if not quiet:
                    print(f"       at {frames[-1].name}: {frames[-1].line}")
                    if is_bug:
                        print(f"       planted: {case['bug']}")
                continue
            signal.alarm(0)
            dropped_anywhere.update(r["dropped"])
            wrong = set(case["wrong"])
            exact = r["flagged"] == wrong
            if is_bug:
                totals["detected"] += not r["ok"]
                totals["exact"] += exact
                totals["named"] += bool(r["named"])
                if case["unusual"]:
                    totals["unusual_detected"] += not r["ok"]
            else:
                totals["correct_ok"] += r["ok"]
            node_note = ""
            if case.get("first_wrong_node") is not None or (
                    is_bug and case["make"]()[4].get("nodes")):
                totals["nodes_cases"] += 1
                right = r["first_node"] == case.get("first_wrong_node")
                totals["nodes_right"] += right
                node_note = (f" | first node flagged {r['first_node']} vs "
                             f"{case.get('first_wrong_node')}")
            verdict = "ok=True " if r["ok"] else "ok=False"
            mark = ("EXACT" if exact else "differs") if is_bug else (
                "right" if r["ok"] else "FALSE ALARM")
            print(f"[{kind}] {case['name']}: {verdict} flagged {_names(r['flagged'])} vs wrong "
                  f"{_names(wrong)} ({mark}){node_note}  [{r['seconds']:.1f} s]")
            if not quiet:
                first = r["diagnosis"][0] if r["diagnosis"] else "(no diagnosis)"
                print(f"       diagnosis: {first}")
                if r["named"]:
                    print(f"       named: {r['named']}")
                if is_bug:
                    print(f"       planted: {case['bug']}")
    t = totals
    print("\n=== totals")
    if dropped_anywhere:
        print(f"dropped (the installed check_backprop does not accept them): "
              f"{', '.join(sorted(dropped_anywhere))}")
    print(f"correct networks OK:        {t['correct_ok']} / {t['correct']}")
    print(f"bugs detected:              {t['detected']} / {t['bugs']}"
          f"  (unusual: {t['unusual_detected']} / {t['unusual']})")
    print(f"exact arrays flagged:       {t['exact']} / {t['bugs']}")
    print(f"named (non-empty `named`):  {t['named']} / {t['bugs']}")
    print(f"first wrong node right:     {t['nodes_right']} / {t['nodes_cases']}")
    print(f"crashes:                    {t['crashes']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
