"""Activation layers: ReLU, Sigmoid, Tanh, Softmax. Each keeps its output y for backward."""

from __future__ import annotations

from ..functional import activation as F
from .base import Layer


class _Activation(Layer):
    """y = f(x) element-wise, any input shape; backward uses y."""

    _forward = staticmethod(lambda x: x)
    _backward = staticmethod(lambda dy, y: dy)

    def __init__(self):
        super().__init__()
        self._remember()

    def forward(self, x, training=False):
        x = self._check_input(x)
        y = self._forward(x)
        return self._keep(training, y, y)

    def backward(self, dy, input_grad=True):
        dy = self._check_grad(dy)
        return self._backward(dy, self._cache)


class ReLU(_Activation):
    """max(x, 0); the gradient passes where x > 0."""

    _forward = staticmethod(F.relu)
    _backward = staticmethod(F.relu_backward)


class Sigmoid(_Activation):
    """1 / (1 + e^−x); gradient σ(1 − σ)."""

    _forward = staticmethod(F.sigmoid)
    _backward = staticmethod(F.sigmoid_backward)


class Tanh(_Activation):
    """tanh x; gradient 1 − tanh² x."""

    _forward = staticmethod(F.tanh)
    _backward = staticmethod(F.tanh_backward)


class Softmax(Layer):
    """Probabilities along the last axis: e^x / Σ e^x.

    For classification, prefer logits with the CrossEntropy loss, which fuses the
    softmax and is more stable; use this layer when the model must output probabilities.
    """

    def __init__(self, axis=-1):
        super().__init__()
        self.axis = axis
        self._remember(axis=axis)

    def forward(self, x, training=False):
        x = self._check_input(x)
        y = F.softmax(x, self.axis)
        return self._keep(training, y, y)

    def backward(self, dy, input_grad=True):
        dy = self._check_grad(dy)
        return F.softmax_backward(dy, self._cache, self.axis)
