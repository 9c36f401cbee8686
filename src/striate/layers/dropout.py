"""Dropout: randomly silence units while training (Srivastava et al. 2014)."""

from __future__ import annotations

import numbers

import numpy as np

from ..functional import dropout as F
from .base import Layer


class Dropout(Layer):
    """Inverted dropout: while training, zero each value with probability `rate` and scale
    the others by 1/(1 − rate); at evaluation, pass x through unchanged.

    Args:
        rate: probability of dropping a value, in [0, 1).
        seed: seeds this layer's own Generator. Without it the Generator is seeded at
            build time from the model's (one draw from Sequential's seeded Generator), so
            a model's seed fixes every mask; a layer built on its own, unseeded, is random.

    The masks come from `layer.rng`; the same seed gives the same sequence of masks.
    A frozen replica (Layer.replica(frozen=True)) passes x through, drawing nothing.

    A training batch split into shards (self.shard_group, layers/sharding.py) uses the
    whole batch's mask: the engine calls draw_for_batch(n) on the model's layer before
    the shards run, which draws exactly what forward would on the whole batch, and each
    shard takes its rows of it. The masks and the Generator's state after the step are
    those of the whole batch, bit for bit.

    Shape: any input shape, unchanged.
    """

    def __init__(self, rate, seed=None):
        super().__init__()
        if not isinstance(rate, numbers.Real) or isinstance(rate, bool) or not 0 <= rate < 1:
            raise ValueError(f"Dropout: rate must be a number in [0, 1), got {rate!r}")
        if seed is not None and (not isinstance(seed, numbers.Integral) or isinstance(seed, bool) or seed < 0):
            raise ValueError(f"Dropout: seed must be a non-negative int or None, got {seed!r}")
        self.rate, self.seed = float(rate), seed
        self.rng = np.random.default_rng(seed)
        self._remember(rate=rate, seed=seed)

    def _build(self, input_shape, rng):
        self.rng = np.random.default_rng(self.seed if self.seed is not None else rng.integers(2**63))
        return input_shape

    @property
    def shardable(self) -> bool:
        """A batch's mask is drawn before its shards run: that needs a sample's shape."""
        return self.input_shape is not None and None not in self.input_shape

    def draw_for_batch(self, n: int):
        """The keep mask (bool, (n, *input_shape)) that forward(training=True) would draw
        for a whole batch of n, drawn now from self.rng; None where forward draws nothing."""
        if self.rate == 0 or self.frozen:
            return None
        return F.dropout_keep((n, *self.input_shape), self.rate, self.rng)

    def forward(self, x, training=False):
        x = self._check_input(x)
        if not training or self.rate == 0 or self.frozen:  # frozen: inference, with a cache
            return self._keep(training, x, 1)  # the cache: a mask of ones
        if self.shard_group is None:
            mask = F.dropout_mask(x.shape, self.rate, self.rng, x.dtype)
        else:  # this shard's rows of the whole batch's mask
            keep = self.shard_group.drawn(self)
            if keep.shape != x.shape:
                raise ValueError(f"{self.name}: the mask drawn for this shard has shape {keep.shape}, "
                                 f"the input {x.shape}")
            mask = F.mask_from_keep(keep, self.rate, x.dtype)
        return self._keep(True, F.dropout(x, mask), mask)

    def backward(self, dy, input_grad=True):
        dy = self._check_grad(dy)
        return F.dropout_backward(dy, self._cache)
