"""A scalar autodiff the size of a page, to watch the gates of backpropagation at work.

Each ``Value`` remembers the values it was made from and how to send a gradient back to them.
``backward()`` visits the graph from the output in reverse topological order and applies the
chain rule: a node's downstream gradient is its local gradient times the upstream one.

- add distributes: z = x + y sends dz to both x and y unchanged;
- multiply swaps: z = x * y sends y * dz to x and x * dz to y;
- copy adds: a value used twice receives the sum of both gradients (``+=`` below);
- max routes: z = max(x, y) sends dz to the larger input only (at a tie, half to each, as
  ``torch.maximum`` does).

Everything else is built from these and a few one-input gates (``**``, ``exp``, ``tanh``,
``relu``, ``sigmoid``), the way micrograd (Karpathy) builds it: ``a - b`` is ``a + (-b)``,
``a / b`` is ``a * b**-1``. ``Neuron``, ``Layer`` and ``MLP`` at the end make a network of
these scalars, small enough to train on XOR and watch every gradient.
"""

import math
import random


class Value:
    """A scalar with a gradient. ``grad`` is d(output)/d(this) after ``output.backward()``."""

    def __init__(self, data: float, _children: tuple = (), _op: str = "") -> None:
        self.data = float(data)
        self.grad = 0.0
        self._backward = lambda: None
        self._prev = tuple(_children)  # the inputs, in order (micrograd keeps a set)
        self._op = _op

    # --- the two-input gates -------------------------------------------------------------
    def __add__(self, other: "Value | float") -> "Value":
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data + other.data, (self, other), "+")

        def _backward() -> None:  # add distributes
            self.grad += out.grad
            other.grad += out.grad

        out._backward = _backward
        return out

    def __mul__(self, other: "Value | float") -> "Value":
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data * other.data, (self, other), "*")

        def _backward() -> None:  # multiply swaps
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad

        out._backward = _backward
        return out

    def max(self, other: "Value | float") -> "Value":
        other = other if isinstance(other, Value) else Value(other)
        out = Value(max(self.data, other.data), (self, other), "max")

        def _backward() -> None:  # max routes (a tie splits, as torch.maximum)
            if self.data == other.data:
                self.grad += 0.5 * out.grad
                other.grad += 0.5 * out.grad
            elif self.data > other.data:
                self.grad += out.grad
            else:
                other.grad += out.grad

        out._backward = _backward
        return out

    # --- one-input gates: local gradient times upstream ---------------------------------
    def __pow__(self, other: float) -> "Value":
        assert isinstance(other, (int, float)), "only numbers as exponents"
        out = Value(self.data**other, (self,), f"**{other}")

        def _backward() -> None:
            self.grad += other * self.data ** (other - 1) * out.grad

        out._backward = _backward
        return out

    def exp(self) -> "Value":
        out = Value(math.exp(self.data), (self,), "exp")

        def _backward() -> None:  # d e^x / dx = e^x, read from the output
            self.grad += out.data * out.grad

        out._backward = _backward
        return out

    def tanh(self) -> "Value":
        out = Value(math.tanh(self.data), (self,), "tanh")

        def _backward() -> None:  # 1 - tanh^2, read from the output
            self.grad += (1 - out.data**2) * out.grad

        out._backward = _backward
        return out

    def sigmoid(self) -> "Value":
        out = Value(1 / (1 + math.exp(-self.data)), (self,), "sigmoid")

        def _backward() -> None:  # s (1 - s), read from the output
            self.grad += out.data * (1 - out.data) * out.grad

        out._backward = _backward
        return out

    def relu(self) -> "Value":
        out = Value(0.0 if self.data < 0 else self.data, (self,), "ReLU")

        def _backward() -> None:  # 1 where the output is positive; 0 at 0, as torch
            self.grad += (out.data > 0) * out.grad

        out._backward = _backward
        return out

    # --- composed from the gates above ----------------------------------------------------
    def __neg__(self) -> "Value":
        return self * -1

    def __sub__(self, other: "Value | float") -> "Value":
        return self + (-other)

    def __truediv__(self, other: "Value | float") -> "Value":
        return self * other**-1

    def __radd__(self, other: float) -> "Value":
        return self + other

    def __rmul__(self, other: float) -> "Value":
        return self * other

    def __rsub__(self, other: float) -> "Value":
        return other + (-self)

    def __rtruediv__(self, other: float) -> "Value":
        return other * self**-1

    # --- the backward pass ----------------------------------------------------------------
    def backward(self, grad: float = 1.0) -> None:
        """Fill ``grad`` of every value this one depends on (copies add up via +=), starting
        from d(output)/d(output) = ``grad`` (1, or any upstream gradient)."""
        order, seen = [], set()

        def visit(node: Value) -> None:
            if id(node) not in seen:
                seen.add(id(node))
                for child in node._prev:
                    visit(child)
                order.append(node)

        visit(self)
        self.grad = float(grad)
        for node in reversed(order):
            node._backward()

    def __repr__(self) -> str:
        return f"Value(data={self.data:.4g}, grad={self.grad:.4g})"


class Neuron:
    """sum_i w_i x_i + b, then tanh (or nothing, for an output unit)."""

    def __init__(self, n_in: int, nonlinear: bool = True,
                 rng: random.Random | None = None) -> None:
        rng = rng or random.Random(0)
        self.w = [Value(rng.uniform(-1, 1)) for _ in range(n_in)]
        self.b = Value(0.0)
        self.nonlinear = nonlinear

    def __call__(self, x: list) -> Value:
        z = sum((wi * xi for wi, xi in zip(self.w, x)), self.b)
        return z.tanh() if self.nonlinear else z

    def parameters(self) -> list[Value]:
        return self.w + [self.b]


class Layer:
    def __init__(self, n_in: int, n_out: int, nonlinear: bool = True,
                 rng: random.Random | None = None) -> None:
        self.neurons = [Neuron(n_in, nonlinear, rng) for _ in range(n_out)]

    def __call__(self, x: list) -> list[Value]:
        return [n(x) for n in self.neurons]

    def parameters(self) -> list[Value]:
        return [p for n in self.neurons for p in n.parameters()]


class MLP:
    """Layers of tanh neurons and a linear output layer, every weight a ``Value``."""

    def __init__(self, n_in: int, sizes: list[int], seed: int = 0) -> None:
        rng, units = random.Random(seed), [n_in] + list(sizes)
        self.layers = [Layer(units[i], units[i + 1], nonlinear=i < len(sizes) - 1, rng=rng)
                       for i in range(len(sizes))]

    def __call__(self, x: list) -> list[Value]:
        for layer in self.layers:
            x = layer(x)
        return x

    def parameters(self) -> list[Value]:
        return [p for layer in self.layers for p in layer.parameters()]
