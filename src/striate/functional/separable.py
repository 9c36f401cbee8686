"""Linear maps applied along the height and the width of an image, one after the other.

Adaptive average pooling and bilinear up-sampling both compute every output pixel as
a weighted sum of input pixels whose weight factors into a row part and a column part::

    y[n, i, j, c] = Σ_h Σ_w rows[i, h] · cols[j, w] · x[n, h, w, c]

i.e. y = rows · x · colsᵀ for every image and channel: two matrix products. The
backward pass is the same map with the matrices transposed: dx = rowsᵀ · dy · cols.
"""

from __future__ import annotations

import numpy as np


def separable(x, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """x (N, H, W, C), rows (Ho, H), cols (Wo, W) → y (N, Ho, Wo, C)."""
    n, h, w, c = x.shape
    rows, cols = rows.astype(x.dtype, copy=False), cols.astype(x.dtype, copy=False)
    t = np.matmul(rows, x.reshape(n, h, w * c))  # (N, Ho, W·C): mix rows
    t = np.matmul(cols, t.reshape(-1, w, c))  # (N·Ho, Wo, C): mix columns
    return t.reshape(n, rows.shape[0], cols.shape[0], c)


def separable_backward(dy, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """dy (N, Ho, Wo, C) → dx (N, H, W, C): the transposed map."""
    return separable(dy, rows.T, cols.T)
