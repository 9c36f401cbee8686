"""MaxPool2D and AvgPool2D: fixed (parameter-free) down-sampling over k×k windows."""

from __future__ import annotations

from ..functional import fast
from ..functional import pool as F
from ..functional.switch import reference_path
from ..functional.shapes import output_size, pair, parse_padding
from .base import Layer


class _Pool2D(Layer):
    """Shared arguments and shape arithmetic of the 2-D pooling layers."""

    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        owner = type(self).__name__
        self.kernel_size = pair(kernel_size, "kernel_size", owner)
        self.stride = self.kernel_size if stride is None else pair(stride, "stride", owner)
        pad = parse_padding(padding, owner)
        if pad == "same":
            raise ValueError(f"{owner}: padding must be 'valid', an int or a pair, got {padding!r}")
        self.padding = ((0, 0), (0, 0)) if pad == "valid" else pad
        for (before, after), k in zip(self.padding, self.kernel_size):
            if max(before, after) > k // 2:
                raise ValueError(
                    f"{owner}: padding must be at most half the kernel size ({k} // 2 = {k // 2}), "
                    f"got {padding!r}"
                )
        self._remember(kernel_size=kernel_size, stride=stride, padding=padding)

    def _build(self, input_shape, rng):
        if len(input_shape) != 3:
            raise ValueError(f"{self.name} expected input_shape (H, W, C), got {input_shape}")
        h, w, c = input_shape
        ho = output_size(h, self.kernel_size[0], self.stride[0], self.padding[0], 1, self.name, "height")
        wo = output_size(w, self.kernel_size[1], self.stride[1], self.padding[1], 1, self.name, "width")
        return ho, wo, c


class MaxPool2D(_Pool2D):
    """Max over kh×kw windows; the gradient flows only to each window's maximum.

    Args:
        kernel_size: window size, int or (kh, kw).
        stride: step between windows; defaults to kernel_size.
        padding: rows/columns of −∞ added on each side (at most kernel_size // 2).

    Shape:
        input (N, H, W, C) → output (N, Ho, Wo, C), Ho = (H + 2·padding − kh) // sh + 1.

    Example: 2×2, stride 2 on [[1,1,2,4],[5,6,7,8],[3,2,1,0],[1,2,3,4]] gives [[6,8],[3,4]].
    """

    def forward(self, x, training=False):
        x = self._check_input(x)  # (N, H, W, C)
        ops = F if reference_path() else fast
        y, cache = ops.max_pool2d(x, self.kernel_size, self.stride, self.padding)
        return self._keep(training, y, (ops, cache))  # the reference keeps the switches, fast (x, y)

    def backward(self, dy, input_grad=True):
        dy = self._check_grad(dy)
        ops, cache = self._cache
        return ops.max_pool2d_backward(dy, cache, self.kernel_size, self.stride, self.padding)


class AvgPool2D(_Pool2D):
    """Mean over kh×kw windows; padded zeros count towards the mean (as in PyTorch).

    Args and shape as MaxPool2D, with zero padding.
    """

    def forward(self, x, training=False):
        x = self._check_input(x)  # (N, H, W, C)
        ops = F if reference_path() else fast
        y = ops.avg_pool2d(x, self.kernel_size, self.stride, self.padding)
        return self._keep(training, y, (ops, x.shape))

    def backward(self, dy, input_grad=True):
        dy = self._check_grad(dy)
        ops, x_shape = self._cache
        return ops.avg_pool2d_backward(dy, x_shape, self.kernel_size, self.stride, self.padding)
