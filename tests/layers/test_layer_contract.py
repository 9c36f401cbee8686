"""Every new layer keeps the contract: float32 in, float32 out; backward needs a training forward;
the config rebuilds the layer; variable-size inputs where the layer allows them."""

import numpy as np
import pytest

from striate import layers as L

# (layer factory, input shape without the batch axis)
LAYERS = [
    (lambda: L.SumPool2D(2), (6, 6, 3)),
    (lambda: L.LPPool2D(2, 3, stride=2, padding=1), (6, 6, 3)),
    (lambda: L.WeightedAvgPool2D(3, stride=1, padding=1, trainable=True), (6, 6, 3)),
    (lambda: L.AdaptiveAvgPool2D((2, 3)), (7, 6, 3)),
    (lambda: L.AdaptiveMaxPool2D(2), (7, 6, 3)),
    (lambda: L.GlobalAvgPool2D(), (5, 4, 3)),
    (lambda: L.GlobalMaxPool2D(keepdims=True), (5, 4, 3)),
    (lambda: L.ChannelMaxPool(3), (4, 4, 6)),
    (lambda: L.Dropout(0.5, seed=1), (4, 4, 3)),
    (lambda: L.BatchNorm2D(), (4, 4, 3)),
    (lambda: L.BatchNorm1D(momentum=0.2), (5,)),
    (lambda: L.LeakyReLU(0.1), (4, 3)),
    (lambda: L.ELU(), (4, 3)),
    (lambda: L.GELU(), (4, 3)),
    (lambda: L.Conv2DTranspose(4, 3, stride=2, padding=1, output_padding=1), (4, 5, 3)),
    (lambda: L.UpSampling2D(2, "bilinear"), (3, 4, 2)),
    (lambda: L.Reshape((-1, 2)), (4, 4, 2)),
    (lambda: L.Conv2D(4, 3, padding="same", padding_mode="reflect"), (5, 6, 2)),
    (lambda: L.Conv1D(4, 3, padding="same", padding_mode="circular"), (7, 2)),
]


@pytest.mark.parametrize("make,shape", LAYERS)
def test_float32_forward_backward_and_config_round_trip(make, shape, rng):
    layer = make()
    layer.build(shape, rng=np.random.default_rng(0))
    x = rng.standard_normal((3, *shape)).astype(np.float32)
    with pytest.raises(RuntimeError, match=r"call forward\(x, training=True\) first"):
        layer.forward(x)
        layer.backward(np.ones(layer.forward(x).shape, np.float32))
    y = layer.forward(x, training=True)
    assert y.dtype == np.float32 and y.shape == (3, *layer.output_shape)
    dx = layer.backward(np.ones_like(y))
    assert dx.dtype == np.float32 and dx.shape == x.shape
    assert all(g.dtype == np.float32 for g in layer.grads.values())
    assert set(layer.grads) == set(layer.params)
    twin = type(layer)(**layer.get_config())
    twin.build(shape, rng=np.random.default_rng(0))
    for key in layer.params:  # the same config and seed: the same initial parameters
        np.testing.assert_array_equal(twin.params[key], layer.params[key])
    assert repr(twin) == repr(layer)


VARIABLE = [
    (lambda: L.AdaptiveAvgPool2D(2), (None, None, 3)),
    (lambda: L.GlobalMaxPool2D(), (None, None, 3)),
    (lambda: L.Conv2DTranspose(2, 3, stride=2), (None, None, 3)),
    (lambda: L.UpSampling2D(2, "bilinear"), (None, None, 3)),
    (lambda: L.BatchNorm2D(), (None, None, 3)),
    (lambda: L.SumPool2D(2), (None, None, 3)),
    (lambda: L.Conv2D(2, 3, padding=1, padding_mode="replicate"), (None, None, 3)),
]


@pytest.mark.parametrize("make,shape", VARIABLE)
def test_layers_take_images_of_any_size_when_built_with_none(make, shape, rng):
    layer = make()
    layer.build(shape)
    for hw in [(6, 6), (9, 7)]:
        x = rng.standard_normal((2, *hw, 3)).astype(np.float32)
        y = layer.forward(x, training=True)
        assert layer.backward(np.ones_like(y)).shape == x.shape
