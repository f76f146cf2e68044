"""The fully connected layer ``z = X W + b``, forward and backward side by side."""

import numpy as np


class Dense:
    """z = X W + b, with W of shape (n_in, n_out) and b of shape (n_out,).

    scikit-learn stores W as (n_in, n_out); torch's ``nn.Linear`` stores its transpose, so the
    lecture's ``dS/dW = delta x^T`` for one sample is ``X^T delta`` here, summed over samples.
    ``W``, ``b``, ``grad_W`` and ``grad_b`` are views into the network's flat buffers.
    """

    def __init__(self, W, b, grad_W, grad_b):
        self.W, self.b = W, b
        self.grad_W, self.grad_b = grad_W, grad_b

    def forward(self, X):
        """Return z, shape (n_samples, n_out); keeps X, which backward needs."""
        self.X = X
        z = X @ self.W
        z += self.b
        return z

    def backward(self, grad_out, need_grad_in=True):
        """Set grad_W = X^T grad_out and grad_b = sum_i grad_out; return dL/dX = grad_out W^T.

        grad_out has shape (n_samples, n_out); the returned dL/dX has shape (n_samples, n_in),
        or is None when ``need_grad_in`` is False (the first layer: nobody needs dL/dX).
        """
        self.grad_W[...] = self.X.T @ grad_out
        np.sum(grad_out, axis=0, out=self.grad_b)
        return grad_out @ self.W.T if need_grad_in else None
