"""One decoded picture (a PIL image) made into what a model takes: one conversion for every way in.

`striate predict` (a file), `striate serve` (the bytes of an upload) and the other commands
that read a picture all go through here, so a model sees the same numbers whichever way the
picture came. Each step is said in a note:

- 16-bit images are scaled from 0–65535 (not clipped at 255);
- a transparent image is laid on the background that shows its drawing: white under dark
  ink, black under light ink (transparent pixels carry no colour of their own);
- colour becomes grey, or grey becomes colour (the grey copied into red, green and blue),
  as the model's channels ask;
- an image of another shape is cropped to the model's aspect ratio around its centre,
  then resized (bilinear), so that a 640×480 photo is not squashed: for 28×28, its central
  480×480.

Values come out as float32 in [0, 1], pixel / 255: the scale the data sets load at and the
models train on (no mean or standard deviation is taken off).
"""

from __future__ import annotations

import numpy as np

SIXTEEN_BIT = ("I;16", "I;16B", "I;16L", "I;16N")
GREY_TO_RGB = "grey image copied into the three colour channels"


def pillow():
    """PIL.Image: installed, since the picture given was opened with it."""
    from PIL import Image

    return Image


def flatten_alpha(img, notes: list):
    """An RGBA/LA/transparent-palette image laid on the background that shows its drawing (RGB)."""
    Image = pillow()
    rgba = np.asarray(img.convert("RGBA"), np.float32) / 255
    alpha = rgba[..., 3:]
    if alpha.min() >= 1:
        return img.convert("RGB")
    ink = alpha[..., 0] > 0.5
    luminance = rgba[..., :3] @ np.array([0.299, 0.587, 0.114], np.float32)
    dark_ink = not ink.any() or float(luminance[ink].mean()) < 0.5
    background = 1.0 if dark_ink else 0.0
    notes.append(f"transparent background shown as {'white' if dark_ink else 'black'} "
                 f"({'dark' if dark_ink else 'light'} drawing)")
    rgb = rgba[..., :3] * alpha + background * (1 - alpha)
    return Image.fromarray(np.round(rgb * 255).astype(np.uint8), "RGB")


def convert(img, channels: int | None, name: str, notes: list):
    """(a, img): the picture as float32 (H, W, C) in [0, 1], and as a PIL image of C channels.

    channels: 1 converts to grayscale, 3 to RGB, None keeps grayscale images grey and makes
    everything else RGB. name: what the picture is called in an error message.
    """
    grey = img.mode in ("L", "1", "I", "F", *SIXTEEN_BIT) or (img.mode == "LA")
    if channels is None:
        channels = 1 if grey else 3
    if channels not in (1, 3):
        raise ValueError(f"{name}: models with {channels} input channels cannot take a picture; expected 1 or 3")
    if img.mode in ("I", "F", *SIXTEEN_BIT):  # 16-bit (or 32-bit) grey: scale, do not clip at 255
        a = np.asarray(img, np.float64)
        top = 65535.0 if img.mode in SIXTEEN_BIT or a.max() > 255 else 255.0
        if img.mode == "F" and a.max() <= 1:
            top = 1.0
        a = np.clip(a / top, 0, 1).astype(np.float32)[..., None]
        if top == 65535.0:
            notes.append("16-bit image scaled from 0–65535")
        img = pillow().fromarray(np.round(a[..., 0] * 255).astype(np.uint8), "L")
        if channels == 3:
            a, img = np.repeat(a, 3, axis=2), img.convert("RGB")
            notes.append(GREY_TO_RGB)
        return a, img
    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        img = flatten_alpha(img, notes)
    if channels == 3 and grey:
        notes.append(GREY_TO_RGB)
    if channels == 1 and not grey:
        rgb = np.asarray(img.convert("RGB"))
        if (rgb.max(axis=2) != rgb.min(axis=2)).any():  # grey pictures stored as RGB need no note
            notes.append("colour converted to grey")
    img = img.convert("L" if channels == 1 else "RGB")
    return as_array(img, channels), img


def as_array(img, channels: int) -> np.ndarray:
    """A PIL image of 1 or 3 channels as float32 (H, W, C) in [0, 1]: pixel / 255."""
    a = np.asarray(img, np.float32) / 255
    return a.reshape(a.shape[0], a.shape[1], channels)


def fit_size(img, h, w, notes: list):
    """img cropped around its centre to the aspect ratio h:w, then resized to w×h (PIL image)."""
    Image = pillow()
    iw, ih = img.size
    h, w = h or ih, w or iw
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
