"""The grader on answers written blind by someone else (``tests/gallery/student_answers.py``,
written without reading the grader): every right answer gets full marks whatever the seed,
every wrong one gets 0 on every seed (never a false OK), and most wrong ones are named.

One disagreement with the gallery is deliberate: its author took Kingma and Ba's Algorithm 1
as the only right Adam, and marked their "more efficient" form (the step size lr sqrt(1 -
b2^t) / (1 - b1^t) with epsilon added to sqrt(v)) wrong; the exercise says both torch's and
scikit-learn's Adam count as right, and that form is scikit-learn's ``AdamOptimizer``.
"""

import re

import pytest

from reference.grading.exercises import POINTS, grade
from tests.gallery.student_answers import ANSWERS, LOOPS_FOREVER, RAISES

SKLEARN_FORM = {"adam_kingma_unscaled_eps": "scikit-learn's AdamOptimizer"}
RUNNABLE = [a for a in ANSWERS if a["name"] not in LOOPS_FOREVER]
SEEDS = (0, 1, 2)


def _function(answer: dict):
    namespace: dict = {}
    exec(compile(answer["source"], answer["name"], "exec"), namespace)
    return namespace[answer["exercise"]]


def test_the_gallery_is_large_and_mixed():
    assert len(ANSWERS) >= 30
    assert sum(a["right"] for a in ANSWERS) >= 20 and sum(not a["right"] for a in ANSWERS) >= 40
    assert len({a["exercise"] for a in ANSWERS}) == 9


@pytest.mark.parametrize("answer", RUNNABLE, ids=[a["name"] for a in RUNNABLE])
def test_each_answer_gets_its_verdict_on_every_seed(answer):
    fn = _function(answer)
    right = answer["right"] or answer["name"] in SKLEARN_FORM
    for seed in SEEDS:
        verdict = grade(answer["exercise"], fn, seed=seed)
        assert verdict.ok is right, (seed, verdict.text)
        assert verdict.points == (POINTS if right else 0.0), verdict.text
        assert verdict.text.startswith(answer["exercise"] + ": ")
        if answer["name"] in SKLEARN_FORM:
            assert SKLEARN_FORM[answer["name"]] in verdict.text


def _verdict(answer: dict) -> str:
    return grade(answer["exercise"], _function(answer), seed=0).text


def test_most_wrong_answers_are_named_not_only_measured():
    """A named verdict says what is wrong; "off by 3e-01 (relative)" only that it is."""
    wrong = [a for a in RUNNABLE if not a["right"] and a["name"] not in SKLEARN_FORM]
    unnamed = [a["name"] for a in wrong if re.search(r"off by \S+ \(relative\)", _verdict(a))]
    assert len(unnamed) <= 0.2 * len(wrong), unnamed


def test_hostile_answers_are_never_ok_and_say_why():
    texts = {a["name"]: _verdict(a) for a in RUNNABLE}
    for name, words in {"sigmoid_complex_cast": "complex", "relu_nan_at_zero": "NaN",
                        "relu_object_array": "object", "softmax_loss_string": "not numbers",
                        "dropout_bwd_divides_by_mask": "infinity",
                        "sigmoid_inplace_grad_out": "writes into its argument grad_out",
                        "dense_returns_two": "returns 2 values, 3 expected",
                        "adam_rebinds_param": "rebound", "relu_stub_none": "not attempted",
                        "dropout_bwd_not_implemented": "not attempted"}.items():
        assert words in texts[name], texts[name]


def test_answers_that_raise_get_a_verdict_not_a_traceback():
    for answer in (a for a in RUNNABLE if a["name"] in RAISES):
        verdict = grade(answer["exercise"], _function(answer), seed=0)
        assert not verdict.ok and verdict.points == 0
        assert "raise" in verdict.text
