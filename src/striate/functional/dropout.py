"""Inverted dropout: zero each unit with probability `rate` while training, scale the rest.

    mask ~ Bernoulli(1 − rate),   y = x · mask / (1 − rate)

Scaling at training time keeps E[y] = x, so evaluation is the identity. The backward
pass sends dy through the same mask and scale.
"""

from __future__ import annotations

import numpy as np


def dropout_mask(shape, rate: float, rng: np.random.Generator, dtype) -> np.ndarray:
    """mask / (1 − rate): 0 with probability rate, 1 / (1 − rate) otherwise."""
    dtype = np.dtype(dtype)
    keep = rng.random(shape) >= rate
    return keep.astype(dtype) * dtype.type(1.0 / (1.0 - rate))


def dropout(x, mask):
    """y = x · mask, mask from dropout_mask."""
    return x * mask


def dropout_backward(dy, mask):
    """dx = dy · mask."""
    return dy * mask
