"""Custom autograd Functions and modules for the check_function tests, written the ways
PyTorch users write them: a right one of each form, and each planted mistake as a one-line
change of a right one (``MISTAKES``: the Function, its inputs, the rows it spoils and the
slip it should be named by)."""

import numpy as np
import torch
from torch.autograd import Function
from torch.autograd.function import once_differentiable

D = torch.float64
_g = torch.Generator().manual_seed(0)


def randn(*shape, dtype=D):
    return torch.randn(*shape, generator=_g, dtype=dtype)


# --- right Functions, one per form ---------------------------------------------------------

class Linear(Function):
    """Old style: forward(ctx, ...)."""

    @staticmethod
    def forward(ctx, x, weight, bias):
        ctx.save_for_backward(x, weight)
        return x @ weight.t() + bias

    @staticmethod
    def backward(ctx, grad_output):
        x, weight = ctx.saved_tensors
        grad_x = grad_output @ weight if ctx.needs_input_grad[0] else None
        return grad_x, grad_output.t() @ x, grad_output.sum(0)


class Scale(Function):
    """New style: forward without ctx, setup_context; a non-tensor argument with a default."""

    @staticmethod
    def forward(x, y, k=2.0):
        return x * y * k

    @staticmethod
    def setup_context(ctx, inputs, output):
        x, y, k = inputs
        ctx.save_for_backward(x, y)
        ctx.k = k

    @staticmethod
    def backward(ctx, grad_output):
        x, y = ctx.saved_tensors
        return grad_output * y * ctx.k, grad_output * x * ctx.k, None


class SinCos(Function):
    """Two outputs."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x.sin(), x.cos()

    @staticmethod
    def backward(ctx, grad_sin, grad_cos):
        x, = ctx.saved_tensors
        return grad_sin * x.cos() - grad_cos * x.sin()


class Sort(Function):
    """A non-differentiable output (the indices) and set_materialize_grads(False)."""

    @staticmethod
    def forward(ctx, x):
        values, indices = x.sort(dim=-1)
        ctx.mark_non_differentiable(indices)
        ctx.set_materialize_grads(False)
        ctx.save_for_backward(indices)
        return values, indices

    @staticmethod
    def backward(ctx, grad_values, grad_indices):
        indices, = ctx.saved_tensors
        if grad_values is None:
            return None
        return torch.zeros_like(grad_values).scatter_(-1, indices, grad_values)


class Exp(Function):
    """once_differentiable; saves its output."""

    @staticmethod
    def forward(ctx, x):
        y = x.exp()
        ctx.save_for_backward(y)
        return y

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_output):
        y, = ctx.saved_tensors
        return grad_output * y


class Sigmoid(Function):
    @staticmethod
    def forward(ctx, x):
        y = torch.sigmoid(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad_output):
        y, = ctx.saved_tensors
        return grad_output * y * (1 - y)


class Tanh(Function):
    @staticmethod
    def forward(ctx, x):
        y = x.tanh()
        ctx.save_for_backward(x, y)
        return y

    @staticmethod
    def backward(ctx, grad_output):
        x, y = ctx.saved_tensors
        return grad_output * (1 - y * y)


class Relu(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x.clamp(min=0)

    @staticmethod
    def backward(ctx, grad_output):
        x, = ctx.saved_tensors
        return grad_output * (x > 0)


class RowMax(Function):
    """A max over each row (ties possible); saves the index of each row's maximum."""

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
        return grad.scatter_(1, index[:, None], grad_output[:, None])


class Double(Function):
    """In place, with mark_dirty."""

    @staticmethod
    def forward(ctx, x):
        x.mul_(2)
        ctx.mark_dirty(x)
        return x

    @staticmethod
    def backward(ctx, grad_output):
        return 2 * grad_output


class NumpySin(Function):
    """Forward and backward in NumPy: right, but not differentiable twice."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return torch.from_numpy(np.sin(x.detach().numpy()))

    @staticmethod
    def backward(ctx, grad_output):
        x, = ctx.saved_tensors
        return torch.from_numpy(np.cos(x.detach().numpy()) * grad_output.numpy())


def sort_then_tanh(x, w):
    """A plain function built on Functions."""
    return Tanh.apply(Sort.apply(x @ w)[0]).sum(-1)


class LinearModule(torch.nn.Module):
    """A module whose parameters go through a Function."""

    def __init__(self, n_in, n_out, function=Linear):
        super().__init__()
        self.weight = torch.nn.Parameter(randn(n_out, n_in) / n_in ** 0.5)
        self.bias = torch.nn.Parameter(randn(n_out) * 0.1)
        self.function = function

    def forward(self, x):
        return self.function.apply(x, self.weight, self.bias)


class HookedLinear(torch.nn.Module):
    """Autograd's own Linear with a backward hook that leaves the gradient as it is."""

    def __init__(self, scale=1.0):
        super().__init__()
        self.linear = torch.nn.Linear(4, 3).double()
        self.scale = scale
        self.register_full_backward_hook(
            lambda module, grad_input, grad_output: (grad_input[0] * self.scale,))

    def forward(self, x):
        return self.linear(x)


class ClippedTanh(torch.nn.Module):
    """A tensor hook that rewrites the gradient (a clip that is active when ``clip`` is
    small)."""

    def __init__(self, clip=1e9):
        super().__init__()
        self.clip = clip

    def forward(self, x):
        z = x * 1.0
        z.register_hook(lambda g: g.clamp(-self.clip, self.clip))
        return z.tanh()


@torch.library.custom_op("mlp_twins_tests::scaled_sin", mutates_args=())
def scaled_sin(x: torch.Tensor, k: float) -> torch.Tensor:
    return torch.from_numpy(np.sin(x.numpy()) * k)


@scaled_sin.register_fake
def _(x, k):
    return torch.empty_like(x)


def _sin_setup(ctx, inputs, output):
    x, k = inputs
    ctx.save_for_backward(x)
    ctx.k = k


def _sin_backward(ctx, grad_output):
    x, = ctx.saved_tensors
    return grad_output * x.cos() * ctx.k, None


scaled_sin.register_autograd(_sin_backward, setup_context=_sin_setup)

X, W, B = randn(8, 4), randn(3, 4), randn(3)
W_SQUARE, B4 = randn(4, 4), randn(4)
P, Q = randn(5, 3), randn(5, 3)

RIGHT = {
    "old style": (Linear, (X, W, B)),
    "apply": (Linear.apply, (X, W, B)),
    "new style, setup_context, a number": (Scale, (P, Q, 3.0)),
    "two outputs": (SinCos, (randn(6),)),
    "non-differentiable output, materialize off": (Sort, (randn(3, 5),)),
    "once_differentiable": (Exp, (randn(7),)),
    "sigmoid": (Sigmoid, (randn(4, 5),)),
    "in place with mark_dirty": (Double, (randn(5),)),
    "numpy inside": (NumpySin, (randn(6),)),
    "function built on Functions": (sort_then_tanh, (randn(3, 4), randn(4, 5))),
    "module around a Function": (LinearModule(4, 3), (randn(5, 4),)),
    "module with a backward hook": (HookedLinear(), (randn(5, 4),)),
    "module with a tensor hook": (ClippedTanh(), (randn(3, 4),)),
    "custom op": (scaled_sin, (randn(5), 2.0)),
    "float32": (Sigmoid, (randn(10, 10, dtype=torch.float32),)),
    "float16": (Tanh, (randn(6, 4, dtype=torch.float16),)),
}


# --- planted mistakes: one change each ---------------------------------------------------------

def _linear(grad):
    """A Linear whose backward is ``grad(x, weight, grad_output)``."""
    class Planted(Linear):
        @staticmethod
        def backward(ctx, grad_output):
            x, weight = ctx.saved_tensors
            return grad(x, weight, grad_output)
    return Planted


def _elementwise(forward, backward, save="x"):
    """An elementwise Function y = forward(x) whose backward is ``backward(x, y, g)``."""
    class Planted(Function):
        @staticmethod
        def forward(ctx, x):
            y = forward(x)
            ctx.save_for_backward(x, y)
            return y

        @staticmethod
        def backward(ctx, grad_output):
            x, y = ctx.saved_tensors
            return backward(x, y, grad_output)
    return Planted


def _scale(grad):
    class Planted(Scale):
        @staticmethod
        def backward(ctx, grad_output):
            x, y = ctx.saved_tensors
            return grad(x, y, grad_output, ctx.k)
    return Planted


_buffer = {}


class Accumulates(Function):
    @staticmethod
    def forward(ctx, x):
        return 3 * x

    @staticmethod
    def backward(ctx, grad_output):
        if "grad" not in _buffer or _buffer["grad"].shape != grad_output.shape:
            _buffer["grad"] = torch.zeros_like(grad_output)
        _buffer["grad"] += 3 * grad_output  # never reset
        return _buffer["grad"].clone()


class Nondeterministic(Function):
    @staticmethod
    def forward(ctx, x):
        return 3 * x

    @staticmethod
    def backward(ctx, grad_output):
        return 3 * grad_output * (1 + 1e-4 * torch.rand_like(grad_output))


class ReadsAsContiguous(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, grad_output):
        x, = ctx.saved_tensors
        flat = torch.as_strided(grad_output, grad_output.shape, x.stride())  # ignores strides
        return 2 * x * flat


class ChangesSaved(Function):
    @staticmethod
    def forward(ctx, x):
        e = x.exp()
        ctx.save_for_backward(e)
        out = 2 * e
        e.add_(1)  # the saved tensor changed after saving it
        return out

    @staticmethod
    def backward(ctx, grad_output):
        e, = ctx.saved_tensors
        return 2 * e * grad_output


class WritesInput(Function):
    @staticmethod
    def forward(ctx, x):
        x.mul_(2)  # no mark_dirty
        return x

    @staticmethod
    def backward(ctx, grad_output):
        return 2 * grad_output


class ExpOnCtx(Function):
    """Right first derivative, wrong second: the intermediate kept on ctx is a constant to
    autograd."""

    @staticmethod
    def forward(ctx, x):
        e = x.exp()
        ctx.e = e
        return 2 * e

    @staticmethod
    def backward(ctx, grad_output):
        return 2 * ctx.e * grad_output


MISTAKES = {
    # name: (fn, inputs, rows spoiled, slip named)
    "not multiplied by grad_output": (
        _elementwise(torch.sigmoid, lambda x, y, g: y * (1 - y)), (randn(4, 5),), ["x"],
        "not_multiplied"),
    "multiplied twice": (
        _elementwise(torch.sigmoid, lambda x, y, g: g * g * y * (1 - y)), (randn(4, 5),),
        ["x"], "multiplied_twice"),
    "sign": (_scale(lambda x, y, g, k: (-g * y * k, g * x * k, None)), (P, Q, 3.0), ["x"],
             "sign"),
    "constant factor": (_linear(lambda x, w, g: (g @ w, g.t() @ x, g.sum(0) / 8)),
                        (X, W, B), ["bias"], "factor"),
    "transposed": (_linear(lambda x, w, g: (g @ w, x.t() @ g, g.sum(0))), (X, W_SQUARE, B4),
                   ["weight"], "transposed"),  # square: autograd takes it, shape and all
    "two gradients swapped": (_scale(lambda x, y, g, k: (g * x * k, g * y * k, None)),
                              (P, Q, 3.0), ["x", "y"], "swapped"),
    "broadcast not reduced": (_linear(lambda x, w, g: (g @ w, g.t() @ x, g)), (X, W, B),
                              ["bias"], "not_reduced"),
    # autograd refuses a gradient of shape (8,) for bias (3,): nothing reaches any input
    "reduced over the wrong axis": (_linear(lambda x, w, g: (g @ w, g.t() @ x, g.sum(1))),
                                    (X, W, B), ["x", "weight", "bias"], "wrong_axis"),
    "derivative at the output": (
        _elementwise(torch.tanh, lambda x, y, g: g * (1 - torch.tanh(y) ** 2)), (randn(7),),
        ["x"], "at_output"),
    "derivative at the input": (
        _elementwise(torch.tanh, lambda x, y, g: g * (1 - x * x)), (randn(7),), ["x"],
        "at_input"),
    "wrong saved tensor": (_scale(lambda x, y, g, k: (g * x * k, g * x * k, None)),
                           (P, Q, 3.0), ["x"], "saved_tensor"),
    "non-contiguous grad_output read as contiguous": (ReadsAsContiguous, (randn(4, 3),),
                                                      ["x"], "non-contiguous grad_output"),
    "accumulating across calls": (Accumulates, (randn(5),), ["x"],
                                  "accumulates across calls"),
    "nondeterministic": (Nondeterministic, (randn(5),), ["x"], "nondeterministic"),
    "in-place change to a saved tensor": (ChangesSaved, (randn(6),), ["x"],
                                          "in-place change to a saved tensor"),
    "writes its input without mark_dirty": (WritesInput, (randn(5),), ["x"],
                                            "writes its input without mark_dirty"),
    "wrong dtype": (_scale(lambda x, y, g, k: ((g * y * k).float(), g * x * k, None)),
                    (P, Q, 3.0), ["x"], "wrong dtype"),
    # autograd refuses both: no gradient reaches x or y
    "gradient for a non-tensor input": (
        _scale(lambda x, y, g, k: (g * y * k, g * x * k, torch.tensor(1.0))), (P, Q, 3.0),
        ["x", "y"], "gradient for a non-tensor input"),
    "None missing": (_scale(lambda x, y, g, k: (g * y * k, g * x * k)), (P, Q, 3.0),
                     ["x", "y"], "gradient missing"),
    "wrong second derivative": (ExpOnCtx, (randn(6),), ["x"], "wrong second derivative"),
}
KEYWORDS = {"wrong second derivative": {"double_backward": True}}  # the check's arguments
