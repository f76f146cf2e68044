# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 8. Exercises: write backpropagation yourself, graded in place
#
# Five pieces, from one layer to a whole network. Replace each `return None` with your code
# (`np` is NumPy) and run the cell: `grade` checks your function on random inputs against
# the reference (the project's own `scratch/` code) and, when it is wrong, names the typical
# mistake it recognises.
# The answers are in `scratch/` (`activations.py`, `dense.py`, `losses.py`, `adam.py`,
# `network.py`), and in `reference.grading.exercises.solution(name)`, if you want to compare after.
#
# Shapes follow the project: a batch is (n_samples, n_features), a weight matrix is
# (n_in, n_out), so a layer computes z = X W + b.

# %%
import numpy as np  # noqa: F401 - for your code

from reference.grading.exercises import grade

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
# ## 2. The dense layer's backward step
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
# ## 3. Softmax with cross-entropy
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
# ## 4. One Adam step
#
# Update `param` in place from `grad`, keeping whatever you need between calls in the dict
# `state` (it starts empty): the first and second moments m and v, and the step count t.
# Kingma and Ba's rule: m = b1 m + (1 - b1) g, v = b2 v + (1 - b2) g^2, then a step of
# lr * m_hat / (sqrt(v_hat) + eps) with the bias-corrected m_hat = m / (1 - b1^t),
# v_hat = v / (1 - b2^t). (torch's and scikit-learn's Adam differ only in where eps goes; both
# count as right.)

# %%
def adam_step(param, grad, state, lr=1e-3, beta_1=0.9, beta_2=0.999, eps=1e-8):
    # your code here
    return None


grade("adam_step", adam_step)

# %% [markdown]
# ## 5. Backpropagation through a whole network
#
# `params` = [W0, b0, W1, b1]: one hidden layer of sigmoid units, a softmax output; X
# (n_samples, n_features), Y one-hot. Return [dW0, db0, dW1, db1] of the mean cross-entropy
# (no L2). Reuse what you wrote above.

# %%
def backprop(params, X, Y):
    # your code here
    return None


grade("backprop", backprop)
