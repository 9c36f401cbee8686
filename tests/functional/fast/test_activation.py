"""The fast ReLU backward equals the reference (striate.functional.activation) and hands
back a new, 64-byte-aligned array."""

import numpy as np
import pytest

from striate.functional import activation as reference
from striate.functional import fast
from striate.functional.fast.workspace import ALIGN


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(1, 1), (3, 5, 7, 2), (64, 28, 28, 32), (10,)])
def test_fast_relu_backward_equals_the_reference(shape, dtype, rng):
    y = np.maximum(rng.standard_normal(shape), 0).astype(dtype)
    y.flat[:: 7] = 0.0  # exact zeros: inactive, as in the reference
    y.flat[3 % y.size] = np.nan  # a NaN unit sends nothing back in both
    dy = rng.standard_normal(shape).astype(dtype)
    dx = fast.relu_backward(dy, y)
    np.testing.assert_array_equal(dx, reference.relu_backward(dy, y))
    assert dx.dtype == dtype and dx.ctypes.data % ALIGN == 0
    assert not np.shares_memory(dx, dy) and not np.shares_memory(dx, y)


def test_fast_relu_backward_of_a_view_and_mixed_dtypes(rng):
    y = np.maximum(rng.standard_normal((6, 8)), 0).astype(np.float32)[:, ::2]  # strided
    dy = rng.standard_normal((6, 4))  # float64 gradient
    np.testing.assert_array_equal(fast.relu_backward(dy, y), reference.relu_backward(dy, y))
