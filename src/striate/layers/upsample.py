"""UpSampling2D: enlarge feature maps by an integer factor (nearest or bilinear), no parameters."""

from __future__ import annotations

from ..functional import upsample as F
from ..functional.shapes import pair
from .base import Layer

MODES = ("nearest", "bilinear")


class UpSampling2D(Layer):
    """Up-sample by (sh, sw): the fixed counterpart of Conv2DTranspose in a decoder.

    Args:
        size: int or (sh, sw), the factor along height and width.
        interpolation: "nearest" (each pixel copied into an sh×sw block) or "bilinear"
            (torch.nn.functional.interpolate(mode="bilinear", align_corners=False)).

    Shape: input (N, H, W, C) → output (N, H·sh, W·sw, C).
    Example: nearest, size 2, on [[1, 2]] gives [[1, 1, 2, 2], [1, 1, 2, 2]].
    """

    def __init__(self, size=2, interpolation="nearest"):
        super().__init__()
        owner = type(self).__name__
        self.size = pair(size, "size", owner)
        if interpolation not in MODES:
            raise ValueError(f"{owner}: interpolation must be 'nearest' or 'bilinear', got {interpolation!r}")
        self.interpolation = interpolation
        self._remember(size=size, interpolation=interpolation)

    def _build(self, input_shape, rng):
        if len(input_shape) != 3:
            raise ValueError(f"{self.name} expected input_shape (H, W, C), got {input_shape}")
        h, w, c = input_shape
        return (None if h is None else h * self.size[0], None if w is None else w * self.size[1], c)

    def forward(self, x, training=False):
        x = self._check_input(x)  # (N, H, W, C)
        fn = F.upsample_nearest if self.interpolation == "nearest" else F.upsample_bilinear
        return self._keep(training, fn(x, self.size), x.shape)

    def backward(self, dy, input_grad=True):
        dy = self._check_grad(dy)  # (N, H·sh, W·sw, C)
        fn = F.upsample_nearest_backward if self.interpolation == "nearest" else F.upsample_bilinear_backward
        return fn(dy, self.size)
