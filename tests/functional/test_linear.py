"""The dense op, reference and fast: finite differences, and the fast one equal to the reference."""

import numpy as np

from striate.functional import linear as reference
from striate.functional import fast

from ..gradcheck import check_op


def test_reference_backward_matches_finite_differences(rng):
    x, kernel, bias = rng.standard_normal((4, 5)), rng.standard_normal((5, 3)), rng.standard_normal(3)
    y, cache = reference.dense(x, kernel, bias)
    dy = rng.standard_normal(y.shape)
    grads = reference.dense_backward(dy, cache, kernel)
    check_op(lambda: reference.dense(x, kernel, bias)[0], grads, (x, kernel, bias), dy)


def test_fast_equals_the_reference(rng):
    shapes = [(1, 1, 1), (64, 400, 120)] + [tuple(int(v) for v in rng.integers(1, 40, 3)) for _ in range(20)]
    for n, i, o in shapes:
        x, kernel, bias = rng.standard_normal((n, i)), rng.standard_normal((i, o)), rng.standard_normal(o)
        y_ref, cache_ref = reference.dense(x, kernel, bias)
        y, cache = fast.dense(x, kernel, bias)
        np.testing.assert_allclose(y, y_ref, rtol=1e-12)
        dy = rng.standard_normal(y.shape)
        for a, b in zip(fast.dense_backward(dy, cache, kernel), reference.dense_backward(dy, cache_ref, kernel)):
            np.testing.assert_allclose(a, b, rtol=1e-12)
        assert fast.dense_backward(dy, cache, kernel, input_grad=False)[0] is None
