"""Seeded splits: a validation split by fraction and k-fold cross-validation.

Both work on indices, so a caller can split images, labels and anything aligned with them
alike; with `labels` they are stratified (each class spread over the parts in proportion).
"""

from __future__ import annotations

import numpy as np


def _check_n(n, where: str) -> int:
    if not isinstance(n, (int, np.integer)) or n < 0:
        raise ValueError(f"{where}: n must be a non-negative int, got {n!r}")
    return int(n)


def _shuffled(n: int, rng, labels) -> np.ndarray:
    """A permutation of range(n); with labels, grouped by class, each class shuffled."""
    if labels is None:
        return rng.permutation(n)
    labels = np.asarray(labels)
    if labels.shape != (n,):
        raise ValueError(f"labels must have shape ({n},), got {labels.shape}")
    order = rng.permutation(n)
    return order[np.argsort(labels[order], kind="stable")]


def split_indices(n, fraction: float, seed=None, labels=None) -> tuple[np.ndarray, np.ndarray]:
    """(train_idx, val_idx): a seeded random `fraction` of range(n) for validation.

    The validation part has round(n · fraction) indices (per class when labels are given),
    at least one, and leaves at least one for training. Both come back sorted.
    """
    n = _check_n(n, "split_indices")
    if not 0 < fraction < 1:
        raise ValueError(f"split_indices: fraction must lie strictly between 0 and 1, got {fraction!r}")
    rng = np.random.default_rng(seed)
    if labels is None:
        order = rng.permutation(n)
        n_val = int(round(n * fraction))
        val = order[:n_val]
    else:
        labels = np.asarray(labels)
        order = _shuffled(n, rng, labels)
        grouped = labels[order]
        starts = np.searchsorted(grouped, np.unique(grouped))
        counts = np.diff(np.append(starts, n))
        val = np.concatenate([order[s: s + int(round(c * fraction))] for s, c in zip(starts, counts)] or [[]])
        n_val = len(val)
    if n_val < 1 or n_val > n - 1:
        raise ValueError(f"split_indices: fraction {fraction} of {n} samples gives {n_val} for validation; "
                         f"expected at least 1 and at most {n - 1}")
    mask = np.zeros(n, bool)
    mask[val.astype(np.intp)] = True
    return np.flatnonzero(~mask), np.flatnonzero(mask)


def validation_split(x, y, fraction: float = 0.1, seed=None, stratify: bool = False):
    """((x_train, y_train), (x_val, y_val)): hold out a seeded random `fraction` of (x, y).

    Args:
        x: samples (N, ...); y: labels (N,).
        fraction: share for validation, 0 < fraction < 1.
        stratify: keep each class's share the same in both parts.
    """
    x, y = np.asarray(x), np.asarray(y)
    if len(x) != len(y):
        raise ValueError(f"validation_split: x has {len(x)} samples but y has {len(y)}")
    train, val = split_indices(len(x), fraction, seed, labels=y if stratify else None)
    return (x[train], y[train]), (x[val], y[val])


def kfold(n, k: int = 5, seed=None, shuffle: bool = True, labels=None) -> list[tuple[np.ndarray, np.ndarray]]:
    """k (train_idx, val_idx) pairs whose validation parts partition range(n) exactly.

    Fold sizes differ by at most one. Without shuffle the folds are consecutive runs;
    with labels they are stratified (samples of each class dealt round the folds in turn).
    """
    n = _check_n(n, "kfold")
    if not isinstance(k, (int, np.integer)) or not 2 <= k <= n:
        raise ValueError(f"kfold: k must be an int between 2 and n ({n}), got {k!r}")
    if labels is not None:
        order = _shuffled(n, np.random.default_rng(seed), labels)
        fold_of = np.empty(n, np.intp)
        fold_of[order] = np.arange(n) % k
        folds = [np.flatnonzero(fold_of == i) for i in range(k)]
    else:
        order = np.random.default_rng(seed).permutation(n) if shuffle else np.arange(n)
        folds = [np.sort(part) for part in np.array_split(order, k)]
    everything = np.arange(n)
    return [(np.setdiff1d(everything, val, assume_unique=True), val) for val in folds]
