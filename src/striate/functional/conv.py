"""2-D convolution (cross-correlation) on NHWC arrays: the reference, forward and backward.

Forward is im2col, one matrix product, and the bias (per group of channels)::

    x (N, H, W, C) ──pad──► xp (N, Hp, Wp, C) ──im2col──► cols (N·Ho·Wo, K),  K = kh·kw·C
    y = cols @ W + b        W (K, F): the kernel (kh, kw, C, F) as a matrix

    y[n, p, q, f] = b[f] + Σ_{i, j, c} xp[n, p·sh + i·dh, q·sw + j·dw, c] · kernel[i, j, c, f]

Backward is the same product transposed, twice, and col2im::

    dW    = colsᵀ @ dy          (K, M) @ (M, F): every patch times its output's gradient
    db    = Σ dy                over the batch and every position
    dcols = dy @ Wᵀ             (M, F) @ (F, K): what each patch sent back
    dx    = col2im(dcols)       each patch's share added back where it was read, unpadded

With groups G, the C channels and F filters split into G groups convolved separately:
the same three lines, once per group. This is what a learner reads and what the fast
kernels (striate.functional.fast.conv) must equal.
"""

from __future__ import annotations

import numpy as np

from .im2col import col2im, im2col, output_hw, pad_nhwc
from .shapes import NO_PADDING, Padding, Pair


def grouped_kernel(kernel: np.ndarray, groups: int) -> np.ndarray:
    """(kh, kw, C/G, F) → (G, kh·kw·C/G, F/G): one matrix per group."""
    kh, kw, cg, f = kernel.shape
    return kernel.reshape(kh * kw * cg, groups, f // groups).transpose(1, 0, 2)


def conv2d(x, kernel, bias=None, stride: Pair = (1, 1), padding: Padding = NO_PADDING,
           dilation: Pair = (1, 1), groups: int = 1):
    """Cross-correlate x (N, H, W, C) with kernel (kh, kw, C/G, F) and add bias (F,).

    Returns (y, cache): y (N, Ho, Wo, F) with Ho = (H + pt + pb − dh·(kh − 1) − 1) // sh + 1
    (likewise Wo), and what conv2d_backward needs: the patches and x's shape.
    """
    n = x.shape[0]
    f = kernel.shape[3]
    ho, wo = output_hw(x.shape, kernel.shape, stride, padding, dilation)
    cols = im2col(pad_nhwc(x, padding), kernel.shape[:2], stride, dilation, (ho, wo), groups)  # (G, M, K)
    y = cols @ grouped_kernel(kernel, groups)  # (G, M, F/G)
    y = y.transpose(1, 0, 2).reshape(n, ho, wo, f)
    if bias is not None:
        y = y + bias
    return y, (cols, x.shape)


def conv2d_backward(dy, cache, kernel, stride: Pair = (1, 1), padding: Padding = NO_PADDING,
                    dilation: Pair = (1, 1), groups: int = 1, input_grad: bool = True):
    """dy (N, Ho, Wo, F) and conv2d's cache → (dx (N, H, W, C) or None, dkernel, dbias)."""
    cols, x_shape = cache
    kh, kw, cg, f = kernel.shape
    dy_g = dy.reshape(-1, groups, f // groups).transpose(1, 0, 2)  # (G, M, F/G)
    dkernel = cols.transpose(0, 2, 1) @ dy_g  # (G, K, F/G)
    dkernel = dkernel.transpose(1, 0, 2).reshape(kh, kw, cg, f)
    dbias = dy.sum(axis=(0, 1, 2))
    dx = conv2d_input_grad(dy, kernel, x_shape, stride, padding, dilation, groups) if input_grad else None
    return dx, dkernel, dbias


def conv2d_input_grad(dy, kernel, x_shape, stride: Pair = (1, 1), padding: Padding = NO_PADDING,
                      dilation: Pair = (1, 1), groups: int = 1):
    """dx (N, H, W, C) = col2im(dy @ Wᵀ), unpadded. dy (N, Ho, Wo, F) may be any output size
    whose windows fit the padded input (a transposed convolution's output padding)."""
    n, ho, wo, f = dy.shape
    _, h, w, c = x_shape
    (t, b), (l, r) = padding
    dy_g = dy.reshape(-1, groups, f // groups).transpose(1, 0, 2)  # (G, M, F/G)
    dcols = dy_g @ grouped_kernel(kernel, groups).transpose(0, 2, 1)  # (G, M, K)
    dxp = col2im(dcols, (n, h + t + b, w + l + r, c), kernel.shape[:2], stride, dilation, (ho, wo))
    return dxp[:, t : t + h, l : l + w]
