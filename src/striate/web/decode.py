"""Image bytes from a request → one input of the model, and what was done to get there.

Nothing touches the file system: the bytes are decoded in memory. Checked in this order,
each with a clear ValueError:
- the first bytes are those of a PNG (89 50 4E 47 0D 0A 1A 0A) or a JPEG (FF D8 FF);
- the size the header states is within `max_pixels` (MAX_PIXELS, 16 M: a phone's photo
  fits) and striate.limits.MAX_IMAGE_PIXELS, before a pixel is decoded, so a small file
  that states a huge image (a decompression bomb) costs nothing;
- the image decodes whole (a truncated file is named as such).
Then it becomes the model's input exactly as `striate predict` makes a file into one
(striate.datasets.picture: transparency, channels, crop and resize, each said in a note),
so the page shows the numbers predict would give. The page serves a model of one fixed size
(a model for any size is shown at one, see striate.cli.common.at_fixed_size).
"""

from __future__ import annotations

import hashlib
import io
import threading
from collections import OrderedDict

import numpy as np

from ..arithmetic import dims
from ..datasets import picture
from ..datasets.folder import open_image
from ..errors import FormatError

MAGIC = {"PNG": b"\x89PNG\r\n\x1a\n", "JPEG": b"\xff\xd8\xff"}
MAX_PIXELS = 1 << 24  # pixels of an uploaded image (4096×4096); decoding one takes about 16 bytes a pixel


def kind(data: bytes) -> str | None:
    """"PNG" or "JPEG" from the first bytes, or None."""
    return next((name for name, magic in MAGIC.items() if data.startswith(magic)), None)


def decode(data: bytes, input_shape, max_pixels: int = MAX_PIXELS) -> tuple[np.ndarray, list[str]]:
    """(x, notes): x float32 (H, W, C) in [0, 1] for a model taking input_shape (H, W, C).

    Raises ValueError saying what is wrong with the bytes, or why the image cannot fit.
    """
    if len(input_shape) != 3 or input_shape[-1] not in (1, 3):
        raise ValueError(f"the model takes inputs of shape {dims(input_shape)}; only images with 1 or 3 "
                         "channels can be given to it")
    if not data:
        raise ValueError("the request body is empty: expected the bytes of a PNG or JPEG image")
    if kind(data) is None:
        raise ValueError(f"the request body is not a PNG or JPEG image (it starts with {data[:8]!r})")
    try:
        img = open_image(io.BytesIO(data), "the image")  # the header only: striate's pixel limit checked
        width, height = img.size
        if width * height > max_pixels:
            raise FormatError(f"the image states {width}×{height} = {width * height:,} pixels, over the page's "
                              f"limit of {max_pixels:,}: send a smaller image")
        img.load()
    except FormatError as e:
        raise ValueError(str(e)) from None
    except Exception as e:  # noqa: BLE001 - Pillow's decoders raise OSError, SyntaxError, ...
        truncated = "truncated" in str(e).lower() or isinstance(e, (OSError, SyntaxError))
        what = "truncated or damaged" if truncated else "not readable"
        raise ValueError(f"the {kind(data)} image is {what} ({type(e).__name__}: {e})") from None
    notes: list[str] = []
    h, w, c = input_shape
    a, img = picture.convert(img, c, "the image", notes)
    if a.shape[:2] != (h, w):
        a = picture.as_array(picture.fit_size(img, h, w, notes), c)
    return a, notes


class Decoder:
    """decode() for one model, one image at a time, remembering the last `keep` images decoded.

    The page sends the same image again with every pixel it asks about (POST /api/pixel):
    a phone's photo takes a second or more to decode and resize, its remembered input
    (the model's size: small) a copy. Keyed by the SHA-256 of the bytes.
    """

    def __init__(self, input_shape, max_pixels: int = MAX_PIXELS, keep: int = 8):
        self.input_shape, self.max_pixels, self.keep = tuple(input_shape), max_pixels, keep
        self._lock = threading.Lock()  # one decode at a time: its memory, not the number of requests, counts
        self._kept: OrderedDict[bytes, tuple[np.ndarray, list[str]]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._kept)

    def __call__(self, data: bytes) -> tuple[np.ndarray, list[str]]:
        """(x, notes) as decode(data, input_shape, max_pixels) gives them (x a new array each time)."""
        key = hashlib.sha256(data).digest()
        with self._lock:
            if key in self._kept:
                self._kept.move_to_end(key)
            else:
                self._kept[key] = decode(data, self.input_shape, self.max_pixels)
                while len(self._kept) > self.keep:
                    self._kept.popitem(last=False)
            x, notes = self._kept[key]
            return x.copy(), list(notes)


