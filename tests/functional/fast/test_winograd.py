"""Winograd's 3×3 convolution equals the reference (striate.functional.conv) on random
configurations, forward and every gradient, forced through fast conv2d's method=; the
layer runs it where the table says, and a method that does not apply is refused."""

import numpy as np
import pytest

import striate
from striate import layers as L
from striate.functional import conv as reference
from striate.functional import conv_transpose as reference_t
from striate.functional import fast
from striate.functional.fast import algorithms
from striate.functional.fast.winograd_transforms import TRANSFORMS, tile_correlate

METHODS = ("winograd", "winograd4")


def random_case(rng):
    """A stride-1 3×3 layer: N 1–5, H, W 1–13, C, F 1–9, paddings 0–3 each side (or "same")."""
    while True:
        n, c, f = int(rng.integers(1, 6)), int(rng.integers(1, 10)), int(rng.integers(1, 10))
        h, w = (int(v) for v in rng.integers(1, 14, 2))
        if rng.random() < 0.3:
            pad = ((1, 1), (1, 1))  # "same"
        else:
            pad = tuple(tuple(int(v) for v in rng.integers(0, 4, 2)) for _ in range(2))
        if h + sum(pad[0]) >= 3 and w + sum(pad[1]) >= 3:
            return n, h, w, c, f, pad


def tolerance(dtype, method):
    if dtype == np.float64:
        return 1e-10
    return 2e-5 if method == "winograd" else 2e-4  # F(4×4, 3×3): about ten times F(2×2)'s rounding


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("seed", range(6))
def test_winograd_equals_the_reference_on_random_configurations(seed, method, dtype):
    rng = np.random.default_rng(seed)
    tol = tolerance(dtype, method)
    for _ in range(10):
        n, h, w, c, f, pad = random_case(rng)
        x = rng.standard_normal((n, h, w, c)).astype(dtype)
        kernel = rng.standard_normal((3, 3, c, f)).astype(dtype)
        bias = rng.standard_normal(f).astype(dtype) if rng.random() < 0.5 else None
        y_ref, cache_ref = reference.conv2d(x, kernel, bias, (1, 1), pad)
        dy = rng.standard_normal(y_ref.shape).astype(dtype)
        expected = reference.conv2d_backward(dy, cache_ref, kernel, (1, 1), pad)
        workspace = {}
        for _ in range(2):  # the second time round with the scratch buffers kept from the first
            y, cache = fast.conv2d(x, kernel, bias, (1, 1), pad, workspace=workspace, training=True, method=method)
            case = f"N={n} H={h} W={w} C={c} F={f} pad={pad} bias={bias is not None}"
            assert y.dtype == dtype and y.shape == y_ref.shape
            np.testing.assert_allclose(y, y_ref, rtol=tol, atol=tol * np.abs(y_ref).max(), err_msg=case)
            got = fast.conv2d_backward(dy, cache, kernel, (1, 1), pad, workspace=workspace, method=method)
            for a, b, name in zip(got, expected, ("dx", "dkernel", "dbias")):
                assert a.dtype == dtype and a.shape == b.shape
                np.testing.assert_allclose(a, b, rtol=tol, atol=tol * np.abs(b).max(), err_msg=f"{name} {case}")


@pytest.mark.parametrize("method", METHODS)
def test_no_input_gradient_and_one_image_chunks(method, rng):
    x, kernel = rng.standard_normal((5, 9, 8, 4)), rng.standard_normal((3, 3, 4, 6))
    pad = ((2, 0), (1, 2))
    y_ref, cache_ref = reference.conv2d(x, kernel, None, (1, 1), pad)
    dy = rng.standard_normal(y_ref.shape)
    _, dk_ref, db_ref = reference.conv2d_backward(dy, cache_ref, kernel, (1, 1), pad)
    m = 4 if method == "winograd4" else 2
    y, cache = fast.winograd.conv2d_winograd(x, kernel, None, pad, m=m, chunk_images=1)
    dx, dk, db = fast.winograd.conv2d_winograd_backward(dy, cache, kernel, pad, False, chunk_images=2)
    assert dx is None
    np.testing.assert_allclose(y, y_ref, atol=1e-10)
    np.testing.assert_allclose(dk, dk_ref, atol=1e-10)
    np.testing.assert_allclose(db, db_ref, atol=1e-10)


def test_the_batched_transforms_match_one_worked_tile(rng):
    """One 4×4 tile and one channel: the kernel gives tile_correlate's 2×2 outputs."""
    d, g = rng.standard_normal((4, 4)), rng.standard_normal((3, 3))
    y, _ = fast.conv2d(d[None, :, :, None], g[:, :, None, None], method="winograd")
    np.testing.assert_allclose(y[0, :, :, 0], tile_correlate(d, g), atol=1e-12)
    bt, gm, at = TRANSFORMS[2]
    assert bt.shape == (4, 4) and gm.shape == (4, 3) and at.shape == (2, 4)


def test_float32_rounding_is_that_of_im2col(rng):
    """F(2×2, 3×3) in float32 is as close to float64 as im2col is (within a factor 3)."""
    x = rng.standard_normal((4, 14, 14, 32))
    kernel = rng.standard_normal((3, 3, 32, 16)) / 10
    exact, _ = reference.conv2d(x, kernel, None, (1, 1), ((1, 1), (1, 1)))
    errors = {}
    for method in ("im2col", "winograd"):
        y, _ = fast.conv2d(x.astype(np.float32), kernel.astype(np.float32), None, (1, 1), ((1, 1), (1, 1)),
                           method=method)
        errors[method] = np.abs(y - exact).max() / np.abs(exact).max()
    assert 0 < errors["winograd"] <= 3 * errors["im2col"], errors


@pytest.mark.parametrize("kernel_shape,stride,dilation,groups", [
    ((3, 3, 2, 4), (2, 2), (1, 1), 1),
    ((5, 5, 2, 4), (1, 1), (1, 1), 1),
    ((3, 3, 1, 4), (1, 1), (1, 1), 2),
    ((3, 3, 2, 4), (1, 1), (2, 2), 1),
])
def test_a_method_that_does_not_apply_is_refused(kernel_shape, stride, dilation, groups, rng):
    x, kernel = rng.standard_normal((1, 9, 9, 2)), rng.standard_normal(kernel_shape)
    with pytest.raises(ValueError, match="conv2d: method 'winograd' needs a 3×3 kernel, stride 1, dilation 1"):
        fast.conv2d(x, kernel, None, stride, ((1, 1), (1, 1)), dilation, groups, method="winograd")


def test_unknown_and_mismatched_methods_are_refused(rng):
    x, kernel = rng.standard_normal((1, 5, 5, 2)), rng.standard_normal((3, 3, 2, 4))
    with pytest.raises(ValueError, match="method must be one of im2col, winograd, winograd4, got 'fft'"):
        fast.conv2d(x, kernel, method="fft")
    y, cache = fast.conv2d(x, kernel, method="im2col")
    with pytest.raises(ValueError, match=r"method must be the one conv2d used \('im2col'\), got 'winograd'"):
        fast.conv2d_backward(np.ones_like(y), cache, kernel, method="winograd")
    y, cache = fast.conv2d(x, kernel, method="winograd")
    with pytest.raises(ValueError, match="dx_method applies to im2col only"):
        fast.conv2d_backward(np.ones_like(y), cache, kernel, dx_method="full")


def test_the_table_picks_winograd_for_the_4_conv_nets_inner_layers():
    same = (1, 1)
    assert algorithms.conv_method((64, 28, 28, 1), (3, 3, 1, 32), same, same, 1) == "im2col"  # first layer
    assert algorithms.conv_method((64, 28, 28, 8), (3, 3, 8, 32), same, same, 1) == "im2col"  # few channels
    for x_shape, k_shape in [((64, 28, 28, 32), (3, 3, 32, 32)), ((64, 14, 14, 32), (3, 3, 32, 64)),
                             ((64, 14, 14, 64), (3, 3, 64, 64))]:
        assert algorithms.conv_method(x_shape, k_shape, same, same, 1) == "winograd"
    assert algorithms.conv_method((64, 14, 14, 64), (3, 3, 64, 64), (2, 2), same, 1) == "im2col"
    assert algorithms.conv_method((64, 14, 14, 64), (5, 5, 64, 64), same, same, 1) == "im2col"
    assert algorithms.conv_method((64, 7, 7, 64), (3, 3, 64, 64), same, same, 1) == "im2col"  # 8×8 outputs for 7×7


def test_the_layer_runs_winograd_where_the_table_says_and_equals_the_reference(rng):
    layer = L.Conv2D(16, 3, padding="same")
    layer.build((12, 16, 32), rng=rng, dtype=np.float64)
    x = rng.standard_normal((3, 12, 16, 32))
    assert algorithms.conv_method(x.shape, layer.params["kernel"].shape, (1, 1), (1, 1), 1, ((1, 1), (1, 1))) \
        == "winograd"
    results = []
    for on in (True, False):
        with striate.reference(on):
            y = layer.forward(x, training=True)
            dx = layer.backward(np.cos(y))
        results.append((y, dx, layer.grads["kernel"].copy(), layer.grads["bias"].copy()))
    ops, cache = layer._cache[0]  # the fast path's (ops, cache): made by Winograd
    assert ops is fast and isinstance(cache, fast.winograd.WinogradCache)
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-10)


def test_a_transposed_convolution_where_the_table_picks_winograd_for_its_backward(rng):
    """Conv2DTranspose's backward runs a conv2d of dy whose cache it reads: still the reference's numbers."""
    x, kernel = rng.standard_normal((2, 12, 16, 24)), rng.standard_normal((3, 3, 16, 24))
    pad = ((1, 1), (1, 1))
    y, cache = fast.conv_transpose2d(x, kernel, None, (1, 1), pad)
    y_ref, cache_ref = reference_t.conv_transpose2d(x, kernel, None, (1, 1), pad)
    assert algorithms.conv_method(y.shape, kernel.shape, (1, 1), (1, 1), 1, pad) == "winograd"
    dy = rng.standard_normal(y.shape)
    got = fast.conv_transpose2d_backward(dy, cache, kernel, (1, 1), pad)
    expected = reference_t.conv_transpose2d_backward(dy, cache_ref, kernel, (1, 1), pad)
    np.testing.assert_allclose(y, y_ref, atol=1e-10)
    for a, b in zip(got, expected):
        np.testing.assert_allclose(a, b, atol=1e-10)


def test_an_im2col_layer_whose_input_gradient_runs_as_a_winograd_convolution(rng):
    """Few channels (im2col) but many filters: dx, a stride-1 3×3 convolution of dy with
    F = 32 input channels, may itself go to Winograd; the numbers stay the reference's."""
    x, kernel = rng.standard_normal((3, 12, 12, 4)), rng.standard_normal((3, 3, 4, 32))
    pad = ((1, 1), (1, 1))
    y, cache = fast.conv2d(x, kernel, None, (1, 1), pad, workspace={})
    y_ref, cache_ref = reference.conv2d(x, kernel, None, (1, 1), pad)
    dy = rng.standard_normal(y.shape)
    for dx_method in ("full", None):
        got = fast.conv2d_backward(dy, cache, kernel, (1, 1), pad, workspace={}, dx_method=dx_method)
        for a, b in zip(got, reference.conv2d_backward(dy, cache_ref, kernel, (1, 1), pad)):
            np.testing.assert_allclose(a, b, atol=1e-10)
