"""Patch gathering for convolution: padding, kernel taps, im2col, batch chunks.

im2col turns a convolution into a matrix product: row p of `cols` holds the patch of
the padded input that output pixel p sees, columns ordered (kh, kw, C)::

    xp (N, Hp, Wp, C)  →  cols (N·Ho·Wo, kh·kw·C)      then  y = cols @ kernel

`cols` is kh·kw times larger than the input, so it is built a few images at a time
(`chunks`): a chunk's patches are still in the processor's cache when the product
reads them, which halves the memory traffic of a large layer.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .shapes import Pair, Padding
from .workspace import buffer

CHUNK_BYTES = 3 << 20  # patch matrix per chunk: about what a core's L2 cache holds


def pad_nhwc(x: np.ndarray, padding: Padding, value: float = 0.0, workspace=None, name="pad") -> np.ndarray:
    """Pad the two spatial axes of (N, H, W, C); returns x itself when there is no padding.

    With a workspace the padded buffer is reused: its border keeps `value` from the
    first call, only the interior is copied in.
    """
    (t, b), (l, r) = padding
    if not (t or b or l or r):
        return x
    n, h, w, c = x.shape
    xp = buffer(workspace, name, (n, h + t + b, w + l + r, c), x.dtype, fill=value)
    xp[:, t : t + h, l : l + w] = x
    return xp


def tap(stride: Pair, dilation: Pair, out_hw: Pair, i: int, j: int):
    """(rows, cols) slices of the padded input that kernel tap (i, j) reads, one per output pixel."""
    (sh, sw), (dh, dw), (ho, wo) = stride, dilation, out_hw
    return (slice(i * dh, i * dh + sh * (ho - 1) + 1, sh), slice(j * dw, j * dw + sw * (wo - 1) + 1, sw))


def chunks(n: int, bytes_per_image: int):
    """(start, stop) ranges covering 0..n, each about CHUNK_BYTES of patches."""
    step = max(1, min(n, CHUNK_BYTES // max(bytes_per_image, 1)))
    return [(s, min(s + step, n)) for s in range(0, n, step)]


def im2col(xp, kernel: Pair, stride: Pair, dilation: Pair, out_hw: Pair, groups: int, workspace=None):
    """Gather patches: (n, Hp, Wp, C) → cols (G, n·Ho·Wo, kh·kw·Cg), columns ordered (kh, kw, Cg).

    One copy of the strided window view. A single input channel is the exception: there
    each tap's pixels form one contiguous row of a (kh·kw, n·Ho·Wo) buffer, filled row
    by row (several times faster), and cols is that buffer's transpose, a view.
    """
    n, _, _, c = xp.shape
    (kh, kw), (ho, wo) = kernel, out_hw
    m = n * ho * wo
    if c == 1:
        rows = buffer(workspace, "cols1", (kh * kw, n, ho, wo), xp.dtype)
        for i in range(kh):
            for j in range(kw):
                r, s = tap(stride, dilation, out_hw, i, j)
                rows[i * kw + j] = xp[:, r, s, 0]
        return rows.reshape(1, kh * kw, m).transpose(0, 2, 1)
    cg = c // groups
    (sh, sw), (dh, dw) = stride, dilation
    view = sliding_window_view(xp, (dh * (kh - 1) + 1, dw * (kw - 1) + 1), axis=(1, 2))
    win = view[:, : sh * (ho - 1) + 1 : sh, : sw * (wo - 1) + 1 : sw, :, ::dh, ::dw]  # (n, Ho, Wo, C, kh, kw)
    win = win.reshape(n, ho, wo, groups, cg, kh, kw)
    cols = buffer(workspace, "cols", (groups, m, kh * kw * cg), xp.dtype)
    np.copyto(cols.reshape(groups, n, ho, wo, kh, kw, cg), win.transpose(3, 0, 1, 2, 5, 6, 4))
    return cols


def output_hw(x_shape, kernel_shape, stride: Pair, padding: Padding, dilation: Pair) -> Pair:
    """(Ho, Wo) = ((H + pt + pb − dh·(kh−1) − 1) // sh + 1, likewise for the width)."""
    _, h, w, _ = x_shape
    kh, kw = kernel_shape[:2]
    (t, b), (l, r) = padding
    return ((h + t + b - dilation[0] * (kh - 1) - 1) // stride[0] + 1,
            (w + l + r - dilation[1] * (kw - 1) - 1) // stride[1] + 1)
