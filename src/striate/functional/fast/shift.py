"""The input gradient of a stride-1 convolution by "shift and accumulate".

Each kernel tap (i, j) sends dy · kernel[i, j]ᵀ back to the input pixels it read: the
output pixel (p, q) shifted by (i·dh, j·dw). Laid out flat over a row of the padded
input's full width Wp, that shift is one offset, the same for every pixel::

    padded input, flat:   [ row 0 (Wp) | row 1 (Wp) | ... ]        index = r·Wp + s
    output pixel (p, q):  index p·Wp + q          (q < Wo; q ≥ Wo: a zero column)
    tap (i, j) writes to: index p·Wp + q + (i·dh·Wp + j·dw)

So one product gives every tap's share for every pixel, channel-major, and each tap's
share is added to ONE contiguous run of the flat input gradient: kh·kw long, fast adds
instead of kh·kw·C short ones. dy gets Wp − Wo zero columns so that its rows line up with
the input's; their shares are zeros, harmlessly added past a row's end.
"""

from __future__ import annotations

import numpy as np

from ..shapes import Padding, Pair
from .gemm import dot
from .workspace import buffer


def conv2d_input_grad_shift(dy, kernel, x_shape, padding: Padding, dilation: Pair, workspace=None):
    """dx (N, H, W, C) of an ungrouped stride-1 conv2d from dy (N, Ho, Wo, F)."""
    n, ho, wo, f = dy.shape
    _, h, w, c = x_shape
    kh, kw = kernel.shape[:2]
    (t, b), (l, r) = padding
    hp, wp = h + t + b, w + l + r
    dyw = buffer(workspace, "dy_wide", (n, ho, wp, f), dy.dtype, fill=0, tag=wo)  # columns ≥ Wo stay 0
    dyw[:, :, :wo] = dy
    run = ho * wp
    # every tap's share, channel-major: row (i·kw + j)·C + c, column (image, p·Wp + q)
    shares = dot(kernel.reshape(kh * kw * c, f), dyw.reshape(n * run, f).T)
    flat = hp * wp + (kw - 1) * dilation[1]  # room for the zero columns' shares past the end
    dxt = buffer(workspace, "dx_flat", (c, n, flat), dy.dtype)
    dxt.fill(0)
    for i in range(kh):
        for j in range(kw):
            start = i * dilation[0] * wp + j * dilation[1]
            tap = (i * kw + j) * c
            dxt[:, :, start : start + run] += shares[tap : tap + c].reshape(c, n, run)
    dxp = dxt[:, :, : hp * wp].reshape(c, n, hp, wp)
    return np.array(dxp[:, :, t : t + h, l : l + w].transpose(1, 2, 3, 0), order="C")  # a new array, always
