"""Import an ONNX graph as a striate Sequential: `striate.onnx.load("model.onnx")`.

The graph must be one chain — each node taking the previous node's output, its other
inputs weights (initializers or Constant nodes) — of these ops (import_ops.py says
what each becomes):

    Conv  ConvTranspose  MaxPool  AveragePool  GlobalAveragePool  GlobalMaxPool
    ReduceMean/ReduceMax(over H and W)  BatchNormalization  Gemm  MatMul(+Add)
    Flatten  Reshape(to 2-D)  Relu  Sigmoid  Tanh  LeakyRelu  Elu  Softmax
    Transpose(NHWC ↔ NCHW)  Identity  Dropout  Constant

which covers what PyTorch's torch.onnx.export writes for a LeNet-like CNN or one with
batch normalisation, and what striate.onnx.export writes for those layers. The striate
model always takes NHWC input: a graph whose input is NCHW (PyTorch's) becomes a model
for x.transpose(0, 2, 3, 1), and a 4-D output comes back NHWC. The weights are converted
instead: Conv's W (F, C/g, kh, kw) becomes a kernel (kh, kw, C/g, F), and the first Gemm
after a Flatten of NCHW data gets its rows reordered from (c, h, w) to striate's
(h, w, c) flattening order.

Loading runs nothing from the file: protobuf is parsed as data, weights in external
data files are read only from regular files in the model's own folder (symbolic links
resolved), and every op is looked up in a fixed table. Every weight is checked
(tensors.py) before it becomes an array, and each layer takes the graph's arrays as its
parameters while it is built, so no shape read from the file makes striate draw weights.

Class names written by striate.onnx.export (metadata_props "striate.class_names", a JSON
list) become model.class_names; an entry that is not one non-empty string per output is
refused, as in a striate model file.
"""

from __future__ import annotations

import json
import math
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from .. import limits
from ..errors import FormatError
from ..io import class_names
from ..model import Sequential
from ._require import require_onnx
from .exporter import CLASS_NAMES
from .import_ops import OPS
from .import_ops import Unsupported as _Unsupported
from .tensors import EXTERNAL, checked_array, read_external


class _Importer:
    """Walks the chain of nodes, adding one striate layer per op that computes something.

    State: `current` is the name of the tensor flowing down the chain; `layout` says
    how a 4-D one is ordered ("NCHW" or "NHWC"); `perm` is set after flattening NCHW
    data: ONNX's flat feature j is striate's flat feature perm[j].
    """

    def __init__(self, proto, numpy_helper, helper):
        self.attr_value = helper.get_attribute_value
        self.to_array = lambda t: checked_array(t, f"tensor {t.name!r}", numpy_helper.to_array)
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
        limits.check_size(limits.size(shape), "MAX_ACTIVATION", f"input shape {shape}: one sample's size")
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
                    value = self.to_array(value) if hasattr(value, "dims") else np.asarray(value)
                    if problem := limits.bad_values(value):
                        raise _Unsupported(f"its value {problem}")
                    self.consts[node.output[0]] = value
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
        limits.check_model(self.model, "graph")  # a LimitError (ValueError): sizes past the limits
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

    def add(self, layer, **arrays):
        """Append a layer (built at once, validating its settings) and set its parameters and state.

        While the layer is built its initialisers hand out the graph's arrays, checked
        for shape first, so a forged input size is refused before a weight is drawn.
        """
        with given_arrays(layer, arrays):
            self.model.add(layer)
        for key, value in arrays.items():
            target = layer.params[key] if key in layer.params else layer.state[key]
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


@contextmanager
def given_arrays(layer, arrays: dict):
    """While `layer` is built, its initialiser P_init returns arrays[P] if the shape it asks for
    is that array's (_Unsupported otherwise); an array not given is drawn only within MAX_PARAMS."""
    swapped = {attr: value for attr, value in vars(layer).items() if attr.endswith("_init") and callable(value)}

    def initialiser(key, real):
        def draw(shape, rng=None):
            if key in arrays:
                if tuple(arrays[key].shape) != tuple(shape):
                    raise _Unsupported(f"{key} has shape {arrays[key].shape}, but the layer needs {tuple(shape)}")
                return np.array(arrays[key])  # a writable copy: the graph's arrays may be read-only views
            limits.check_size(limits.size(shape), "MAX_PARAMS", f"{type(layer).__name__} {key} {tuple(shape)}: its size")
            return real(shape, rng)

        return draw

    for attr, real in swapped.items():
        setattr(layer, attr, initialiser(attr.removesuffix("_init"), real))
    try:
        yield
    finally:
        for attr, real in swapped.items():
            setattr(layer, attr, real)


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
    from onnx import helper, numpy_helper

    path = Path(path)
    try:
        proto = onnx.load(str(path), load_external_data=False)
    except Exception as e:  # protobuf raises many kinds; all mean "not an ONNX file"
        raise FormatError(f"{path}: not a valid ONNX model: {e}") from None
    for tensor in proto.graph.initializer:
        if tensor.data_location == EXTERNAL:
            read_external(tensor, path, f"{path}: initializer {tensor.name!r}")
    try:
        onnx.checker.check_model(proto)
    except Exception as e:
        raise FormatError(f"{path}: not a valid ONNX model: {e}") from None
    try:
        importer = _Importer(proto, numpy_helper, helper)
        importer.start(proto.graph, input_shape)
        importer.run(list(proto.graph.node))
        model = importer.finish(proto.graph)
    except (ValueError, TypeError, KeyError, IndexError, AttributeError, ArithmeticError) as e:  # _Unsupported,
        # a layer refusing its settings, a limit: whatever the graph's settings break is its fault
        raise FormatError(f"{path}: {e}") from e
    model.class_names = saved_class_names(proto, model, path)
    return model


def saved_class_names(proto, model, path) -> list[str] | None:
    """The class names in the file's metadata_props (striate.onnx.export's), checked; None if absent."""
    entries = [p.value for p in proto.metadata_props if p.key == CLASS_NAMES]
    if not entries:
        return None
    try:
        names = json.loads(entries[-1])
    except ValueError as e:
        raise FormatError(f"{path}: metadata {CLASS_NAMES} is not JSON: {e}") from None
    if problem := class_names.check(names, model.output_shape):
        raise FormatError(f"{path}: metadata {CLASS_NAMES} {problem}")
    return names
