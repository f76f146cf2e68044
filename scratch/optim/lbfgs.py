"""L-BFGS through ``scipy.optimize``, called exactly as scikit-learn calls it."""

import warnings
from collections.abc import Callable

import numpy as np
import scipy.optimize
from sklearn.exceptions import ConvergenceWarning


def minimize_lbfgs(loss_and_grad: Callable[[np.ndarray], tuple[float, np.ndarray]],
                   x0: np.ndarray, max_iter: int, max_fun: int,
                   tol: float) -> tuple[np.ndarray, float, int]:
    """Minimise ``loss_and_grad(x) -> (loss, grad)`` from ``x0`` (the flat parameter vector).

    L-BFGS-B with ``maxiter=max_iter``, ``maxfun=max_fun`` and ``gtol=tol``, scikit-learn's
    settings. Returns (x, loss, n_iter); warns ``ConvergenceWarning`` when SciPy reports that
    it did not converge, with scikit-learn's message.
    """
    result = scipy.optimize.minimize(
        loss_and_grad,
        x0,
        method="L-BFGS-B",
        jac=True,
        options={"maxfun": max_fun, "maxiter": max_iter, "gtol": tol},
    )
    n_iter = min(result.nit, max_iter)
    if result.status != 0:
        message = (
            f"lbfgs failed to converge after {n_iter} iteration(s) "
            f"(status={result.status}):\n{result.message}\n"
        )
        if n_iter == max_iter:
            message += (
                "\nIncrease the number of iterations to improve the "
                f"convergence (max_iter={max_iter})."
            )
        message += (
            "\nYou might also want to scale the data as shown in:\n"
            "    https://scikit-learn.org/stable/modules/preprocessing.html"
        )
        warnings.warn(message, ConvergenceWarning, stacklevel=3)
    return result.x, result.fun, n_iter
