"""Transposed convolution ("deconvolution") on NHWC arrays, built from conv2d's own pieces: the reference.

A Conv2D with stride s maps a large image to a small one. The transposed convolution
goes back: it is exactly the map that carries a gradient from that Conv2D's output to
its input, i.e. each input pixel scatters a copy of the kernel, scaled by its value,
onto a grid with step s, and overlapping copies add up::

    x (N, H, W, Cin) ──scatter──▶ y (N, Ho, Wo, F)
    Ho = (H − 1)·sh − pt − pb + dh·(kh − 1) + 1 + output_padding_h      (likewise Wo)

Hence forward = conv2d's input gradient, and backward = an ordinary conv2d (for dx)
plus conv2d's kernel gradient (for dkernel), with the roles of x and y swapped.

Kernel layout: (kh, kw, F // groups, Cin) — the kernel of the Conv2D this one
transposes (which maps F channels to Cin), as in Keras's Conv2DTranspose. PyTorch's
conv_transpose2d weight (Cin, F // groups, kh, kw) is kernel.transpose(3, 2, 0, 1).
"""

from __future__ import annotations

from . import conv as C
from .im2col import im2col, pad_nhwc
from .shapes import NO_PADDING, Pair, Padding


def conv_transpose2d_output_hw(in_hw, kernel: Pair, stride: Pair, padding: Padding, output_padding: Pair,
                               dilation: Pair) -> Pair:
    """(Ho, Wo), Ho = (H − 1)·sh − pt − pb + dh·(kh − 1) + 1 + oph; None stays None."""
    out = []
    for n, k, s, (before, after), op, d in zip(in_hw, kernel, stride, padding, output_padding, dilation):
        out.append(None if n is None else (n - 1) * s - before - after + d * (k - 1) + 1 + op)
    return tuple(out)


def conv_transpose2d(x, kernel, bias=None, stride: Pair = (1, 1), padding: Padding = NO_PADDING,
                     output_padding: Pair = (0, 0), dilation: Pair = (1, 1), groups: int = 1):
    """x (N, H, W, Cin), kernel (kh, kw, F/groups, Cin), bias (F,) → (y (N, Ho, Wo, F), cache).

    y is the input gradient of a Conv2D (F → Cin channels) whose output gradient is x:
    col2im(x @ Wᵀ), cropped by the padding. The cache is x.
    """
    n, h, w, _ = x.shape
    kh, kw, fg, _ = kernel.shape
    ho, wo = conv_transpose2d_output_hw((h, w), (kh, kw), stride, padding, output_padding, dilation)
    y = C.conv2d_input_grad(x, kernel, (n, ho, wo, fg * groups), stride, padding, dilation, groups)
    if bias is not None:
        y = y + bias
    return y, x


def conv_transpose2d_backward(dy, x, kernel, stride: Pair = (1, 1), padding: Padding = NO_PADDING,
                              dilation: Pair = (1, 1), groups: int = 1, input_grad: bool = True):
    """dy (N, Ho, Wo, F) and the cache x → (dx (N, H, W, Cin) or None, dkernel, dbias).

    The roles of conv2d's image and output swap: the patches of dy, one per pixel of x,
    give dx = cols @ W (an ordinary convolution of dy) and dW = colsᵀ @ x.
    """
    n, h, w, cin = x.shape
    cols = im2col(pad_nhwc(dy, padding), kernel.shape[:2], stride, dilation, (h, w), groups)  # (G, N·H·W, K)
    x_g = x.reshape(-1, groups, cin // groups).transpose(1, 0, 2)  # (G, N·H·W, Cin/G)
    dkernel = (cols.transpose(0, 2, 1) @ x_g).transpose(1, 0, 2).reshape(kernel.shape)
    dx = None
    if input_grad:
        dx = (cols @ C.grouped_kernel(kernel, groups)).transpose(1, 0, 2).reshape(n, h, w, cin)
    return dx, dkernel, dy.sum(axis=(0, 1, 2))
