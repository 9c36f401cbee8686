"""The reference convolution (striate.functional.conv): against naive loops, finite
differences in float64 and PyTorch, and the transposed convolution built from it."""

import numpy as np
import pytest

from striate.functional import conv as F
from striate.functional import conv_transpose as T

from .. import naive
from ..gradcheck import check_op

# (C, F, kernel, stride, padding, dilation, groups)
CONFIGS = [
    (3, 4, (3, 3), (1, 1), ((0, 0), (0, 0)), (1, 1), 1),
    (2, 3, (3, 2), (2, 1), ((1, 1), (0, 2)), (1, 1), 1),
    (4, 4, (3, 3), (1, 1), ((2, 1), (1, 2)), (2, 2), 2),
    (4, 6, (2, 3), (2, 3), ((1, 0), (2, 1)), (1, 2), 2),
    (3, 3, (3, 3), (2, 2), ((1, 1), (1, 1)), (1, 1), 3),  # depthwise
    (1, 5, (5, 5), (1, 1), ((2, 2), (2, 2)), (1, 1), 1),  # LeNet's first layer
    (5, 2, (1, 1), (1, 1), ((0, 0), (0, 0)), (1, 1), 1),  # 1×1
]


def operands(cfg, rng, n=2, size=(6, 5)):
    c, f, k, s, p, d, g = cfg
    x = rng.standard_normal((n, *size, c))
    kernel = rng.standard_normal((*k, c // g, f))
    bias = rng.standard_normal(f)
    return x, kernel, bias


@pytest.mark.parametrize("cfg", CONFIGS)
def test_forward_matches_naive_loops(cfg, rng):
    x, kernel, bias = operands(cfg, rng)
    _, _, _, s, p, d, g = cfg
    y, _ = F.conv2d(x, kernel, bias, s, p, d, g)
    np.testing.assert_allclose(y, naive.conv2d(x, kernel, bias, s, p, d, g), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("cfg", CONFIGS)
def test_backward_matches_finite_differences(cfg, rng):
    x, kernel, bias = operands(cfg, rng)
    _, _, _, s, p, d, g = cfg
    y, cache = F.conv2d(x, kernel, bias, s, p, d, g)
    dy = rng.standard_normal(y.shape)  # a random upstream gradient: every output weighs differently
    grads = F.conv2d_backward(dy, cache, kernel, s, p, d, g)
    check_op(lambda: F.conv2d(x, kernel, bias, s, p, d, g)[0], grads, (x, kernel, bias), dy)


@pytest.mark.parametrize("cfg", CONFIGS)
def test_forward_and_backward_match_pytorch(cfg, rng):
    from ..oracle import conv_weight, conv_weight_grad, nchw, nhwc, pad_lrtb, to_torch, torch

    x, kernel, bias = operands(cfg, rng, size=(9, 10))
    _, _, _, s, p, d, g = cfg
    y, cache = F.conv2d(x, kernel, bias, s, p, d, g)
    dy = rng.standard_normal(y.shape)
    dx, dkernel, dbias = F.conv2d_backward(dy, cache, kernel, s, p, d, g)
    tx, tw, tb = nchw(x), conv_weight(kernel), to_torch(bias)
    ty = torch.nn.functional.conv2d(torch.nn.functional.pad(tx, pad_lrtb(p)), tw, tb, s, 0, d, g)
    ty.backward(torch.tensor(dy.transpose(0, 3, 1, 2)))
    np.testing.assert_allclose(y, nhwc(ty), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(dx, nhwc(tx.grad), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(dkernel, conv_weight_grad(tw), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(dbias, tb.grad.numpy(), rtol=1e-10, atol=1e-10)


def test_the_textbook_example():
    """A 3×3 kernel over a 5×5 binary image: the worked example `striate explain conv` shows."""
    x = np.array([[1, 1, 1, 0, 0], [0, 1, 1, 1, 0], [0, 0, 1, 1, 1], [0, 0, 1, 1, 0], [0, 1, 1, 0, 0]], float)
    k = np.array([[1, 0, 1], [0, 1, 0], [1, 0, 1]], float)
    y, cache = F.conv2d(x[None, :, :, None], k[:, :, None, None])
    np.testing.assert_array_equal(y[0, :, :, 0], [[4, 3, 4], [2, 4, 3], [2, 3, 4]])
    dx, dk, db = F.conv2d_backward(np.ones_like(y), cache, k[:, :, None, None])
    assert db == [9.0] and dk[0, 0, 0, 0] == x[:3, :3].sum()
    np.testing.assert_array_equal(dx[0, 2, 2, 0], k.sum())  # the centre pixel is seen by all nine windows


@pytest.mark.parametrize("cfg", [
    # (C_in, F, kernel, stride, padding, output_padding, dilation, groups)
    (3, 2, (3, 3), (2, 2), ((1, 1), (1, 1)), (1, 1), (1, 1), 1),
    (4, 6, (2, 3), (3, 1), ((0, 1), (2, 0)), (2, 0), (1, 2), 2),
    (2, 2, (3, 2), (1, 2), ((0, 0), (0, 0)), (0, 1), (2, 1), 1),
])
def test_transposed_convolution_matches_finite_differences_and_pytorch(cfg, rng):
    from ..oracle import nchw, nhwc, to_torch, torch

    c, f, k, s, p, op, d, g = cfg
    x = rng.standard_normal((2, 4, 3, c))
    kernel = rng.standard_normal((*k, f // g, c))
    bias = rng.standard_normal(f)
    y, cache = T.conv_transpose2d(x, kernel, bias, s, p, op, d, g)
    dy = rng.standard_normal(y.shape)
    grads = T.conv_transpose2d_backward(dy, cache, kernel, s, p, d, g)
    check_op(lambda: T.conv_transpose2d(x, kernel, bias, s, p, op, d, g)[0], grads, (x, kernel, bias), dy)
    tx, tw = nchw(x), to_torch(np.ascontiguousarray(kernel.transpose(3, 2, 0, 1)))
    full = torch.nn.functional.conv_transpose2d(tx, tw, to_torch(bias), s, 0, op, g, d)
    (t, b), (l, r) = p
    ty = full[:, :, t : full.shape[2] - b, l : full.shape[3] - r]
    np.testing.assert_allclose(y, nhwc(ty), rtol=1e-10, atol=1e-10)
