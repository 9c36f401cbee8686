"""Classic hand-made kernels — edge detectors, sharpen, blur — applied to a whole image.

Before networks learned their kernels, image processing designed them by hand; a CNN's
first layer often learns kernels much like these. `apply` runs one over every channel
of an image with striate's own convolution:

    edges = apply(image, KERNELS["sobel-x"])              # cross-correlation, as CNNs do
    edges = apply(image, KERNELS["sobel-x"], flip=True)   # true convolution: kernel rotated 180°

The two differ only for kernels that are not symmetric under a half turn: Sobel-x
flipped is −Sobel-x, so its light-to-dark edges come out with the opposite sign.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .functional import conv as reference_conv
from .functional import fast
from .functional.switch import reference_path
from .functional.shapes import resolve_padding

KERNELS = {
    "sobel-x": np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]]),  # vertical edges: dark → light going right
    "sobel-y": np.array([[-1, -2, -1], [0, 0, 0], [1, 2, 1]]),  # horizontal edges: dark → light going down
    "laplace": np.array([[0, 1, 0], [1, -4, 1], [0, 1, 0]]),  # second derivative: edges in every direction
    "edge": np.array([[-1, -1, -1], [-1, 8, -1], [-1, -1, -1]]),  # a pixel against its 8 neighbours
    "sharpen": np.array([[0, -1, 0], [-1, 5, -1], [0, -1, 0]]),  # the image plus its edges
    "blur": np.full((3, 3), 1 / 9),  # the mean of each 3×3 neighbourhood
    "gaussian": np.outer([1, 4, 6, 4, 1], [1, 4, 6, 4, 1]) / 256,  # a smoother, weighted blur
    "identity": np.array([[0, 0, 0], [0, 1, 0], [0, 0, 0]]),
}


def read_kernel(path) -> np.ndarray:
    """A kernel from a text file: one row per line, numbers split by spaces or commas, # comments."""
    path = Path(path)
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise FileNotFoundError(f"{path}: no such kernel file (or use one of: {', '.join(KERNELS)})") from None
    rows = [line.split("#", 1)[0].replace(",", " ").split() for line in text.splitlines()]
    rows = [r for r in rows if r]
    try:
        values = [[float(v) for v in r] for r in rows]
    except ValueError:
        raise ValueError(f"{path}: a kernel file holds numbers, one row per line") from None
    if not values or len({len(r) for r in values}) != 1:
        raise ValueError(f"{path}: every row of the kernel must have the same number of values")
    return np.array(values)


def get(name_or_path) -> np.ndarray:
    """A named classic kernel, or one read from a file."""
    if str(name_or_path) in KERNELS:
        return KERNELS[str(name_or_path)].astype(np.float64)
    if not Path(name_or_path).exists() and "." not in Path(str(name_or_path)).name:
        raise ValueError(f"unknown kernel {str(name_or_path)!r}; choose from {', '.join(KERNELS)} or give a file")
    return read_kernel(name_or_path)


def apply(image, kernel, flip: bool = False, stride: int = 1, padding=0) -> np.ndarray:
    """Filter each channel of `image` (H, W) or (H, W, C) with a 2-D `kernel`.

    Args:
        flip: rotate the kernel 180° first (true convolution) instead of sliding it as it
            is (cross-correlation).
        stride: step between output pixels.
        padding: zeros added on each side, an int or "same" (output size = input size / stride).
    Returns:
        the raw responses, float32 (Ho, Wo, C) (or (Ho, Wo) for a 2-D image), with
        Ho = (H + 2·padding − kh)/stride + 1.
    """
    image = np.asarray(image, np.float32)
    kernel = np.asarray(kernel, np.float32)
    if kernel.ndim != 2:
        raise ValueError(f"convolve: the kernel must be 2-D, got shape {kernel.shape}")
    flat = image.ndim == 2
    x = image[None, :, :, None] if flat else image[None]
    if x.ndim != 4:
        raise ValueError(f"convolve: expected an image (H, W) or (H, W, C), got shape {image.shape}")
    if flip:
        kernel = kernel[::-1, ::-1]
    c = x.shape[-1]
    if padding == "same":
        pad = resolve_padding("same", x.shape[1:3], kernel.shape, (stride, stride), (1, 1), "convolve")
    else:
        pad = ((padding, padding), (padding, padding))
    kh, kw = kernel.shape
    if kh > x.shape[1] + sum(pad[0]) or kw > x.shape[2] + sum(pad[1]):
        raise ValueError(f"convolve: the {kh}×{kw} kernel is larger than the {x.shape[1]}×{x.shape[2]} image "
                         f"(padding {padding})")
    # one group per channel: each channel filtered on its own with the same kernel
    bank = np.repeat(kernel[:, :, None, None], c, axis=3)  # (kh, kw, 1, C)
    conv2d = reference_conv.conv2d if reference_path() else fast.conv2d
    y, _ = conv2d(np.ascontiguousarray(x), bank, None, (stride, stride), pad, (1, 1), c)
    return y[0, :, :, 0] if flat else y[0]


def to_display(y, mode: str = "auto", kernel=None) -> np.ndarray:
    """Responses mapped to [0, 1] for a picture.

    modes: "clip" (values outside [0, 1] clipped: for blurs and sharpening), "abs" (|y|
    scaled so that all but the strongest 0.5 % fit in [0, 1]: edges of either sign shine),
    "minmax" (stretched to the full range; zero becomes mid-grey when y has both signs),
    "auto" ("abs" for kernels whose weights sum to 0, the edge detectors, else "clip").
    """
    y = np.asarray(y, np.float32)
    if mode == "auto":
        mode = "abs" if kernel is not None and abs(float(np.sum(kernel))) < 1e-6 else "clip"
    if mode == "clip":
        return np.clip(y, 0, 1)
    if mode == "abs":
        # a few very strong edges would leave every other one dim: scale by the 99.5th percentile
        top = float(np.percentile(np.abs(y), 99.5)) or float(np.abs(y).max())
        return np.clip(np.abs(y) / top, 0, 1) if top > 0 else np.zeros_like(y)
    if mode == "minmax":
        lo, hi = float(y.min()), float(y.max())
        if lo < 0 < hi:
            m = max(-lo, hi)
            return (y / m + 1) / 2
        return (y - lo) / (hi - lo) if hi > lo else np.zeros_like(y)
    raise ValueError(f"convolve: display mode must be auto, clip, abs or minmax, got {mode!r}")
