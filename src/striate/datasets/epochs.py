"""EpochAugment: a fresh augmented copy of the training images for every epoch of `fit`.

    aug = EpochAugment(x_train, [RandomShift(2), RandomRotation(10)], seed=0)
    model.fit(aug.images, y_train, epochs=10, callbacks=[aug], checkpoint="run.ckpt")

`fit` indexes the array it is given batch by batch, so rewriting that array in place at
the start of each epoch feeds it new augmented images without changing `fit`. Epoch e's
images are drawn from a Generator seeded with (seed, e) alone; a run resumed from a
checkpoint, even in the middle of an epoch, therefore sees exactly the images an
unbroken run would have seen (the epoch is part of the checkpoint's callback state).
"""

from __future__ import annotations

import numpy as np

from ..callbacks import Callback


class EpochAugment(Callback):
    """Rewrite `images` with transforms of the original images at each epoch's start.

    Args:
        x: the original training images (N, H, W, C); never modified.
        transforms: callables t(x_batch, rng) → x_batch, e.g. RandomShift(2), RandomFlip().
        seed: with the epoch number, fixes every epoch's draw.
        chunk: images transformed at a time (bounds the transforms' scratch memory); part
            of the draw, like the seed.

    Attributes:
        images: the array to pass to fit, same shape and dtype as x.
    """

    def __init__(self, x, transforms, seed: int = 0, chunk: int = 4096):
        self.x = np.asarray(x)
        if self.x.ndim != 4:
            raise ValueError(f"EpochAugment: expected images (N, H, W, C), got shape {self.x.shape}")
        self.transforms = list(transforms)
        for t in self.transforms:
            if not callable(t):
                raise ValueError(f"EpochAugment: every transform must be callable t(x, rng), got {t!r}")
        if not isinstance(seed, (int, np.integer)) or seed < 0:
            raise ValueError(f"EpochAugment: seed must be a non-negative int, got {seed!r}")
        self.seed, self.chunk = int(seed), int(chunk)
        self.images = np.empty_like(self.x)
        self.epoch = -1
        self.fill(0)

    def fill(self, epoch: int) -> None:
        """Write epoch `epoch`'s augmented images into self.images."""
        rng = np.random.default_rng([self.seed, epoch])
        for start in range(0, len(self.x), self.chunk):
            xb = self.x[start : start + self.chunk]
            for t in self.transforms:
                xb = t(xb, rng)
            self.images[start : start + len(xb)] = xb
        self.epoch = epoch

    def on_epoch_begin(self, epoch, logs=None):
        if epoch != self.epoch:
            self.fill(epoch)

    def get_state(self) -> dict:
        return {"epoch": self.epoch}

    def set_state(self, state: dict) -> None:
        epoch = state["epoch"]
        if not isinstance(epoch, int) or epoch < 0:
            raise ValueError(f"EpochAugment: state epoch must be an int >= 0, got {epoch!r}")
        self.fill(epoch)

    def __repr__(self):
        return f"EpochAugment([{', '.join(map(repr, self.transforms))}], seed={self.seed})"
