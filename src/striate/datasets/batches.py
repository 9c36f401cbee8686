"""Mini-batches for training: seeded shuffling, the last partial batch kept or dropped.

    batches = Batches(x_train, y_train, batch_size=64, seed=0, transform=augment)
    for epoch in range(epochs):
        for xb, yb in batches:          # a new shuffle every epoch
            model.train_step(xb, yb)
"""

from __future__ import annotations

import numpy as np


class Batches:
    """Iterate over (x, y) in mini-batches, one epoch per `for` loop.

    Args:
        x: samples (N, ...), e.g. images (N, H, W, C).
        y: labels or targets (N, ...), or None to yield x batches alone.
        batch_size: samples per batch.
        shuffle: draw a new order every epoch from a Generator seeded once with `seed`,
            so the sequence of epochs is reproducible.
        seed: the seed of that Generator.
        drop_last: leave out the last batch when it has fewer than batch_size samples.
        transform: called on each x batch (an Augment, say) before it is yielded.

    Only one batch is gathered at a time (x[idx] for that batch's indices; a plain slice,
    no copy at all, without shuffling): the data set itself is never copied.

    Yields:
        (x_batch (B, ...), y_batch (B, ...)), or x_batch when y is None; B = batch_size
        except possibly for the last batch.
    """

    def __init__(self, x, y=None, batch_size: int = 32, shuffle: bool = True, seed=None,
                 drop_last: bool = False, transform=None):
        if not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
            raise ValueError(f"Batches: batch_size must be a positive int, got {batch_size!r}")
        if y is not None and len(x) != len(y):
            raise ValueError(f"Batches: x has {len(x)} samples but y has {len(y)}")
        if transform is not None and not callable(transform):
            raise ValueError(f"Batches: transform must be callable, got {transform!r}")
        self.x, self.y = x, y
        self.batch_size, self.shuffle, self.drop_last = int(batch_size), shuffle, drop_last
        self.transform = transform
        self.rng = np.random.default_rng(seed)

    @property
    def num_samples(self) -> int:
        """Samples yielded per epoch (fewer than len(x) when drop_last drops a partial batch)."""
        return len(self) * self.batch_size if self.drop_last else len(self.x)

    def __len__(self) -> int:
        n, b = len(self.x), self.batch_size
        return n // b if self.drop_last else -(-n // b)

    def __iter__(self):
        n, b = len(self.x), self.batch_size
        order = self.rng.permutation(n) if self.shuffle else None
        for start in range(0, len(self) * b, b):
            idx = order[start: start + b] if order is not None else slice(start, min(start + b, n))
            xb = self.x[idx]
            if self.transform is not None:
                xb = self.transform(xb)
            yield xb if self.y is None else (xb, self.y[idx])

    def __repr__(self):
        return (f"Batches({len(self.x)} samples, batch_size={self.batch_size}, shuffle={self.shuffle}, "
                f"drop_last={self.drop_last}, {len(self)} batches)")
