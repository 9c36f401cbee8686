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
        np.testing.assert_allclose(fast.max_pool2d_backward(dy, cache, k, s, p),
                                   reference.max_pool2d_backward(dy, switches, k, s, p), rtol=tol, atol=tol)
        finite = np.nan_to_num(x, posinf=5, neginf=-5)
        np.testing.assert_allclose(fast.avg_pool2d(finite, k, s, p), reference.avg_pool2d(finite, k, s, p), rtol=tol,
                                   atol=tol)
        np.testing.assert_allclose(fast.avg_pool2d_backward(dy, x.shape, k, s, p),
                                   reference.avg_pool2d_backward(dy, x.shape, k, s, p), rtol=tol, atol=tol)
