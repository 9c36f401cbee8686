"""The reference pooling (striate.functional.pool): switches, finite differences, PyTorch."""

import numpy as np
import pytest

from striate.functional import pool as F

from .. import naive
from ..gradcheck import check_op

# (kernel, stride, padding)
CONFIGS = [
    ((2, 2), (2, 2), ((0, 0), (0, 0))),
    ((3, 3), (2, 2), ((1, 1), (1, 1))),  # overlapping, padded
    ((3, 2), (1, 2), ((1, 0), (0, 1))),
    ((2, 3), (3, 1), ((0, 1), (1, 1))),
]


def test_the_switches_send_each_gradient_to_its_window_maximum():
    x = np.array([[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]], float)[None, :, :, None]
    y, switches = F.max_pool2d(x, (2, 2), (2, 2))
    np.testing.assert_array_equal(y[0, :, :, 0], [[6, 8], [3, 4]])
    dx = F.max_pool2d_backward(np.array([[10.0, 20], [30, 40]])[None, :, :, None], switches, (2, 2), (2, 2))
    np.testing.assert_array_equal(dx[0, :, :, 0], [[0, 0, 0, 0], [0, 10, 0, 20], [30, 0, 0, 0], [0, 0, 0, 40]])


def test_ties_send_the_gradient_once_to_the_first_maximum():
    x = np.ones((1, 2, 2, 1))
    y, switches = F.max_pool2d(x, (2, 2), (2, 2))
    dx = F.max_pool2d_backward(np.full((1, 1, 1, 1), 3.0), switches, (2, 2), (2, 2))
    np.testing.assert_array_equal(dx[0, :, :, 0], [[3, 0], [0, 0]])


@pytest.mark.parametrize("op", ["max", "avg"])
@pytest.mark.parametrize("cfg", CONFIGS)
def test_forward_matches_naive_loops_and_backward_finite_differences(op, cfg, rng):
    k, s, p = cfg
    x = rng.permutation(2 * 6 * 7 * 3).reshape(2, 6, 7, 3) / 10.0  # distinct values: no kinks
    if op == "max":
        y, cache = F.max_pool2d(x, k, s, p)
        forward = lambda: F.max_pool2d(x, k, s, p)[0]  # noqa: E731
        backward = lambda dy: F.max_pool2d_backward(dy, cache, k, s, p)  # noqa: E731
    else:
        y = F.avg_pool2d(x, k, s, p)
        forward = lambda: F.avg_pool2d(x, k, s, p)  # noqa: E731
        backward = lambda dy: F.avg_pool2d_backward(dy, x.shape, k, s, p)  # noqa: E731
    np.testing.assert_allclose(y, naive.pool2d(x, k, s, p, op), rtol=1e-12)
    dy = rng.standard_normal(y.shape)
    check_op(forward, [backward(dy)], [x], dy)


@pytest.mark.parametrize("op", ["max", "avg"])
@pytest.mark.parametrize("cfg", [cfg for cfg in CONFIGS if cfg[2][0][0] == cfg[2][0][1] and cfg[2][1][0] == cfg[2][1][1]]
                         + [((3, 3), (1, 1), ((1, 1), (1, 1))), ((2, 3), (1, 2), ((1, 1), (0, 0)))])
def test_forward_and_backward_match_pytorch(op, cfg, rng):
    """(PyTorch pads both sides alike: the symmetric configurations.)"""
    from ..oracle import nchw, nhwc, torch

    k, s, ((t, _), (l, _)) = cfg
    x = rng.standard_normal((2, 6, 7, 3))
    tx = nchw(x)
    if op == "max":
        y, cache = F.max_pool2d(x, k, s, cfg[2])
        ty = torch.nn.functional.max_pool2d(tx, k, s, (t, l))
    else:
        y = F.avg_pool2d(x, k, s, cfg[2])
        ty = torch.nn.functional.avg_pool2d(tx, k, s, (t, l))
    dy = rng.standard_normal(y.shape)
    ty.backward(torch.tensor(dy.transpose(0, 3, 1, 2)))
    dx = F.max_pool2d_backward(dy, cache, k, s, cfg[2]) if op == "max" else F.avg_pool2d_backward(
        dy, x.shape, k, s, cfg[2])
    np.testing.assert_allclose(y, nhwc(ty), rtol=1e-12)
    np.testing.assert_allclose(dx, nhwc(tx.grad), rtol=1e-12)
