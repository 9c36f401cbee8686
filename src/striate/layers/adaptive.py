"""Pooling to a fixed output size: AdaptiveAvgPool2D, AdaptiveMaxPool2D, GlobalAvgPool2D, GlobalMaxPool2D.

These let one model take images of any size: whatever H×W comes in, the same number
of values goes out, so a Dense classifier can follow. Build such a model with
`input_shape=(None, None, C)`.
"""

from __future__ import annotations

from ..functional import adaptive as F
from ..functional.shapes import pair
from .base import Layer


def _check_image_shape(layer, input_shape):
    if len(input_shape) != 3 or input_shape[2] is None:
        raise ValueError(f"{layer.name} expected input_shape (H, W, C) with C known, got {input_shape}")


class _Adaptive(Layer):
    def __init__(self, output_size):
        super().__init__()
        self.output_size = pair(output_size, "output_size", type(self).__name__)
        self._remember(output_size=output_size)

    def _build(self, input_shape, rng):
        _check_image_shape(self, input_shape)
        return (*self.output_size, input_shape[2])


class AdaptiveAvgPool2D(_Adaptive):
    """Mean over bins that tile the image, as many as output_size asks, whatever the input size.

    Args:
        output_size: int or (Ho, Wo).

    Bins along an axis of length n, out bins (PyTorch's): bin i covers
    [⌊i·n/out⌋, ⌈(i+1)·n/out⌉), so 5 → 3 gives [0, 2), [1, 4), [3, 5).

    Shape: input (N, H, W, C), any H and W → output (N, Ho, Wo, C).
    """

    def forward(self, x, training=False):
        x = self._check_input(x)  # (N, H, W, C)
        return self._keep(training, F.adaptive_avg_pool2d(x, self.output_size), x.shape)

    def backward(self, dy, input_grad=True):
        dy = self._check_grad(dy)
        return F.adaptive_avg_pool2d_backward(dy, self._cache)


class AdaptiveMaxPool2D(_Adaptive):
    """Max over the same bins as AdaptiveAvgPool2D; the gradient goes to each bin's winner.

    Args:
        output_size: int or (Ho, Wo).

    Shape: input (N, H, W, C), any H and W → output (N, Ho, Wo, C).
    """

    def forward(self, x, training=False):
        x = self._check_input(x)  # (N, H, W, C)
        y, argmax = F.adaptive_max_pool2d(x, self.output_size)
        return self._keep(training, y, (argmax, x.shape))

    def backward(self, dy, input_grad=True):
        dy = self._check_grad(dy)
        argmax, x_shape = self._cache
        return F.adaptive_max_pool2d_backward(dy, argmax, x_shape)


class _Global(Layer):
    def __init__(self, keepdims=False):
        super().__init__()
        if not isinstance(keepdims, bool):
            raise ValueError(f"{type(self).__name__}: keepdims must be True or False, got {keepdims!r}")
        self.keepdims = keepdims
        self._remember(keepdims=keepdims)

    def _build(self, input_shape, rng):
        _check_image_shape(self, input_shape)
        return (1, 1, input_shape[2]) if self.keepdims else (input_shape[2],)

    def _shape_out(self, y):
        return y[:, None, None, :] if self.keepdims else y

    def _shape_in(self, dy):
        return dy[:, 0, 0, :] if self.keepdims else dy


class GlobalAvgPool2D(_Global):
    """Mean of each feature map: (N, H, W, C) → (N, C) (or (N, 1, 1, C) with keepdims=True).

    The usual head of a fully convolutional classifier: any input size, one value per
    channel, and no parameters to overfit (Lin et al. 2013, "Network in Network").
    """

    def forward(self, x, training=False):
        x = self._check_input(x)  # (N, H, W, C)
        return self._keep(training, self._shape_out(F.global_avg_pool2d(x)), x.shape)

    def backward(self, dy, input_grad=True):
        dy = self._check_grad(dy)
        return F.global_avg_pool2d_backward(self._shape_in(dy), self._cache)


class GlobalMaxPool2D(_Global):
    """Max of each feature map: (N, H, W, C) → (N, C) (or (N, 1, 1, C) with keepdims=True)."""

    def forward(self, x, training=False):
        x = self._check_input(x)  # (N, H, W, C)
        return self._keep(training, self._shape_out(F.global_max_pool2d(x)), x)

    def backward(self, dy, input_grad=True):
        dy = self._check_grad(dy)
        return F.global_max_pool2d_backward(self._shape_in(dy), self._cache)
