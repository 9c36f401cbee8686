"""Winograd's convolution at its edges: one workspace through many shapes and batch sizes
(its scratch buffers must never leak one call's numbers into the next), empty outputs,
inputs in any memory layout, float16 and large magnitudes; and a layer that runs it
alternating training and inference, changing image size, or switching to the reference
between forward and backward. Every result is checked against striate.functional.conv."""

import numpy as np
import pytest

import striate
from striate import layers as L
from striate.functional import conv as reference
from striate.functional import fast
from striate.functional.fast import algorithms

from ...memory import peak_bytes

METHODS = ("winograd", "winograd4")
SAME = ((1, 1), (1, 1))


def check_against_reference(x, kernel, bias, pad, method, workspace=None, dy=None, tol=1e-10, chunk=None):
    """Forward and backward of fast conv2d (method forced) equal the reference's."""
    y_ref, cache_ref = reference.conv2d(x, kernel, bias, (1, 1), pad)
    if dy is None:
        dy = np.cos(np.arange(y_ref.size, dtype=x.dtype)).reshape(y_ref.shape)
    expected = (y_ref,) + reference.conv2d_backward(dy, cache_ref, kernel, (1, 1), pad)
    if chunk is None:
        y, cache = fast.conv2d(x, kernel, bias, (1, 1), pad, workspace=workspace, training=True, method=method)
        got = (y,) + fast.conv2d_backward(dy, cache, kernel, (1, 1), pad, workspace=workspace)
    else:
        m = 4 if method == "winograd4" else 2
        y, cache = fast.winograd.conv2d_winograd(x, kernel, bias, pad, workspace=workspace, m=m, chunk_images=chunk)
        got = (y,) + fast.winograd.conv2d_winograd_backward(dy, cache, kernel, pad, workspace=workspace,
                                                            chunk_images=chunk)
    for a, b, name in zip(got, expected, ("y", "dx", "dkernel", "dbias")):
        assert a.shape == b.shape, name
        np.testing.assert_allclose(a, b, rtol=tol, atol=tol * max(1.0, np.abs(b).max(initial=0)),
                                   err_msg=f"{name}: x {x.shape} pad {pad} {method}")


@pytest.mark.parametrize("method", METHODS)
def test_one_workspace_through_changing_shapes_and_batches(method, rng):
    """The tiles' layout changes while the scratch sizes stay the same (1 row of 3 tiles,
    then 2 rows of 1: T' = 4 both times), batches split into chunks of every size, an
    inf that went through the scratch first: every call still gives the reference's numbers."""
    m = 4 if method == "winograd4" else 2
    workspace = {}
    kernel, bias = rng.standard_normal((3, 3, 3, 2)), rng.standard_normal(2)
    poisoned = np.full((3, 2 * m, 2 * m, 3), np.inf)
    with np.errstate(invalid="ignore"):  # inf − inf: nan all through the scratch
        _, cache = fast.winograd.conv2d_winograd(poisoned, kernel, bias, SAME, workspace=workspace, m=m,
                                                 chunk_images=2)
        fast.winograd.conv2d_winograd_backward(np.ones((3, 2 * m, 2 * m, 2)), cache, kernel, SAME,
                                               workspace=workspace, chunk_images=2)
    for n, h, w, chunk in [(1, m, 3 * m, None), (1, 2 * m, m, None), (5, 2 * m, m, 2), (3, m, 3 * m, 2),
                           (4, 2 * m - 1, m + 1, 3), (1, 2 * m - 1, m + 1, None)]:
        x = rng.standard_normal((n, h, w, 3))
        check_against_reference(x, kernel, bias, SAME, method, workspace, chunk=chunk)


@pytest.mark.parametrize("method", METHODS)
def test_the_cache_outlives_calls_with_another_workspace(method, rng):
    """A layer's pattern: forward(training) with one workspace, an inference forward with
    the other, then backward with the first: the cache is still the training input's."""
    kernel = rng.standard_normal((3, 3, 4, 5))
    x, other = rng.standard_normal((2, 6, 7, 4)), rng.standard_normal((3, 6, 7, 4))
    train, infer = {}, {}
    y, cache = fast.conv2d(x, kernel, None, (1, 1), SAME, workspace=train, training=True, method=method)
    fast.conv2d(other, kernel, None, (1, 1), SAME, workspace=infer, method=method)
    y_ref, cache_ref = reference.conv2d(x, kernel, None, (1, 1), SAME)
    dy = rng.standard_normal(y.shape)
    got = fast.conv2d_backward(dy, cache, kernel, (1, 1), SAME, workspace=train)
    for a, b in zip(got, reference.conv2d_backward(dy, cache_ref, kernel, (1, 1), SAME)):
        np.testing.assert_allclose(a, b, atol=1e-10)


@pytest.mark.parametrize("method", METHODS + (None,))
def test_an_empty_output_as_the_reference_and_a_too_small_input_refused(method, rng):
    """H + pads = 2: the reference gives an empty output and zero gradients; so does Winograd
    (the table, method=None, sends it to im2col). H + pads = 1: a ValueError saying so."""
    kernel, bias = rng.standard_normal((3, 3, 16, 4)), rng.standard_normal(4)
    for x, pad in [(rng.standard_normal((2, 2, 9, 16)), ((0, 0), (1, 1))),
                   (rng.standard_normal((2, 1, 1, 16)), ((1, 0), (0, 1))),
                   (rng.standard_normal((0, 5, 5, 16)), SAME)]:
        check_against_reference(x, kernel, bias, pad, method, {})
    x = rng.standard_normal((2, 1, 5, 16))
    if method is not None:
        with pytest.raises(ValueError, match="conv2d: a 3×3 kernel needs a padded input of at least 2×2 pixels "
                                             r"\(an empty output\), got 1×7"):
            fast.conv2d(x, kernel, bias, (1, 1), ((0, 0), (1, 1)), method=method)


@pytest.mark.parametrize("method", METHODS)
def test_inputs_in_any_memory_layout_and_huge_padding(method, rng):
    base = rng.standard_normal((3, 9, 16, 5))
    kernel = rng.standard_normal((3, 3, 6, 5)).transpose(0, 1, 3, 2)  # (3, 3, 5, 6), not contiguous
    read_only = base[:, :, ::2].copy()
    read_only.setflags(write=False)
    dy_view = rng.standard_normal((3, 7, 12, 6))[:, :, ::2]  # (3, 7, 6, 6), strided
    for x, pad, dy in [(np.asfortranarray(base[:, :, :8]), SAME, None), (base[:, ::-1, ::2], SAME, None),
                       (read_only, ((0, 0), (0, 0)), dy_view), (base[::2, :4, :3], ((7, 9), (11, 5)), None),
                       (base[:1], ((3, 0), (0, 4)), None)]:
        check_against_reference(x, kernel, rng.standard_normal(6)[::-1], pad, method, {}, dy)


@pytest.mark.parametrize("size", [14, 15])  # whole tiles; a tile row and column past the output
def test_memory_of_a_training_pass_is_that_of_im2col(size, rng):
    """The peak of a forward and backward (fresh scratch, so every buffer is counted) is
    within 1.4× of im2col's: Winograd's scratch is chunk-sized, nothing but the padded
    input and the outputs grows with the batch."""
    x = rng.standard_normal((64, size, size, 32)).astype(np.float32)
    kernel = rng.standard_normal((3, 3, 32, 32)).astype(np.float32)
    dy = rng.standard_normal((64, size, size, 32)).astype(np.float32)
    peaks = {}
    for method in ("im2col", "winograd"):
        def training_pass():
            workspace = {}
            y, cache = fast.conv2d(x, kernel, None, (1, 1), SAME, workspace=workspace, training=True, method=method)
            fast.conv2d_backward(dy, cache, kernel, (1, 1), SAME, workspace=workspace)
        peaks[method] = peak_bytes(training_pass)
    assert peaks["winograd"] <= 1.4 * peaks["im2col"], {k: f"{v / 2**20:.1f} MiB" for k, v in peaks.items()}


def relative_errors(dtype, method, x, kernel, dy, pad=SAME):
    """max |fast in dtype − reference in float64| / max |reference| for y, dx, dkernel, dbias."""
    y_ref, cache_ref = reference.conv2d(x, kernel, None, (1, 1), pad)
    exact = (y_ref,) + reference.conv2d_backward(dy, cache_ref, kernel, (1, 1), pad)
    y, cache = fast.conv2d(x.astype(dtype), kernel.astype(dtype), None, (1, 1), pad, training=True, method=method)
    got = (y,) + fast.conv2d_backward(dy.astype(dtype), cache, kernel.astype(dtype), (1, 1), pad)
    assert all(a.dtype == dtype for a in got)
    return np.array([np.abs(a.astype(np.float64) - b).max() / np.abs(b).max() for a, b in zip(got, exact)])


@pytest.mark.parametrize("dtype,scale,offset", [(np.float16, 1, 0), (np.float32, 1e6, 0), (np.float32, 1, 1e4)])
def test_rounding_like_im2col_in_float16_and_at_large_magnitudes(dtype, scale, offset, rng):
    """F(2×2, 3×3) rounds within a factor 3 of im2col, forward and every gradient: in
    float16 (which the fast kernels keep), for inputs of a million, for inputs of
    10⁴ ± 1 (the transforms' differences cancel the offset)."""
    x = rng.standard_normal((3, 10, 10, 16)) * scale + offset
    kernel = rng.standard_normal((3, 3, 16, 8)) / 10
    dy = rng.standard_normal((3, 10, 10, 8))
    im2col = relative_errors(dtype, "im2col", x, kernel, dy)
    winograd = relative_errors(dtype, "winograd", x, kernel, dy)
    assert np.all(winograd <= 3 * im2col), (winograd, im2col)


def test_a_layer_alternating_training_and_inference_and_changing_image_size(rng):
    """A variable-size Conv2D (Winograd by the table) trained on two image sizes in turn,
    with an inference pass between each forward and its backward: the reference's gradients."""
    layer = L.Conv2D(8, 3, padding="same")
    layer.build((None, None, 16), rng=rng, dtype=np.float64)
    twin = L.Conv2D(8, 3, padding="same")
    twin.build((None, None, 16), dtype=np.float64)
    twin.params = layer.params
    for h, w in [(8, 16), (6, 22), (8, 16), (10, 14)]:  # 4 rows of 8 tiles, 3 of 11: 36 with the extra ones
        x, dy = rng.standard_normal((2, h, w, 16)), rng.standard_normal((2, h, w, 8))
        assert algorithms.conv_method(x.shape, (3, 3, 16, 8), (1, 1), (1, 1), 1, SAME) == "winograd"
        y = layer.forward(x, training=True)
        layer.forward(rng.standard_normal((3, w, h, 16)))  # inference in between, another size
        dx = layer.backward(dy)
        with striate.reference():
            y_ref = twin.forward(x, training=True)
            dx_ref = twin.backward(dy)
        for a, b in [(y, y_ref), (dx, dx_ref)] + [(layer.grads[k], twin.grads[k]) for k in ("kernel", "bias")]:
            np.testing.assert_allclose(a, b, atol=1e-10, err_msg=f"{h}×{w}")


def test_the_switch_flipped_between_forward_and_backward(rng):
    """The layer's backward follows the ops that made its cache, whatever striate.reference() says now."""
    layer = L.Conv2D(8, 3, padding="same")
    layer.build((8, 8, 16), rng=rng, dtype=np.float64)
    x, dy = rng.standard_normal((2, 8, 8, 16)), rng.standard_normal((2, 8, 8, 8))
    results = []
    for forward_on, backward_on in [(False, True), (True, False), (True, True)]:
        with striate.reference(forward_on):
            y = layer.forward(x, training=True)
        with striate.reference(backward_on):
            dx = layer.backward(dy)
        results.append((y, dx, layer.grads["kernel"].copy(), layer.grads["bias"].copy()))
    for got in results[:2]:
        for a, b in zip(got, results[2]):
            np.testing.assert_allclose(a, b, atol=1e-10)


@pytest.mark.parametrize("row,col", [(0, 0), (4, 5), (5, 4), (8, 9), (3, 2)])  # every phase of a 2×2 tile
def test_non_finite_inputs_reach_the_outputs_they_reach_in_the_reference(row, col, rng):
    """F(2×2, 3×3): a nan or inf pixel makes non-finite exactly the reference's non-finite
    outputs (an inf as nan: inf − inf in the transforms); the finite ones are the reference's."""
    kernel = rng.standard_normal((3, 3, 2, 3))
    for bad in (np.nan, np.inf, -np.inf):
        x = rng.standard_normal((2, 9, 10, 2))
        x[1, row, col, 0] = bad
        y_ref, _ = reference.conv2d(x, kernel, None, (1, 1), SAME)
        with np.errstate(invalid="ignore"):
            y, _ = fast.conv2d(x, kernel, None, (1, 1), SAME, method="winograd")
        finite = np.isfinite(y_ref)
        np.testing.assert_array_equal(np.isfinite(y), finite)
        np.testing.assert_allclose(y[finite], y_ref[finite], atol=1e-10)
