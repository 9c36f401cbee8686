"""Validation splits and k-fold cross-validation: seeded, exact partitions."""

import numpy as np
import pytest

from striate.datasets import kfold, split_indices, validation_split


@pytest.mark.parametrize("n,k", [(10, 2), (10, 3), (101, 5), (7, 7)])
def test_kfold_partitions_the_data_exactly(n, k):
    folds = kfold(n, k, seed=0)
    assert len(folds) == k
    vals = np.concatenate([val for _, val in folds])
    assert sorted(vals.tolist()) == list(range(n))  # every index in exactly one validation fold
    sizes = [len(val) for _, val in folds]
    assert max(sizes) - min(sizes) <= 1
    for train, val in folds:
        assert len(np.intersect1d(train, val)) == 0 and len(train) + len(val) == n


def test_kfold_is_seeded():
    a, b, c = kfold(50, 5, seed=3), kfold(50, 5, seed=3), kfold(50, 5, seed=4)
    assert all(np.array_equal(x[1], y[1]) for x, y in zip(a, b))
    assert not all(np.array_equal(x[1], y[1]) for x, y in zip(a, c))


def test_kfold_without_shuffle_is_consecutive_runs():
    assert [val.tolist() for _, val in kfold(7, 3, shuffle=False)] == [[0, 1, 2], [3, 4], [5, 6]]


def test_stratified_kfold_spreads_each_class_evenly(rng):
    labels = np.repeat([0, 1, 2], [30, 20, 10])
    rng.shuffle(labels)
    folds = kfold(60, 5, seed=0, labels=labels)
    assert sorted(np.concatenate([v for _, v in folds]).tolist()) == list(range(60))
    for _, val in folds:
        assert np.bincount(labels[val], minlength=3).tolist() == [6, 4, 2]


@pytest.mark.parametrize("args,message", [
    ((10, 1), r"kfold: k must be an int between 2 and n \(10\), got 1"),
    ((3, 4), r"kfold: k must be an int between 2 and n \(3\), got 4"),
    ((-1, 2), r"kfold: n must be a non-negative int, got -1"),
])
def test_kfold_errors(args, message):
    with pytest.raises(ValueError, match=message):
        kfold(*args)


def test_validation_split_sizes_and_contents(rng):
    x = np.arange(100)[:, None] * np.ones((1, 3))
    y = np.arange(100) % 4
    (xt, yt), (xv, yv) = validation_split(x, y, 0.2, seed=0)
    assert len(xv) == 20 and len(xt) == 80
    assert sorted(np.concatenate([xt[:, 0], xv[:, 0]]).tolist()) == list(range(100))
    np.testing.assert_array_equal(yv, xv[:, 0].astype(int) % 4)  # rows stay with their labels
    (_, _), (xv2, _) = validation_split(x, y, 0.2, seed=0)
    (_, _), (xv3, _) = validation_split(x, y, 0.2, seed=1)
    np.testing.assert_array_equal(xv, xv2)
    assert not np.array_equal(xv, xv3)


def test_stratified_validation_split_keeps_class_shares():
    y = np.repeat([0, 1], [90, 10])
    (_, yt), (_, yv) = validation_split(np.zeros((100, 2)), y, 0.1, seed=0, stratify=True)
    assert np.bincount(yv).tolist() == [9, 1] and np.bincount(yt).tolist() == [81, 9]


@pytest.mark.parametrize("fraction,message", [
    (0, r"fraction must lie strictly between 0 and 1, got 0"),
    (1.5, r"fraction must lie strictly between 0 and 1, got 1.5"),
    (0.01, r"fraction 0.01 of 10 samples gives 0 for validation; expected at least 1 and at most 9"),
])
def test_validation_split_errors(fraction, message):
    with pytest.raises(ValueError, match=message):
        split_indices(10, fraction)


def test_validation_split_needs_aligned_arrays():
    with pytest.raises(ValueError, match=r"validation_split: x has 5 samples but y has 4"):
        validation_split(np.zeros(5), np.zeros(4))
