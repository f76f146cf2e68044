"""The fully connected layer ``z = X W + b``, forward and backward side by side."""

import numpy as np


class Dense:
    """z = X W + b, with W of shape (n_in, n_out) and b of shape (n_out,).

    scikit-learn stores W as (n_in, n_out); torch's ``nn.Linear`` stores its transpose, so the
    lecture's ``dS/dW = delta x^T`` for one sample is ``X^T delta`` here, summed over samples.
    ``W``, ``b``, ``grad_W`` and ``grad_b`` are views into the network's flat buffers; ``out``
    arguments let the network hand in buffers it reuses from batch to batch.
    """

    def __init__(self, W: np.ndarray, b: np.ndarray, grad_W: np.ndarray,
                 grad_b: np.ndarray) -> None:
        self.W, self.b = W, b
        self.grad_W, self.grad_b = grad_W, grad_b

    def forward(self, X: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """Return z, shape (n_samples, n_out) (written into ``out`` if given); keeps X."""
        self.X = X
        dense = isinstance(X, np.ndarray)
        z = np.matmul(X, self.W, out=out) if dense and out is not None else X @ self.W
        z += self.b
        return z

    def backward(self, grad_out: np.ndarray, need_grad_in: bool = True,
                 out: np.ndarray | None = None) -> np.ndarray | None:
        """Set grad_W = X^T grad_out and grad_b = sum_i grad_out; return dL/dX = grad_out W^T.

        grad_out has shape (n_samples, n_out); the returned dL/dX has shape (n_samples, n_in),
        or is None when ``need_grad_in`` is False (the first layer: nobody needs dL/dX).
        """
        if isinstance(self.X, np.ndarray):
            np.matmul(self.X.T, grad_out, out=self.grad_W)
        else:  # scipy.sparse
            self.grad_W[...] = self.X.T @ grad_out
        np.add.reduce(grad_out, axis=0, out=self.grad_b)  # np.sum, without its wrapper
        if not need_grad_in:
            return None
        return grad_out @ self.W.T if out is None else np.matmul(grad_out, self.W.T, out=out)
