"""``TorchMLPClassifier`` and ``TorchMLPRegressor``: scikit-learn estimators over ``torch.nn``.

They share scratch's estimator shell and epoch loop (validation, labels, batching, stopping,
``warm_start``, ``partial_fit``) and replace everything a framework does: the model is a
``TorchMLP``, gradients come from autograd, updates from ``torch.optim``, and, under
``conventions="torch"``, the initial weights from ``nn.Linear``'s own init and the epoch order
from a seeded ``torch.Generator``. Every random draw comes from generators a fit makes for
itself (seeded from ``random_state``), never from torch's global generator: fits in threads
give the same weights as serial ones, and the caller's torch RNG is left alone.

``conventions="sklearn"`` (the default) converts every difference, so that the twin follows
``sklearn.neural_network.MLPClassifier`` step by step; ``"torch"`` is what a PyTorch user
writes by default; a dict switches single conventions (see ``scratch.conventions``).
"""

from typing import Any, Self

import numpy as np
import torch

import scratch
from reference.twin.exchange import weights_from_torch
from reference.twin.torch_mlp import TorchMLP
from reference.twin.torch_network import TorchNetwork
from reference.twin.torch_optimizers import TorchAdam, TorchSGD, make_torch_optimizer
from scratch.layers.initialization import glorot_uniform

_SEED_RANGE = np.iinfo(np.int32).max


class _TorchMixin:
    """The framework-specific pieces of the estimators, done with torch."""

    def _device(self) -> torch.device:
        device = torch.device(self.device)
        if device.type == "cuda" and not torch.cuda.is_available():
            raise ValueError("device='cuda' was asked for, but torch finds no CUDA device.")
        return device

    def _network(self, rng: np.random.Generator | None = None,
                 dtype: np.dtype | None = None) -> TorchNetwork:
        generator = None
        if rng is not None:  # dropout masks from a torch generator of this fit, seeded from ours
            generator = torch.Generator(self._device()).manual_seed(int(rng.integers(_SEED_RANGE)))
        coefs, intercepts = self.coefs_, self.intercepts_
        if dtype is not None:
            coefs = [W.astype(dtype, copy=False) for W in coefs]
            intercepts = [b.astype(dtype, copy=False) for b in intercepts]
        return TorchNetwork(coefs, intercepts, self.activation,
                            self.out_activation_, self._fitted_conventions(),
                            device=self._device(),
                            negative_slope=self.negative_slope, dropout=self.dropout,
                            decay_in_optimizer=self.solver != "lbfgs", generator=generator)

    def _initial_weights(self, layer_units: list[int], dtype: np.dtype
                         ) -> tuple[list[np.ndarray], list[np.ndarray]]:
        if self._conventions["init"] == "sklearn":
            return glorot_uniform(layer_units, self.activation, self._random_state, dtype)
        generator = torch.Generator().manual_seed(int(self._random_state.randint(_SEED_RANGE)))
        torch_dtype = torch.float32 if dtype == np.float32 else torch.float64
        model = TorchMLP(layer_units, self.activation, dtype=torch_dtype, generator=generator)
        coefs, intercepts = weights_from_torch(model)
        return ([W.astype(dtype) for W in coefs], [b.astype(dtype) for b in intercepts])

    def _permute(self, sample_idx: np.ndarray) -> np.ndarray:
        if self._conventions["shuffle"] == "sklearn":
            return super()._permute(sample_idx)
        if self._torch_generator is None:
            seed = int(self._random_state.randint(_SEED_RANGE))
            self._torch_generator = torch.Generator().manual_seed(seed)
        return torch.randperm(len(sample_idx), generator=self._torch_generator).numpy()

    def _new_optimizer(self, net: TorchNetwork) -> TorchSGD | TorchAdam:
        return make_torch_optimizer(self, net.params, self._conventions)

    def _fit(self, *args: Any, **kwargs: Any) -> Self:
        self._torch_generator = None  # the epoch order's generator, made on first use
        try:  # a fit needs autograd, even when called under torch.no_grad() or inference_mode()
            with torch.inference_mode(False), torch.enable_grad():
                return super()._fit(*args, **kwargs)
        finally:
            del self._torch_generator

    def _check_params(self) -> tuple[list[int], dict[str, str]]:
        checked = super()._check_params()
        self._device()
        return checked


class TorchMLPClassifier(_TorchMixin, scratch.MLPClassifier):
    """scikit-learn's ``MLPClassifier`` interface over a ``torch.nn`` model.

    Takes every parameter of ``scratch.MLPClassifier`` (scikit-learn's, plus ``dropout``,
    ``negative_slope`` and ``conventions``) and ``device`` ("cpu"; "cuda" when asked and
    available). The dtype follows X. ``coefs_`` and ``intercepts_`` are read from the torch
    parameters in scikit-learn's layout (n_in, n_out).
    """

    _parameter_constraints = {**scratch.MLPClassifier._parameter_constraints,
                              "device": [str, torch.device]}

    def __init__(self, hidden_layer_sizes: int | tuple[int, ...] = (100,),
                 activation: str = "relu", *,
                 solver: str = "adam", alpha: float = 0.0001, batch_size: int | str = "auto",
                 learning_rate: str = "constant", learning_rate_init: float = 0.001,
                 power_t: float = 0.5, max_iter: int = 200, shuffle: bool = True,
                 random_state: int | np.random.RandomState | None = None, tol: float = 1e-4,
                 verbose: bool | int = False, warm_start: bool = False, momentum: float = 0.9,
                 nesterovs_momentum: bool = True, early_stopping: bool = False,
                 validation_fraction: float = 0.1, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-8, n_iter_no_change: int | float = 10,
                 max_fun: int = 15000, dropout: float = 0.0, negative_slope: float = 0.01,
                 conventions: str | dict = "sklearn", device: str | torch.device = "cpu") -> None:
        super().__init__(
            hidden_layer_sizes=hidden_layer_sizes, activation=activation, solver=solver,
            alpha=alpha, batch_size=batch_size, learning_rate=learning_rate,
            learning_rate_init=learning_rate_init, power_t=power_t, max_iter=max_iter,
            shuffle=shuffle, random_state=random_state, tol=tol, verbose=verbose,
            warm_start=warm_start, momentum=momentum, nesterovs_momentum=nesterovs_momentum,
            early_stopping=early_stopping, validation_fraction=validation_fraction,
            beta_1=beta_1, beta_2=beta_2, epsilon=epsilon, n_iter_no_change=n_iter_no_change,
            max_fun=max_fun, dropout=dropout, negative_slope=negative_slope,
            conventions=conventions)
        self.device = device


class TorchMLPRegressor(_TorchMixin, scratch.MLPRegressor):
    """scikit-learn's ``MLPRegressor`` interface over a ``torch.nn`` model (see
    ``TorchMLPClassifier`` for the extra parameters)."""

    _parameter_constraints = {**scratch.MLPRegressor._parameter_constraints,
                              "device": [str, torch.device]}

    def __init__(self, loss: str = "squared_error",
                 hidden_layer_sizes: int | tuple[int, ...] = (100,), activation: str = "relu", *,
                 solver: str = "adam", alpha: float = 0.0001, batch_size: int | str = "auto",
                 learning_rate: str = "constant", learning_rate_init: float = 0.001,
                 power_t: float = 0.5, max_iter: int = 200, shuffle: bool = True,
                 random_state: int | np.random.RandomState | None = None, tol: float = 1e-4,
                 verbose: bool | int = False, warm_start: bool = False, momentum: float = 0.9,
                 nesterovs_momentum: bool = True, early_stopping: bool = False,
                 validation_fraction: float = 0.1, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-8, n_iter_no_change: int | float = 10,
                 max_fun: int = 15000, dropout: float = 0.0, negative_slope: float = 0.01,
                 conventions: str | dict = "sklearn", device: str | torch.device = "cpu") -> None:
        super().__init__(
            loss=loss, hidden_layer_sizes=hidden_layer_sizes, activation=activation,
            solver=solver, alpha=alpha, batch_size=batch_size, learning_rate=learning_rate,
            learning_rate_init=learning_rate_init, power_t=power_t, max_iter=max_iter,
            shuffle=shuffle, random_state=random_state, tol=tol, verbose=verbose,
            warm_start=warm_start, momentum=momentum, nesterovs_momentum=nesterovs_momentum,
            early_stopping=early_stopping, validation_fraction=validation_fraction,
            beta_1=beta_1, beta_2=beta_2, epsilon=epsilon, n_iter_no_change=n_iter_no_change,
            max_fun=max_fun, dropout=dropout, negative_slope=negative_slope,
            conventions=conventions)
        self.device = device
