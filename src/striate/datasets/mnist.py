"""MNIST and Fashion-MNIST from a folder of the four IDX files (raw or .gz)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ..errors import FormatError
from .catalog import FASHION_MNIST, MNIST
from .convert import scale_images
from .idx import read_idx

FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}

CLASS_NAMES = {spec.name: list(spec.class_names) for spec in (MNIST, FASHION_MNIST)}


def find_file(folder: Path, stem: str) -> Path:
    """The file `stem` or `stem.gz` in folder; FileNotFoundError naming both otherwise."""
    for name in (stem, stem + ".gz"):
        if (folder / name).is_file():
            return folder / name
    raise FileNotFoundError(f"{folder}: neither {stem} nor {stem}.gz found")


def missing(folder) -> list[str]:
    """What a folder lacks to be a complete copy: "<stem>[.gz]" per absent file, [] when complete."""
    folder = Path(os.fspath(folder))
    return [f"{stem}[.gz]" for pair in FILES.values() for stem in pair
            if not ((folder / stem).is_file() or (folder / (stem + ".gz")).is_file())]


def check_pair(images: np.ndarray, labels: np.ndarray, img_path, lbl_path, classes: int = 10) -> None:
    """FormatError unless images are uint8 (N, H, W), labels (N,) in 0..classes-1, same N."""
    if images.ndim != 3 or images.dtype != np.uint8:
        raise FormatError(f"{img_path}: expected uint8 images of shape (N, H, W), got {images.dtype} {images.shape}")
    if labels.ndim != 1:
        raise FormatError(f"{lbl_path}: expected labels of shape (N,), got {labels.shape}")
    if len(images) != len(labels):
        raise FormatError(f"{img_path}, {lbl_path}: {len(images)} images but {len(labels)} labels")
    check_labels(labels, lbl_path, classes)


def check_labels(labels: np.ndarray, path, classes: int) -> None:
    """FormatError naming the file unless every label is a whole number in 0..classes-1.

    IDX allows float labels; NaN, inf or 3.7 would otherwise become −9.2e18 or 3 when
    cast to int64. The first bad label is reported with its index.
    """
    if not labels.size:
        return
    bad = ~np.isin(labels, np.arange(classes)) if np.issubdtype(labels.dtype, np.floating) else \
        (labels < 0) | (labels >= classes)
    if bad.any():
        i = int(np.argmax(bad))
        value = labels.flat[i]
        value = str(value) if np.issubdtype(labels.dtype, np.floating) else int(value)  # float32 3.7 as "3.7"
        raise FormatError(f"{path}: labels must lie in 0–{classes - 1}, found {value} at index {i} "
                          "(labels are whole numbers)")


def load_split(folder, split: str):
    """(images (N, 28, 28, 1) uint8, labels (N,) int64) of the "train" or "test" split."""
    folder = Path(os.fspath(folder))
    img_path, lbl_path = (find_file(folder, stem) for stem in FILES[split])
    images, labels = read_idx(img_path), read_idx(lbl_path)
    check_pair(images, labels, img_path, lbl_path)
    return images[..., None], labels.astype(np.int64)


def load_folder(folder, dtype="float32"):
    """((x_train, y_train), (x_test, y_test)) from a folder of the four IDX files.

    x: (N, H, W, 1), float in [0, 1] (float32, float64) or uint8 as stored; y: (N,) int64.
    """
    out = []
    for split in ("train", "test"):
        x, y = load_split(folder, split)
        out.append((scale_images(x, dtype, "load_folder"), y))
    return tuple(out)
