"""3×3 convolution by Winograd's minimal filtering F(m×m, 3×3): equals striate.functional.conv
(the reference) for stride 1, dilation 1, one group, any padding.

Why fewer multiplications. In one dimension, two outputs of a 3-tap filter g over
inputs d0…d3 take 6 multiplications directly (y0 = d0·g0 + d1·g1 + d2·g2, y1 = d1·g0 +
d2·g1 + d3·g2). Winograd's F(2, 3) takes 4: m1 = (d0 − d2)·g0, m2 = (d1 + d2)·(g0 + g1 +
g2)/2, m3 = (d2 − d1)·(g0 − g1 + g2)/2, m4 = (d1 − d3)·g2, then y0 = m1 + m2 + m3 and
y1 = m2 − m3 − m4: each product of a sum of inputs with a sum of taps serves both
outputs. Nested in rows and columns, a 2×2 output tile (36 multiplications directly)
takes 4 × 4 = 16, one per element of a 4×4 tile::

    Y = Aᵀ [ (G g Gᵀ) ⊙ (Bᵀ d B) ] A        d: 4×4 input tile, g: 3×3 kernel, ⊙ element-wise

         ⎡ 1  0 −1  0 ⎤        ⎡ 1    0    0  ⎤        ⎡ 1  1  1  0 ⎤
    Bᵀ = ⎢ 0  1  1  0 ⎥   G =  ⎢ 1/2  1/2  1/2⎥   Aᵀ = ⎣ 0  1 −1 −1 ⎦
         ⎢ 0 −1  1  0 ⎥        ⎢ 1/2 −1/2  1/2⎥
         ⎣ 0  1  0 −1 ⎦        ⎣ 0    0    1  ⎦

Bᵀ d B and Aᵀ … A are only adds and subtracts, G g Gᵀ is done once per kernel, so a
layer does 16/4 = 4 multiply-adds per output pixel, input channel and filter where the
reference's im2col does 9 (F(4×4, 3×3): 36/16 = 2.25). Across channels the element-wise
products become 16 matrix products (tiles, C) @ (C, F). winograd_transforms.py holds
the matrices (F(4×4, 3×3)'s too) and one tile worked through them; winograd_transform.py
their batched forms. The data flow, with shapes (T: a chunk's tiles, th·(tw + 1) per
image, th = ⌈Ho/m⌉, tw = ⌈Wo/m⌉; the extra tile a row is explained in winograd_transform)::

    x (N, H, W, C) ──pad_tiles──► xs (N, m, m, th+1, tw+1, C)   padded pixel (m·i + p, m·j + q)
      │                                                          at xs[n, p, q, i, j] (the cache)
      │  a few images at a time (algorithms.winograd_chunk: a chunk's V and M stay in cache)
      ▼
    V = Bᵀ d B    ((m+2)², T, C)       one matrix per position of the (m+2)×(m+2) tile
    M = V @ U     ((m+2)², T, F)       (m+2)² products (T, C) @ (C, F);  U = G g Gᵀ ((m+2)², C, F)
    M[1, 1] += b                        (Aᵀ's column 1 is all ones: b lands on every output)
    y = Aᵀ M A    (N, Ho, Wo, F)       each tile's m×m outputs

Backward, with the same tiles of the cached padded input::

    dx  = the same forward on dy padded by 2 − pad, with the kernel rotated 180° and
          C, F swapped (a stride-1 convolution's input gradient is a "full" convolution;
          fast.conv2d_backward runs that convolution by the method the table picks for
          dy's F channels, im2col where they are few)
    dM  = A dY Aᵀ ((m+2)², T, F)       the transpose of the output transform, per tile
    dU  = Σ_chunks Vᵀ @ dM ((m+2)², C, F) (V computed again: it is 4× the input's bytes,
                                         and its transform is the cheap part)
    dkernel = Gᵀ dU G,   dbias = Σ dy

Memory: only xs is cached (the padded input, as im2col's cache); V, M, dM and the
transforms' halves are one chunk's (one buffer each in the workspace, which every call
rewrites in full), so no scratch grows with the batch. F(2×2, 3×3) rounds like im2col in
float32 and float16; F(4×4, 3×3) has larger constants in its transforms and about ten
times the rounding error. With F(2×2, 3×3) a nan or inf input pixel reaches exactly the
outputs it reaches in the reference, an inf as nan where the reference has ±inf (the
transforms subtract it from itself); F(4×4, 3×3)'s denser Bᵀ spreads it over whole tiles.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from . import algorithms as A
from . import winograd_transform as W
from .gemm import column_sum
from .workspace import scratch


class WinogradCache(NamedTuple):
    """What conv2d_winograd keeps for its backward (its type tells conv2d_backward who made it).

    With a workspace, xs is the workspace's buffer: the cache stays valid until the next
    call with the same workspace (a layer keeps one for training, one for inference)."""
    xs: np.ndarray | None  # the padded input split by row and column phase (winograd_transform.pad_tiles);
    # None for an empty output
    x_shape: tuple
    tiles: tuple  # (th, tw)
    m: int


def conv2d_winograd(x, kernel, bias=None, padding=((0, 0), (0, 0)), *, workspace=None, m: int = 2,
                    chunk_images: int | None = None, name: str = "wino"):
    """Equals reference.conv2d with stride 1, dilation 1, groups 1: x (N, H, W, C), kernel
    (3, 3, C, F), bias (F,) or None → (y (N, Ho, Wo, F), WinogradCache).

    m: output tile side, 2 (F(2×2, 3×3)) or 4. chunk_images: images per chunk
    (default algorithms.winograd_chunk).
    """
    n, h, w, c = x.shape
    f = kernel.shape[3]
    (t, b), (l, r) = padding
    ho, wo = h + t + b - 2, w + l + r - 2
    if ho < 0 or wo < 0:
        raise ValueError(f"conv2d: a 3×3 kernel needs a padded input of at least 2×2 pixels (an empty output), "
                         f"got {h + t + b}×{w + l + r}")
    if ho == 0 or wo == 0:  # no tile at all, as the reference: an empty output, zero gradients
        return np.zeros((n, ho, wo, f), dtype=x.dtype), WinogradCache(None, x.shape, (0, 0), m)
    xs, tiles = W.pad_tiles(x, padding, m, workspace, name + "_pad")
    u = W.kernel_transform(kernel, m)
    y = tiles_product(xs, tiles, u, bias, m, workspace, chunk_images, name)
    if y.shape[1:3] != (ho, wo):  # the last tile row or column ran past the output
        y = y[:, :ho, :wo].copy()
    return y, WinogradCache(xs, x.shape, tiles, m)


def tiles_product(xs, tiles, u, bias, m: int, workspace, chunk_images, name: str):
    """y (N, m·th, m·tw, F) = Aᵀ [(Bᵀ d B) @ U (+ bias)] A over every tile of xs."""
    n, c, f = xs.shape[0], xs.shape[-1], u.shape[-1]
    th, tw = tiles
    s = m + 2
    y = np.empty((n, th, m, tw, m, f), dtype=xs.dtype)  # (N, m·th, m·tw, F), pixel (m·i + p, m·j + q)
    step = chunk_images or A.winograd_chunk(th * tw, c, f, m, xs.dtype.itemsize)
    for start in range(0, n, step):
        stop = min(start + step, n)
        buf = W.chunk_buffers(workspace, name, stop - start, tiles, c, f, m, xs.dtype)
        W.input_transform(xs[start:stop], tiles, m, buf["v"], buf["t"])
        np.matmul(buf["v"], u, out=buf["m"])
        if bias is not None:  # position (1, 1): Aᵀ's column 1 is all ones, b lands on every output
            buf["m"][s + 1] += bias
        W.output_transform(buf["m"], tiles, m, y[start:stop], buf["z"], buf["y"])
    return y.reshape(n, m * th, m * tw, f)


def conv2d_winograd_backward(dy, cache: WinogradCache, kernel, padding, input_grad: bool = True, *,
                             workspace=None, chunk_images: int | None = None):
    """Equals reference.conv2d_backward for conv2d_winograd's layers: dy (N, Ho, Wo, F) and
    its cache → (dx (N, H, W, C) or None, dkernel (3, 3, C, F), dbias (F,))."""
    xs, x_shape, tiles, m = cache
    n, ho, wo, f = dy.shape
    c = x_shape[3]
    th, tw = tiles
    s = m + 2
    if dy.size == 0:  # no images, or an empty output: nothing flowed through the kernel
        dx = np.zeros(x_shape, dtype=dy.dtype) if input_grad else None
        return dx, np.zeros((3, 3, c, f), dtype=dy.dtype), np.zeros(f, dtype=dy.dtype)
    whole = (ho, wo) == (m * th, m * tw)  # else the tiles run past the output: dY is zero there
    dy = np.ascontiguousarray(dy)
    du = np.zeros((s * s, c, f), dtype=dy.dtype)
    step = chunk_images or A.winograd_chunk(th * tw, c, f, m, dy.dtype.itemsize)
    for start in range(0, n, step):
        stop = min(start + step, n)
        nc = stop - start
        if whole:
            dyp = dy[start:stop]
        else:  # this chunk's dy, zero-padded to whole tiles (scratch: its zeros are written each time)
            dyp = scratch(workspace, "wino_dy", (nc, m * th, m * tw, f), dy.dtype)
            dyp[:, ho:] = 0
            dyp[:, :ho, wo:] = 0
            dyp[:, :ho, :wo] = dy[start:stop]
        buf = W.chunk_buffers(workspace, "wino", nc, tiles, c, f, m, dy.dtype)
        dm = W.gradient_buffer(workspace, "wino", nc, tiles, f, m, dy.dtype)
        x = None if m == 2 else W.gradient_buffer(workspace, "wino_x", nc, tiles, f, m, dy.dtype)[:m * s]
        W.input_transform(xs[start:stop], tiles, m, buf["v"], buf["t"])
        W.output_transform_backward(dyp.reshape(nc, th, m, tw, m, f), m, dm, x)
        du += np.matmul(buf["v"].transpose(0, 2, 1), dm)
    if m == 2:
        du *= W.DM_SIGNS2
    dkernel = W.kernel_transform_backward(du, m)
    dbias = column_sum(dy.reshape(-1, f), workspace)
    if not input_grad:
        return None, dkernel, dbias
    return input_grad_winograd(dy, kernel, x_shape, padding, m, workspace, chunk_images), dkernel, dbias


def input_grad_winograd(dy, kernel, x_shape, padding, m: int = 2, workspace=None, chunk_images=None):
    """dx of a stride-1 3×3 convolution: the "full" convolution of dy, by Winograd::

        dx = conv2d(dy padded by 2 − pad, kernel rotated 180° with C and F swapped)
    """
    (t, b), (l, r) = padding
    flipped = np.ascontiguousarray(kernel[::-1, ::-1].transpose(0, 1, 3, 2))  # (3, 3, F, C)
    ws = None if workspace is None else workspace.setdefault("wino_dx", {})
    dx, _ = conv2d_winograd(dy, flipped, None, ((2 - t, 2 - b), (2 - l, 2 - r)), workspace=ws, m=m,
                            chunk_images=chunk_images)
    return dx  # (N, H, W, C): Ho + (2 − t) + (2 − b) − 2 = H
