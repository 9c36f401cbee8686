"""What each ONNX op becomes in striate: one function per op, and the table OPS of them.

Each function gets the importer (importer.py: the model so far, the current layout,
the graph's weights), the node, and the nodes after it; it adds the layers the op
stands for and returns how many of the following nodes it consumed (0 or None: none).

    ONNX                       striate
    Conv                       Conv2D     W (F, C/g, kh, kw) → kernel (kh, kw, C/g, F)
    ConvTranspose              Conv2DTranspose   W (C, F/g, kh, kw) → kernel (kh, kw, F/g, C)
    MaxPool, AveragePool       MaxPool2D, AvgPool2D (padded zeros must count)
    GlobalAveragePool,         GlobalAvgPool2D, GlobalMaxPool2D; keepdims=False when a
    GlobalMaxPool              Flatten (or Reshape to (N, C)) follows, which it then takes in
    ReduceMean, ReduceMax      the same, over the axes H and W only
    BatchNormalization         BatchNorm2D on (N, C, H, W), BatchNorm1D on (N, C); inference
                               mode only; ONNX's momentum m (weight of the old value) is 1 − m
    Gemm, MatMul(+Add)         Dense      (rows reordered after a Flatten of NCHW data)
    Flatten, Reshape           Flatten    (to (N, features) only)
    Relu Sigmoid Tanh          ReLU Sigmoid Tanh
    LeakyRelu, Elu             LeakyReLU(negative_slope=alpha), ELU(alpha)
    Softmax                    Softmax    (the axis moved to striate's NHWC)
    Transpose                  nothing: a change of layout, NHWC ↔ NCHW only
    Identity, Dropout          nothing (Dropout in inference mode only)

Any other op raises a FormatError naming it (Pad, Resize, LpPool, Gelu, ... are not
imported: a striate model with padding modes, up-sampling or those pools exports to
ONNX but does not come back).
"""

from __future__ import annotations

import math

import numpy as np

from .. import layers as L

NCHW_AXIS_IN_NHWC = {0: 0, 1: 3, 2: 1, 3: 2}  # where an NCHW axis sits in striate's NHWC


class Unsupported(ValueError):
    """A node striate cannot express; turned into a FormatError naming the file and node."""


def _float(value) -> float:
    """An attribute stored as float32 as the shortest decimal that is it: 1e-05, not 9.99999974e-06."""
    return float(str(np.float32(value)))


def _tidy(pair):
    """(3, 3) → 3, so an imported model prints like one written by hand."""
    return pair[0] if pair[0] == pair[1] else tuple(pair)


def _tidy_padding(padding):
    """((1, 1), (2, 2)) → (1, 2) → ...; uneven padding stays as it is."""
    (t, b), (l, r) = padding
    return _tidy((t, l)) if t == b and l == r else ((t, b), (l, r))


# ---- one function per op: add the layer, return how many following nodes it used ----
def _conv(im, node, rest):
    im.spatial()
    a = im.attrs(node)
    w, b = im.const(node, 1), im.const(node, 2, required=False)
    if w.ndim != 4 or list(a.get("kernel_shape", w.shape[2:])) != list(w.shape[2:]):
        raise Unsupported(f"W must be (F, C/groups, kh, kw) matching kernel_shape, got {w.shape}")
    kernel, stride, dilation = tuple(w.shape[2:]), tuple(a.get("strides", (1, 1))), tuple(a.get("dilations", (1, 1)))
    layer = L.Conv2D(w.shape[0], _tidy(kernel), stride=_tidy(stride),
                     padding=_tidy_padding(im.padding(a, kernel, stride, dilation)),
                     dilation=_tidy(dilation), groups=a.get("group", 1), bias=b is not None)
    params = {"kernel": w.transpose(2, 3, 1, 0)}
    if b is not None:
        params["bias"] = b
    im.add(layer, **params)


def _pool(im, node, rest):
    im.spatial()
    a = im.attrs(node)
    kernel, stride = tuple(a["kernel_shape"]), tuple(a.get("strides", (1, 1)))
    if a.get("ceil_mode", 0) or any(d != 1 for d in a.get("dilations", (1, 1))):
        raise Unsupported("ceil_mode=1 and dilations are not supported in pooling")
    padding = im.padding(a, kernel, stride, (1, 1))
    if node.op_type == "AveragePool" and any(p for pair in padding for p in pair) and not a.get("count_include_pad", 0):
        raise Unsupported("padded AveragePool must have count_include_pad=1 (padded zeros count)")
    pool = L.AvgPool2D if node.op_type == "AveragePool" else L.MaxPool2D
    im.add(pool(_tidy(kernel), stride=None if stride == kernel else _tidy(stride), padding=_tidy_padding(padding)))


def _dense(im, kernel, bias):
    """Dense from a kernel (in, units) applied to the flattened data, undoing a pending reorder."""
    if len(im.model.output_shape) != 1:
        raise Unsupported("a matrix product needs a flattened (N, features) input")
    if kernel.shape[0] != im.model.output_shape[0]:
        raise Unsupported(f"the weight {kernel.shape} needs {kernel.shape[0]:,} input features, "
                          f"the graph gives {im.model.output_shape[0]:,}")
    if im.perm is not None:
        reordered = np.empty_like(kernel)
        reordered[im.perm] = kernel  # ONNX row j multiplies striate's feature perm[j]
        kernel, im.perm = reordered, None
    params = {"kernel": kernel} if bias is None else {"kernel": kernel, "bias": bias}
    im.add(L.Dense(kernel.shape[1], bias=bias is not None), **params)


def _bias(c, units):
    c = np.asarray(c)
    if c.size not in (1, units) or (c.size == units and c.shape[-1] != units):
        raise Unsupported(f"the bias must broadcast to ({units},), got shape {c.shape}")
    return np.broadcast_to(c.reshape(-1), (units,))


def _gemm(im, node, rest):
    a = im.attrs(node)
    if a.get("transA", 0):
        raise Unsupported("transA=1 is not supported")
    b, c = im.const(node, 1), im.const(node, 2, required=False)
    if b.ndim != 2:
        raise Unsupported(f"Gemm needs a 2-D weight B, got shape {b.shape}")
    kernel = (b.T if a.get("transB", 0) else b) * a.get("alpha", 1.0)
    bias = None if c is None else _bias(c, kernel.shape[1]) * a.get("beta", 1.0)
    _dense(im, kernel, bias)


def _matmul(im, node, rest):
    kernel = im.const(node, 1)
    if kernel.ndim != 2:
        raise Unsupported(f"MatMul needs a 2-D weight, got shape {kernel.shape}")
    nxt = rest[0] if rest else None
    if nxt is not None and nxt.op_type == "Add" and list(nxt.input).count(node.output[0]) == 1:
        other = [n for n in nxt.input if n != node.output[0]][0]
        if other in im.consts:
            _dense(im, kernel, _bias(im.consts[other], kernel.shape[1]))
            return 1
    _dense(im, kernel, None)


def _flatten(im, node, rest):
    if im.attrs(node).get("axis", 1) != 1:
        raise Unsupported("only Flatten(axis=1) is supported")
    _flatten_features(im)


def _flatten_features(im):
    shape = im.model.output_shape
    if len(shape) == 1:
        return  # already (N, features)
    if len(shape) == 3 and im.layout == "NCHW":
        h, w, c = shape
        im.perm = np.arange(h * w * c).reshape(h, w, c).transpose(2, 0, 1).reshape(-1)
    im.add(L.Flatten())


def _reshape(im, node, rest):
    target = [int(v) for v in im.const(node, 1).reshape(-1)]
    features = math.prod(d for d in im.model.output_shape)
    if len(target) != 2 or target[1] not in (-1, features) or (target[0] < -1):
        raise Unsupported(f"only a Reshape to (N, features) is supported, got {target}")
    _flatten_features(im)


def _transpose(im, node, rest):
    perm = im._perm(node)
    if len(im.model.output_shape) == 3 and perm == [0, 3, 1, 2] and im.layout == "NHWC":
        im.layout = "NCHW"
    elif len(im.model.output_shape) == 3 and perm == [0, 2, 3, 1] and im.layout == "NCHW":
        im.layout = "NHWC"
    else:
        raise Unsupported(f"only Transposes between NHWC and NCHW are supported, got perm {perm}")


def _softmax(im, node, rest):
    rank = len(im.model.output_shape) + 1
    axis = im.attrs(node).get("axis", -1 if im.opset >= 13 else 1)
    if im.opset < 13 and rank != 2:
        raise Unsupported("Softmax before opset 13 is only supported on (N, features)")
    axis %= rank
    if rank == 4 and im.layout == "NCHW":
        axis = NCHW_AXIS_IN_NHWC[axis]
    im.add(L.Softmax(axis=axis - rank))


def _dropout(im, node, rest):
    mode = im.const(node, 2, required=False)
    if mode is not None and bool(mode):
        raise Unsupported("Dropout in training mode")




def _conv_transpose(im, node, rest):
    im.spatial()
    a = im.attrs(node)
    w, b = im.const(node, 1), im.const(node, 2, required=False)
    if w.ndim != 4 or list(a.get("kernel_shape", w.shape[2:])) != list(w.shape[2:]):
        raise Unsupported(f"W must be (C, F/groups, kh, kw) matching kernel_shape, got {w.shape}")
    if "output_shape" in a:
        raise Unsupported("output_shape is not supported; striate needs pads and output_padding")
    auto = a.get("auto_pad", b"NOTSET")
    if (auto.decode() if isinstance(auto, bytes) else auto) not in ("NOTSET", "VALID"):
        raise Unsupported(f"auto_pad {auto!r} is not supported in ConvTranspose")
    groups = a.get("group", 1)
    t, l, b_, r = a.get("pads", [0, 0, 0, 0])
    layer = L.Conv2DTranspose(w.shape[1] * groups, _tidy(tuple(w.shape[2:])),
                              stride=_tidy(tuple(a.get("strides", (1, 1)))), padding=_tidy_padding(((t, b_), (l, r))),
                              output_padding=_tidy(tuple(a.get("output_padding", (0, 0)))),
                              dilation=_tidy(tuple(a.get("dilations", (1, 1)))), groups=groups, bias=b is not None)
    params = {"kernel": w.transpose(2, 3, 1, 0)}
    if b is not None:
        params["bias"] = b
    im.add(layer, **params)


def _flattens_to_channels(im, node, nxt) -> bool:
    """Whether nxt turns this (N, C, 1, 1) output into (N, C): a Flatten(axis=1) or a Reshape."""
    if nxt is None or list(nxt.input[:1]) != [node.output[0]]:
        return False
    if nxt.op_type == "Flatten":
        return im.attrs(nxt).get("axis", 1) == 1
    if nxt.op_type == "Reshape" and len(nxt.input) > 1 and nxt.input[1] in im.consts:
        target = [int(v) for v in im.consts[nxt.input[1]].reshape(-1)]
        return len(target) == 2 and target[1] in (-1, im.model.output_shape[-1])
    return False


def _global_pool(im, node, rest):
    im.spatial()
    pool = L.GlobalAvgPool2D if node.op_type == "GlobalAveragePool" else L.GlobalMaxPool2D
    if _flattens_to_channels(im, node, rest[0] if rest else None):
        im.add(pool())  # (N, C): the Flatten is part of it
        return 1
    im.add(pool(keepdims=True))  # (N, C, 1, 1), i.e. striate's (N, 1, 1, C)


def _reduce(im, node, rest):
    """ReduceMean/ReduceMax over H and W is a global pool (PyTorch's dynamo export of AdaptiveAvgPool2d(1))."""
    im.spatial()
    a = im.attrs(node)
    axes = im.const(node, 1, required=False) if im.opset >= 18 else a.get("axes")
    if axes is None or sorted(int(v) % 4 for v in np.reshape(axes, -1)) != [2, 3]:
        raise Unsupported(f"{node.op_type} is imported only over the spatial axes [2, 3] of an NCHW tensor, "
                          f"got axes {None if axes is None else np.reshape(axes, -1).tolist()}")
    pool = L.GlobalAvgPool2D if node.op_type == "ReduceMean" else L.GlobalMaxPool2D
    if not a.get("keepdims", 1):
        im.add(pool())
    elif _flattens_to_channels(im, node, rest[0] if rest else None):
        im.add(pool())
        return 1
    else:
        im.add(pool(keepdims=True))


def _batch_norm(im, node, rest):
    a = im.attrs(node)
    if a.get("training_mode", 0) or any(node.output[1:]):
        raise Unsupported("BatchNormalization in training mode (batch statistics) is not supported")
    rank = len(im.model.output_shape)
    if rank == 3:
        im.spatial()
    elif rank != 1:
        raise Unsupported(f"BatchNormalization is imported on (N, C, H, W) or (N, C), got rank {rank + 1}")
    norm = L.BatchNorm2D if rank == 3 else L.BatchNorm1D
    layer = norm(momentum=round(1 - float(a.get("momentum", 0.9)), 6), eps=_float(a.get("epsilon", 1e-5)))
    im.add(layer, gamma=im.const(node, 1), beta=im.const(node, 2), running_mean=im.const(node, 3),
           running_var=im.const(node, 4))


OPS = {
    "Conv": _conv, "ConvTranspose": _conv_transpose, "MaxPool": _pool, "AveragePool": _pool,
    "GlobalAveragePool": _global_pool, "GlobalMaxPool": _global_pool, "ReduceMean": _reduce, "ReduceMax": _reduce,
    "BatchNormalization": _batch_norm,
    "Gemm": _gemm, "MatMul": _matmul, "Flatten": _flatten, "Reshape": _reshape, "Transpose": _transpose,
    "Softmax": _softmax,
    "Relu": lambda im, node, rest: im.add(L.ReLU()),
    "Sigmoid": lambda im, node, rest: im.add(L.Sigmoid()),
    "Tanh": lambda im, node, rest: im.add(L.Tanh()),
    "LeakyRelu": lambda im, node, rest: im.add(L.LeakyReLU(_float(im.attrs(node).get("alpha", 0.01)))),
    "Elu": lambda im, node, rest: im.add(L.ELU(_float(im.attrs(node).get("alpha", 1.0)))),
    "Identity": lambda im, node, rest: None,
    "Dropout": _dropout,
}
