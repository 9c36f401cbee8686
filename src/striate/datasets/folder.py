"""Images in an ImageFolder tree, one sub-folder per class, read with Pillow.

    PATH/cat/0001.png                     PATH/train/cat/0001.png
    PATH/cat/0002.jpg           or        PATH/train/dog/...
    PATH/dog/0001.bmp                     PATH/test/cat/...

With train/ and test/ sub-folders those are the two splits; otherwise a seeded,
stratified `test_fraction` of the images becomes the test split. Class names are the
sorted sub-folder names, label i the i-th of them. PNG, JPEG and BMP files are read;
hidden files and other files are skipped. Pillow is an optional dependency:
``pip install Pillow``.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from .. import limits
from ..errors import FormatError
from .splits import split_indices

EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp")
MODES = {"rgb": "RGB", "grayscale": "L"}


def _pillow():
    try:
        from PIL import Image
    except ImportError:
        raise ValueError("folder: data sets need Pillow to read images, and it is not installed; "
                         "install it with: pip install Pillow (in a clone of striate: pip install -e '.[images]')") from None
    return Image


def parse_size(image_size) -> tuple[int, int] | None:
    """None, an int (square) or (height, width) → (height, width); ValueError otherwise."""
    if image_size is None:
        return None
    size = (image_size, image_size) if isinstance(image_size, (int, np.integer)) else tuple(image_size)
    if len(size) != 2 or not all(isinstance(s, (int, np.integer)) and s > 0 for s in size):
        raise ValueError(f"folder: image_size must be a positive int or (height, width), got {image_size!r}")
    return int(size[0]), int(size[1])


def list_images(root: Path, classes=None) -> tuple[list[Path], np.ndarray, list[str]]:
    """(files, labels (N,) int64, class names) of an ImageFolder tree, in a sorted, fixed order.

    Args:
        classes: the class names to use (those of the training folder for a test folder);
            a sub-folder not among them is an error.
    """
    subdirs = sorted(d.name for d in root.iterdir() if d.is_dir() and not d.name.startswith("."))
    if classes is None:
        classes = subdirs
    unknown = sorted(set(subdirs) - set(classes))
    if unknown:
        raise ValueError(f"folder: {root} has class folders {unknown} that the training folder lacks")
    files, labels = [], []
    for label, name in enumerate(classes):
        folder = root / name
        if not folder.is_dir():
            continue
        found = sorted(p for p in folder.iterdir()
                       if p.is_file() and not p.name.startswith(".") and p.suffix.lower() in EXTENSIONS)
        files += found
        labels += [label] * len(found)
    if not files:
        raise ValueError(f"folder: no {'/'.join(e[1:] for e in EXTENSIONS)} images in class sub-folders of {root}; "
                         f"expected {root}/<class name>/<image file>")
    return files, np.asarray(labels, np.int64), list(classes)


def check_pixels(img, path) -> None:
    """FormatError unless the size the image's header states is within striate.limits.MAX_IMAGE_PIXELS."""
    width, height = img.size
    if width * height > limits.MAX_IMAGE_PIXELS:
        raise FormatError(f"{path}: the image states {width}×{height} = {width * height:,} pixels, over the limit "
                          f"of {limits.MAX_IMAGE_PIXELS:,} (striate.limits.MAX_IMAGE_PIXELS; raise it, or set "
                          f"STRIATE_MAX_IMAGE_PIXELS, if you trust the file)")


@contextmanager
def _striates_pixel_limit(Image):
    """Pillow's own bomb check (a warning past 89 M pixels, an error past twice that) off: check_pixels decides.

    Pillow looks its limit up in Image.open; with it on, an image over striate's limit
    would leak a warning or raise Pillow's error first, and one allowed by a raised
    striate limit would still be refused.
    """
    saved, Image.MAX_IMAGE_PIXELS = Image.MAX_IMAGE_PIXELS, None
    try:
        yield
    finally:
        Image.MAX_IMAGE_PIXELS = saved


def open_image(fp, path):
    """Image.open(fp) (a path or a binary file), its stated size checked before anything is decoded.

    Raises FormatError naming `path` when the size is over striate.limits.MAX_IMAGE_PIXELS;
    Pillow's own errors (UnidentifiedImageError, ...) pass through.
    """
    Image = _pillow()
    with _striates_pixel_limit(Image):
        img = Image.open(fp)  # reads the header only: the size is known before decoding
    try:
        check_pixels(img, path)
    except FormatError:
        img.close()
        raise
    return img


def read_images(files, image_size=None, color_mode: str = "rgb") -> np.ndarray:
    """Images (N, H, W, C) uint8, converted to RGB (C = 3) or grayscale (C = 1).

    image_size (height, width) resizes every image (bilinear); without it all images must
    already have the same size.
    """
    Image = _pillow()
    size = parse_size(image_size)
    mode = MODES[color_mode]
    out = None
    for i, path in enumerate(files):
        try:
            with open_image(path, path) as img:
                img = img.convert(mode)
                if size is not None and img.size != (size[1], size[0]):
                    img = img.resize((size[1], size[0]), Image.Resampling.BILINEAR)
                a = np.asarray(img, np.uint8)
        except FormatError:
            raise
        except Exception as e:  # noqa: BLE001 - Pillow's decoders raise OSError, SyntaxError, ValueError,
            # struct.error, DecompressionBombError, ...: whatever a broken file makes them raise is its fault
            raise FormatError(f"{path}: not a readable image ({type(e).__name__}: {e})") from None
        a = a.reshape(a.shape[0], a.shape[1], -1)
        if out is None:
            out = np.empty((len(files), *a.shape), np.uint8)
        elif a.shape != out.shape[1:]:
            raise ValueError(f"folder: {path} is {a.shape[1]}×{a.shape[0]} but {files[0]} is "
                             f"{out.shape[2]}×{out.shape[1]}; pass image_size=(height, width) "
                             f"(striate train --image-size) to resize them all")
        out[i] = a
    return out


def load_image_folder(path, image_size=None, color_mode: str = "rgb", test_fraction: float = 0.2, seed=0):
    """((x_train, y_train), (x_test, y_test)), class names, from an ImageFolder tree.

    x: (N, H, W, C) uint8, C = 3 for "rgb" and 1 for "grayscale"; y: (N,) int64.
    """
    root = Path(os.fspath(path)).expanduser()
    if not root.is_dir():
        raise FileNotFoundError(f"folder: {root} is not a folder of class sub-folders")
    if color_mode not in MODES:
        raise ValueError(f"folder: color_mode must be one of {', '.join(MODES)}, got {color_mode!r}")
    parse_size(image_size)
    _pillow()
    if (root / "train").is_dir() and (root / "test").is_dir():
        files, y, classes = list_images(root / "train")
        test_files, y_test, _ = list_images(root / "test", classes)
        x, x_test = (read_images(f, image_size, color_mode) for f in (files, test_files))
        if x.shape[1:] != x_test.shape[1:]:
            raise ValueError(f"folder: train images are {x.shape[1:]} but test images {x_test.shape[1:]}; "
                             f"pass image_size=(height, width)")
        return ((x, y), (x_test, y_test)), classes
    files, y, classes = list_images(root)
    x = read_images(files, image_size, color_mode)
    train, test = split_indices(len(x), test_fraction, seed, labels=y)
    return ((x[train], y[train]), (x[test], y[test])), classes
