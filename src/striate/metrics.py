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


def confusion_matrix(labels, predicted, classes: int) -> np.ndarray:
    """(classes, classes) int64 counts: row = true class, column = predicted class."""
    labels, predicted = np.asarray(labels, np.int64), np.asarray(predicted, np.int64)
    if labels.shape != predicted.shape:
        raise ValueError(f"confusion_matrix: {labels.shape[0]} labels but {predicted.shape[0]} predictions")
    return np.bincount(labels * classes + predicted, minlength=classes * classes).reshape(classes, classes)


def precision_recall(matrix) -> tuple[np.ndarray, np.ndarray]:
    """Per-class (precision, recall) from a confusion matrix; 0 where a class was never predicted/seen.

    precision[k] = correct k / predicted k (a column), recall[k] = correct k / true k (a row).
    """
    cm = np.asarray(matrix, np.float64)
    correct = np.diag(cm)
    predicted, true = cm.sum(axis=0), cm.sum(axis=1)
    precision = np.divide(correct, predicted, out=np.zeros_like(correct), where=predicted > 0)
    recall = np.divide(correct, true, out=np.zeros_like(correct), where=true > 0)
    return precision, recall
