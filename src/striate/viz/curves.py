"""Training curves: loss and accuracy per batch and per epoch, training and validation."""

from __future__ import annotations

import numpy as np

from .backend import figure, save


def training_curves(history: dict, path, title: str, batches=None):
    """Loss and accuracy against epochs, as a PNG.

    The training mean of epoch e is drawn at e − 0.5 (the middle of the epoch it averages),
    validation at e (measured when the epoch ends).

    Args:
        history: per-epoch lists, as History.history: "loss", "accuracy", "val_loss", ...
        batches: optional (epoch position, loss, accuracy) per batch, e.g. (0.25, 1.9, 0.4)
            for the batch a quarter into the first epoch; drawn thin and light.
    """
    epochs = np.arange(1, len(history.get("loss", [])) + 1)
    fig = figure(9, 3.6)
    axes = fig.subplots(1, 2)
    for ax, key, label in ((axes[0], "loss", "loss (cross-entropy)"), (axes[1], "accuracy", "accuracy")):
        if batches:
            b = np.asarray(batches, np.float64)
            column = 1 if key == "loss" else 2
            ax.plot(b[:, 0], b[:, column], color="tab:blue", alpha=0.35, linewidth=0.8, label="training, per batch")
        if key in history:  # a mean over the whole epoch: drawn at the epoch's middle
            ax.plot(epochs - 0.5, history[key], "o-", color="tab:blue", label="training, mean over the epoch")
        if f"val_{key}" in history:
            ax.plot(epochs, history[f"val_{key}"], "s-", color="tab:orange", label="validation, end of epoch")
        ax.set_xlabel("epoch")
        ax.set_ylabel(label)
        ax.set_title(label.split(" ")[0].capitalize())
        ax.grid(alpha=0.3)
        if len(epochs):
            ax.set_xlim(0, max(epochs[-1], 1) + 0.05)
        if key == "accuracy" and (limits := accuracy_limits(history)):
            ax.set_ylim(*limits)  # the per-batch curve's early values fall below; the last percent shows
        ax.legend(fontsize=8)
    fig.suptitle(title, fontsize=12)
    return save(fig, path)


def accuracy_limits(history: dict) -> tuple[float, float] | None:
    """The accuracy axis: around the epoch means and validation values, not 0 to 1.

    On 0–1 the curves that matter (97 %, 98 %, 99 %) would be a flat line at the top;
    the axis spans the per-epoch values with a margin of a tenth of their range (at least
    half a percent), below 1.
    """
    values = [v for key in ("accuracy", "val_accuracy") for v in history.get(key, []) if np.isfinite(v)]
    if not values:
        return None
    low, high = min(values), max(values)
    margin = max(0.1 * (high - low), 0.005)
    return max(0.0, low - margin), min(1.0, high + margin)
