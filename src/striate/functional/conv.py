"""2-D convolution (cross-correlation) on NHWC arrays, forward and backward.

Forward, as one matrix product per group ("im2col")::

    x (N, H, W, C) --pad--> xp (N, Hp, Wp, C)
    cols[g] (N·Ho·Wo, kh·kw·Cg)   one row per output pixel: the patch it sees
    y[g] = cols[g] @ kernel[g]     kernel[g] (kh·kw·Cg, Fg)

with C = groups·Cg input channels and F = groups·Fg filters. The patches are
gathered by ONE copy of a strided view (`sliding_window_view`), no Python loop over
pixels. Backward is the same products transposed::

    dkernel[g] = cols[g]ᵀ @ dy[g]      dbias = Σ dy
    dcols[g]   = dy[g] @ kernel[g]ᵀ    → dx by adding each kernel offset's slice back
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .shapes import Pair, Padding


def pad_nhwc(x: np.ndarray, padding: Padding, value: float = 0.0) -> np.ndarray:
    """Pad the two spatial axes of (N, H, W, C); returns x itself when there is no padding."""
    (t, b), (l, r) = padding
    if not (t or b or l or r):
        return x
    n, h, w, c = x.shape
    xp = np.full((n, h + t + b, w + l + r, c), value, dtype=x.dtype)
    xp[:, t : t + h, l : l + w] = x
    return xp


def windows(xp: np.ndarray, kernel: Pair, stride: Pair, dilation: Pair, out_hw: Pair) -> np.ndarray:
    """Strided view (N, Ho, Wo, C, kh, kw) of every window of xp; copies nothing."""
    (kh, kw), (sh, sw), (dh, dw), (ho, wo) = kernel, stride, dilation, out_hw
    view = sliding_window_view(xp, (dh * (kh - 1) + 1, dw * (kw - 1) + 1), axis=(1, 2))
    return view[:, : sh * (ho - 1) + 1 : sh, : sw * (wo - 1) + 1 : sw, :, ::dh, ::dw]


def im2col(xp: np.ndarray, kernel: Pair, stride: Pair, dilation: Pair, out_hw: Pair, groups: int) -> np.ndarray:
    """Gather patches: (N, Hp, Wp, C) → cols (G, N·Ho·Wo, kh·kw·Cg), rows ordered (kh, kw, Cg)."""
    n, _, _, c = xp.shape
    (kh, kw), (ho, wo) = kernel, out_hw
    cg = c // groups
    win = windows(xp, kernel, stride, dilation, out_hw).reshape(n, ho, wo, groups, cg, kh, kw)
    cols = np.empty((groups, n * ho * wo, kh * kw * cg), dtype=xp.dtype)
    np.copyto(cols.reshape(groups, n, ho, wo, kh, kw, cg), win.transpose(3, 0, 1, 2, 5, 6, 4))
    return cols


def grouped_kernel(kernel: np.ndarray, groups: int) -> np.ndarray:
    """(kh, kw, Cg, F) → (G, kh·kw·Cg, Fg): one matrix per group (a view when G = 1)."""
    kh, kw, cg, f = kernel.shape
    return kernel.reshape(kh * kw * cg, groups, f // groups).transpose(1, 0, 2)


def conv2d(x, kernel, bias=None, stride: Pair = (1, 1), padding: Padding = ((0, 0), (0, 0)),
           dilation: Pair = (1, 1), groups: int = 1):
    """Cross-correlate x (N, H, W, C) with kernel (kh, kw, C/groups, F), add bias (F,).

    Returns (y, cols): y (N, Ho, Wo, F) with Ho = (H + pt + pb − dh·(kh−1) − 1) // sh + 1
    (likewise Wo), and the patch matrix cols that conv2d_backward needs.
    """
    n, h, w, _ = x.shape
    kh, kw, _, f = kernel.shape
    (t, b), (l, r) = padding
    ho = (h + t + b - dilation[0] * (kh - 1) - 1) // stride[0] + 1
    wo = (w + l + r - dilation[1] * (kw - 1) - 1) // stride[1] + 1
    cols = im2col(pad_nhwc(x, padding), (kh, kw), stride, dilation, (ho, wo), groups)
    if groups == 1:
        y = cols[0] @ kernel.reshape(-1, f)
    else:
        y = np.matmul(cols, grouped_kernel(kernel, groups)).transpose(1, 0, 2).reshape(-1, f)
    if bias is not None:
        y += bias
    return y.reshape(n, ho, wo, f), cols


def conv2d_backward(dy, cols, x_shape, kernel, stride: Pair = (1, 1), padding: Padding = ((0, 0), (0, 0)),
                    dilation: Pair = (1, 1), groups: int = 1, input_grad: bool = True):
    """Gradients of conv2d. dy (N, Ho, Wo, F) → (dx (N, H, W, C) or None, dkernel, dbias)."""
    n, ho, wo, f = dy.shape
    kh, kw, cg, _ = kernel.shape
    dy_g = dy.reshape(n * ho * wo, groups, f // groups).transpose(1, 0, 2)  # (G, M, Fg)
    dkernel = np.matmul(cols.transpose(0, 2, 1), dy_g)  # (G, kh·kw·Cg, Fg)
    dkernel = dkernel.transpose(1, 0, 2).reshape(kh, kw, cg, f)
    dbias = dy.reshape(-1, f).sum(axis=0)
    if not input_grad:
        return None, dkernel, dbias
    dcols = np.matmul(dy_g, grouped_kernel(kernel, groups).transpose(0, 2, 1))  # (G, M, kh·kw·Cg)
    return col2im(dcols, x_shape, (kh, kw), stride, padding, dilation, (ho, wo)), dkernel, dbias


def col2im(dcols, x_shape, kernel: Pair, stride: Pair, padding: Padding, dilation: Pair, out_hw: Pair):
    """Adjoint of im2col: add every patch gradient back where it came from.

    Loops over the kh·kw kernel offsets only; each step adds one strided slice.
    """
    n, h, w, c = x_shape
    groups = dcols.shape[0]
    (kh, kw), (sh, sw), (dh, dw), (ho, wo) = kernel, stride, dilation, out_hw
    (t, b), (l, r) = padding
    d6 = dcols.reshape(groups, n, ho, wo, kh, kw, c // groups)
    dxp = np.zeros((n, h + t + b, w + l + r, groups, c // groups), dtype=dcols.dtype)
    for i in range(kh):
        for j in range(kw):
            rows = slice(i * dh, i * dh + sh * (ho - 1) + 1, sh)
            cols = slice(j * dw, j * dw + sw * (wo - 1) + 1, sw)
            dxp[:, rows, cols] += d6[:, :, :, :, i, j].transpose(1, 2, 3, 0, 4)
    return dxp.reshape(n, h + t + b, w + l + r, c)[:, t : t + h, l : l + w]
