"""Which fast method each layer uses: the one table, its rules, and the measurements behind them.

Every choice between algorithms in striate.functional.fast is made here, and every
tuned constant lives here. Each method gives the reference's numbers (up to float
rounding; the tests check every one against striate.functional); the rules only pick
the fastest. Measured on 2 cores (AVX-512 Xeon, OpenBLAS), float32 (the Winograd rows on
one core of an AMD EPYC, python -m benchmarks.conv_methods, medians of 9 interleaved
rounds on a busy machine)::

  decision              method        rule (see the functions below)             measured
  --------------------  ------------  -----------------------------------------  -----------------------------------
  conv method           winograd      3×3, stride 1, dilation 1, groups 1,       one training pass of one layer,
                        F(2×2, 3×3)   C ≥ WINOGRAD_MIN_CHANNELS, tiles' outputs  batch 64, one core, im2col →
                                      ≤ WINOGRAD_MAX_WASTE × the layer's         winograd: 32→32 @ 28²: 47.6 → 39.2;
                                      (winograd.py)                              32→64 @ 14²: 34.2 → 27.1 ms;
                                                                                 64→64 @ 14²: 89.9 → 69.7 (PyTorch
                                                                                 48.0, 20.3, 70.1); the 4-conv net
                                                                                 478 → 574 images/s (PyTorch 535)
                        im2col        anything else                              C = 8 @ 28²: Winograd 1.23× slower,
                                                                                 7×7 images (8×8 computed) 1.35×;
                                                                                 C = 1 or 3: 3–5× slower
                        winograd4     never chosen (method="winograd4" forces    F(4×4, 3×3): 1.9–2.9× slower than
                                      it): more, longer transforms               F(2×2) on every layer above; ten
                                                                                 times the float32 rounding
  conv Winograd chunk   images        (m+2)²·tiles·max(C, F) numbers ≈           2 images at 28²×32, 4 at 14²×64:
                                      WINOGRAD_CHUNK_BYTES                       1.1–1.6× faster than 1 or 8–16
  conv patches          chunks        batches in chunks of CHUNK_BYTES of        a chunk's patches stay in L2 for
                                      patches                                    its product: half the traffic
                        whole         training, K·F ≤ SMALL_KERNEL and the       LeNet-5, 128 images a shard:
                                      batch's patches ≤ WHOLE_BYTES: gathered    9.7 → 8.3 ms a step; inference
                                      once, kept for backward                    is faster chunked (72k vs 62k/s)
  conv product          per image     K·F ≤ SMALL_KERNEL                         K = 25, F = 6: one long thin
                        one product   otherwise                                  product 26 GFLOP/s, per image
                                                                                 1.2–2.6× faster
  conv input gradient   band          groups = 1, C·Wp/kw ≤ BAND_CROSSOVER,      LeNet-5 layer 2 at 32 images:
                                      Wp/kw ≤ BAND_MAX_WASTE, band ≤             0.98 → 0.52 ms; over 26 shapes
                                      BAND_MAX_BYTES                             it loses beyond (2.6× at C = 64)
                        full          stride 1 and F·N·H·W ≤ 2·C·M               a plain convolution of dy: no
                                                                                 scatter
                        shift         stride 1, groups = 1 (many filters for     kh·kw long adds instead of
                                      few channels)                              kh·kw·C short ones
                        taps          anything else                              one product per tap, added back
                        full          after Winograd, always: a convolution of   32→3 @ 28², 64 images, one core:
                                      dy (F channels in), its method by this     Winograd on 3 channels 7.0 ms,
                                      table                                      im2col 2.6 ms
  conv bias, grouped    wide rows     F < BIAS_MAX_FILTERS, M ≥ 8 rows of        F = 6: 4× faster than a
                                      BIAS_ROW                                   broadcast over 6 numbers a row
  max/avg pooling       tiles         stride = kernel, no padding, sizes         1.3–1.8× faster than the taps;
                                      divisible                                  batch-1 latency 70 → 61 µs
                        taps          otherwise                                  running max of kh·kw slices
  max pooling backward  mask          tiles and x ≥ POOL_MASK_BYTES: one         (64, 28, 28, 32): 0.47–0.62× the
                                      broadcast comparison with y, one           taps' time; (128, 28, 28, 6):
                                      product with dy                            0.60–0.67×; (96, 28, 28, 6): 0.8×;
                        taps          otherwise: tap by tap, first winner        LeNet-5 at 64 images (1.2 MB) and
                                                                                 its shards: 1.0–1.08×, no gain

K = kh·kw·C (one patch), F filters, M = N·Ho·Wo output pixels, Wp the padded width.
"""

from __future__ import annotations

from ..shapes import NO_PADDING

CHUNK_BYTES = 3 << 20  # patches per chunk: about what a core's L2 cache holds
SMALL_KERNEL = 4096  # K·F at or below which a layer's products go image by image
WHOLE_BYTES = 16 << 20  # most patches a small-kernel layer gathers at once (and keeps for backward)
BAND_CROSSOVER = 32  # C · Wp / kw at which the band's wasted multiply-adds stop paying
BAND_MAX_WASTE = 4  # Wp / kw: beyond, the band loses whatever the channels (C = 1 on wide images)
BAND_MAX_BYTES = 8 << 20  # the band matrix itself
BIAS_ROW = 4096  # numbers per row when a few filters' bias is added as one long row
BIAS_MAX_FILTERS = 64  # more filters than this: a plain broadcast's inner loop is long enough
POOL_MASK_BYTES = 3 << 19  # 1.5 MB of pooling input, from which a tiled max-pool backward is one comparison

WINOGRAD_MIN_CHANNELS = 16  # C below which a 3×3 layer stays on im2col (the first layer, C = 1 or 3)
WINOGRAD_MAX_WASTE = 1.25  # outputs its tiles compute (2×2 each, one extra tile a row) ÷ the layer's outputs
WINOGRAD_CHUNK_BYTES = 800 << 10  # V or M (whichever is larger) per chunk of images: both stay in L2

INPUT_GRAD_METHODS = ("band", "full", "shift", "taps")
CONV_METHODS = ("im2col", "winograd", "winograd4")  # winograd: F(2×2, 3×3); winograd4: F(4×4, 3×3)
POOL_BACKWARD_METHODS = ("mask", "taps")


def chunks(n: int, bytes_per_image: int, chunk_bytes: int | None = None):
    """(start, stop) ranges covering 0..n, each about chunk_bytes (CHUNK_BYTES) of patches."""
    limit = CHUNK_BYTES if chunk_bytes is None else chunk_bytes
    if 0 < n * bytes_per_image <= limit:
        return [(0, n)]  # the common case for small batches, without the arithmetic
    step = max(1, min(n, limit // max(bytes_per_image, 1)))
    return [(s, min(s + step, n)) for s in range(0, n, step)]


def small_kernel(k: int, f: int) -> bool:
    """Whether a (K, F) kernel matrix is small enough for per-image products."""
    return k * f <= SMALL_KERNEL


def patch_chunks(n: int, pixels: int, k: int, f: int, groups: int, itemsize: int, training: bool,
                 chunk_bytes: int | None = None):
    """The batch chunks in which a convolution gathers its patches: the whole batch in
    training for a small kernel that fits WHOLE_BYTES (chunk_bytes, when given, bounds
    both), else cache-sized chunks."""
    per_image = pixels * k * groups * itemsize
    whole_bytes = WHOLE_BYTES if chunk_bytes is None else chunk_bytes
    if training and small_kernel(k, f) and n * per_image <= whole_bytes:
        return [(0, n)]
    return chunks(n, per_image, chunk_bytes)


def band_fits(x_shape, kernel_shape, padding, itemsize: int = 4) -> bool:
    """Whether the band product beats the other input-gradient methods (see band.py)."""
    (_, _), (l, r) = padding
    c, wp = x_shape[3], x_shape[2] + l + r
    kh, kw, _, f = kernel_shape
    small = c * wp <= BAND_CROSSOVER * kw and wp <= BAND_MAX_WASTE * kw
    return small and wp * f * kh * wp * c * itemsize <= BAND_MAX_BYTES  # (Wo ≤ Wp: a bound on the band's size)


def input_grad_method(x_shape, kernel_shape, dy_shape, stride, padding, groups: int, itemsize: int = 4) -> str:
    """The input-gradient method of a convolution, by the rules in the table above."""
    n, h, w, c = x_shape
    f = kernel_shape[3]
    m = dy_shape[0] * dy_shape[1] * dy_shape[2]
    if groups == 1 and band_fits(x_shape, kernel_shape, padding, itemsize):
        return "band"
    if tuple(stride) == (1, 1) and f * n * h * w <= 2 * c * m:
        return "full"
    if tuple(stride) == (1, 1) and groups == 1:
        return "shift"
    return "taps"


def check_input_grad_method(method: str, stride, groups: int) -> None:
    """ValueError unless `method` is one of INPUT_GRAD_METHODS and applies to this layer."""
    if method not in INPUT_GRAD_METHODS:
        raise ValueError(f"conv2d_backward: dx_method must be one of {', '.join(INPUT_GRAD_METHODS)}, "
                         f"got {method!r}")
    if method in ("full", "shift") and tuple(stride) != (1, 1):
        raise ValueError(f"conv2d_backward: dx_method {method!r} needs stride 1, got {tuple(stride)}")
    if method in ("band", "shift") and groups != 1:
        raise ValueError(f"conv2d_backward: dx_method {method!r} needs groups = 1, got {groups}")


def wide_bias_add(m: int, f: int) -> bool:
    """Whether a bias over few filters is added to an (M, F) output as rows of BIAS_ROW
    numbers (4× faster for F = 6) rather than a plain broadcast; small outputs: plain."""
    return f < BIAS_MAX_FILTERS and m >= 8 * (BIAS_ROW // f)


def winograd_applies(kernel_shape, stride, dilation, groups: int) -> bool:
    """Whether Winograd's F(m×m, 3×3) computes this convolution: 3×3, stride 1, dilation 1, one group."""
    return (tuple(kernel_shape[:2]) == (3, 3) and tuple(stride) == (1, 1) and tuple(dilation) == (1, 1)
            and groups == 1)


def conv_method(x_shape, kernel_shape, stride, dilation, groups: int, padding=((1, 1), (1, 1))) -> str:
    """The method of a convolution's forward and backward, by the rules in the table above.

    padding ((top, bottom), (left, right)) sets the output size, hence the tiles' waste;
    the default is a 3×3 layer's "same".
    """
    if not winograd_applies(kernel_shape, stride, dilation, groups) or x_shape[3] < WINOGRAD_MIN_CHANNELS:
        return "im2col"
    (t, b), (l, r) = padding
    ho, wo = x_shape[1] + t + b - 2, x_shape[2] + l + r - 2
    if ho <= 0 or wo <= 0:  # no output pixel: nothing to compute (or an input too small, refused by im2col)
        return "im2col"
    th, tw = -(-ho // 2), -(-wo // 2)
    return "winograd" if 4 * th * (tw + 1) <= WINOGRAD_MAX_WASTE * ho * wo else "im2col"


def check_conv_method(method: str, kernel_shape, stride, dilation, groups: int) -> None:
    """ValueError unless `method` is one of CONV_METHODS and applies to this layer."""
    if method not in CONV_METHODS:
        raise ValueError(f"conv2d: method must be one of {', '.join(CONV_METHODS)}, got {method!r}")
    if method != "im2col" and not winograd_applies(kernel_shape, stride, dilation, groups):
        raise ValueError(f"conv2d: method {method!r} needs a 3×3 kernel, stride 1, dilation 1 and groups = 1, "
                         f"got kernel {tuple(kernel_shape[:2])}, stride {tuple(stride)}, "
                         f"dilation {tuple(dilation)}, groups {groups}")


def winograd_chunk(tiles_per_image: int, c: int, f: int, m: int, itemsize: int = 4) -> int:
    """Images per chunk of a Winograd convolution: its transformed input V or products M,
    (m+2)² · tiles · max(C, F) numbers, about WINOGRAD_CHUNK_BYTES."""
    return max(1, WINOGRAD_CHUNK_BYTES // ((m + 2) ** 2 * max(tiles_per_image, 1) * max(c, f, 1) * itemsize))


def pool_tiles(x_shape, kernel, stride, padding) -> bool:
    """Whether pooling windows are non-overlapping tiles that cover x exactly (2×2, stride 2)."""
    return (tuple(stride) == tuple(kernel) and padding == NO_PADDING
            and x_shape[1] % kernel[0] == 0 and x_shape[2] % kernel[1] == 0)


def pool_backward_method(x_shape, itemsize: int, kernel, stride, padding) -> str:
    """The max-pooling backward method, by the rule in the table above."""
    nbytes = itemsize
    for d in x_shape:
        nbytes *= d
    return "mask" if pool_tiles(x_shape, kernel, stride, padding) and nbytes >= POOL_MASK_BYTES else "taps"


def check_pool_backward_method(method: str, x_shape, kernel, stride, padding) -> None:
    """ValueError unless `method` is one of POOL_BACKWARD_METHODS and applies to this pooling."""
    if method not in POOL_BACKWARD_METHODS:
        raise ValueError(f"max_pool2d_backward: method must be one of {', '.join(POOL_BACKWARD_METHODS)}, "
                         f"got {method!r}")
    if method == "mask" and not pool_tiles(x_shape, kernel, stride, padding):
        raise ValueError(f"max_pool2d_backward: method 'mask' needs windows that tile the input (stride = kernel, "
                         f"no padding, sizes divisible), got kernel {tuple(kernel)}, stride {tuple(stride)}, "
                         f"input {tuple(x_shape)}")
