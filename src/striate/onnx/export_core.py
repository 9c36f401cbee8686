"""ONNX nodes for the layers that are not convolutions or pools.

    striate             ONNX
    Dense               Gemm (MatMul without a bias); kernel (in, units) is B as it is
    Flatten             Flatten(axis=1), after a Transpose back to channels-last
    Reshape             Reshape to (N, *target_shape), after a Transpose back to channels-last
                        (striate reshapes in (h, w, c) order)
    BatchNorm2D/1D      BatchNormalization with the running statistics (inference), channels
                        first; gamma = 1 and beta = 0 when affine=False; momentum 1 − momentum
    Dropout             nothing: the identity at inference
    UpSampling2D        Resize: nearest → mode nearest, asymmetric coordinates, floor
                        (each pixel copied); bilinear → mode linear, half_pixel coordinates
                        (PyTorch's align_corners=False)
    ReLU/Sigmoid/Tanh   Relu/Sigmoid/Tanh
    LeakyReLU, ELU      LeakyRelu, Elu (alpha = negative_slope, alpha)
    GELU                Gelu from opset 20; before it the formula: 0.5·x·(1 + Erf(x/√2)),
                        or 0.5·x·(1 + Tanh(√(2/π)·(x + 0.044715·x³))) for approximate="tanh"
    Softmax(axis)       Softmax, the axis moved to where it is in the current layout
"""

from __future__ import annotations

import math

import numpy as np

from .graph import Graph, axis_in_layout


def dense(g: Graph, layer, name):
    kernel = g.weight(f"{name}.kernel", layer.params["kernel"])  # (in, units): x @ kernel
    if layer.use_bias:
        g.add("Gemm", name, kernel, g.weight(f"{name}.bias", layer.params["bias"]))
    else:
        g.add("MatMul", name, kernel)


def flatten(g: Graph, layer, name):
    g.to("NHWC", name)  # striate's (h, w, c) order
    g.add("Flatten", name, axis=1)


def reshape(g: Graph, layer, name):
    g.to("NHWC", name)  # striate's (h, w, c) order; the result is channels-last too
    g.add("Reshape", name, g.ints(f"{name}.shape", [0, *layer.target_shape]))  # 0: keep N


def batch_norm(g: Graph, layer, name):
    g.to("NCHW", name)  # BatchNormalization normalises axis 1
    c = layer.input_shape[-1]
    gamma, beta = layer.params.get("gamma", np.ones(c)), layer.params.get("beta", np.zeros(c))
    inputs = [g.weight(f"{name}.{key}", value) for key, value in
              (("gamma", gamma), ("beta", beta), ("running_mean", layer.state["running_mean"]),
               ("running_var", layer.state["running_var"]))]
    # ONNX's momentum is the weight of the old running value, PyTorch's and striate's the new one's
    g.add("BatchNormalization", name, *inputs, epsilon=layer.eps, momentum=1 - layer.momentum)


def dropout(g: Graph, layer, name):
    pass  # the identity at inference: no node


def upsample(g: Graph, layer, name):
    g.to("NCHW", name)
    scales = g.weight(f"{name}.scales", [1.0, 1.0, *map(float, layer.size)])
    if layer.interpolation == "nearest":
        g.add("Resize", name, "", scales, mode="nearest", coordinate_transformation_mode="asymmetric",
              nearest_mode="floor")
    else:
        g.add("Resize", name, "", scales, mode="linear", coordinate_transformation_mode="half_pixel")


def leaky_relu(g: Graph, layer, name):
    g.add("LeakyRelu", name, alpha=layer.negative_slope)


def elu(g: Graph, layer, name):
    g.add("Elu", name, alpha=layer.alpha)


def gelu(g: Graph, layer, name):
    if g.opset >= 20:
        g.add("Gelu", name, approximate=layer.approximate)
        return
    x = g.current

    def const(key, value):
        return g.weight(f"{name}.{key}", np.array(value))

    if layer.approximate == "tanh":
        cube = g.node("Mul", [g.node("Mul", [x, x], name), x], name)
        inner = g.node("Add", [x, g.node("Mul", [cube, const("c", 0.044715)], name)], name)
        phi = g.node("Tanh", [g.node("Mul", [inner, const("sqrt_2_over_pi", math.sqrt(2 / math.pi))], name)], name)
    else:
        phi = g.node("Erf", [g.node("Mul", [x, const("inv_sqrt_2", 1 / math.sqrt(2))], name)], name)
    half_x = g.node("Mul", [x, const("half", 0.5)], name)
    g.current = g.node("Mul", [half_x, g.node("Add", [phi, const("one", 1.0)], name)], name)


def softmax(g: Graph, layer, name):
    rank = g.rank
    if not -rank <= layer.axis < rank:
        raise ValueError(f"{layer.name}: axis {layer.axis} is out of range for inputs of rank {rank}")
    g.add("Softmax", name, axis=axis_in_layout(layer.axis, rank, g.layout))
