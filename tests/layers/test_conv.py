"""The Conv2D layer on both paths (fast kernels and reference ops): forward against naive
loops and PyTorch; gradients against finite differences and PyTorch."""

import numpy as np
import pytest

import striate
from striate import layers as L

from .. import naive
from ..functional.test_conv import CONFIGS as REFERENCE_CONFIGS
from ..gradcheck import check_layer

CONFIGS = [
    *REFERENCE_CONFIGS,
    (6, 16, (5, 5), (1, 1), ((0, 0), (0, 0)), (1, 1), 1),  # LeNet's second: dx by the band product
    (2, 5, (3, 2), (1, 1), ((2, 0), (1, 3)), (2, 1), 1),  # the same, dilated, padded unevenly
]


def make(cfg, rng, dtype=np.float64, size=(7, 8)):
    c, f, k, s, p, d, g = cfg
    layer = L.Conv2D(f, k, stride=s, padding=p, dilation=d, groups=g)
    layer.build((*size, c), rng=rng, dtype=dtype)
    layer.params["bias"][...] = rng.standard_normal(f)
    x = rng.standard_normal((2, *size, c))
    return layer, x


@pytest.mark.parametrize("cfg", CONFIGS)
def test_forward_matches_naive_loops(cfg, rng, path):
    layer, x = make(cfg, rng)
    c, f, k, s, p, d, g = cfg
    expected = naive.conv2d(x, layer.params["kernel"], layer.params["bias"], s, p, d, g)
    np.testing.assert_allclose(layer.forward(x), expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("cfg", CONFIGS)
def test_gradients_match_finite_differences(cfg, rng, path):
    layer, x = make(cfg, rng, size=(6, 5))
    check_layer(layer, x, rng)


@pytest.mark.parametrize("cfg", CONFIGS)
def test_forward_and_gradients_match_pytorch(cfg, rng, path):
    from ..oracle import assert_layer_matches_torch, conv_weight, conv_weight_grad, pad_lrtb, to_torch, torch

    layer, x = make(cfg, rng, size=(9, 10))
    c, f, k, s, p, d, g = cfg
    conv = lambda tx, tw, tb: torch.nn.functional.conv2d(torch.nn.functional.pad(tx, pad_lrtb(p)), tw, tb, s, 0, d, g)  # noqa: E731,E501
    assert_layer_matches_torch(layer, x, conv, {"kernel": (conv_weight, conv_weight_grad),
                                                "bias": (to_torch, lambda t: t.grad.numpy())}, rng)


@pytest.mark.parametrize("k,s,d,size", [(3, 1, 1, 7), (4, 1, 1, 6), (3, 2, 1, 8), (3, 1, 2, 9), (2, 1, 3, 5)])
def test_same_padding_matches_pytorch_and_keeps_size(k, s, d, size, rng):
    from ..oracle import conv_weight, nchw, nhwc, torch

    layer = L.Conv2D(3, k, stride=s, padding="same", dilation=d)
    layer.build((size, size, 2), rng=rng, dtype=np.float64)
    x = rng.standard_normal((2, size, size, 2))
    y = layer.forward(x)
    assert y.shape == (2, size // s, size // s, 3)
    if s == 1:  # PyTorch has padding="same" for stride 1 only
        ty = torch.nn.functional.conv2d(nchw(x), conv_weight(layer.params["kernel"]), None, 1, "same", d)
        np.testing.assert_allclose(y, nhwc(ty), rtol=1e-10, atol=1e-10)


def test_same_padding_puts_the_odd_extra_row_at_the_bottom_right():
    layer = L.Conv2D(1, 2, padding="same", bias=False)
    layer.build((3, 3, 1))
    assert layer.resolved_padding == ((0, 1), (0, 1))


def test_writing_params_in_place_changes_the_output(rng):
    layer, x = make(CONFIGS[0], rng)
    before = layer.forward(x)
    layer.params["kernel"][...] *= 2
    layer.params["bias"][...] *= 2
    np.testing.assert_allclose(layer.forward(x), 2 * before, rtol=1e-12)


def test_float32_is_the_default_and_stays_float32(rng, path):
    layer = L.Conv2D(4, 3)
    layer.build((8, 8, 3), rng=rng)
    assert layer.params["kernel"].dtype == np.float32
    y = layer.forward(rng.standard_normal((2, 8, 8, 3)), training=True)
    assert y.dtype == np.float32
    assert layer.backward(np.ones_like(y)).dtype == np.float32
    assert layer.grads["kernel"].dtype == np.float32


def test_first_layer_skips_the_input_gradient(rng):
    layer, x = make(CONFIGS[1], rng)
    y = layer.forward(x, training=True)
    assert layer.backward(np.ones_like(y), input_grad=False) is None
    assert np.any(layer.grads["kernel"] != 0)


@pytest.mark.parametrize("seed", range(3))
def test_random_configurations_against_naive_loops(seed, path):
    rng = np.random.default_rng(seed)
    for _ in range(10):
        g = int(rng.choice([1, 2]))
        c, f = g * int(rng.integers(1, 3)), g * int(rng.integers(1, 3))
        k = tuple(int(v) for v in rng.integers(1, 4, 2))
        s = tuple(int(v) for v in rng.integers(1, 3, 2))
        d = tuple(int(v) for v in rng.integers(1, 3, 2))
        p = tuple(tuple(int(v) for v in rng.integers(0, 3, 2)) for _ in range(2))
        layer, x = make((c, f, k, s, p, d, g), rng, size=(7, 6))
        expected = naive.conv2d(x, layer.params["kernel"], layer.params["bias"], s, p, d, g)
        np.testing.assert_allclose(layer.forward(x), expected, rtol=1e-12, atol=1e-12)
