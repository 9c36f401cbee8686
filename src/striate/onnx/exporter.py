"""Export a Sequential to ONNX: `striate.onnx.export(model, "model.onnx")`.

The exported graph takes the same NHWC input as the striate model and gives the
same output. ONNX's convolutions, pools and normalisations work channels first
(NCHW), so a Transpose goes in front of the first one, and another goes back to
channels-last where striate's order matters again: before a Flatten or a Reshape
(striate flattens each sample in (h, w, c) order), before a ChannelMaxPool, and at an
output of rank 3 or more. Element-wise layers run in whichever layout the data is in
(graph.py keeps track).

Every layer type has an export; the ops each becomes are listed in export_conv.py
(Conv2D and its padding modes, Conv1D, Conv2DTranspose), export_pool.py (the pools)
and export_core.py (Dense, Flatten, Reshape, BatchNorm, Dropout, UpSampling2D, the
activations). The default opset is 17, which every current runtime runs; a newer one
(`opset=20`) writes GELU as one Gelu node and circular padding as one Pad(mode="wrap").
Weights are exported as float32, the type every ONNX runtime supports for all these ops.
A model's class names go into the file's metadata_props, under "striate.class_names", as
a JSON list (label i is names[i]); striate.onnx.load reads them back.
"""

from __future__ import annotations

import json
from pathlib import Path

from .. import layers as L
from ..model import Sequential
from . import export_conv as conv
from . import export_core as core
from . import export_pool as pool
from ._require import require_onnx
from .graph import Graph

OPSET = 17
CLASS_NAMES = "striate.class_names"  # the metadata_props key of the class names

EMIT = {
    L.Conv2D: conv.conv2d, L.Conv1D: conv.conv1d, L.Conv2DTranspose: conv.conv2d_transpose,
    L.MaxPool2D: pool.pool, L.AvgPool2D: pool.pool, L.SumPool2D: pool.sum_pool, L.LPPool2D: pool.lp_pool,
    L.WeightedAvgPool2D: pool.weighted_pool, L.GlobalAvgPool2D: pool.global_pool,
    L.GlobalMaxPool2D: pool.global_pool, L.AdaptiveAvgPool2D: pool.adaptive_pool,
    L.AdaptiveMaxPool2D: pool.adaptive_pool, L.ChannelMaxPool: pool.channel_max_pool,
    L.Dense: core.dense, L.Flatten: core.flatten, L.Reshape: core.reshape,
    L.BatchNorm2D: core.batch_norm, L.BatchNorm1D: core.batch_norm, L.Dropout: core.dropout,
    L.UpSampling2D: core.upsample,
    L.ReLU: lambda g, layer, name: g.add("Relu", name),
    L.Sigmoid: lambda g, layer, name: g.add("Sigmoid", name),
    L.Tanh: lambda g, layer, name: g.add("Tanh", name),
    L.LeakyReLU: core.leaky_relu, L.ELU: core.elu, L.GELU: core.gelu, L.Softmax: core.softmax,
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
            From 19 circular padding is a Pad(mode="wrap"), from 20 GELU a Gelu node.
    Returns:
        the onnx.ModelProto, checked by onnx.checker.
    """
    onnx = require_onnx()
    from onnx import helper, numpy_helper

    if not model.built:
        raise ValueError("striate.onnx.export: the model is not built; give it an input_shape")
    if opset < 13:
        raise ValueError(f"striate.onnx.export: opset must be 13 or later, got {opset}")
    g = Graph(helper, numpy_helper, opset)
    for i, layer in enumerate(model.layers):
        emit = EMIT.get(type(layer))
        if emit is None:
            raise ValueError(f"striate.onnx.export: {layer.name} ({type(layer).__name__}) has no ONNX export")
        g.rank = len(layer.input_shape) + 1
        emit(g, layer, f"layers.{i}")
    g.rank = len(model.output_shape) + 1
    g.to("NHWC", "output")
    g.add("Identity", "output", out="output")
    graph = helper.make_graph(
        g.nodes, "striate", [_value_info(helper, "input", model.input_shape, lambda i: "HW"[i])],
        [_value_info(helper, "output", model.output_shape, lambda i: None)], g.weights)
    proto = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)],
                              producer_name="striate", producer_version=_version(),
                              ir_version=helper.find_min_ir_version_for([helper.make_opsetid("", opset)]))
    if model.class_names is not None:
        helper.set_model_props(proto, {CLASS_NAMES: json.dumps([str(n) for n in model.class_names])})
    onnx.checker.check_model(proto, full_check=True)
    if path is not None:
        Path(path).write_bytes(proto.SerializeToString())
    return proto


def _version() -> str:
    from .. import __version__

    return __version__
