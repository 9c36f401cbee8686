"""Backward passes written out: where max pooling sends the gradient, and a convolution's
weight, bias and input gradients as correlations."""

from __future__ import annotations

import numpy as np

from .. import functional as F
from .text import matrix, number, side_by_side, times, windowed


def pool_backward(x, dy, size: int = 2) -> str:
    """Max pooling's backward pass on a 2-D `x`: each window's gradient goes to its maximum."""
    x, dy = np.asarray(x, np.float64), np.asarray(dy, np.float64)
    x4 = x[None, :, :, None]
    y4, switches = F.max_pool2d(x4, (size, size), (size, size))
    if dy.shape != y4.shape[1:3]:
        raise ValueError(f"explain backward: --grad must be {y4.shape[1]}×{y4.shape[2]} (the pooled output), "
                         f"got {dy.shape[0]}×{dy.shape[1]}")
    dx = F.max_pool2d_backward(dy[None, :, :, None], switches, (size, size), (size, size))[0, :, :, 0]
    lines = [f"1. Max pooling ({size}×{size}, stride {size}) backward", "",
             "Only the maximum of each window made it to the output, so only it receives that",
             "output's gradient; the other pixels of the window get 0 (nudging them changes nothing).", ""]
    lines += side_by_side([matrix(x), matrix(y4[0, :, :, 0]), matrix(dy)], ["input x", "output y", "upstream dy"])
    lines.append("")
    for i in range(dy.shape[0]):
        for j in range(dy.shape[1]):
            r, c = i * size, j * size
            win = x[r : r + size, c : c + size]
            a, b = np.unravel_index(np.argmax(win), win.shape)
            lines.append(f"dy[{i},{j}] = {number(dy[i, j])} goes to x[{r + a},{c + b}] = {number(win[a, b])}, "
                         f"the max of its window")
    lines += ["", "dx"] + matrix(dx)
    return "\n".join(lines)


def conv_backward(x, kernel, dy) -> str:
    """A stride-1 convolution's gradients: dk = x ⋆ dy, db = Σ dy, dx = pad(dy) ⋆ rot180(k)."""
    x, kernel, dy = (np.asarray(a, np.float64) for a in (x, kernel, dy))
    kh, kw = kernel.shape
    ho, wo = x.shape[0] - kh + 1, x.shape[1] - kw + 1
    if ho < 1 or wo < 1:
        raise ValueError(f"explain backward: the {kh}×{kw} kernel does not fit the {x.shape[0]}×{x.shape[1]} input")
    if dy.shape != (ho, wo):
        raise ValueError(f"explain backward: --grad must be {ho}×{wo} (the convolution's output), "
                         f"got {dy.shape[0]}×{dy.shape[1]}")
    x4, k4, dy4 = x[None, :, :, None], kernel[:, :, None, None], dy[None, :, :, None]
    _, cache = F.conv2d(x4, k4)
    dx, dk, db = F.conv2d_backward(dy4, cache, k4)
    dx, dk = dx[0, :, :, 0], dk[:, :, 0, 0]
    lines = [f"2. Convolution ({kh}×{kw} kernel, stride 1) backward", "",
             "Forward, y[i,j] = Σ_r Σ_c x[i+r, j+c] · k[r,c]. Weight k[r,c] touched x[i+r, j+c] for every",
             "output (i, j), so its gradient adds up x[i+r, j+c] · dy[i,j] over all outputs:", "",
             "    dk[r,c] = Σ_i Σ_j x[r+i, c+j] · dy[i,j]",
             "",
             "the same sliding window as the forward pass, over the input, with the output gradient",
             f"dy ({ho}×{wo}) in place of the kernel: the weight gradient is the input correlated with dy.", ""]
    lines += side_by_side([matrix(x), matrix(kernel), matrix(dy)], ["input x", "kernel k", "upstream dy"])
    lines.append("")
    for r in range(kh):
        for c in range(kw):
            win = x[r : r + ho, c : c + wo]
            terms = " + ".join(times(a, b) for a, b in zip(win.ravel(), dy.ravel()) if b != 0)
            if r == 0 and c == 0:
                lines.append(f"dk[0,0]: dy laid over x at rows 0–{ho - 1}, columns 0–{wo - 1}")
                lines += windowed(x, range(0, ho), range(0, wo))
            note = "   (terms with dy = 0 left out)" if r == c == 0 and (dy == 0).any() else ""
            lines.append(f"dk[{r},{c}] = {terms or '0'} = {number(dk[r, c])}{note}")
    lines += ["", "dk"] + matrix(dk) + [""]
    lines += [f"Bias: it was added to every output, so db = Σ dy = {number(db[0])}", ""]
    flipped = kernel[::-1, ::-1]
    lines += ["Input: x[a,b] met k[r,c] in output (a−r, b−c), so dx[a,b] = Σ_r Σ_c dy[a−r, b−c] · k[r,c]:",
              f"dy padded with {kh - 1} zero{'s' if kh > 2 else ''} on every side, correlated with the kernel "
              "rotated 180°",
              "(a \"full\" convolution).", ""]
    lines += side_by_side([matrix(flipped), matrix(dx)], ["k rotated 180°", "dx"])
    by_hand_dk = np.array([[np.sum(x[r : r + ho, c : c + wo] * dy) for c in range(kw)] for r in range(kh)])
    padded = np.pad(dy, ((kh - 1, kh - 1), (kw - 1, kw - 1)))
    by_hand_dx = np.array([[np.sum(padded[a : a + kh, b : b + kw] * flipped) for b in range(x.shape[1])]
                           for a in range(x.shape[0])])
    agree = np.allclose(by_hand_dk, dk) and np.allclose(by_hand_dx, dx) and np.isclose(dy.sum(), db[0])
    lines += ["", "Checked: these sums " + ("equal" if agree else "DIFFER FROM")
              + " the dk, db and dx of striate.functional.conv2d_backward."]
    return "\n".join(lines)
