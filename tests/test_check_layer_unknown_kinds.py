"""check_layer on two galleries of layers of kinds it is not told about, written by other
hands blind to the checker (tests/gallery/unusual_layers.py: ELU, GELU, overlapping average
pooling, embedding, group norm, Huber loss, 1-d convolution, attention;
tests/gallery/more_layers.py: SiLU, PReLU, RMSNorm, 1-d max pooling, depthwise
convolution, a bilinear layer, cosine similarity, GLU, a hinge loss, a masked mean, an
embedding). Every correct layer is OK; every mistake, the hostile ones (writes into dout or
the cache, a buffer kept across calls) included, is NOT OK in exactly the inputs it spoils,
with a sentence; a name is given only where a slip reproduces the gradient, and the share
named is held at what was measured (``python -m tests.gallery.run_heldout_layers layers``,
``python -m tests.gallery.run_more_layers``)."""

import warnings

import pytest

from reference import check_layer
from tests.gallery import more_layers, unusual_layers

CASES = {f"unusual:{c['name']}": c for c in unusual_layers.CASES}
CASES |= {f"more:{c['name']}": c for c in more_layers.CASES}
HOSTILE = {"unusual:elu_in_place", "unusual:embedding_accumulates",
           "unusual:attention_reuses_p"} | {
    f"more:{c['name']}" for c in more_layers.CASES if c["kind_of_slip"].startswith("hostile")}


def run(name):
    forward, backward, inputs, kwargs = CASES[name]["make"]()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return check_layer(forward, backward, *inputs, **kwargs)


@pytest.fixture(scope="module")
def reports():
    return {name: run(name) for name in CASES}


@pytest.mark.slow  # checks every layer of two galleries: 6 s
def test_every_correct_layer_is_ok(reports):
    for name, case in CASES.items():
        if case["bug"] is None:
            assert reports[name].ok, f"{name}\n{reports[name]}"


def test_every_mistake_is_not_ok_in_exactly_its_inputs_with_a_sentence(reports):
    for name, case in CASES.items():
        if case["bug"] is None:
            continue
        report = reports[name]
        assert not report.ok, f"{name}\n{report}"
        assert {r["name"] for r in report.rows if not r["ok"]} == set(case["wrong"]), \
            f"{name}\n{report}"
        assert report.diagnosis, f"{name}\n{report}"


def test_the_hostile_ones_are_named_by_the_probes(reports):
    probes = {"writes into dout", "writes into its cache", "accumulates across calls"}
    for name in HOSTILE:
        assert {entry["slip"] for entry in reports[name].named} & probes, reports[name]


@pytest.mark.parametrize("gallery, floor", [("unusual", 12), ("more", 13)])
def test_the_share_named_holds(reports, gallery, floor):
    ordinary = [name for name, case in CASES.items() if name.startswith(gallery + ":")
                and case["bug"] is not None and name not in HOSTILE]
    named = [name for name in ordinary if reports[name].named]
    assert len(named) >= floor, sorted(set(ordinary) - set(named))
