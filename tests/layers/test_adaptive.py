"""Adaptive and global pooling: PyTorch's bins, gradients, and models that take any image size."""

import numpy as np
import pytest

import striate
from striate import layers as L
from striate.functional.adaptive import bins

from .. import naive_layers as ref
from ..gradcheck import check_layer


def test_bins_are_pytorchs_floor_and_ceil_boundaries():
    assert bins(5, 3) == [(0, 2), (1, 4), (3, 5)]  # overlapping by one pixel
    assert bins(6, 3) == [(0, 2), (2, 4), (4, 6)]  # exact tiling
    assert bins(2, 3) == [(0, 1), (0, 2), (1, 2)]  # more bins than pixels
    assert bins(7, 1) == [(0, 7)]


SIZES = [((7, 9), (3, 4)), ((6, 6), (3, 3)), ((5, 4), (5, 4)), ((4, 5), (6, 7)), ((7, 8), (1, 1))]


@pytest.mark.parametrize("op,cls", [("avg", L.AdaptiveAvgPool2D), ("max", L.AdaptiveMaxPool2D)])
@pytest.mark.parametrize("hw,out", SIZES)
def test_adaptive_pool_matches_loops_and_pytorch(op, cls, hw, out, rng):
    from ..oracle import nchw, nhwc, torch

    x = rng.permutation(2 * hw[0] * hw[1] * 3).reshape(2, *hw, 3) / 10.0  # distinct: one maximum per bin
    layer = cls(out)
    layer.build((*hw, 3), dtype=np.float64)
    y = layer.forward(x, training=True)
    np.testing.assert_allclose(y, ref.adaptive_pool(x, out, op), rtol=1e-12)
    dy = rng.standard_normal(y.shape)
    dx = layer.backward(dy)
    tx = nchw(x)
    fn = torch.nn.functional.adaptive_avg_pool2d if op == "avg" else torch.nn.functional.adaptive_max_pool2d
    ty = fn(tx, out)
    ty.backward(torch.tensor(dy.transpose(0, 3, 1, 2)))
    np.testing.assert_allclose(y, nhwc(ty), rtol=1e-12)
    np.testing.assert_allclose(dx, nhwc(tx.grad), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("cls", [L.AdaptiveAvgPool2D, L.AdaptiveMaxPool2D])
def test_adaptive_pool_gradients_match_finite_differences(cls, rng):
    x = rng.permutation(5 * 4 * 2).reshape(1, 5, 4, 2) / 10.0
    layer = cls((3, 3))
    layer.build((5, 4, 2), dtype=np.float64)
    check_layer(layer, x, rng)


@pytest.mark.parametrize("op,cls", [("avg", L.GlobalAvgPool2D), ("max", L.GlobalMaxPool2D)])
@pytest.mark.parametrize("keepdims", [False, True])
def test_global_pools_match_pytorch_and_finite_differences(op, cls, keepdims, rng):
    from ..oracle import nchw, torch

    x = rng.permutation(2 * 5 * 6 * 3).reshape(2, 5, 6, 3) / 10.0
    layer = cls(keepdims=keepdims)
    layer.build((5, 6, 3), dtype=np.float64)
    y = layer.forward(x, training=True)
    assert y.shape == ((2, 1, 1, 3) if keepdims else (2, 3))
    dy = rng.standard_normal(y.shape)
    dx = layer.backward(dy)
    tx = nchw(x)
    ty = tx.mean(dim=(2, 3)) if op == "avg" else tx.amax(dim=(2, 3))
    ty.backward(torch.tensor(dy.reshape(2, 3)))
    np.testing.assert_allclose(y.reshape(2, 3), ty.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(dx, tx.grad.numpy().transpose(0, 2, 3, 1), rtol=1e-12, atol=1e-12)
    small = cls(keepdims=keepdims)
    small.build((None, None, 3), dtype=np.float64)
    check_layer(small, x[:1, :3, :4], rng)


def test_a_model_with_an_adaptive_pool_takes_two_input_sizes(rng):
    model = striate.Sequential([
        L.Conv2D(4, 3, padding=1), L.ReLU(), L.MaxPool2D(2),
        L.AdaptiveAvgPool2D(3), L.Flatten(), L.Dense(5),
    ], input_shape=(None, None, 1), seed=0)
    assert model.layers[2].output_shape == (None, None, 4)
    assert model.output_shape == (5,)
    for size in [(12, 12), (20, 15)]:
        x = rng.random((3, *size, 1), dtype=np.float32)
        assert model.predict(x).shape == (3, 5)
    model.compile(striate.optim.SGD(0.1), "cross_entropy")
    for size in [(12, 12), (17, 23)]:  # and trains on either
        model.train_step(rng.random((4, *size, 1), dtype=np.float32), rng.integers(0, 5, 4))
    with pytest.raises(ValueError, match=r"Conv2D #1 expected 1 input channels, got input of shape \(3, 12, 12, 2\)"):
        model.predict(rng.random((3, 12, 12, 2)))


def test_flatten_after_a_variable_size_layer_says_to_pool_first():
    with pytest.raises(ValueError, match="use a global pooling layer before it"):
        striate.Sequential([L.Conv2D(2, 3), L.Flatten()], input_shape=(None, None, 1))


def test_same_padding_convolutions_build_for_unknown_sizes(rng):
    model = striate.Sequential([L.Conv2D(4, 3, padding="same"), L.ReLU(), L.Conv2D(4, 5, stride=2, padding="same"),
                                L.GlobalMaxPool2D(), L.Dense(2)], input_shape=(None, None, 1), seed=0)
    assert model.layers[0].resolved_padding == ((1, 1), (1, 1)) and model.layers[2].resolved_padding == ((1, 2), (1, 2))
    assert model.predict(rng.random((2, 8, 6, 1))).shape == (2, 2)
    assert model.layers[2].forward(rng.random((1, 8, 6, 4))).shape == (1, 4, 3, 4)
    with pytest.raises(ValueError, match="padding='same' with stride 2 needs an input size divisible by the stride"):
        model.predict(rng.random((2, 7, 6, 1)))
