"""Fast patch gathering: padding into kept buffers, the window view, im2col with a ones column.

The same patches as the reference (striate.functional.im2col: row p of `cols` holds the
patch that output pixel p sees, columns ordered (kh, kw, C)), gathered faster:

- into scratch buffers kept from one call to the next (workspace.py), with one copy of
  a strided view, a few images at a time (algorithms.chunks: a chunk's patches are
  still in cache when the product reads them);
- with one more column of ones, so that a kernel with the bias as its last row adds
  the bias in the product and its gradient's last row is Σ dy, the bias gradient;
- for a single input channel, tap-major, whose rows copy in long contiguous runs.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import as_strided

from ..im2col import window_layout
from ..shapes import Pair, Padding
from .workspace import buffer


def pad_nhwc(x: np.ndarray, padding: Padding, value: float = 0.0, workspace=None, name="pad") -> np.ndarray:
    """The reference's pad_nhwc into a scratch buffer; x itself when there is no padding.

    With a workspace the buffer is reused: its border keeps `value` from the first call,
    only the interior is copied in.
    """
    (t, b), (l, r) = padding
    if not (t or b or l or r):
        return x
    n, h, w, c = x.shape
    xp = buffer(workspace, name, (n, h + t + b, w + l + r, c), x.dtype, fill=value, tag=padding)
    xp[:, t : t + h, l : l + w] = x
    return xp


def strided(a: np.ndarray, shape, strides) -> np.ndarray:
    """A view of a with the given shape and strides (bytes); nothing is copied.

    For a contiguous array the ndarray constructor over its buffer is used, 8× cheaper
    than as_strided; that matters when the whole layer takes a few microseconds.
    """
    if a.flags.c_contiguous:
        return np.ndarray(shape, a.dtype, a, 0, strides)
    return as_strided(a, shape, strides, writeable=False)


def windows(xp, kernel: Pair, stride: Pair, dilation: Pair, out_hw: Pair) -> np.ndarray:
    """The reference's window view (N, Ho, Wo, kh, kw, C) of xp, made by `strided`."""
    return strided(xp, *window_layout(xp, kernel, stride, dilation, out_hw))


def im2col(xp, kernel: Pair, stride: Pair, dilation: Pair, out_hw: Pair, groups: int, workspace=None,
           ones: bool = False):
    """Gather patches: (n, Hp, Wp, C) → cols (G, n·Ho·Wo, kh·kw·Cg), columns ordered (kh, kw, Cg).

    One copy of the strided window view. A single input channel is the exception: there
    the patches are gathered tap-major into a (kh·kw, n·Ho·Wo) buffer, whose rows copy
    in long contiguous runs (several times faster), and cols is its transpose, a view.

    ones (groups = 1 only): one more column, all ones, after the patch. A kernel with the
    bias as its last row then adds the bias in the product, and the kernel gradient's
    last row is Σ dy, the bias gradient: no separate pass over the output for either.
    The column lives in the reused buffer, so it is written once, not on every call.
    """
    n, _, _, c = xp.shape
    (kh, kw), (ho, wo) = kernel, out_hw
    m, k = n * ho * wo, kh * kw * c // groups
    if c == 1:
        # tap-major rows: row i·kw + j holds, for every output pixel, what tap (i, j) reads
        s0, s1, s2, _ = xp.strides
        (sh, sw), (dh, dw) = stride, dilation
        view = strided(xp, (kh, kw, n, ho, wo), (s1 * dh, s2 * dw, s0, s1 * sh, s2 * sw))
        rows = buffer(workspace, "cols1", (k + ones, m), xp.dtype, fill=1 if ones else None)
        np.copyto(rows[:k].reshape(kh, kw, n, ho, wo), view)
        return rows.reshape(1, k + ones, m).transpose(0, 2, 1)
    cg = c // groups
    win = windows(xp, kernel, stride, dilation, out_hw)  # (n, Ho, Wo, kh, kw, C)
    cols = buffer(workspace, "cols", (groups, m, k + ones), xp.dtype, fill=1 if ones else None)
    if groups == 1:
        np.copyto(cols[0, :, :k].reshape(n, ho, wo, kh, kw, c), win)
    else:
        win = win.reshape(n, ho, wo, kh, kw, groups, cg).transpose(5, 0, 1, 2, 3, 4, 6)
        np.copyto(cols.reshape(groups, n, ho, wo, kh, kw, cg), win)
    return cols
