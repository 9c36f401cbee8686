"""Up-sampling by an integer factor: nearest neighbour and bilinear, forward and backward.

Nearest repeats every pixel sh×sw times; its backward sums each sh×sw block of dy.
Bilinear (PyTorch's interpolate(mode="bilinear", align_corners=False)) places output
pixel i of an axis at the input coordinate

    src = (i + 0.5) / s − 0.5,  clamped at 0 below,

and mixes its two neighbours ⌊src⌋ and ⌊src⌋ + 1 (the last pixel repeated past the
edge) with weights 1 − λ and λ, λ = src − ⌊src⌋. Each axis is a fixed (n·s, n) matrix,
so the whole operation is rows · x · colsᵀ (functional/separable.py).
"""

from __future__ import annotations

import numpy as np

from .separable import separable, separable_backward


def upsample_nearest(x, size):
    """x (N, H, W, C) → (N, H·sh, W·sw, C), each pixel copied into an sh×sw block."""
    return np.repeat(np.repeat(x, size[0], axis=1), size[1], axis=2)


def upsample_nearest_backward(dy, size):
    """Sum of dy over each sh×sw block. dy (N, H·sh, W·sw, C) → dx (N, H, W, C)."""
    n, ho, wo, c = dy.shape
    sh, sw = size
    return dy.reshape(n, ho // sh, sh, wo // sw, sw, c).sum(axis=(2, 4))


def linear_matrix(n: int, scale: int) -> np.ndarray:
    """(n·scale, n) interpolation matrix of one axis (align_corners=False)."""
    out = np.arange(n * scale)
    src = np.maximum((out + 0.5) / scale - 0.5, 0.0)
    lo = np.floor(src).astype(np.intp)
    hi = np.minimum(lo + 1, n - 1)
    lam = src - lo
    m = np.zeros((n * scale, n))
    np.add.at(m, (out, lo), 1 - lam)
    np.add.at(m, (out, hi), lam)  # lo == hi at the last pixel: the weights add up to 1
    return m


def upsample_bilinear(x, size):
    """x (N, H, W, C) → (N, H·sh, W·sw, C), bilinear interpolation."""
    _, h, w, _ = x.shape
    return separable(x, linear_matrix(h, size[0]), linear_matrix(w, size[1]))


def upsample_bilinear_backward(dy, size):
    """The transposed interpolation: each input pixel collects its share of every output."""
    _, ho, wo, _ = dy.shape
    return separable_backward(dy, linear_matrix(ho // size[0], size[0]), linear_matrix(wo // size[1], size[1]))
