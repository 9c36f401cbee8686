"""An image and what classic kernels make of it, each kernel drawn under its result."""

from __future__ import annotations

import numpy as np

from .backend import figure, save, show

DENOMINATORS = (1, 2, 4, 8, 9, 16, 256)


def _kernel_scale(kernel) -> int:
    """The smallest denominator d in DENOMINATORS for which kernel·d is whole numbers."""
    for d in DENOMINATORS:
        if np.allclose(kernel * d, np.round(kernel * d)):
            return d
    return 1


def draw_kernel(ax, kernel, title: str = ""):
    """A kernel as coloured cells with its weights written in (as n/d when they are fractions)."""
    kernel = np.asarray(kernel, np.float64)
    d = _kernel_scale(kernel)
    top = float(np.abs(kernel).max()) or 1.0
    show(ax, kernel, cmap="RdBu_r", vmin=-top, vmax=top)
    kh, kw = kernel.shape
    size = 9 if max(kh, kw) <= 3 else 7
    for i in range(kh):
        for j in range(kw):
            v = kernel[i, j] * d
            text = f"{v:.0f}" if d > 1 or float(v).is_integer() else f"{v:.2g}"
            ax.text(j, i, text.replace("-", "−"), ha="center", va="center", fontsize=size,
                    color="white" if abs(kernel[i, j]) > 0.6 * top else "black")
    ax.set_xlabel(f"× 1/{d}" if d > 1 else "", fontsize=8)
    if title:
        ax.set_title(title, fontsize=9)


def convolutions(image, results: dict, kernels: dict, path, title: str):
    """The input, then for each kernel name its result (top) and its weights (bottom)."""
    k = len(results)
    fig = figure(1.9 * (k + 1), 4.3)
    axes = fig.subplots(2, k + 1, squeeze=False, height_ratios=[2, 1.2])
    show(axes[0, 0], image, vmin=0, vmax=1)
    axes[0, 0].set_title("input", fontsize=10)
    axes[1, 0].set_axis_off()
    axes[1, 0].text(0.5, 0.5, "kernel\nweights\n(red +, blue −)", ha="center", va="center", fontsize=9,
                    transform=axes[1, 0].transAxes)
    for col, (name, result) in enumerate(results.items(), start=1):
        show(axes[0, col], result, vmin=0, vmax=1)
        axes[0, col].set_title(name, fontsize=10)
        draw_kernel(axes[1, col], kernels[name])
    fig.suptitle(title, fontsize=11)
    return save(fig, path)
