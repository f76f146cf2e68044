# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 4. Backpropagation through a whole network, in three frameworks
#
# The worked example had one hidden layer of two units. A real network is the same idea
# repeated: each layer's backward step takes the delta from above, multiplies it by the
# weights' transpose (`delta W^T`) and by the activation's derivative, and records
# `dL/dW = X^T delta` on the way. `scratch/network.py` does exactly that with one class per
# layer (`scratch/layers/dense.py`, `scratch/layers/activations.py`,
# `scratch/layers/losses.py`), each with its forward and backward side by side.
#
# The same network, the same weights and the same batch, three ways:

# %%
import numpy as np
from sklearn.datasets import load_digits
from sklearn.preprocessing import LabelBinarizer, StandardScaler

from reference import check_backprop
from reference.checking.gradients import (
    per_layer_differences,
    scratch_gradients,
    sklearn_gradients,
    torch_gradients,
)
from scratch.layers.initialization import glorot_uniform
from scratch.lecture.textbook_net import TextbookNet

X, y = load_digits(return_X_y=True)
X = StandardScaler().fit_transform(X)[:64]
Y = LabelBinarizer().fit_transform(y[:64]).astype(float)      # one-hot, ten classes
coefs, intercepts = glorot_uniform([64, 32, 16, 10], "tanh", np.random.RandomState(0))
settings = dict(activation="tanh", out_activation="softmax", alpha=0.1)

ours = scratch_gradients(coefs, intercepts, X, Y, **settings)      # our layers' backward
torch_ = torch_gradients(coefs, intercepts, X, Y, **settings)      # autograd
sklearn_ = sklearn_gradients(coefs, intercepts, X, Y, **settings)  # scikit-learn's _backprop
print(f"loss: scratch {ours[0]:.12f}  torch {torch_[0]:.12f}  scikit-learn {sklearn_[0]:.12f}")
for layer, (vs_torch, vs_sklearn) in enumerate(zip(per_layer_differences(ours, torch_),
                                                   per_layer_differences(ours, sklearn_))):
    print(f"layer {layer}: relative difference of (dW, db) from torch "
          f"({vs_torch[0]:.1e}, {vs_torch[1]:.1e}), from scikit-learn "
          f"({vs_sklearn[0]:.1e}, {vs_sklearn[1]:.1e})")

# %% [markdown]
# Differences of 1e-16 are float64 round-off: the three compute one gradient. (With the L2
# term on: `alpha / (2 n) * sum ||W||^2`, scikit-learn's objective.)
#
# ## Checking a student's network
#
# That is our network against the frameworks. `reference.check_backprop` holds *your* network
# against them, in your layout and your conventions, and names what is wrong. Take the
# textbook's network (`scratch/lecture/textbook_net.py`: sigmoid layers, one sigmoid output per
# class, the cost summed over the batch) and plant the most common mistake in it, the
# sigmoid's derivative taken at z instead of at sigmoid(z):

# %%
class Student(TextbookNet):
    def sigmoid_derivative(self, z, a):
        return z * (1 - z)  # should be a * (1 - a)


rng = np.random.default_rng(0)
X_small = rng.normal(size=(20, 6))
Y_small = np.eye(3)[rng.integers(0, 3, size=20)]
params = TextbookNet.init(n_features=6, n_hidden=5, n_classes=3)
report = check_backprop(Student(l2=0.01).gradients, params, X_small, Y_small,
                        activation="logistic", output="logistic", alpha=0.01)
print(report)

# %% [markdown]
# The output layer (W1, b1) is still right: the mistake sits below it. The checker found the
# conventions without being told (a summed batch, L2 as alpha/2 sum W^2 on the weights), then
# recognised the mistake by its fingerprint: it recomputes the gradient with each classic
# mistake planted and finds the one this network equals. With the derivative put back:

# %%
report = check_backprop(TextbookNet(l2=0.01).gradients, params, X_small, Y_small,
                        activation="logistic", output="logistic", alpha=0.01)
print("every array right:", all(row["ok"] for row in report.params))
print("ok:", report.ok, "- loss_ok:", report.loss_ok)
print(report.diagnosis[-1])

# %% [markdown]
# Every gradient array is right, and still the verdict is not OK: the textbook's cost adds
# `l2 * sum W^2` while its update differentiates `l2 / 2 * sum W^2`, so the cost the network
# reports is not the objective its gradient descends (a learning curve drawn from it is not
# the curve of the objective being descended). docs/checking.md goes further: a CS231n-style
# network, a Nielsen-style one, a PyTorch user's, the first wrong step of a backward pass, an
# optimizer, and one-line checks in your own tests.
