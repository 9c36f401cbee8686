"""Per-channel normalisation with the mean and standard deviation of the training split.

    norm = Normalize.fit(x_train)          # statistics of the training images only
    x = norm(x_batch)                      # (x − mean[c]) / std[c], float32

Fitting on the training split alone keeps the test images out of every choice made
before testing.
"""

from __future__ import annotations

import numpy as np


def channel_stats(x, chunk: int = 4096) -> tuple[np.ndarray, np.ndarray]:
    """(mean (C,), std (C,)) over every pixel of images x (N, H, W, C), as float32.

    Sums run in float64 over chunks of `chunk` images, so no float64 copy of the whole
    data set is made: var = E[x²] − E[x]².
    """
    x = np.asarray(x)
    if x.ndim != 4 or len(x) == 0:
        raise ValueError(f"channel_stats: expected images (N, H, W, C) with N ≥ 1, got shape {x.shape}")
    total = np.zeros(x.shape[-1])
    squares = np.zeros(x.shape[-1])
    for start in range(0, len(x), chunk):
        part = x[start: start + chunk].astype(np.float64)
        total += part.sum(axis=(0, 1, 2))
        squares += np.square(part).sum(axis=(0, 1, 2))
    count = x.shape[0] * x.shape[1] * x.shape[2]
    mean = total / count
    std = np.sqrt(np.maximum(squares / count - mean**2, 0.0))
    return mean.astype(np.float32), std.astype(np.float32)


class Normalize:
    """(x − mean) / std per channel; a transform for Augment (the Generator is ignored).

    Args:
        mean, std: per-channel values, shape (C,) (or scalars for every channel).
        eps: added to std so a constant channel does not divide by zero.
    """

    def __init__(self, mean, std, eps: float = 1e-7):
        self.mean = np.asarray(mean, np.float32)
        self.std = np.asarray(std, np.float32)
        if self.mean.shape != self.std.shape or self.mean.ndim > 1:
            raise ValueError(f"Normalize: mean and std must be scalars or (C,) of one shape, "
                             f"got {self.mean.shape} and {self.std.shape}")
        if (self.std < 0).any():
            raise ValueError(f"Normalize: std must be non-negative, got {self.std.tolist()}")
        self.scale = 1 / (self.std + np.float32(eps))

    @classmethod
    def fit(cls, x_train, eps: float = 1e-7) -> "Normalize":
        """A Normalize with the channel statistics of x_train (N, H, W, C)."""
        return cls(*channel_stats(x_train), eps=eps)

    def __call__(self, x, rng=None) -> np.ndarray:
        x = np.asarray(x)
        if self.mean.ndim == 1 and x.shape[-1] != len(self.mean):
            raise ValueError(f"Normalize: fitted on {len(self.mean)} channels, got images of shape {x.shape}")
        return ((x.astype(np.float32) - self.mean) * self.scale).astype(np.float32)

    def __repr__(self):
        return f"Normalize(mean={np.round(self.mean, 4).tolist()}, std={np.round(self.std, 4).tolist()})"
