"""Inverted dropout: zero each unit with probability `rate` while training, scale the rest.

    mask ~ Bernoulli(1 − rate),   y = x · mask / (1 − rate)

Scaling at training time keeps E[y] = x, so evaluation is the identity. The backward
pass sends dy through the same mask and scale.
"""

from __future__ import annotations

import numpy as np


def dropout_mask(shape, rate: float, rng: np.random.Generator, dtype) -> np.ndarray:
    """mask / (1 − rate): 0 with probability rate, 1 / (1 − rate) otherwise."""
    return mask_from_keep(dropout_keep(shape, rate, rng), rate, dtype)


def dropout_keep(shape, rate: float, rng: np.random.Generator) -> np.ndarray:
    """Which values to keep (bool, `shape`): one uniform draw per value, kept where ≥ rate.
    Row i of a batch's draw depends only on the generator and i, so a batch split into
    shards can draw the whole batch's once and give each shard its rows."""
    return rng.random(shape) >= rate


def mask_from_keep(keep, rate: float, dtype) -> np.ndarray:
    """The mask of a keep array: 1 / (1 − rate) where kept, 0 elsewhere."""
    dtype = np.dtype(dtype)
    return keep.astype(dtype) * dtype.type(1.0 / (1.0 - rate))


def dropout(x, mask):
    """y = x · mask, mask from dropout_mask."""
    return x * mask


def dropout_backward(dy, mask):
    """dx = dy · mask."""
    return dy * mask
