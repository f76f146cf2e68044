"""reference.check_layer on layers written two ways (CS231n's cache style over scratch's
layers, and the backward(dout, *inputs) style): correct ones pass with their conventions
named; planted mistakes are caught in the inputs they spoil and named; kinks follow torch's
choice; hostile backward passes and bad arguments never pass."""

import numpy as np
import pytest

from reference import assert_layer, check_layer
from scratch.layers.batchnorm import BatchNorm
from scratch.layers.conv import Conv2D, Conv2DLoop
from scratch.layers.layernorm import LayerNorm
from scratch.layers.pooling import MaxPool2D

rng = np.random.default_rng(0)


def rows(report):
    return {row["name"]: row["ok"] for row in report.rows}


# --- correct layers, cache style (CS231n's) over scratch's layers --------------------------------

def affine_forward(x, w, b):
    return x.reshape(len(x), -1) @ w + b, (x, w)


def affine_backward(dout, cache):
    x, w = cache
    return (dout @ w.T).reshape(x.shape), x.reshape(len(x), -1).T @ dout, dout.sum(0)


def relu_forward(x):
    return np.maximum(x, 0), x


def relu_backward(dout, x):
    return dout * (x > 0)


def leaky_forward(x, param):
    return np.where(x > 0, x, param["negative_slope"] * x), (x, param["negative_slope"])


def leaky_backward(dout, cache):
    x, slope = cache
    return dout * np.where(x > 0, 1.0, slope)


def sigmoid_forward(x):
    s = 1 / (1 + np.exp(-x))
    return s, s


def sigmoid_backward(dout, s):
    return dout * s * (1 - s)


def tanh_forward(x):
    t = np.tanh(x)
    return t, t


def tanh_backward(dout, t):
    return dout * (1 - t**2)


def softmax_forward(x):
    e = np.exp(x - x.max(1, keepdims=True))
    p = e / e.sum(1, keepdims=True)
    return p, p


def softmax_backward(dout, p):
    return p * (dout - (p * dout).sum(1, keepdims=True))


def softmax_loss(x, y):
    p, _ = softmax_forward(x)
    n = len(x)
    dx = p.copy()
    dx[np.arange(n), y] -= 1
    return -np.log(p[np.arange(n), y]).mean(), dx / n


def mse_loss(pred, target):  # torch's MSELoss: the mean over every element
    return ((pred - target) ** 2).mean(), (pred, target)


def mse_backward(dout, cache):
    pred, target = cache
    return dout * 2 * (pred - target) / pred.size


def dropout_forward(x, mask, p):  # torch's convention: p drops, kept units scaled
    return x * mask / (1 - p), (mask, p)


def dropout_backward(dout, cache):
    mask, p = cache
    return dout * mask / (1 - p)


def batchnorm_forward(x, gamma, beta, bn_param):
    layer = BatchNorm(x.shape[1], eps=bn_param.get("eps", 1e-5))
    layer.gamma, layer.beta = gamma, beta
    return layer.forward(x), layer


def norm_backward(dout, layer):
    return layer.backward(dout), layer.grad_gamma, layer.grad_beta


def layernorm_forward(x, gamma, beta, ln_param):
    layer = LayerNorm(x.shape[1:], eps=ln_param.get("eps", 1e-5))
    layer.gamma, layer.beta = gamma, beta
    return layer.forward(x), layer


def conv_forward(x, w, b, conv_param, loops=False):
    cls = Conv2DLoop if loops else Conv2D
    layer = cls(w, b, conv_param["stride"], conv_param["pad"])
    return layer.forward(x), layer


def conv_backward(dout, layer):
    dx = layer.backward(dout)
    return dx, layer.grad_w, layer.grad_b


def pool_forward(x, pool_param):
    layer = MaxPool2D((pool_param["pool_height"], pool_param["pool_width"]),
                      pool_param["stride"])
    return layer.forward(x), layer


def pool_backward(dout, layer):
    return layer.backward(dout)


def inputs(kind):
    """A kind's inputs, small and seeded."""
    r = np.random.default_rng(1)
    if kind == "dense":
        return r.normal(size=(4, 2, 3)), r.normal(size=(6, 5)), r.normal(size=5)
    if kind in ("relu", "sigmoid", "tanh", "softmax"):
        return (r.normal(size=(5, 4)),)
    if kind == "leaky_relu":
        return r.normal(size=(5, 4)), {"negative_slope": 0.2}
    if kind == "softmax_cross_entropy":
        return r.normal(size=(6, 4)), r.integers(0, 4, 6)
    if kind == "squared_error":
        return r.normal(size=(6, 3)), r.normal(size=(6, 3))
    if kind == "dropout":
        return r.normal(size=(6, 5)), r.random((6, 5)) > 0.3, 0.3
    if kind == "batchnorm":
        return r.normal(size=(8, 5)), r.normal(size=5), r.normal(size=5), {"mode": "train"}
    if kind == "layernorm":
        return r.normal(size=(6, 5)), r.normal(size=5), r.normal(size=5), {"eps": 1e-5}
    if kind == "conv2d":
        return (r.normal(size=(2, 3, 6, 5)), r.normal(size=(4, 3, 3, 3)), r.normal(size=4),
                {"stride": 2, "pad": 1})
    if kind == "maxpool2d":
        x = r.normal(size=(2, 3, 6, 6))
        return x, {"pool_height": 2, "pool_width": 2, "stride": 2}
    raise KeyError(kind)


CORRECT = {
    "dense": (affine_forward, affine_backward),
    "relu": (relu_forward, relu_backward),
    "leaky_relu": (leaky_forward, leaky_backward),
    "sigmoid": (sigmoid_forward, sigmoid_backward),
    "tanh": (tanh_forward, tanh_backward),
    "softmax": (softmax_forward, softmax_backward),
    "softmax_cross_entropy": (softmax_loss, lambda dout, dx: dout * dx),
    "squared_error": (mse_loss, mse_backward),
    "dropout": (dropout_forward, dropout_backward),
    "batchnorm": (batchnorm_forward, norm_backward),
    "layernorm": (layernorm_forward, norm_backward),
    "conv2d": (conv_forward, conv_backward),
    "maxpool2d": (pool_forward, pool_backward),
}


@pytest.mark.parametrize("kind", CORRECT)
def test_a_correct_layer_passes_with_its_conventions(kind):
    forward, backward = CORRECT[kind]
    report = check_layer(forward, backward, *inputs(kind), kind=kind)
    assert report.ok, str(report)
    assert report.conventions and all(row["ok"] for row in report.rows)
    assert isinstance(report.ok, bool)


@pytest.mark.parametrize("kind", CORRECT)
def test_a_correct_layer_passes_without_a_kind_too(kind):
    forward, backward = CORRECT[kind]
    report = check_layer(forward, backward, *inputs(kind),
                         **({"kind": kind} if kind in ("softmax_cross_entropy",
                                                      "squared_error") else {}))
    assert report.ok, str(report)


def test_the_plain_loop_convolution_passes_as_the_im2col_one():
    report = check_layer(lambda *a: conv_forward(*a, loops=True), conv_backward,
                         *inputs("conv2d"), kind="conv2d")
    assert report.ok and report.conventions["stride"] == "2", str(report)


def test_rows_are_named_by_the_forwards_parameters_and_non_floats_pass_through():
    report = check_layer(batchnorm_forward, norm_backward, *inputs("batchnorm"),
                         kind="batchnorm")
    assert [row["name"] for row in report.rows] == ["x", "gamma", "beta"]
    assert "bn_param passed through" in report.reading[0]


def test_a_dict_of_gradients_is_matched_by_name():
    def backward(dout, cache):
        dx, dw, db = affine_backward(dout, cache)
        return {"dw": dw, "db": db, "dx": dx}

    assert check_layer(affine_forward, backward, *inputs("dense"), kind="dense").ok


def test_the_backward_dout_inputs_style():
    x = rng.normal(size=(5, 4))
    report = check_layer(lambda x: np.tanh(x), lambda dout, x: dout * (1 - np.tanh(x) ** 2),
                         x, kind="tanh")
    assert report.ok, str(report)


def test_a_float32_layer_is_checked_at_float32s_precision():
    x, w, b = (a.astype(np.float32) for a in inputs("dense"))
    report = check_layer(affine_forward, affine_backward, x, w, b, kind="dense")
    assert report.ok and report.precision == "float32" and report.tolerance == 1e-3


# --- conventions other than torch's: ok, and said ------------------------------------------------

def test_batchnorm_with_the_unbiased_variance_in_both_passes_is_ok_and_said():
    def forward(x, gamma, beta, bn_param):
        mu, var = x.mean(0), x.var(0, ddof=1)
        std = np.sqrt(var + 1e-5)
        xhat = (x - mu) / std
        return gamma * xhat + beta, (xhat, gamma, std)

    def backward(dout, cache):
        xhat, gamma, std = cache
        n = len(dout)
        dxhat = dout * gamma
        dx = (dxhat - dxhat.mean(0) - xhat * (dxhat * xhat).sum(0) / (n - 1)) / std
        return dx, (dout * xhat).sum(0), dout.sum(0)

    report = check_layer(forward, backward, *inputs("batchnorm"), kind="batchnorm")
    assert report.ok, str(report)
    assert report.conventions["variance"].startswith("unbiased")
    assert any("another convention than torch's batchnorm" in s for s in report.diagnosis)


def test_a_true_convolution_consistent_in_both_passes_is_ok_and_said():
    def forward(x, w, b, conv_param):
        return conv_forward(x, w[:, :, ::-1, ::-1].copy(), b, conv_param)

    def backward(dout, layer):
        dx, dw, db = conv_backward(dout, layer)
        return dx, dw[:, :, ::-1, ::-1], db

    report = check_layer(forward, backward, *inputs("conv2d"), kind="conv2d")
    assert report.ok and report.conventions["operation"].startswith("a true convolution"), \
        str(report)


def test_dropout_with_p_as_the_keep_probability_is_read_so():
    x = rng.normal(size=(6, 5))
    param = {"p": 0.8, "mode": "train", "seed": 3}

    def forward(x, dropout_param):
        keep = np.random.default_rng(dropout_param["seed"]).random(x.shape) < \
            dropout_param["p"]
        mask = keep / dropout_param["p"]
        return x * mask, mask

    report = check_layer(forward, lambda dout, mask: dout * mask, x, param, kind="dropout")
    assert report.ok and "probability to keep" in report.conventions["p"], str(report)


def test_a_layernorm_over_the_batch_axis_is_not_layernorm():
    def forward(x, gamma, beta, ln_param):
        return batchnorm_forward(x, gamma, beta, ln_param)

    report = check_layer(forward, norm_backward, *inputs("layernorm"), kind="layernorm")
    assert not report.ok
    assert any("is not layernorm: it computes batch normalisation" in s
               for s in report.diagnosis), str(report)


# --- planted mistakes --------------------------------------------------------------------------

def planted(forward, backward, change):
    """backward with its result changed by ``change(result, cache)``."""
    return forward, lambda dout, cache: change(backward(dout, cache), cache, dout)


def _pool_every(dout, layer):
    x_pad_shape = layer.padded_shape
    (HH, WW), s = layer.size, layer.stride
    dx = np.zeros(x_pad_shape)
    for i in range(dout.shape[2]):
        for j in range(dout.shape[3]):
            dx[:, :, i * s:i * s + HH, j * s:j * s + WW] += dout[:, :, i:i + 1, j:j + 1]
    return dx


MISTAKES = [
    # (kind, backward (cache style unless noted), the inputs it spoils, words of the diagnosis)
    ("dense", planted(affine_forward, affine_backward,
                      lambda r, c, d: (r[0], r[1] / len(d), r[2] / len(d))), {"w", "b"},
     "averaged over the batch"),
    ("dense", planted(affine_forward, affine_backward, lambda r, c, d: (r[0], r[1],
                                                                        r[2] / len(d))),
     {"b"}, "db is averaged"),
    ("dense", planted(affine_forward, affine_backward, lambda r, c, d: (r[0], r[1], d[0])),
     {"b"}, "first sample"),
    ("relu", (relu_forward, lambda dout, x: dout * (dout > 0)), {"x"}, "taken from dout"),
    ("relu", (relu_forward, lambda dout, x: dout * (x < 0)), {"x"}, "wrong side of 0"),
    ("relu", (relu_forward, lambda dout, x: dout * np.maximum(x, 0)), {"x"},
     "multiplied by the output"),
    ("relu", (relu_forward, lambda dout, x: dout), {"x"}, "the mask is missing"),
    ("leaky_relu", (leaky_forward, lambda dout, c: dout * (c[0] > 0)), {"x"},
     "the gradient below 0 is 0"),
    ("sigmoid", (lambda x: (1 / (1 + np.exp(-x)), x),
                 lambda dout, x: dout * x * (1 - x)), {"x"}, "taken at the input x"),
    ("sigmoid", (sigmoid_forward, lambda dout, s: dout * s), {"x"}, "(1 - s) is missing"),
    ("tanh", (tanh_forward, lambda dout, t: dout * (1 - t)), {"x"}, "1 - t instead of 1 - t^2"),
    ("tanh", (tanh_forward, lambda dout, t: dout * (1 - np.tanh(t) ** 2)), {"x"},
     "applies tanh to the output again"),
    ("softmax", (softmax_forward, lambda dout, p: dout * p * (1 - p)), {"x"},
     "cut to its diagonal"),
    ("softmax_cross_entropy", (lambda x, y: (softmax_loss(x, y)[0],
                                             softmax_loss(x, y)[1] * len(x)),
                               lambda dout, dx: dx), {"x"}, "N times too large"),
    ("softmax_cross_entropy", (lambda x, y: (softmax_loss(x, y)[0],
                                             softmax_forward(x)[0] / len(x)),
                               lambda dout, dx: dx), {"x"}, "the target is not subtracted"),
    ("softmax_cross_entropy", (lambda x, y: (softmax_loss(x, y)[0], -softmax_loss(x, y)[1]),
                               lambda dout, dx: dx), {"x"}, "the sign is flipped"),
    ("squared_error", planted(mse_loss, mse_backward, lambda r, c, d: r / 2), {"pred"},
     "the gradient is that of half the mean over every element (1/(2 N K) sum (pred - y)^2), "
     "0.5 times"),
    ("dropout", planted(dropout_forward, dropout_backward, lambda r, c, d: d / (1 - c[1])),
     {"x"}, "the mask is missing in backward"),
    ("dropout", planted(dropout_forward, dropout_backward, lambda r, c, d: d * c[0]), {"x"},
     "the scale 1 / keep is missing"),
    ("dropout", planted(dropout_forward, dropout_backward,
                        lambda r, c, d: d * ~c[0] / (1 - c[1])), {"x"}, "the mask is inverted"),
    ("batchnorm", planted(batchnorm_forward, norm_backward,
                          lambda r, layer, d: (d * layer.gamma / layer.std, r[1], r[2])),
     {"x"}, "paths through the mean and the variance"),
    ("batchnorm", planted(batchnorm_forward, norm_backward,
                          lambda r, layer, d: (r[0], (d * layer.x_hat * layer.std).sum(0), r[2])),
     set(), None),  # dgamma from x - x_hat * std = x - mean: not the classic dgamma from x
    ("batchnorm", planted(batchnorm_forward, norm_backward,
                          lambda r, layer, d: (r[0], r[1] / len(d), r[2] / len(d))),
     {"gamma", "beta"}, "averaged over the batch"),
    ("batchnorm", planted(batchnorm_forward, norm_backward,
                          lambda r, layer, d: (r[0], d.sum(0), r[2])), {"gamma"},
     "without the factor x_hat"),
    ("layernorm", planted(layernorm_forward, norm_backward,
                          lambda r, layer, d: (d * layer.gamma / layer.std, r[1], r[2])),
     {"x"}, "paths through the mean and the variance"),
    ("layernorm", planted(layernorm_forward, norm_backward,
                          lambda r, layer, d: (r[0], r[1] / len(d), r[2] / len(d))),
     {"gamma", "beta"}, "averaged over the batch"),
    ("conv2d", planted(conv_forward, conv_backward,
                       lambda r, layer, d: (r[0], r[1][:, :, ::-1, ::-1], r[2])), {"w"},
     "dw is flipped"),
    ("conv2d", planted(conv_forward, conv_backward,
                       lambda r, layer, d: (r[0], r[1] / len(d), r[2] / len(d))), {"w", "b"},
     "averaged over the batch"),
    ("conv2d", planted(conv_forward, conv_backward,
                       lambda r, layer, d: (r[0], r[1], r[2] / (d.shape[2] * d.shape[3]))),
     {"b"}, "averaged over the output positions"),
    ("maxpool2d", (pool_forward, lambda dout, layer: _pool_every(dout, layer)), {"x"},
     "every element of the window"),
    ("maxpool2d", (pool_forward, lambda dout, layer: _pool_every(dout, layer) / 4), {"x"},
     "average pooling's"),
]


@pytest.mark.parametrize("kind,pair,spoilt,words", MISTAKES,
                         ids=[f"{m[0]}-{m[3] or 'unnamed'}" for m in MISTAKES])
def test_a_planted_mistake_is_caught_where_it_is_and_named(kind, pair, spoilt, words):
    forward, backward = pair
    report = check_layer(forward, backward, *inputs(kind), kind=kind)
    assert not report.ok, str(report)
    wrong = {name for name, ok in rows(report).items() if not ok}
    if words is None:  # not a catalogued mistake: caught, localised, not named
        assert wrong and not any(" is wrong: " in s or " are wrong: " in s
                                 for s in report.diagnosis), str(report)
        return
    assert wrong == spoilt, str(report)
    assert words in " ".join(report.diagnosis), str(report)


def test_thirty_mistakes_and_most_named():
    named = [m for m in MISTAKES if m[3] is not None]
    assert len(MISTAKES) >= 30 and len(named) >= 24


# --- kinks: torch's choice counts -----------------------------------------------------------------

def test_relu_at_exact_zeros_follows_torchs_choice():
    x = rng.normal(size=(5, 4))
    x[0, :2] = 0.0
    right = check_layer(relu_forward, relu_backward, x, kind="relu")
    assert right.ok and any("sit at a kink" in s for s in right.diagnosis), str(right)
    report = check_layer(relu_forward, lambda dout, x: dout * (x >= 0), x, kind="relu")
    assert not report.ok
    assert "at x == 0 it passes dout" in " ".join(report.diagnosis), str(report)


def test_a_max_pool_tie_follows_torchs_first_maximum():
    x, param = inputs("maxpool2d")
    x = x.copy()
    x[0, 0, 0, 0] = x[0, 0, 0, 1] = x[0, 0, :2, :2].max() + 1.0  # a tie in the first window
    assert check_layer(pool_forward, pool_backward, x, param, kind="maxpool2d").ok

    def last_of_ties(dout, layer):
        dx = layer.backward(dout)
        dx[0, 0, 0, 1], dx[0, 0, 0, 0] = dx[0, 0, 0, 0], 0.0
        return dx

    report = check_layer(pool_forward, last_of_ties, x, param, kind="maxpool2d")
    assert not report.ok and "the last maximum" in " ".join(report.diagnosis), str(report)


# --- never OK, and one-line errors -------------------------------------------------------------

@pytest.mark.parametrize("spoil", ["nan", "inf", "complex", "missing", "extra", "shape",
                                   "none", "transposed_w"])
def test_a_hostile_backward_is_never_ok(spoil):
    def backward(dout, cache):
        dx, dw, db = affine_backward(dout, cache)
        return {"nan": (dx * np.nan, dw, db), "inf": (dx, dw + np.inf, db),
                "complex": (dx, dw, db + 1j), "missing": (dx, dw),
                "extra": (dx, dw, db, db), "shape": (dx.reshape(len(dx), -1), dw, db),
                "none": (dx, None, db), "transposed_w": (dx, dw.T, db)}[spoil]

    report = check_layer(affine_forward, backward, *inputs("dense"), kind="dense")
    assert not report.ok and report.diagnosis, str(report)


def test_a_random_forward_is_not_ok_and_said():
    def forward(x):
        mask = np.random.default_rng().random(x.shape) > 0.5  # a new mask every call
        return x * mask * 2, mask * 2

    report = check_layer(forward, lambda dout, m: dout * m, rng.normal(size=(4, 4)),
                         kind="dropout")
    assert not report.ok and "draws something new" in " ".join(report.diagnosis)


def test_a_forward_writing_into_its_input_is_named_and_the_input_kept():
    x = rng.normal(size=(4, 3))
    kept = x.copy()

    def forward(x):
        np.maximum(x, 0, out=x)  # an in-place ReLU
        return x, x > 0

    report = check_layer(forward, lambda dout, mask: dout * mask, x, kind="relu")
    assert not report.ok and "wrote into its input x" in " ".join(report.diagnosis)
    np.testing.assert_array_equal(x, kept)


@pytest.mark.parametrize("call,error,words", [
    (lambda: check_layer("f", relu_backward, np.ones(3)), TypeError, "must be functions"),
    (lambda: check_layer(relu_forward, relu_backward, np.ones(3), kind="gelu"), ValueError,
     "kind must be one of"),
    (lambda: check_layer(relu_forward, relu_backward, np.ones(3), rtol=-1), ValueError,
     "rtol"),
    (lambda: check_layer(relu_forward, relu_backward, np.arange(3)), ValueError,
     "none of the inputs"),
    (lambda: check_layer(relu_forward, relu_backward, np.array([1.0, np.nan])), ValueError,
     "input x cannot be checked"),
    (lambda: check_layer(lambda x: 1 / 0, relu_backward, np.ones(3)), ValueError,
     "forward raised ZeroDivisionError"),
    (lambda: check_layer(affine_forward, affine_backward, *inputs("dense")[:1], kind="dense"),
     ValueError, "forward raised TypeError"),
])
def test_bad_arguments_are_one_line_errors(call, error, words):
    with pytest.raises(error, match=words) as info:
        call()
    assert "\n" not in str(info.value)


def test_assert_layer_raises_with_the_report():
    with pytest.raises(AssertionError, match="NOT OK"):
        assert_layer(relu_forward, lambda dout, x: dout, rng.normal(size=(3, 3)), kind="relu")


@pytest.mark.parametrize("offset", [0.0, 1e4, 1e6, 1e8])
def test_a_large_constant_offset_never_hides_a_wrong_gradient(offset):
    """Finite differences of a forward with large outputs are noisy: the checker either
    resolves the gradient (a larger step) or says it could not; a wrong one never passes."""
    rng = np.random.default_rng(0)
    x, w = rng.normal(size=(6, 5)), rng.normal(size=(5, 4))
    b = rng.normal(size=4) + offset

    def forward(x, w, b):
        return x @ w + b, (x, w)

    def right(dout, cache):
        x, w = cache
        return dout @ w.T, x.T @ dout, dout.sum(0)

    def wrong(dout, cache):
        x, w = cache
        dx = dout @ w.T
        dx[0] *= 1.1
        return dx, x.T @ dout * 1.001, dout.sum(0)

    assert not check_layer(forward, wrong, x, w, b).ok
    report = check_layer(forward, right, x, w, b)
    assert report.ok or "could not be checked" in " ".join(report.diagnosis)
    if offset <= 1e4:
        assert report.ok, str(report)
    if not report.ok:  # kind= checks against torch's operation instead, and can
        assert check_layer(forward, right, x, w, b, kind="dense").ok
