"""Patches for convolution and pooling: padding, the window view, im2col and col2im.

im2col turns a convolution into one matrix product. Row p of `cols` holds the patch of
the padded input that output pixel p sees, its columns ordered (kh, kw, C)::

    xp (N, Hp, Wp, C)  ──im2col──►  cols (N·Ho·Wo, kh·kw·C)       then  y = cols @ kernel

col2im is its adjoint: each row of a (N·Ho·Wo, kh·kw·C) matrix is added back onto the
pixels its patch came from; where windows overlap, the contributions add up. That is
how a gradient with respect to the patches becomes one with respect to the image.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import as_strided

from .shapes import Pair, Padding


def output_hw(x_shape, kernel_shape, stride: Pair, padding: Padding, dilation: Pair) -> Pair:
    """(Ho, Wo) = ((H + pt + pb − dh·(kh−1) − 1) // sh + 1, likewise for the width)."""
    _, h, w, _ = x_shape
    kh, kw = kernel_shape[:2]
    (t, b), (l, r) = padding
    return ((h + t + b - dilation[0] * (kh - 1) - 1) // stride[0] + 1,
            (w + l + r - dilation[1] * (kw - 1) - 1) // stride[1] + 1)


def pad_nhwc(x: np.ndarray, padding: Padding, value: float = 0.0) -> np.ndarray:
    """Pad the two spatial axes of x (N, H, W, C) with `value`; x itself when there is none."""
    (t, b), (l, r) = padding
    if not (t or b or l or r):
        return x
    return np.pad(x, ((0, 0), (t, b), (l, r), (0, 0)), constant_values=value)


def tap(stride: Pair, dilation: Pair, out_hw: Pair, i: int, j: int):
    """(rows, cols) slices of the padded input that kernel tap (i, j) reads, one per output pixel."""
    (sh, sw), (dh, dw), (ho, wo) = stride, dilation, out_hw
    return (slice(i * dh, i * dh + sh * (ho - 1) + 1, sh), slice(j * dw, j * dw + sw * (wo - 1) + 1, sw))


def windows(xp, kernel: Pair, stride: Pair, dilation: Pair, out_hw: Pair) -> np.ndarray:
    """Read-only strided view (N, Ho, Wo, kh, kw, C) of every patch of xp; copies nothing."""
    return as_strided(xp, *window_layout(xp, kernel, stride, dilation, out_hw), writeable=False)


def window_layout(xp, kernel: Pair, stride: Pair, dilation: Pair, out_hw: Pair):
    """The shape and strides (bytes) of the window view of xp (N, Hp, Wp, C).

    Patch (p, q) starts at pixel (p·sh, q·sw) and tap (i, j) sits i·dh rows, j·dw columns
    further, so the view just multiplies xp's row and column strides.
    """
    n, _, _, c = xp.shape
    s0, s1, s2, s3 = xp.strides
    (kh, kw), (sh, sw), (dh, dw), (ho, wo) = kernel, stride, dilation, out_hw
    return (n, ho, wo, kh, kw, c), (s0, s1 * sh, s2 * sw, s1 * dh, s2 * dw, s3)


def im2col(xp, kernel: Pair, stride: Pair, dilation: Pair, out_hw: Pair, groups: int = 1) -> np.ndarray:
    """(N, Hp, Wp, C) → cols (G, N·Ho·Wo, kh·kw·C/G): one row per output pixel, per group.

    Group g's columns are its own C/G channels of every tap, ordered (kh, kw, C/G).
    """
    n, _, _, c = xp.shape
    (kh, kw), (ho, wo) = kernel, out_hw
    win = windows(xp, kernel, stride, dilation, out_hw).reshape(n, ho, wo, kh, kw, groups, c // groups)
    return win.transpose(5, 0, 1, 2, 3, 4, 6).reshape(groups, n * ho * wo, kh * kw * (c // groups))


def col2im(cols, xp_shape, kernel: Pair, stride: Pair, dilation: Pair, out_hw: Pair) -> np.ndarray:
    """The adjoint of im2col: cols (G, N·Ho·Wo, kh·kw·C/G) added back into (N, Hp, Wp, C).

    One tap at a time: tap (i, j) of every patch lands on the strided slice of the
    padded image that it was read from (see `tap`).
    """
    n, hp, wp, c = xp_shape
    (kh, kw), (ho, wo) = kernel, out_hw
    groups = cols.shape[0]
    patches = cols.reshape(groups, n, ho, wo, kh, kw, c // groups).transpose(1, 2, 3, 4, 5, 0, 6)
    patches = patches.reshape(n, ho, wo, kh, kw, c)
    dxp = np.zeros(xp_shape, dtype=cols.dtype)
    for i in range(kh):
        for j in range(kw):
            rows, columns = tap(stride, dilation, out_hw, i, j)
            dxp[:, rows, columns] += patches[:, :, :, i, j]
    return dxp
