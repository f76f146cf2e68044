"""scratch's batch norm, layer norm, convolution and max pooling equal torch's forward and
backward to round-off (1e-10) in float64, over random shapes, strides and paddings; the
loop and im2col versions equal each other; ties go to the first maximum, as torch's."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from scratch.layers.batchnorm import BatchNorm
from scratch.layers.conv import Conv2D, Conv2DLoop
from scratch.layers.layernorm import LayerNorm
from scratch.layers.pooling import MaxPool2D, MaxPool2DLoop

TOL = 1e-10


def close(a, b):
    np.testing.assert_allclose(a, b, rtol=TOL, atol=TOL * max(1.0, np.abs(b).max()))


def grads(out, dout, *tensors):
    out.backward(torch.tensor(dout))
    return [t.grad.numpy() for t in tensors]


@settings(max_examples=30, deadline=None, derandomize=True)
@given(n=st.integers(2, 8), shape=st.sampled_from([(5,), (3, 4, 4), (2, 3, 5)]),
       eps=st.sampled_from([1e-5, 1e-3]), seed=st.integers(0, 10**6))
def test_property_batchnorm_equals_torch(n, shape, eps, seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, *shape)) * 3 + 1
    C = shape[0]
    gamma, beta, dout = rng.normal(size=C), rng.normal(size=C), rng.normal(size=x.shape)
    layer = BatchNorm(C, eps=eps)
    layer.gamma, layer.beta = gamma.copy(), beta.copy()
    y = layer.forward(x)
    dx = layer.backward(dout)
    xt, gt, bt = (torch.tensor(a, requires_grad=True) for a in (x, gamma, beta))
    rm, rv = torch.zeros(C, dtype=torch.float64), torch.ones(C, dtype=torch.float64)
    yt = F.batch_norm(xt, rm, rv, gt, bt, training=True, momentum=0.1, eps=eps)
    close(y, yt.detach().numpy())
    for mine, theirs in zip((dx, layer.grad_gamma, layer.grad_beta), grads(yt, dout, xt, gt,
                                                                           bt)):
        close(mine, theirs)
    close(layer.running_mean, rm.numpy())
    close(layer.running_var, rv.numpy())  # the unbiased batch variance, torch's momentum
    close(layer.forward(x, training=False),
          F.batch_norm(torch.tensor(x), rm, rv, torch.tensor(gamma), torch.tensor(beta),
                       training=False, eps=eps).numpy())


def test_batchnorm_keeps_cs231ns_momentum_convention_when_asked():
    x = np.random.default_rng(0).normal(size=(6, 3))
    torch_like, kept = BatchNorm(3, momentum=0.1), BatchNorm(3, momentum=0.9,
                                                             momentum_convention="keep")
    torch_like.forward(x)
    kept.forward(x)
    close(kept.running_mean, torch_like.running_mean)  # 0.9 old + 0.1 new, both ways
    with pytest.raises(ValueError, match="momentum_convention"):
        BatchNorm(3, momentum_convention="keras")


@settings(max_examples=30, deadline=None, derandomize=True)
@given(n=st.integers(1, 6), shape=st.sampled_from([(5,), (3, 4), (2, 3, 4)]),
       seed=st.integers(0, 10**6))
def test_property_layernorm_equals_torch(n, shape, seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, *shape)) * 2 - 1
    gamma, beta, dout = rng.normal(size=shape), rng.normal(size=shape), rng.normal(size=x.shape)
    layer = LayerNorm(shape)
    layer.gamma, layer.beta = gamma.copy(), beta.copy()
    y = layer.forward(x)
    dx = layer.backward(dout)
    xt, gt, bt = (torch.tensor(a, requires_grad=True) for a in (x, gamma, beta))
    yt = F.layer_norm(xt, shape, gt, bt, 1e-5)
    close(y, yt.detach().numpy())
    for mine, theirs in zip((dx, layer.grad_gamma, layer.grad_beta), grads(yt, dout, xt, gt,
                                                                           bt)):
        close(mine, theirs)


@settings(max_examples=40, deadline=None, derandomize=True)
@given(N=st.integers(1, 3), C=st.integers(1, 3), H=st.integers(3, 8), W=st.integers(3, 8),
       Fn=st.integers(1, 4), HH=st.integers(1, 4), WW=st.integers(1, 4),
       stride=st.integers(1, 3), pad=st.integers(0, 2), seed=st.integers(0, 10**6))
def test_property_convolution_equals_torch_and_the_loops_equal_im2col(N, C, H, W, Fn, HH, WW,
                                                                      stride, pad, seed):
    assume(H + 2 * pad >= HH and W + 2 * pad >= WW)
    rng = np.random.default_rng(seed)
    x, w, b = rng.normal(size=(N, C, H, W)), rng.normal(size=(Fn, C, HH, WW)), \
        rng.normal(size=Fn)
    xt, wt, bt = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    yt = F.conv2d(xt, wt, bt, stride=stride, padding=pad)
    dout = rng.normal(size=tuple(yt.shape))
    theirs = grads(yt, dout, xt, wt, bt)
    for cls in (Conv2D, Conv2DLoop):
        layer = cls(w, b, stride, pad)
        close(layer.forward(x), yt.detach().numpy())
        for mine, ref in zip((layer.backward(dout), layer.grad_w, layer.grad_b), theirs):
            close(mine, ref)


@settings(max_examples=40, deadline=None, derandomize=True)
@given(N=st.integers(1, 3), C=st.integers(1, 3), H=st.integers(2, 8), W=st.integers(2, 8),
       k=st.integers(1, 3), stride=st.integers(1, 3), pad=st.integers(0, 1),
       ties=st.booleans(), seed=st.integers(0, 10**6))
def test_property_max_pooling_equals_torch_ties_included(N, C, H, W, k, stride, pad, ties,
                                                         seed):
    assume(pad <= k // 2 and H + 2 * pad >= k and W + 2 * pad >= k)
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(N, C, H, W))
    if ties:
        x = np.round(x)  # many windows hold their maximum twice
    xt = torch.tensor(x, requires_grad=True)
    yt = F.max_pool2d(xt, k, stride, pad)
    dout = rng.normal(size=tuple(yt.shape))
    (theirs,) = grads(yt, dout, xt)
    for cls in (MaxPool2D, MaxPool2DLoop):
        layer = cls(k, stride, pad)
        close(layer.forward(x), yt.detach().numpy())
        close(layer.backward(dout), theirs)


def test_a_kernel_that_does_not_fit_is_a_clear_error():
    with pytest.raises(ValueError, match="does not fit"):
        Conv2D(np.ones((1, 1, 5, 5)), np.zeros(1)).forward(np.ones((1, 1, 3, 3)))


@settings(max_examples=25, deadline=None, derandomize=True)
@given(N=st.integers(1, 2), C=st.integers(1, 2), H=st.integers(3, 6), W=st.integers(3, 6),
       Fn=st.integers(1, 3), k=st.integers(1, 3), stride=st.integers(1, 2),
       pad=st.integers(0, 1), seed=st.integers(0, 10**6))
def test_property_check_layers_reference_is_torchs_on_any_geometry(N, C, H, W, Fn, k, stride,
                                                                  pad, seed):
    """check_layer's reference for conv2d and maxpool2d (torch's own operation) agrees with
    scratch's layers to 1e-10 on every geometry, so a right layer is always OK."""
    from reference import check_layer

    assume(H + 2 * pad >= k and W + 2 * pad >= k)
    rng = np.random.default_rng(seed)
    x, w, b = rng.normal(size=(N, C, H, W)), rng.normal(size=(Fn, C, k, k)), rng.normal(size=Fn)

    def conv_forward(x, w, b, conv_param):
        layer = Conv2D(w, b, conv_param["stride"], conv_param["pad"])
        return layer.forward(x), layer

    def conv_backward(dout, layer):
        return layer.backward(dout), layer.grad_w, layer.grad_b

    report = check_layer(conv_forward, conv_backward, x, w, b,
                         {"stride": stride, "pad": pad}, kind="conv2d")
    assert report.ok and max(r["rel_error"] for r in report.rows) <= TOL, str(report)
    assume(pad == 0 and H >= k and W >= k)

    def pool_forward(x, pool_param):
        layer = MaxPool2D(pool_param["pool_height"], pool_param["stride"])
        return layer.forward(x), layer

    report = check_layer(pool_forward, lambda dout, layer: layer.backward(dout), x,
                         {"pool_height": k, "pool_width": k, "stride": stride},
                         kind="maxpool2d")
    assert report.ok and report.rows[0]["rel_error"] <= TOL, str(report)
