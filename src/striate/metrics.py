"""Metrics computed on a batch of predictions."""

from __future__ import annotations

import numpy as np


def accuracy(pred, target) -> float:
    """Fraction of rows whose arg-max matches the label (or the target's arg-max)."""
    pred = np.asarray(pred)
    target = np.asarray(target)
    labels = target.argmax(axis=-1) if target.ndim == pred.ndim else target
    return float(np.mean(pred.argmax(axis=-1) == labels))


METRICS = {"accuracy": accuracy, "acc": accuracy}


def get(name):
    """(canonical name, function) for a metric name or a callable."""
    if callable(name):
        return name.__name__, name
    if isinstance(name, str) and name.lower() in METRICS:
        return ("accuracy", accuracy) if name.lower() in ("accuracy", "acc") else (name, METRICS[name])
    raise ValueError(f"unknown metric {name!r}; expected one of {', '.join(METRICS)} or a callable")
