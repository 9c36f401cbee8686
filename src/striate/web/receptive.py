"""Where an output pixel looks: its window in the layer before, and its receptive field in the input.

A convolution or pooling layer with kernel k, stride s, dilation d and padding p (top/left)
reads, for output rows r0..r1, input rows

    r0·s − p  ..  r1·s − p + (k − 1)·d

(the same for columns); a layer that keeps the spatial shape (ReLU, BatchNorm, ...) reads
the same rows; any other (Flatten, Dense, global pooling, ...) reads everything. Walking
from a layer back to the input gives the receptive field. Rows and columns are clipped to
the map (padding is not part of it).
"""

from __future__ import annotations

from .. import layers as L

Box = tuple[int, int, int, int]  # (top, left, bottom, right), inclusive


def _padding(layer) -> tuple[int, int]:
    pad = layer.resolved_padding if isinstance(layer, L.Conv2D) else layer.padding
    return pad[0][0], pad[1][0]


def has_window(layer) -> bool:
    """Whether each output pixel of `layer` reads a kh×kw window of its input (conv or pooling)."""
    return isinstance(layer, (L.Conv2D, L.MaxPool2D, L.AvgPool2D))


def window(layer, box: Box) -> Box:
    """The rows and columns of the layer's input that output rows/columns `box` read (clipped)."""
    top, left, bottom, right = box
    h, w = layer.input_shape[:2]
    if has_window(layer):
        (kh, kw), (sh, sw) = layer.kernel_size, layer.stride
        dh, dw = getattr(layer, "dilation", (1, 1))
        pt, pl = _padding(layer)
        rows = (top * sh - pt, bottom * sh - pt + (kh - 1) * dh)
        cols = (left * sw - pl, right * sw - pl + (kw - 1) * dw)
    elif len(layer.input_shape) == 3 and tuple(layer.output_shape[:2]) == tuple(layer.input_shape[:2]):
        rows, cols = (top, bottom), (left, right)
    else:
        return (0, 0, (h or 1) - 1, (w or 1) - 1) if len(layer.input_shape) == 3 else (0, 0, 0, 0)
    return (max(rows[0], 0), max(cols[0], 0), min(rows[1], h - 1), min(cols[1], w - 1))


def field(model, layer_index: int, row: int, col: int) -> dict:
    """{"previous": box in the layer's input, "input": box in the image} for output pixel (row, col)
    of layer `layer_index` (1-based); boxes as [top, left, bottom, right], inclusive."""
    box = (row, col, row, col)
    previous = None
    for i in range(layer_index, 0, -1):
        layer = model.layers[i - 1]
        if len(layer.input_shape) != 3:  # a vector before it: every input value counts
            box = (0, 0, model.input_shape[0] - 1, model.input_shape[1] - 1)
            previous = previous or box
            break
        box = window(layer, box)
        if previous is None:
            previous = box
    return {"previous": list(previous or box), "input": list(box)}
