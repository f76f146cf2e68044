"""A scalar autodiff the size of a page, to watch the four gates of backpropagation.

Each ``Value`` remembers the values it was made from and how to send a gradient back to them.
``backward()`` visits the graph from the output in reverse topological order and applies the
chain rule: a node's downstream gradient is its local gradient times the upstream one.

- add distributes: z = x + y sends dz to both x and y unchanged;
- multiply swaps: z = x * y sends y * dz to x and x * dz to y;
- copy adds: a value used twice receives the sum of both gradients (``+=`` below);
- max routes: z = max(x, y) sends dz to the larger input only.
"""


class Value:
    """A scalar with a gradient. ``grad`` is d(output)/d(this) after ``output.backward()``."""

    def __init__(self, data: float, parents: tuple = (), op: str = "") -> None:
        self.data = float(data)
        self.grad = 0.0
        self._parents = parents
        self._backward = lambda: None
        self.op = op

    def __add__(self, other: "Value | float") -> "Value":
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data + other.data, (self, other), "+")

        def backward() -> None:  # add distributes
            self.grad += out.grad
            other.grad += out.grad

        out._backward = backward
        return out

    def __mul__(self, other: "Value | float") -> "Value":
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data * other.data, (self, other), "*")

        def backward() -> None:  # multiply swaps
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad

        out._backward = backward
        return out

    def max(self, other: "Value") -> "Value":
        out = Value(max(self.data, other.data), (self, other), "max")

        def backward() -> None:  # max routes (ties go to the first input)
            winner = self if self.data >= other.data else other
            winner.grad += out.grad

        out._backward = backward
        return out

    def __radd__(self, other: float) -> "Value":
        return self + other

    def __rmul__(self, other: float) -> "Value":
        return self * other

    def backward(self) -> None:
        """Fill ``grad`` of every value this one depends on (copies add up via +=)."""
        order, seen = [], set()

        def visit(node: Value) -> None:
            if id(node) not in seen:
                seen.add(id(node))
                for parent in node._parents:
                    visit(parent)
                order.append(node)

        visit(self)
        self.grad = 1.0
        for node in reversed(order):
            node._backward()

    def __repr__(self) -> str:
        return f"Value(data={self.data:.4g}, grad={self.grad:.4g})"
