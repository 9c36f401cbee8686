"""The worked examples of the texts striate teaches from, as tests (they double as documentation)."""

import numpy as np

import striate
from striate import layers as L


def test_3x3_kernel_over_a_5x5_image():
    image = np.array([[1, 1, 1, 0, 0],
                      [0, 1, 1, 1, 0],
                      [0, 0, 1, 1, 1],
                      [0, 0, 1, 1, 0],
                      [0, 1, 1, 0, 0]], dtype=np.float32)
    conv = L.Conv2D(1, 3, bias=False)
    conv.build((5, 5, 1))
    conv.params["kernel"][:, :, 0, 0] = [[1, 0, 1], [0, 1, 0], [1, 0, 1]]
    y = conv.forward(image[None, :, :, None])
    np.testing.assert_array_equal(y[0, :, :, 0], [[4, 3, 4], [2, 4, 3], [2, 3, 4]])


def test_2x2_max_pooling_with_stride_2():
    x = np.array([[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]], dtype=np.float32)
    y = L.MaxPool2D(2).forward(x[None, :, :, None])
    np.testing.assert_array_equal(y[0, :, :, 0], [[6, 8], [3, 4]])


def test_max_pool_gradient_flows_only_to_each_maximum():
    x = np.array([[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]], dtype=np.float32)
    pool = L.MaxPool2D(2)
    pool.forward(x[None, :, :, None], training=True)
    dx = pool.backward(np.array([[1, 2], [3, 4]], dtype=np.float32)[None, :, :, None])
    np.testing.assert_array_equal(dx[0, :, :, 0], [[0, 0, 0, 0], [0, 1, 0, 2], [3, 0, 0, 0], [0, 0, 0, 4]])


def test_39x39x3_through_three_convolutions_to_1960():
    model = striate.Sequential([
        L.Conv2D(10, 3), L.Conv2D(20, 5, stride=2), L.Conv2D(40, 5, stride=2), L.Flatten(),
    ], input_shape=(39, 39, 3))
    assert [layer.output_shape for layer in model.layers] == [(37, 37, 10), (17, 17, 20), (7, 7, 40), (1960,)]
    assert model.layers[0].num_params == 10 * 28  # each 3×3×3 filter: 27 weights + 1 bias


def test_the_32x32x3_lenet_table():
    model = striate.Sequential([
        L.Conv2D(8, 5), L.ReLU(), L.MaxPool2D(2), L.Conv2D(16, 5), L.ReLU(), L.MaxPool2D(2),
        L.Flatten(), L.Dense(120), L.ReLU(), L.Dense(84), L.ReLU(), L.Dense(10),
    ], input_shape=(32, 32, 3))
    shapes = [layer.output_shape for layer in model.layers if not isinstance(layer, L.ReLU)]
    assert shapes == [(28, 28, 8), (14, 14, 8), (10, 10, 16), (5, 5, 16), (400,), (120,), (84,), (10,)]


def test_conv_32_filters_3x3_on_16_channels_has_4640_parameters():
    conv = L.Conv2D(32, 3)
    conv.build((10, 10, 16))
    assert conv.num_params == 4640 == 32 * (3 * 3 * 16 + 1)
