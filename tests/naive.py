"""Naive loop implementations: slow, obviously right, and independent of striate's kernels.

They make the suite meaningful without PyTorch.
"""

from __future__ import annotations

import numpy as np


def conv2d(x, kernel, bias, stride, padding, dilation, groups):
    """Direct loops over every output pixel. x (N,H,W,C), kernel (kh,kw,C/g,F)."""
    n, h, w, c = x.shape
    kh, kw, cg, f = kernel.shape
    (sh, sw), ((t, b), (l, r)), (dh, dw) = stride, padding, dilation
    xp = np.zeros((n, h + t + b, w + l + r, c), dtype=x.dtype)
    xp[:, t : t + h, l : l + w] = x
    ho = (h + t + b - dh * (kh - 1) - 1) // sh + 1
    wo = (w + l + r - dw * (kw - 1) - 1) // sw + 1
    fg = f // groups
    y = np.zeros((n, ho, wo, f), dtype=x.dtype)
    for oy in range(ho):
        for ox in range(wo):
            for filt in range(f):
                g = filt // fg
                acc = np.zeros(n, dtype=x.dtype)
                for i in range(kh):
                    for j in range(kw):
                        pix = xp[:, oy * sh + i * dh, ox * sw + j * dw, g * cg : (g + 1) * cg]
                        acc += pix @ kernel[i, j, :, filt]
                y[:, oy, ox, filt] = acc + (0 if bias is None else bias[filt])
    return y


def pool2d(x, kernel, stride, padding, op):
    """op = "max" (−∞ padding) or "avg" (zero padding counted). x (N,H,W,C)."""
    n, h, w, c = x.shape
    (kh, kw), (sh, sw), ((t, b), (l, r)) = kernel, stride, padding
    fill = -np.inf if op == "max" else 0.0
    xp = np.full((n, h + t + b, w + l + r, c), fill, dtype=x.dtype)
    xp[:, t : t + h, l : l + w] = x
    ho, wo = (h + t + b - kh) // sh + 1, (w + l + r - kw) // sw + 1
    y = np.zeros((n, ho, wo, c), dtype=x.dtype)
    for oy in range(ho):
        for ox in range(wo):
            win = xp[:, oy * sh : oy * sh + kh, ox * sw : ox * sw + kw]
            y[:, oy, ox] = win.max(axis=(1, 2)) if op == "max" else win.mean(axis=(1, 2))
    return y
