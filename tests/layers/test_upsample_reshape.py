"""UpSampling2D (nearest, bilinear) and Reshape: loops, PyTorch, finite differences."""

import numpy as np
import pytest

from striate import layers as L
from striate.functional.upsample import linear_matrix

from .. import naive_layers as ref
from ..gradcheck import check_layer


def test_nearest_hand_example():
    x = np.array([1.0, 2.0]).reshape(1, 1, 2, 1)
    np.testing.assert_array_equal(L.UpSampling2D(2).forward(x)[0, :, :, 0], [[1, 1, 2, 2], [1, 1, 2, 2]])


def test_bilinear_weights_are_pytorchs_align_corners_false():
    # 2 → 4: outputs sit at input coordinates −0.25 (clamped to 0), 0.25, 0.75, 1.25 (edge repeated)
    np.testing.assert_allclose(linear_matrix(2, 2), [[1, 0], [0.75, 0.25], [0.25, 0.75], [0, 1]])
    assert np.allclose(linear_matrix(5, 3).sum(axis=1), 1)


@pytest.mark.parametrize("mode", ["nearest", "bilinear"])
@pytest.mark.parametrize("size", [2, (3, 2), (1, 4)])
def test_upsampling_matches_pytorch_and_finite_differences(mode, size, rng):
    from ..oracle import nchw, nhwc, torch

    x = rng.standard_normal((2, 4, 5, 3))
    layer = L.UpSampling2D(size, mode)
    layer.build((4, 5, 3), dtype=np.float64)
    y = layer.forward(x, training=True)
    s = layer.size
    assert y.shape == (2, 4 * s[0], 5 * s[1], 3)
    if mode == "bilinear":
        np.testing.assert_allclose(y, ref.bilinear(x, s), rtol=1e-12, atol=1e-12)
    dy = rng.standard_normal(y.shape)
    dx = layer.backward(dy)
    tx = nchw(x)
    extra = {"align_corners": False} if mode == "bilinear" else {}
    ty = torch.nn.functional.interpolate(tx, scale_factor=s, mode=mode, **extra)
    ty.backward(torch.tensor(dy.transpose(0, 3, 1, 2)))
    np.testing.assert_allclose(y, nhwc(ty), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(dx, nhwc(tx.grad), rtol=1e-12, atol=1e-12)
    small = L.UpSampling2D(size, mode)
    small.build((None, None, 3), dtype=np.float64)
    check_layer(small, x[:1, :3, :3], rng)


def test_upsampling_errors_and_shapes():
    with pytest.raises(ValueError, match="UpSampling2D: interpolation must be 'nearest' or 'bilinear', got 'cubic'"):
        L.UpSampling2D(2, "cubic")
    assert L.UpSampling2D((2, 3)).build((None, 4, 1)) == (None, 12, 1)


def test_reshape_round_trip_and_gradient(rng):
    layer = L.Reshape((7, 7, -1))
    assert layer.build((98,)) == (7, 7, 2)
    x = rng.standard_normal((3, 98)).astype(np.float32)
    y = layer.forward(x, training=True)
    np.testing.assert_array_equal(y[1, 2, 3], x[1, 2 * 14 + 3 * 2 : 2 * 14 + 3 * 2 + 2])  # row-major (h, w, c)
    np.testing.assert_array_equal(layer.backward(y), x)
    small = L.Reshape((2, -1))
    small.build((6,), dtype=np.float64)
    check_layer(small, rng.standard_normal((2, 6)), rng)


def test_reshape_errors_name_the_shapes():
    with pytest.raises(ValueError, match=r"Reshape: target_shape must be a tuple of positive ints with at most one "
                                         r"-1, got \(-1, -1\)"):
        L.Reshape((-1, -1))
    with pytest.raises(ValueError, match=r"Reshape: cannot reshape input_shape \(10,\) \(10 values\) to "
                                         r"target_shape \(3, -1\)"):
        L.Reshape((3, -1)).build((10,))
    layer = L.Reshape((4, 4))
    layer.build((None, 2))
    with pytest.raises(ValueError, match=r"Reshape: cannot reshape input of shape \(1, 3, 2\) to \(N, 4, 4\)"):
        layer.forward(np.ones((1, 3, 2)))
