"""ONNX nodes for the pooling layers.

    striate                 ONNX
    MaxPool2D               MaxPool
    AvgPool2D               AveragePool, count_include_pad=1 (padded zeros count, as in striate)
    SumPool2D               AveragePool (count_include_pad=1) × kh·kw
    LPPool2D                LpPool when p is an even integer (|x|^p = x^p there); otherwise the
                            formula: Pow(x, p) → AveragePool × kh·kw → Pow(1/p), which keeps
                            striate's NaN for a negative sum under a fractional power
    WeightedAvgPool2D       Conv with one group per channel, each holding the (kh, kw) weights
    GlobalAvgPool2D         GlobalAveragePool (+ Flatten unless keepdims)
    GlobalMaxPool2D         GlobalMaxPool (+ Flatten unless keepdims)
    AdaptiveAvgPool2D       AveragePool with kernel = stride = H/Ho × W/Wo when the input size
    AdaptiveMaxPool2D       (which must be fixed) divides evenly; otherwise per bin: Slice and
                            ReduceMean/ReduceMax along H, Concat, then the same along W
    ChannelMaxPool          Reshape (..., C) → (..., groups, C/groups), ReduceMax over the last axis
"""

from __future__ import annotations

import numpy as np

from .. import layers as L
from ..functional.adaptive import bins
from .export_conv import pads_attr
from .graph import Graph


def _window(layer) -> dict:
    return dict(kernel_shape=list(layer.kernel_size), strides=list(layer.stride), pads=pads_attr(layer.padding))


def _window_sum(g: Graph, layer, name):
    """Σ over each window, zero padding: the average times kh·kw."""
    kh, kw = layer.kernel_size
    g.add("AveragePool", name, count_include_pad=1, **_window(layer))
    g.add("Mul", name, g.weight(f"{name}.window_size", np.array(kh * kw)))


def pool(g: Graph, layer, name):
    g.to("NCHW", name)
    if isinstance(layer, L.AvgPool2D):
        g.add("AveragePool", name, count_include_pad=1, **_window(layer))
    else:
        g.add("MaxPool", name, **_window(layer))


def sum_pool(g: Graph, layer, name):
    g.to("NCHW", name)
    _window_sum(g, layer, name)


def lp_pool(g: Graph, layer, name):
    g.to("NCHW", name)
    p = layer.p
    if p.is_integer() and int(p) % 2 == 0:
        g.add("LpPool", name, p=int(p), **_window(layer))
        return
    g.add("Pow", f"{name}/power", g.weight(f"{name}.p", np.array(p)))
    _window_sum(g, layer, name)
    g.add("Pow", f"{name}/root", g.weight(f"{name}.inverse_p", np.array(1.0 / p)))


def weighted_pool(g: Graph, layer, name):
    c = layer.input_shape[2]
    g.to("NCHW", name)
    kernel = np.broadcast_to(layer.weights, (c, 1, *layer.kernel_size))  # (C, 1, kh, kw): one per channel
    g.add("Conv", name, g.weight(f"{name}.weight", kernel), group=c, **_window(layer))


def global_pool(g: Graph, layer, name):
    g.to("NCHW", name)
    g.add("GlobalAveragePool" if isinstance(layer, L.GlobalAvgPool2D) else "GlobalMaxPool", name)  # (N, C, 1, 1)
    if not layer.keepdims:
        g.add("Flatten", name, axis=1)  # (N, C)
        g.layout = "NHWC"


def adaptive_pool(g: Graph, layer, name):
    h, w, _ = layer.input_shape
    if h is None or w is None:
        raise ValueError(f"striate.onnx.export: {layer.name} ({type(layer).__name__}) exports only for a fixed "
                         f"input size, got {h}×{w}: its bins depend on the size; build the model with a fixed "
                         "input_shape, or use GlobalAvgPool2D / GlobalMaxPool2D")
    ho, wo = layer.output_size
    is_avg = isinstance(layer, L.AdaptiveAvgPool2D)
    g.to("NCHW", name)
    if h % ho == 0 and w % wo == 0:  # equal bins that do not overlap: an ordinary pool
        kernel = [h // ho, w // wo]
        g.add("AveragePool" if is_avg else "MaxPool", name, kernel_shape=kernel, strides=kernel)
        return
    # A mean (max) over a rectangle is the mean (max) over its rows of the mean (max) over
    # its columns, so each axis is pooled on its own: one Slice + Reduce per bin.
    op = "ReduceMean" if is_avg else "ReduceMax"
    for axis, n, out in ((2, h, ho), (3, w, wo)):
        if n == out:
            continue
        source = g.current
        parts = [g.reduce(op, [g.slice(source, f"{name}/axis{axis}.bin{i}", axis, start, end)],
                          f"{name}/axis{axis}.bin{i}", axes=[axis])
                 for i, (start, end) in enumerate(bins(n, out))]
        g.current = parts[0] if len(parts) == 1 else g.node("Concat", parts, f"{name}/axis{axis}", axis=axis)


def channel_max_pool(g: Graph, layer, name):
    g.to("NHWC", name)  # consecutive channels form a group: (..., groups, C/groups)
    k = layer.input_shape[-1] // layer.groups
    keep = [0] * (g.rank - 1)  # Reshape's 0 copies the size: the batch and spatial sizes stay open
    g.add("Reshape", name, g.ints(f"{name}.shape", [*keep, layer.groups, k]))
    g.current = g.reduce("ReduceMax", [g.current], name, axes=[g.rank], keepdims=0)
