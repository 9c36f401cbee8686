"""Transposed convolution on NHWC arrays, fast: equals striate.functional.conv_transpose.

Built from the fast convolution's pieces as the reference is from its own: forward is
conv2d's input gradient by taps (conv.conv2d_input_grad_taps), backward an ordinary
fast conv2d of dy (for dx) and conv2d's kernel gradient with dy as the image (for dkernel).
"""

from __future__ import annotations

from ..conv_transpose import conv_transpose2d_output_hw
from ..shapes import NO_PADDING, Pair, Padding
from . import conv as C


def conv_transpose2d(x, kernel, bias=None, stride: Pair = (1, 1), padding: Padding = NO_PADDING,
                     output_padding: Pair = (0, 0), dilation: Pair = (1, 1), groups: int = 1, *, workspace=None):
    """x (N, H, W, Cin), kernel (kh, kw, F/groups, Cin), bias (F,) → (y (N, Ho, Wo, F), cache x)."""
    n, h, w, cin = x.shape
    kh, kw, fg, _ = kernel.shape
    ho, wo = conv_transpose2d_output_hw((h, w), (kh, kw), stride, padding, output_padding, dilation)
    x_g = x.reshape(n * h * w, groups, cin // groups).transpose(1, 0, 2)  # (G, N·H·W, Cin/G)
    y = C.conv2d_input_grad_taps(x_g, kernel, (n, ho, wo, fg * groups), stride, padding, dilation, workspace,
                                 out_hw=(h, w))
    if bias is not None:
        y += bias
    return y, x


def conv_transpose2d_backward(dy, x, kernel, stride: Pair = (1, 1), padding: Padding = NO_PADDING,
                              dilation: Pair = (1, 1), groups: int = 1, input_grad: bool = True, *, workspace=None):
    """dy (N, Ho, Wo, F) → (dx (N, H, W, Cin) or None, dkernel, dbias).

    dx is the forward convolution of dy with the same kernel; dkernel is conv2d's kernel
    gradient with dy as the image and x as the output gradient.
    """
    dx, (dyp, _, _) = C.conv2d(dy, kernel, None, stride, padding, dilation, groups, workspace=workspace,
                               method="im2col")  # its cache, the padded dy, serves dkernel below
    dx = dx[:, : x.shape[1], : x.shape[2]]  # output padding ≥ stride adds a row the forward never read
    # x as the output gradient of the convolution of dy: its patches gathered again for x's size
    _, dkernel, _ = C.conv2d_backward(x, (dyp, dy.shape, None), kernel, stride, padding, dilation, groups,
                                      input_grad=False)
    dbias = C.bias_grad(dy, workspace)
    return (dx if input_grad else None), dkernel, dbias
