"""Adaptive pooling (a fixed output size for any input size) and global pooling.

Output cell i of an adaptive pool along an axis of length n, out cells, covers the
input positions [start, end) with PyTorch's boundaries::

    start = ⌊i·n / out⌋,   end = ⌈(i + 1)·n / out⌉

so the bins cover the whole axis, have sizes differing by at most one, and may overlap
by one pixel when out does not divide n. The average is a linear map, computed as two
matrix products (functional/separable.py); the max takes one window per output cell.
"""

from __future__ import annotations

import numpy as np

from .separable import separable, separable_backward


def bins(n: int, out: int) -> list[tuple[int, int]]:
    """[(start, end)] of the `out` bins over an axis of length n."""
    return [(i * n // out, -(-(i + 1) * n // out)) for i in range(out)]


def bin_matrix(n: int, out: int) -> np.ndarray:
    """(out, n): row i holds 1/size over bin i, zeros elsewhere; matrix @ v averages each bin."""
    m = np.zeros((out, n))
    for i, (start, end) in enumerate(bins(n, out)):
        m[i, start:end] = 1.0 / (end - start)
    return m


def adaptive_avg_pool2d(x, out_hw):
    """Mean over each bin. x (N, H, W, C) → (N, Ho, Wo, C)."""
    _, h, w, _ = x.shape
    return separable(x, bin_matrix(h, out_hw[0]), bin_matrix(w, out_hw[1]))


def adaptive_avg_pool2d_backward(dy, x_shape):
    """Each pixel receives dy / bin size from every bin it lies in."""
    _, h, w, _ = x_shape
    return separable_backward(dy, bin_matrix(h, dy.shape[1]), bin_matrix(w, dy.shape[2]))


def adaptive_max_pool2d(x, out_hw):
    """Max over each bin; also the flat index (within the image) of each winner, for backward.

    x (N, H, W, C) → (y (N, Ho, Wo, C), argmax (N, Ho, Wo, C) of indices into H·W).
    One small reduction per output cell: out_hw is meant to be small (e.g. 1×1 to 7×7).
    """
    n, h, w, c = x.shape
    ho, wo = out_hw
    y = np.empty((n, ho, wo, c), dtype=x.dtype)
    argmax = np.empty((n, ho, wo, c), dtype=np.intp)
    for i, (r0, r1) in enumerate(bins(h, ho)):
        for j, (c0, c1) in enumerate(bins(w, wo)):
            win = x[:, r0:r1, c0:c1].reshape(n, -1, c)  # (N, bin pixels, C)
            k = win.argmax(axis=1)  # the first maximum in row-major order
            y[:, i, j] = np.take_along_axis(win, k[:, None], axis=1)[:, 0]
            argmax[:, i, j] = (r0 + k // (c1 - c0)) * w + c0 + k % (c1 - c0)
    return y, argmax


def adaptive_max_pool2d_backward(dy, argmax, x_shape):
    """Add each dy to the pixel that won its bin (bins may overlap, so add, not assign)."""
    n, h, w, c = x_shape
    dx = np.zeros((n, h * w, c), dtype=dy.dtype)
    idx, grads = argmax.reshape(n, -1, c), dy.reshape(n, -1, c)
    batch, channel = np.arange(n)[:, None], np.arange(c)[None, :]
    for cell in range(idx.shape[1]):  # within one cell every (n, c) has its own pixel
        dx[batch, idx[:, cell], channel] += grads[:, cell]
    return dx.reshape(x_shape)


def global_avg_pool2d(x):
    """Mean over H and W: (N, H, W, C) → (N, C)."""
    return x.mean(axis=(1, 2))


def global_avg_pool2d_backward(dy, x_shape):
    """Every pixel receives dy / (H·W). dy (N, C) → dx (N, H, W, C)."""
    _, h, w, _ = x_shape
    return np.broadcast_to((dy / (h * w))[:, None, None, :], x_shape).copy()


def global_max_pool2d(x):
    """Max over H and W: (N, H, W, C) → (N, C)."""
    return x.max(axis=(1, 2))


def global_max_pool2d_backward(dy, x):
    """dy goes to the first pixel (row-major) holding each channel's maximum."""
    n, h, w, c = x.shape
    winner = x.reshape(n, h * w, c).argmax(axis=1)  # (N, C)
    dx = np.zeros((n, h * w, c), dtype=dy.dtype)
    np.put_along_axis(dx, winner[:, None, :], dy[:, None, :], axis=1)
    return dx.reshape(x.shape)
