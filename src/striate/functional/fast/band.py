"""The input gradient of a convolution on small images, as one product with a band matrix.

One row of the padded input (Wp pixels × C channels, contiguous in NHWC) is read by
kernel row i to make output row p (when p·sh + i·dh is that row). Along the width, what
output pixel q sends back to input pixel q·sw + j·dw is dy[q] · kernel[i, j]ᵀ, so a whole
output row maps back to a whole input row through one matrix, zero outside a diagonal
band: kernel row i laid out as a Toeplitz matrix, one block of F × C per (q, j)::

    band (Wo·F, kh·Wp·C):   block (q, i, q·sw + j·dw) = kernel[i, j]ᵀ   (F × C)

                      i = 0           i = 1        ...
                 [ K00 K01 K02 0   | K10 K11 K12 0   |
    q = 0 .. Wo    0   K00 K01 K02 | 0   K10 K11 K12 |     (kw = 3, sw = 1: Wp = Wo + 2)
                 ]

    rows (N·Ho, kh·Wp·C) = dy (N·Ho, Wo·F) @ band
    dx row p·sh + i·dh  += rows[p, i]        for each kernel row i: kh adds of whole rows

The product does Wp / kw times the multiply-adds that are needed (the zeros in the band),
but in one well-shaped product, and the only scatter left is kh adds of whole rows. The
other methods add or gather runs of C numbers; with few channels those short runs cost
more than the band's zeros. On LeNet-5's second layer (14 × 14 × 6 → 10 × 10 × 16, 5 × 5)
it is twice as fast as shift and accumulate. Measured over 26 layer shapes, it wins
while C · Wp / kw ≤ 32 and Wp / kw ≤ 4 (algorithms.band_fits), and loses beyond: up to
2.6× slower with C = 64, 2.3× with C = 1 on a 92-pixel-wide image.
"""

from __future__ import annotations

import numpy as np

from ..shapes import Padding, Pair
from .gemm import dot
from .workspace import buffer


def band_kernel(kernel, wo: int, wp: int, sw: int, dw: int, workspace=None) -> np.ndarray:
    """kernel (kh, kw, C, F) → band (Wo·F, kh·Wp·C), built as (Wo, F, kh, Wp, C).

    For tap column j, the blocks (q, ·, ·, q·sw + j·dw, ·) of every q form one strided
    view (a step of F·kh·Wp·C + sw·C numbers from q to q + 1): one copy per j.
    """
    kh, kw, c, f = kernel.shape
    band = buffer(workspace, "band", (wo, f, kh, wp, c), kernel.dtype)
    band.fill(0)
    s = band.strides
    for j in range(kw):
        diagonal = np.ndarray((wo, f, kh, c), band.dtype, band, j * dw * s[3], (s[0] + sw * s[3], s[1], s[2], s[4]))
        diagonal[...] = kernel[:, j].transpose(2, 0, 1)  # (F, kh, C), the same for every q
    return band.reshape(wo * f, kh * wp * c)


def conv2d_input_grad_band(dy, kernel, x_shape, stride: Pair, padding: Padding, dilation: Pair, workspace=None):
    """dx (N, H, W, C) of an ungrouped conv2d from dy (N, Ho, Wo, F)."""
    n, ho, wo, f = dy.shape
    _, h, w, c = x_shape
    kh = kernel.shape[0]
    (t, b), (l, r) = padding
    hp, wp = h + t + b, w + l + r
    band = band_kernel(kernel, wo, wp, stride[1], dilation[1], workspace)
    rows = buffer(workspace, "band_rows", (n * ho, kh * wp * c), dy.dtype)
    dot(dy.reshape(n * ho, wo * f), band, out=rows)
    rows = rows.reshape(n, ho, kh, wp * c)
    padded = t or b or l or r
    dxp = buffer(workspace, "band_dx", (n, hp, wp * c), dy.dtype) if padded else np.empty((n, hp, wp * c), dy.dtype)
    dxp.fill(0)
    for i in range(kh):
        start = i * dilation[0]
        dxp[:, start : start + stride[0] * (ho - 1) + 1 : stride[0]] += rows[:, :, i]
    dxp = dxp.reshape(n, hp, wp, c)
    return dxp[:, t : t + h, l : l + w].copy() if padded else dxp
