"""Images named on the command line, read with Pillow and made into what a model takes.

How an image becomes a model's input (`for_model`) is striate.datasets.picture's (the page
of `striate serve` converts uploads the same way); each step is said in a note on stderr.
"""

from __future__ import annotations

import io
import math
import sys
from pathlib import Path

import numpy as np

from .. import limits
from ..datasets import picture
from ..datasets.folder import open_image
from ..errors import FormatError
from ..viz.backend import pillow
from .common import dims


def _open(source: str):
    """The image at `source` ("-": standard input), decoded once its stated size is within MAX_IMAGE_PIXELS."""
    Image = pillow()
    if source == "-":
        name, data = "standard input", sys.stdin.buffer.read()
        if not data:
            raise ValueError("standard input is empty: expected a PNG or JPEG image")
        fp = io.BytesIO(data)
    else:
        name = fp = source
        if not Path(source).exists():
            raise FileNotFoundError(f"{source}: no such image file")
    try:
        img = open_image(fp, name)
        img.load()
    except FormatError:
        raise
    except Image.UnidentifiedImageError as e:
        if source == "-":  # Pillow's message would name a BytesIO object
            raise ValueError("standard input is not a PNG or JPEG image") from None
        raise ValueError(f"{name}: not a readable PNG/JPEG image ({e})") from None
    except Exception as e:  # noqa: BLE001 - Pillow's decoders raise OSError, SyntaxError, ValueError,
        # struct.error, ...: whatever a broken file makes them raise is its fault (as in datasets/folder.py)
        raise ValueError(f"{name}: not a readable PNG/JPEG image ({type(e).__name__}: {e})") from None
    return img


def read(source: str, channels: int | None = None, notes: list | None = None):
    """The image at path `source` ("-": standard input) as float32 (H, W, C) in [0, 1], and a PIL image.

    channels: 1 converts to grayscale, 3 to RGB, None keeps grayscale images grey and
    makes everything else RGB. notes: a list to which what was done is appended.
    """
    notes = [] if notes is None else notes
    img = _open(source)
    return picture.convert(img, channels, "standard input" if source == "-" else source, notes)


def for_model(source: str, input_shape, resize: bool = True, invert: bool = False,
              notes: list | None = None) -> np.ndarray:
    """An image file as one input of a model: converted to its channels, fitted to its size.

    With resize=False an image of another size is refused with a ValueError. What was done
    to the image is appended to `notes` (e.g. "cropped to its central 480×480").
    """
    notes = [] if notes is None else notes
    if len(input_shape) != 3:
        raise ValueError(f"the model takes inputs of shape {dims(input_shape)}, not images")
    h, w, c = input_shape
    a, img = read(source, c, notes)
    if (h is not None and a.shape[0] != h) or (w is not None and a.shape[1] != w):
        if not resize:
            raise ValueError(f"{source}: the image is {a.shape[0]}×{a.shape[1]} pixels but the model takes "
                             f"{h}×{w}; resize it, or leave out --no-resize")
        a = picture.as_array(picture.fit_size(img, h, w, notes), c)
    return 1 - a if invert else a


def check_fits(model, x: np.ndarray, source: str) -> None:
    """ValueError unless a model that takes any image size can run on image x (H, W, C) at its size.

    Each layer's output and each convolution's patch matrix at this size must stay within
    striate.limits.MAX_ACTIVATION values; the image is not shrunk to fit (that would change
    what the model sees): the message says to what size to resize it.
    """
    if None not in model.input_shape[:2]:
        return  # fixed-size models: their sizes were checked when the file was read
    h, w = x.shape[:2]
    name = "standard input" if source == "-" else source
    try:
        limits.check_input(model, x.shape, f"{name} at {w}×{h} pixels")
    except limits.LimitError as e:
        raise ValueError(f"{e.what} is {e.value:,}, over the limit of {limits.MAX_ACTIVATION:,} "
                         f"(striate.limits.MAX_ACTIVATION): resize the image to {_fitting_size(model, x.shape)} "
                         f"pixels or less, or raise the limit with STRIATE_MAX_ACTIVATION") from None


def _fitting_size(model, shape) -> str:
    """"W×H": the image's shape scaled down until the model fits MAX_ACTIVATION (sizes grow with the pixels)."""
    h, w, c = shape
    scale = 1.0
    for _ in range(100):
        try:
            limits.check_input(model, (max(1, int(h * scale)), max(1, int(w * scale)), c), "")
            return f"{max(1, int(w * scale))}×{max(1, int(h * scale))}"
        except limits.LimitError as e:
            scale *= min(0.99, math.sqrt(limits.MAX_ACTIVATION / e.value))
        except ValueError:  # too small for the model's kernels
            break
    return "a smaller size"


def light_background(image: np.ndarray) -> bool:
    """True when the border of an image in [0, 1] is mostly light (dark strokes on white paper)."""
    border = np.concatenate([image[0].ravel(), image[-1].ravel(), image[:, 0].ravel(), image[:, -1].ravel()])
    return float(border.mean()) > 0.5


def say_notes(source: str, notes: list) -> None:
    """What was done to an image, one line on stderr (nothing when it went in as it was)."""
    if notes:
        print(f"note: {'stdin' if source == '-' else source}: {'; '.join(notes)}", file=sys.stderr)
