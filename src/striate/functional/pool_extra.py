"""Sum, Lp and weighted-average pooling over kh×kw windows, and max pooling across channels.

The window pooling functions walk the kh·kw offsets of the window as max_pool2d and
avg_pool2d do (functional/pool.py): for each offset (i, j) the strided slice

    xp[:, i : i + sh·(Ho−1) + 1 : sh, j : j + sw·(Wo−1) + 1 : sw, :]   # (N, Ho, Wo, C)

holds, for every window, the pixel at that offset. Zero padding throughout.
"""

from __future__ import annotations

import numpy as np

from .im2col import pad_nhwc
from .pool import avg_pool2d, avg_pool2d_backward, pool_output_hw
from .shapes import NO_PADDING, Pair, Padding



def offsets(kernel: Pair, stride: Pair, out_hw: Pair):
    """Yield (i, j, rows, cols): each window offset and the slices of the padded input it reads."""
    (kh, kw), (sh, sw), (ho, wo) = kernel, stride, out_hw
    for i in range(kh):
        for j in range(kw):
            yield i, j, slice(i, i + sh * (ho - 1) + 1, sh), slice(j, j + sw * (wo - 1) + 1, sw)


# ---- sum --------------------------------------------------------------------------
def sum_pool2d(x, kernel: Pair, stride: Pair, padding: Padding = NO_PADDING):
    """Σ over each kh×kw window: the average pool times kh·kw. x (N, H, W, C) → (N, Ho, Wo, C)."""
    return avg_pool2d(x, kernel, stride, padding) * (kernel[0] * kernel[1])


def sum_pool2d_backward(dy, x_shape, kernel: Pair, stride: Pair, padding: Padding = NO_PADDING):
    """Every pixel of a window receives the window's dy in full."""
    return avg_pool2d_backward(dy * (kernel[0] * kernel[1]), x_shape, kernel, stride, padding)


# ---- Lp ---------------------------------------------------------------------------
def lp_pool2d(x, p: float, kernel: Pair, stride: Pair, padding: Padding = NO_PADDING):
    """(Σ_window x^p)^(1/p), as torch.nn.functional.lp_pool2d.

    p = 1 is sum pooling, p = 2 the Euclidean norm of the window ("L2 pooling"), and
    p → ∞ approaches max pooling. Like PyTorch, x^p is taken as is: for p other than an
    even integer, feed non-negative inputs (after a ReLU), or the root of a negative sum
    is NaN.
    """
    return np.power(sum_pool2d(np.power(x, p), kernel, stride, padding), 1.0 / p)


def lp_pool2d_backward(dy, x, y, p: float, kernel: Pair, stride: Pair, padding: Padding = NO_PADDING):
    """dy/dx for a pixel of a window: x^(p−1) · y^(1−p). Windows with y = 0 pass no gradient."""
    scale = np.divide(dy, np.power(y, p - 1), out=np.zeros_like(dy), where=y != 0)  # dy · y^(1−p)
    return sum_pool2d_backward(scale, x.shape, kernel, stride, padding) * np.power(x, p - 1)


# ---- weighted average ---------------------------------------------------------------
def weighted_pool2d(x, weights, stride: Pair, padding: Padding = NO_PADDING):
    """Σ_{i,j} weights[i, j] · x[window pixel (i, j)], the same weights for every channel.

    x (N, H, W, C), weights (kh, kw) → (N, Ho, Wo, C). With weights summing to 1 this is
    a weighted average (uniform weights give avg_pool2d); a Gaussian weights the centre.
    """
    kernel = weights.shape
    out_hw = pool_output_hw(x.shape, kernel, stride, padding)
    xp = pad_nhwc(x, padding, 0.0)
    y = np.zeros((x.shape[0], *out_hw, x.shape[3]), dtype=x.dtype)
    for i, j, rows, cols in offsets(kernel, stride, out_hw):
        y += weights[i, j] * xp[:, rows, cols]
    return y


def weighted_pool2d_backward(dy, x, weights, stride: Pair, padding: Padding = NO_PADDING, weights_grad=True):
    """→ (dx (N, H, W, C), dweights (kh, kw) or None). dweights[i, j] = Σ dy · x[pixel (i, j)]."""
    kernel = weights.shape
    n, h, w, c = x.shape
    (t, b), (l, r) = padding
    xp = pad_nhwc(x, padding, 0.0)
    dxp = np.zeros(xp.shape, dtype=dy.dtype)
    dweights = np.zeros(kernel, dtype=dy.dtype) if weights_grad else None
    for i, j, rows, cols in offsets(kernel, stride, dy.shape[1:3]):
        dxp[:, rows, cols] += weights[i, j] * dy
        if weights_grad:
            dweights[i, j] = np.vdot(dy, xp[:, rows, cols])
    return dxp[:, t : t + h, l : l + w], dweights


def gaussian_weights(kernel: Pair, sigma: float) -> np.ndarray:
    """exp(−d²/2σ²) over the window, d the distance to its centre, normalised to sum 1."""
    kh, kw = kernel
    i = np.arange(kh) - (kh - 1) / 2
    j = np.arange(kw) - (kw - 1) / 2
    g = np.exp(-(i[:, None] ** 2 + j[None, :] ** 2) / (2 * sigma**2))
    return g / g.sum()


# ---- across channels (maxout) -------------------------------------------------------------
def channel_max_pool(x, groups: int):
    """Max over `groups` groups of consecutive channels: (..., C) → (..., groups).

    Output channel g is the max of input channels g·k … g·k + k − 1, k = C // groups
    (Goodfellow et al.'s maxout units when it follows a Conv2D or a Dense layer).
    """
    k = x.shape[-1] // groups
    return x.reshape(*x.shape[:-1], groups, k).max(axis=-1)


def channel_max_pool_backward(dy, x, groups: int):
    """The gradient goes to the first channel of each group holding the group's max."""
    k = x.shape[-1] // groups
    xg = x.reshape(*x.shape[:-1], groups, k)
    winner = xg.argmax(axis=-1)[..., None]  # (..., groups, 1)
    dx = np.zeros(xg.shape, dtype=dy.dtype)
    np.put_along_axis(dx, winner, dy[..., None], axis=-1)
    return dx.reshape(x.shape)
