"""Image augmentation as plain per-batch transforms (no layers): vectorised, seeded.

Every transform takes a batch x (N, H, W, C) and a numpy Generator and returns a new batch
of the same shape and dtype; each sample draws its own random parameters, and no Python
loop runs over samples or pixels. `Augment` chains transforms with one seeded Generator,
so the same seed and the same batches give the same results.

    aug = Augment([RandomCrop(4), RandomFlip(), Normalize.fit(x_train)], seed=0)
    xb = aug(x_batch)

Geometric transforms fill uncovered pixels with `fill` (0, the background of the digit and
clothing images); the values of the output stay within those of the input and the fill.
"""

from __future__ import annotations

import numpy as np

from .normalize import Normalize


def _check_batch(x, where: str) -> np.ndarray:
    x = np.asarray(x)
    if x.ndim != 4:
        raise ValueError(f"{where}: expected a batch of images (N, H, W, C), got shape {x.shape}")
    return x


def _gather(x_padded, oy, ox, h: int, w: int) -> np.ndarray:
    """Per-sample h×w windows at offsets (oy[n], ox[n]) of x_padded (N, H', W', C), by one fancy index."""
    n = np.arange(len(x_padded))[:, None, None]
    rows = oy[:, None, None] + np.arange(h)[None, :, None]  # (N, h, 1)
    cols = ox[:, None, None] + np.arange(w)[None, None, :]  # (N, 1, w)
    return x_padded[n, rows, cols]  # (N, h, w, C)


def random_crop(x, rng, padding: int = 4, fill=0) -> np.ndarray:
    """Pad each side by `padding` pixels of `fill`, then cut an H×W window at a random offset.

    The offset is uniform in 0..2·padding along each axis, so the image moves by up to
    `padding` pixels in any direction.
    """
    x = _check_batch(x, "random_crop")
    if not isinstance(padding, (int, np.integer)) or padding < 0:
        raise ValueError(f"random_crop: padding must be a non-negative int, got {padding!r}")
    if padding == 0:
        return x.copy()
    n, h, w, _ = x.shape
    p = int(padding)
    padded = np.pad(x, ((0, 0), (p, p), (p, p), (0, 0)), constant_values=fill)
    oy = rng.integers(0, 2 * p + 1, n)
    ox = rng.integers(0, 2 * p + 1, n)
    return _gather(padded, oy, ox, h, w)


def random_shift(x, rng, max_shift: int = 2, fill=0) -> np.ndarray:
    """Move each image by a random whole number of pixels, up to max_shift along each axis.

    Same as random_crop(x, rng, padding=max_shift): a shift is a crop of the padded image.
    """
    return random_crop(x, rng, padding=max_shift, fill=fill)


def random_flip(x, rng, p: float = 0.5) -> np.ndarray:
    """Mirror each image left–right with probability p."""
    x = _check_batch(x, "random_flip")
    if not 0 <= p <= 1:
        raise ValueError(f"random_flip: p must lie in [0, 1], got {p!r}")
    flip = rng.random(len(x)) < p
    return np.where(flip[:, None, None, None], x[:, :, ::-1], x)


def rotate(x, degrees, fill=0) -> np.ndarray:
    """Rotate each image x[n] by degrees[n] about its centre, bilinear, counter-clockwise as
    displayed (rows downwards): 90° gives np.rot90(x[n]).

    Each output pixel samples the input at the point that the inverse rotation maps it to;
    points outside the image read `fill`. Integer dtypes are rounded back.
    """
    x = _check_batch(x, "rotate")
    n, h, w, _ = x.shape
    theta = np.deg2rad(np.asarray(degrees, np.float64).reshape(n, 1, 1))
    cy, cx = (h - 1) / 2, (w - 1) / 2
    i = np.arange(h, dtype=np.float64)[None, :, None] - cy
    j = np.arange(w, dtype=np.float64)[None, None, :] - cx
    cos, sin = np.cos(theta), np.sin(theta)
    ys = cy + cos * i + sin * j  # (N, H, W): where each output pixel comes from
    xs = cx - sin * i + cos * j
    y0, x0 = np.floor(ys).astype(np.intp), np.floor(xs).astype(np.intp)
    wy, wx = (ys - y0)[..., None], (xs - x0)[..., None]
    batch = np.arange(n)[:, None, None]
    out = np.zeros(x.shape, np.float64)
    for dy, dx in ((0, 0), (0, 1), (1, 0), (1, 1)):
        yi, xi = y0 + dy, x0 + dx
        inside = ((yi >= 0) & (yi < h) & (xi >= 0) & (xi < w))[..., None]
        v = np.where(inside, x[batch, yi.clip(0, h - 1), xi.clip(0, w - 1)], fill)
        out += (wy if dy else 1 - wy) * (wx if dx else 1 - wx) * v
    if np.issubdtype(x.dtype, np.integer):
        info = np.iinfo(x.dtype)
        out = np.clip(np.rint(out), info.min, info.max)
    return out.astype(x.dtype)


def random_rotation(x, rng, max_degrees: float = 10.0, fill=0) -> np.ndarray:
    """Rotate each image by an angle drawn uniformly from [−max_degrees, max_degrees]."""
    x = _check_batch(x, "random_rotation")
    if not 0 <= max_degrees <= 180:
        raise ValueError(f"random_rotation: max_degrees must lie in [0, 180], got {max_degrees!r}")
    return rotate(x, rng.uniform(-max_degrees, max_degrees, len(x)), fill)


class RandomCrop:
    """random_crop as a transform: Augment calls it with its Generator."""

    def __init__(self, padding: int = 4, fill=0):
        if not isinstance(padding, (int, np.integer)) or padding < 0:
            raise ValueError(f"RandomCrop: padding must be a non-negative int, got {padding!r}")
        self.padding, self.fill = int(padding), fill

    def __call__(self, x, rng):
        return random_crop(x, rng, self.padding, self.fill)

    def __repr__(self):
        return f"RandomCrop({self.padding})"


class RandomShift(RandomCrop):
    """random_shift as a transform: moves by up to max_shift pixels along each axis."""

    def __init__(self, max_shift: int = 2, fill=0):
        super().__init__(max_shift, fill)

    def __repr__(self):
        return f"RandomShift({self.padding})"


class RandomFlip:
    """random_flip (left–right) as a transform. Leave it out for digits: a mirrored 2 is no 2."""

    def __init__(self, p: float = 0.5):
        if not 0 <= p <= 1:
            raise ValueError(f"RandomFlip: p must lie in [0, 1], got {p!r}")
        self.p = p

    def __call__(self, x, rng):
        return random_flip(x, rng, self.p)

    def __repr__(self):
        return "RandomFlip()" if self.p == 0.5 else f"RandomFlip(p={self.p})"


class RandomRotation:
    """random_rotation as a transform: small angles, up to ±max_degrees."""

    def __init__(self, max_degrees: float = 10.0, fill=0):
        if not 0 <= max_degrees <= 180:
            raise ValueError(f"RandomRotation: max_degrees must lie in [0, 180], got {max_degrees!r}")
        self.max_degrees, self.fill = max_degrees, fill

    def __call__(self, x, rng):
        return random_rotation(x, rng, self.max_degrees, self.fill)

    def __repr__(self):
        return f"RandomRotation({self.max_degrees})"


class Augment:
    """Apply transforms in order to each batch, with one Generator seeded once.

    Args:
        transforms: callables t(x, rng) → x, e.g. RandomCrop(4), RandomFlip(), Normalize.
        seed: seeds the Generator; two Augments with the same seed, fed the same batches,
            return identical results.
    """

    def __init__(self, transforms, seed=None):
        transforms = list(transforms)
        for t in transforms:
            if not callable(t):
                raise ValueError(f"Augment: every transform must be callable t(x, rng), got {t!r}")
        self.transforms = transforms
        self.rng = np.random.default_rng(seed)

    def __call__(self, x):
        x = _check_batch(x, "Augment")
        for t in self.transforms:
            x = t(x, self.rng)
        return x

    def __repr__(self):
        return f"Augment([{', '.join(map(repr, self.transforms))}])"


DIGITS = ("mnist",)


def standard(name: str, x_train=None, seed=None) -> Augment:
    """The usual augmentation for a data set, normalised with x_train's channel statistics.

    mnist: shifts of up to 2 pixels and rotations of up to 10°, no flips (digits have a
    handedness). fashion-mnist: shifts and flips. cifar10 and image folders: random crop
    with 4 pixels of padding and flips. Without x_train there is no normalisation.
    """
    if name in DIGITS:
        transforms = [RandomShift(2), RandomRotation(10)]
    elif name == "fashion-mnist":
        transforms = [RandomShift(2), RandomFlip()]
    else:
        transforms = [RandomCrop(4), RandomFlip()]
    if x_train is not None:
        transforms.append(Normalize.fit(x_train))
    return Augment(transforms, seed)
