"""Batches: every sample once per epoch, seeded shuffles, the partial batch kept or dropped, no copies."""

import numpy as np
import pytest

from striate.datasets import Batches


def data(n=10):
    x = np.arange(n * 4, dtype=np.float32).reshape(n, 2, 2, 1)
    return x, np.arange(n)


def test_every_sample_once_per_epoch_with_the_last_batch_kept():
    x, y = data(10)
    batches = Batches(x, y, batch_size=4, seed=0)
    assert len(batches) == 3 and batches.num_samples == 10
    for _ in range(2):
        got = list(batches)
        assert [len(yb) for _, yb in got] == [4, 4, 2]
        ys = np.concatenate([yb for _, yb in got])
        assert sorted(ys.tolist()) == list(range(10))
        for xb, yb in got:  # images stay with their labels
            np.testing.assert_array_equal(xb, x[yb])


def test_drop_last():
    x, y = data(10)
    batches = Batches(x, y, batch_size=4, drop_last=True, seed=0)
    assert len(batches) == 2 and batches.num_samples == 8
    assert [len(yb) for _, yb in batches] == [4, 4]


def test_shuffles_differ_between_epochs_and_repeat_with_the_seed():
    x, y = data(50)
    a, b = Batches(x, y, 50, seed=1), Batches(x, y, 50, seed=1)
    epoch1, epoch2 = next(iter(a))[1], next(iter(a))[1]
    assert not np.array_equal(epoch1, epoch2)
    np.testing.assert_array_equal(epoch1, next(iter(b))[1])
    np.testing.assert_array_equal(epoch2, next(iter(b))[1])


def test_without_shuffle_batches_are_views_of_the_data():
    x, y = data(10)
    batches = list(Batches(x, y, 4, shuffle=False))
    assert [yb.tolist() for _, yb in batches] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    assert all(np.shares_memory(xb, x) for xb, _ in batches)


def test_shuffled_batches_copy_only_one_batch():
    x, y = data(10)
    xb, _ = next(iter(Batches(x, y, 4, seed=0)))
    assert not np.shares_memory(xb, x) and xb.nbytes == 4 * x[0].nbytes


def test_transform_applies_to_x_only_and_x_alone():
    x, y = data(6)
    out = list(Batches(x, y, 3, shuffle=False, transform=lambda xb: -xb))
    np.testing.assert_array_equal(out[0][0], -x[:3])
    np.testing.assert_array_equal(out[0][1], y[:3])
    only_x = list(Batches(x, batch_size=3, shuffle=False))
    np.testing.assert_array_equal(only_x[1], x[3:])


@pytest.mark.parametrize("kwargs,message", [
    (dict(batch_size=0), r"Batches: batch_size must be a positive int, got 0"),
    (dict(batch_size=2.5), r"Batches: batch_size must be a positive int, got 2.5"),
    (dict(y=np.zeros(3)), r"Batches: x has 10 samples but y has 3"),
    (dict(transform="flip"), r"Batches: transform must be callable, got 'flip'"),
])
def test_bad_arguments(kwargs, message):
    x, y = data(10)
    with pytest.raises(ValueError, match=message):
        Batches(x, **{"y": y, **kwargs})
