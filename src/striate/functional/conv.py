"""2-D convolution (cross-correlation) on NHWC arrays, forward and backward.

Forward, as one matrix product per group ("im2col")::

    x (N, H, W, C) --pad--> xp (N, Hp, Wp, C)
    cols[g] (N·Ho·Wo, kh·kw·Cg)   one row per output pixel: the patch it sees
    y[g] = cols[g] @ kernel[g]     kernel[g] (kh·kw·Cg, Fg)

with C = groups·Cg input channels and F = groups·Fg filters. The patches are
gathered by ONE copy of a strided view (`sliding_window_view`), no Python loop over
pixels. Backward is the same products transposed::

    dkernel[g] = cols[g]ᵀ @ dy[g]          dbias = Σ dy
    dx: for each kernel offset (i, j), dy @ kernel[i, j]ᵀ is what the pixels under
        that tap receive; add it back into the padded input at that offset.

`workspace` (a dict, optional) lets a layer reuse its padding and patch buffers.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .shapes import Pair, Padding
from .workspace import buffer


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


def tap(kernel: Pair, stride: Pair, dilation: Pair, out_hw: Pair, i: int, j: int):
    """(rows, cols) slices of the padded input that kernel tap (i, j) sees, one per output pixel."""
    (sh, sw), (dh, dw), (ho, wo) = stride, dilation, out_hw
    return (slice(i * dh, i * dh + sh * (ho - 1) + 1, sh), slice(j * dw, j * dw + sw * (wo - 1) + 1, sw))


def im2col(xp, kernel: Pair, stride: Pair, dilation: Pair, out_hw: Pair, groups: int, workspace=None):
    """Gather patches: (N, Hp, Wp, C) → cols (G, N·Ho·Wo, kh·kw·Cg), columns ordered (kh, kw, Cg).

    One copy of the strided window view. A single input channel is the exception: there
    each tap's pixels form one contiguous row of a (kh·kw, N·Ho·Wo) buffer, filled row
    by row (several times faster), and cols is that buffer's transpose, a view.
    """
    n, _, _, c = xp.shape
    (kh, kw), (ho, wo) = kernel, out_hw
    m = n * ho * wo
    if c == 1:
        rows = buffer(workspace, "cols", (kh * kw, n, ho, wo), xp.dtype)
        for i in range(kh):
            for j in range(kw):
                r, s = tap(kernel, stride, dilation, out_hw, i, j)
                rows[i * kw + j] = xp[:, r, s, 0]
        return rows.reshape(1, kh * kw, m).transpose(0, 2, 1)
    cg = c // groups
    (sh, sw), (dh, dw) = stride, dilation
    view = sliding_window_view(xp, (dh * (kh - 1) + 1, dw * (kw - 1) + 1), axis=(1, 2))
    win = view[:, : sh * (ho - 1) + 1 : sh, : sw * (wo - 1) + 1 : sw, :, ::dh, ::dw]  # (N, Ho, Wo, C, kh, kw)
    win = win.reshape(n, ho, wo, groups, cg, kh, kw)
    cols = buffer(workspace, "cols", (groups, m, kh * kw * cg), xp.dtype)
    np.copyto(cols.reshape(groups, n, ho, wo, kh, kw, cg), win.transpose(3, 0, 1, 2, 5, 6, 4))
    return cols


def grouped_kernel(kernel: np.ndarray, groups: int) -> np.ndarray:
    """(kh, kw, Cg, F) → (G, kh·kw·Cg, Fg): one matrix per group (a view when G = 1)."""
    kh, kw, cg, f = kernel.shape
    return kernel.reshape(kh * kw * cg, groups, f // groups).transpose(1, 0, 2)


def conv2d(x, kernel, bias=None, stride: Pair = (1, 1), padding: Padding = ((0, 0), (0, 0)),
           dilation: Pair = (1, 1), groups: int = 1, workspace=None):
    """Cross-correlate x (N, H, W, C) with kernel (kh, kw, C/groups, F), add bias (F,).

    Returns (y, cols): y (N, Ho, Wo, F) with Ho = (H + pt + pb − dh·(kh−1) − 1) // sh + 1
    (likewise Wo), and the patch matrix cols that conv2d_backward needs.
    """
    n = x.shape[0]
    kh, kw, _, f = kernel.shape
    ho, wo = output_hw(x.shape, kernel.shape, stride, padding, dilation)
    xp = pad_nhwc(x, padding, 0.0, workspace)
    cols = im2col(xp, (kh, kw), stride, dilation, (ho, wo), groups, workspace)
    if groups == 1:
        y = cols[0] @ kernel.reshape(-1, f)
    else:
        y = np.matmul(cols, grouped_kernel(kernel, groups)).transpose(1, 0, 2).reshape(-1, f)
    if bias is not None:
        y += bias
    return y.reshape(n, ho, wo, f), cols


def conv2d_backward(dy, cols, x_shape, kernel, stride: Pair = (1, 1), padding: Padding = ((0, 0), (0, 0)),
                    dilation: Pair = (1, 1), groups: int = 1, input_grad: bool = True, workspace=None):
    """Gradients of conv2d. dy (N, Ho, Wo, F) → (dx (N, H, W, C) or None, dkernel, dbias)."""
    n, ho, wo, f = dy.shape
    kh, kw, cg, _ = kernel.shape
    dy_g = dy.reshape(n * ho * wo, groups, f // groups).transpose(1, 0, 2)  # (G, M, Fg)
    dkernel = np.matmul(cols.transpose(0, 2, 1), dy_g)  # (G, kh·kw·Cg, Fg)
    dkernel = dkernel.transpose(1, 0, 2).reshape(kh, kw, cg, f)
    dbias = dy.reshape(-1, f).sum(axis=0)
    if not input_grad:
        return None, dkernel, dbias
    return conv2d_input_grad(dy_g, kernel, x_shape, stride, padding, dilation, workspace), dkernel, dbias


def conv2d_input_grad(dy_g, kernel, x_shape, stride: Pair, padding: Padding, dilation: Pair, workspace=None):
    """dx of conv2d from dy_g (G, N·Ho·Wo, Fg): one product per kernel tap, added back in place.

    The products come out as (kh·kw, G, M, Cg), so each tap's share is a contiguous
    block that is added to the strided slice of the padded input that tap read.
    """
    n, h, w, c = x_shape
    kh, kw, cg, f = kernel.shape
    groups = dy_g.shape[0]
    (t, b), (l, r) = padding
    out_hw = output_hw(x_shape, kernel.shape, stride, padding, dilation)
    taps = kernel.reshape(kh * kw, cg, groups, f // groups).transpose(0, 2, 3, 1)  # (kh·kw, G, Fg, Cg)
    share = np.matmul(dy_g[None], taps)  # (kh·kw, G, M, Cg)
    dxp = buffer(workspace, "dxp", (n, h + t + b, w + l + r, groups, cg), dy_g.dtype)
    dxp.fill(0)
    for i in range(kh):
        for j in range(kw):
            rows, cols = tap((kh, kw), stride, dilation, out_hw, i, j)
            dxp[:, rows, cols] += share[i * kw + j].reshape(groups, n, *out_hw, cg).transpose(1, 2, 3, 0, 4)
    return dxp.reshape(n, h + t + b, w + l + r, c)[:, t : t + h, l : l + w].copy()


def output_hw(x_shape, kernel_shape, stride: Pair, padding: Padding, dilation: Pair) -> Pair:
    """(Ho, Wo) = ((H + pt + pb − dh·(kh−1) − 1) // sh + 1, likewise for the width)."""
    _, h, w, _ = x_shape
    kh, kw = kernel_shape[:2]
    (t, b), (l, r) = padding
    return ((h + t + b - dilation[0] * (kh - 1) - 1) // stride[0] + 1,
            (w + l + r - dilation[1] * (kw - 1) - 1) // stride[1] + 1)
