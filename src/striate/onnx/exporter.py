"""Export a Sequential to ONNX: `striate.onnx.export(model, "model.onnx")`.

The exported graph takes the same NHWC input as the striate model and gives the
same output. ONNX's convolutions and pools work on NCHW, so a Transpose goes in
front of the first one, and another goes back to NHWC where striate's order matters
again: before a Flatten (striate flattens each sample in (h, w, c) order) and at a
4-D output. Element-wise layers run in whichever layout the data is in.

    striate            ONNX (opset 17)
    Conv2D             Conv     kernel (kh, kw, C/g, F) → W (F, C/g, kh, kw); pads [t, l, b, r]
    MaxPool2D          MaxPool
    AvgPool2D          AveragePool, count_include_pad=1 (padded zeros count, as in striate)
    Dense              Gemm (MatMul without a bias); kernel (in, units) is B as it is
    Flatten            Flatten(axis=1), after a Transpose back to NHWC
    ReLU/Sigmoid/Tanh  Relu/Sigmoid/Tanh
    Softmax(axis)      Softmax, the axis moved to where it is in the current layout

Weights are exported as float32, the type every ONNX runtime supports for all these ops.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .. import layers as L
from ..functional.shapes import resolve_padding
from ..model import Sequential
from ._require import require_onnx

OPSET = 17
NHWC_TO_NCHW, NCHW_TO_NHWC = [0, 3, 1, 2], [0, 2, 3, 1]
NHWC_AXIS_IN_NCHW = {0: 0, 1: 2, 2: 3, 3: 1}  # where an NHWC axis sits once transposed to NCHW


class _Graph:
    """Collects nodes and weights while the layers are walked; tracks the current tensor."""

    def __init__(self, helper, numpy_helper):
        self.helper, self.numpy_helper = helper, numpy_helper
        self.nodes, self.weights = [], []
        self.current, self.layout = "input", "NHWC"  # layout matters only for 4-D tensors

    def add(self, op, name, *extra_inputs, out=None, **attrs):
        """Apply `op` to the current tensor (plus named extra inputs); its output becomes current."""
        out = out or f"{name}/{op}"
        self.nodes.append(self.helper.make_node(op, [self.current, *extra_inputs], [out], name=out, **attrs))
        self.current = out

    def weight(self, name, array) -> str:
        self.weights.append(self.numpy_helper.from_array(np.ascontiguousarray(array, dtype=np.float32), name))
        return name

    def to(self, layout, name):
        """Transpose the current 4-D tensor to "NCHW" or "NHWC" if it is not in it already."""
        if self.layout != layout:
            self.add("Transpose", f"{name}/to_{layout}", perm=NHWC_TO_NCHW if layout == "NCHW" else NCHW_TO_NHWC)
            self.layout = layout


def _pads(padding) -> list[int]:
    """((top, bottom), (left, right)) → ONNX's [top, left, bottom, right]."""
    (t, b), (l, r) = padding
    return [t, l, b, r]


def _conv(g: _Graph, layer: L.Conv2D, name):
    h, w, _ = layer.input_shape  # "same" is resolved for this size ("same" needs a fixed one)
    pad = resolve_padding(layer.padding, (h, w), layer.kernel_size, layer.stride, layer.dilation, layer.name)
    g.to("NCHW", name)
    inputs = [g.weight(f"{name}.kernel", layer.params["kernel"].transpose(3, 2, 0, 1))]
    if layer.use_bias:
        inputs.append(g.weight(f"{name}.bias", layer.params["bias"]))
    g.add("Conv", name, *inputs, kernel_shape=list(layer.kernel_size), strides=list(layer.stride),
          pads=_pads(pad), dilations=list(layer.dilation), group=layer.groups)


def _pool(g: _Graph, layer, name):
    g.to("NCHW", name)
    attrs = dict(kernel_shape=list(layer.kernel_size), strides=list(layer.stride), pads=_pads(layer.padding))
    if isinstance(layer, L.AvgPool2D):
        g.add("AveragePool", name, count_include_pad=1, **attrs)
    else:
        g.add("MaxPool", name, **attrs)


def _dense(g: _Graph, layer: L.Dense, name):
    kernel = g.weight(f"{name}.kernel", layer.params["kernel"])  # (in, units): x @ kernel
    if layer.use_bias:
        g.add("Gemm", name, kernel, g.weight(f"{name}.bias", layer.params["bias"]))
    else:
        g.add("MatMul", name, kernel)


def _flatten(g: _Graph, layer, name):
    if len(layer.input_shape) == 3:
        g.to("NHWC", name)  # striate's (h, w, c) order
    g.add("Flatten", name, axis=1)


def _softmax(g: _Graph, layer: L.Softmax, name):
    rank = len(layer.input_shape) + 1
    if not -rank <= layer.axis < rank:
        raise ValueError(f"{layer.name}: axis {layer.axis} is out of range for inputs of rank {rank}")
    axis = layer.axis % rank
    if rank == 4 and g.layout == "NCHW":
        axis = NHWC_AXIS_IN_NCHW[axis]
    g.add("Softmax", name, axis=axis)


EMIT = {
    L.Conv2D: _conv, L.MaxPool2D: _pool, L.AvgPool2D: _pool, L.Dense: _dense, L.Flatten: _flatten,
    L.ReLU: lambda g, layer, name: g.add("Relu", name),
    L.Sigmoid: lambda g, layer, name: g.add("Sigmoid", name),
    L.Tanh: lambda g, layer, name: g.add("Tanh", name),
    L.Softmax: _softmax,
}


def _value_info(helper, name, shape, unknown):
    """A float tensor (N, *shape); unknown(i) names a size striate left open (None)."""
    from onnx import TensorProto

    dims = ["N", *(unknown(i) if d is None else d for i, d in enumerate(shape))]
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, dims)


def export(model: Sequential, path=None, opset: int = OPSET):
    """Write `model` as an ONNX graph with input "input" (N, *input_shape) and output "output".

    Args:
        model: a built Sequential made of striate's layers.
        path: where to write the .onnx file; None only returns the ModelProto.
        opset: the ONNX opset to declare (13 or later; Softmax's single-axis form).
    Returns:
        the onnx.ModelProto, checked by onnx.checker.
    """
    onnx = require_onnx()
    from onnx import helper, numpy_helper

    if not model.built:
        raise ValueError("striate.onnx.export: the model is not built; give it an input_shape")
    if opset < 13:
        raise ValueError(f"striate.onnx.export: opset must be 13 or later, got {opset}")
    g = _Graph(helper, numpy_helper)
    for i, layer in enumerate(model.layers):
        emit = EMIT.get(type(layer))
        if emit is None:
            raise ValueError(f"striate.onnx.export: {layer.name} ({type(layer).__name__}) has no ONNX export")
        emit(g, layer, f"layers.{i}")
    if len(model.output_shape) == 3:
        g.to("NHWC", "output")
    g.add("Identity", "output", out="output")
    graph = helper.make_graph(
        g.nodes, "striate", [_value_info(helper, "input", model.input_shape, lambda i: "HW"[i])],
        [_value_info(helper, "output", model.output_shape, lambda i: None)], g.weights)
    proto = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)],
                              producer_name="striate", producer_version=_version(),
                              ir_version=helper.find_min_ir_version_for([helper.make_opsetid("", opset)]))
    onnx.checker.check_model(proto, full_check=True)
    if path is not None:
        Path(path).write_bytes(proto.SerializeToString())
    return proto


def _version() -> str:
    from .. import __version__

    return __version__
