"""A training run seen from the page (`striate train … --watch`): curves, first filters, predictions.

    feed = Feed()
    model.fit(x, y, callbacks=[Watch(feed, x_test[:8], y_test[:8])])   # training thread
    feed.snapshot(since)                                               # the server's thread

The training thread does little: each batch it appends (step, loss, accuracy) to a list,
and every `every` seconds it takes a snapshot: the first convolution's kernel, the
probabilities of a few fixed test images (one small predict), and copies of the weights
(for the page's other panels, which run on a twin of the model, never on the one
training). The server reads the feed under its lock and streams it (Server-Sent Events).
"""

from __future__ import annotations

import threading
import time

import numpy as np

from .. import layers as L
from ..callbacks import Callback
from . import encode

MAX_POINTS = 2000  # batch points kept for the curves (thinned by half when full)


def arrays(model) -> list[np.ndarray]:
    """Copies of every parameter and state array, layer by layer."""
    return [a.copy() for layer in model.layers for group in (layer.params, layer.state) for a in group.values()]


def load(model, values) -> None:
    """Copy arrays(other) into model's parameters and state."""
    values = iter(values)
    for layer in model.layers:
        for group in (layer.params, layer.state):
            for a in group.values():
                a[...] = next(values)


class Feed:
    """What the training thread has published; every method takes the lock."""

    def __init__(self):
        self._lock = threading.Lock()
        self.version = 0
        self.points: list[list[float]] = []  # [step, loss, accuracy]
        self.epochs: list[dict] = []
        self.filters = None
        self.images = self.labels = self.probabilities = None
        self.weights = None
        self.weights_version = 0
        self.finished = False
        self.snapshot_seconds: list[float] = []

    def add_point(self, step: float, loss: float, accuracy: float) -> None:
        """One batch's (step, loss, accuracy); NaN as None; thinned by half past MAX_POINTS."""
        finite = [v if np.isfinite(v) else None for v in (loss, accuracy)]  # JSON has no NaN
        with self._lock:
            self.points.append([step, *finite])
            if len(self.points) > MAX_POINTS:
                self.points = self.points[::2]

    def add_epoch(self, logs: dict) -> None:
        """One epoch's results (numbers; JSON has no NaN: those become None)."""
        with self._lock:
            self.epochs = [*self.epochs, {k: v if np.isfinite(v) else None for k, v in logs.items()}]
            self.version += 1

    def publish(self, **items) -> None:
        """Set some of the feed's fields at once (filters=, probabilities=, weights=, finished=, ...)."""
        with self._lock:
            for key, value in items.items():
                setattr(self, key, value)
            if "weights" in items:
                self.weights_version += 1
            self.version += 1

    def timed(self, seconds: float) -> None:
        """Keep how long a snapshot took (the last 100)."""
        with self._lock:
            self.snapshot_seconds = [*self.snapshot_seconds[-99:], seconds]

    def current(self) -> int:
        """The version: one more each time something is published."""
        with self._lock:
            return self.version

    def latest_weights(self, have: int):
        """(version, arrays) when weights newer than version `have` were published, else None."""
        with self._lock:
            return (self.weights_version, self.weights) if self.weights_version > have else None

    def snapshot(self) -> dict:
        """The feed as JSON values for the page."""
        with self._lock:
            return {"version": self.version, "finished": self.finished, "points": list(self.points),
                    "epochs": list(self.epochs),
                    "filters": None if self.filters is None else encode.array(self.filters),
                    "images": None if self.images is None else encode.array(self.images),
                    "labels": None if self.labels is None else [int(v) for v in self.labels],
                    "probabilities": None if self.probabilities is None else np.asarray(self.probabilities).tolist(),
                    "snapshot_ms": 1000 * float(np.median(self.snapshot_seconds)) if self.snapshot_seconds else None}


def first_conv(model):
    """The model's first Conv2D, or None."""
    return next((layer for layer in model.layers if isinstance(layer, L.Conv2D)), None)


class Watch(Callback):
    """Publishes the run to a Feed: each batch's loss and accuracy, and a snapshot every `every` seconds.

    images, labels: a few fixed test images (N, H, W, C) whose predictions the page follows.
    batches: batches per epoch, so that curves are drawn against epochs (else against steps).
    """

    def __init__(self, feed: Feed, images, labels, every: float = 2.0, batches: int | None = None):
        self.feed, self.every = feed, float(every)
        self.images, self.labels = np.asarray(images), np.asarray(labels)
        self._last = 0.0
        self._epoch, self._batches, self._steps = 0, batches, 0

    def on_train_begin(self, logs=None):
        self.feed.publish(images=self.images, labels=self.labels)
        self._take()

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def on_batch_end(self, batch, logs=None):
        logs = logs or {}
        self._steps += 1
        step = self._epoch + (batch + 1) / self._batches if self._batches else self._steps
        self.feed.add_point(step, float(logs.get("loss", np.nan)), float(logs.get("accuracy", np.nan)))
        if time.perf_counter() - self._last >= self.every:
            self._take()

    def on_epoch_end(self, epoch, logs=None):
        self.feed.add_epoch({"epoch": epoch + 1, **{k: float(v) for k, v in (logs or {}).items()}})
        self._take()

    def on_train_end(self, logs=None):
        self._take()
        self.feed.publish(finished=True)

    def _take(self) -> None:
        """The snapshot: on the training thread, so the model is not changing while it is read."""
        start = time.perf_counter()
        conv = first_conv(self.model)
        probabilities = self.model.predict_proba(self.images) if len(self.images) else None
        self.feed.publish(filters=None if conv is None else conv.params["kernel"].copy(),
                          probabilities=probabilities, weights=arrays(self.model))
        self._last = time.perf_counter()
        self.feed.timed(self._last - start)
