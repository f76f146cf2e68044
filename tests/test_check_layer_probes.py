"""check_layer without kind=: the known kinds recognised from the forward, the probes a
network's use of a backward makes (dout shared, the cache reused, a second call), a sentence
for every NOT OK, and the slips of one local step named only where they reproduce yours."""

import numpy as np
import pytest

from reference import check_layer

RNG = np.random.default_rng(7)


def away_from_zero(shape, rng=RNG):
    x = rng.normal(size=shape)
    return np.where(np.abs(x) < 0.1, 0.5, x)


# --- a layer of an unknown kind: softsign, written CS231n's way ----------------------------------

def softsign_forward(x):
    out = x / (1 + np.abs(x))
    return out, (x,)


def softsign_backward(dout, cache):
    (x,) = cache
    return dout / (1 + np.abs(x)) ** 2


def test_a_right_layer_of_an_unknown_kind_is_ok_with_nothing_named():
    report = check_layer(softsign_forward, softsign_backward, away_from_zero((4, 5)))
    assert report.ok, str(report)
    assert report.named == [] and report.kind is None


# --- the probes -----------------------------------------------------------------------------------

def test_a_backward_writing_into_dout_is_not_ok_and_the_row_that_is_dout_is_flagged():
    def backward(dout, cache):
        (x,) = cache
        dout /= (1 + np.abs(x)) ** 2   # the caller's dout, changed
        return dout

    x = away_from_zero((4, 5))
    report = check_layer(softsign_forward, backward, x)
    assert not report.ok, str(report)
    assert [row["ok"] for row in report.rows] == [False]
    assert report.named[0]["slip"] == "writes into dout"
    assert "writes into dout" in report.diagnosis[0]


def test_a_backward_adding_into_a_buffer_it_never_zeroes_is_not_ok():
    buffer = {}

    def backward(dout, cache):
        (x,) = cache
        grad = buffer.setdefault("dx", np.zeros_like(x))
        grad += dout / (1 + np.abs(x)) ** 2   # right on the first call only
        return grad.copy()

    report = check_layer(softsign_forward, backward, away_from_zero((3, 4)))
    assert not report.ok, str(report)
    assert report.named[0]["slip"] == "accumulates across calls"
    assert "2 times the first" in report.named[0]["text"]


def test_a_backward_consuming_its_cache_is_not_ok_a_harmless_write_is_only_said():
    def forward(x):
        s = 1 / (1 + np.exp(-x))
        return x * s, {"x": x, "s": s}

    def consumes(dout, cache):
        s = cache["s"]
        s *= 1 + cache["x"] * (1 - s)     # the derivative built in the cached s
        return dout * s

    def harmless(dout, cache):
        s, x = cache["s"], cache["x"]
        local = s * (1 + x * (1 - s))
        cache["s"][...] = s               # writes the same values back
        return dout * local

    x = away_from_zero((3, 4))
    report = check_layer(forward, consumes, x)
    assert not report.ok, str(report)
    assert report.named[0]["slip"] == "writes into its cache"
    assert "cache['s']" in report.named[0]["text"]
    assert check_layer(forward, harmless, x).ok


def test_a_backward_writing_into_its_input_through_the_cache_is_not_ok():
    def forward(x, w):
        return x @ w, (x, w)

    def backward(dout, cache):
        x, w = cache
        dw = x.T @ dout
        x *= 0                             # "frees" x: the caller's activations are gone
        return dout @ w.T, dw

    report = check_layer(forward, backward, RNG.normal(size=(4, 3)), RNG.normal(size=(3, 2)))
    assert not report.ok, str(report)
    assert any(entry["slip"] == "writes into its inputs" and entry["where"] == ["x"]
               for entry in report.named), str(report)


def test_an_empty_batch_is_a_one_line_value_error():
    with pytest.raises(ValueError, match="input x is empty") as caught:
        check_layer(softsign_forward, softsign_backward, np.zeros((0, 5)))
    assert "\n" not in str(caught.value)


# --- recognised kinds ----------------------------------------------------------------------------

@pytest.mark.parametrize("name, forward, derivative", [
    ("tanh", np.tanh, lambda x: 1 - np.tanh(x) ** 2),
    ("sigmoid", lambda x: 1 / (1 + np.exp(-x)),
     lambda x: np.exp(-x) / (1 + np.exp(-x)) ** 2),
    ("relu", lambda x: np.maximum(x, 0), lambda x: (x > 0) * 1.0),
])
def test_a_known_kind_is_recognised_from_what_its_forward_computes(name, forward, derivative):
    x = away_from_zero((4, 6))
    report = check_layer(lambda x: (forward(x), x), lambda dout, x: dout * derivative(x), x)
    assert report.ok, str(report)
    assert report.kind == name
    assert any(line.startswith(f"recognised as {name}") for line in report.reading)


def test_a_recognised_kind_names_its_classic_mistake():
    def backward(dout, x):
        return dout * (dout > 0)           # the mask from dout

    x = away_from_zero((4, 6))
    report = check_layer(lambda x: (np.maximum(x, 0), x), backward, x)
    assert not report.ok and report.kind == "relu"
    assert "the mask is taken from dout" in " ".join(report.diagnosis)


def test_a_recognised_relu_keeps_its_own_choice_at_an_exact_zero():
    # torch's ReLU passes 0 at x == 0; asked for no kind, the checker does not hold the
    # user to torch's choice there (with kind="relu" it does)
    x = away_from_zero((3, 4))
    x[0, 0] = 0.0
    forward = lambda x: (np.maximum(x, 0), x)  # noqa: E731
    backward = lambda dout, x: dout * (x >= 0)  # noqa: E731
    assert check_layer(forward, backward, x).ok
    assert not check_layer(forward, backward, x, kind="relu").ok


# --- slips of one local step, each reproducing the user's gradient --------------------------------

def _named(report):
    assert not report.ok, str(report)
    assert report.named, str(report)
    return report.named[0]


def test_a_value_used_by_several_outputs_whose_gradients_are_not_added():
    def forward(x):                        # a sliding sum of two neighbours
        return x[:, :-1] + x[:, 1:], x.shape

    def backward(dout, shape):
        dx = np.zeros(shape)
        for t in range(dout.shape[1]):
            dx[:, t:t + 2] = dout[:, t:t + 1]   # = where += belongs
        return dx

    named = _named(check_layer(forward, backward, RNG.normal(size=(3, 6))))
    assert named["slip"] == "copy_not_added" and "last output's share" in named["text"]


def test_a_product_whose_matrix_is_not_transposed_in_the_backward():
    A = RNG.normal(size=(5, 5))

    def forward(v):
        return A @ v, v

    def backward(dout, v):
        return A @ dout                    # A^T @ dout belongs

    named = _named(check_layer(forward, backward, RNG.normal(size=(5, 3))))
    assert named["slip"] == "untransposed"


def test_a_kernel_flipped_in_the_backward_of_a_correlation():
    def forward(x, w):                     # x (N, L), w (K,): a valid cross-correlation
        K = w.size
        out = np.stack([x[:, i:i + K] @ w for i in range(x.shape[1] - K + 1)], axis=1)
        return out, (x, w)

    def backward(dout, cache):
        x, w = cache
        K = w.size
        dx, dw = np.zeros_like(x), np.zeros_like(w)
        for i in range(dout.shape[1]):
            dx[:, i:i + K] += dout[:, i:i + 1] * w[::-1]   # flipped
            dw += x[:, i:i + K].T @ dout[:, i]
        return dx, dw

    report = check_layer(forward, backward, RNG.normal(size=(2, 7)), RNG.normal(size=3))
    named = _named(report)
    assert named["slip"] == "operand_reversed" and named["where"] == ["x"]
    assert [row["ok"] for row in report.rows] == [False, True]


def test_a_scale_whose_gradient_multiplies_by_the_wrong_array():
    def forward(x, gamma):                 # gamma scales the centred x
        xc = x - x.mean(axis=0)
        return gamma * xc, (x, xc, gamma)

    def backward(dout, cache):
        x, xc, gamma = cache
        dgamma = (dout * x).sum(axis=0)    # x where xc belongs
        dxc = dout * gamma
        return dxc - dxc.mean(axis=0), dgamma

    report = check_layer(forward, backward, RNG.normal(size=(4, 3)), RNG.normal(size=3))
    named = _named(report)
    assert named["slip"] == "other_operand" and named["where"] == ["gamma"]


def test_the_product_rule_with_a_term_left_out():
    def forward(x):                        # swish: x sigmoid(x)
        return x / (1 + np.exp(-x)), x

    def backward(dout, x):
        s = 1 / (1 + np.exp(-x))
        return dout * s                    # the term x s (1 - s) left out

    named = _named(check_layer(forward, backward, away_from_zero((3, 5))))
    assert named["slip"] == "product_rule" and "x g'(x) left out" in named["text"]


def test_a_wrong_gradient_no_slip_reproduces_gets_where_and_how_much_and_no_name():
    def backward(dout, cache):
        (x,) = cache
        return dout / (1 + np.abs(x)) ** 2 + 0.01 * np.sin(7 * x) * dout

    report = check_layer(softsign_forward, backward, away_from_zero((4, 5)))
    assert not report.ok
    assert report.named == []
    assert "no slip of the grammar" in report.diagnosis[0] and "worst at" in report.diagnosis[0]


def test_another_activations_derivative_copied_in():
    alpha = 0.2

    def forward(x):                        # a leaky ReLU with its own slope, not a kind
        return np.where(x > 0, x, alpha * x) + 0.1 * np.tanh(x), x

    def backward(dout, x):
        return dout * (x > 0)              # ReLU's derivative

    named = _named(check_layer(forward, backward, away_from_zero((3, 5))))
    assert named["slip"] == "other_activation" and "ReLU's derivative" in named["text"]


def test_a_normalising_statistic_held_constant():
    def forward(x):                        # x / ||x|| per row
        norm = np.sqrt((x * x).sum(axis=1, keepdims=True))
        return x / norm, (x, norm)

    def backward(dout, cache):
        x, norm = cache
        return dout / norm                 # the path through the norm left out

    named = _named(check_layer(forward, backward, away_from_zero((3, 4))))
    assert named["slip"] == "statistic_constant"


def test_a_weight_gradient_reset_inside_the_loop_over_samples():
    def forward(x, w):
        return x @ w, (x, w)

    def backward(dout, cache):
        x, w = cache
        for n in range(x.shape[0]):
            dw = np.outer(x[n], dout[n])   # = where += belongs
        return dout @ w.T, dw

    report = check_layer(forward, backward, RNG.normal(size=(4, 3)), RNG.normal(size=(3, 2)))
    named = _named(report)
    assert named["slip"] == "one_sample" and "last sample" in named["text"]
