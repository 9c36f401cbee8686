"""Images named on the command line, read with Pillow and made into what a model takes."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import numpy as np

from ..viz.backend import pillow
from .common import dims


def read(source: str, channels: int | None = None):
    """The image at path `source` ("-": standard input) as float32 (H, W, C) in [0, 1].

    channels: 1 converts to grayscale, 3 to RGB, None keeps grayscale images grey and
    makes everything else RGB.
    """
    Image = pillow()
    name = "standard input" if source == "-" else source
    try:
        if source == "-":
            img = Image.open(io.BytesIO(sys.stdin.buffer.read()))
        else:
            if not Path(source).exists():
                raise FileNotFoundError(f"{source}: no such image file")
            img = Image.open(source)
        img.load()
    except (OSError, SyntaxError) as e:
        if isinstance(e, FileNotFoundError):
            raise
        raise ValueError(f"{name}: not a readable PNG/JPEG image ({e})") from None
    if channels is None:
        channels = 1 if img.mode in ("L", "1", "I", "I;16", "F") else 3
    if channels not in (1, 3):
        raise ValueError(f"{name}: models with {channels} input channels cannot take a picture; expected 1 or 3")
    img = img.convert("L" if channels == 1 else "RGB")
    a = np.asarray(img, np.float32) / 255
    return a.reshape(a.shape[0], a.shape[1], channels), img


def for_model(source: str, input_shape, resize: bool = True, invert: bool = False) -> np.ndarray:
    """An image file as one input of a model: converted to its channels, resized to its size.

    With resize=False an image of another size is refused with a ValueError.
    """
    if len(input_shape) != 3:
        raise ValueError(f"the model takes inputs of shape {dims(input_shape)}, not images")
    h, w, c = input_shape
    a, img = read(source, c)
    if (h is not None and a.shape[0] != h) or (w is not None and a.shape[1] != w):
        if not resize:
            raise ValueError(f"{source}: the image is {a.shape[0]}×{a.shape[1]} pixels but the model takes "
                             f"{h}×{w}; resize it, or leave out --no-resize")
        Image = pillow()
        img = img.resize((w or a.shape[1], h or a.shape[0]), Image.Resampling.BILINEAR)
        a = (np.asarray(img, np.float32) / 255).reshape(h or a.shape[0], w or a.shape[1], c)
    return 1 - a if invert else a


def light_background(image: np.ndarray) -> bool:
    """True when the border of an image in [0, 1] is mostly light (dark strokes on white paper)."""
    border = np.concatenate([image[0].ravel(), image[-1].ravel(), image[:, 0].ravel(), image[:, -1].ravel()])
    return float(border.mean()) > 0.5
