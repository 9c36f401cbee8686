"""matplotlib and Pillow, both optional: imported on first use, with a clear error if missing.

Figures are made with matplotlib's object-oriented API (matplotlib.figure.Figure) and
written by its Agg renderer: no pyplot, no global state, no display needed. A figure of
w×h inches is saved at DPI dots per inch, so its PNG is exactly (w·DPI)×(h·DPI) pixels.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

DPI = 100
INSTALL = "pip install matplotlib Pillow (in a clone of striate: pip install -e '.[viz]')"


def figure(width: float, height: float):
    """A new matplotlib Figure of width×height inches with constrained layout."""
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise ImportError(f"pictures need matplotlib, which is not installed: {INSTALL}") from None
    return Figure(figsize=(width, height), dpi=DPI, layout="constrained")


def save(fig, path) -> Path:
    """Write a figure as PNG (creating the folder); returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=DPI, format="png")
    return path


def pillow():
    """PIL.Image, or an ImportError saying how to install it."""
    try:
        from PIL import Image
    except ImportError:
        raise ImportError(f"reading and writing images needs Pillow, which is not installed: {INSTALL}") from None
    return Image


def save_image(image, path, scale: int = 1) -> Path:
    """Write an array (H, W), (H, W, 1) or (H, W, 3) of values in [0, 1] as an 8-bit PNG/JPEG.

    scale > 1 enlarges it by whole pixels (nearest neighbour), so small images stay sharp.
    """
    Image = pillow()
    a = np.asarray(image, np.float64)
    if a.ndim == 3 and a.shape[2] == 1:
        a = a[:, :, 0]
    if a.ndim not in (2, 3) or (a.ndim == 3 and a.shape[2] != 3):
        raise ValueError(f"save_image: expected (H, W), (H, W, 1) or (H, W, 3), got shape {a.shape}")
    img = Image.fromarray(np.round(np.clip(a, 0, 1) * 255).astype(np.uint8))
    if scale > 1:
        img = img.resize((img.width * scale, img.height * scale), Image.Resampling.NEAREST)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    img.save(path)
    return path


def grid_shape(n: int, max_cols: int = 8) -> tuple[int, int]:
    """(rows, cols) of a near-square grid holding n panels."""
    cols = min(max_cols, max(1, int(np.ceil(np.sqrt(n)))))
    return int(np.ceil(n / cols)), cols


def show(ax, image, **kw):
    """imshow without ticks; a single-channel image in grey unless a cmap is given."""
    image = np.asarray(image)
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[:, :, 0]
    if image.ndim == 2:
        kw.setdefault("cmap", "gray")
    ax.imshow(image, interpolation="nearest", **kw)
    ax.set_xticks([])
    ax.set_yticks([])
    return ax
