"""Where a fit is: the little a checkpoint needs to take the very next step an unbroken run would."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class Position:
    """fit's progress through its epochs.

    Attributes:
        epoch: the epoch under way, or the next to start when batch is 0.
        batch: batches of that epoch already trained on.
        seen: samples of that epoch already trained on.
        sums: running sums of loss and metrics × samples, for the epoch's averages.
        rng_state: the Generator's bit_generator.state *before* this epoch's shuffle:
            restoring it and shuffling again gives the same order, so a run resumed
            mid-epoch carries on with batch `batch` of the same permutation.
        stopped: a callback asked training to stop (model.stop_training).
    """

    epoch: int = 0
    batch: int = 0
    seen: int = 0
    sums: dict = field(default_factory=dict)
    rng_state: dict | None = None
    stopped: bool = False

    def start(self, epoch: int, rng: np.random.Generator, names) -> None:
        """A new epoch, nothing trained yet; remember the RNG before the shuffle draws from it."""
        self.epoch, self.batch, self.seen = epoch, 0, 0
        self.sums = dict.fromkeys(names, 0.0)
        self.rng_state = rng.bit_generator.state

    def finish(self, epoch: int, rng: np.random.Generator, stopped: bool) -> None:
        """Epoch `epoch` is over: next comes the first batch of epoch + 1."""
        self.epoch, self.batch, self.seen, self.sums = epoch + 1, 0, 0, {}
        self.rng_state = rng.bit_generator.state
        self.stopped = bool(stopped)
