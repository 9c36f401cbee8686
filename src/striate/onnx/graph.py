"""The ONNX graph an export builds: a chain of nodes, their weights, and the current layout.

The exported graph takes striate's channels-last input. ONNX's convolutions, pools and
normalisations want channels first (NCHW, or NCL for signals), so the graph remembers
the layout of the tensor flowing down the chain and transposes only where an op needs
the other one:

    layout "NHWC"   channels last, striate's order: (N, H, W, C), (N, L, C), (N, F)
    layout "NCHW"   channels first: (N, C, H, W), (N, C, L)

`rank` is the current tensor's rank, batch axis included; the exporter sets it from
each layer's input shape before the layer adds its nodes.
"""

from __future__ import annotations

import numpy as np


def to_first(rank: int) -> list[int]:
    """The perm moving the last axis to position 1: (N, H, W, C) → (N, C, H, W)."""
    return [0, rank - 1, *range(1, rank - 1)]


def to_last(rank: int) -> list[int]:
    """The perm moving axis 1 to the end: (N, C, H, W) → (N, H, W, C)."""
    return [0, *range(2, rank), 1]


def axis_in_layout(axis: int, rank: int, layout: str) -> int:
    """Where axis `axis` of striate's channels-last tensor sits in the graph's layout."""
    axis %= rank
    if layout == "NHWC" or rank < 3 or axis == 0:
        return axis
    return 1 if axis == rank - 1 else axis + 1


class Graph:
    """Collects nodes and weights while the layers are walked; tracks the current tensor."""

    def __init__(self, helper, numpy_helper, opset: int):
        self.helper, self.numpy_helper, self.opset = helper, numpy_helper, opset
        self.nodes, self.weights = [], []
        self.current, self.layout, self.rank = "input", "NHWC", None
        self._names: set[str] = {"input"}

    def _unique(self, name: str) -> str:
        out, k = name, 1
        while out in self._names:
            k += 1
            out = f"{name}_{k}"
        self._names.add(out)
        return out

    def node(self, op, inputs, name, out=None, **attrs) -> str:
        """Add a node applying `op` to the named inputs; returns its output's name."""
        out = self._unique(out or f"{name}/{op}")
        self.nodes.append(self.helper.make_node(op, list(inputs), [out], name=out, **attrs))
        return out

    def add(self, op, name, *extra_inputs, out=None, **attrs) -> str:
        """Apply `op` to the current tensor (plus named extra inputs); its output becomes current."""
        self.current = self.node(op, [self.current, *extra_inputs], name, out=out, **attrs)
        return self.current

    def weight(self, name, array) -> str:
        """A float32 initializer."""
        name = self._unique(name)
        self.weights.append(self.numpy_helper.from_array(np.ascontiguousarray(array, dtype=np.float32), name))
        return name

    def ints(self, name, values) -> str:
        """An int64 initializer: shapes, pads, slice bounds, axes."""
        name = self._unique(name)
        self.weights.append(self.numpy_helper.from_array(np.asarray(values, dtype=np.int64), name))
        return name

    def to(self, layout, name):
        """Transpose the current tensor to "NCHW" or "NHWC" if it is not in it already."""
        if self.rank is None or self.rank < 3:
            self.layout = layout  # (N, F): both layouts are the same
        elif self.layout != layout:
            perm = to_first(self.rank) if layout == "NCHW" else to_last(self.rank)
            self.add("Transpose", f"{name}/to_{layout}", perm=perm)
            self.layout = layout

    def reduce(self, op, inputs, name, axes, keepdims=1) -> str:
        """ReduceMax/ReduceMean over `axes`: an attribute up to opset 17, an input from 18."""
        if self.opset >= 18:
            return self.node(op, [*inputs, self.ints(f"{name}.axes", axes)], name, keepdims=keepdims)
        return self.node(op, inputs, name, axes=list(axes), keepdims=keepdims)

    def slice(self, source, name, axis, start, end) -> str:
        """source[..., start:end, ...] along `axis` (negative bounds count from the end)."""
        return self.node("Slice", [source, self.ints(f"{name}.starts", [start]), self.ints(f"{name}.ends", [end]),
                                   self.ints(f"{name}.axes", [axis])], name)
