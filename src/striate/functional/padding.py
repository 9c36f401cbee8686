"""Padding by reflection, replication or wrap-around (Conv2D's padding_mode), forward and backward.

Along one axis of length n padded by (before, after), every padded position reads one
input position, its *source*::

    reflect     d c b | a b c d | c b a      mirror without repeating the edge (pad < n)
    replicate   a a a | a b c d | d d d      the edge repeated
    circular    b c d | a b c d | a b c      wrap around, as on a torus (pad ≤ n)

so padding is a gather x[source] along H, then along W, and its backward a
scatter-add: each border row or column of dxp is added back onto its source.
"""

from __future__ import annotations

import numpy as np

from .shapes import Padding

MODES = ("zeros", "reflect", "replicate", "circular")


def sources(n: int, before: int, after: int, mode: str) -> np.ndarray:
    """Source index of each of the n + before + after padded positions along one axis."""
    i = np.arange(-before, n + after)
    if mode == "reflect":
        period = 2 * (n - 1)
        i = np.abs(i) % period if period else np.zeros_like(i)
        return np.where(i >= n, period - i, i)
    if mode == "replicate":
        return np.clip(i, 0, n - 1)
    if mode == "circular":
        return i % n
    raise ValueError(f"padding mode must be one of {', '.join(MODES[1:])}, got {mode!r}")


def check_padding(in_hw, padding: Padding, mode: str, owner: str) -> None:
    """reflect needs pad < size (an edge is never its own mirror), circular pad ≤ size."""
    for axis, (n, pads) in enumerate(zip(in_hw, padding)):
        if n is None or mode not in ("reflect", "circular"):
            continue  # an unknown size is checked when the input arrives
        limit = n - 1 if mode == "reflect" else n
        if max(pads) > limit:
            raise ValueError(
                f"{owner}: padding_mode={mode!r} needs padding of at most {limit} for an input "
                f"{('height', 'width')[axis]} of {n}, got padding {pads}"
            )


def pad2d(x, padding: Padding, mode: str) -> np.ndarray:
    """Pad (N, H, W, C) by ((top, bottom), (left, right)) → (N, H + t + b, W + l + r, C)."""
    (t, b), (l, r) = padding
    _, h, w, _ = x.shape
    return x[:, sources(h, t, b, mode)][:, :, sources(w, l, r, mode)]


def pad2d_backward(dxp, x_shape, padding: Padding, mode: str) -> np.ndarray:
    """Fold the gradient of the padded array back onto the input: dxp → dx (N, H, W, C)."""
    (t, b), (l, r) = padding
    _, h, w, _ = x_shape
    dx = _fold(dxp, 2, sources(w, l, r, mode), l, w)
    return _fold(dx, 1, sources(h, t, b, mode), t, h)


def _fold(dp, axis: int, src: np.ndarray, before: int, n: int) -> np.ndarray:
    """Sum along `axis` the padded positions onto their sources; only the thin border loops."""
    inner = [slice(None)] * dp.ndim
    inner[axis] = slice(before, before + n)
    d = dp[tuple(inner)].copy()
    for k in [*range(before), *range(before + n, dp.shape[axis])]:
        to, frm = [slice(None)] * dp.ndim, [slice(None)] * dp.ndim
        to[axis], frm[axis] = src[k], k
        d[tuple(to)] += dp[tuple(frm)]
    return d
