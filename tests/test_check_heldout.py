"""check_backprop and check_optimizer on galleries written blind to them, by other hands, in
styles their author had not been shown (tests/gallery/): five public styles of whole
networks (deeplearning.ai's columns with caches, "Neural Networks from Scratch" objects, a
leaky-ReLU regressor with weight decay, float32 with label smoothing, torch tensors with a
hand-written backward handing over intermediates) and an optimizer's slips. The figures
held here are those docs/checking.md reports (``python -m tests.gallery.run_heldout``,
``python -m tests.gallery.run_heldout_layers optimizers``): every correct one OK, every
mistake NOT OK in exactly its arrays and named, the first wrong node right."""

import importlib
import warnings

import numpy as np
import pytest

from reference import check_backprop, check_optimizer
from tests.gallery import optimizer_slips
from tests.gallery.run_heldout import MODULES, run_case
from tests.gallery.run_heldout_layers import _adapt_optimizer_kwargs

CASES = {f"{name}:{case['name']}": case for name in MODULES
         for case in importlib.import_module(f"tests.gallery.{name}").CASES}
ACCEPTED = set(__import__("inspect").signature(check_backprop).parameters)


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_held_out_network_gets_its_verdict_its_arrays_and_its_name(name):
    case = CASES[name]
    r = run_case(case, check_backprop, ACCEPTED)
    assert not r["dropped"], r["dropped"]
    if case["bug"] is None:
        assert r["ok"], r["diagnosis"]
        return
    assert not r["ok"]
    assert r["flagged"] == set(case["wrong"]), (r["flagged"], r["diagnosis"])
    assert r["named"], r["diagnosis"]
    if case.get("first_wrong_node") is not None:
        assert r["first_node"] == case["first_wrong_node"], r["diagnosis"]


@pytest.mark.parametrize("case", optimizer_slips.CASES, ids=lambda c: c["name"])
def test_a_held_out_optimizer_step_gets_its_verdict_and_its_name(case):
    factory, kwargs = case["make"]()
    kwargs, notes = _adapt_optimizer_kwargs(kwargs)
    assert not notes, notes
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        report = check_optimizer(factory(), **kwargs)
    if case["bug"] is None:
        assert report.ok, str(report)
    else:
        assert not report.ok and report.named, str(report)
