"""Reshape: give each sample a new shape with the same number of values (e.g. a code vector → a map)."""

from __future__ import annotations

import numbers

import numpy as np

from .base import Layer


class Reshape(Layer):
    """Reshape every sample to target_shape, in row-major (h, w, c) order like Flatten.

    Args:
        target_shape: tuple of positive ints without the batch axis; one entry may be −1,
            meaning "whatever makes the sizes match", as in NumPy and Keras.

    Shape: input (N, *s) → output (N, *target_shape), prod(s) = prod(target_shape).
    Example: Dense(7·7·8) then Reshape((7, 7, 8)) starts a convolutional decoder.
    """

    def __init__(self, target_shape):
        super().__init__()
        owner = type(self).__name__
        if not isinstance(target_shape, (tuple, list)) or not target_shape or not all(
            isinstance(d, numbers.Integral) and not isinstance(d, bool) and (d > 0 or d == -1) for d in target_shape
        ) or list(target_shape).count(-1) > 1:
            raise ValueError(f"{owner}: target_shape must be a tuple of positive ints with at most one -1, "
                             f"got {target_shape!r}")
        self.target_shape = tuple(int(d) for d in target_shape)
        self._remember(target_shape=target_shape)

    def _build(self, input_shape, rng):
        if None in input_shape:
            return tuple(None if d == -1 else d for d in self.target_shape)  # checked in forward
        size, known = int(np.prod(input_shape)), int(np.prod([d for d in self.target_shape if d != -1]))
        if (-1 in self.target_shape and size % known) or (-1 not in self.target_shape and size != known):
            raise ValueError(f"{self.name}: cannot reshape input_shape {input_shape} ({size} values) to "
                             f"target_shape {self.target_shape}")
        return tuple(size // known if d == -1 else d for d in self.target_shape)

    def forward(self, x, training=False):
        x = self._check_input(x)
        try:
            y = x.reshape(x.shape[0], *self.target_shape)
        except ValueError:
            raise ValueError(f"{self.name}: cannot reshape input of shape {x.shape} to "
                             f"(N, {', '.join(map(str, self.target_shape))})") from None
        return self._keep(training, y, x.shape)

    def backward(self, dy, input_grad=True):
        dy = self._check_grad(dy)
        return dy.reshape(self._cache)
