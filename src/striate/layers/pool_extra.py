"""More pooling: SumPool2D, LPPool2D, WeightedAvgPool2D over windows; ChannelMaxPool across maps."""

from __future__ import annotations

import numbers

import numpy as np

from ..functional import pool_extra as F
from .base import Layer, positive_int
from .pool import _Pool2D


class SumPool2D(_Pool2D):
    """Sum over kh×kw windows (average pooling without the division).

    Args and shape as AvgPool2D: kernel_size, stride (defaults to kernel_size), zero padding.
    Example: 2×2 on [[1, 2], [3, 4]] gives [[10]].
    """

    def forward(self, x, training=False):
        x = self._check_input(x)  # (N, H, W, C)
        y = F.sum_pool2d(x, self.kernel_size, self.stride, self.padding)
        return self._keep(training, y, x.shape)

    def backward(self, dy, input_grad=True):
        dy = self._check_grad(dy)
        return F.sum_pool2d_backward(dy, self._cache, self.kernel_size, self.stride, self.padding)


MIN_P, MAX_P = 1, 64  # LPPool2D's powers: see its docstring


class LPPool2D(_Pool2D):
    """Power-average pooling (Σ_window x^p)^(1/p), as torch.nn.LPPool2d.

    Args:
        p: the power, 1 ≤ p ≤ 64; 1 is sum pooling, 2 the L2 norm of each window ("L2
            pooling"), large p approaches max pooling. For p other than an even integer
            the inputs must be non-negative (put it after a ReLU), as in PyTorch. Below 1
            the result is no norm and the root 1/p overflows: a window of four values
            near 1 sums to about 4, and p = 1e-30 makes that 4^(10^30) = inf (PyTorch takes
            any p > 0). Past 64, x^p overflows float32 for every x above 4: MaxPool2D is
            the limit p → ∞.
        kernel_size, stride, padding: as AvgPool2D.

    Shape: input (N, H, W, C) → output (N, Ho, Wo, C), Ho = (H + 2·padding − kh) // sh + 1.
    Example: p = 2, 2×2 on [[3, 0], [0, 4]] gives [[5]].
    """

    def __init__(self, p, kernel_size, stride=None, padding=0):
        super().__init__(kernel_size, stride, padding)
        if not isinstance(p, numbers.Real) or isinstance(p, bool) or not MIN_P <= p <= MAX_P:
            raise ValueError(f"LPPool2D: p must be a number from {MIN_P} to {MAX_P} (MaxPool2D is p = ∞), got {p!r}")
        self.p = float(p)
        self._remember(p=p, kernel_size=kernel_size, stride=stride, padding=padding)

    def forward(self, x, training=False):
        x = self._check_input(x)  # (N, H, W, C)
        y = F.lp_pool2d(x, self.p, self.kernel_size, self.stride, self.padding)
        return self._keep(training, y, (x, y))

    def backward(self, dy, input_grad=True):
        dy = self._check_grad(dy)
        x, y = self._cache
        return F.lp_pool2d_backward(dy, x, y, self.p, self.kernel_size, self.stride, self.padding)


class WeightedAvgPool2D(_Pool2D):
    """A weighted average over kh×kw windows: y = Σ_{i,j} w[i, j]·x[window pixel (i, j)].

    The same (kh, kw) weights serve every channel (a depthwise convolution with one
    shared kernel).

    Args:
        kernel_size, stride, padding: as AvgPool2D (zero padding).
        weights: "gaussian" (exp(−d²/2σ²) around the window's centre, normalised to sum 1),
            "uniform" (1/(kh·kw): AvgPool2D), or an array of shape (kh, kw) of values
            finite as float32 (1e300 would become inf in a float32 model).
        sigma: the Gaussian's standard deviation in pixels.
        trainable: learn the weights (a parameter "weight", starting from `weights`);
            otherwise they are fixed and kept in layer.state["weight"].

    Shape: input (N, H, W, C) → output (N, Ho, Wo, C), Ho = (H + 2·padding − kh) // sh + 1.
    """

    def __init__(self, kernel_size, stride=None, padding=0, weights="gaussian", sigma=1.0, trainable=False):
        super().__init__(kernel_size, stride, padding)
        owner = type(self).__name__
        if not isinstance(sigma, numbers.Real) or isinstance(sigma, bool) or not sigma > 0:
            raise ValueError(f"{owner}: sigma must be a positive number, got {sigma!r}")
        if not isinstance(trainable, bool):
            raise ValueError(f"{owner}: trainable must be True or False, got {trainable!r}")
        if isinstance(weights, str):
            if weights not in ("gaussian", "uniform"):
                raise ValueError(f"{owner}: weights must be 'gaussian', 'uniform' or an array of shape "
                                 f"{self.kernel_size}, got {weights!r}")
            self._given = None
        else:
            self._given = np.asarray(weights, dtype=np.float64)
            if self._given.shape != self.kernel_size:
                raise ValueError(f"{owner}: weights must have shape {self.kernel_size} (the kernel size), "
                                 f"got shape {self._given.shape}")
            with np.errstate(over="ignore"):
                narrowest = self._given.astype(np.float32)  # a model may be float32 or float64
            if not np.isfinite(narrowest).all():
                bad = self._given.ravel()[~np.isfinite(narrowest.ravel())][0]
                raise ValueError(f"{owner}: weights must be finite as float32 (within ±3.4e38), got {float(bad)!r}")
            weights = self._given.tolist()  # a plain list in the config: comparable, printable, savable
        self._kind, self.sigma, self.trainable = weights, float(sigma), trainable
        # Computed by build, like any layer's initial parameters, rather than here: then
        # describing a layer costs nothing, and a model file can hand in its own array.
        self.weight_init = self._starting_weights
        self._remember(kernel_size=kernel_size, stride=stride, padding=padding, weights=weights,
                       sigma=sigma, trainable=trainable)

    def _starting_weights(self, shape, rng=None) -> np.ndarray:
        """The (kh, kw) weights the layer starts from, as its `weights` argument asks."""
        if self._given is not None:
            return self._given.copy()
        if self._kind == "gaussian":
            return F.gaussian_weights(shape, self.sigma)
        return np.full(shape, 1.0 / (shape[0] * shape[1]))

    def _build(self, input_shape, rng):
        shape = super()._build(input_shape, rng)
        (self.params if self.trainable else self.state)["weight"] = self.weight_init(self.kernel_size, rng)
        return shape

    @property
    def weights(self) -> np.ndarray:
        return self.params["weight"] if self.trainable else self.state["weight"]

    def forward(self, x, training=False):
        x = self._check_input(x)  # (N, H, W, C)
        y = F.weighted_pool2d(x, self.weights, self.stride, self.padding)
        return self._keep(training, y, x)

    def backward(self, dy, input_grad=True):
        dy = self._check_grad(dy)
        dx, dweights = F.weighted_pool2d_backward(dy, self._cache, self.weights, self.stride, self.padding,
                                                  weights_grad=self.trainable)
        if self.trainable:
            self.grads["weight"] = dweights
        return dx


class ChannelMaxPool(Layer):
    """Max across groups of consecutive feature maps (maxout): (..., C) → (..., groups).

    The pooling runs across channels instead of across space: output channel g is the
    max of input channels g·k … g·k + k − 1 with k = C // groups, so of every k kernels
    only the strongest response passes on (Goodfellow et al. 2013). After Conv2D(F) it
    turns F maps into `groups`; after Dense(U) it gives maxout units.

    Args:
        groups: number of output channels; must divide the input channels.
    """

    def __init__(self, groups):
        super().__init__()
        self.groups = positive_int(groups, "groups", type(self).__name__)
        self._remember(groups=groups)

    def _build(self, input_shape, rng):
        c = input_shape[-1] if input_shape else None
        if c is None or c % self.groups:
            raise ValueError(f"{self.name}: the input channels ({c}) must be known and divisible by "
                             f"groups ({self.groups}), got input_shape {input_shape}")
        return (*input_shape[:-1], self.groups)

    def forward(self, x, training=False):
        x = self._check_input(x)  # (N, ..., C)
        return self._keep(training, F.channel_max_pool(x, self.groups), x)

    def backward(self, dy, input_grad=True):
        dy = self._check_grad(dy)
        return F.channel_max_pool_backward(dy, self._cache, self.groups)
