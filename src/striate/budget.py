"""Fit the number of epochs to a time budget: `striate train --time-budget 15m`.

How: a copy of the compiled model trains a few batches of the real data (the first ones
warm up caches and start worker processes and are not counted), which gives the time
per optimizer step; predicting one batch of the validation images gives the time of the
evaluation after each epoch, and augmenting up to 1,000 images the time of each epoch's
fresh augmented copy. Then

    epochs = floor(0.95 · budget / (steps per epoch · time per step + evaluation time))

clipped to [1, max_epochs]; 5 % of the budget is left for the final evaluation and for
the noise in the measurement. The number is fixed before training starts, so the
learning-rate schedule is planned over the whole run, and a run resumed from its
checkpoint keeps the number it was given (it is in the checkpoint).
"""

from __future__ import annotations

import copy
import math
import time
from dataclasses import dataclass

import numpy as np

from .progress import plural

SHARE = 0.95  # of the budget planned for training; the rest is margin and the final evaluation


@dataclass
class Plan:
    epochs: int
    seconds_per_step: float
    seconds_per_epoch: float

    def __str__(self):
        return (f"{plural(self.epochs, 'epoch')} of about {self.seconds_per_epoch:.1f}s "
                f"({self.seconds_per_step * 1000:.1f} ms per step, measured)")


def plan_epochs(model, optimizer, loss, x, y, batch_size: int, budget: float, max_epochs: int, x_val=None,
                transforms=(), steps: int = 8, warmup: int = 2) -> Plan:
    """How many epochs of (x, y) in batches of batch_size fit in `budget` seconds.

    The model is not changed: a deep copy, compiled with (a copy of) `optimizer` and `loss`, is timed.
    """
    trial = copy.deepcopy(model)
    trial.compile(copy.deepcopy(optimizer), loss, [])
    n = len(x)
    batches = -(-n // batch_size)
    count = min(steps, batches)
    order = np.arange(n)
    elapsed = 0.0
    for i in range(warmup + count):
        idx = order[(i % batches) * batch_size: (i % batches + 1) * batch_size]
        start = time.perf_counter()
        trial.train_step(x[idx], y[idx])
        if i >= warmup:
            elapsed += time.perf_counter() - start
    per_step = elapsed / count
    evaluation = 0.0
    if x_val is not None and len(x_val):
        piece = x_val[: min(len(x_val), 1000)]
        start = time.perf_counter()
        trial.predict(piece)
        evaluation = (time.perf_counter() - start) * len(x_val) / len(piece)
    augmenting = 0.0
    if transforms:  # a fresh augmented copy of the images every epoch (datasets.EpochAugment)
        piece, rng = np.array(x[: min(n, 1000)]), np.random.default_rng(0)
        start = time.perf_counter()
        for t in transforms:
            piece = t(piece, rng)
        augmenting = (time.perf_counter() - start) * n / len(piece)
    per_epoch = batches * per_step + evaluation + augmenting
    epochs = max(1, min(max_epochs, math.floor(SHARE * budget / per_epoch)))
    return Plan(epochs, per_step, per_epoch)
