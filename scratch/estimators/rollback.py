"""A failed fit leaves the estimator exactly as it was: ``rollback_on_error``."""

from collections.abc import Iterator
from contextlib import contextmanager

from sklearn.base import BaseEstimator

_GROWING = ("loss_curve_", "validation_scores_", "validation_loss_curve_")


@contextmanager
def rollback_on_error(est: BaseEstimator) -> Iterator[None]:
    """On any exception, put back every fitted (``x_``) and private (``_x``) attribute.

    A fit never writes into the arrays it starts from (it trains a network holding a copy of
    the weights, and replaces ``coefs_`` when done), so references are enough for those; what
    it changes in place is copied: the lists it appends to and the optimizer's state, which
    ``partial_fit`` carries from call to call. The cost is that of the optimizer's state, not of
    the whole model.
    """
    saved = {k: v for k, v in vars(est).items() if k.endswith("_") or k.startswith("_")}
    lists = {k: list(saved[k]) for k in _GROWING if isinstance(saved.get(k), list)}
    optimizer = saved.get("_optimizer")
    optimizer_state = optimizer.state() if optimizer is not None else None
    try:
        yield
    except BaseException:
        for name in [k for k in vars(est) if k.endswith("_") or k.startswith("_")]:
            delattr(est, name)
        vars(est).update(saved, **lists)
        if optimizer is not None:
            optimizer.set_state(optimizer_state)
        raise
