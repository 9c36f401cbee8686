"""Forward passes written out step by step: convolution, pooling, ReLU, softmax.

Each function takes small NumPy arrays and returns the explanation as text; the numbers
come from striate's own kernels (striate.functional), so the text and the library agree.
"""

from __future__ import annotations

import numpy as np

from .. import functional as F
from ..arithmetic import size_text
from .text import matrix, number, side_by_side, times, windowed


def _steps_note(shown: int, total: int) -> list[str]:
    return [] if shown >= total else [f"… {total - shown} more positions, computed the same way", ""]


def _output_size(n_h, n_w, k, stride, padding) -> tuple[int, int, list[str]]:
    hs = size_text(n_h, k[0], stride, (padding, padding))
    ws = size_text(n_w, k[1], stride, (padding, padding))
    ho, wo = int(hs.rsplit("= ", 1)[1]), int(ws.rsplit("= ", 1)[1])
    lines = [f"output size: {hs}"] if hs == ws else [f"output height: {hs}", f"output width:  {ws}"]
    return ho, wo, lines + [f"so the output is {ho}×{wo}", ""]


def conv(x, kernel, stride: int = 1, padding: int = 0, steps: int | None = None) -> str:
    """Slide `kernel` over `x` (both 2-D) and write out every window's sum of products."""
    x, kernel = np.asarray(x, np.float64), np.asarray(kernel, np.float64)
    kh, kw = kernel.shape
    if stride < 1 or padding < 0:
        raise ValueError(f"explain conv: stride must be ≥ 1 and padding ≥ 0, got {stride} and {padding}")
    xp = np.pad(x, padding)
    if kh > xp.shape[0] or kw > xp.shape[1]:
        raise ValueError(f"explain conv: the {kh}×{kw} kernel does not fit the {xp.shape[0]}×{xp.shape[1]} "
                         f"(padded) input")
    y, _ = F.conv2d(x[None, :, :, None], kernel[:, :, None, None], None, (stride, stride),
                    ((padding, padding), (padding, padding)))
    y = y[0, :, :, 0]
    lines = [f"Convolution of a {x.shape[0]}×{x.shape[1]} input with a {kh}×{kw} kernel "
             f"(stride {stride}, padding {padding})", "",
             "Like every deep-learning library, striate computes a cross-correlation: the kernel",
             "slides over the input as it is (not flipped), and each output value is the sum of",
             "the window it covers times the kernel, element by element.", ""]
    titles = ["input x" + (f" (zero-padded by {padding} on each side)" if padding else ""), "kernel k"]
    lines += side_by_side([matrix(xp), matrix(kernel)], titles) + [""]
    ho, wo, size_lines = _output_size(x.shape[0], x.shape[1], (kh, kw), stride, padding)
    lines += size_lines
    total = ho * wo
    shown = total if steps is None else min(steps, total)
    for n in range(shown):
        i, j = divmod(n, wo)
        r, c = i * stride, j * stride
        window = xp[r : r + kh, c : c + kw]
        products = [" + ".join(times(a, b) for a, b in zip(wr, kr)) for wr, kr in zip(window, kernel)]
        sums = [("  " if t == 0 else "+ ") + p for t, p in enumerate(products)] + [f"= {number(y[i, j])}"]
        lines.append(f"y[{i},{j}]: the window at rows {r}–{r + kh - 1}, columns {c}–{c + kw - 1}")
        lines += side_by_side([windowed(xp, range(r, r + kh), range(c, c + kw)), sums], gap=4)
        lines.append("")
    lines += _steps_note(shown, total)
    lines += ["output y = x ⋆ k"] + matrix(y)
    return "\n".join(lines)


def pool(x, size: int = 2, stride: int | None = None, mode: str = "max", steps: int | None = None) -> str:
    """Max (or average) pooling of a 2-D `x`, window by window."""
    x = np.asarray(x, np.float64)
    stride = size if stride is None else stride
    if mode not in ("max", "avg"):
        raise ValueError(f"explain pool: mode must be 'max' or 'avg', got {mode!r}")
    if size < 1 or stride < 1 or size > min(x.shape):
        raise ValueError(f"explain pool: a {size}×{size} window with stride {stride} does not fit a "
                         f"{x.shape[0]}×{x.shape[1]} input")
    x4, window, step = x[None, :, :, None], (size, size), (stride, stride)
    y = (F.max_pool2d(x4, window, step)[0] if mode == "max" else F.avg_pool2d(x4, window, step))[0, :, :, 0]
    name = "Max" if mode == "max" else "Average"
    lines = [f"{name} pooling of a {x.shape[0]}×{x.shape[1]} input, {size}×{size} windows, stride {stride}", "",
             "input x"] + matrix(x) + [""]
    ho, wo, size_lines = _output_size(x.shape[0], x.shape[1], (size, size), stride, 0)
    lines += size_lines
    total = ho * wo
    shown = total if steps is None else min(steps, total)
    for n in range(shown):
        i, j = divmod(n, wo)
        r, c = i * stride, j * stride
        values = ", ".join(number(v) for v in x[r : r + size, c : c + size].ravel())
        what = f"max({values})" if mode == "max" else f"({values.replace(', ', ' + ')})/{size * size}"
        lines.append(f"y[{i},{j}] = {what} = {number(y[i, j])}")
        lines += windowed(x, range(r, r + size), range(c, c + size)) + [""]
    lines += _steps_note(shown, total)
    lines += ["output y"] + matrix(y) + [""]
    if mode == "max":
        lines += ["Pooling has no parameters to learn: each output keeps the strongest response in",
                  "its window, so the map shrinks while what was detected, and roughly where, remains."]
    else:
        lines += ["Pooling has no parameters to learn: each output is the mean of its window."]
    return "\n".join(lines)


def relu(x, dy=None) -> str:
    """ReLU forward, value by value, and its backward pass: the gradient passes where x > 0."""
    x = np.atleast_2d(np.asarray(x, np.float64))
    dy = np.ones_like(x) if dy is None else np.atleast_2d(np.asarray(dy, np.float64))
    if dy.shape != x.shape:
        raise ValueError(f"explain relu: --grad must have the shape of --input {x.shape}, got {dy.shape}")
    y = F.relu(x)
    lines = ["ReLU: y = max(x, 0), value by value", "", "input x"] + matrix(x) + [""]
    lines += [f"max({number(a)}, 0) = {number(b)}" for a, b in zip(x.ravel(), y.ravel())] + [""]
    lines += ["output y"] + matrix(y) + [""]
    lines += ["Backward: dy/dx is 1 where x > 0 and 0 elsewhere (0 is taken at x = 0), so the",
              "upstream gradient dy passes through where the unit was active and stops elsewhere.", ""]
    mask = (x > 0).astype(np.float64)
    lines += side_by_side([matrix(dy), matrix(mask), matrix(dy * mask)],
                          ["upstream dy", "x > 0", "dx = dy · (x > 0)"])
    return "\n".join(lines)


def softmax(logits, label: int | None = 0) -> str:
    """Softmax of a vector of logits, then cross-entropy with `label` and its gradient."""
    z = np.asarray(logits, np.float64).ravel()
    if z.size < 2:
        raise ValueError(f"explain softmax: give at least two logits, got {z.size}")
    p = F.softmax(z)
    shifted = z - z.max()
    e = np.exp(shifted)
    vec = lambda a: "[" + ", ".join(number(v) for v in a) + "]"  # noqa: E731 - local formatter
    steps = [("logits z", f"{vec(z)}"),
             (f"subtract the max ({number(z.max())})", f"{vec(shifted)}   (same result; exp never overflows)"),
             ("exponentiate e^(z − max)", vec(e)),
             ("sum", f"{' + '.join(number(v) for v in e)} = {number(e.sum())}"),
             ("divide: p = e / sum", f"{vec(p)}   (sums to {number(p.sum())})")]
    width = max(len(label_) for label_, _ in steps)
    lines = ["Softmax: turn scores (logits) into probabilities that sum to 1", ""]
    lines += [f"{label_.ljust(width)}   {value}" for label_, value in steps] + [""]
    if label is not None:
        if not 0 <= label < z.size:
            raise ValueError(f"explain softmax: --label must lie in 0..{z.size - 1}, got {label}")
        onehot = np.eye(z.size)[label]
        # −ln p[label] from the shifted logits (log-sum-exp): finite even when p[label] rounds to 0
        loss = float(np.log(e.sum()) - shifted[label])
        lines += [f"Cross-entropy with the true class {label}: loss = −ln p[{label}] = ln(sum) − (z[{label}] − max) "
                  f"= {number(np.log(e.sum()))} − ({number(shifted[label])}) = {number(loss)}"
                  + (f"   (p[{label}] underflows to 0 in floating point; the logits give −ln p exactly)"
                     if p[label] < 1e-300 else ""),
                  f"Its gradient with respect to the logits is p − onehot({label}):",
                  f"  {vec(p)} − {vec(onehot)} = {vec(p - onehot)}",
                  "The true class's score is pushed up, every other score down in proportion to its probability."]
    return "\n".join(lines)
