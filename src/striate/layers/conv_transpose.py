"""Conv2DTranspose: learnable up-sampling, the transpose of a strided Conv2D (decoders, autoencoders)."""

from __future__ import annotations

from ..functional import conv_transpose as F
from ..functional import fast
from ..functional.switch import reference_path
from ..functional.shapes import effective_size, pair, parse_padding
from .base import Layer, grouped_channels, grouped_filters, keep_weight_args


class Conv2DTranspose(Layer):
    """Transposed convolution: each input pixel paints a copy of the kernel, scaled by its
    value, onto the output with step `stride`; overlapping copies add up. It is the
    backward pass of a Conv2D with the same settings, so it undoes that Conv2D's change
    of shape (not of values): Conv2D(k=3, stride=2, padding=1) maps 28 → 14, and
    Conv2DTranspose(k=3, stride=2, padding=1, output_padding=1) maps 14 → 28.

    Args:
        filters: output channels F.
        kernel_size: int or (kh, kw).
        stride: int or (sh, sw): the up-sampling factor.
        padding: rows/columns removed from each border of the full output: an int,
            (ph, pw), ((top, bottom), (left, right)), "valid" (0) or "same" (output =
            input · stride; needs dilation·(k − 1) + 1 ≥ stride).
        output_padding: int or pair, rows/columns added at the bottom/right, to pick
            between the input sizes a strided Conv2D maps to the same size; < stride
            or < dilation, as in PyTorch.
        dilation, groups, bias, kernel_initializer, bias_initializer: as Conv2D.

    Shape:
        input (N, H, W, C) → output (N, Ho, Wo, F),
        Ho = (H − 1)·sh − pad_top − pad_bottom + dh·(kh − 1) + 1 + output_padding_h.

    Parameters:
        kernel (kh, kw, F // groups, C) — Keras's layout: the kernel of the Conv2D that
        maps F channels to C, which this layer transposes; PyTorch's ConvTranspose2d
        weight (C, F // groups, kh, kw) is kernel.transpose(3, 2, 0, 1). bias (F,).
    """

    def __init__(self, filters, kernel_size, stride=1, padding=0, output_padding=0, dilation=1, groups=1,
                 bias=True, kernel_initializer="glorot_uniform", bias_initializer="zeros"):
        super().__init__()
        owner = type(self).__name__
        self.filters, self.groups = grouped_filters(filters, groups, owner)
        self.kernel_size = pair(kernel_size, "kernel_size", owner)
        self.stride = pair(stride, "stride", owner)
        self.dilation = pair(dilation, "dilation", owner)
        self.output_padding = pair(output_padding, "output_padding", owner, minimum=0)
        for op, s, d in zip(self.output_padding, self.stride, self.dilation):
            if op >= max(s, d):
                raise ValueError(f"{owner}: output_padding must be smaller than the stride or the dilation, "
                                 f"got output_padding={output_padding!r} with stride={stride!r}, "
                                 f"dilation={dilation!r}")
        self.padding = self._parse_padding(padding, owner)
        keep_weight_args(self, bias, kernel_initializer, bias_initializer)
        self._remember(filters=filters, kernel_size=kernel_size, stride=stride, padding=padding,
                       output_padding=output_padding, dilation=dilation, groups=groups, bias=bias,
                       kernel_initializer=kernel_initializer, bias_initializer=bias_initializer)

    def _parse_padding(self, padding, owner):
        """"same" crops k_eff − stride in all (the odd one at the bottom/right), so Ho = H·sh."""
        pad = parse_padding(padding, owner)
        if pad == "valid":
            return ((0, 0), (0, 0))
        if pad != "same":
            return pad
        pads = []
        for k, s, d in zip(self.kernel_size, self.stride, self.dilation):
            total = effective_size(k, d) - s
            if total < 0:
                raise ValueError(f"{owner}: padding='same' needs dilation·(kernel_size − 1) + 1 >= stride, "
                                 f"got kernel_size={self.kernel_size}, stride={self.stride}")
            pads.append((total // 2, total - total // 2))
        return (pads[0], pads[1])

    def _build(self, input_shape, rng):
        if len(input_shape) != 3:
            raise ValueError(f"{self.name} expected input_shape (H, W, C), got {input_shape}")
        h, w, c = input_shape
        grouped_channels(self, c)
        kh, kw = self.kernel_size
        self.params["kernel"] = self.kernel_init((kh, kw, self.filters // self.groups, c), rng)
        if self.use_bias:
            self.params["bias"] = self.bias_init((self.filters,), rng)
        ho, wo = F.conv_transpose2d_output_hw((h, w), self.kernel_size, self.stride, self.padding,
                                              self.output_padding, self.dilation)
        for n, axis in ((ho, "height"), (wo, "width")):
            if n is not None and n < 1:
                raise ValueError(f"{self.name}: the padding {self.padding} removes the whole output {axis} "
                                 f"for input_shape {input_shape}")
        return (ho, wo, self.filters)

    def patch_values(self) -> int:
        """Values in one sample's patch matrix (x @ Wᵀ, before col2im): input pixels × kh·kw·F, a Python int."""
        (h, w, _), (kh, kw) = self.input_shape, self.kernel_size
        return (h or 1) * (w or 1) * kh * kw * self.filters

    def forward(self, x, training=False):
        x = self._check_input(x)  # (N, H, W, C)
        args = (x, self.params["kernel"], self.params.get("bias"), self.stride, self.padding, self.output_padding,
                self.dilation, self.groups)
        if reference_path():
            ops, (y, x) = F, F.conv_transpose2d(*args)
        else:
            ops, (y, x) = fast, fast.conv_transpose2d(*args, workspace=self._workspace[training])
        return self._keep(training, y, (ops, x))  # y (N, Ho, Wo, F)

    def backward(self, dy, input_grad=True):
        dy = self._check_grad(dy)  # (N, Ho, Wo, F)
        ops, x = self._cache  # the ops that made the cache, and the cache
        args = (dy, x, self.params["kernel"], self.stride, self.padding, self.dilation, self.groups, input_grad)
        if ops is F:
            dx, dkernel, dbias = F.conv_transpose2d_backward(*args)
        else:
            dx, dkernel, dbias = fast.conv_transpose2d_backward(*args, workspace=self._workspace[True])
        self.grads["kernel"] = dkernel
        if self.use_bias:
            self.grads["bias"] = dbias
        return dx
