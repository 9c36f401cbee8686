"""Callbacks that `fit` calls at the edges of training, epochs and batches (Keras-style).

    History                per-epoch metrics (fit makes one and returns it)
    ModelCheckpoint        save the model each epoch, or only when a monitored metric improves
    EarlyStopping          stop when a monitored metric stops improving; optionally restore the best weights
    LearningRateScheduler  set the optimizer's lr at the start of each epoch from schedule(epoch, lr)
    CSVLogger              one CSV row of metrics per epoch

A callback that must survive an interruption (EarlyStopping's patience count, ...)
keeps its state in get_state() / set_state(); checkpoints save and restore it.

Trained over MPI ranks (fit(distributed=True)), every rank runs the callbacks with the
same logs (the loss reduced over the ranks, the metrics of the gathered outputs), so
EarlyStopping stops them all at once and a schedule sets the same rate on each; those
that write files (ModelCheckpoint, CSVLogger) write on rank 0 only, and their messages
(verbose, a missing metric) come from rank 0 only.
"""

from __future__ import annotations

import csv
import math
import numbers
import warnings
from pathlib import Path


class Callback:
    """Override any hook; `self.model` is set by fit before training starts."""

    model = None

    @property
    def writes(self) -> bool:
        """Whether this process writes files: False on MPI ranks other than 0."""
        return getattr(self.model, "rank", 0) == 0

    def say(self, text: str) -> None:
        """Print text, on MPI rank 0 only: one line for the job, not one per rank."""
        if self.writes:
            print(text, flush=True)

    def on_train_begin(self, logs=None): ...
    def on_train_end(self, logs=None): ...
    def on_epoch_begin(self, epoch, logs=None): ...
    def on_epoch_end(self, epoch, logs=None): ...
    def on_batch_end(self, batch, logs=None): ...

    def get_state(self) -> dict:
        """What a resumed run needs to carry on: JSON values and NumPy arrays. {} if nothing."""
        return {}

    def set_state(self, state: dict) -> None:
        """Take back what get_state() gave (read from a checkpoint)."""


class History(Callback):
    """Per-epoch metrics: `history.history["loss"]`, `["val_accuracy"]`, ...; `history.epoch`."""

    def __init__(self):
        self.history: dict[str, list[float]] = {}
        self.epoch: list[int] = []

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)

    def get_state(self):
        return {"history": self.history, "epoch": self.epoch}

    def set_state(self, state):
        history, epochs = state["history"], state["epoch"]
        if not (isinstance(history, dict) and all(isinstance(v, list) for v in history.values())
                and isinstance(epochs, list) and all(isinstance(e, int) for e in epochs)):
            raise ValueError("History: state must be {'history': {name: [values]}, 'epoch': [ints]}")
        self.history, self.epoch = {k: [float(x) for x in v] for k, v in history.items()}, list(epochs)

    def __repr__(self):
        last = {k: round(v[-1], 4) for k, v in self.history.items()}
        return f"History(epochs={len(self.epoch)}, last={last})"


class _Monitor(Callback):
    """A metric to watch in the epoch logs, and which direction is better."""

    def __init__(self, monitor: str, mode: str, min_delta: float = 0.0):
        owner = type(self).__name__
        if mode not in ("auto", "min", "max"):
            raise ValueError(f"{owner}: mode must be 'auto', 'min' or 'max', got {mode!r}")
        if mode == "auto":  # accuracies grow, losses shrink
            mode = "max" if "acc" in monitor else "min"
        if not isinstance(min_delta, numbers.Real) or min_delta < 0:
            raise ValueError(f"{owner}: min_delta must be a number >= 0, got {min_delta!r}")
        self.monitor, self.mode, self.min_delta = monitor, mode, float(min_delta)

    def _current(self, logs):
        value = (logs or {}).get(self.monitor)
        if value is None and self.writes:  # (one warning for the job, from rank 0)
            warnings.warn(f"{type(self).__name__}: metric {self.monitor!r} is not in the logs "
                          f"(available: {', '.join(logs or {})}); skipping", stacklevel=3)
        return value

    def _improves(self, value, reference) -> bool:
        """value beats reference by more than min_delta (anything beats None)."""
        if reference is None:
            return True
        if self.mode == "min":
            return value + self.min_delta < reference
        return value - self.min_delta > reference


class ModelCheckpoint(_Monitor):
    """Save the model at the end of every epoch, or only when `monitor` improves.

    Args:
        filepath: where to save; may hold {epoch} (1-based) and metric names,
            e.g. "model-{epoch:02d}-{val_loss:.3f}.striate".
        monitor: metric to watch, e.g. "val_loss" or "val_accuracy".
        save_best_only: save only when `monitor` beats the best value so far.
        mode: "min", "max", or "auto" (max for accuracies, min otherwise).
    """

    def __init__(self, filepath, monitor="val_loss", save_best_only=False, mode="auto", verbose=0):
        super().__init__(monitor, mode)
        self.filepath, self.save_best_only, self.verbose = str(filepath), bool(save_best_only), verbose
        self.best = None

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        path = Path(self.filepath.format(epoch=epoch + 1, **logs))
        if self.save_best_only:
            current = self._current(logs)
            if current is None or not self._improves(current, self.best):
                return
            if self.verbose:
                self.say(f"Epoch {epoch + 1}: {self.monitor} improved from {self.best} to {current:.5f}, "
                         f"saving {path}")
            self.best = current
        if self.writes:
            self.model.save(path)

    def get_state(self):
        return {"best": self.best}

    def set_state(self, state):
        best = state["best"]
        if best is not None and not isinstance(best, numbers.Real):
            raise ValueError(f"ModelCheckpoint: best must be a number or null, got {best!r}")
        self.best = best


class EarlyStopping(_Monitor):
    """Stop training when `monitor` has not improved for `patience` epochs (Keras's rules).

    Args:
        monitor: metric to watch; min_delta: the least change that counts as improvement.
        patience: epochs without improvement before stopping.
        mode: "min", "max" or "auto".
        baseline: a value to beat; until the metric beats it, patience keeps running out.
        restore_best_weights: on stopping, put back the weights of the best epoch.
        start_from_epoch: epochs to wait before watching at all (a warm-up).
    """

    def __init__(self, monitor="val_loss", min_delta=0.0, patience=0, mode="auto", baseline=None,
                 restore_best_weights=False, start_from_epoch=0, verbose=0):
        super().__init__(monitor, mode, min_delta)
        for name, value in (("patience", patience), ("start_from_epoch", start_from_epoch)):
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ValueError(f"EarlyStopping: {name} must be an int >= 0, got {value!r}")
        self.patience, self.baseline, self.start_from_epoch = patience, baseline, start_from_epoch
        self.restore_best_weights, self.verbose = restore_best_weights, verbose
        self.on_train_begin()

    def on_train_begin(self, logs=None):
        self.wait, self.stopped_epoch, self.best, self.best_epoch, self.best_weights = 0, 0, None, 0, None

    def on_epoch_end(self, epoch, logs=None):
        current = self._current(logs)
        if current is None or epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            self.best_weights, self.best_epoch = self.model.get_weights(), epoch
        self.wait += 1
        if self._improves(current, self.best):
            self.best, self.best_epoch = current, epoch
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            if self.baseline is None or self._improves(current, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True
            if self.restore_best_weights:
                self.model.set_weights(self.best_weights)
            if self.verbose:
                self.say(f"Epoch {epoch + 1}: early stopping; best {self.monitor} {self.best:.5f} "
                         f"at epoch {self.best_epoch + 1}")

    def get_state(self):
        return {"wait": self.wait, "stopped_epoch": self.stopped_epoch, "best": self.best,
                "best_epoch": self.best_epoch, "best_weights": self.best_weights}

    def set_state(self, state):
        for key in ("wait", "stopped_epoch", "best_epoch"):
            if not isinstance(state[key], int) or state[key] < 0:
                raise ValueError(f"EarlyStopping: {key} must be an int >= 0, got {state[key]!r}")
        best, weights = state["best"], state["best_weights"]
        if best is not None and not isinstance(best, numbers.Real):
            raise ValueError(f"EarlyStopping: best must be a number or null, got {best!r}")
        if weights is not None:
            self.model.check_weights(weights, "EarlyStopping: best_weights")
            weights = list(weights)
        self.wait, self.stopped_epoch, self.best_epoch = state["wait"], state["stopped_epoch"], state["best_epoch"]
        self.best, self.best_weights = best, weights


class LearningRateScheduler(Callback):
    """At the start of each epoch, set the optimizer's lr to schedule(epoch, lr).

    Args:
        schedule: a function (epoch from 0, current lr) → new lr, a positive number.
            For a schedule per step (batch), give the optimizer a striate.schedules
            Schedule as its lr instead.
    """

    def __init__(self, schedule, verbose=0):
        if not callable(schedule):
            raise ValueError(f"LearningRateScheduler: schedule must be callable, got {schedule!r}")
        self.schedule, self.verbose = schedule, verbose

    def on_epoch_begin(self, epoch, logs=None):
        optimizer = self.model.optimizer
        if callable(optimizer.lr):
            raise ValueError("LearningRateScheduler: the optimizer's lr is a schedule already; "
                             "use one or the other")
        lr = self.schedule(epoch, optimizer.lr)
        if not isinstance(lr, numbers.Real) or isinstance(lr, bool) or not math.isfinite(lr) or lr <= 0:
            raise ValueError(f"LearningRateScheduler: schedule({epoch}, {optimizer.lr}) must return a "
                             f"positive number, got {lr!r}")
        optimizer.lr = float(lr)
        if self.verbose:
            self.say(f"Epoch {epoch + 1}: learning rate {optimizer.lr:g}")

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["learning_rate"] = self.model.optimizer.current_lr


class CSVLogger(Callback):
    """Append one row per epoch to a CSV file: epoch, then each metric in sorted order.

    Args:
        filename: the CSV file.
        separator: the field separator.
        append: keep the rows already in the file (to continue a resumed run). Rows for
            epochs this run writes again — after resuming from an earlier checkpoint — are
            dropped, so every epoch appears once.
    """

    def __init__(self, filename, separator=",", append=False):
        self.filename, self.separator, self.append = Path(filename), separator, append
        self._keys = None

    def on_train_begin(self, logs=None):
        self._keys = None
        if self.writes and (not self.append or not self.filename.exists()):
            self.filename.write_text("")

    def on_epoch_end(self, epoch, logs=None):
        if not self.writes:
            return
        logs = logs or {}
        rows = self._rows_before(epoch)
        if self._keys is None:
            self._keys = rows[0][1:] if rows else sorted(logs)
            rows = rows or [["epoch", *self._keys]]
        rows.append([epoch, *(logs.get(k, "NA") for k in self._keys)])
        with open(self.filename, "w", newline="") as f:
            csv.writer(f, delimiter=self.separator).writerows(rows)

    def _rows_before(self, epoch):
        """The rows in the file (header first) for epochs before `epoch`."""
        with open(self.filename, newline="") as f:
            rows = list(csv.reader(f, delimiter=self.separator))
        return rows[:1] + [r for r in rows[1:] if r and int(r[0]) < epoch]
