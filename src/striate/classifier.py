"""What makes a Sequential a classifier: class probabilities from its outputs, and how it
is scored when nobody compiled it (a model just loaded from a file).

    model.predict_proba(x)      # (N, K) rows that sum to 1
    striate.load("lenet.striate").evaluate(x_test, y_test)   # cross-entropy and accuracy
"""

from __future__ import annotations

import numpy as np

from . import functional as F
from . import layers as L
from . import losses, metrics


def ends_in_softmax(model) -> bool:
    """Whether the model's last layer is Softmax (its outputs are probabilities, not scores)."""
    return bool(model.layers) and isinstance(model.layers[-1], L.Softmax)


def class_names(model, k: int) -> list[str]:
    """Names for a classifier's k outputs: those saved with the model when there is one per
    output, else "0" .. "k−1"."""
    saved = list(getattr(model, "class_names", None) or [])
    return saved if len(saved) == k else [str(i) for i in range(k)]


def probabilities(model, outputs) -> np.ndarray:
    """Softmax of a classifier's outputs (N, K) in float64, unless its last layer is a Softmax already."""
    outputs = np.asarray(outputs)
    if outputs.ndim != 2:
        raise ValueError(f"predict_proba: the model's outputs have shape {outputs.shape[1:]} per sample, not one "
                         "score per class; it is not a classifier")
    if ends_in_softmax(model):
        return outputs
    return F.softmax(outputs.astype(np.float64))


def default_scoring(model):
    """(loss, [(name, metric)]) for evaluate on a model never compiled: cross-entropy and
    accuracy when it outputs one score per class; RuntimeError otherwise (say which loss)."""
    if model.output_shape is not None and len(model.output_shape) == 1:
        return losses.get("cross_entropy"), [metrics.get("accuracy")]
    raise RuntimeError("Sequential.evaluate(): this model does not output class scores; call "
                       "compile(loss=...) first to say how to score it (e.g. loss='mse')")
