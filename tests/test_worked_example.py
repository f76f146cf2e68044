"""The lecture's z = W x, h = sigmoid(z), s = u^T h, by hand and by torch autograd."""

import numpy as np
import torch

from scratch.worked_example import worked_example


def test_worked_example_matches_torch_autograd(rng):
    W, x, u = rng.normal(size=(3, 4)), rng.normal(size=4), rng.normal(size=3)
    ours = worked_example(W, x, u)

    W_t, x_t, u_t = (torch.tensor(a, requires_grad=True) for a in (W, x, u))
    z = W_t @ x_t
    z.retain_grad()
    h = torch.sigmoid(z)
    h.retain_grad()
    s = u_t @ h
    s.backward()

    assert np.isclose(ours["s"], s.item(), rtol=1e-15)
    for mine, theirs in [("ds_dW", W_t), ("ds_dx", x_t), ("ds_du", u_t), ("delta", z),
                         ("ds_dh", h)]:
        np.testing.assert_allclose(ours[mine], theirs.grad.numpy(), rtol=1e-13, atol=0)


def test_dS_dW_is_delta_times_x_transposed(rng):
    W, x, u = rng.normal(size=(2, 3)), rng.normal(size=3), rng.normal(size=2)
    r = worked_example(W, x, u)
    np.testing.assert_array_equal(r["ds_dW"], r["delta"][:, None] * x[None, :])
    np.testing.assert_allclose(r["local_sigmoid"], r["h"] * (1 - r["h"]))
