"""MNIST and Fashion-MNIST from a folder of the four IDX files (raw or .gz)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ..errors import FormatError
from .idx import read_idx

FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}

CLASS_NAMES = {
    "mnist": [str(i) for i in range(10)],
    "fashion-mnist": ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                      "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"],
}


def find_file(folder: Path, stem: str) -> Path:
    """The file `stem` or `stem.gz` in folder; FileNotFoundError naming both otherwise."""
    for name in (stem, stem + ".gz"):
        if (folder / name).is_file():
            return folder / name
    raise FileNotFoundError(f"{folder}: neither {stem} nor {stem}.gz found")


def load_split(folder, split: str):
    """(images (N, 28, 28, 1) uint8, labels (N,) int64) of the "train" or "test" split."""
    folder = Path(os.fspath(folder))
    img_path, lbl_path = (find_file(folder, stem) for stem in FILES[split])
    images, labels = read_idx(img_path), read_idx(lbl_path)
    if images.ndim != 3 or images.dtype != np.uint8:
        raise FormatError(f"{img_path}: expected uint8 images of shape (N, H, W), got {images.dtype} {images.shape}")
    if labels.ndim != 1:
        raise FormatError(f"{lbl_path}: expected labels of shape (N,), got {labels.shape}")
    if len(images) != len(labels):
        raise FormatError(f"{img_path}, {lbl_path}: {len(images)} images but {len(labels)} labels")
    if labels.size and labels.max() > 9:
        raise FormatError(f"{lbl_path}: labels must lie in 0–9, found {int(labels.max())}")
    return images[..., None], labels.astype(np.int64)


def load_folder(folder, dtype="float32"):
    """((x_train, y_train), (x_test, y_test)); float32 images are scaled to [0, 1]."""
    out = []
    for split in ("train", "test"):
        x, y = load_split(folder, split)
        if np.dtype(dtype) != np.uint8:
            x = x.astype(dtype) / np.asarray(255, dtype)
        out.append((x, y))
    return tuple(out)
