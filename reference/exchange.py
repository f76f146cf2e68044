"""Weights between scikit-learn's layout and torch's.

scikit-learn (and scratch) keep ``coefs_[i]`` of shape (n_in, n_out) and ``intercepts_[i]``
of shape (n_out,); ``nn.Linear`` keeps ``weight`` of shape (n_out, n_in). Moving weights is a
transpose and a copy, bit-exact both ways.
"""

import numpy as np
import torch


def load_into_torch(module, coefs, intercepts):
    """Copy scikit-learn-layout weights into the ``nn.Linear`` layers of ``module``."""
    linears = module.linears
    if len(linears) != len(coefs):
        raise ValueError(f"{len(coefs)} weight matrices for {len(linears)} linear layers.")
    with torch.no_grad():
        for linear, W, b in zip(linears, coefs, intercepts):
            if tuple(linear.weight.shape) != (W.shape[1], W.shape[0]):
                raise ValueError(
                    f"coefs of shape {W.shape} do not fit a linear layer of weight shape "
                    f"{tuple(linear.weight.shape)} (torch keeps (n_out, n_in))."
                )
            linear.weight.copy_(torch.as_tensor(np.ascontiguousarray(W.T)))
            linear.bias.copy_(torch.as_tensor(np.asarray(b)))
    return module


def weights_from_torch(module):
    """(coefs, intercepts) in scikit-learn's layout, as NumPy copies of the torch weights."""
    coefs = [linear.weight.detach().cpu().numpy().T.copy() for linear in module.linears]
    intercepts = [linear.bias.detach().cpu().numpy().copy() for linear in module.linears]
    return coefs, intercepts
