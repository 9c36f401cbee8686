"""Conv1D: convolution over 1-D signals (N, L, C), computed as a Conv2D over a 1-pixel-high image."""

from __future__ import annotations

from ..functional import padding as P
from ..functional.shapes import output_size, pair, resolve_padding
from .base import Layer, grouped_channels, grouped_filters, keep_weight_args, positive_int
from .conv import conv_backward, conv_forward


class Conv1D(Layer):
    """1-D convolution (cross-correlation) along the length of a signal, channels last.

    A signal (N, L, C) is an image (N, 1, L, C) and its kernel (k, C/groups, F) a
    (1, k, C/groups, F) Conv2D kernel, so the forward and backward passes are Conv2D's
    own (functional/conv.py).

    Args:
        filters: output channels F.
        kernel_size, stride, dilation: ints.
        padding: "valid", "same" (output = L / stride), an int, or (left, right).
        groups, bias, kernel_initializer, bias_initializer, padding_mode: as Conv2D.

    Shape:
        input (N, L, C) → output (N, Lo, F), Lo = (L + left + right − d·(k − 1) − 1) // stride + 1.

    Parameters:
        kernel (k, C // groups, F) (Keras's layout), bias (F,).
    """

    def __init__(self, filters, kernel_size, stride=1, padding=0, dilation=1, groups=1, bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros", padding_mode="zeros"):
        super().__init__()
        owner = type(self).__name__
        self.filters, self.groups = grouped_filters(filters, groups, owner)
        self.kernel_size = positive_int(kernel_size, "kernel_size", owner)
        self.stride = positive_int(stride, "stride", owner)
        self.dilation = positive_int(dilation, "dilation", owner)
        if isinstance(padding, str):
            if padding not in ("valid", "same"):
                raise ValueError(f"{owner}: padding must be 'valid', 'same', an int or (left, right), got {padding!r}")
            self.padding = padding
        elif isinstance(padding, (tuple, list)):
            self.padding = ((0, 0), pair(padding, "padding", owner, minimum=0))
        else:
            p = pair(padding, "padding", owner, minimum=0)[0]
            self.padding = ((0, 0), (p, p))
        keep_weight_args(self, bias, kernel_initializer, bias_initializer)
        if padding_mode not in P.MODES:
            raise ValueError(f"{owner}: padding_mode must be one of {', '.join(map(repr, P.MODES))}, "
                             f"got {padding_mode!r}")
        self.padding_mode = padding_mode
        self._remember(filters=filters, kernel_size=kernel_size, stride=stride, padding=padding,
                       dilation=dilation, groups=groups, bias=bias, kernel_initializer=kernel_initializer,
                       bias_initializer=bias_initializer, padding_mode=padding_mode)

    def _build(self, input_shape, rng):
        if len(input_shape) != 2:
            raise ValueError(f"{self.name} expected input_shape (L, C), got {input_shape}")
        length, c = input_shape
        grouped_channels(self, c)
        self.params["kernel"] = self.kernel_init((self.kernel_size, c // self.groups, self.filters), rng)
        if self.use_bias:
            self.params["bias"] = self.bias_init((self.filters,), rng)
        return (self._output_length(length), self.filters)

    def _output_length(self, length):
        k, s, d = (1, self.kernel_size), (1, self.stride), (1, self.dilation)
        if self.padding == "same" and length is None:
            self._pad = None
            return None
        self._pad = resolve_padding(self.padding, (1, length), k, s, d, self.name)
        if self.padding_mode != "zeros":
            P.check_padding((1, length), self._pad, self.padding_mode, self.name)
        return output_size(length, self.kernel_size, self.stride, self._pad[1], self.dilation, self.name, "length")

    @property
    def resolved_padding(self):
        """(left, right): the padding added along the length for the input the layer was
        built for, or last ran on ("same" depends on it); None before that."""
        pad = getattr(self, "_pad", None)
        return None if pad is None else pad[1]

    def patch_values(self) -> int:
        """Values in one sample's patch matrix (im2col): output positions × k·C, a Python int."""
        return (self.output_shape[0] or 1) * self.kernel_size * self.input_shape[-1]

    def forward(self, x, training=False):
        x = self._check_input(x)  # (N, L, C)
        if self.input_shape[0] is None:
            self._output_length(x.shape[1])  # variable length: "same" padding depends on it
        x4, pad, mode_pad = x[:, None], self._pad, None  # (N, 1, L, C)
        if self.padding_mode != "zeros":
            x4, mode_pad, pad = P.pad2d(x4, pad, self.padding_mode), (x4.shape, pad), ((0, 0), (0, 0))
        y, cache = conv_forward(self, x4, self.params["kernel"][None], (1, self.stride), pad, (1, self.dilation),
                                training)
        return self._keep(training, y[:, 0], (cache, pad, mode_pad))  # (N, Lo, F)

    def backward(self, dy, input_grad=True):
        dy = self._check_grad(dy)  # (N, Lo, F)
        cache, pad, mode_pad = self._cache
        dx, dkernel, dbias = conv_backward(self, dy[:, None], cache, self.params["kernel"][None], (1, self.stride),
                                           pad, (1, self.dilation), input_grad)
        self.grads["kernel"] = dkernel[0]
        if self.use_bias:
            self.grads["bias"] = dbias
        if dx is None:
            return None
        if mode_pad is not None:
            dx = P.pad2d_backward(dx, *mode_pad, self.padding_mode)
        return dx[:, 0]
