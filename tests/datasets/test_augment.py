"""Augmentation: shapes, dtypes, value ranges, determinism, and small cases checked by hand or by loops."""

import numpy as np
import pytest

from striate.datasets import (Augment, Batches, Normalize, RandomCrop, RandomFlip, RandomRotation, RandomShift,
                              channel_stats, random_crop, random_flip, random_rotation, rotate, standard)


@pytest.fixture
def images(rng):
    return rng.random((8, 12, 10, 3)).astype(np.float32)  # (N, H, W, C), values in [0, 1)


@pytest.mark.parametrize("transform", [RandomCrop(4), RandomShift(2), RandomFlip(), RandomRotation(15)])
@pytest.mark.parametrize("dtype", [np.float32, np.uint8])
def test_shape_dtype_and_range_are_kept(transform, dtype, images):
    x = (images * 255).astype(np.uint8) if dtype == np.uint8 else images
    out = transform(x, np.random.default_rng(0))
    assert out.shape == x.shape and out.dtype == x.dtype
    assert out.min() >= min(x.min(), 0) and out.max() <= x.max()


@pytest.mark.parametrize("transform", [RandomCrop(3), RandomFlip(), RandomRotation(20)])
def test_the_same_seed_gives_the_same_batch(transform, images):
    a = Augment([transform], seed=5)(images)
    b = Augment([transform], seed=5)(images)
    c = Augment([transform], seed=6)(images)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_random_crop_matches_a_loop_over_samples(images):
    out = random_crop(images, np.random.default_rng(3), padding=2)
    rng = np.random.default_rng(3)  # the same draws, in the same order
    oy, ox = rng.integers(0, 5, 8), rng.integers(0, 5, 8)
    padded = np.pad(images, ((0, 0), (2, 2), (2, 2), (0, 0)))
    for n in range(8):
        np.testing.assert_array_equal(out[n], padded[n, oy[n]: oy[n] + 12, ox[n]: ox[n] + 10])


def test_random_crop_without_padding_is_the_identity(images):
    np.testing.assert_array_equal(random_crop(images, np.random.default_rng(0), padding=0), images)


def test_flip_probability_one_and_zero(images):
    rng = np.random.default_rng(0)
    np.testing.assert_array_equal(random_flip(images, rng, p=1), images[:, :, ::-1])
    np.testing.assert_array_equal(random_flip(images, rng, p=0), images)
    flipped = random_flip(np.repeat(images[:1], 400, axis=0), rng)
    share = np.mean([np.array_equal(f, images[0, :, ::-1]) for f in flipped])
    assert 0.4 < share < 0.6


def test_rotation_by_zero_and_by_a_right_angle():
    x = np.arange(2 * 5 * 5 * 2, dtype=np.float64).reshape(2, 5, 5, 2)
    np.testing.assert_array_equal(rotate(x, [0, 0]), x)
    np.testing.assert_allclose(rotate(x, [90, -90]), np.stack([np.rot90(x[0]), np.rot90(x[1], -1)]), atol=1e-9)
    np.testing.assert_allclose(rotate(x, [180, 180]), x[:, ::-1, ::-1], atol=1e-9)


def test_rotation_fills_the_corners_and_keeps_the_centre():
    x = np.ones((1, 9, 9, 1), np.float32)
    out = rotate(x, [45])
    assert out[0, 0, 0, 0] == 0 and out[0, 4, 4, 0] == 1  # a corner falls outside, the centre stays
    assert out.max() <= 1


def test_small_rotations_stay_within_the_limit():
    # A single bright pixel right of centre must stay within ±10° of where it was.
    x = np.zeros((200, 21, 21, 1))
    x[:, 10, 18] = 1
    out = random_rotation(x, np.random.default_rng(0), max_degrees=10)
    rows, cols = np.meshgrid(np.arange(21) - 10, np.arange(21) - 10, indexing="ij")
    angle = np.degrees(np.arctan2(-(out[..., 0] * rows).sum((1, 2)), (out[..., 0] * cols).sum((1, 2))))
    assert np.abs(angle).max() <= 10.5 and np.abs(angle).max() > 5


def test_uint8_rotation_rounds_back_to_uint8():
    x = np.full((2, 6, 6, 1), 200, np.uint8)
    out = rotate(x, [0, 30])
    assert out.dtype == np.uint8 and out[0].min() == 200 and out[1, 2:4, 2:4].min() == 200


def test_channel_stats_equal_numpy_on_the_whole_array(rng):
    x = rng.integers(0, 256, (37, 5, 4, 3), dtype=np.uint8)
    mean, std = channel_stats(x, chunk=8)  # chunks of 8 images, the last one partial
    np.testing.assert_allclose(mean, x.mean(axis=(0, 1, 2)), rtol=1e-6)
    np.testing.assert_allclose(std, x.std(axis=(0, 1, 2)), rtol=1e-5)
    assert mean.dtype == np.float32 and mean.shape == (3,)


def test_normalize_fitted_on_training_data_gives_zero_mean_unit_std(images):
    shifted = images * np.array([1, 10, 100], np.float32) + np.array([0, 5, -3], np.float32)
    out = Normalize.fit(shifted)(shifted)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.mean(axis=(0, 1, 2)), 0, atol=1e-5)
    np.testing.assert_allclose(out.std(axis=(0, 1, 2)), 1, atol=1e-4)


def test_normalize_by_hand():
    np.testing.assert_allclose(Normalize([1.0], [2.0], eps=0)(np.full((1, 1, 1, 1), 5.0)), [[[[2.0]]]])


def test_standard_augmentation_has_no_flip_for_digits(rng):
    x = rng.random((10, 8, 8, 1)).astype(np.float32)
    assert not any(isinstance(t, RandomFlip) for t in standard("mnist", x).transforms)
    assert any(isinstance(t, RandomFlip) for t in standard("cifar10", x).transforms)
    assert isinstance(standard("mnist", x).transforms[-1], Normalize)


def test_augment_feeds_batches(images):
    aug = Augment([RandomCrop(2), RandomFlip(), Normalize.fit(images)], seed=0)
    shapes = [xb.shape for xb, _ in Batches(images, np.arange(8), 3, seed=0, transform=aug)]
    assert shapes == [(3, 12, 10, 3), (3, 12, 10, 3), (2, 12, 10, 3)]


@pytest.mark.parametrize("make,message", [
    (lambda: RandomCrop(-1), r"RandomCrop: padding must be a non-negative int, got -1"),
    (lambda: RandomFlip(2), r"RandomFlip: p must lie in \[0, 1\], got 2"),
    (lambda: RandomRotation(200), r"RandomRotation: max_degrees must lie in \[0, 180\], got 200"),
    (lambda: Augment([42]), r"Augment: every transform must be callable t\(x, rng\), got 42"),
    (lambda: Augment([])(np.zeros((2, 3))), r"Augment: expected a batch of images \(N, H, W, C\), got shape \(2, 3\)"),
    (lambda: Normalize([0, 0], [1]), r"Normalize: mean and std must be scalars or \(C,\) of one shape"),
    (lambda: Normalize([0], [1])(np.zeros((1, 2, 2, 3))), r"Normalize: fitted on 1 channels, got images"),
    (lambda: channel_stats(np.zeros((0, 2, 2, 1))), r"channel_stats: expected images \(N, H, W, C\) with N ≥ 1"),
])
def test_bad_arguments(make, message):
    with pytest.raises(ValueError, match=message):
        make()
