"""Test images of the model's data set, when a copy is found on this machine (never downloaded).

The data set is the one named (`striate serve --dataset`), else the built-in one whose
class names the model file carries (`striate train` saves them). Images are read once, on
first use; `reason` says why there are none (no copy found, another image shape, ...).
"""

from __future__ import annotations

import threading

import numpy as np

from .. import datasets
from ..datasets import catalog

COUNT = 200  # the first test images offered


def guess(model) -> str | None:
    """The built-in data set whose class names are the model's, or None."""
    names = tuple(getattr(model, "class_names", None) or ())
    return next((name for name, spec in catalog.SPECS.items() if names and tuple(spec.class_names) == names), None)


class Samples:
    """The first COUNT test images (N, H, W, C) and labels of a data set, loaded on first use."""

    def __init__(self, model, dataset: str | None = None, data_dir=None, count: int = COUNT):
        self.input_shape = tuple(model.input_shape)
        self.dataset = dataset or guess(model)
        self.data_dir, self.count = data_dir, count
        self.images = self.labels = None
        self.class_names: list[str] = []
        self.reason = None if self.dataset else ("the model file does not say which data set it was trained on; "
                                                 "give --dataset")
        self._loaded = self.dataset is None
        self._lock = threading.Lock()

    def load(self) -> bool:
        """Whether images are available (reading them the first time)."""
        with self._lock:
            if not self._loaded:
                self._loaded = True
                self._read()
            return self.images is not None

    def _read(self) -> None:
        try:
            data = datasets.load(self.dataset, self.data_dir, download=False, progress=False)
        except (OSError, ValueError) as e:  # DataNotFoundError is an OSError
            self.reason = f"no local copy of {self.dataset} was found ({str(e).splitlines()[0][:300]})"
            return
        x, y = data[1]
        if tuple(x.shape[1:]) != self.input_shape:
            self.reason = (f"{self.dataset} images are {'×'.join(map(str, x.shape[1:]))}, the model takes "
                           f"{'×'.join(map(str, self.input_shape))}")
            return
        self.images, self.labels = np.asarray(x[: self.count], np.float32), np.asarray(y[: self.count])
        self.class_names = [str(n) for n in data.class_names]

    def describe(self) -> dict:
        available = self.load()
        return {"dataset": self.dataset, "available": available, "count": len(self.images) if available else 0,
                "reason": None if available else self.reason}
