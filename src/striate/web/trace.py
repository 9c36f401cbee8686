"""One image through the model, layer by layer: every activation forward, every gradient back.

    acts = activations(model, x)       # [x, y_1, ..., y_L]: the input, then each layer's output
    back = gradients(model, x, label)  # d loss / d (each of those), the kernels' gradients

Both use the model as it predicts (BatchNorm's running statistics, no Dropout). The
backward pass runs on frozen replicas of the layers (Layer.replica(frozen=True)), as
Sequential.input_gradient does, so nothing in the model changes: weights, grads, state,
caches and generators stay as they were. The loss is the cross-entropy with `label`:
for a model that outputs scores z, d loss / dz = softmax(z) − onehot(label); for one that
ends in a Softmax layer (probabilities p), d(−ln p[label]) / dp = −onehot(label) / p[label].
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .. import classifier
from .. import functional as F


def activations(model, x) -> list[np.ndarray]:
    """[x, y_1, ..., y_L] for one image x (H, W, C), no batch axis, in the model's dtype.

    Each layer's own inference forward in turn (copied: layers reuse scratch buffers).
    """
    a = np.asarray(x, model.dtype)[None]
    out = [a[0].copy()]
    for layer in model.layers:
        a = layer.forward(a).copy()
        out.append(a[0])
    return out


def probabilities(model, output) -> np.ndarray:
    """Class probabilities (K,) in float64 from the model's output for one image."""
    return classifier.probabilities(model, np.asarray(output, np.float64)[None])[0]


def output_gradient(model, output, label: int) -> np.ndarray:
    """d loss / d output for one image (K,): the start of the backward pass (see module docstring)."""
    if classifier.ends_in_softmax(model):
        p = np.asarray(output, np.float64)
        dy = np.zeros_like(p)
        dy[label] = -1.0 / max(p[label], np.finfo(np.float64).tiny)
    else:
        dy = F.softmax(np.asarray(output, np.float64))
        dy[label] -= 1.0
    return dy.astype(model.dtype)


@dataclass
class Backward:
    """What flows back: grads[i] is d loss / d acts[i] (grads[0]: the input, the saliency),
    kernels[i] d loss / d kernel of layer i (1-based) for the layers with a kernel."""

    loss: float
    grads: list = field(default_factory=list)
    kernels: dict = field(default_factory=dict)


def gradients(model, x, label: int) -> Backward:
    """The backward pass of the cross-entropy with `label` through every layer, for one image x."""
    twins = [layer.replica(frozen=True) for layer in model.layers]
    a = np.asarray(x, model.dtype)[None]
    for twin in twins:
        a = twin.forward(a, training=True)
    p = probabilities(model, a[0])
    loss = float(-np.log(max(p[label], np.finfo(np.float64).tiny)))
    dy = output_gradient(model, a[0], label)[None]
    grads = [dy[0].copy()]
    kernels = {}
    for i in range(len(twins) - 1, -1, -1):
        dy = twins[i].backward(dy)
        grads.insert(0, np.asarray(dy)[0].copy())
        if "kernel" in twins[i].grads:
            kernels[i + 1] = np.asarray(twins[i].grads["kernel"]).copy()
    return Backward(loss, grads, kernels)
