"""Mini-batches and the epoch shuffle, in scikit-learn's order."""

import warnings
from collections.abc import Iterator

import numpy as np


def resolve_batch_size(batch_size: int | str, n_samples: int) -> int:
    """'auto' is min(200, n_samples); an int above n_samples is clipped, with a warning."""
    if batch_size == "auto":
        return min(200, n_samples)
    if batch_size > n_samples:
        warnings.warn(
            "Got `batch_size` less than 1 or larger than sample size. It is going to be clipped"
        )
    return int(np.clip(batch_size, 1, n_samples))


def gen_batches(n_samples: int, batch_size: int) -> Iterator[slice]:
    """Consecutive slices of ``batch_size`` samples; the last one may be shorter."""
    for start in range(0, n_samples, batch_size):
        yield slice(start, min(start + batch_size, n_samples))


def shuffle_indices(sample_idx: np.ndarray, random_state: np.random.RandomState) -> np.ndarray:
    """Return ``sample_idx`` permuted by one draw of ``random_state``.

    scikit-learn permutes the previous epoch's order rather than a fresh ``arange``, so the
    orders compose from epoch to epoch: idx = idx[permutation(n)].
    """
    return sample_idx[random_state.permutation(len(sample_idx))]
