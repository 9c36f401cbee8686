"""Transposed convolution ("deconvolution") on NHWC arrays, built from conv2d's own pieces.

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
from .shapes import Pair, Padding


def conv_transpose2d_output_hw(in_hw, kernel: Pair, stride: Pair, padding: Padding, output_padding: Pair,
                               dilation: Pair) -> Pair:
    """(Ho, Wo), Ho = (H − 1)·sh − pt − pb + dh·(kh − 1) + 1 + oph; None stays None."""
    out = []
    for n, k, s, (before, after), op, d in zip(in_hw, kernel, stride, padding, output_padding, dilation):
        out.append(None if n is None else (n - 1) * s - before - after + d * (k - 1) + 1 + op)
    return tuple(out)


def conv_transpose2d(x, kernel, bias=None, stride: Pair = (1, 1), padding: Padding = ((0, 0), (0, 0)),
                     output_padding: Pair = (0, 0), dilation: Pair = (1, 1), groups: int = 1, workspace=None):
    """x (N, H, W, Cin), kernel (kh, kw, F/groups, Cin), bias (F,) → y (N, Ho, Wo, F)."""
    n, h, w, cin = x.shape
    kh, kw, fg, _ = kernel.shape
    ho, wo = conv_transpose2d_output_hw((h, w), (kh, kw), stride, padding, output_padding, dilation)
    x_g = x.reshape(n * h * w, groups, cin // groups).transpose(1, 0, 2)  # (G, N·H·W, Cin/G)
    y = C.conv2d_input_grad_taps(x_g, kernel, (n, ho, wo, fg * groups), stride, padding, dilation, workspace,
                                 out_hw=(h, w))
    if bias is not None:
        y += bias
    return y


def conv_transpose2d_backward(dy, x, kernel, stride: Pair = (1, 1), padding: Padding = ((0, 0), (0, 0)),
                              dilation: Pair = (1, 1), groups: int = 1, input_grad: bool = True, workspace=None):
    """dy (N, Ho, Wo, F) → (dx (N, H, W, Cin) or None, dkernel, dbias).

    dx is the forward convolution of dy with the same kernel; dkernel is conv2d's kernel
    gradient with dy as the image and x as the output gradient.
    """
    dx, dyp = C.conv2d(dy, kernel, None, stride, padding, dilation, groups, workspace)
    dx = dx[:, : x.shape[1], : x.shape[2]]  # output padding ≥ stride adds a row the forward never read
    _, dkernel, _ = C.conv2d_backward(x, dyp, dy.shape, kernel, stride, padding, dilation, groups,
                                      input_grad=False)
    dbias = C.bias_grad(dy, workspace)
    return (dx if input_grad else None), dkernel, dbias
