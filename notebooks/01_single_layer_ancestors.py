# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 1. The single-layer ancestors: the perceptron, Adaline, and XOR
#
# The lecture starts with history. Neural networks came in three generations, each opened by
# a paper the lecture names:
#
# | generation | year | who | what it brought |
# |---|---|---|---|
# | first | 1958 | Rosenblatt | the perceptron: the first trained model of a neuron |
# | first | 1960 | Widrow and Hoff | Adaline: weights updated by the error (the delta rule) |
# | first | 1969 | Minsky and Papert | *Perceptrons*: one layer cannot compute XOR |
# | second | 1986 | Rumelhart, Hinton and Williams | backpropagation trains a hidden layer |
# | second | 1989 | LeCun et al. | convolutional networks read handwritten zip codes |
# | second | 1994 | Bengio, Simard and Frasconi | vanishing gradients: deep chains learn slowly |
# | third | 2010 | Nair and Hinton | ReLU units |
# | third | 2012 | Hinton, Srivastava, Krizhevsky, Sutskever and Salakhutdinov | dropout |
#
# This notebook runs the first generation: two single-layer models on three logic gates.
# Both learn one weight per input and a bias and answer 1 where `w . x + b > 0`.

# %%
import numpy as np

from comparisons.report.lecture import ancestors, xor_single_layer
from comparisons.report.lecture_figures import CAPTIONS, ancestors_errors, ancestors_lines
from comparisons.report.plotting import show
from scratch.lecture.perceptron import Adaline, Perceptron

X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
gates = {"AND": np.array([0, 0, 0, 1]), "OR": np.array([0, 1, 1, 1]),
         "XOR": np.array([0, 1, 1, 0])}
for name, y in gates.items():
    print(f"{name}: ", ", ".join(f"{a:.0f}{b:.0f} -> {t}" for (a, b), t in zip(X, y)))

# %% [markdown]
# **Rosenblatt's perceptron** looks at one point at a time and moves the weights only when it
# gets the point wrong: `w += lr * (y - y_hat) * x`. **Widrow and Hoff's Adaline** compares
# the *linear* output `w . x + b` with targets -1 and +1 and follows the gradient of the mean
# squared error over all four points, so it keeps learning even when every point is already
# classified right; the threshold is applied only to predict. Both live in
# `scratch/lecture/perceptron.py` and record `errors_`, the points they get wrong after each epoch.

# %%
perceptron = Perceptron(random_state=0).fit(X, gates["AND"])
print("perceptron on AND, misclassified after each epoch:", perceptron.errors_[:10], "...")
adaline = Adaline(random_state=0).fit(X, gates["XOR"])
print("Adaline on XOR, misclassified after each epoch:   ", adaline.errors_[:10], "...")
print("Adaline on XOR, its squared error at the end:", round(adaline.loss_curve_[-1], 4))

# %%
errors, models = ancestors()
show(ancestors_errors(errors), CAPTIONS["ancestors_errors"])

# %% [markdown]
# Why never on XOR? Each model's decision boundary is a straight line `w1 x1 + w2 x2 + b = 0`.
# The two points of class 1, (0, 1) and (1, 0), sit on one diagonal and the two of class 0 on
# the other: any line that puts both 1s on one side puts at least one 0 with them. Here are
# the lines they learned:

# %%
show(ancestors_lines(models), CAPTIONS["ancestors_lines"])

# %% [markdown]
# Over ten seeds, the best either manages on XOR is three points of four, and
# scikit-learn's own `Perceptron` does no better. One hidden layer (the second generation)
# gets all four:

# %%
counts, _ = xor_single_layer(seeds=10)
for key in ("perceptron", "adaline", "sklearn_perceptron"):
    print(f"{key:>19}: points right per seed {counts[key]['right_per_seed']}, "
          f"best {counts[key]['best']}")
print(f"{'MLP, 8 hidden units':>19}: {counts['mlp']} of 4")
assert max(counts[k]["best"] for k in ("perceptron", "adaline", "sklearn_perceptron")) <= 3
assert counts["mlp"] == 4
