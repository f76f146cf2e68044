"""What scratch is held against, and what holds *your* code against the references.

The map:

- ``twin/``: the PyTorch twin: ``torch_estimators`` (``TorchMLPClassifier``,
  ``TorchMLPRegressor``) over ``torch_mlp`` (the ``nn.Module``), ``torch_network`` (its loss
  and gradients), ``torch_losses`` and ``torch_optimizers``; ``exchange`` (weights between
  scikit-learn, scratch and torch: ``transfer``) and ``sklearn_adapters`` (scikit-learn's
  own gradients at given weights, fits from given weights).
- ``checking/``: the checkers: ``backprop/`` (``check_backprop``: a whole network's
  backward pass, its conventions found and its mistakes named), ``layer/``
  (``check_layer``: one layer's backward pass, batchnorm to conv2d), ``optimizer/``
  (``check_optimizer``: an optimizer step against ``torch.optim`` and scikit-learn's),
  ``compare`` (one array against its reference: the measure every verdict uses),
  ``structures`` (reading arrays in the forms people keep them), and ``gradients`` (one
  gradient question answered by scratch, torch, scikit-learn and finite differences).
- ``grading/``: the notebooks' exercises and their grader (``exercises``), and the command
  that grades a submission; ``grade.py`` is its entry point, ``python -m reference.grade``.
- ``pytest_plugin.py``: the checkers in your own test suite (the ``checks`` fixture, its
  summary and ``--checks-json``), installed as the pytest plugin ``mlp_twins``.
"""

import importlib

# Each public name and the module it lives in. They are imported on first use (PEP 562), so
# that ``import reference.pytest_plugin`` or ``python -m reference.grade --help`` does not
# pay for torch; ``from reference import check_backprop`` works as always.
_WHERE = {
    "check_backprop": "reference.checking.backprop.check",
    "assert_backprop": "reference.checking.backprop.check",
    "BackpropReport": "reference.checking.backprop.check",
    "reproducible": "reference.checking.backprop.check",
    "NODES": "reference.checking.backprop.nodes",
    "check_optimizer": "reference.checking.optimizer.check",
    "OptimizerReport": "reference.checking.optimizer.check",
    "compare": "reference.checking.compare",
    "Comparison": "reference.checking.compare",
    "check_layer": "reference.checking.layer.check",
    "assert_layer": "reference.checking.layer.check",
    "LayerReport": "reference.checking.layer.check",
    "check_function": "reference.checking.function.check",
    "assert_function": "reference.checking.function.check",
    "FunctionReport": "reference.checking.function.report",
    "check_model": "reference.checking.function.model",
    "transfer": "reference.twin.exchange",
    "load_into_torch": "reference.twin.exchange",
    "weights_from_torch": "reference.twin.exchange",
    "TorchMLPClassifier": "reference.twin.torch_estimators",
    "TorchMLPRegressor": "reference.twin.torch_estimators",
}
__all__ = list(_WHERE)


def __getattr__(name: str) -> object:
    if name not in _WHERE:
        raise AttributeError(f"module 'reference' has no attribute {name!r}")
    value = getattr(importlib.import_module(_WHERE[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(list(globals()) + __all__)
