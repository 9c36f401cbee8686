"""Import an ONNX graph as a striate Sequential: `striate.onnx.load("model.onnx")`.

The graph must be one chain — each node taking the previous node's output, its other
inputs weights (initializers or Constant nodes) — of these ops:

    Conv  MaxPool  AveragePool  Gemm  MatMul(+Add)  Flatten  Reshape(to 2-D)
    Relu  Sigmoid  Tanh  Softmax  Transpose(NHWC ↔ NCHW)  Identity  Dropout  Constant

which covers what PyTorch's torch.onnx.export writes for a LeNet-like CNN, and what
striate.onnx.export writes. The striate model always takes NHWC input: a graph whose
input is NCHW (PyTorch's) becomes a model for x.transpose(0, 2, 3, 1), and a 4-D output
comes back NHWC. The weights are converted instead: Conv's W (F, C/g, kh, kw) becomes a
kernel (kh, kw, C/g, F), and the first Gemm after a Flatten of NCHW data gets its rows
reordered from (c, h, w) to striate's (h, w, c) flattening order.

Loading runs nothing from the file: protobuf is parsed as data, weights in external
data files are read only from regular files in the model's own folder, and every op
is looked up in a fixed table.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from .. import layers as L
from ..errors import FormatError
from ..model import Sequential
from ._require import require_onnx

NCHW_AXIS_IN_NHWC = {0: 0, 1: 3, 2: 1, 3: 2}  # where an NCHW axis sits in striate's NHWC


class _Unsupported(ValueError):
    """A node striate cannot express; turned into a FormatError naming the file and node."""


class _Importer:
    """Walks the chain of nodes, adding one striate layer per op that computes something.

    State: `current` is the name of the tensor flowing down the chain; `layout` says
    how a 4-D one is ordered ("NCHW" or "NHWC"); `perm` is set after flattening NCHW
    data: ONNX's flat feature j is striate's flat feature perm[j].
    """

    def __init__(self, proto, numpy_helper, helper):
        self.to_array, self.attr_value = numpy_helper.to_array, helper.get_attribute_value
        self.opset = max((o.version for o in proto.opset_import if o.domain in ("", "ai.onnx")), default=1)
        self.consts = {t.name: self.to_array(t) for t in proto.graph.initializer}
        self.model, self.current, self.layout, self.perm = None, None, None, None

    # ---- the chain ----------------------------------------------------------------
    def start(self, graph, input_shape):
        inputs = [i for i in graph.input if i.name not in self.consts]
        if len(inputs) != 1 or len(graph.output) != 1:
            raise _Unsupported(f"the graph must have one input and one output, "
                               f"has {len(inputs)} and {len(graph.output)}")
        value = inputs[0]
        elem = value.type.tensor_type.elem_type
        dtypes = {1: np.float32, 11: np.float64}
        if elem not in dtypes:
            raise _Unsupported(f"the input must be float or double, got ONNX element type {elem}")
        dims = [d.dim_value if d.HasField("dim_value") else None for d in value.type.tensor_type.shape.dim]
        first = next((n for n in graph.node if n.input and n.input[0] == value.name), None)
        if len(dims) == 4:
            nhwc = first is not None and first.op_type == "Transpose" and self._perm(first) == [0, 3, 1, 2]
            self.layout = "NHWC" if nhwc else "NCHW"
            shape = dims[1:] if nhwc else [dims[2], dims[3], dims[1]]
        elif len(dims) == 2:
            shape = dims[1:]
        else:
            raise _Unsupported(f"the input must be (N, C, H, W), (N, H, W, C) or (N, features), got rank {len(dims)}")
        shape = tuple(input_shape) if input_shape is not None else tuple(shape)
        self.model = Sequential(input_shape=shape, dtype=dtypes[elem])
        self.current = value.name

    def run(self, nodes):
        skip = 0
        for i, node in enumerate(nodes):
            if skip:
                skip -= 1
                continue
            try:
                if node.op_type == "Constant":  # a weight written as a node
                    value = self.attr_value(node.attribute[0])
                    self.consts[node.output[0]] = self.to_array(value) if hasattr(value, "dims") else np.asarray(value)
                    continue
                if node.op_type not in OPS:
                    raise _Unsupported(f"op {node.op_type} is not supported; striate imports {', '.join(sorted(OPS))}")
                if not node.input or node.input[0] != self.current:
                    raise _Unsupported(f"the graph is not a single chain: this node does not take {self.current!r}")
                skip = OPS[node.op_type](self, node, nodes[i + 1:]) or 0
                self.current = (nodes[i + skip] if skip else node).output[0]
            except Exception as e:  # the node's settings come from the file: what they break is its fault
                raise _Unsupported(f"node {i} ({node.op_type} {node.name!r}): {e}") from e

    def finish(self, graph) -> Sequential:
        if graph.output[0].name != self.current:
            raise _Unsupported(f"the graph's output {graph.output[0].name!r} is not the end of its chain")
        if self.perm is not None:
            raise _Unsupported("the output is a flattened NCHW tensor, whose order striate cannot reproduce")
        return self.model

    # ---- helpers ------------------------------------------------------------------
    def attrs(self, node) -> dict:
        return {a.name: self.attr_value(a) for a in node.attribute}

    def _perm(self, node):
        return list(self.attrs(node).get("perm", []))

    def const(self, node, index, required=True):
        """The node's input `index` as an array: an initializer or a Constant's value."""
        if index >= len(node.input) or not node.input[index]:
            if required:
                raise _Unsupported(f"input {index} is missing")
            return None
        name = node.input[index]
        if name not in self.consts:
            raise _Unsupported(f"input {name!r} must be a weight (an initializer or Constant), not computed")
        return self.consts[name]

    def add(self, layer, **params):
        """Append a layer (built at once, validating its settings) and set its parameters."""
        self.model.add(layer)
        for key, value in params.items():
            target = layer.params[key]
            if value.shape != target.shape:
                raise _Unsupported(f"{key} has shape {value.shape}, but the layer needs {target.shape}")
            target[...] = value

    def spatial(self):
        if self.layout != "NCHW" or len(self.model.output_shape) != 3:
            raise _Unsupported("expects a 4-D NCHW tensor here")
        return self.model.output_shape[:2]

    def padding(self, a: dict, kernel, stride, dilation):
        """((top, bottom), (left, right)) from pads or auto_pad, for the current input size."""
        auto = a.get("auto_pad", b"NOTSET")
        auto = auto.decode() if isinstance(auto, bytes) else auto
        if auto == "NOTSET":
            t, l, b, r = a.get("pads", [0, 0, 0, 0])
            return ((t, b), (l, r))
        if auto == "VALID":
            return ((0, 0), (0, 0))
        if auto not in ("SAME_UPPER", "SAME_LOWER"):
            raise _Unsupported(f"auto_pad {auto!r} is not supported")
        pads = []
        for n, k, s, d in zip(self.spatial(), kernel, stride, dilation):
            if n is None:
                raise _Unsupported("auto_pad SAME needs a known input size")
            total = max((math.ceil(n / s) - 1) * s + d * (k - 1) + 1 - n, 0)
            small, big = total // 2, total - total // 2
            pads.append((small, big) if auto == "SAME_UPPER" else (big, small))
        return tuple(pads)


def _tidy(pair):
    """(3, 3) → 3, so an imported model prints like one written by hand."""
    return pair[0] if pair[0] == pair[1] else tuple(pair)


def _tidy_padding(padding):
    """((1, 1), (2, 2)) → (1, 2) → ...; uneven padding stays as it is."""
    (t, b), (l, r) = padding
    return _tidy((t, l)) if t == b and l == r else ((t, b), (l, r))


# ---- one function per op: add the layer, return how many following nodes it used ----
def _conv(im: _Importer, node, rest):
    im.spatial()
    a = im.attrs(node)
    w, b = im.const(node, 1), im.const(node, 2, required=False)
    if w.ndim != 4 or list(a.get("kernel_shape", w.shape[2:])) != list(w.shape[2:]):
        raise _Unsupported(f"W must be (F, C/groups, kh, kw) matching kernel_shape, got {w.shape}")
    kernel, stride, dilation = tuple(w.shape[2:]), tuple(a.get("strides", (1, 1))), tuple(a.get("dilations", (1, 1)))
    layer = L.Conv2D(w.shape[0], _tidy(kernel), stride=_tidy(stride),
                     padding=_tidy_padding(im.padding(a, kernel, stride, dilation)),
                     dilation=_tidy(dilation), groups=a.get("group", 1), bias=b is not None)
    params = {"kernel": w.transpose(2, 3, 1, 0)}
    if b is not None:
        params["bias"] = b
    im.add(layer, **params)


def _pool(im: _Importer, node, rest):
    im.spatial()
    a = im.attrs(node)
    kernel, stride = tuple(a["kernel_shape"]), tuple(a.get("strides", (1, 1)))
    if a.get("ceil_mode", 0) or any(d != 1 for d in a.get("dilations", (1, 1))):
        raise _Unsupported("ceil_mode=1 and dilations are not supported in pooling")
    padding = im.padding(a, kernel, stride, (1, 1))
    if node.op_type == "AveragePool" and any(p for pair in padding for p in pair) and not a.get("count_include_pad", 0):
        raise _Unsupported("padded AveragePool must have count_include_pad=1 (padded zeros count)")
    pool = L.AvgPool2D if node.op_type == "AveragePool" else L.MaxPool2D
    im.add(pool(_tidy(kernel), stride=None if stride == kernel else _tidy(stride), padding=_tidy_padding(padding)))


def _dense(im: _Importer, kernel, bias):
    """Dense from a kernel (in, units) applied to the flattened data, undoing a pending reorder."""
    if len(im.model.output_shape) != 1:
        raise _Unsupported("a matrix product needs a flattened (N, features) input")
    if im.perm is not None:
        reordered = np.empty_like(kernel)
        reordered[im.perm] = kernel  # ONNX row j multiplies striate's feature perm[j]
        kernel, im.perm = reordered, None
    params = {"kernel": kernel} if bias is None else {"kernel": kernel, "bias": bias}
    im.add(L.Dense(kernel.shape[1], bias=bias is not None), **params)


def _bias(c, units):
    c = np.asarray(c)
    if c.size not in (1, units) or (c.size == units and c.shape[-1] != units):
        raise _Unsupported(f"the bias must broadcast to ({units},), got shape {c.shape}")
    return np.broadcast_to(c.reshape(-1), (units,))


def _gemm(im: _Importer, node, rest):
    a = im.attrs(node)
    if a.get("transA", 0):
        raise _Unsupported("transA=1 is not supported")
    b, c = im.const(node, 1), im.const(node, 2, required=False)
    if b.ndim != 2:
        raise _Unsupported(f"Gemm needs a 2-D weight B, got shape {b.shape}")
    kernel = (b.T if a.get("transB", 0) else b) * a.get("alpha", 1.0)
    bias = None if c is None else _bias(c, kernel.shape[1]) * a.get("beta", 1.0)
    _dense(im, kernel, bias)


def _matmul(im: _Importer, node, rest):
    kernel = im.const(node, 1)
    if kernel.ndim != 2:
        raise _Unsupported(f"MatMul needs a 2-D weight, got shape {kernel.shape}")
    nxt = rest[0] if rest else None
    if nxt is not None and nxt.op_type == "Add" and list(nxt.input).count(node.output[0]) == 1:
        other = [n for n in nxt.input if n != node.output[0]][0]
        if other in im.consts:
            _dense(im, kernel, _bias(im.consts[other], kernel.shape[1]))
            return 1
    _dense(im, kernel, None)


def _flatten(im: _Importer, node, rest):
    if im.attrs(node).get("axis", 1) != 1:
        raise _Unsupported("only Flatten(axis=1) is supported")
    _flatten_features(im)


def _flatten_features(im: _Importer):
    shape = im.model.output_shape
    if len(shape) == 1:
        return  # already (N, features)
    if len(shape) == 3 and im.layout == "NCHW":
        h, w, c = shape
        im.perm = np.arange(h * w * c).reshape(h, w, c).transpose(2, 0, 1).reshape(-1)
    im.add(L.Flatten())


def _reshape(im: _Importer, node, rest):
    target = [int(v) for v in im.const(node, 1).reshape(-1)]
    features = math.prod(d for d in im.model.output_shape)
    if len(target) != 2 or target[1] not in (-1, features) or (target[0] < -1):
        raise _Unsupported(f"only a Reshape to (N, features) is supported, got {target}")
    _flatten_features(im)


def _transpose(im: _Importer, node, rest):
    perm = im._perm(node)
    if len(im.model.output_shape) == 3 and perm == [0, 3, 1, 2] and im.layout == "NHWC":
        im.layout = "NCHW"
    elif len(im.model.output_shape) == 3 and perm == [0, 2, 3, 1] and im.layout == "NCHW":
        im.layout = "NHWC"
    else:
        raise _Unsupported(f"only Transposes between NHWC and NCHW are supported, got perm {perm}")


def _softmax(im: _Importer, node, rest):
    rank = len(im.model.output_shape) + 1
    axis = im.attrs(node).get("axis", -1 if im.opset >= 13 else 1)
    if im.opset < 13 and rank != 2:
        raise _Unsupported("Softmax before opset 13 is only supported on (N, features)")
    axis %= rank
    if rank == 4 and im.layout == "NCHW":
        axis = NCHW_AXIS_IN_NHWC[axis]
    im.add(L.Softmax(axis=axis - rank))


def _dropout(im: _Importer, node, rest):
    mode = im.const(node, 2, required=False)
    if mode is not None and bool(mode):
        raise _Unsupported("Dropout in training mode")


OPS = {
    "Conv": _conv, "MaxPool": _pool, "AveragePool": _pool, "Gemm": _gemm, "MatMul": _matmul,
    "Flatten": _flatten, "Reshape": _reshape, "Transpose": _transpose, "Softmax": _softmax,
    "Relu": lambda im, node, rest: im.add(L.ReLU()),
    "Sigmoid": lambda im, node, rest: im.add(L.Sigmoid()),
    "Tanh": lambda im, node, rest: im.add(L.Tanh()),
    "Identity": lambda im, node, rest: None,
    "Dropout": _dropout,
}


def _load_external_data(proto, path: Path, helper) -> None:
    """Read weights kept beside the model (PyTorch's exporter does so by default).

    Each must be a regular file inside the model's folder: an absolute location, "..",
    or a symbolic link could make loading read any file on the machine.
    """
    for tensor in proto.graph.initializer:
        if not helper.uses_external_data(tensor):
            continue
        location = Path({e.key: e.value for e in tensor.external_data}.get("location", ""))
        target = path.parent / location
        if (not location.parts or location.is_absolute() or ".." in location.parts
                or target.is_symlink() or not target.is_file()):
            raise FormatError(f"{path}: tensor {tensor.name!r} keeps its data in {str(location)!r}, which is not "
                              "a regular file in the model's folder")
    try:
        helper.load_external_data_for_model(proto, str(path.parent))
    except Exception as e:  # a short file, an offset past its end, ...
        raise FormatError(f"{path}: cannot read its external data: {e}") from None


def load(path, input_shape=None) -> Sequential:
    """A striate Sequential computing what the ONNX graph in `path` computes.

    Args:
        path: an .onnx file.
        input_shape: (H, W, C) or (features,) to use when the graph leaves sizes open.
    Raises:
        FormatError naming the file: not ONNX, external data, or an op, attribute or
        graph shape striate cannot express.
    """
    onnx = require_onnx()
    from onnx import external_data_helper, helper, numpy_helper

    path = Path(path)
    try:
        proto = onnx.load(str(path), load_external_data=False)
    except Exception as e:  # protobuf raises many kinds; all mean "not an ONNX file"
        raise FormatError(f"{path}: not a valid ONNX model: {e}") from None
    _load_external_data(proto, path, external_data_helper)
    try:
        onnx.checker.check_model(proto)
    except Exception as e:
        raise FormatError(f"{path}: not a valid ONNX model: {e}") from None
    importer = _Importer(proto, numpy_helper, helper)
    try:
        importer.start(proto.graph, input_shape)
        importer.run(list(proto.graph.node))
        return importer.finish(proto.graph)
    except ValueError as e:  # _Unsupported, or a layer refusing its settings
        raise FormatError(f"{path}: {e}") from e
