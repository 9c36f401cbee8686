"""Dense: a fully connected layer, y = x @ kernel + bias."""

from __future__ import annotations

import numpy as np

from ..functional import linear as F
from ..functional import fast
from ..functional.switch import reference_path
from .base import Layer, keep_weight_args, positive_int


class Dense(Layer):
    """Fully connected layer.

    Args:
        units: number of outputs.
        bias: add a learnable bias.
        kernel_initializer, bias_initializer: names from striate.init.

    Shape:
        input (N, in_features) → output (N, units). Put Flatten() before it to feed a
        feature map (N, H, W, C).

    Parameters:
        kernel (in_features, units), bias (units,).
    """

    def __init__(self, units, bias=True, kernel_initializer="glorot_uniform", bias_initializer="zeros"):
        super().__init__()
        owner = type(self).__name__
        self.units = positive_int(units, "units", owner)
        keep_weight_args(self, bias, kernel_initializer, bias_initializer)
        self._remember(units=units, bias=bias, kernel_initializer=kernel_initializer,
                       bias_initializer=bias_initializer)

    def _build(self, input_shape, rng):
        if len(input_shape) != 1 or input_shape[0] is None:
            raise ValueError(
                f"{self.name} expected input_shape (in_features,), got {input_shape}; "
                "add Flatten() before Dense to feed it a feature map"
            )
        self.params["kernel"] = self.kernel_init((input_shape[0], self.units), rng)
        if self.use_bias:
            self.params["bias"] = self.bias_init((self.units,), rng)
        return (self.units,)

    def forward(self, x, training=False):
        x = self._check_input(x)  # (N, in_features)
        ops = F if reference_path() else fast
        y, x = ops.dense(x, self.params["kernel"], self.params.get("bias"))
        return self._keep(training, y, (ops, x))  # (N, units)

    def backward(self, dy, input_grad=True):
        dy = self._check_grad(dy)  # (N, units)
        ops, x = self._cache  # the ops that made the cache, and the cache
        dx, self.grads["kernel"], dbias = ops.dense_backward(dy, x, self.params["kernel"], input_grad)
        if self.use_bias:
            self.grads["bias"] = dbias
        return dx


class Flatten(Layer):
    """Flatten each sample to a vector in (h, w, c) order, as Keras does for NHWC.

    Shape: input (N, H, W, C) → output (N, H·W·C).
    """

    def __init__(self):
        super().__init__()
        self._remember()

    def _build(self, input_shape, rng):
        if None in input_shape:
            raise ValueError(
                f"{self.name} needs a fixed input size, got {input_shape}; "
                "use a global pooling layer before it for variable-size images"
            )
        return (int(np.prod(input_shape)),)

    def forward(self, x, training=False):
        x = self._check_input(x)
        y = x.reshape(x.shape[0], -1)
        return self._keep(training, y, x.shape)

    def backward(self, dy, input_grad=True):
        dy = self._check_grad(dy)
        return dy.reshape(self._cache)
