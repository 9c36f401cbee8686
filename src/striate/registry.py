"""The fixed tables that turn a type name read from a file into a striate class, and back.

A file names its layers, optimizer and schedule by type ("Conv2D", "SGD", "OneCycle");
loading looks the name up here and nowhere else — never an import, a getattr on a
module, or an eval — so a file can only ever build the classes listed below, with
arguments that are plain JSON values checked by their constructors.

The same descriptions cross to a worker process (striate.engine.workers): a model's
architecture (describe_model) and its loss travel as JSON, and the worker builds its
layers from these tables. That is why this module sits low, under the engine and the
model: it imports layers, losses, optimizers and schedules, nothing above them. io, which
sits above the model, puts here what the model needs of it (FILES: saving, checkpoints),
so that the model never imports io.
"""

from __future__ import annotations

import numbers

import numpy as np

from . import layers as layers_mod
from . import losses, optim, schedules
from .errors import FormatError


def _table(classes) -> dict[str, type]:
    return {cls.__name__: cls for cls in classes}


LAYERS = _table(cls for cls in map(layers_mod.__dict__.get, layers_mod.__all__)
                if isinstance(cls, type) and issubclass(cls, layers_mod.Layer) and cls is not layers_mod.Layer)
OPTIMIZERS = _table([optim.SGD, optim.Adam])
SCHEDULES = _table([schedules.StepDecay, schedules.CosineDecay, schedules.OneCycle])
LOSSES = _table([losses.CrossEntropy, losses.MSE])
DTYPES = {"float32": np.float32, "float64": np.float64}  # the dtypes a model may be saved in


FILES: dict[str, object] = {}  # what striate.io provides to the model below it: "save", "checkpointer"


def file_support(name: str):
    """The io function the model needs for `name` ("save": model files; "checkpointer":
    fit's checkpoints). striate.io, which sits above the model, puts them here when it is
    imported (import striate does), so that the model never imports io."""
    if name not in FILES:
        raise RuntimeError(f"striate.io is not loaded: import striate (or striate.io) before using {name}")
    return FILES[name]


def describe_model(model) -> dict:
    """The JSON architecture of a built model: what a model file and a worker process rebuild it from.

        {"input_shape": [28, 28, 1], "dtype": "float32", "seed": 0,
         "layers": [{"type": "Conv2D", "config": {"filters": 6, ...}}, ...]}

    `model` is a Sequential (anything with built, input_shape, dtype, seed and layers).
    ValueError for a model that is not built, of another dtype, or with a layer not in LAYERS.
    """
    if not model.built:
        raise ValueError("cannot save a model that is not built: give input_shape, or call build() first")
    if model.dtype.name not in DTYPES:
        raise ValueError(f"cannot save a model of dtype {model.dtype}; expected float32 or float64")
    return {"input_shape": list(model.input_shape), "dtype": model.dtype.name,
            "seed": int(model.seed) if isinstance(model.seed, numbers.Integral) else None,
            "layers": [describe(layer, LAYERS, "layer") for layer in model.layers]}


def to_json(value, where: str):
    """A config value as plain JSON: tuples become lists, NumPy scalars Python numbers."""
    if isinstance(value, (tuple, list)):
        return [to_json(v, where) for v in value]
    if isinstance(value, dict):
        return {str(k): to_json(v, where) for k, v in value.items()}
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    raise ValueError(f"{where}: cannot save the setting {value!r}: it is not a number, string or list")


def from_json(value):
    """Lists read from JSON back into the tuples the constructors were given."""
    if isinstance(value, list):
        return tuple(from_json(v) for v in value)
    if isinstance(value, dict):
        return {k: from_json(v) for k, v in value.items()}
    return value


def type_name(obj, table: dict[str, type], what: str) -> str:
    """The name obj's type is registered under; ValueError for a type loading could not rebuild."""
    name = type(obj).__name__
    if table.get(name) is not type(obj):
        raise ValueError(f"cannot save {what} {obj!r}: only these types can be saved: {', '.join(table)}")
    return name


def describe(obj, table: dict[str, type], what: str) -> dict:
    """{"type": name, "config": constructor arguments as JSON} for a registered object."""
    name = type_name(obj, table, what)
    return {"type": name, "config": to_json(obj.get_config(), f"{what} {name}")}


def create(entry, table: dict[str, type], what: str, where: str):
    """The object an entry {"type": name, "config": {...}} from a file describes.

    Raises FormatError (starting with `where`, which names the file) for an unknown
    type or arguments its constructor refuses.
    """
    if not isinstance(entry, dict) or set(entry) != {"type", "config"}:
        raise FormatError(f"{where}: {what} must be an object with \"type\" and \"config\", got {entry!r:.200}")
    name, config = entry["type"], entry["config"]
    if not isinstance(name, str) or name not in table:
        raise FormatError(f"{where}: unknown {what} type {name!r:.100}; known types: {', '.join(table)}")
    if not isinstance(config, dict):
        raise FormatError(f"{where}: {what} {name}: config must be an object, got {config!r:.200}")
    try:
        return table[name](**from_json(config))
    except Exception as e:  # the arguments come from the file: whatever they break is the file's fault
        raise FormatError(f"{where}: {what} {name}: wrong constructor arguments {config!r:.300}: {e}") from e
