"""The code styles a human writes a backward pass in, one module each; ``write(arch, rng)``
returns the ``Source`` of a correct ``grad_fn``.

- ``loop``: lists of caches, a loop over layers each way; every form of params and data.
- ``unrolled``: two or three layers written out: ``scores``, ``dscores``, ``dhidden``.
- ``cs231n``: CS231n's two-layer net: a params dict, ``reg``, ``grads['W1']``, labels ``y``.
- ``dlai``: deeplearning.ai's columns as samples: ``Z1``, ``A1``, a ``cache`` dict, ``dZ1``,
  ``dW1 = 1 / m * np.dot(dZ1, A0.T)``.
- ``torch_layout``: torch's layout, ``z = x @ w.T + b``, ``grad_w1``, ``fc1.weight`` keys.
- ``nielsen``: Nielsen's ``backprop``: (biases, weights), ``nabla_b``, ``nabla_w``, negative
  layer indices.
"""

from comparisons.bench.mutants.styles import cs231n, dlai, loop, nielsen, torch_layout, unrolled

WRITERS = {"loop": loop.write, "unrolled": unrolled.write, "cs231n": cs231n.write,
           "dlai": dlai.write, "torch": torch_layout.write, "nielsen": nielsen.write}
