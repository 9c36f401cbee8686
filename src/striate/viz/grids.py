"""Kernels and feature maps as grids of small images."""

from __future__ import annotations

import numpy as np

from .backend import figure, grid_shape, save, show

MAX_MAPS = 64


def filters(kernel, path, title: str, max_filters: int = 64):
    """A conv layer's kernels (kh, kw, C, F) as a PNG grid.

    RGB inputs (C = 3): one colour picture per filter, 0 as mid-grey. Otherwise one
    panel per filter and input channel (rows: filters) in red (positive weights) and blue
    (negative), all on one scale.
    """
    k = np.asarray(kernel, np.float64)
    if k.ndim != 4:
        raise ValueError(f"filters: expected a conv kernel (kh, kw, C, F), got shape {k.shape}")
    kh, kw, c, f = k.shape
    f_shown = min(f, max_filters)
    top = float(np.abs(k).max()) or 1.0
    if c == 3:
        rows, cols = grid_shape(f_shown)
        fig = figure(1.25 * cols + 0.3, 1.3 * rows + 0.7)
        axes = fig.subplots(rows, cols, squeeze=False)
        for i, ax in enumerate(axes.flat):
            ax.set_axis_off()
            if i < f_shown:
                show(ax, k[:, :, :, i] / (2 * top) + 0.5)
                ax.set_title(f"{i}", fontsize=9)
        fig.suptitle(f"{title}\n{f} filters of {kh}×{kw}×3 as colours (grey = 0)", fontsize=11)
        return save(fig, path)
    if c == 1:
        rows, cols = grid_shape(f_shown)
        panels = [(i, 0) for i in range(f_shown)]
        side = 0.9
    else:  # one column per filter, one row per input channel
        rows, cols = min(c, 16), min(f_shown, 16)
        panels = [(i, j) for j in range(rows) for i in range(cols)]
        side = 0.7
    fig = figure(max(side * cols + 1.4, 5.0), side * rows + 1.2)
    axes = fig.subplots(rows, cols, squeeze=False)
    image = None
    for ax, (i, j) in zip(axes.flat, panels):
        image = show(ax, k[:, :, j, i], cmap="RdBu_r", vmin=-top, vmax=top).images[0]
        if c == 1:
            ax.set_title(f"{i}", fontsize=9)
        else:
            if i == 0:
                ax.set_ylabel(f"in {j}", fontsize=8)
            if j == 0:
                ax.set_title(f"{i}", fontsize=8)
    for ax in list(axes.flat)[len(panels):]:
        ax.set_axis_off()
    fig.colorbar(image, ax=axes, shrink=0.6, label="weight")
    if c == 1:
        what = f"{f} filters of {kh}×{kw}" + (f" (the first {f_shown})" if f_shown < f else "")
    else:
        what = f"{f} filters of {kh}×{kw}×{c}: a column per filter, a row per input channel"
        if cols < f or rows < c:
            what += f" (the first {cols} filters, {rows} channels)"
    fig.suptitle(f"{title}\n{what}\nred: positive weights, blue: negative", fontsize=10)
    return save(fig, path)


def feature_maps(maps, path, title: str, max_maps: int = MAX_MAPS):
    """One layer's output for one image (H, W, C): a grid with one panel per channel, on
    one colour scale for the whole layer (dark: low, bright: high)."""
    m = np.asarray(maps, np.float64)
    if m.ndim != 3:
        raise ValueError(f"feature_maps: expected (H, W, C), got shape {m.shape}")
    c = m.shape[2]
    n = min(c, max_maps)
    rows, cols = grid_shape(n)
    side = 1.1 if m.shape[0] >= 8 else 0.8
    fig = figure(max(side * cols + 1.2, 4.5), side * rows + 1.0)
    axes = fig.subplots(rows, cols, squeeze=False)
    lo, hi = float(m.min()), float(m.max())
    image = None
    for i, ax in enumerate(axes.flat):
        if i < n:
            image = show(ax, m[:, :, i], cmap="viridis", vmin=lo, vmax=hi if hi > lo else lo + 1).images[0]
            ax.set_title(str(i), fontsize=8, pad=2)
        else:
            ax.set_axis_off()
    fig.colorbar(image, ax=axes, shrink=0.6, label="activation")
    more = f" (first {n} of {c})" if n < c else ""
    fig.suptitle(f"{title}\n{c} maps of {m.shape[0]}×{m.shape[1]}{more}", fontsize=11)
    return save(fig, path)


def vector(values, path, title: str, labels=None, highlight: int | None = None, ylabel: str = "value"):
    """A 1-D output (a Dense layer's units, class probabilities) as a bar chart."""
    v = np.asarray(values, np.float64).ravel()
    fig = figure(min(max(4.5, 0.12 * len(v) + 2), 10), 2.8)
    ax = fig.subplots()
    colors = ["tab:blue"] * len(v)
    if highlight is not None:
        colors[highlight] = "tab:orange"
    ax.bar(np.arange(len(v)), v, color=colors, width=0.8)
    if labels is not None and len(v) <= 20:
        ax.set_xticks(np.arange(len(v)), [str(s) for s in labels], rotation=45 if max(map(len, map(str, labels))) > 3
                      else 0, ha="right" if max(map(len, map(str, labels))) > 3 else "center", fontsize=8)
        ax.set_xlabel("class")
    else:
        ax.set_xlabel("unit")
    ax.set_ylabel(ylabel)
    ax.axhline(0, color="black", linewidth=0.6)
    ax.set_title(title, fontsize=11)
    return save(fig, path)
