"""Callbacks that keep a resumed run honest: the data it trains on, and the length of its plan.

    fit(..., callbacks=[TrainingData(x, y, "mnist"), RunPlan(epochs, total_steps)],
        checkpoint="run.ckpt", resume=True)

Both keep their state in the checkpoint (get_state / set_state), so when fit restores a
checkpoint they compare it with the run being resumed:

- TrainingData refuses a checkpoint written while training on other data (another data
  set, another --limit, another split): the resumed run would not be that run.
- RunPlan extends a finished (or stopped) run. A learning-rate schedule restored from the
  checkpoint is planned over the old number of steps — a cosine is already at 0 there —
  so when the run now asks for more epochs, the schedule is re-planned over the new
  total: the remaining steps follow the rest of a cosine over all the epochs (from about
  half the peak rate for 1 → 2 epochs). The same number of epochs leaves everything as
  saved, so an interrupted run still resumes bit-identically.
"""

from __future__ import annotations

import hashlib

import numpy as np

from .callbacks import Callback


def fingerprint(x, y) -> str:
    """A short digest of a training set: its shapes, every label and a sample of the images."""
    x, y = np.asarray(x), np.asarray(y)
    h = hashlib.sha256(repr((x.shape, str(x.dtype), y.shape)).encode())
    h.update(np.ascontiguousarray(y).tobytes())
    step = max(1, len(x) // 64)
    h.update(np.ascontiguousarray(x[::step]).tobytes())
    return h.hexdigest()[:16]


class TrainingData(Callback):
    """Remembers what a run trains on; a checkpoint written on other data is refused on resume."""

    def __init__(self, x, y, name: str = "the training data"):
        self.name, self.samples, self.digest = name, len(x), fingerprint(x, y)

    def get_state(self) -> dict:
        return {"name": self.name, "samples": self.samples, "digest": self.digest}

    def mismatch(self, state: dict) -> str | None:
        """Why a checkpoint's state does not belong to this run, or None when it does."""
        if state.get("digest") == self.digest:
            return None
        return (f"it was written while training on {state.get('name')} ({state.get('samples')} images), and this run "
                f"trains on {self.name} ({self.samples} images, other images or labels); start a new checkpoint, "
                "or give the data, --limit and --val-split of that run")

    def set_state(self, state: dict) -> None:
        if (why := self.mismatch(state)) is not None:
            raise ValueError(why)


class RunPlan(Callback):
    """The run's length: re-plans a restored schedule when a resumed run asks for more epochs."""

    def __init__(self, epochs: int, total_steps: int):
        self.epochs, self.total_steps = epochs, total_steps
        self.extended_from = None  # the saved plan's epochs, when set_state re-planned the schedule

    def get_state(self) -> dict:
        return {"epochs": self.epochs, "total_steps": self.total_steps}

    def set_state(self, state: dict) -> None:
        # fit restores the checkpoint's optimizer before the callbacks' state: re-plan that one
        schedule = getattr(self.model.optimizer, "lr", None)
        if self.total_steps > state["total_steps"] and hasattr(schedule, "total_steps"):
            schedule.total_steps = self.total_steps
            self.extended_from = state["epochs"]
