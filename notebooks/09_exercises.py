# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 9. Exercises: write backpropagation yourself, graded in place
#
# Nine pieces, from one layer to a whole network. Replace each `return None` with your code
# (`np` is NumPy) and run the cell: `grade` checks your function on cases it draws at that
# moment (new shapes and values each time) against the reference and, when it is wrong,
# names the typical mistake it recognises. A function that returns NaN, infinity or
# complex numbers, writes into its arguments, or returns the wrong number of values is not
# right, and `grade` says which.
#
# Shapes follow the project: a batch is (n_samples, n_features), a weight matrix is
# (n_in, n_out), so a layer computes z = X W + b.

# %%
import numpy as np  # noqa: F401 - for your code

from reference.grading import grade

# %% [markdown]
# ## 1. The sigmoid's backward step
#
# Given the upstream gradient `grad_out` = dL/dh and the layer's output `out` = h =
# sigmoid(z) (both (n_samples, n_units)), return dL/dz. Read the derivative from the output:
# d sigmoid / dz = h (1 - h).

# %%
def sigmoid_backward(grad_out, out):
    # your code here
    return None


grade("sigmoid_backward", sigmoid_backward)

# %% [markdown]
# ## 2. ReLU's backward step
#
# Given `grad_out` = dL/dh and the ReLU's input `x` (both (n_samples, n_units)), return
# dL/dx. ReLU has no derivative at exactly 0; take it as 0 there, as torch does.

# %%
def relu_backward(grad_out, x):
    # your code here
    return None


grade("relu_backward", relu_backward)

# %% [markdown]
# ## 3. The dense layer's backward step
#
# For z = X W + b with X (n_samples, n_in) and W (n_in, n_out), given dL/dz = `grad_out`
# (n_samples, n_out), return (dL/dX, dL/dW, dL/db). The lecture's dS/dW = delta x^T is, for a
# batch in this layout, X^T delta, summed over the samples.

# %%
def dense_backward(grad_out, X, W):
    # your code here
    return None


grade("dense_backward", dense_backward)

# %% [markdown]
# ## 4. Softmax with cross-entropy
#
# Given the last layer's `logits` (n_samples, n_classes) and one-hot targets `Y`, return the
# loss, the mean over samples of -sum_k Y_k log p_k with p = softmax(logits), and its gradient
# with respect to the logits. (Subtract each row's maximum before exponentiating: the same p,
# and no overflow.)

# %%
def softmax_cross_entropy(logits, Y):
    # your code here
    return None


grade("softmax_cross_entropy", softmax_cross_entropy)

# %% [markdown]
# ## 5. Dropout, forward and backward
#
# Inverted dropout with `p` the probability to *drop* a unit (torch's convention) and `keep`
# the boolean mask of the units kept (True = kept, drawn for you): the forward pass returns
# x with the dropped units zeroed and the kept ones scaled by 1 / (1 - p); the backward pass
# returns dL/dx from `grad_out` = dL/d(output), through the same mask and scale.

# %%
def dropout_forward(x, keep, p):
    # your code here
    return None


def dropout_backward(grad_out, keep, p):
    # your code here
    return None


print(grade("dropout_forward", dropout_forward))
print(grade("dropout_backward", dropout_backward))

# %% [markdown]
# ## 6. One Adam step
#
# Update `param` in place from `grad` (write into it: `param -= ...` or `param[...] = ...`),
# keeping whatever you need between calls in the dict `state` (it starts empty): the first
# and second moments m and v, and the step count t. Kingma and Ba's rule: m = b1 m + (1 - b1)
# g, v = b2 v + (1 - b2) g^2, then a step of lr * m_hat / (sqrt(v_hat) + eps) with the
# bias-corrected m_hat = m / (1 - b1^t), v_hat = v / (1 - b2^t). (torch's and scikit-learn's
# Adam differ only in where eps goes; both count as right.)

# %%
def adam_step(param, grad, state, lr=1e-3, beta_1=0.9, beta_2=0.999, eps=1e-8):
    # your code here
    return None


grade("adam_step", adam_step)

# %% [markdown]
# ## 7. Backpropagation through a whole network
#
# `params` = [W0, b0, W1, b1]: one hidden layer of sigmoid units, a softmax output; X
# (n_samples, n_features), Y one-hot. Return [dW0, db0, dW1, db1] of the mean cross-entropy
# (no L2). Reuse what you wrote above.

# %%
def backprop(params, X, Y):
    # your code here
    return None


grade("backprop", backprop)

# %% [markdown]
# ## 8. The same backward pass, step by step
#
# The same network and loss, and this time hand over the intermediate gradients too, so
# that the grader can say at which step your backward pass first goes wrong (the nodes are
# named as in the lecture, layers counted from 1): return (grads, steps) with grads =
# [dW0, db0, dW1, db1] and steps = {"dz2": dL/d(scores) (n_samples, n_classes), "dh1":
# dL/dh1 (after the product with W1^T), "dz1": dL/dz1 (after the sigmoid's derivative)}.

# %%
def backprop_steps(params, X, Y):
    # your code here
    return None


grade("backprop_steps", backprop_steps)
