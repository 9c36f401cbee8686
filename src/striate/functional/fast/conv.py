"""2-D convolution on NHWC arrays, fast: equals striate.functional.conv (the reference).

The reference's im2col → one product → col2im, with the same results, made faster
(every choice below is made in algorithms.py, which holds the measurements)::

    x (N, H, W, C) --pad--> xp (N, Hp, Wp, C)
    cols[g] (N·Ho·Wo, kh·kw·Cg)   one row per output pixel: the patch it sees
    y[g] = cols[g] @ kernel[g]     kernel[g] (kh·kw·Cg, Fg)

- patches gathered a few images at a time into kept scratch buffers (patches.py), or,
  for small kernels in training, for the whole batch at once and kept in the cache, so
  that backward need not gather them again;
- ungrouped, cols carries one more column, all ones, and the kernel the bias as its last
  row: the product adds the bias, and backward's product gives dbias with dkernel;
- small kernel matrices multiplied image by image (BLAS is slow on one long thin product);
- the input gradient by one of four methods, none of them col2im's scatter::

    band   (few channels, small images) one product with the kernel as a band matrix (band.py)
    full   (stride 1) a convolution of dy with the kernel rotated 180°
    shift  (stride 1, many filters for few channels) shift and accumulate (shift.py)
    taps   (otherwise) for each kernel tap, dy @ kernel[tap]ᵀ added back where the tap read

A 3×3, stride-1, ungrouped layer with enough channels goes to Winograd's F(2×2, 3×3)
instead (winograd.py: 4 multiply-adds per output instead of 9, the rest adds);
algorithms.conv_method decides, and the cache's type tells backward which one made it.

Only the padded input xp (and, for small kernels in training, the patches) is cached,
so a layer's memory is its input, not kh·kw times it. `workspace` (a dict, optional)
lets a layer reuse its scratch buffers from one call to the next; the cache then holds
those buffers and stays valid until the next call with the same workspace (a layer keeps
one for training, another for inference: see workspace.py). Every choice can be forced
through a keyword argument (method, dx_method, chunk_bytes) for tests and benchmarks.
"""

from __future__ import annotations

import numpy as np

from .. import conv as reference
from ..im2col import output_hw, tap
from ..shapes import NO_PADDING, Padding, Pair
from . import algorithms as A
from .band import conv2d_input_grad_band
from .gemm import column_sum, dot
from .patches import im2col, pad_nhwc
from .shift import conv2d_input_grad_shift
from .winograd import WinogradCache, conv2d_winograd, conv2d_winograd_backward
from .workspace import buffer

grouped_kernel = reference.grouped_kernel


def conv2d(x, kernel, bias=None, stride: Pair = (1, 1), padding: Padding = NO_PADDING, dilation: Pair = (1, 1),
           groups: int = 1, *, workspace=None, training: bool = False, chunk_bytes: int | None = None,
           method: str | None = None):
    """Equals reference.conv2d: x (N, H, W, C), kernel (kh, kw, C/groups, F), bias (F,) →
    (y (N, Ho, Wo, F), cache for conv2d_backward).

    method: "im2col", "winograd" (F(2×2, 3×3)) or "winograd4" (F(4×4, 3×3); the last two
    for 3×3, stride 1, dilation 1, groups 1 only); None lets algorithms.conv_method choose.
    training: gather a small kernel's patches for the whole batch and keep them in the
    cache (algorithms.patch_chunks). chunk_bytes: patches per chunk (algorithms.CHUNK_BYTES).
    """
    if method is None:
        method = A.conv_method(x.shape, kernel.shape, stride, dilation, groups, padding)
    else:
        A.check_conv_method(method, kernel.shape, stride, dilation, groups)
    if method != "im2col":
        return conv2d_winograd(x, kernel, bias, padding, workspace=workspace, m=4 if method == "winograd4" else 2)
    n = x.shape[0]
    kh, kw, cg, f = kernel.shape
    ho, wo = output_hw(x.shape, kernel.shape, stride, padding, dilation)
    xp = pad_nhwc(x, padding, 0.0, workspace)
    y = np.empty((n * ho * wo, f), dtype=x.dtype)
    ones = groups == 1 and bias is not None  # the bias rides along in the product (see patches.im2col)
    if ones:  # the kernel with the bias as one more row
        gk = buffer(workspace, "kernel_bias", (1, kh * kw * cg + 1, f), kernel.dtype)
        gk[0, :-1] = kernel.reshape(-1, f)
        gk[0, -1] = bias
    else:
        gk = kernel.reshape(1, -1, f) if groups == 1 else grouped_kernel(kernel, groups)
    parts = A.patch_chunks(n, ho * wo, kh * kw * cg, f, groups, x.itemsize, training, chunk_bytes)
    for s, e in parts:
        cols = im2col(xp[s:e] if e - s < n else xp, (kh, kw), stride, dilation, (ho, wo), groups, workspace, ones)
        out = y[s * ho * wo : e * ho * wo]
        if groups == 1:
            patches_product(cols[0], gk[0], e - s, out)
        else:
            out.reshape(-1, groups, f // groups)[...] = np.matmul(cols, gk).transpose(1, 0, 2)
        if bias is not None and not ones:
            add_bias(out, bias)
    kept = cols if training and len(parts) == 1 else None  # the whole batch's: backward reuses them
    return y.reshape(n, ho, wo, f), (xp, x.shape, kept)


def add_bias(y2d, bias) -> None:
    """y2d (M, F) += bias (F,), in place.

    With few filters a plain broadcast runs NumPy's inner loop over just F numbers per
    row; viewing r rows as one long row of r·F against the bias tiled r times makes the
    inner loop long (4× faster for F = 6).
    """
    m, f = y2d.shape
    r = A.BIAS_ROW // f
    rows = m // r * r if A.wide_bias_add(m, f) else 0
    if rows:
        wide = y2d[:rows].reshape(-1, r * f)
        wide += np.tile(bias, r)
    if rows < m:
        y2d[rows:] += bias


def bias_grad(dy, workspace=None):
    """Σ dy over the batch and positions: dy (..., F) → (F,)."""
    return column_sum(dy.reshape(-1, dy.shape[-1]), workspace)


def conv2d_backward(dy, cache, kernel, stride: Pair = (1, 1), padding: Padding = NO_PADDING, dilation: Pair = (1, 1),
                    groups: int = 1, input_grad: bool = True, *, workspace=None, dx_method: str | None = None,
                    chunk_bytes: int | None = None, method: str | None = None):
    """Equals reference.conv2d_backward: dy (N, Ho, Wo, F) and conv2d's cache →
    (dx (N, H, W, C) or None, dkernel, dbias).

    The method is the one that made the cache; `method`, if given, must name it. After
    Winograd, dx is the "full" convolution of dy (conv2d_input_grad_full), whose own
    method the table picks from dy's F channels.
    dx_method (im2col only): "band", "full", "shift" or "taps" (see algorithms.py); None
    lets algorithms.input_grad_method choose. chunk_bytes: as in conv2d.
    """
    made_by = ("winograd4" if cache.m == 4 else "winograd") if isinstance(cache, WinogradCache) else "im2col"
    if method is not None and method != made_by:
        raise ValueError(f"conv2d_backward: method must be the one conv2d used ({made_by!r}), got {method!r}")
    if made_by != "im2col":
        if dx_method is not None:
            raise ValueError(f"conv2d_backward: dx_method applies to im2col only, got {dx_method!r} for {made_by}")
        _, dkernel, dbias = conv2d_winograd_backward(dy, cache, kernel, padding, False, workspace=workspace)
        # dx, a convolution of dy with F input channels, by the method the table picks for
        # it: Winograd again where F is large, im2col where it is few (2.7× faster for F = 3)
        dx = conv2d_input_grad_full(dy, kernel, cache.x_shape, padding, (1, 1), 1, workspace) if input_grad else None
        return dx, dkernel, dbias
    xp, x_shape, kept = cache
    n, ho, wo, f = dy.shape
    kh, kw, cg, _ = kernel.shape
    m = n * ho * wo
    k = kh * kw * cg
    dy_g = dy.reshape(m, groups, f // groups).transpose(1, 0, 2)  # (G, M, Fg)
    if kept is not None:  # the whole batch's patches, gathered by forward
        parts, ones = [(0, n)], kept.shape[2] == k + 1
    else:  # gathered again in cache-sized chunks, with the ones column: dbias comes free
        parts, ones = A.chunks(n, ho * wo * k * groups * dy.itemsize, chunk_bytes), groups == 1
    dkernel = np.zeros((groups, k + ones, f // groups), dtype=dy.dtype)
    part = np.empty_like(dkernel)
    for s, e in parts:
        cols = kept if kept is not None else im2col(xp[s:e], (kh, kw), stride, dilation, (ho, wo), groups,
                                                    workspace, ones)
        if groups == 1:
            kernel_grad(cols[0].T, dy_g[0, s * ho * wo : e * ho * wo], e - s, part[0])
        else:
            np.matmul(cols.transpose(0, 2, 1), dy_g[:, s * ho * wo : e * ho * wo], out=part)
        dkernel += part
    dbias = dkernel[0, k].copy() if ones else bias_grad(dy, workspace)  # Σ dy: the ones column's row
    dkernel = dkernel[:, :k].transpose(1, 0, 2).reshape(kh, kw, cg, f)
    if not input_grad:
        return None, dkernel, dbias
    if dx_method is None:
        dx_method = A.input_grad_method(x_shape, kernel.shape, dy.shape, stride, padding, groups, dy.itemsize)
    else:
        A.check_input_grad_method(dx_method, stride, groups)
    if dx_method == "band":
        dx = conv2d_input_grad_band(dy, kernel, x_shape, stride, padding, dilation, workspace)
    elif dx_method == "full":
        dx = conv2d_input_grad_full(dy, kernel, x_shape, padding, dilation, groups, workspace)
    elif dx_method == "shift":
        dx = conv2d_input_grad_shift(dy, kernel, x_shape, padding, dilation, workspace)
    else:
        dx = conv2d_input_grad_taps(dy_g, kernel, x_shape, stride, padding, dilation, workspace)
    return dx, dkernel, dbias


def patches_product(cols, kernel, images: int, out) -> None:
    """out (M, F) = cols (M, K) @ kernel (K, F), M = images · Ho·Wo.

    For a small kernel matrix (algorithms.small_kernel: the first layers, LeNet-5's) the
    product is done image by image, as one batched product: BLAS is slow on one very
    long, very thin product (26 GFLOP/s for K = 25, F = 6, M = 25,088) and 1.2–2.6×
    faster on the same work in per-image pieces. Larger kernels gain nothing from it.
    """
    m, k = cols.shape
    f = kernel.shape[1]
    if images > 1 and A.small_kernel(k, f):
        np.matmul(cols.reshape(images, m // images, k), kernel, out=out.reshape(images, m // images, f))
    else:
        dot(cols, kernel, out=out)


def kernel_grad(cols_t, dy2d, images: int, out) -> None:
    """out (K, F) = cols_t (K, M) @ dy2d (M, F), M = images · Ho·Wo; per image, then
    summed, for a small kernel matrix (see patches_product)."""
    k, f = out.shape
    if images > 1 and A.small_kernel(k, f):
        per_image = cols_t.reshape(k, images, -1).transpose(1, 0, 2)  # (images, K, Ho·Wo)
        np.sum(np.matmul(per_image, dy2d.reshape(images, -1, f)), axis=0, out=out)
    else:
        dot(cols_t, dy2d, out=out)


def flipped_kernel(kernel: np.ndarray, groups: int) -> np.ndarray:
    """The kernel of the "full" convolution that maps dy back to dx.

    Rotated 180° and with input and output channels swapped within each group:
    (kh, kw, Cg, G·Fg) → (kh, kw, Fg, G·Cg).
    """
    kh, kw, cg, f = kernel.shape
    k = kernel[::-1, ::-1].reshape(kh, kw, cg, groups, f // groups)
    return np.ascontiguousarray(k.transpose(0, 1, 4, 3, 2).reshape(kh, kw, f // groups, groups * cg))


def conv2d_input_grad_full(dy, kernel, x_shape, padding: Padding, dilation: Pair, groups: int, workspace=None):
    """dx of a stride-1 conv2d as a convolution itself, no scatter::

        dx = conv2d(dy padded by dilation·(k − 1) − pad, kernel rotated 180°, in/out swapped)

    Each input pixel sums, over the kernel taps that touched it, tap weight × the output
    gradient there; reading the taps backwards turns that sum into a plain convolution.
    Where the forward padding exceeds dilation·(k − 1), dy is cropped instead of padded.
    """
    kh, kw = kernel.shape[:2]
    (t, b), (l, r) = padding
    full = [dilation[0] * (kh - 1) - t, dilation[0] * (kh - 1) - b,
            dilation[1] * (kw - 1) - l, dilation[1] * (kw - 1) - r]
    crop = [max(-p, 0) for p in full]
    dy = dy[:, crop[0] : dy.shape[1] - crop[1], crop[2] : dy.shape[2] - crop[3]]
    pad = ((max(full[0], 0), max(full[1], 0)), (max(full[2], 0), max(full[3], 0)))
    ws = None if workspace is None else workspace.setdefault("full", {})
    dx, _ = conv2d(dy, flipped_kernel(kernel, groups), None, (1, 1), pad, dilation, groups, workspace=ws)
    return dx


def conv2d_input_grad_taps(dy_g, kernel, x_shape, stride: Pair, padding: Padding, dilation: Pair, workspace=None,
                           out_hw: Pair | None = None):
    """dx of conv2d from dy_g (G, N·Ho·Wo, Fg): one product per kernel tap, added back in place.

    The products come out as (kh·kw, G, M, Cg), so each tap's share is a contiguous
    block that is added to the strided slice of the padded input that tap read.
    out_hw (Ho, Wo) defaults to what x_shape gives; a transposed convolution passes its
    own input size, which output padding can make smaller than that.
    """
    n, h, w, c = x_shape
    kh, kw, cg, f = kernel.shape
    groups = dy_g.shape[0]
    (t, b), (l, r) = padding
    out_hw = out_hw or output_hw(x_shape, kernel.shape, stride, padding, dilation)
    taps = kernel.reshape(kh * kw, cg, groups, f // groups).transpose(0, 2, 3, 1)  # (kh·kw, G, Fg, Cg)
    share = np.matmul(dy_g[None], taps)  # (kh·kw, G, M, Cg)
    dxp = buffer(workspace, "dxp", (n, h + t + b, w + l + r, groups, cg), dy_g.dtype)
    dxp.fill(0)
    for i in range(kh):
        for j in range(kw):
            rows, cols = tap(stride, dilation, out_hw, i, j)
            dxp[:, rows, cols] += share[i * kw + j].reshape(groups, n, *out_hw, cg).transpose(1, 2, 3, 0, 4)
    return dxp.reshape(n, h + t + b, w + l + r, c)[:, t : t + h, l : l + w].copy()
