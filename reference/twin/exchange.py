"""Weights between scikit-learn, scratch and torch, in any direction.

scikit-learn (and scratch) keep ``coefs_[i]`` of shape (n_in, n_out) and ``intercepts_[i]``
of shape (n_out,); ``nn.Linear`` keeps ``weight`` of shape (n_out, n_in). Moving weights is a
transpose and a copy, bit-exact both ways. ``transfer`` moves a whole fitted model between
estimators, so that a model fitted by any of the three predicts with either of the others.
"""

import copy

import numpy as np
import torch
from sklearn.base import BaseEstimator, is_classifier

from reference.twin.torch_mlp import TorchMLP
from scratch.network import unpack_flat


def load_into_torch(module: TorchMLP, coefs: list[np.ndarray],
                    intercepts: list[np.ndarray]) -> TorchMLP:
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


def weights_from_torch(module: TorchMLP) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """(coefs, intercepts) in scikit-learn's layout, as NumPy copies of the torch weights."""
    coefs = [linear.weight.detach().cpu().numpy().T.copy() for linear in module.linears]
    intercepts = [linear.bias.detach().cpu().numpy().copy() for linear in module.linears]
    return coefs, intercepts


def flat_from_torch(tensors: list[torch.Tensor]) -> np.ndarray:
    """Tensors shaped like a ``TorchMLP``'s parameters, [W0, b0, W1, b1, ...] with W as
    (n_out, n_in), packed as scikit-learn packs its parameters: every W^T row-major, then
    every b. A copy, on the CPU."""
    arrays = [t.detach().cpu().numpy() for t in tensors]
    return np.concatenate([W.T.ravel() for W in arrays[0::2]] + arrays[1::2])


def torch_from_flat(flat: np.ndarray, like: list[torch.Tensor]) -> list[torch.Tensor]:
    """The inverse of ``flat_from_torch``: new tensors shaped (and typed, and placed) like
    ``like``."""
    coefs, intercepts = unpack_flat(flat, [tuple(W.shape)[::-1] for W in like[0::2]])
    arrays = [a for pair in zip([W.T for W in coefs], intercepts) for a in pair]
    return [torch.as_tensor(np.ascontiguousarray(a), dtype=t.dtype, device=t.device)
            for a, t in zip(arrays, like)]


def one_logit(coefs: list[np.ndarray],
              intercepts: list[np.ndarray]) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """A two-logit softmax output as scikit-learn's single logistic unit: softmax(z0, z1)[1]
    = sigmoid(z1 - z0), so the last layer becomes (W1 - W0, b1 - b0)."""
    W, b = coefs[-1], intercepts[-1]
    return (coefs[:-1] + [W[:, 1:] - W[:, :1]], intercepts[:-1] + [b[1:] - b[:1]])


_FITTED = ["n_layers_", "n_outputs_", "out_activation_", "n_features_in_", "feature_names_in_",
           "classes_", "_label_binarizer"]


def transfer(source: BaseEstimator, target: BaseEstimator) -> BaseEstimator:
    """Give ``target`` the fitted model of ``source`` and return ``target``.

    Both are MLP estimators of the same kind (classifier or regressor) from any of
    scikit-learn, scratch or the torch twin. The target takes the source's architecture and
    activation, copies of its weights and what prediction needs (classes, output activation,
    feature names). A two-logit binary model (torch's convention) becomes one logistic unit
    when the target is scikit-learn, which has no other form.
    """
    if is_classifier(source) != is_classifier(target):
        raise ValueError("transfer needs two classifiers or two regressors.")
    activation = source.activation
    if activation == "leaky_relu" and "leaky_relu" not in _activations_of(target):
        raise ValueError("scikit-learn has no leaky_relu; this model cannot move there.")
    coefs = [np.array(W, copy=True) for W in source.coefs_]
    intercepts = [np.array(b, copy=True) for b in source.intercepts_]
    two_logits = (is_classifier(source) and len(source.classes_) == 2
                  and source.n_outputs_ == 2)
    if two_logits and not hasattr(target, "conventions"):
        coefs, intercepts = one_logit(coefs, intercepts)
    params = {"activation": activation,
              "hidden_layer_sizes": tuple(W.shape[1] for W in coefs[:-1])}
    if hasattr(source, "loss") and not is_classifier(source):
        params["loss"] = source.loss
    if hasattr(target, "negative_slope") and hasattr(source, "negative_slope"):
        params["negative_slope"] = source.negative_slope
    target.set_params(**params)
    for name in _FITTED:
        if name in vars(source):
            setattr(target, name, copy.deepcopy(vars(source)[name]))
    target.coefs_, target.intercepts_ = coefs, intercepts
    target.n_outputs_ = coefs[-1].shape[1]
    if two_logits and target.n_outputs_ == 1:
        target.out_activation_ = "logistic"
    return target


def _activations_of(estimator: BaseEstimator) -> set[str]:
    constraint = type(estimator)._parameter_constraints["activation"][0]
    return constraint.options
