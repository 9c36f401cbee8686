"""Naive loop implementations of the newer layers: slow, obviously right, independent of striate.

Like naive.py, they make the suite meaningful without PyTorch.
"""

from __future__ import annotations

import math

import numpy as np


def _padded(x, padding, fill=0.0):
    n, h, w, c = x.shape
    (t, b), (l, r) = padding
    xp = np.full((n, h + t + b, w + l + r, c), fill, dtype=x.dtype)
    xp[:, t : t + h, l : l + w] = x
    return xp


def window_pool(x, kernel, stride, padding, reduce):
    """reduce(window (N, kh, kw, C)) → (N, C) at every output position."""
    xp = _padded(x, padding)
    (kh, kw), (sh, sw) = kernel, stride
    ho, wo = (xp.shape[1] - kh) // sh + 1, (xp.shape[2] - kw) // sw + 1
    y = np.zeros((x.shape[0], ho, wo, x.shape[3]))
    for oy in range(ho):
        for ox in range(wo):
            y[:, oy, ox] = reduce(xp[:, oy * sh : oy * sh + kh, ox * sw : ox * sw + kw])
    return y


def adaptive_pool(x, out_hw, op):
    """Each output cell reduces the bin [floor(i·H/out), ceil((i+1)·H/out)) × (likewise for W)."""
    n, h, w, c = x.shape
    ho, wo = out_hw
    y = np.zeros((n, ho, wo, c))
    for i in range(ho):
        r0, r1 = math.floor(i * h / ho), math.ceil((i + 1) * h / ho)
        for j in range(wo):
            c0, c1 = math.floor(j * w / wo), math.ceil((j + 1) * w / wo)
            win = x[:, r0:r1, c0:c1]
            y[:, i, j] = win.max(axis=(1, 2)) if op == "max" else win.mean(axis=(1, 2))
    return y


def conv_transpose2d(x, kernel, bias, stride, padding, output_padding, dilation, groups):
    """Scatter: input pixel (iy, ix) adds x · kernel tap (i, j) at output (iy·s + i·d − pad_top, ...).

    x (N, H, W, C), kernel (kh, kw, F/groups, C).
    """
    n, h, w, c = x.shape
    kh, kw, fg, _ = kernel.shape
    (sh, sw), ((t, b), (l, r)), (oph, opw), (dh, dw) = stride, padding, output_padding, dilation
    full_h = (h - 1) * sh + dh * (kh - 1) + 1 + oph
    full_w = (w - 1) * sw + dw * (kw - 1) + 1 + opw
    cg = c // groups
    full = np.zeros((n, full_h, full_w, fg * groups))
    for iy in range(h):
        for ix in range(w):
            for ch in range(c):
                g = ch // cg
                for i in range(kh):
                    for j in range(kw):
                        full[:, iy * sh + i * dh, ix * sw + j * dw, g * fg : (g + 1) * fg] += (
                            x[:, iy, ix, ch, None] * kernel[i, j, :, ch]
                        )
    y = full[:, t : full_h - b, l : full_w - r]
    return y + (0 if bias is None else bias)


def bilinear(x, size):
    """Output pixel (oy, ox) samples the input at ((oy + ½)/s − ½, ...), clamped at 0, edge repeated."""
    n, h, w, c = x.shape
    sh, sw = size
    y = np.zeros((n, h * sh, w * sw, c))

    def coord(o, s, size_in):
        src = max((o + 0.5) / s - 0.5, 0.0)
        lo = int(math.floor(src))
        return lo, min(lo + 1, size_in - 1), src - lo

    for oy in range(h * sh):
        y0, y1, ly = coord(oy, sh, h)
        for ox in range(w * sw):
            x0, x1, lx = coord(ox, sw, w)
            y[:, oy, ox] = ((1 - ly) * (1 - lx) * x[:, y0, x0] + (1 - ly) * lx * x[:, y0, x1]
                            + ly * (1 - lx) * x[:, y1, x0] + ly * lx * x[:, y1, x1])
    return y


def batch_norm(x, gamma, beta, eps):
    """Per channel: (x − mean) / sqrt(biased var + eps) · gamma + beta, statistics over all other axes."""
    y = np.empty_like(x)
    for ch in range(x.shape[-1]):
        v = x[..., ch]
        y[..., ch] = (v - v.mean()) / math.sqrt(v.var() + eps) * gamma[ch] + beta[ch]
    return y


def pad_index(i, n, mode):
    """Source index of padded position i (may be < 0 or ≥ n) for reflect / replicate / circular."""
    if mode == "replicate":
        return min(max(i, 0), n - 1)
    if mode == "circular":
        return i % n
    while i < 0 or i >= n:  # reflect, edge not repeated
        i = -i if i < 0 else 2 * (n - 1) - i
    return i
