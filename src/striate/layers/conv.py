"""Conv2D: a learnable bank of 3-D kernels slid over an NHWC image."""

from __future__ import annotations

import numpy as np

from ..functional import conv as F
from ..functional import fast
from ..functional import padding as P
from ..functional.switch import reference_path
from ..functional.shapes import output_size, pair, parse_padding, resolve_padding
from .base import Layer, grouped_channels, grouped_filters, keep_weight_args


class Conv2D(Layer):
    """2-D convolution (cross-correlation, as in every deep-learning library).

    Args:
        filters: number of kernels F, i.e. output channels.
        kernel_size: int or (kh, kw).
        stride: int or (sh, sw); step between output pixels.
        padding: "valid" (none), "same" (output = input / stride; the odd extra row or
            column goes at the bottom/right), an int, (ph, pw) or ((top, bottom), (left, right)).
        dilation: int or (dh, dw); gap between kernel taps.
        groups: split channels into groups convolved separately (groups = C: depthwise).
        bias: add a learnable bias per filter.
        padding_mode: what the padding holds: "zeros", "reflect" (mirror, edge not repeated),
            "replicate" (edge repeated) or "circular" (wrap around), as in PyTorch.
        kernel_initializer, bias_initializer: names from striate.init.

    Shape:
        input (N, H, W, C) → output (N, Ho, Wo, F),
        Ho = (H + pad_top + pad_bottom − dh·(kh − 1) − 1) // sh + 1, likewise Wo.

    Parameters:
        kernel (kh, kw, C // groups, F), bias (F,): kh·kw·C/groups + 1 per filter.

    Example:
        >>> conv = Conv2D(10, 3)                    # 39×39×3 → 37×37×10
        >>> conv.build((39, 39, 3)); conv.num_params
        280
    """

    def __init__(self, filters, kernel_size, stride=1, padding=0, dilation=1, groups=1, bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros", padding_mode="zeros"):
        super().__init__()
        owner = type(self).__name__
        self.filters, self.groups = grouped_filters(filters, groups, owner)
        self.kernel_size = pair(kernel_size, "kernel_size", owner)
        self.stride = pair(stride, "stride", owner)
        self.padding = parse_padding(padding, owner)
        self.dilation = pair(dilation, "dilation", owner)
        keep_weight_args(self, bias, kernel_initializer, bias_initializer)
        if padding_mode not in P.MODES:
            raise ValueError(f"{owner}: padding_mode must be one of {', '.join(map(repr, P.MODES))}, "
                             f"got {padding_mode!r}")
        self.padding_mode = padding_mode
        self._remember(filters=filters, kernel_size=kernel_size, stride=stride, padding=padding,
                       dilation=dilation, groups=groups, bias=bias,
                       kernel_initializer=kernel_initializer, bias_initializer=bias_initializer,
                       padding_mode=padding_mode)

    def _build(self, input_shape, rng):
        if len(input_shape) != 3:
            raise ValueError(f"{self.name} expected input_shape (H, W, C), got {input_shape}")
        h, w, c = input_shape
        grouped_channels(self, c)
        kh, kw = self.kernel_size
        shape = (kh, kw, c // self.groups, self.filters)
        self.params["kernel"] = self.kernel_init(shape, rng)
        if self.use_bias:
            self.params["bias"] = self.bias_init((self.filters,), rng)
        return (*self._output_hw(h, w), self.filters)

    def _output_hw(self, h, w):
        """Resolve padding for this input size, then the output size arithmetic."""
        pad = resolve_padding(self.padding, (h, w), self.kernel_size, self.stride, self.dilation, self.name)
        ho = output_size(h, self.kernel_size[0], self.stride[0], pad[0], self.dilation[0], self.name, "height")
        wo = output_size(w, self.kernel_size[1], self.stride[1], pad[1], self.dilation[1], self.name, "width")
        self._pad = pad
        if self.padding_mode != "zeros":
            P.check_padding((h, w), pad, self.padding_mode, self.name)
        return ho, wo

    def _check_input(self, x):
        x = np.asarray(x)
        if self.built and x.ndim == 4 and x.shape[-1] != self.input_shape[-1]:
            raise ValueError(
                f"{self.name} expected {self.input_shape[-1]} input channels, got input of shape {x.shape}"
            )
        return super()._check_input(x)

    @property
    def resolved_padding(self):
        """((top, bottom), (left, right)): the zeros (or mirrored pixels) added for the
        input size the layer was built for, or last ran on ("same" depends on it); None
        before it is built."""
        return getattr(self, "_pad", None)

    def patch_values(self) -> int:
        """Values in one sample's patch matrix (im2col): output pixels × kh·kw·C, a Python int.

        The matrix the reference path builds, and the largest array of a forward pass:
        a 1001×1001 kernel over a 1001×1001 image with "same" padding asks for 10**12.
        """
        (ho, wo, _), (kh, kw), c = self.output_shape, self.kernel_size, self.input_shape[-1]
        return (ho or 1) * (wo or 1) * kh * kw * c

    def forward(self, x, training=False):
        x = self._check_input(x)  # (N, H, W, C)
        if None in self.input_shape[:2]:
            self._output_hw(*x.shape[1:3])  # variable-size model: padding depends on x
        pad, mode_pad = self._pad, None
        if self.padding_mode != "zeros":  # pad here by reflection etc.; the kernel then pads nothing
            x, mode_pad, pad = P.pad2d(x, pad, self.padding_mode), (x.shape, pad), ((0, 0), (0, 0))
        y, cache = conv_forward(self, x, self.params["kernel"], self.stride, pad, self.dilation, training)
        return self._keep(training, y, (cache, pad, mode_pad))  # y (N, Ho, Wo, F)

    def backward(self, dy, input_grad=True):
        dy = self._check_grad(dy)  # (N, Ho, Wo, F)
        cache, pad, mode_pad = self._cache
        dx, dkernel, dbias = conv_backward(self, dy, cache, self.params["kernel"], self.stride, pad, self.dilation,
                                           input_grad)
        if mode_pad is not None and dx is not None:
            dx = P.pad2d_backward(dx, *mode_pad, self.padding_mode)
        self.grads["kernel"] = dkernel
        if self.use_bias:
            self.grads["bias"] = dbias
        return dx


def conv_forward(layer, x, kernel, stride, pad, dilation, training):
    """layer's convolution of x on the path striate.reference() picks: the reference op, or
    the fast kernel with the layer's scratch buffers → (y, cache for conv_backward)."""
    bias = layer.params.get("bias")
    if reference_path():
        y, cache = F.conv2d(x, kernel, bias, stride, pad, dilation, layer.groups)
        return y, (F, cache)
    y, cache = fast.conv2d(x, kernel, bias, stride, pad, dilation, layer.groups,
                           workspace=layer._workspace[training], training=training)
    return y, (fast, cache)


def conv_backward(layer, dy, cached, kernel, stride, pad, dilation, input_grad):
    """conv2d_backward of the ops that made the cache (whatever the switch says now)."""
    ops, cache = cached
    if ops is F:
        return F.conv2d_backward(dy, cache, kernel, stride, pad, dilation, layer.groups, input_grad)
    return fast.conv2d_backward(dy, cache, kernel, stride, pad, dilation, layer.groups, input_grad,
                                workspace=layer._workspace[True])
