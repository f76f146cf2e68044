# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 7. Dropout against over-fitting, with honest evidence
#
# Dropout (Hinton, Srivastava, Krizhevsky, Sutskever and Salakhutdinov, 2012) switches off each
# hidden unit with probability p at every training step, so that no unit can rely on a
# particular partner being there. scikit-learn's MLP has no dropout; both twins here do
# (`dropout=`), as inverted dropout: kept units are scaled by 1 / (1 - p) during training, so
# nothing changes at prediction time. `scratch/layers/dropout.py` is the whole layer:

# %%
import inspect

from comparisons.report.lecture import dropout_gap
from comparisons.report.lecture_figures import CAPTIONS, dropout
from comparisons.report.plotting import show
from scratch.layers.dropout import Dropout

print(inspect.getsource(Dropout.forward))

# %% [markdown]
# Does it help? An effect measured on one split of the data can be noise, so we over-fit on
# purpose (200 training digits, two hidden layers of 256 units, no L2, Adam) on eight
# different splits, with and without dropout 0.5, and compare them split by split (a paired
# comparison: each split's difference, then their mean and its standard error). Both are
# evaluated every 10 epochs on their training and test parts.

# %%
result = dropout_gap(seeds=8, epochs=60, hidden=(256, 256), every=10)
for key, label in (("without", "no dropout"), ("with", "dropout 0.5")):
    s = result[f"{key}_summary"]
    print(f"{label:>12}: training accuracy {s['train']:.4f}, test accuracy {s['test']:.4f}, "
          f"gap {s['gap']:.4f}")
for key, what in (("test_accuracy", "test accuracy"), ("test_loss", "test log loss"),
                  ("gap", "train-test gap")):
    e = result["effect"][key]
    z = abs(e["mean"]) / e["standard_error"]
    print(f"dropout minus none, {what:>15}: {e['mean']:+.4f} +- {e['standard_error']:.4f} "
          f"({z:.1f} standard errors from 0)")

# %%
show(dropout(result), CAPTIONS["dropout"])

# %% [markdown]
# Read the numbers with their uncertainty: an effect within about two standard errors of 0
# is not distinguishable from the seed-to-seed noise of this setting, and one beyond it is
# a finding about *this* setting (this data, this network, these epochs), not a law. Dropout
# keeps the training loss well above the over-fitted network's, as it should: the units
# cannot memorise the 200 examples as freely. The report (`python -m comparisons`) repeats
# the experiment with more seeds and states the effect the same way.
