"""Conv2D: forward against naive loops and PyTorch; gradients against finite differences and PyTorch."""

import numpy as np
import pytest

from striate import layers as L
from striate.functional import conv2d, conv2d_backward

from . import reference
from .gradcheck import check_layer

# (C, F, kernel, stride, padding, dilation, groups) on small inputs
CONFIGS = [
    (3, 4, (3, 3), (1, 1), ((0, 0), (0, 0)), (1, 1), 1),
    (2, 3, (3, 2), (2, 1), ((1, 1), (0, 2)), (1, 1), 1),
    (4, 4, (3, 3), (1, 1), ((2, 1), (1, 2)), (2, 2), 2),
    (4, 6, (2, 3), (2, 3), ((1, 0), (2, 1)), (1, 2), 2),
    (3, 3, (3, 3), (2, 2), ((1, 1), (1, 1)), (1, 1), 3),  # depthwise
    (1, 5, (5, 5), (1, 1), ((2, 2), (2, 2)), (1, 1), 1),  # LeNet's first layer
    (5, 2, (1, 1), (1, 1), ((0, 0), (0, 0)), (1, 1), 1),  # 1×1
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
def test_forward_matches_naive_loops(cfg, rng):
    layer, x = make(cfg, rng)
    c, f, k, s, p, d, g = cfg
    expected = reference.conv2d(x, layer.params["kernel"], layer.params["bias"], s, p, d, g)
    np.testing.assert_allclose(layer.forward(x), expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("cfg", CONFIGS)
def test_gradients_match_finite_differences(cfg, rng):
    layer, x = make(cfg, rng, size=(6, 5))
    check_layer(layer, x, rng)


@pytest.mark.parametrize("band", [True, False], ids=["band-allowed", "band-off"])
@pytest.mark.parametrize("cfg", CONFIGS)
def test_forward_and_gradients_match_pytorch(cfg, band, rng, monkeypatch):
    from striate.functional import conv_band

    from .oracle import (
        conv_weight,
        conv_weight_grad,
        nchw,
        nhwc,
        pad_lrtb,
        to_torch,
        torch,
    )

    if not band:  # small test images would take the band product for dx almost always
        monkeypatch.setattr(conv_band, "CROSSOVER", 0)
    layer, x = make(cfg, rng, size=(9, 10))
    c, f, k, s, p, d, g = cfg
    y = layer.forward(x, training=True)
    dy = rng.standard_normal(y.shape)
    dx = layer.backward(dy)

    tx, tw, tb = nchw(x), conv_weight(layer.params["kernel"]), to_torch(layer.params["bias"])
    ty = torch.nn.functional.conv2d(torch.nn.functional.pad(tx, pad_lrtb(p)), tw, tb, s, 0, d, g)
    ty.backward(torch.tensor(dy.transpose(0, 3, 1, 2)))
    np.testing.assert_allclose(y, nhwc(ty), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(dx, nhwc(tx.grad), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(layer.grads["kernel"], conv_weight_grad(tw), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(layer.grads["bias"], tb.grad.numpy(), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("k,s,d,size", [(3, 1, 1, 7), (4, 1, 1, 6), (3, 2, 1, 8), (3, 1, 2, 9), (2, 1, 3, 5)])
def test_same_padding_matches_pytorch_and_keeps_size(k, s, d, size, rng):
    from .oracle import conv_weight, nchw, nhwc, torch

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
    assert layer._pad == ((0, 1), (0, 1))


def test_no_bias_and_functional_api_agree(rng):
    x = rng.standard_normal((3, 5, 5, 2))
    k = rng.standard_normal((3, 3, 2, 4))
    y, xp = conv2d(x, k)
    dx, dk, db = conv2d_backward(np.ones_like(y), xp, x.shape, k)
    assert y.shape == (3, 3, 3, 4) and dx.shape == x.shape and dk.shape == k.shape and db.shape == (4,)
    np.testing.assert_allclose(db, np.full(4, 27.0))


def test_writing_params_in_place_changes_the_output(rng):
    layer, x = make(CONFIGS[0], rng)
    before = layer.forward(x)
    layer.params["kernel"][...] *= 2
    layer.params["bias"][...] *= 2
    np.testing.assert_allclose(layer.forward(x), 2 * before, rtol=1e-12)


def test_float32_is_the_default_and_stays_float32(rng):
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
def test_random_configurations_against_naive_loops(seed):
    rng = np.random.default_rng(seed)
    for _ in range(10):
        g = int(rng.choice([1, 2]))
        c, f = g * int(rng.integers(1, 3)), g * int(rng.integers(1, 3))
        k = tuple(int(v) for v in rng.integers(1, 4, 2))
        s = tuple(int(v) for v in rng.integers(1, 3, 2))
        d = tuple(int(v) for v in rng.integers(1, 3, 2))
        p = tuple(tuple(int(v) for v in rng.integers(0, 3, 2)) for _ in range(2))
        layer, x = make((c, f, k, s, p, d, g), rng, size=(7, 6))
        expected = reference.conv2d(x, layer.params["kernel"], layer.params["bias"], s, p, d, g)
        np.testing.assert_allclose(layer.forward(x), expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("cfg", CONFIGS)
def test_every_input_gradient_method_agrees(cfg, rng):
    """dx may come tap by tap (any layer), as a full convolution (stride 1), by shift and
    accumulate (stride 1, ungrouped) or as one band product (ungrouped); all must be exact."""
    from striate.functional import conv as F
    from striate.functional.conv_band import conv2d_input_grad_band
    from striate.functional.conv_shift import conv2d_input_grad_shift

    layer, x = make(cfg, rng)
    c, f, k, s, p, d, g = cfg
    kernel = layer.params["kernel"]
    y = layer.forward(x)
    dy = rng.standard_normal(y.shape)
    dy_g = dy.reshape(-1, g, f // g).transpose(1, 0, 2)
    taps = F.conv2d_input_grad_taps(dy_g, kernel, x.shape, s, p, d)
    assert np.abs(taps).max() > 0
    others = []
    if s == (1, 1):
        others.append(F.conv2d_input_grad_full(dy, kernel, x.shape, p, d, g))
    if s == (1, 1) and g == 1:
        others.append(conv2d_input_grad_shift(dy, kernel, x.shape, p, d))
    if g == 1:
        others.append(conv2d_input_grad_band(dy, kernel, x.shape, s, p, d, {}))
    for dx in others:
        np.testing.assert_allclose(dx, taps, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape,kernel,stride,pad", [
    ((2, 5, 4, 2), (2, 2), (3, 3), ((1, 2), (2, 1))),  # stride larger than the kernel
    ((1, 4, 3, 3), (3, 2), (1, 2), ((4, 0), (0, 3))),  # padding larger than the kernel
    ((3, 6, 5, 1), (2, 5), (2, 1), ((0, 1), (0, 0))),  # an output one pixel wide
    ((2, 7, 7, 2), (3, 3), (2, 2), ((0, 0), (0, 0))),  # rows and columns no tap reads
])
def test_band_input_gradient_on_awkward_shapes(shape, kernel, stride, pad, dtype, rng):
    from striate.functional import conv as F
    from striate.functional.conv_band import conv2d_input_grad_band
    from striate.functional.im2col import output_hw

    k = rng.standard_normal((*kernel, shape[3], 3)).astype(dtype)
    dy = rng.standard_normal((shape[0], *output_hw(shape, kernel, stride, pad, (1, 1)), 3)).astype(dtype)
    taps = F.conv2d_input_grad_taps(dy.reshape(1, -1, 3), k, shape, stride, pad, (1, 1))
    band = conv2d_input_grad_band(dy, k, shape, stride, pad, (1, 1), {})
    assert band.dtype == dtype and band.shape == shape
    np.testing.assert_allclose(band, taps, rtol=1e-5, atol=1e-5)


def test_the_band_is_not_taken_for_wide_images_or_many_channels():
    from striate.functional.conv_band import pays

    none = ((0, 0), (0, 0))
    assert pays((32, 14, 14, 6), (5, 5, 6, 16), none)  # LeNet-5's second layer
    assert not pays((8, 1, 900, 1), (1, 31, 1, 32), ((0, 0), (15, 15)))  # a long 1-D signal
    assert not pays((4, 120, 120, 1), (5, 5, 1, 32), ((2, 2), (2, 2)))  # one channel, a wide image
    assert not pays((32, 7, 7, 64), (3, 3, 64, 64), ((1, 1), (1, 1)))  # many channels
    assert not pays((1, 4, 4, 1), (7, 7, 1, 100_000), ((3, 3), (3, 3)))  # a band over MAX_BYTES


def test_band_input_gradient_reuses_its_buffers_and_returns_new_arrays(rng):
    from striate.functional.conv_band import conv2d_input_grad_band

    for p in [((0, 0), (0, 0)), ((1, 2), (2, 1))]:
        kernel = rng.standard_normal((3, 3, 2, 4))
        dy = rng.standard_normal((2, 5, 5, 4) if p[0] == (0, 0) else (2, 8, 8, 4))
        workspace = {}
        first = conv2d_input_grad_band(dy, kernel, (2, 7, 7, 2), (1, 1), p, (1, 1), workspace)
        expected = first.copy()
        second = conv2d_input_grad_band(dy, kernel, (2, 7, 7, 2), (1, 1), p, (1, 1), workspace)
        assert not np.may_share_memory(first, second)
        np.testing.assert_array_equal(first, expected)
        np.testing.assert_array_equal(second, expected)


@pytest.mark.parametrize("cfg", CONFIGS)
def test_results_do_not_depend_on_the_chunk_size(cfg, rng, monkeypatch):
    from striate.functional import conv as conv_module
    from striate.functional import im2col

    results = []
    for chunk_bytes in (1, 1 << 40):  # one image per chunk, then the whole batch at once
        monkeypatch.setattr(im2col, "CHUNK_BYTES", chunk_bytes)
        monkeypatch.setattr(conv_module, "WHOLE_BYTES", chunk_bytes)
        layer, x = make(cfg, np.random.default_rng(5))
        y = layer.forward(x, training=True)
        dx = layer.backward(np.random.default_rng(6).standard_normal(y.shape))
        results.append((y, dx, layer.grads["kernel"], layer.grads["bias"]))
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


def test_conv2d_with_a_kernel_of_another_dtype_returns_the_input_dtype(rng):
    from striate.functional import conv as F

    x = rng.standard_normal((2, 5, 5, 64)).astype(np.float32)
    kernel = rng.standard_normal((3, 3, 64, 64))  # float64: a product larger than the small-kernel path
    y, _ = F.conv2d(x, kernel)
    assert y.dtype == np.float32
    np.testing.assert_allclose(y, F.conv2d(x.astype(np.float64), kernel)[0], rtol=1e-4, atol=1e-4)


def test_small_kernels_keep_their_patches_for_backward_in_training_only(rng, monkeypatch):
    """In training, a small kernel gathers the whole batch's patches at once, so that
    backward reuses them; inference (and large kernels) gather in cache-sized chunks."""
    from striate.functional import conv as conv_module
    from striate.functional import im2col

    monkeypatch.setattr(im2col, "CHUNK_BYTES", 4096)  # a few images per chunk
    small = L.Conv2D(4, 3)
    small.build((8, 8, 2), rng=rng)
    large = L.Conv2D(64, 3)
    large.build((8, 8, 64), rng=rng)
    for layer, kept in [(small, True), (large, False)]:
        x = rng.standard_normal((16, *layer.input_shape)).astype(np.float32)
        y = layer.forward(x, training=True)
        assert (layer._workspace[True]["patches"] is not None) == kept
        layer.forward(x)
        assert layer._workspace[False]["patches"] is None  # inference: chunked
        dx = layer.backward(np.ones_like(y))
        monkeypatch.setattr(conv_module, "WHOLE_BYTES", x.nbytes)  # the batch's patches no longer fit
        layer.forward(x, training=True)
        assert layer._workspace[True]["patches"] is None  # chunked, gathered again by backward
        np.testing.assert_allclose(layer.backward(np.ones_like(y)), dx, rtol=1e-5, atol=1e-5)
        monkeypatch.undo()
        monkeypatch.setattr(im2col, "CHUNK_BYTES", 4096)
