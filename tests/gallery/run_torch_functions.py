"""Run ``check_function`` and ``check_model`` on ``tests/gallery/torch_functions.py``; print the
tally.

``python -m tests.gallery.run_torch_functions [cases] [models]``

Per case: the verdict, the rows flagged against the inputs measured wrong, the slip planted, the
first sentence of the diagnosis and ``named``. Per model: the verdict, ``first_wrong`` against
the recorded one. Then the totals: correct cases OK, bugs NOT OK, bugs whose flagged rows are
exactly the wrong inputs, bugs NOT OK with a non-empty ``named``, float32 cases told apart
(verdict right), the two declared surrogates reported NOT OK, crashes (any exception but a
one-line ValueError or TypeError naming an argument, which is counted as a refusal), models
whose first wrong module is right. A checker that is not there yet is said in one line.
"""

import inspect
import re
import sys
import time
import traceback

from tests.gallery import torch_functions as gallery

ARGUMENTS = ("fn", "inputs", "rtol", "seed", "double_backward", "names", "model", "loss_fn")


def _checker(name):
    try:
        import reference
        return getattr(reference, name)
    except (ImportError, AttributeError) as error:
        print(f"{name} does not exist yet ({type(error).__name__}: {error}); skipped")
        return None


def _field(row, key, default=None):
    if isinstance(row, dict):
        return row.get(key, default)
    return getattr(row, key, default)


def _sentences(diagnosis):
    if diagnosis is None:
        return []
    if isinstance(diagnosis, str):
        return [diagnosis] if diagnosis.strip() else []
    return [str(s) for s in diagnosis if str(s).strip()]


def _short(text, width=150):
    text = " ".join(str(text).split())
    return text if len(text) <= width else text[:width - 3] + "..."


def _named_text(named):
    parts = []
    for item in named or []:
        if isinstance(item, dict):
            parts.append(f"{item.get('slip')}@{item.get('where')}")
        else:
            parts.append(str(item))
    return ", ".join(parts)


def _is_refusal(error, names):
    """A one-line ValueError/TypeError naming an argument: an honest refusal, not a crash."""
    if not isinstance(error, (ValueError, TypeError)):
        return False
    text = str(error).strip()
    if not text or "\n" in text:
        return False
    words = set(ARGUMENTS) | {n for n in names if n}
    return any(re.search(rf"\b{re.escape(w)}\b", text) for w in words)


def _accepted(check, kwargs):
    """kwargs the installed checker takes, and a note for each one dropped."""
    parameters = inspect.signature(check).parameters
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()):
        return dict(kwargs), []
    kept = {k: v for k, v in kwargs.items() if k in parameters}
    return kept, [f"{k}= not taken: dropped" for k in kwargs if k not in parameters]


def _run_check_function(check_function, case):
    fn, inputs, kwargs = case["make"]()
    diff = gallery._differentiated(inputs)
    kwargs, notes = _accepted(check_function, kwargs)
    names = list(kwargs.get("names") or [])
    try:
        return check_function(fn, *inputs, **kwargs), names, diff, notes
    except (ValueError, TypeError) as error:
        if not names or "names" not in str(error):
            raise
        kwargs["names"] = [names[i] for i in diff]
        notes.append("names for every input refused; passed the differentiated ones only")
        fn, inputs, _ = case["make"]()
        return check_function(fn, *inputs, **kwargs), names, diff, notes


def _flagged(report, names, diff, notes):
    """The names of the rows not OK, in the gallery's names."""
    rows = list(_field(report, "rows", None) or [])
    row_names = [str(_field(row, "name")) for row in rows]
    bad = [not bool(_field(row, "ok", True)) for row in rows]
    if all(n in names for n in row_names):
        return {n for n, b in zip(row_names, bad) if b}
    diff_names = [names[i] if i < len(names) else f"input{i}" for i in diff]
    if len(rows) == len(diff_names):
        notes.append(f"rows named {row_names}: matched to {diff_names} by position")
        return {n for n, b in zip(diff_names, bad) if b}
    notes.append(f"rows named {row_names}: not matched to the inputs")
    return {n for n, b in zip(row_names, bad) if b}


def _is_float32(case):
    _, inputs, _ = case["make"]()
    return any(str(inputs[i].dtype) == "torch.float32" for i in gallery._differentiated(inputs))


def run_cases(check_function):
    tally = dict.fromkeys(("correct", "correct_ok", "bugs", "detected", "exact", "named",
                           "float32", "float32_right", "surrogates", "surrogates_flagged",
                           "crashes", "refusals"), 0)
    for case in gallery.CASES:
        kind = "surrogate" if case.get("surrogate") else ("bug" if case["bug"] else "correct")
        tally[{"surrogate": "surrogates", "bug": "bugs", "correct": "correct"}[kind]] += 1
        float32 = kind != "surrogate" and _is_float32(case)
        tally["float32"] += float32
        start = time.perf_counter()
        try:
            report, names, diff, notes = _run_check_function(check_function, case)
        except Exception as error:                               # a crash is a result here
            refusal = _is_refusal(error, case["make"]()[2].get("names") or [])
            tally["refusals" if refusal else "crashes"] += 1
            print(f"{case['name']:46s} {'REFUSED' if refusal else 'CRASH'} "
                  f"{type(error).__name__}: {_short(error)}")
            if not refusal:
                print("    " + _short(traceback.format_exc().strip().splitlines()[-3], 200))
            continue
        seconds = time.perf_counter() - start
        flagged = _flagged(report, names, diff, notes)
        ok = bool(_field(report, "ok", bool(report)))
        sentences = _sentences(_field(report, "diagnosis"))
        named = _field(report, "named")
        print(f"{case['name']:46s} {'OK' if ok else 'NOT OK':6s} {seconds:5.1f}s  "
              f"flagged {sorted(flagged)} wrong {sorted(case['wrong'])}")
        for note in notes:
            print(f"    note: {note}")
        if kind == "bug":
            print(f"    slip: {case['kind_of_slip']}: {_short(case['bug'], 130)}")
        elif kind == "surrogate":
            print(f"    surrogate: {_short(case.get('note', ''), 130)}")
        if sentences:
            print(f"    says: {_short(sentences[0])}")
        if named:
            print(f"    named: {_short(_named_text(named), 200)}")
        right = ok if kind == "correct" else not ok
        if kind == "correct":
            tally["correct_ok"] += ok
        elif kind == "bug":
            tally["detected"] += not ok
            tally["exact"] += flagged == case["wrong"]
            tally["named"] += (not ok) and bool(named)
        else:
            tally["surrogates_flagged"] += (not ok) and flagged == case["wrong"]
        tally["float32_right"] += float32 and right
    return tally


def run_models(check_model):
    tally = {"models": 0, "right": 0, "verdict_right": 0, "crashes": 0, "refusals": 0}
    for entry in gallery.MODELS:
        tally["models"] += 1
        model, inputs, loss_fn = entry["make"]()
        start = time.perf_counter()
        try:
            report = check_model(model, *inputs, loss_fn=loss_fn)
        except Exception as error:
            refusal = _is_refusal(error, [])
            tally["refusals" if refusal else "crashes"] += 1
            print(f"{entry['name']:46s} {'REFUSED' if refusal else 'CRASH'} "
                  f"{type(error).__name__}: {_short(error)}")
            if not refusal:
                print("    " + _short(traceback.format_exc().strip().splitlines()[-3], 200))
            continue
        seconds = time.perf_counter() - start
        ok = bool(_field(report, "ok", bool(report)))
        first = _field(report, "first_wrong")
        print(f"{entry['name']:46s} {'OK' if ok else 'NOT OK':6s} {seconds:5.1f}s  "
              f"first_wrong {first!r} expected {entry['first_wrong']!r}")
        modules = _field(report, "modules") or []
        verdicts = [f"{_field(m, 'name')}:{'ok' if _field(m, 'ok', True) else 'WRONG'}"
                    for m in modules]
        if verdicts:
            print(f"    modules: {_short(' '.join(verdicts), 200)}")
        sentences = _sentences(_field(report, "diagnosis"))
        if sentences:
            print(f"    says: {_short(sentences[0])}")
        tally["right"] += first == entry["first_wrong"]
        tally["verdict_right"] += ok == (entry["first_wrong"] is None)
    return tally


def _print_case_tally(t):
    print("\n== check_function on tests/gallery/torch_functions.py")
    print(f"correct OK:                  {t['correct_ok']}/{t['correct']}")
    print(f"bugs NOT OK:                 {t['detected']}/{t['bugs']}")
    print(f"exact rows flagged:          {t['exact']}/{t['bugs']}")
    print(f"named (non-empty `named`):   {t['named']}/{t['detected']} bugs NOT OK")
    print(f"float32 cases told apart:    {t['float32_right']}/{t['float32']}")
    print(f"surrogates NOT OK on x:      {t['surrogates_flagged']}/{t['surrogates']}")
    print(f"crashes:                     {t['crashes']}  (refusals: {t['refusals']})")


def _print_model_tally(t):
    print("\n== check_model on tests/gallery/torch_functions.py")
    print(f"first wrong module right:    {t['right']}/{t['models']}")
    print(f"verdict right:               {t['verdict_right']}/{t['models']}")
    print(f"crashes:                     {t['crashes']}  (refusals: {t['refusals']})")


def main(which=("cases", "models")):
    case_tally = model_tally = None
    if "cases" in which:
        check_function = _checker("check_function")
        if check_function is not None:
            print("== check_function")
            case_tally = run_cases(check_function)
    if "models" in which:
        check_model = _checker("check_model")
        if check_model is not None:
            print("\n== check_model")
            model_tally = run_models(check_model)
    if case_tally:
        _print_case_tally(case_tally)
    if model_tally:
        _print_model_tally(model_tally)


if __name__ == "__main__":
    main(tuple(sys.argv[1:]) or ("cases", "models"))
