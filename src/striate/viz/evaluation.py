"""Pictures of a model's test results: the confusion matrix and its most confident mistakes."""

from __future__ import annotations

import numpy as np

from .backend import figure, grid_shape, save, show


def confusion(matrix, class_names, path, title: str):
    """A confusion matrix (rows: true class, columns: predicted) with the counts written in.

    Colours show each row's share, so a rare class's mistakes stand out as much as a
    common one's.
    """
    cm = np.asarray(matrix)
    k = len(cm)
    share = cm / np.maximum(cm.sum(axis=1, keepdims=True), 1)
    size = min(max(4.5, 0.5 * k + 2.5), 12)
    fig = figure(size + 1.2, size)
    ax = fig.subplots()
    image = ax.imshow(share, cmap="Blues", vmin=0, vmax=1)
    names = [str(n) for n in class_names]
    long = max(map(len, names)) > 3
    ax.set_xticks(np.arange(k), names, rotation=45 if long else 0, ha="right" if long else "center", fontsize=9)
    ax.set_yticks(np.arange(k), names, fontsize=9)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    if k <= 20:
        for i in range(k):
            for j in range(k):
                if cm[i, j]:
                    ax.text(j, i, str(cm[i, j]), ha="center", va="center", fontsize=8 if k > 10 else 9,
                            color="white" if share[i, j] > 0.5 else "black")
    fig.colorbar(image, ax=ax, shrink=0.8, label="share of the true class")
    ax.set_title(title, fontsize=11)
    return save(fig, path)


def mistakes(images, true, predicted, confidence, class_names, path, title: str):
    """A gallery of misclassified images, each captioned "true → predicted (confidence)"."""
    images = np.asarray(images)
    n = len(images)
    if n == 0:
        fig = figure(4, 1.2)
        fig.text(0.5, 0.5, "no mistakes: every image was classified correctly", ha="center", va="center")
        return save(fig, path)
    rows, cols = grid_shape(n, max_cols=8)
    fig = figure(1.45 * cols + 0.2, 1.6 * rows + 0.6)
    axes = fig.subplots(rows, cols, squeeze=False)
    for i, ax in enumerate(axes.flat):
        if i >= n:
            ax.set_axis_off()
            continue
        show(ax, images[i], vmin=0, vmax=1)
        caption = f"{class_names[true[i]]} → {class_names[predicted[i]]}\n{confidence[i]:.0%} sure"
        ax.set_title(caption, fontsize=8, color="firebrick")
    fig.suptitle(title, fontsize=11)
    return save(fig, path)
