"""MaxPool2D and AvgPool2D: naive loops, finite differences, PyTorch."""

import numpy as np
import pytest

from striate import layers as L

from .. import naive
from ..gradcheck import check_layer

# (kernel, stride, padding)
CONFIGS = [
    ((2, 2), None, 0),
    ((3, 3), (2, 2), 1),
    ((3, 2), (1, 2), (1, 0)),
    ((2, 3), (3, 1), (0, 1)),
    ((3, 3), (1, 1), 0),  # overlapping windows
]


def make(cls, cfg, rng, size=(7, 8), c=3):
    k, s, p = cfg
    layer = cls(k, stride=s, padding=p)
    layer.build((*size, c), dtype=np.float64)
    # a permutation: every value distinct, so every window has one clear maximum
    x = rng.permutation(2 * size[0] * size[1] * c).reshape(2, *size, c) / 10.0
    return layer, x


@pytest.mark.parametrize("op,cls", [("max", L.MaxPool2D), ("avg", L.AvgPool2D)])
@pytest.mark.parametrize("cfg", CONFIGS)
def test_forward_matches_naive_loops(op, cls, cfg, rng):
    layer, x = make(cls, cfg, rng)
    np.testing.assert_allclose(layer.forward(x), naive.pool2d(x, layer.kernel_size, layer.stride,
                                                                  layer.padding, op), rtol=1e-12)


@pytest.mark.parametrize("op,cls", [("max", L.MaxPool2D), ("avg", L.AvgPool2D)])
@pytest.mark.parametrize("kernel", [(2, 2), (3, 2), (1, 4), (1, 1), (6, 8)])
def test_tiles_that_cover_the_input_exactly_match_naive_loops(op, cls, kernel, rng):
    """Windows that tile the input (stride = kernel, sizes divisible) take the two-pass path."""
    layer, x = make(cls, (kernel, None, 0), rng, size=(6, 8))
    np.testing.assert_allclose(layer.forward(x), naive.pool2d(x, layer.kernel_size, layer.stride,
                                                                  layer.padding, op), rtol=1e-12)
    check_layer(layer, x, rng, atol=1e-7)  # large sums here: finite differences round off at ~2e-8


@pytest.mark.parametrize("cls", [L.MaxPool2D, L.AvgPool2D])
@pytest.mark.parametrize("cfg", CONFIGS)
def test_gradients_match_finite_differences(cls, cfg, rng):
    layer, x = make(cls, cfg, rng, size=(5, 6), c=2)
    check_layer(layer, x, rng)


@pytest.mark.parametrize("op,cls", [("max", L.MaxPool2D), ("avg", L.AvgPool2D)])
@pytest.mark.parametrize("cfg", CONFIGS)
def test_forward_and_gradient_match_pytorch(op, cls, cfg, rng):
    from ..oracle import nchw, nhwc, torch

    layer, x = make(cls, cfg, rng)
    y = layer.forward(x, training=True)
    dy = rng.standard_normal(y.shape)
    dx = layer.backward(dy)
    tx = nchw(x)
    fn = torch.nn.functional.max_pool2d if op == "max" else torch.nn.functional.avg_pool2d
    (ph, _), (pw, _) = layer.padding
    ty = fn(tx, layer.kernel_size, layer.stride, (ph, pw))
    ty.backward(torch.tensor(dy.transpose(0, 3, 1, 2)))
    np.testing.assert_allclose(y, nhwc(ty), rtol=1e-12)
    np.testing.assert_allclose(dx, nhwc(tx.grad), rtol=1e-12, atol=1e-12)


def test_max_pool_ties_send_the_gradient_once_to_the_first_maximum():
    layer = L.MaxPool2D(2)
    x = np.ones((1, 2, 2, 1))
    layer.forward(x, training=True)
    dx = layer.backward(np.full((1, 1, 1, 1), 5.0))
    np.testing.assert_array_equal(dx[0, :, :, 0], [[5, 0], [0, 0]])


def test_stride_defaults_to_kernel_size():
    assert L.MaxPool2D(3).stride == (3, 3)
    assert L.AvgPool2D((2, 3), stride=1).stride == (1, 1)
