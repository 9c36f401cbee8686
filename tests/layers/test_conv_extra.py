"""Conv2DTranspose, Conv2D padding modes, depthwise Conv2D and Conv1D: loops, finite differences, PyTorch."""

import numpy as np
import pytest

import striate
from striate import layers as L
from striate.functional.padding import pad2d

from .. import naive
from .. import naive_layers as ref
from ..gradcheck import check_layer

# (C, F, kernel, stride, padding, output_padding, dilation, groups)
TRANSPOSED = [
    (3, 4, (3, 3), (1, 1), ((0, 0), (0, 0)), (0, 0), (1, 1), 1),
    (2, 3, (3, 3), (2, 2), ((1, 1), (1, 1)), (1, 1), (1, 1), 1),  # 2× up-sampling
    (2, 2, (4, 4), (2, 2), ((1, 1), (1, 1)), (0, 0), (1, 1), 1),  # the DCGAN kernel
    (4, 6, (3, 2), (2, 3), ((1, 0), (0, 2)), (1, 2), (1, 1), 2),
    (4, 4, (2, 3), (1, 2), ((1, 1), (2, 1)), (0, 1), (2, 1), 4),  # depthwise, dilated
]


def make_transposed(cfg, rng, size=(4, 5)):
    c, f, k, s, p, op, d, g = cfg
    layer = L.Conv2DTranspose(f, k, stride=s, padding=p, output_padding=op, dilation=d, groups=g)
    layer.build((*size, c), rng=rng, dtype=np.float64)
    layer.params["bias"][...] = rng.standard_normal(f)
    return layer, rng.standard_normal((2, *size, c))


@pytest.mark.parametrize("cfg", TRANSPOSED)
def test_conv_transpose_matches_loops_and_pytorch(cfg, rng):
    from ..oracle import nchw, nhwc, to_torch, torch

    c, f, k, s, p, op, d, g = cfg
    layer, x = make_transposed(cfg, rng)
    y = layer.forward(x, training=True)
    kernel = layer.params["kernel"]
    np.testing.assert_allclose(y, ref.conv_transpose2d(x, kernel, layer.params["bias"], s, p, op, d, g),
                               rtol=1e-12, atol=1e-12)
    dy = rng.standard_normal(y.shape)
    dx = layer.backward(dy)
    # PyTorch pads symmetrically: take its full output (padding 0) and crop ours
    tx, tw, tb = nchw(x), to_torch(np.ascontiguousarray(kernel.transpose(3, 2, 0, 1))), to_torch(layer.params["bias"])
    full = torch.nn.functional.conv_transpose2d(tx, tw, tb, s, 0, op, g, d)
    (t, b), (l, r) = p
    ty = full[:, :, t : full.shape[2] - b, l : full.shape[3] - r]
    ty.backward(torch.tensor(dy.transpose(0, 3, 1, 2)))
    np.testing.assert_allclose(y, nhwc(ty), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(dx, nhwc(tx.grad), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(layer.grads["kernel"], tw.grad.numpy().transpose(2, 3, 1, 0), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(layer.grads["bias"], tb.grad.numpy(), rtol=1e-10)


@pytest.mark.parametrize("cfg", TRANSPOSED)
def test_conv_transpose_gradients_match_finite_differences(cfg, rng):
    layer, x = make_transposed(cfg, rng, size=(3, 3))
    check_layer(layer, x[:1], rng)


def test_conv_transpose_undoes_the_shape_of_a_strided_conv_and_same_padding():
    up = L.Conv2DTranspose(8, 3, stride=2, padding=1, output_padding=1)
    assert up.build((14, 14, 4)) == (28, 28, 8)
    assert L.Conv2D(4, 3, stride=2, padding=1).build((28, 28, 8)) == (14, 14, 4)
    assert L.Conv2DTranspose(2, 4, stride=2, padding="same").build((7, 5, 1)) == (14, 10, 2)
    assert L.Conv2DTranspose(2, 3, stride=1, padding="same").build((None, 5, 1)) == (None, 5, 2)
    assert up.params["kernel"].shape == (3, 3, 8, 4)  # (kh, kw, filters, in_channels)


def test_conv_transpose_errors_name_the_argument():
    with pytest.raises(ValueError, match=r"Conv2DTranspose: output_padding must be smaller than the stride or the "
                                         r"dilation, got output_padding=2 with stride=2"):
        L.Conv2DTranspose(2, 3, stride=2, output_padding=2)
    with pytest.raises(ValueError, match="padding='same' needs dilation"):
        L.Conv2DTranspose(2, 1, stride=2, padding="same")
    with pytest.raises(ValueError, match=r"Conv2DTranspose: the padding .* removes the whole output height"):
        L.Conv2DTranspose(2, 2, padding=2).build((1, 4, 1))


# ---- Conv2D padding modes --------------------------------------------------------------
@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
def test_padding_modes_gather_the_right_pixels(mode, rng):
    x = rng.standard_normal((2, 4, 5, 3))
    padding = ((3, 2), (1, 4))
    xp = pad2d(x, padding, mode)
    for i in range(-3, 4 + 2):
        for j in range(-1, 5 + 4):
            source = x[:, ref.pad_index(i, 4, mode), ref.pad_index(j, 5, mode)]
            np.testing.assert_array_equal(xp[:, i + 3, j + 1], source)


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
@pytest.mark.parametrize("padding,stride,groups", [(((1, 1), (1, 1)), (1, 1), 1), (((2, 1), (0, 2)), (2, 1), 2),
                                                   ("same", (1, 1), 1)])
def test_conv_padding_modes_match_pytorch_and_finite_differences(mode, padding, stride, groups, rng):
    from ..oracle import conv_weight, conv_weight_grad, nchw, nhwc, pad_lrtb, to_torch, torch

    layer = L.Conv2D(4, 3, stride=stride, padding=padding, groups=groups, padding_mode=mode)
    layer.build((5, 6, 2), rng=rng, dtype=np.float64)
    layer.params["bias"][...] = rng.standard_normal(4)
    x = rng.standard_normal((2, 5, 6, 2))
    y = layer.forward(x, training=True)
    pad = layer.resolved_padding
    expected = naive.conv2d(pad2d(x, pad, mode), layer.params["kernel"], layer.params["bias"], stride,
                                ((0, 0), (0, 0)), (1, 1), groups)
    np.testing.assert_allclose(y, expected, rtol=1e-12, atol=1e-12)
    dy = rng.standard_normal(y.shape)
    dx = layer.backward(dy)
    tx, tw, tb = nchw(x), conv_weight(layer.params["kernel"]), to_torch(layer.params["bias"])
    ty = torch.nn.functional.conv2d(torch.nn.functional.pad(tx, pad_lrtb(pad), mode=mode), tw, tb, stride,
                                    groups=groups)
    ty.backward(torch.tensor(dy.transpose(0, 3, 1, 2)))
    np.testing.assert_allclose(y, nhwc(ty), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(dx, nhwc(tx.grad), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(layer.grads["kernel"], conv_weight_grad(tw), rtol=1e-10, atol=1e-12)
    check_layer(layer, x[:1], rng)


def test_padding_mode_errors():
    with pytest.raises(ValueError, match=r"Conv2D: padding_mode must be one of 'zeros', 'reflect', 'replicate', "
                                         r"'circular', got 'mirror'"):
        L.Conv2D(2, 3, padding_mode="mirror")
    with pytest.raises(ValueError, match=r"padding_mode='reflect' needs padding of at most 2 for an input height of 3"):
        L.Conv2D(2, 7, padding=3, padding_mode="reflect").build((3, 9, 1))
    assert repr(L.Conv2D(2, 3, padding_mode="circular")) == "Conv2D(2, 3, padding_mode='circular')"


# ---- depthwise ----------------------------------------------------------------------------
@pytest.mark.parametrize("multiplier", [1, 2])
def test_depthwise_conv_is_one_kernel_per_channel(multiplier, rng):
    """groups == in_channels: output channel c·m + j sees input channel c alone, as in PyTorch."""
    from ..oracle import conv_weight, conv_weight_grad, nchw, nhwc, torch

    c = 3
    layer = L.Conv2D(c * multiplier, 3, padding=1, groups=c)
    layer.build((6, 5, c), rng=rng, dtype=np.float64)
    assert layer.params["kernel"].shape == (3, 3, 1, c * multiplier)
    x = rng.standard_normal((2, 6, 5, c))
    y = layer.forward(x, training=True)
    for ch in range(c):
        for j in range(multiplier):
            out = ch * multiplier + j
            single = naive.conv2d(x[..., ch : ch + 1], layer.params["kernel"][..., out : out + 1],
                                      layer.params["bias"][out : out + 1], (1, 1), ((1, 1), (1, 1)), (1, 1), 1)
            np.testing.assert_allclose(y[..., out : out + 1], single, rtol=1e-12, atol=1e-12)
    dy = rng.standard_normal(y.shape)
    dx = layer.backward(dy)
    tx, tw = nchw(x), conv_weight(layer.params["kernel"])
    ty = torch.nn.functional.conv2d(tx, tw, None, 1, 1, 1, c)
    ty.backward(torch.tensor(dy.transpose(0, 3, 1, 2)))
    np.testing.assert_allclose(dx, nhwc(tx.grad), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(layer.grads["kernel"], conv_weight_grad(tw), rtol=1e-10, atol=1e-12)


# ---- Conv1D ----------------------------------------------------------------------------------
CONV1D = [  # (C, F, k, stride, padding, dilation, groups, mode)
    (3, 4, 3, 1, 0, 1, 1, "zeros"),
    (2, 4, 3, 2, (2, 1), 1, 2, "zeros"),
    (2, 3, 5, 1, "same", 2, 1, "zeros"),
    (3, 3, 3, 1, 1, 1, 3, "reflect"),
    (2, 2, 4, 2, (1, 2), 1, 1, "circular"),
]


@pytest.mark.parametrize("cfg", CONV1D)
def test_conv1d_matches_pytorch_and_finite_differences(cfg, rng):
    from ..oracle import to_torch, torch

    c, f, k, s, p, d, g, mode = cfg
    layer = L.Conv1D(f, k, stride=s, padding=p, dilation=d, groups=g, padding_mode=mode)
    layer.build((11, c), rng=rng, dtype=np.float64)
    layer.params["bias"][...] = rng.standard_normal(f)
    assert layer.params["kernel"].shape == (k, c // g, f)
    x = rng.standard_normal((2, 11, c))
    y = layer.forward(x, training=True)
    dy = rng.standard_normal(y.shape)
    dx = layer.backward(dy)
    tx = to_torch(np.ascontiguousarray(x.transpose(0, 2, 1)))
    tw = to_torch(np.ascontiguousarray(layer.params["kernel"].transpose(2, 1, 0)))
    tb = to_torch(layer.params["bias"])
    left, right = layer.resolved_padding
    tpad = torch.nn.functional.pad(tx, (left, right), mode="constant" if mode == "zeros" else mode)
    ty = torch.nn.functional.conv1d(tpad, tw, tb, s, 0, d, g)
    ty.backward(torch.tensor(dy.transpose(0, 2, 1)))
    assert y.shape == (2, ty.shape[2], f)
    np.testing.assert_allclose(y, ty.detach().numpy().transpose(0, 2, 1), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(dx, tx.grad.numpy().transpose(0, 2, 1), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(layer.grads["kernel"], tw.grad.numpy().transpose(2, 1, 0), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(layer.grads["bias"], tb.grad.numpy(), rtol=1e-10)
    check_layer(layer, x[:1], rng)


def test_conv1d_in_a_model_with_variable_length(rng):
    model = striate.Sequential([L.Conv1D(4, 3, padding="same"), L.ReLU(), L.Conv1D(2, 3, stride=2),
                                L.BatchNorm1D()], input_shape=(None, 2), seed=0)
    assert model.output_shape == (None, 2)
    assert model.predict(rng.random((3, 9, 2))).shape == (3, 4, 2)
    assert model.predict(rng.random((3, 20, 2))).shape == (3, 9, 2)
    with pytest.raises(ValueError, match=r"Conv1D expected input_shape \(L, C\), got \(4, 4, 1\)"):
        L.Conv1D(2, 3).build((4, 4, 1))


def test_conv_transpose_output_padding_beyond_the_stride_matches_pytorch(rng):
    """output_padding may reach the dilation when it exceeds the stride (as in PyTorch)."""
    from ..oracle import nchw, nhwc, to_torch, torch

    layer = L.Conv2DTranspose(2, 3, stride=1, dilation=2, output_padding=1)
    layer.build((4, 4, 3), dtype=np.float64)
    x = rng.standard_normal((2, 4, 4, 3))
    y = layer.forward(x, training=True)
    dy = rng.standard_normal(y.shape)
    dx = layer.backward(dy)
    tx = nchw(x)
    tw = to_torch(np.ascontiguousarray(layer.params["kernel"].transpose(3, 2, 0, 1)))
    tb = to_torch(layer.params["bias"])
    ty = torch.nn.functional.conv_transpose2d(tx, tw, tb, 1, 0, 1, 1, 2)
    ty.backward(torch.tensor(dy.transpose(0, 3, 1, 2)))
    assert y.shape == (2, 9, 9, 2)
    np.testing.assert_allclose(y, nhwc(ty), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(dx, nhwc(tx.grad), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(layer.grads["kernel"], tw.grad.numpy().transpose(2, 3, 1, 0), rtol=1e-10, atol=1e-10)
