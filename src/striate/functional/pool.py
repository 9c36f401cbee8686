"""Max and average pooling on NHWC arrays: the reference, forward and backward.

Every window of the padded input is a strided view (N, Ho, Wo, kh, kw, C) (see
im2col.windows; nothing is copied). Max pooling takes each window's largest value and
remembers where it was, its "switch" (argmax, the first maximum in row-major order, as
PyTorch picks); backward sends each output's gradient to that one pixel::

    window  [1 3]    y = 5, argmax = 2        dy = g   →   dx window [0 0]
            [5 2]                                                    [g 0]

Average pooling divides each window's sum by kh·kw (padded zeros count, as PyTorch's
count_include_pad), and backward spreads dy / (kh·kw) over the window. Where windows
overlap, the pixels they share add up the gradients they receive. (Padding is −∞ and is
part of the window: in the odd window whose pixels are all −∞, a padded position that
comes first is the switch, and the gradient goes nowhere, where PyTorch gives it to the
first real pixel.)
The fast kernels (striate.functional.fast.pool) must equal these.
"""

from __future__ import annotations

import numpy as np

from .im2col import output_hw, pad_nhwc, tap, windows
from .shapes import NO_PADDING, Pair, Padding


def pool_output_hw(x_shape, kernel: Pair, stride: Pair, padding: Padding) -> Pair:
    """(Ho, Wo) with Ho = (H + pt + pb − kh) // sh + 1 (floor, PyTorch's default)."""
    return output_hw(x_shape, kernel, stride, padding, (1, 1))


def _scatter(share, dy, padded_shape, kernel: Pair, stride: Pair, padding: Padding, x_shape):
    """Add share(i, j) (N, Ho, Wo, C), the gradient sent through window tap (i, j), onto
    the pixels that tap reads; crop the padding → dx (N, H, W, C)."""
    dxp = np.zeros(padded_shape, dtype=dy.dtype)
    for i in range(kernel[0]):
        for j in range(kernel[1]):
            rows, cols = tap(stride, (1, 1), dy.shape[1:3], i, j)
            dxp[:, rows, cols] += share(i, j)
    (t, _), (l, _) = padding
    return dxp[:, t : t + x_shape[1], l : l + x_shape[2]]


def max_pool2d(x, kernel: Pair, stride: Pair, padding: Padding = NO_PADDING):
    """Max over each kh×kw window, padding −∞. x (N, H, W, C) → (y (N, Ho, Wo, C), cache).

    The cache is the switches, argmax (N, Ho, Wo, C) ∈ [0, kh·kw), and the padded shape.
    """
    n, _, _, c = x.shape
    xp = pad_nhwc(x, padding, -np.inf)
    ho, wo = pool_output_hw(x.shape, kernel, stride, padding)
    win = windows(xp, kernel, stride, (1, 1), (ho, wo)).reshape(n, ho, wo, kernel[0] * kernel[1], c)
    argmax = win.argmax(axis=3)  # (N, Ho, Wo, C)
    y = np.take_along_axis(win, argmax[:, :, :, None], axis=3)[:, :, :, 0]
    return y, (argmax, xp.shape, x.shape)


def max_pool2d_backward(dy, cache, kernel: Pair, stride: Pair, padding: Padding = NO_PADDING):
    """Route dy (N, Ho, Wo, C) to each window's switch → dx (N, H, W, C)."""
    argmax, padded_shape, x_shape = cache
    share = lambda i, j: np.where(argmax == i * kernel[1] + j, dy, 0)  # noqa: E731 - one line, used once
    return _scatter(share, dy, padded_shape, kernel, stride, padding, x_shape)


def avg_pool2d(x, kernel: Pair, stride: Pair, padding: Padding = NO_PADDING):
    """Mean over each kh×kw window, padded zeros counted. x (N, H, W, C) → y (N, Ho, Wo, C)."""
    xp = pad_nhwc(x, padding, 0.0)
    win = windows(xp, kernel, stride, (1, 1), pool_output_hw(x.shape, kernel, stride, padding))
    return win.mean(axis=(3, 4), dtype=x.dtype)


def avg_pool2d_backward(dy, x_shape, kernel: Pair, stride: Pair, padding: Padding = NO_PADDING):
    """Each window pixel receives dy / (kh·kw). dy (N, Ho, Wo, C) → dx (N, H, W, C)."""
    n, h, w, c = x_shape
    (t, b), (l, r) = padding
    share = dy / (kernel[0] * kernel[1])
    return _scatter(lambda i, j: share, dy, (n, h + t + b, w + l + r, c), kernel, stride, padding, x_shape)
