"""Every fast convolution kernel equals its reference (striate.functional.conv) over
random configurations: strides, paddings, dilations, groups, odd sizes, batch 1, every
input-gradient method, every chunk size, training and inference."""

import numpy as np
import pytest

from striate.functional import conv as reference
from striate.functional import conv_transpose as reference_t
from striate.functional import fast
from striate.functional.fast import algorithms

NONE = ((0, 0), (0, 0))


def random_config(rng):
    g = int(rng.choice([1, 1, 2, 3]))
    c, f = g * int(rng.integers(1, 4)), g * int(rng.integers(1, 4))
    k = tuple(int(v) for v in rng.integers(1, 5, 2))
    s = tuple(int(v) for v in rng.integers(1, 4, 2))
    d = tuple(int(v) for v in rng.integers(1, 3, 2))
    p = tuple(tuple(int(v) for v in rng.integers(0, 4, 2)) for _ in range(2))
    n = int(rng.choice([1, 2, 5]))
    size = tuple(int(v) for v in rng.integers(1, 10, 2))
    return c, f, k, s, p, d, g, n, size


def fits(cfg):
    c, f, k, s, p, d, g, n, (h, w) = cfg
    (t, b), (l, r) = p
    return h + t + b >= d[0] * (k[0] - 1) + 1 and w + l + r >= d[1] * (k[1] - 1) + 1


def methods(s, g):
    """The input-gradient methods that apply to a layer with stride s and g groups."""
    return [m for m in algorithms.INPUT_GRAD_METHODS
            if not (m in ("full", "shift") and s != (1, 1)) and not (m in ("band", "shift") and g != 1)]


def both(cfg, rng, dtype=np.float64, bias=True):
    c, f, k, s, p, d, g, n, size = cfg
    x = rng.standard_normal((n, *size, c)).astype(dtype)
    kernel = rng.standard_normal((*k, c // g, f)).astype(dtype)
    b = rng.standard_normal(f).astype(dtype) if bias else None
    return x, kernel, b


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("seed", range(8))
def test_fast_conv_equals_the_reference_on_random_configurations(seed, dtype):
    rng = np.random.default_rng(seed)
    tol = 1e-4 if dtype == np.float32 else 1e-10
    tried = 0
    while tried < 12:
        cfg = random_config(rng)
        if not fits(cfg):
            continue
        tried += 1
        c, f, k, s, p, d, g, n, size = cfg
        x, kernel, bias = both(cfg, rng, dtype, bias=bool(rng.integers(0, 2)))
        y_ref, cache_ref = reference.conv2d(x, kernel, bias, s, p, d, g)
        dy = rng.standard_normal(y_ref.shape).astype(dtype)
        expected = reference.conv2d_backward(dy, cache_ref, kernel, s, p, d, g)
        for training in (False, True):
            for chunk_bytes in (None, 1):  # the table's chunks; one image per chunk
                y, cache = fast.conv2d(x, kernel, bias, s, p, d, g, workspace={}, training=training,
                                       chunk_bytes=chunk_bytes)
                assert y.dtype == dtype
                np.testing.assert_allclose(y, y_ref, rtol=tol, atol=tol, err_msg=str(cfg))
                for method in methods(s, g):
                    got = fast.conv2d_backward(dy, cache, kernel, s, p, d, g, workspace={}, dx_method=method,
                                               chunk_bytes=chunk_bytes)
                    for a, b, name in zip(got, expected, ("dx", "dkernel", "dbias")):
                        assert a.dtype == dtype
                        np.testing.assert_allclose(a, b, rtol=tol, atol=tol, err_msg=f"{name} {method} {cfg}")


@pytest.mark.parametrize("shape,kernel,stride,pad", [
    ((2, 5, 4, 2), (2, 2), (3, 3), ((1, 2), (2, 1))),  # stride larger than the kernel
    ((1, 4, 3, 3), (3, 2), (1, 2), ((4, 0), (0, 3))),  # padding larger than the kernel
    ((3, 6, 5, 1), (2, 5), (2, 1), ((0, 1), (0, 0))),  # an output one pixel wide
    ((2, 7, 7, 2), (3, 3), (2, 2), NONE),  # rows and columns no tap reads
    ((32, 14, 14, 6), (5, 5), (1, 1), NONE),  # LeNet-5's second layer
])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_every_input_gradient_method_on_awkward_shapes(shape, kernel, stride, pad, dtype, rng):
    x = rng.standard_normal(shape).astype(dtype)
    k = rng.standard_normal((*kernel, shape[3], 3)).astype(dtype)
    y, cache = reference.conv2d(x, k, None, stride, pad)
    dy = rng.standard_normal(y.shape).astype(dtype)
    expected, _, _ = reference.conv2d_backward(dy, cache, k, stride, pad)
    _, cache = fast.conv2d(x, k, None, stride, pad, workspace={})
    tol = 1e-4 if dtype == np.float32 else 1e-10
    for method in methods(stride, 1):
        dx, _, _ = fast.conv2d_backward(dy, cache, k, stride, pad, workspace={}, dx_method=method)
        assert dx.dtype == dtype and dx.shape == shape
        np.testing.assert_allclose(dx, expected, rtol=tol, atol=tol, err_msg=method)


def test_a_method_that_does_not_apply_is_refused(rng):
    x, k = rng.standard_normal((1, 6, 6, 2)), rng.standard_normal((3, 3, 1, 2))
    y, cache = fast.conv2d(x, k, None, (2, 2), NONE, (1, 1), 2)
    with pytest.raises(ValueError, match="'shift' needs stride 1"):
        fast.conv2d_backward(np.ones_like(y), cache, k, (2, 2), NONE, (1, 1), 2, dx_method="shift")
    with pytest.raises(ValueError, match="'band' needs groups = 1"):
        fast.conv2d_backward(np.ones_like(y), cache, k, (2, 2), NONE, (1, 1), 2, dx_method="band")
    with pytest.raises(ValueError, match="dx_method must be one of band, full, shift, taps, got 'fft'"):
        fast.conv2d_backward(np.ones_like(y), cache, k, (2, 2), NONE, (1, 1), 2, dx_method="fft")


def test_the_table_picks_the_band_for_small_few_channel_layers_only():
    assert algorithms.input_grad_method((32, 14, 14, 6), (5, 5, 6, 16), (32, 10, 10, 16), (1, 1), NONE, 1) == "band"
    assert not algorithms.band_fits((8, 1, 900, 1), (1, 31, 1, 32), ((0, 0), (15, 15)))  # a long 1-D signal
    assert not algorithms.band_fits((4, 120, 120, 1), (5, 5, 1, 32), ((2, 2), (2, 2)))  # one channel, wide
    assert not algorithms.band_fits((32, 7, 7, 64), (3, 3, 64, 64), ((1, 1), (1, 1)))  # many channels
    assert not algorithms.band_fits((1, 4, 4, 1), (7, 7, 1, 100_000), ((3, 3), (3, 3)))  # over BAND_MAX_BYTES
    assert algorithms.input_grad_method((2, 9, 9, 64), (3, 3, 64, 64), (2, 7, 7, 64), (2, 2), NONE, 1) == "taps"


@pytest.mark.parametrize("x_shape,pad", [((2, 7, 7, 2), ((1, 2), (2, 1))), ((1, 7, 7, 1), NONE)])
def test_scratch_buffers_are_reused_and_results_are_new_arrays(x_shape, pad, rng):
    x, k, b = rng.standard_normal(x_shape), rng.standard_normal((3, 3, x_shape[3], 4)), rng.standard_normal(4)
    workspace = {}
    for method in ("band", "full", "shift", "taps"):
        first, cache = fast.conv2d(x, k, b, (1, 1), pad, workspace=workspace, training=True)
        dy = rng.standard_normal(first.shape)
        dx1 = fast.conv2d_backward(dy, cache, k, (1, 1), pad, workspace=workspace, dx_method=method)
        kept = [a.copy() for a in (first, *dx1)]
        second, cache = fast.conv2d(x, k, b, (1, 1), pad, workspace=workspace, training=True)
        dx2 = fast.conv2d_backward(dy, cache, k, (1, 1), pad, workspace=workspace, dx_method=method)
        for a, b_, k_ in zip((first, *dx1), (second, *dx2), kept):
            assert not np.may_share_memory(a, b_)
            np.testing.assert_array_equal(a, k_)


def test_one_workspace_serves_calls_of_other_paddings_and_kernels(rng):
    """Scratch kept for one call is not reused where it would carry stale numbers: a
    padding of the same padded size elsewhere, a kernel whose output is narrower."""
    workspace = {}
    x = rng.standard_normal((2, 6, 6, 2))
    for pad, k in [(((2, 0), (1, 1)), (3, 3)), (((0, 2), (1, 1)), (3, 3)), (((0, 2), (1, 1)), (3, 5))]:
        kernel = rng.standard_normal((*k, 2, 3))
        y, cache = fast.conv2d(x, kernel, None, (1, 1), pad, workspace=workspace)
        y_ref, cache_ref = reference.conv2d(x, kernel, None, (1, 1), pad)
        np.testing.assert_allclose(y, y_ref, rtol=1e-10, atol=1e-10)
        dy = rng.standard_normal(y.shape)
        dx, _, _ = fast.conv2d_backward(dy, cache, kernel, (1, 1), pad, workspace=workspace, dx_method="shift")
        np.testing.assert_allclose(dx, reference.conv2d_backward(dy, cache_ref, kernel, (1, 1), pad)[0],
                                   rtol=1e-10, atol=1e-10)


def test_float32_with_a_float64_kernel_returns_float32(rng):
    x = rng.standard_normal((2, 5, 5, 64)).astype(np.float32)
    kernel = rng.standard_normal((3, 3, 64, 64))  # a product larger than the small-kernel path
    y, _ = fast.conv2d(x, kernel)
    assert y.dtype == np.float32
    np.testing.assert_allclose(y, reference.conv2d(x.astype(np.float64), kernel)[0], rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("seed", range(4))
def test_fast_transposed_convolution_equals_the_reference(seed):
    rng = np.random.default_rng(seed)
    for _ in range(12):
        g = int(rng.choice([1, 2]))
        c, f = g * int(rng.integers(1, 3)), g * int(rng.integers(1, 3))
        k = tuple(int(v) for v in rng.integers(1, 4, 2))
        s = tuple(int(v) for v in rng.integers(1, 4, 2))
        d = tuple(int(v) for v in rng.integers(1, 3, 2))
        op = tuple(int(rng.integers(0, max(si, di))) for si, di in zip(s, d))
        p = tuple(tuple(int(v) for v in rng.integers(0, 3, 2)) for _ in range(2))
        x = rng.standard_normal((int(rng.integers(1, 3)), int(rng.integers(1, 7)), int(rng.integers(1, 7)), c))
        kernel, bias = rng.standard_normal((*k, f // g, c)), rng.standard_normal(f)
        try:
            y_ref, x_ref = reference_t.conv_transpose2d(x, kernel, bias, s, p, op, d, g)
        except ValueError:
            continue  # the padding removes the whole output
        if min(y_ref.shape[1:3]) < 1:
            continue
        y, cache = fast.conv_transpose2d(x, kernel, bias, s, p, op, d, g, workspace={})
        np.testing.assert_allclose(y, y_ref, rtol=1e-10, atol=1e-10)
        dy = rng.standard_normal(y.shape)
        expected = reference_t.conv_transpose2d_backward(dy, x_ref, kernel, s, p, d, g)
        got = fast.conv_transpose2d_backward(dy, cache, kernel, s, p, d, g, workspace={})
        for a, b in zip(got, expected):
            np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-10)
