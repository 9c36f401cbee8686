"""What the page asks of the model, computed under one lock: predictions, maps, arithmetic, gradients.

    explorer = Explorer(model)
    explorer.predict(x)                     # {"classes", "probabilities"}
    explorer.forward(x)                     # every layer's output, the softmax written out
    explorer.pixel(x, layer, (i, j, c))     # one value's arithmetic and receptive field
    explorer.backward(x, label)             # the gradient at every layer, the saliency map
    explorer.filters()                      # every convolution's kernel

x is one image (H, W, C) in [0, 1], already decoded (striate.web.decode). The layers keep
scratch buffers, so one request at a time runs the model (the lock); the activations of
the last few images are kept (keyed by the image's values, at most `cache` images and
`cache_bytes` bytes of activations), so hovering pixel after pixel of one image runs it once.
With a Feed (`striate train --watch`) the model is a twin of the one training, brought up
to the latest published weights before each request.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict

import numpy as np

from .. import classifier
from .. import layers as L
from ..arithmetic import dims
from . import encode, pixel, receptive, trace

MAX_MAPS = 64  # channels of one layer sent to the page
CACHE = 8  # images whose activations are kept
CACHE_BYTES = 256 << 20  # bytes of activations kept, all images together


def class_names(model) -> list[str]:
    """The names saved in the model file when there is one per output, else "0" .. "K−1"."""
    return classifier.class_names(model, model.output_shape[0] if len(model.output_shape) == 1 else 0)


def layer_info(layer) -> dict:
    """What the page says of a layer: index (1-based), name, type, repr, output shape, kind, parameters."""
    shape = list(layer.output_shape)
    return {"index": layer.index, "name": layer.name, "type": type(layer).__name__, "repr": repr(layer),
            "shape": shape, "kind": "maps" if len(shape) == 3 else "vector", "params": layer.num_params}


class Explorer:
    """The model's answers to the page, one request at a time (see the module docstring).

    cache: images whose activations are kept; cache_bytes: the bytes they may take together
    (an image whose activations alone are larger is not kept).
    """

    def __init__(self, model, feed=None, cache: int = CACHE, cache_bytes: int = CACHE_BYTES):
        shape = tuple(model.input_shape or ())
        if len(shape) != 3 or None in shape or shape[-1] not in (1, 3):
            raise ValueError(f"the page shows models that take images of a fixed size with 1 or 3 channels; "
                             f"this one takes {dims(shape) or 'nothing'}")
        if len(model.output_shape) != 1:
            raise ValueError(f"the page shows classifiers (one score per class); this model outputs "
                             f"{dims(model.output_shape)} values per image")
        self.model, self.feed = model, feed
        self.lock = threading.Lock()
        self.classes = class_names(model)
        self._cache: OrderedDict[bytes, list] = OrderedDict()
        self.cache, self.cache_bytes = cache, cache_bytes
        self._weights_version = 0

    # ---- under the lock --------------------------------------------------------
    def _sync(self) -> None:
        """Bring the twin up to the training run's latest weights (--watch)."""
        if self.feed is None:
            return
        latest = self.feed.latest_weights(self._weights_version)
        if latest is not None:
            from .watch import load

            self._weights_version, weights = latest
            load(self.model, weights)
            self._cache.clear()

    def _acts(self, x) -> list:
        key = hashlib.sha256(np.ascontiguousarray(x, np.float32).tobytes()).digest()
        if key in self._cache:
            self._cache.move_to_end(key)
            return self._cache[key]
        acts = trace.activations(self.model, x)
        self._cache[key] = acts
        while self._cache and (len(self._cache) > self.cache or self.cached_bytes() > self.cache_bytes):
            self._cache.popitem(last=False)
        return acts

    def cached_bytes(self) -> int:
        """Bytes of the activations kept."""
        return sum(a.nbytes for acts in self._cache.values() for a in acts)

    def _run(self, fn):
        with self.lock:
            self._sync()
            return fn()

    # ---- what the page asks ----------------------------------------------------
    def describe(self) -> dict:
        """The model for GET /api/model: input shape, classes, layers."""
        return {"input_shape": list(self.model.input_shape), "classes": self.classes,
                "layers": [layer_info(layer) for layer in self.model.layers], "watch": self.feed is not None,
                "softmax_layer": classifier.ends_in_softmax(self.model)}

    def predict(self, x) -> dict:
        """{"classes", "probabilities"} for image x (H, W, C)."""
        def run():
            p = trace.probabilities(self.model, self._acts(x)[-1])
            return {"classes": self.classes, "probabilities": p.tolist()}
        return self._run(run)

    def forward(self, x) -> dict:
        """Probabilities, the input and every layer's output (at most MAX_MAPS channels), the softmax written out."""
        def run():
            acts = self._acts(x)
            p = trace.probabilities(self.model, acts[-1])
            layers = []
            for layer, a in zip(self.model.layers, acts[1:]):
                shown = a[:, :, :MAX_MAPS] if a.ndim == 3 else a
                layers.append({**layer_info(layer), "output": encode.array(shown),
                               "channels_shown": int(shown.shape[-1])})
            logits = acts[-2] if classifier.ends_in_softmax(self.model) else acts[-1]
            top = int(np.argmax(p))
            return {"classes": self.classes, "probabilities": p.tolist(), "input": encode.array(acts[0]),
                    "layers": layers, "softmax": pixel.softmax(logits, top)}
        return self._run(run)

    def pixel(self, x, layer: int, where: tuple) -> dict:
        """layer: 1-based; where: (row, col, channel) of a map or (unit,) of a vector; ValueError if outside."""
        n = len(self.model.layers)
        if not 1 <= layer <= n:
            raise ValueError(f"layer must lie in 1..{n}, got {layer}")
        shape = tuple(self.model.layers[layer - 1].output_shape)
        names = ("row", "col", "channel") if len(shape) == 3 else ("unit",)
        if len(where) != len(shape):
            raise ValueError(f"layer {layer} outputs {'×'.join(map(str, shape))}: give {', '.join(names)}")
        for name, v, size in zip(names, where, shape):
            if not 0 <= v < size:
                raise ValueError(f"{name} must lie in 0..{size - 1} for layer {layer}, got {v}")

        def run():
            out = pixel.explain(self.model, self._acts(x), layer, tuple(where))
            if len(shape) == 3:
                out["field"] = receptive.field(self.model, layer, where[0], where[1])
            return out
        return self._run(run)

    def backward(self, x, label: int) -> dict:
        """The cross-entropy with `label` run back: every layer's output gradient, each Conv2D's kernel
        gradient, d loss / d x (H, W, C) and the saliency max_c |d loss / d x| (H, W); ValueError for a bad label."""
        if not 0 <= label < len(self.classes):
            raise ValueError(f"class must lie in 0..{len(self.classes) - 1}, got {label}")

        def run():
            back = trace.gradients(self.model, x, label)
            layers = []
            for layer, g in zip(self.model.layers, back.grads[1:]):
                item = {**layer_info(layer), "grad": encode.array(g[:, :, :MAX_MAPS] if g.ndim == 3 else g)}
                if layer.index in back.kernels and isinstance(layer, L.Conv2D):
                    k = back.kernels[layer.index]
                    item["kernel_grad"] = encode.array(k[:, :, :, :MAX_MAPS])
                layers.append(item)
            saliency = back.grads[0]
            return {"class": label, "name": self.classes[label], "loss": back.loss,
                    "input_grad": encode.array(saliency), "saliency": encode.array(np.abs(saliency).max(axis=-1)),
                    "layers": layers}
        return self._run(run)

    def filters(self) -> dict:
        """Every Conv2D's kernel (kh, kw, C, F), at most MAX_MAPS filters."""
        def run():
            return {"layers": [{**layer_info(layer), "kernel": encode.array(layer.params["kernel"][:, :, :, :MAX_MAPS])}
                               for layer in self.model.layers if isinstance(layer, L.Conv2D)]}
        return self._run(run)
