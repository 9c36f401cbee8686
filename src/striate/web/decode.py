"""Image bytes from a request → one input of the model, and what was done to get there.

Nothing touches the file system: the bytes are decoded in memory. Checked in this order,
each with a clear ValueError:
- the first bytes are those of a PNG (89 50 4E 47 0D 0A 1A 0A) or a JPEG (FF D8 FF);
- the size the header states is within striate.limits.MAX_IMAGE_PIXELS (before decoding);
- the image decodes whole (a truncated file is named as such).
Then, each step said in a note: transparency laid on black, colour to grey or grey to
colour as the model's channels ask, another shape cropped around its centre to the
model's aspect ratio and resized (bilinear). The page serves a model of one fixed size
(a model for any size is shown at one, see striate.cli.common.at_fixed_size).
"""

from __future__ import annotations

import io

import numpy as np

from ..datasets.folder import open_image
from ..errors import FormatError
from ..viz.backend import pillow

MAGIC = {"PNG": b"\x89PNG\r\n\x1a\n", "JPEG": b"\xff\xd8\xff"}


def kind(data: bytes) -> str | None:
    """"PNG" or "JPEG" from the first bytes, or None."""
    return next((name for name, magic in MAGIC.items() if data.startswith(magic)), None)


def decode(data: bytes, input_shape) -> tuple[np.ndarray, list[str]]:
    """(x, notes): x float32 (H, W, C) in [0, 1] for a model taking input_shape (H, W, C).

    Raises ValueError saying what is wrong with the bytes, or why the image cannot fit.
    """
    if len(input_shape) != 3 or input_shape[-1] not in (1, 3):
        raise ValueError(f"the model takes inputs of shape {_dims(input_shape)}; only images with 1 or 3 "
                         "channels can be given to it")
    if not data:
        raise ValueError("the request body is empty: expected the bytes of a PNG or JPEG image")
    if kind(data) is None:
        raise ValueError(f"the request body is not a PNG or JPEG image (it starts with {data[:8]!r})")
    Image = pillow()
    try:
        img = open_image(io.BytesIO(data), "the image")
        img.load()
    except FormatError as e:
        raise ValueError(str(e)) from None
    except Exception as e:  # noqa: BLE001 - Pillow's decoders raise OSError, SyntaxError, ...
        truncated = "truncated" in str(e).lower() or isinstance(e, (OSError, SyntaxError))
        what = "truncated or damaged" if truncated else "not readable"
        raise ValueError(f"the {kind(data)} image is {what} ({type(e).__name__}: {e})") from None
    notes: list[str] = []
    img = _channels(img, input_shape[-1], notes, Image)
    img = _size(img, input_shape[0], input_shape[1], notes, Image)
    a = np.asarray(img, np.float32) / 255
    return a.reshape(a.shape[0], a.shape[1], input_shape[-1]), notes


def _channels(img, channels: int, notes: list, Image):
    if img.mode in ("I", "I;16", "I;16B", "I;16L", "F"):
        a = np.asarray(img, np.float64)
        top = 65535.0 if a.max() > 255 else 255.0
        img = Image.fromarray(np.round(np.clip(a / top, 0, 1) * 255).astype(np.uint8), "L")
        notes.append(f"{'16' if top > 255 else '32'}-bit grey scaled to 8 bits")
    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        rgba = np.asarray(img.convert("RGBA"), np.float32) / 255
        if rgba[..., 3].min() < 1:
            notes.append("transparent parts laid on black")
        img = Image.fromarray(np.round(rgba[..., :3] * rgba[..., 3:] * 255).astype(np.uint8), "RGB")
    grey = img.mode in ("L", "1")
    if channels == 1 and not grey:
        rgb = np.asarray(img.convert("RGB"))
        if (rgb.max(axis=2) != rgb.min(axis=2)).any():
            notes.append("colour converted to grey (the model takes 1 channel)")
    if channels == 3 and grey:
        notes.append("grey copied into red, green and blue (the model takes 3 channels)")
    return img.convert("L" if channels == 1 else "RGB")


def _size(img, h, w, notes: list, Image):
    iw, ih = img.size
    if (iw, ih) == (w, h):
        return img
    if abs(iw * h - ih * w) > 0.01 * iw * h:  # another shape: crop, do not squash
        cw, ch = (round(ih * w / h), ih) if iw * h > ih * w else (iw, round(iw * h / w))
        left, top = (iw - cw) // 2, (ih - ch) // 2
        img = img.crop((left, top, left + cw, top + ch))
        notes.append(f"cropped to its central {cw}×{ch}")
        iw, ih = cw, ch
    notes.append(f"resized from {iw}×{ih} to {w}×{h}")
    return img.resize((w, h), Image.Resampling.BILINEAR)


def _dims(shape) -> str:
    return "×".join("?" if d is None else str(d) for d in shape)
