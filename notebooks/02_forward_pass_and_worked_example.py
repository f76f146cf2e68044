# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 2. The forward pass, and backpropagation by hand
#
# A multilayer perceptron passes its input forward, layer by layer, with no cycles: each
# layer multiplies what it receives by a weight matrix and bends the result with an
# activation. The lecture's example is the smallest one that shows every idea: four inputs,
# two hidden units, one score,
#
#     z = W x        (W is 2 x 4)
#     h = sigmoid(z)
#     s = u^T h = u1 h1 + u2 h2
#
# The numbers below are small integers, chosen so that you can redo every step with a pencil.

# %%
import numpy as np
import torch

from comparisons.report.lecture import worked_example_check
from comparisons.report.lecture_figures import CAPTIONS, worked_example
from comparisons.report.plotting import show
from scratch.lecture.worked_example import LECTURE, sigmoid

W = np.array(LECTURE["W"], dtype=float)
x = np.array(LECTURE["x"], dtype=float)
u = np.array(LECTURE["u"], dtype=float)
print("W =\n", W)
print("x =", x, "  u =", u)

# %% [markdown]
# ## Forward
#
# `z1 = 1*1 + 1*0 + 0*2 + 1*(-1) = 0` and `z2 = 0*1 + 2*0 + 1*2 + 0*(-1) = 2`. Then
# `h1 = sigmoid(0) = 1/2` exactly and `h2 = sigmoid(2) = 1 / (1 + e^-2) = 0.8808`, and the
# score `s = 3 * 0.5 + (-2) * 0.8808 = -0.2616`.

# %%
z = W @ x
h = sigmoid(z)
s = u @ h
print("z =", z, "  h =", h.round(4), "  s =", round(s, 4))

# %% [markdown]
# ## Backward, node by node
#
# Backpropagation walks the same graph from right to left. Every node receives an
# **upstream** gradient, ds/d(its output), multiplies it by its **local** gradient,
# d(its output)/d(its input), and hands the product on as the **downstream** gradient:
#
#     downstream = local x upstream          (the chain rule, one node at a time)
#
# 1. At the top, ds/ds = 1.
# 2. `s = u1 h1 + u2 h2` is a multiply gate for each pair: it hands each input the *other*
#    one. So ds/du = h = (0.5, 0.8808) and ds/dh = u = (3, -2).
# 3. `h = sigmoid(z)`: the local gradient is the sigmoid's derivative, read from its output,
#    `h (1 - h)` = (0.5 * 0.5, 0.8808 * 0.1192) = (0.25, 0.1050). Downstream:
#    `delta = (0.25 * 3, 0.1050 * (-2)) = (0.75, -0.2100)`. This is the lecture's delta,
#    the error signal from above.
# 4. `z = W x`: z_i depends on W_ij through x_j alone, so ds/dW_ij = delta_i x_j: the local
#    gradient is x. As a matrix, ds/dW = delta x^T, a 2 x 1 column times a 1 x 4 row.

# %%
ds_dh = u * 1.0                      # multiply swaps: h's gradient is u
local = h * (1 - h)                  # sigmoid'(z), read from the output
delta = local * ds_dh                # downstream = local x upstream
ds_dW = np.outer(delta, x)           # dS/dW = delta x^T
ds_dx = W.T @ delta                  # each x_j feeds both z1 and z2: the two gradients add
print("local =", local.round(4), "  delta =", delta.round(4))
print("ds/dW = delta x^T =\n", ds_dW.round(4) + 0.0)  # + 0.0: no "-0." for a zero
print("ds/dx = W^T delta =", ds_dx.round(4))

# %% [markdown]
# Every node of the graph, with the arithmetic written out (`scratch/lecture/worked_example.py`
# builds this table; the report prints the same one):

# %%
result = worked_example_check()
for row in result["nodes"]:
    print(f"{row['node']:<20} value {row['value']:>8}   {row['rule']}")

# %%
show(worked_example(result), CAPTIONS["worked_example"])

# %% [markdown]
# ## The same numbers from torch autograd
#
# torch records the forward pass and runs the backward pass for us. `retain_grad` keeps the
# gradients of the intermediate nodes, so that delta can be compared too.

# %%
W_t = torch.tensor(W, requires_grad=True)
x_t = torch.tensor(x, requires_grad=True)
u_t = torch.tensor(u, requires_grad=True)
z_t = W_t @ x_t
z_t.retain_grad()
s_t = u_t @ torch.sigmoid(z_t)
s_t.backward()
print(f"{'':>8} {'by hand':>40} {'torch autograd':>40}")
for name, ours, theirs in (("s", np.array([s]), s_t.detach().numpy().reshape(1)),
                           ("delta", delta, z_t.grad.numpy()),
                           ("ds/du", h, u_t.grad.numpy()),
                           ("ds/dx", ds_dx, x_t.grad.numpy())):
    print(f"{name:>8} {str(ours.round(4)):>40} {str(theirs.round(4)):>40}")
print("ds/dW by torch =\n", W_t.grad.numpy().round(4))
assert np.allclose(ds_dW, W_t.grad.numpy(), rtol=0, atol=1e-15)
print("largest difference anywhere:", result["max_difference_vs_torch"])
