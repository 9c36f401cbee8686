"""Callbacks that `fit` calls at the edges of training, epochs and batches (Keras-style)."""

from __future__ import annotations


class Callback:
    """Override any hook; `self.model` is set by fit before training starts."""

    model = None

    def on_train_begin(self, logs=None): ...
    def on_train_end(self, logs=None): ...
    def on_epoch_begin(self, epoch, logs=None): ...
    def on_epoch_end(self, epoch, logs=None): ...
    def on_batch_end(self, batch, logs=None): ...


class History(Callback):
    """Per-epoch metrics: `history.history["loss"]`, `["val_accuracy"]`, ...; `history.epoch`."""

    def __init__(self):
        self.history: dict[str, list[float]] = {}
        self.epoch: list[int] = []

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)

    def __repr__(self):
        last = {k: round(v[-1], 4) for k, v in self.history.items()}
        return f"History(epochs={len(self.epoch)}, last={last})"
