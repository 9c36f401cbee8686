"""Scratch buffers (striate.functional.fast.workspace): 64-byte aligned, of the shape and
dtype asked for; `buffer` reused only while the shape, dtype, fill and tag stay the same,
`scratch` whatever the shape, grown when a call needs more."""

import numpy as np
import pytest

from striate.functional.fast.workspace import ALIGN, aligned_empty, aligned_full, buffer, scratch


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int8, np.complex64])
@pytest.mark.parametrize("shape", [(1,), (3, 5), (7, 11, 13), (64, 28, 28, 32), 17])
def test_aligned_empty_is_aligned_contiguous_and_writable(shape, dtype):
    for _ in range(4):  # a few allocations: the allocator's offset varies
        a = aligned_empty(shape, dtype)
        assert a.shape == (shape if isinstance(shape, tuple) else (shape,))
        assert a.dtype == dtype
        assert a.ctypes.data % ALIGN == 0
        assert a.flags.c_contiguous and a.flags.writeable
        a[...] = 3
        assert np.all(a == 3)


def test_aligned_empty_of_no_elements_is_numpys_own():
    """An empty output (a convolution with no output pixels) builds strided views on its
    buffer: they need the strides of NumPy's own empty array."""
    a = aligned_empty((2, 0, 4), np.float32)
    assert a.shape == (2, 0, 4) and a.dtype == np.float32 and a.size == 0
    assert a.strides == np.empty((2, 0, 4), np.float32).strides
    np.ndarray((2, 0), a.dtype, a, 0, (a.strides[0], a.strides[2]))  # a view of it, as band.py makes


def test_aligned_full_holds_its_fill():
    a = aligned_full((5, 9), np.float64, 1.5)
    assert a.ctypes.data % ALIGN == 0
    np.testing.assert_array_equal(a, np.full((5, 9), 1.5))


def test_buffer_is_aligned_filled_and_reused_while_the_request_is_the_same():
    workspace = {}
    a = buffer(workspace, "pad", (4, 6, 6, 3), np.float32, fill=0)
    assert a.ctypes.data % ALIGN == 0 and a.dtype == np.float32 and a.shape == (4, 6, 6, 3)
    np.testing.assert_array_equal(a, 0)
    a[1] = 5  # what a kernel writes stays for the next call with the same request
    assert buffer(workspace, "pad", (4, 6, 6, 3), np.float32, fill=0) is a
    assert buffer(workspace, "pad", (4, 6, 6, 3), np.float64, fill=0) is not a  # another dtype
    b = buffer(workspace, "pad", (4, 6, 6, 3), np.float32, fill=1)  # another fill: a new buffer, filled
    np.testing.assert_array_equal(b, 1)
    c = buffer(workspace, "pad", (4, 6, 6, 3), np.float32, fill=1, tag="other layout")
    assert c is not b and c.ctypes.data % ALIGN == 0


def test_buffer_without_a_workspace_is_new_each_time():
    a = buffer(None, "x", (8,), np.float32)
    assert buffer(None, "x", (8,), np.float32) is not a
    assert a.ctypes.data % ALIGN == 0


def test_scratch_is_aligned_reused_for_smaller_shapes_and_grown_for_larger():
    workspace = {}
    a = scratch(workspace, "v", (16, 7, 32), np.float32)
    assert a.shape == (16, 7, 32) and a.dtype == np.float32 and a.flags.c_contiguous
    assert a.ctypes.data % ALIGN == 0
    b = scratch(workspace, "v", (16, 3, 32), np.float32)  # a batch's last, smaller chunk: the same memory
    assert b.ctypes.data == a.ctypes.data and b.shape == (16, 3, 32)
    c = scratch(workspace, "v", (16, 9, 32), np.float32)  # more: a new buffer, kept from now on
    assert c.ctypes.data % ALIGN == 0 and scratch(workspace, "v", (16, 7, 32), np.float32).ctypes.data == c.ctypes.data
    d = scratch(None, "v", (5, 3), np.float64)
    assert d.shape == (5, 3) and d.ctypes.data % ALIGN == 0
