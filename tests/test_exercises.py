"""The exercises' grader: the model answers (``tests/gallery/model_answers.py``, the teacher's,
not in the package) pass, and each typical mistake is caught and named."""

import numpy as np
import pytest

from reference.grading.exercises import EXERCISES, grade
from tests.gallery.model_answers import answer as solution


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_every_model_answer_passes_whatever_the_cases(seed):
    for name in EXERCISES:
        verdict = grade(name, solution(name), seed=seed)
        assert verdict.ok and verdict.points == verdict.max_points, verdict.text


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def adam(bias_correction=True, eps_inside=False):
    def step(param, grad, state, lr=1e-3, beta_1=0.9, beta_2=0.999, eps=1e-8):
        state.setdefault("m", np.zeros_like(param))
        state.setdefault("v", np.zeros_like(param))
        state["t"] = state.get("t", 0) + 1
        state["m"] = beta_1 * state["m"] + (1 - beta_1) * grad
        state["v"] = beta_2 * state["v"] + (1 - beta_2) * grad**2
        m_hat, v_hat = state["m"], state["v"]
        if bias_correction:
            m_hat = m_hat / (1 - beta_1 ** state["t"])
            v_hat = v_hat / (1 - beta_2 ** state["t"])
        denominator = np.sqrt(v_hat + eps) if eps_inside else np.sqrt(v_hat) + eps
        param -= lr * m_hat / denominator
    return step


def backprop_with(derivative=lambda z, h: h * (1 - h), mean=True):
    def backprop(params, X, Y):
        W0, b0, W1, b1 = params
        z = X @ W0 + b0
        h = sigmoid(z)
        p = softmax(h @ W1 + b1)
        delta = (p - Y) / (len(X) if mean else 1)
        delta_h = delta @ W1.T * derivative(z, h)
        return [X.T @ delta_h, delta_h.sum(0), h.T @ delta, delta.sum(0)]
    return backprop


MISTAKES = {
    "sigmoid_backward": [
        (lambda g, h: h * (1 - h), "multiply it by the upstream gradient"),
        (lambda g, h: g * sigmoid(h) * (1 - sigmoid(h)), "sigmoid is applied to h again"),
        (lambda g, h: g * h, "the factor (1 - h) is missing"),
    ],
    "dense_backward": [
        (lambda g, X, W: (g @ W.T, g.T @ X, g.sum(0)), "dL/dW is transposed"),
        (lambda g, X, W: (g @ W.T, X.T @ g, g), "dL/db has shape"),
        (lambda g, X, W: (g @ W.T, X.T @ g, g.mean(0)), "dL/db is averaged"),
        (lambda g, X, W: (g @ W.T, X.T @ g / len(X), g.mean(0)), "are averaged over the batch"),
    ],
    "softmax_cross_entropy": [
        (lambda z, Y: (-np.mean((Y * np.log(softmax(z))).sum(1)), (softmax(z) - Y)),
         "the gradient is summed"),
        (lambda z, Y: (-np.mean((Y * np.log(softmax(z))).sum(1)), (Y - softmax(z)) / len(z)),
         "sign is flipped"),
        (lambda z, Y: (-np.mean((Y * np.log(softmax(z))).sum(1)),
                       (softmax(z) - Y) * softmax(z) * (1 - softmax(z)) / len(z)),
         "softmax's derivative cancels"),
        (lambda z, Y: (-np.mean((Y * np.log(softmax(z))).sum(1)), (z - Y) / len(z)),
         "uses the logits"),
    ],
    "adam_step": [
        (adam(bias_correction=False), "not bias-corrected"),
        (adam(eps_inside=True), "inside the square root"),
    ],
    "backprop": [
        (backprop_with(lambda z, h: z * (1 - z)), "pre-activation z"),
        (backprop_with(lambda z, h: 1.0), "derivative is missing"),
        (backprop_with(mean=False), "summed over the batch"),
    ],
}


@pytest.mark.parametrize("name,index", [(name, i) for name, cases in MISTAKES.items()
                                        for i in range(len(cases))])
def test_each_typical_mistake_is_caught_and_named(name, index):
    fn, words = MISTAKES[name][index]
    verdict = grade(name, fn)
    assert not verdict.ok
    assert words in verdict.text, verdict.text


def test_code_that_raises_gets_a_verdict_not_a_traceback():
    def dense_backward(g, X, W):
        raise ValueError("matmul: Input operand 1 has a mismatch")

    verdict = grade("dense_backward", dense_backward)
    assert not verdict.ok and "raised ValueError: matmul" in verdict.text


# --- hostile answers are never OK ------------------------------------------------------------

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

SPOILS = ["nan", "inf", "complex", "object", "string", "none", "drop", "extra", "double",
          "zero", "transpose", "list_of_lists", "masked"]


def _spoil(value, kind):
    value = np.asarray(value, dtype=float)
    if kind == "masked":
        return np.ma.masked_array(value, mask=np.arange(value.size).reshape(value.shape) == 0)
    if kind == "nan":
        out = value.copy()
        out.flat[0] = np.nan
        return out
    return {"inf": lambda: value + np.inf, "complex": lambda: value + 1e-3j,
            "object": lambda: np.array([object()] * value.size, dtype=object),
            "string": lambda: "the answer", "none": lambda: None,
            "double": lambda: 2 * value, "zero": lambda: np.zeros_like(value),
            "transpose": lambda: value.T if value.ndim == 2 and value.shape[0] !=
            value.shape[1] else value + 1, "list_of_lists": lambda: (value + 1).tolist()}[kind]()


@settings(max_examples=60, deadline=None, derandomize=True)
@given(name=st.sampled_from([n for n in EXERCISES if n != "adam_step"]),
       kind=st.sampled_from(SPOILS), position=st.integers(0, 3), seed=st.integers(0, 5))
def test_property_a_spoiled_answer_is_never_ok(name, kind, position, seed):
    right = solution(name)

    def spoiled(*args):
        answer = right(*args)
        if name == "backprop_steps":
            grads, steps = answer
            grads = list(grads)
            k = position % len(grads)
            grads[k] = _spoil(grads[k], kind) if kind not in ("drop", "extra") else grads[k]
            if kind == "drop":
                grads = grads[:-1]
            elif kind == "extra":
                grads = [*grads, grads[0]]
            return grads, steps
        values = list(answer) if isinstance(answer, (tuple, list)) else [answer]
        k = position % len(values)
        if kind == "drop":
            values = values[:-1]
        elif kind == "extra":
            values = [*values, values[0]]
        else:
            values[k] = _spoil(values[k], kind)
        return values[0] if len(values) == 1 and not isinstance(answer, (tuple, list)) \
            else values

    verdict = grade(name, spoiled, seed=seed)
    assert not verdict.ok and verdict.points == 0, verdict.text


@settings(max_examples=30, deadline=None, derandomize=True)
@given(kind=st.sampled_from(["nan", "inf", "complex", "double", "zero", "skip", "sign"]),
       when=st.integers(1, 4))
@pytest.mark.slow  # a hypothesis property over spoiled Adam steps: 6 s
def test_property_a_spoiled_adam_is_never_ok(kind, when):
    right = solution("adam_step")

    def spoiled(param, grad, state, **kw):
        before = param.copy()
        right(param, grad, state, **kw)
        state["calls"] = state.get("calls", 0) + 1
        if state["calls"] < when:
            return None
        step = param - before
        if kind == "nan":
            param.flat[0] = np.nan
        elif kind == "inf":
            param += np.inf
        elif kind == "complex":
            return param + 1e-3j
        elif kind == "double":
            param += step
        elif kind == "zero":
            param[...] = before
        elif kind == "skip":
            param -= step / 2
        elif kind == "sign":
            param[...] = before - step
        return None

    verdict = grade("adam_step", spoiled, seed=when)
    assert not verdict.ok, verdict.text


# --- answers that are right only sometimes ----------------------------------------------------

def test_an_answer_right_only_on_some_calls_is_caught():
    calls = {"n": 0}

    def relu_backward(grad_out, x):  # the mask dropped on every second call
        calls["n"] += 1
        return grad_out * (x > 0) if calls["n"] % 2 else grad_out

    for seed in range(3):
        assert not grade("relu_backward", relu_backward, seed=seed).ok


@pytest.mark.parametrize("seed", range(40))
def test_a_backprop_in_torchs_weight_layout_never_passes(seed):
    """z = X W^T (torch's (n_out, n_in) layout) where the exercise's is z = X W."""
    def backprop(params, X, Y):
        W0, b0, W1, b1 = params
        h = sigmoid(X @ W0.T + b0)
        delta = (softmax(h @ W1.T + b1) - Y) / len(X)
        delta_h = delta @ W1 * h * (1 - h)
        return [delta_h.T @ X, delta_h.sum(0), delta.T @ h, delta.sum(0)]

    assert not grade("backprop", backprop, seed=seed).ok


@pytest.mark.slow  # checks Adam steps over many shapes: 1 s
def test_an_adam_sharing_one_state_between_parameters_of_one_shape_is_caught():
    shared: dict = {}
    right = solution("adam_step")

    def adam_step(param, grad, state, **kw):
        right(param, grad, shared.setdefault(param.shape, {}), **kw)

    for seed in range(3):
        assert not grade("adam_step", adam_step, seed=seed).ok


def test_an_adam_whose_step_count_stops_is_caught():
    def adam_step(param, grad, state, lr=1e-3, beta_1=0.9, beta_2=0.999, eps=1e-8):
        state.setdefault("m", np.zeros_like(param))
        state.setdefault("v", np.zeros_like(param))
        state["t"] = min(state.get("t", 0) + 1, 10)
        state["m"] = beta_1 * state["m"] + (1 - beta_1) * grad
        state["v"] = beta_2 * state["v"] + (1 - beta_2) * grad**2
        m_hat = state["m"] / (1 - beta_1 ** state["t"])
        v_hat = state["v"] / (1 - beta_2 ** state["t"])
        param -= lr * m_hat / (np.sqrt(v_hat) + eps)

    assert not grade("adam_step", adam_step, seed=0).ok


def test_one_value_as_a_list_of_lists_is_one_value():
    def sigmoid_backward(grad_out, out):
        return (grad_out * out * (1 - out)).tolist()

    assert grade("sigmoid_backward", sigmoid_backward).ok
