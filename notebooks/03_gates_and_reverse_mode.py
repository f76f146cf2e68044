# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 3. The gates, and why backpropagation runs right to left
#
# Backpropagation is made of a few gates, each with a rule for passing gradients back. Here
# they are in `scratch/lecture/autodiff.py`, a scalar autodiff the size of a page: every `Value`
# remembers where it came from and how to send a gradient back. Each gate below receives an
# upstream gradient of **2** (not 1, so that "times the upstream" shows).

# %%
import torch

from comparisons.report.lecture import gates, reverse_vs_forward, sigmoid_derivative_check
from comparisons.report.lecture_figures import CAPTIONS, reverse_forward
from comparisons.report.plotting import show
from scratch.lecture.autodiff import MLP, Value

# %% [markdown]
# **Add distributes**: z = x + y hands the upstream gradient to both inputs unchanged.
# **Multiply swaps**: z = x * y hands x the upstream times y, and y the upstream times x.

# %%
x, y = Value(3.0), Value(-4.0)
z = x * y
z.backward(2.0)  # the upstream gradient dL/dz = 2
print("z = x * y =", z.data, "  dL/dx = y * 2 =", x.grad, "  dL/dy = x * 2 =", y.grad)

x, y = Value(3.0), Value(-4.0)
(x + y).backward(2.0)
print("z = x + y:  dL/dx =", x.grad, "  dL/dy =", y.grad)

# %% [markdown]
# **Copy adds**: a value used in two places receives the sum of the gradients from both
# (that is what `+=` in every gate's backward does). **Max routes**: z = max(x, y) hands the
# whole gradient to the larger input and nothing to the other.

# %%
x, y = Value(3.0), Value(-4.0)
(x * y + x).backward(2.0)  # x is used twice: 2 * y from the product, 2 from the sum
print("z = x * y + x:  dL/dx = 2 * (y + 1) =", x.grad, "  dL/dy = 2 * x =", y.grad)

x, y = Value(3.0), Value(-4.0)
x.max(y).backward(2.0)
print("z = max(x, y):  dL/dx =", x.grad, "  dL/dy =", y.grad)

# %% [markdown]
# The same four, against torch autograd:

# %%
for row in gates(upstream=2.0):
    print(f"{row['gate']:<16} {row['expression']:<30} ours {row['ours']}  torch {row['torch']}")
    assert row["ours"] == row["torch"]

# %% [markdown]
# ## The sigmoid's derivative, s (1 - s)
#
# The lecture derives it: with s = 1 / (1 + e^-z),
# ds/dz = e^-z / (1 + e^-z)^2 = 1/(1 + e^-z) * e^-z/(1 + e^-z) = s (1 - s).
# So the backward pass reads it from the forward output and never recomputes the
# exponential. Against torch and a finite difference:

# %%
for row in sigmoid_derivative_check():
    print(f"z = {row['z']:>4}: s(1 - s) = {row['s(1-s)']:.10f}   torch {row['torch']:.10f}   "
          f"finite difference {row['finite difference']:.10f}")

# %% [markdown]
# ## Right to left
#
# For a chain of layers and one number at the end, ds/dx is a product of Jacobians,
# u^T J_L ... J_1. Backpropagation (reverse mode) starts from the vector u and multiplies
# it by one matrix after another: each step a matrix-vector product, n^2 work. Forward mode
# starts from dx/dx = I and pushes whole matrices forward: each step a matrix-matrix
# product, n^3 work, for the same n numbers. `scratch/lecture/reverse_mode.py` does both for a
# 4-layer sigmoid chain and times them as the layers widen:

# %%
rows = reverse_vs_forward((16, 64, 256, 512, 1024))
for r in rows:
    print(f"width {r['width']:>5}: multiply-adds reverse {r['reverse_ops']:>13,} forward "
          f"{r['forward_ops']:>15,};  time ratio forward/reverse "
          f"{r['forward_seconds'] / r['reverse_seconds']:>6.0f}x;  same gradient to "
          f"{r['difference']:.0e}")

# %%
show(reverse_forward(rows), CAPTIONS["reverse_forward"])

# %% [markdown]
# ## From gates to a network
#
# Gates are all a network is made of. `scratch.lecture.autodiff.MLP` builds neurons out of `Value`s
# (`sum(w_i x_i) + b`, then tanh); trained on XOR, this scalar network does what one layer
# could not:

# %%
data = [([0.0, 0.0], -1.0), ([0.0, 1.0], 1.0), ([1.0, 0.0], 1.0), ([1.0, 1.0], -1.0)]
model = MLP(2, [4, 1], seed=1)
for step in range(200):
    loss = sum(((model(x)[0] - t) ** 2 for x, t in data), Value(0.0))
    for p in model.parameters():
        p.grad = 0.0                     # zero the gradients: backward adds into them
    loss.backward()
    for p in model.parameters():
        p.data -= 0.05 * p.grad          # one step of gradient descent
    if step % 50 == 0:
        print(f"step {step:>3}: loss {loss.data:.4f}")
print("predictions:", [round(model(x)[0].data, 2) for x, _ in data], " targets: -1, 1, 1, -1")

# %% [markdown]
# micrograd, the engine this page follows, tests itself against torch; the project runs those
# two tests against `scratch.lecture.autodiff.Value` (tests/test_autodiff.py), and every gate above
# against torch, ties and kinks included: at a tie, max splits the gradient in two halves as
# `torch.maximum` does, and ReLU at 0 passes nothing, as torch's does.

# %%
a, b = Value(2.0), Value(2.0)
a.max(b).backward(2.0)
a_t, b_t = (torch.tensor(2.0, requires_grad=True) for _ in range(2))
torch.maximum(a_t, b_t).backward(torch.tensor(2.0))
print("tie: ours", (a.grad, b.grad), " torch", (a_t.grad.item(), b_t.grad.item()))
