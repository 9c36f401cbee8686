"""Max and average pooling on NHWC arrays, forward and backward.

A pooling window of kh×kw pixels visits every output position at once: for each of
the kh·kw offsets (i, j) inside the window, the strided slice

    xp[:, i : i + sh·(Ho−1) + 1 : sh, j : j + sw·(Wo−1) + 1 : sw, :]   # (N, Ho, Wo, C)

holds, for every window, the pixel at that offset. Max pooling is the running
`np.maximum` of those kh·kw slices, average pooling their sum / (kh·kw). The backward
pass walks the same slices and sends the gradient back through them; no Python loop
runs over pixels.
"""

from __future__ import annotations

import numpy as np

from .conv import pad_nhwc
from .shapes import Pair, Padding


def _offsets(kernel: Pair, stride: Pair, out_hw: Pair):
    """Yield (rows, cols) slices, one per offset inside the window, in row-major order."""
    (kh, kw), (sh, sw), (ho, wo) = kernel, stride, out_hw
    for i in range(kh):
        for j in range(kw):
            yield slice(i, i + sh * (ho - 1) + 1, sh), slice(j, j + sw * (wo - 1) + 1, sw)


def pool_output_hw(x_shape, kernel: Pair, stride: Pair, padding: Padding) -> Pair:
    """(Ho, Wo) with Ho = (H + pt + pb − kh) // sh + 1 (floor, PyTorch's default)."""
    _, h, w, _ = x_shape
    (t, b), (l, r) = padding
    return (h + t + b - kernel[0]) // stride[0] + 1, (w + l + r - kernel[1]) // stride[1] + 1


def max_pool2d(x, kernel: Pair, stride: Pair, padding: Padding = ((0, 0), (0, 0))):
    """Max over each kh×kw window. x (N, H, W, C) → y (N, Ho, Wo, C). Padding is −∞."""
    out_hw = pool_output_hw(x.shape, kernel, stride, padding)
    xp = pad_nhwc(x, padding, -np.inf)
    y = None
    for rows, cols in _offsets(kernel, stride, out_hw):
        if y is None:
            y = xp[:, rows, cols].copy()
        else:
            np.maximum(y, xp[:, rows, cols], out=y)
    return y


def max_pool2d_backward(dy, x, y, kernel: Pair, stride: Pair, padding: Padding = ((0, 0), (0, 0))):
    """Route dy (N, Ho, Wo, C) to the first maximum of each window, as PyTorch does.

    The winner of a window is its first pixel (row-major) equal to the window's max;
    `taken` marks the windows already served so that ties send the gradient once.
    When windows do not overlap (stride ≥ kernel) every pixel belongs to at most one
    window, so each offset's share is written straight into dx instead of added.
    """
    xp = pad_nhwc(x, padding, -np.inf)
    overlap = stride[0] < kernel[0] or stride[1] < kernel[1]
    dxp = np.zeros(xp.shape, dtype=dy.dtype)
    taken = None
    for rows, cols in _offsets(kernel, stride, dy.shape[1:3]):
        win = np.equal(xp[:, rows, cols], y)
        if taken is None:
            taken = win.copy()
        else:
            win &= ~taken
            taken |= win
        if overlap:
            dxp[:, rows, cols] += win * dy
        else:
            np.multiply(win, dy, out=dxp[:, rows, cols])
    (t, _), (l, _) = padding
    return dxp[:, t : t + x.shape[1], l : l + x.shape[2]]


def avg_pool2d(x, kernel: Pair, stride: Pair, padding: Padding = ((0, 0), (0, 0))):
    """Mean over each kh×kw window, padded zeros counted (PyTorch's count_include_pad)."""
    out_hw = pool_output_hw(x.shape, kernel, stride, padding)
    xp = pad_nhwc(x, padding, 0.0)
    y = None
    for rows, cols in _offsets(kernel, stride, out_hw):
        if y is None:
            y = xp[:, rows, cols].copy()
        else:
            y += xp[:, rows, cols]
    y *= 1.0 / (kernel[0] * kernel[1])
    return y


def avg_pool2d_backward(dy, x_shape, kernel: Pair, stride: Pair, padding: Padding = ((0, 0), (0, 0))):
    """Each window pixel receives dy / (kh·kw). dy (N, Ho, Wo, C) → dx (N, H, W, C)."""
    n, h, w, c = x_shape
    (t, b), (l, r) = padding
    dxp = np.zeros((n, h + t + b, w + l + r, c), dtype=dy.dtype)
    share = dy * (1.0 / (kernel[0] * kernel[1]))
    for rows, cols in _offsets(kernel, stride, dy.shape[1:3]):
        dxp[:, rows, cols] += share
    return dxp[:, t : t + h, l : l + w]
