"""uint8 images as the dtype a user asks for: uint8 as they are, floats scaled to [0, 1]."""

from __future__ import annotations

import numpy as np

DTYPES = ("float32", "float64", "uint8")


def check_dtype(dtype, where: str = "load") -> np.dtype:
    """np.dtype of float32, float64 or uint8; ValueError naming `where` otherwise."""
    try:
        dt = np.dtype(dtype)
    except TypeError:
        dt = None
    if dt is None or dt.name not in DTYPES:
        raise ValueError(f"{where}: dtype must be one of {', '.join(DTYPES)}, got {dtype!r}")
    return dt


def scale_images(x: np.ndarray, dtype, where: str = "load") -> np.ndarray:
    """uint8 images (N, H, W, C) → the same array (uint8) or a float copy divided by 255.

    Only one float copy is made: the division happens in place.
    """
    dt = check_dtype(dtype, where)
    if dt == np.uint8:
        return x
    out = x.astype(dt)
    out /= 255
    return out
