# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 8. After the three generations: normalisation and convolution, checked layer by layer
#
# The lecture's story ends with ReLU (2010) and dropout (2012). What came next made deep
# networks train reliably: batch normalisation (Ioffe and Szegedy, 2015) and layer
# normalisation (Ba, Kiros and Hinton, 2016). And one layer was there all along, in the second
# generation: the convolution of LeCun et al.'s 1989 network for handwritten zip codes. Each
# is a small graph of the lecture's gates, so its backward pass follows from the rules we
# know: multiply swaps, add distributes, copy adds (the copy gate is where a value used twice
# collects its gradients), max routes. `scratch/layers/` holds them, forward and backward
# side by side (`batchnorm.py`, `layernorm.py`, `conv.py`, `pooling.py`), each equal to
# torch's to round-off. And `reference.check_layer` checks any such layer, yours included,
# one function at a time.

# %%
import numpy as np

from reference import check_layer
from scratch.layers.batchnorm import BatchNorm
from scratch.layers.conv import Conv2D
from scratch.layers.layernorm import LayerNorm
from scratch.layers.pooling import MaxPool2D

rng = np.random.default_rng(0)

# %% [markdown]
# ## Batch normalisation as a graph of gates
#
# For one feature over a batch of N values: mean = sum(x) / N (an add gate, scaled),
# var = sum((x - mean)^2) / N, x_hat = (x - mean) / sqrt(var + eps), y = gamma x_hat + beta.
# x reaches y along three paths: directly through x_hat, through the mean, and through the
# variance. Backward, the copy gate adds the three: with dx_hat = gamma dy,
#
#     dx = (1 / (N std)) (N dx_hat - sum(dx_hat) - x_hat sum(dx_hat x_hat))
#
# The middle term is the path through the mean, the last one the path through the variance.
# Here is the layer in the form CS231n's assignment asks for (a forward returning a cache,
# a backward reading it), built on scratch's `BatchNorm`:

# %%
def batchnorm_forward(x, gamma, beta, bn_param):
    layer = BatchNorm(x.shape[1], eps=bn_param.get("eps", 1e-5))
    layer.gamma, layer.beta = gamma, beta
    return layer.forward(x), layer


def batchnorm_backward(dout, layer):
    dx = layer.backward(dout)
    return dx, layer.grad_gamma, layer.grad_beta


x = rng.normal(size=(8, 5)) * 2 + 1
gamma, beta = rng.normal(size=5), rng.normal(size=5)
print(check_layer(batchnorm_forward, batchnorm_backward, x, gamma, beta, {"mode": "train"},
                  kind="batchnorm"))

# %% [markdown]
# The checker found the conventions by comparing outputs (the biased variance, eps inside
# the square root: torch's), computed torch's own `batch_norm` in float64 on the same
# inputs, and compared each gradient with it and with finite differences of our own
# forward. Now the classic mistake: treating the mean and the variance as constants, as if
# they did not depend on x. The two extra paths vanish, and dx becomes gamma dy / std:

# %%
def batchnorm_backward_without_paths(dout, layer):
    dx = dout * layer.gamma / layer.std  # only the direct path
    return dx, (dout * layer.x_hat).sum(0), dout.sum(0)


report = check_layer(batchnorm_forward, batchnorm_backward_without_paths, x, gamma, beta,
                     {"mode": "train"}, kind="batchnorm")
print(report.ok)
print(report.diagnosis[-1])

# %% [markdown]
# ## Layer normalisation: the same graph, the other axis
#
# Layer normalisation computes the same statistics over each sample's own features instead
# of over the batch, so it needs no running averages and behaves the same in training and
# prediction. The backward pass is batch norm's with the axes exchanged. A "layer norm" that
# normalises over the wrong axis is batch norm, and the checker says so:

# %%
def layernorm_forward(x, gamma, beta, ln_param):
    layer = LayerNorm(x.shape[1:], eps=ln_param.get("eps", 1e-5))
    layer.gamma, layer.beta = gamma, beta
    return layer.forward(x), layer


x = rng.normal(size=(6, 5))
print(check_layer(layernorm_forward, batchnorm_backward, x, gamma, beta, {},
                  kind="layernorm").ok)
wrong_axis = check_layer(batchnorm_forward, batchnorm_backward, x, gamma, beta, {},
                         kind="layernorm")
print(wrong_axis.ok)
print(wrong_axis.diagnosis[0])

# %% [markdown]
# ## Convolution: multiply and add gates, shared weights
#
# Frameworks' "convolution" is a cross-correlation: each filter slides over the input and
# takes a dot product with the patch under it, out[i, j] = b + sum_{p, q} x[i s + p, j s + q]
# w[p, q]. Every output is a sum of products (multiply gates feeding an add gate), and each
# weight is used at every position (a copy gate), so backward: dw adds x's patches weighted
# by dout (the copy gate adds), db adds dout, and each input element collects dout times the
# weight it met, from every patch it sits in: dx is a full correlation of dout with the
# flipped kernel. `scratch/layers/conv.py` has the loops to read and an im2col version to
# run; they are equal, and equal to torch's `conv2d`:

# %%
def conv_forward(x, w, b, conv_param):
    layer = Conv2D(w, b, conv_param["stride"], conv_param["pad"])
    return layer.forward(x), layer


def conv_backward(dout, layer):
    dx = layer.backward(dout)
    return dx, layer.grad_w, layer.grad_b


x = rng.normal(size=(2, 3, 7, 7))
w, b = rng.normal(size=(4, 3, 3, 3)), rng.normal(size=4)
conv_param = {"stride": 2, "pad": 1}
print(check_layer(conv_forward, conv_backward, x, w, b, conv_param, kind="conv2d"))

# %% [markdown]
# A classic slip: computing dw as a true convolution's gradient, the kernel flipped, in a
# layer whose forward does not flip it. The checker names it, and shows where dw is worst:

# %%
def conv_backward_flipped_dw(dout, layer):
    dx, dw, db = conv_backward(dout, layer)
    return dx, dw[:, :, ::-1, ::-1], db


report = check_layer(conv_forward, conv_backward_flipped_dw, x, w, b, conv_param,
                     kind="conv2d")
for row in report.rows:
    print(f"{row['name']}: {'ok' if row['ok'] else 'WRONG'}")
print(report.diagnosis[-1])

# %% [markdown]
# ## Max pooling: the max gate on windows
#
# Max pooling passes on each window's largest value; backward, the max gate routes the whole
# upstream gradient to that one position. Where a window holds its maximum twice the
# derivative is not defined (a kink); torch gives the gradient to the first maximum, and so
# does scratch. Sending it to every element of the window instead is a common slip:

# %%
def pool_forward(x, pool_param):
    layer = MaxPool2D(pool_param["pool_height"], pool_param["stride"])
    return layer.forward(x), layer


def pool_backward_to_every_element(dout, layer):
    dx = np.zeros(layer.padded_shape)
    for i in range(dout.shape[2]):
        for j in range(dout.shape[3]):
            dx[:, :, 2 * i:2 * i + 2, 2 * j:2 * j + 2] += dout[:, :, i:i + 1, j:j + 1]
    return dx


x = rng.normal(size=(2, 2, 6, 6))
pool_param = {"pool_height": 2, "pool_width": 2, "stride": 2}
print(check_layer(pool_forward, lambda dout, layer: layer.backward(dout), x, pool_param,
                  kind="maxpool2d").ok)
print(check_layer(pool_forward, pool_backward_to_every_element, x, pool_param,
                  kind="maxpool2d").diagnosis[-1])

# %% [markdown]
# Each layer here is a handful of the lecture's gates, and each backward pass follows from
# them step by step. `docs/checking.md` shows `check_layer` on a CS231n-style batchnorm and
# conv layer, and the exercises (notebook 9) ask you to write some of these yourself.
