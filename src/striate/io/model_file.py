"""Save a Sequential to one safe file and load it back: `model.save(path)`, `striate.load(path)`.

The file (see document.py) holds each layer's arrays as tensors "layers.<i>.<name>"
(i from 0): its trained parameters (layer.params: kernels, biases, BatchNorm's gamma)
and the arrays it keeps without training them (layer.state: BatchNorm's running mean
and variance, a fixed WeightedAvgPool2D's window). A layer never uses one name for
both. Then this JSON document::

    {"format": "striate", "format_version": 1, "kind": "model",
     "model": {"input_shape": [28, 28, 1], "dtype": "float32", "seed": 0,
               "layers": [{"type": "Conv2D", "config": {"filters": 6, "kernel_size": 5, ...}}, ...]}}

The architecture is striate.registry.describe_model's, the description a worker process
rebuilds a model from too. Loading rebuilds each layer from the registry with its constructor
arguments, then checks the tensors against what the layers expect, parameters and
state alike: every one present, none extra, each of the right shape and dtype, every
value finite. Non-finite arrays are refused, on load (FormatError) and on save
(ValueError): a model with NaN or inf weights or statistics computes nothing useful,
and refusing it at save time means no file is ever written that load would then reject.
"""

from __future__ import annotations

from pathlib import Path
import numpy as np

from .. import limits, registry
from ..errors import FormatError
from ..model import Sequential
from . import class_names, document

DTYPES = registry.DTYPES
MAX_DIM = 2**31  # an input side larger than this is no image


def describe(model) -> dict:
    """The JSON architecture of a built model (registry.describe_model) and, when the
    model has them, its class names."""
    return {**registry.describe_model(model), **class_names.encode(model)}  # class_names: optional


def arrays(layer) -> dict[str, np.ndarray]:
    """A layer's parameters and state in one dict; ValueError if a name is used by both."""
    if both := sorted(set(layer.params) & set(layer.state)):
        raise ValueError(f"cannot save {layer.name}: {both[0]!r} is both a parameter and a state array")
    return {**layer.params, **layer.state}


def first_bad(model: Sequential):
    """(layer, name, problem) for the first parameter or state array a file may not hold
    (limits.bad_values: NaN, inf, or too large), None when all are fine."""
    for layer in model.layers:
        for key, value in arrays(layer).items():
            if problem := limits.bad_values(value):
                return layer, key, problem
    return None


def weights(model: Sequential) -> dict[str, np.ndarray]:
    """{"layers.<i>.<name>": array} for every parameter and state array, refusing non-finite ones."""
    if bad := first_bad(model):
        layer, key, problem = bad
        raise ValueError(f"cannot save {layer.name}: its {key} {problem} (the run diverged?); "
                         "striate files only hold finite weights of sensible size")
    return {f"layers.{i}.{key}": value for i, layer in enumerate(model.layers) for key, value in arrays(layer).items()}


def save(model: Sequential, path) -> None:
    """Write the model's architecture and weights to `path`, atomically."""
    document.write(path, "model", {"model": describe(model)}, weights(model))


def load(path) -> Sequential:
    """The model saved in `path` by save(), ready for predict."""
    doc, tensors = document.read(path, kinds=("model",))
    return from_document(doc, tensors, path)


def from_document(doc: dict, tensors: dict[str, np.ndarray], path) -> Sequential:
    """The model a model file's document and tensors describe; no tensor may be left over."""
    if set(doc) != {"format", "format_version", "kind", "model"}:
        raise FormatError(f"{path}: a model file's document has the keys format, format_version, kind "
                          f"and model, got {sorted(doc)}")
    model = rebuild(doc["model"], tensors, path)
    expect_tensors(tensors, set(tensor_names(model)), path)
    return model


# ---- rebuilding ---------------------------------------------------------------
def rebuild(arch, tensors: dict[str, np.ndarray], path) -> Sequential:
    """A model built from the architecture `arch`, holding the file's weights.

    Consumes nothing but the "layers.*" tensors; the caller checks for others.
    """
    where = f"{path}: model"
    if not isinstance(arch, dict) or set(arch) - {"class_names"} != {"input_shape", "dtype", "seed", "layers"}:
        raise FormatError(f"{where}: expected an object with input_shape, dtype, seed and layers (and class_names)")
    shape, dtype, seed, layer_list = arch["input_shape"], arch["dtype"], arch["seed"], arch["layers"]
    if not (isinstance(shape, list) and 1 <= len(shape) <= 3 and all(
            d is None or (type(d) is int and 1 <= d <= MAX_DIM) for d in shape)):
        raise FormatError(f"{where}: input_shape must list 1 to 3 sizes in [1, 2**31] (or null), got {shape!r:.100}")
    if not isinstance(dtype, str) or dtype not in DTYPES:
        raise FormatError(f"{where}: dtype must be one of {', '.join(DTYPES)}, got {dtype!r:.100}")
    if seed is not None and (type(seed) is not int or seed < 0):
        raise FormatError(f"{where}: seed must be a non-negative int or null, got {seed!r:.100}")
    if not isinstance(layer_list, list) or not layer_list:
        raise FormatError(f"{where}: layers must be a non-empty list")
    layers = [registry.create(entry, registry.LAYERS, "layer", f"{where} layers[{i}]")
              for i, entry in enumerate(layer_list)]
    with _InitialisersFromFile(layers, tensors, path):
        try:
            model = Sequential(layers, input_shape=tuple(shape), seed=seed, dtype=DTYPES[dtype])
        except FormatError:  # from _InitialisersFromFile: a missing or misshapen tensor
            raise
        except Exception as e:  # sizes and settings come from the file: a failure to build is its fault
            raise FormatError(f"{path}: the architecture does not build: {e}") from e
    try:  # shapes past the limits (a padding of 2**62) would fail only in predict
        limits.check_model(model, where)
    except limits.LimitError as e:
        raise FormatError(str(e)) from None
    for i, layer in enumerate(model.layers):
        for store in (layer.params, layer.state):
            for key in store:
                store[key] = _weight(tensors, f"layers.{i}.{key}", store[key], path)
    expect_tensors(tensors, set(tensor_names(model)), path, prefix="layers.")
    model.class_names = class_names.decode(arch, model, where)
    return model


def tensor_names(model: Sequential) -> list[str]:
    """The names of the model's parameters and state in a file: "layers.<i>.<name>"."""
    return [f"layers.{i}.{key}" for i, layer in enumerate(model.layers) for key in (*layer.params, *layer.state)]


def _weight(tensors, name, built: np.ndarray, path) -> np.ndarray:
    """The file's tensor `name`, checked against the parameter the layer built."""
    if name not in tensors:
        raise FormatError(f"{path}: missing tensor {name!r} (shape {built.shape})")
    return checked_tensor(tensors[name], name, built.shape, built.dtype, path)


def checked_tensor(array: np.ndarray, name: str, shape, dtype, path) -> np.ndarray:
    """array as dtype in native byte order, after checking its shape, dtype and finiteness."""
    if array.shape != tuple(shape):
        raise FormatError(f"{path}: tensor {name!r} has shape {array.shape}, expected {tuple(shape)}")
    if array.dtype.newbyteorder("=") != np.dtype(dtype):
        raise FormatError(f"{path}: tensor {name!r} has dtype {array.dtype.name}, expected {np.dtype(dtype).name}")
    if problem := limits.bad_values(array):
        raise FormatError(f"{path}: tensor {name!r} {problem}; striate refuses non-finite or absurd weights")
    return array.astype(dtype, order="C", copy=False)


def expect_tensors(tensors, expected: set, path, prefix: str = "") -> None:
    """Every tensor starting with `prefix` must be one of `expected`, and all of those present."""
    present = {name for name in tensors if name.startswith(prefix)}
    if missing := sorted(expected - present):
        raise FormatError(f"{path}: missing tensor {missing[0]!r}")
    if extra := sorted(present - expected):
        raise FormatError(f"{path}: unexpected tensor {extra[0]!r}: the architecture has no such parameter")


class _InitialisersFromFile:
    """While a model is rebuilt from a file, its initialisers hand out the file's tensors.

    Building a layer draws each array P (parameter or state) from its initialiser, the
    attribute P_init (Conv2D.kernel_init, Dense.bias_init, BatchNorm2D.running_var_init,
    ...). Left alone, a forged architecture — Dense(10**12) — would make that draw
    allocate without bound. Instead, each initialiser returns tensor "layers.<i>.<P>" of
    the file, after checking that it exists and has the shape asked for, so rebuilding
    allocates nothing the file does not hold. The real initialisers come back afterwards.
    """

    def __init__(self, layers, tensors, path):
        self.tensors, self.path = tensors, Path(path)
        self.swapped = [(i, layer, attr, value) for i, layer in enumerate(layers)
                        for attr, value in vars(layer).items() if attr.endswith("_init") and callable(value)]

    def __enter__(self):
        for i, layer, attr, _ in self.swapped:
            setattr(layer, attr, self._from_file(f"layers.{i}.{attr.removesuffix('_init')}"))

    def __exit__(self, *exc):
        for _, layer, attr, value in self.swapped:
            setattr(layer, attr, value)

    def _from_file(self, name):
        def initialiser(shape, rng=None):
            if name not in self.tensors:
                raise FormatError(f"{self.path}: missing tensor {name!r} (shape {tuple(shape)})")
            array = self.tensors[name]
            if array.shape != tuple(shape):
                raise FormatError(f"{self.path}: tensor {name!r} has shape {array.shape}, expected {tuple(shape)}")
            return array

        return initialiser
