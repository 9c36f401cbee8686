"""Max and average pooling on NHWC arrays, fast: equals striate.functional.pool (the reference).

A strided view (N, Ho, Wo, kh, kw, C) of the padded input holds every window (see
im2col.windows; nothing is copied). Fixing the tap (i, j) inside the window,

    win[:, :, :, i, j]      # (N, Ho, Wo, C)

holds, for every window at once, the pixel at that tap. Max pooling is the running
`np.maximum` of those kh·kw slices, average pooling their sum / (kh·kw). The backward
pass walks the same taps and sends the gradient back through them; no Python loop
runs over pixels. Windows that tile the input exactly (2×2, stride 2; see
algorithms.pool_tiles) are reduced in two passes of long contiguous slices instead.

Max pooling keeps no switches: its cache is (x, y), and backward finds each window's
winner again as its first pixel equal to y. For finite inputs that is the reference's
argmax; a window holding NaN has y = NaN, which equals no pixel, so it sends nothing back.

For tiles of a large input (algorithms.pool_backward_method) the backward pass is one
broadcast comparison of x with y, then one product of that mask with dy (4-conv net's
first pooling at batch 64, in its training step: 9.9 → 5.8 ms with NumPy's default
ufunc buffer). Ties are found by counting the winners; only then are a window's later
winners cleared, tap by tap.
"""

from __future__ import annotations

import numpy as np

from ..pool import pool_output_hw
from ..shapes import NO_PADDING, Pair, Padding
from . import algorithms as A
from .algorithms import pool_tiles
from .patches import pad_nhwc, windows
from .workspace import aligned_empty


def _taps(xp, kernel: Pair, stride: Pair, out_hw: Pair):
    """The kh·kw tap slices (N, Ho, Wo, C) of xp's windows, in row-major order."""
    win = windows(xp, kernel, stride, (1, 1), out_hw)
    return [win[:, :, :, i, j] for i in range(kernel[0]) for j in range(kernel[1])]


def _tile_reduce(x, kernel: Pair, ufunc):
    """Combine each kh×kw tile of x (N, Ho·kh, Wo·kw, C) with ufunc, in two passes::

        rows  (N·Ho, kh, W·C)      the kh rows of a tile row, each a contiguous run
              → r (N·Ho, W·C)      combined row by row
        cols  (N·Ho·Wo, kw, C)     r seen as tiles of kw pixels
              → y (N, Ho, Wo, C)   combined pixel by pixel

    Long contiguous slices instead of kh·kw strided window taps: 1.3–1.8× faster.
    """
    n, h, w, c = x.shape
    kh, kw = kernel
    r = _combine(x.reshape(n * (h // kh), kh, w * c), ufunc)
    return _combine(r.reshape(-1, kw, c), ufunc).reshape(n, h // kh, w // kw, c)


def _combine(a, ufunc):
    """ufunc over axis 1 of a (M, k, L) as k − 1 calls on contiguous (M, L) slices → new (M, L)."""
    if a.shape[1] == 1:
        return a[:, 0].copy()
    acc = ufunc(a[:, 0], a[:, 1])
    for i in range(2, a.shape[1]):
        ufunc(acc, a[:, i], out=acc)
    return acc


def max_pool2d(x, kernel: Pair, stride: Pair, padding: Padding = NO_PADDING):
    """Max over each kh×kw window, padding −∞. x (N, H, W, C) → (y (N, Ho, Wo, C), cache (x, y))."""
    if pool_tiles(x.shape, kernel, stride, padding):
        y = _tile_reduce(x, kernel, np.maximum)
        return y, (x, y)
    taps = _taps(pad_nhwc(x, padding, -np.inf), kernel, stride, pool_output_hw(x.shape, kernel, stride, padding))
    y = np.maximum(taps[0], taps[1]) if len(taps) > 1 else taps[0].copy()
    for t in taps[2:]:
        np.maximum(y, t, out=y)
    return y, (x, y)


def max_pool2d_backward(dy, cache, kernel: Pair, stride: Pair, padding: Padding = NO_PADDING, *,
                        method: str | None = None):
    """Route dy (N, Ho, Wo, C) to the first maximum of each window, as PyTorch does.

    method: "mask" (windows that tile x: _tile_backward) or "taps" (any windows, below);
    None lets algorithms.pool_backward_method choose.

    The winner of a window is its first pixel (row-major) equal to the window's max;
    `taken` marks the windows already served so that ties send the gradient once.
    When windows do not overlap (stride ≥ kernel) every pixel belongs to at most one
    window, so each tap's share is written straight into dx instead of added.
    """
    x, y = cache
    if method is None:
        method = A.pool_backward_method(x.shape, x.itemsize, kernel, stride, padding)
    else:
        A.check_pool_backward_method(method, x.shape, kernel, stride, padding)
    if method == "mask":
        return _tile_backward(dy, x, y, kernel)
    out_hw = dy.shape[1:3]
    xp = pad_nhwc(x, padding, -np.inf)
    dxp = np.zeros(xp.shape, dtype=dy.dtype)
    overlap = stride[0] < kernel[0] or stride[1] < kernel[1]
    taken = None
    for src, dst in zip(_taps(xp, kernel, stride, out_hw), _taps(dxp, kernel, stride, out_hw)):
        win = np.equal(src, y)
        if taken is None:
            taken = win.copy()
        else:
            win &= ~taken
            taken |= win
        if overlap:
            dst += win * dy
        else:
            np.multiply(win, dy, out=dst)
    (t, _), (l, _) = padding
    return dxp[:, t : t + x.shape[1], l : l + x.shape[2]]


def _tile_backward(dy, x, y, kernel: Pair):
    """max_pool2d_backward for windows that tile x (algorithms.pool_tiles). Seen as
    (N·Ho, kh, Wo, kw, C), x is compared with y (N·Ho, 1, Wo, 1, C) at once::

        win = (x == y)              one boolean per pixel: is it its window's max?
        dx  = win · dy              dy broadcast over each window

    Each window has one winner when the winners number y.size and no y is NaN (a NaN
    window has none, so a tie elsewhere could make up the count); otherwise _first_only
    keeps each window's first.
    """
    n, h, w, c = x.shape
    kh, kw = kernel
    rows, wo = n * (h // kh), w // kw
    # order="C": left to choose, NumPy runs the inner loop over a broadcast axis of kw numbers
    win = np.equal(x.reshape(rows, kh, wo, kw, c), y.reshape(rows, 1, wo, 1, c), order="C")
    if y.size and (np.count_nonzero(win) != y.size or np.isnan(y.min())):
        _first_only(win)
    dx = aligned_empty(x.shape, dy.dtype)
    d5 = dx.reshape(win.shape)
    np.copyto(d5, win)  # the mask as 0/1 numbers first: a cast inside the broadcast product is 2× slower
    np.multiply(d5, dy.reshape(rows, 1, wo, 1, c), out=d5, order="C")
    return dx


def _first_only(win):
    """Keep the first True (row-major) of each window of a mask (M, kh, Wo, kw, C), in place."""
    taps = [win[:, i, :, j] for i in range(win.shape[1]) for j in range(win.shape[3])]
    taken = taps[0].copy()
    for t in taps[1:]:
        t &= ~taken  # only where no earlier tap matched
        taken |= t


def avg_pool2d(x, kernel: Pair, stride: Pair, padding: Padding = NO_PADDING):
    """Mean over each kh×kw window, padded zeros counted (PyTorch's count_include_pad)."""
    if pool_tiles(x.shape, kernel, stride, padding):
        y = _tile_reduce(x, kernel, np.add)
        y *= 1.0 / (kernel[0] * kernel[1])
        return y
    taps = _taps(pad_nhwc(x, padding, 0.0), kernel, stride, pool_output_hw(x.shape, kernel, stride, padding))
    y = taps[0] + taps[1] if len(taps) > 1 else taps[0].copy()
    for t in taps[2:]:
        y += t
    y *= 1.0 / (kernel[0] * kernel[1])
    return y


def avg_pool2d_backward(dy, x_shape, kernel: Pair, stride: Pair, padding: Padding = NO_PADDING):
    """Each window pixel receives dy / (kh·kw). dy (N, Ho, Wo, C) → dx (N, H, W, C)."""
    n, h, w, c = x_shape
    (t, b), (l, r) = padding
    dxp = np.zeros((n, h + t + b, w + l + r, c), dtype=dy.dtype)
    share = dy * (1.0 / (kernel[0] * kernel[1]))
    for dst in _taps(dxp, kernel, stride, dy.shape[1:3]):
        dst += share
    return dxp[:, t : t + h, l : l + w]
