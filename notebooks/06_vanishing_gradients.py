# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 6. Vanishing gradients, and the cure that opened the third generation
#
# Backpropagation multiplies the error by every layer's local gradient on its way down. The
# sigmoid's derivative is s (1 - s), never more than 1/4; with weights of the usual size,
# each sigmoid layer shrinks the gradient it passes on, and the first layers of a deep network
# hear almost nothing (Bengio, Simard and Frasconi, 1994). ReLU's derivative is exactly 1
# wherever a unit is active (Nair and Hinton, 2010), so the gradient arrives whole.
#
# First, at initialisation: the gradient norm reaching each layer of deeper and deeper
# networks (500 digits, softmax output, scikit-learn's initialisation).

# %%
import numpy as np

from comparisons.report.lecture import vanishing_gradients, vanishing_in_training
from comparisons.report.lecture_figures import CAPTIONS, vanishing, vanishing_training
from comparisons.report.plotting import show

at_init = vanishing_gradients(depths=range(2, 13, 2))
for activation in ("logistic", "tanh", "relu"):
    ratios = at_init[activation]["first_to_last_ratio"]
    print(f"{activation:>8}: first/last layer gradient norm, 2 to 12 hidden layers: "
          + "  ".join(f"{r:.0e}" for r in ratios))

# %%
show(vanishing(at_init), CAPTIONS["vanishing"])

# %% [markdown]
# ## During training
#
# A small gradient at the start would not matter if the network still learned. Here are two
# networks of six hidden layers of 32 units, identical but for the activation, trained the
# same way (SGD with momentum 0.9, learning rate 0.02, batches of 64) on the 1,797 digits, over
# three seeds; after each epoch we measure the loss, each layer's gradient norm, and at the end
# how far each layer's weights moved from where they started.

# %%
runs = vanishing_in_training(seeds=3, epochs=30, depth=6, width=32, learning_rate=0.02)
for activation in ("logistic", "relu"):
    losses = [r["loss"][-1] for r in runs[activation]]
    moved = np.mean([r["relative_change"] for r in runs[activation]], axis=0)
    accuracy = np.mean([r["train_accuracy"] for r in runs[activation]])
    print(f"{activation:>8}: loss after 30 epochs {np.mean(losses):.3f} (seeds: "
          f"{', '.join(f'{v:.3f}' for v in losses)}), training accuracy {accuracy:.3f}")
    print(f"{'':>8}  each layer moved (first to last): "
          + "  ".join(f"{m:.4f}" for m in moved))

# %%
show(vanishing_training(runs), CAPTIONS["vanishing_training"])

# %% [markdown]
# The logistic network never leaves the loss of guessing (ln 10 = 2.30 for ten classes):
# its first weight matrix receives gradients around 1e-5 and moves by about a thousandth of
# its size in 30 epochs, while its last layers do move, learning nothing useful from inputs
# the layers below never learned to transform. The ReLU network, the same in every other
# respect, fits the training set. The cures the lecture lists all act on this product of
# local gradients: ReLU (derivative 1), initialisations scaled to keep it near 1 (Glorot's,
# which scikit-learn uses, and He's), and, later, normalisation layers and residual
# connections.
