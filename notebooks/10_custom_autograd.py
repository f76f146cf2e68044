# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 10. A gate of your own: torch.autograd.Function, checked
#
# The lecture builds backpropagation from gates. Each gate knows one thing: its **local
# gradient**, d(output)/d(input). Backward, it receives the **upstream** gradient, the
# gradient of the loss with respect to its output, and hands on the **downstream** one:
#
#     downstream = local gradient x upstream
#
# PyTorch lets you write such a gate yourself, as a `torch.autograd.Function`: `forward`
# computes the output and keeps on `ctx` what backward will need (the lecture's cache);
# `backward` receives the upstream gradient (`grad_output`) and returns the downstream one,
# one per input. This is how people write fused kernels, custom losses and new layers, and
# it is where hand-written backward passes go wrong today. `reference.check_function` checks
# such a gate against the gradient of its own forward, and names the slip when it can.

# %%
import matplotlib.pyplot as plt
import torch

from comparisons.report.plotting import show
from reference import check_function, check_model

generator = torch.manual_seed(0)

# %% [markdown]
# ## The multiply gate: multiply swaps
#
# z = x * y. Its local gradients are dz/dx = y and dz/dy = x, so backward hands x the upstream
# gradient times y, and y the upstream gradient times x. With x = 3, y = -4 and an upstream
# gradient of 2, as in notebook 3:

# %%
class Multiply(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)  # the cache: backward needs both inputs
        return x * y

    @staticmethod
    def backward(ctx, grad_output):
        x, y = ctx.saved_tensors
        return grad_output * y, grad_output * x  # local gradient x upstream, per input


x = torch.tensor(3.0, dtype=torch.float64, requires_grad=True)
y = torch.tensor(-4.0, dtype=torch.float64, requires_grad=True)
z = Multiply.apply(x, y)
z.backward(torch.tensor(2.0, dtype=torch.float64))  # the upstream gradient dL/dz = 2
print("z =", z.item(), "  dL/dx = 2 * y =", x.grad.item(), "  dL/dy = 2 * x =", y.grad.item())

# %% [markdown]
# ## The sigmoid gate, checked
#
# s = sigmoid(z), with the local gradient the lecture derives, s (1 - s): read from the
# output, so forward keeps s and backward never recomputes the exponential. `check_function`
# calls it on copies of a batch of inputs with a random upstream gradient, holds the result
# against finite differences of the gate's own forward in float64, and tries what gradcheck
# does not: a second call, a non-contiguous, a zero and a scaled upstream gradient, what is
# written into, and the second derivative.

# %%
class Sigmoid(torch.autograd.Function):
    @staticmethod
    def forward(ctx, z):
        s = torch.sigmoid(z)
        ctx.save_for_backward(s)
        return s

    @staticmethod
    def backward(ctx, grad_output):
        s, = ctx.saved_tensors
        return grad_output * s * (1 - s)


z = torch.randn(6, 4, dtype=torch.float64)
print(check_function(Sigmoid, z))

# %% [markdown]
# ## Two slips a student makes, named
#
# The first forgets the upstream gradient: backward returns the local gradient alone. For
# the last gate of a graph, whose upstream gradient is 1, that is even right, which is why it
# survives; anywhere else it is wrong. The second keeps z in the cache and writes the local
# gradient with the output's formula, z (1 - z) where s (1 - s) belongs.

# %%
class SigmoidNoUpstream(Sigmoid):
    @staticmethod
    def backward(ctx, grad_output):
        s, = ctx.saved_tensors
        return s * (1 - s)  # the local gradient, never multiplied by grad_output


class SigmoidAtInput(torch.autograd.Function):
    @staticmethod
    def forward(ctx, z):
        ctx.save_for_backward(z)  # the input kept, not the output
        return torch.sigmoid(z)

    @staticmethod
    def backward(ctx, grad_output):
        z, = ctx.saved_tensors
        return grad_output * z * (1 - z)  # s (1 - s)'s formula applied to z


for gate in (SigmoidNoUpstream, SigmoidAtInput):
    report = check_function(gate, z)
    print(f"{gate.__name__}: {'OK' if report.ok else 'NOT OK'}")
    print("  ", report.named[0]["text"])

# %% [markdown]
# The checker found the slips from the numbers alone: it tries the slips of one local step
# (the upstream gradient left out or multiplied twice, a sign, a factor, a transposition, the
# derivative at the output instead of the input, ...) and names one only when making it
# reproduces the gate's gradient exactly. Entry by entry, the right gate's gradient lies on
# the diagonal against the reference; the slips do not:

# %%
def gradients(gate, z, upstream):
    z = z.clone().requires_grad_()
    gate.apply(z).backward(upstream)
    return z.grad.flatten()


upstream = torch.randn(6, 4, dtype=torch.float64)
s = torch.sigmoid(z)
right = (upstream * s * (1 - s)).flatten()
fig, axes = plt.subplots(1, 3, figsize=(10, 3.4), sharey=True, layout="constrained")
for ax, gate in zip(axes, (Sigmoid, SigmoidNoUpstream, SigmoidAtInput)):
    ax.plot([-0.5, 0.5], [-0.5, 0.5], color="0.7", linewidth=1)
    ax.scatter(right, gradients(gate, z, upstream), s=14)
    ax.set_title(gate.__name__, fontsize=10)
    ax.set_xlabel("right: local gradient x upstream")
axes[0].set_ylabel("the gate's backward")
show(fig, "Each gate's gradient against the right one, entry by entry, for one upstream "
          "gradient: on the diagonal for the right sigmoid gate; off it when the upstream "
          "gradient is forgotten, and when s (1 - s) is written with z.")

# %% [markdown]
# ## The max gate routes, and a tie
#
# max(x) over each row hands the whole upstream gradient to the largest entry and nothing to
# the others. At a tie the derivative is not defined (a kink, like ReLU at 0): finite
# differences cannot decide there, so the checker finds those entries, leaves them out and
# says how many.

# %%
class RowMax(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        values, index = x.max(dim=1)
        ctx.save_for_backward(index)
        ctx.shape = x.shape
        return values

    @staticmethod
    def backward(ctx, grad_output):
        index, = ctx.saved_tensors
        grad = torch.zeros(ctx.shape, dtype=grad_output.dtype)
        return grad.scatter_(1, index[:, None], grad_output[:, None])  # the router


x = torch.randn(4, 5, dtype=torch.float64)
x[2, 1] = x[2, 3] = x[2].max() + 1  # a tie for the largest entry of row 2
report = check_function(RowMax, x)
print(report.ok, "|", [line for line in report.reading if "kink" in line][0])

# %% [markdown]
# ## Gates inside a network: the first wrong one
#
# A network is gates wired together, and backward runs them from the output to the input.
# `check_model` runs the network once, captures what each of your gates is given, checks each
# on exactly that, and names the first wrong one in backward order. Here two dense layers,
# each a gate z = h W whose backward is the lecture's dS/dW = delta x^T written for a batch
# (h^T times the upstream gradient; the upstream gradient times W^T for h), and two sigmoid
# gates, one of them the slip from above:

# %%
class MatMul(torch.autograd.Function):
    @staticmethod
    def forward(ctx, h, weight):
        ctx.save_for_backward(h, weight)
        return h @ weight

    @staticmethod
    def backward(ctx, grad_output):
        h, weight = ctx.saved_tensors
        return grad_output @ weight.T, h.T @ grad_output


class Dense(torch.nn.Module):
    def __init__(self, n_in, n_out):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.randn(n_in, n_out, dtype=torch.float64))

    def forward(self, h):
        return MatMul.apply(h, self.weight)


class Activation(torch.nn.Module):
    def __init__(self, gate):
        super().__init__()
        self.gate = gate

    def forward(self, z):
        return self.gate.apply(z)


network = torch.nn.Sequential(Dense(4, 3), Activation(Sigmoid), Dense(3, 2),
                              Activation(SigmoidNoUpstream))
print(check_model(network, torch.randn(5, 4, dtype=torch.float64)))

# %% [markdown]
# The last gate is the one whose upstream gradient is forgotten; in a whole network the
# others receive a wrong upstream gradient from it, yet each was checked on its own inputs, so
# only the culprit is named. `docs/checking.md` shows the same checker on a Function with two
# outputs, a module with a hook, and float32 gates, where it tells a precision effect from a
# mistake.
