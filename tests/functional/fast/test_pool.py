"""The fast pooling kernels equal the reference (striate.functional.pool) on random
configurations: tiles and overlapping windows, padding, odd sizes, ties, batch 1."""

import numpy as np
import pytest

from striate.functional import fast
from striate.functional import pool as reference


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_fast_pooling_equals_the_reference(seed, dtype):
    rng = np.random.default_rng(seed)
    tol = 1e-5 if dtype == np.float32 else 1e-12
    for _ in range(15):
        k = tuple(int(v) for v in rng.integers(1, 4, 2))
        s = k if rng.integers(0, 2) else tuple(int(v) for v in rng.integers(1, 4, 2))
        p = tuple(tuple(int(v) for v in rng.integers(0, ki // 2 + 1, 2)) for ki in k)
        n, h, w, c = int(rng.choice([1, 3])), int(rng.integers(k[0], 9)), int(rng.integers(k[1], 9)), 2
        x = rng.integers(0, 4, (n, h, w, c)).astype(dtype)  # few values: many ties
        x[rng.random(x.shape) < 0.1] = np.inf  # and some ±∞: both pick the same switch, even among −∞ alone
        x[rng.random(x.shape) < 0.1] = -np.inf
        y_ref, switches = reference.max_pool2d(x, k, s, p)
        dy = rng.standard_normal(y_ref.shape).astype(dtype)
        y, cache = fast.max_pool2d(x, k, s, p)
        np.testing.assert_array_equal(y, y_ref)
        expected = reference.max_pool2d_backward(dy, switches, k, s, p)
        np.testing.assert_allclose(fast.max_pool2d_backward(dy, cache, k, s, p), expected, rtol=tol, atol=tol)
        np.testing.assert_allclose(fast.max_pool2d_backward(dy, cache, k, s, p, method="taps"), expected, rtol=tol,
                                   atol=tol)
        if s == k and p == ((0, 0), (0, 0)) and h % k[0] == 0 and w % k[1] == 0:
            np.testing.assert_allclose(fast.max_pool2d_backward(dy, cache, k, s, p, method="mask"), expected,
                                       rtol=tol, atol=tol)
        finite = np.nan_to_num(x, posinf=5, neginf=-5)
        np.testing.assert_allclose(fast.avg_pool2d(finite, k, s, p), reference.avg_pool2d(finite, k, s, p), rtol=tol,
                                   atol=tol)
        np.testing.assert_allclose(fast.avg_pool2d_backward(dy, x.shape, k, s, p),
                                   reference.avg_pool2d_backward(dy, x.shape, k, s, p), rtol=tol, atol=tol)


@pytest.mark.parametrize("values", ["distinct", "ties"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_tiled_max_pooling_backward_equals_the_reference(values, dtype):
    """Windows that tile the input (2×2 and 3×2, stride = kernel), both backward methods;
    with distinct values every window has one winner, with few values the ties are
    resolved to the first maximum, as the reference's switches say."""
    rng = np.random.default_rng(7)
    for k, shape in [((2, 2), (3, 8, 6, 5)), ((3, 2), (2, 9, 4, 3)), ((2, 2), (1, 2, 2, 1)),
                     ((2, 2), (16, 28, 28, 32))]:  # the last large enough for the rule to pick "mask"
        x = (rng.permutation(np.prod(shape)).reshape(shape) if values == "distinct"
             else rng.integers(0, 3, shape)).astype(dtype)
        y_ref, switches = reference.max_pool2d(x, k, k)
        dy = rng.standard_normal(y_ref.shape).astype(dtype)
        y, cache = fast.max_pool2d(x, k, k)
        np.testing.assert_array_equal(y, y_ref)
        for method in ("mask", "taps", None):
            np.testing.assert_array_equal(fast.max_pool2d_backward(dy, cache, k, k, method=method),
                                          reference.max_pool2d_backward(dy, switches, k, k))


def test_tiled_max_pooling_backward_sends_nothing_from_a_nan_window():
    """A window holding NaN has no winner; with a tie in another window, the number of
    matches equals the number of windows, and the tie must still go to its first pixel."""
    x = np.arange(16, dtype=np.float32).reshape(1, 4, 4, 1)
    x[0, 0, 0, 0] = np.nan  # window (0, 0): NaN
    x[0, 3, 2, 0] = 15.0  # window (1, 1): a two-way tie (14 → 15), so the matches number four
    dy = np.array([1.0, 2.0, 3.0, 4.0], dtype=np.float32).reshape(1, 2, 2, 1)
    y, cache = fast.max_pool2d(x, (2, 2), (2, 2))
    dx = fast.max_pool2d_backward(dy, cache, (2, 2), (2, 2), method="mask")[0, :, :, 0]
    expected = np.zeros((4, 4), np.float32)
    expected[1, 3], expected[3, 1], expected[3, 2] = 2.0, 3.0, 4.0  # windows (0, 1), (1, 0), (1, 1)
    np.testing.assert_array_equal(dx, expected)


def test_max_pool2d_backward_names_a_wrong_method():
    x = np.zeros((1, 4, 4, 1), np.float32)
    y, cache = fast.max_pool2d(x, (2, 2), (2, 2))
    with pytest.raises(ValueError, match="method must be one of mask, taps, got 'scatter'"):
        fast.max_pool2d_backward(np.ones_like(y), cache, (2, 2), (2, 2), method="scatter")
    y, cache = fast.max_pool2d(x, (3, 3), (1, 1))
    with pytest.raises(ValueError, match="method 'mask' needs windows that tile the input"):
        fast.max_pool2d_backward(np.ones_like(y), cache, (3, 3), (1, 1), method="mask")
