"""Activation layers: ReLU, Sigmoid, Tanh, Softmax, LeakyReLU, ELU (each keeps its output y
for backward) and GELU (keeps its input x)."""

from __future__ import annotations

import numbers

from ..functional import activation as F
from ..functional import activation_extra as FX
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
    """max(x, 0); the gradient passes where x > 0.

    Inside a model, a ReLU may run fused with its neighbour — in place after a Conv2D or
    Dense, or after the strided MaxPool2D that follows it — with the same numbers
    (striate.engine.steps).
    """

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
    """Probabilities along one axis (the last by default): e^x / Σ e^x.

    For classification, prefer logits with the CrossEntropy loss, which fuses the
    softmax and is more stable; use this layer when the model must output probabilities.

    Args:
        axis: an axis of the batch (N, *sample shape) other than N: 1 .. rank of a sample,
            or counted from the end, −1 .. −rank.
    """

    def __init__(self, axis=-1):
        super().__init__()
        if not isinstance(axis, numbers.Integral) or isinstance(axis, bool):
            raise ValueError(f"Softmax: axis must be an int, got {axis!r}")
        self.axis = int(axis)
        self._remember(axis=axis)

    def _build(self, input_shape, rng):
        rank = len(input_shape)  # of one sample; the batch adds axis 0
        if not (1 <= self.axis <= rank or -rank <= self.axis <= -1):
            raise ValueError(f"{self.name}: axis must lie in 1..{rank} or -{rank}..-1 for inputs (N, "
                             f"{', '.join('?' if d is None else str(d) for d in input_shape)}) (axis 0 is the "
                             f"batch), got {self.axis}")
        return input_shape

    def forward(self, x, training=False):
        x = self._check_input(x)
        y = F.softmax(x, self.axis)
        return self._keep(training, y, y)

    def backward(self, dy, input_grad=True):
        dy = self._check_grad(dy)
        return F.softmax_backward(dy, self._cache, self.axis)


class LeakyReLU(Layer):
    """x where x > 0, negative_slope·x elsewhere: negative inputs keep a small gradient.

    Args:
        negative_slope: slope for x < 0, in [0, 1); 0.01 as in PyTorch.
    """

    def __init__(self, negative_slope=0.01):
        super().__init__()
        if not isinstance(negative_slope, (int, float)) or isinstance(negative_slope, bool) \
                or not 0 <= negative_slope < 1:
            raise ValueError(f"LeakyReLU: negative_slope must be a number in [0, 1), got {negative_slope!r}")
        self.negative_slope = float(negative_slope)
        self._remember(negative_slope=negative_slope)

    def forward(self, x, training=False):
        x = self._check_input(x)
        y = FX.leaky_relu(x, self.negative_slope)
        return self._keep(training, y, y)

    def backward(self, dy, input_grad=True):
        dy = self._check_grad(dy)
        return FX.leaky_relu_backward(dy, self._cache, self.negative_slope)


class ELU(Layer):
    """x where x > 0, α·(eˣ − 1) elsewhere (Clevert et al. 2015): smooth, mean closer to 0.

    Args:
        alpha: the value ELU tends to as x → −∞ is −alpha; must be > 0.
    """

    def __init__(self, alpha=1.0):
        super().__init__()
        if not isinstance(alpha, (int, float)) or isinstance(alpha, bool) or alpha <= 0:
            raise ValueError(f"ELU: alpha must be a positive number, got {alpha!r}")
        self.alpha = float(alpha)
        self._remember(alpha=alpha)

    def forward(self, x, training=False):
        x = self._check_input(x)
        y = FX.elu(x, self.alpha)
        return self._keep(training, y, y)

    def backward(self, dy, input_grad=True):
        dy = self._check_grad(dy)
        return FX.elu_backward(dy, self._cache, self.alpha)


class GELU(Layer):
    """x·Φ(x), Φ the standard normal CDF (Hendrycks & Gimpel 2016), as torch.nn.GELU.

    Args:
        approximate: "none" (exact, with erf) or "tanh" (the faster tanh formula).

    Not monotonic, so the cache is the input x rather than the output.
    """

    def __init__(self, approximate="none"):
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ValueError(f"GELU: approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate
        self._remember(approximate=approximate)

    def forward(self, x, training=False):
        x = self._check_input(x)
        return self._keep(training, FX.gelu(x, self.approximate), x)

    def backward(self, dy, input_grad=True):
        dy = self._check_grad(dy)
        return FX.gelu_backward(dy, self._cache, self.approximate)
