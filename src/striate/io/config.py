"""A network described layer by layer in a TOML file: `striate train --config net.toml`.

    # net.toml: LeNet-5 for 28×28×1 digits
    input_shape = [28, 28, 1]          # optional: training takes the data set's shape

    [[layers]]
    type = "Conv2D"
    filters = 6
    kernel_size = 5
    padding = 2

    [[layers]]
    type = "ReLU"
    ...

Each [[layers]] table names a layer type and its constructor arguments. The type is
looked up in striate's fixed table of layers (striate/registry.py) — nothing in the file is
imported or evaluated — and the arguments go to the constructor, which checks them.
TOML arrays become tuples: padding = [[1, 1], [2, 2]] is ((1, 1), (2, 2)).
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass
from pathlib import Path

from .. import limits
from ..model import Sequential
from ..registry import LAYERS, from_json

KEYS = {"name", "description", "input_shape", "layers"}


@dataclass
class ModelConfig:
    """A network read from a TOML file: layer specs, not yet built."""

    path: Path
    layers: list[dict]
    input_shape: tuple | None = None
    name: str | None = None

    def build(self, input_shape=None, seed=None) -> Sequential:
        """A new Sequential with fresh weights; input_shape defaults to the file's.

        ValueError naming the file and the layer for an argument its constructor refuses,
        and for a network that cannot take the input (a kernel larger than its input, ...).
        """
        shape = tuple(input_shape) if input_shape is not None else self.input_shape
        if shape is None:
            raise ValueError(f"{self.path}: no input_shape in the file; give one (e.g. input_shape = [28, 28, 1])")
        layers = []
        for i, spec in enumerate(self.layers):
            args = {k: from_json(v) for k, v in spec.items() if k != "type"}
            where = f"{self.path}: layers[{i}] ({spec['type']})"
            try:
                layers.append(LAYERS[spec["type"]](**args))
            except TypeError as e:  # an argument the constructor does not take
                raise ValueError(f"{where}: {_argument_error(e)}") from None
            except Exception as e:  # noqa: BLE001 - ValueError, or what absurd values break: the file's fault
                raise ValueError(f"{where}: {e}") from None
        try:  # sizes are charged against striate.limits before any weight is drawn
            limits.check_size(limits.size(shape), "MAX_ACTIVATION", f"{self.path}: input_shape {shape}: one sample's size")
            with limits.counted_initialisers(layers, str(self.path)):
                model = Sequential(layers, input_shape=shape, seed=seed)
            limits.check_model(model, str(self.path))
        except limits.LimitError as e:
            raise ValueError(str(e)) from None
        except Exception as e:  # noqa: BLE001 - ValueError, or an overflow from sizes the file gives
            raise ValueError(f"{self.path}: the network does not fit {'×'.join(map(str, shape))} inputs: {e}") from None
        return model


def _absurd(value, depth: int = 0) -> str | None:
    """What makes a setting absurd — NaN, infinity, an int past 2**63, nesting past 8 levels — or None."""
    if isinstance(value, float) and not math.isfinite(value):
        return f"is {value}: settings must be finite"
    if isinstance(value, int) and abs(value) >= 2**63:
        return f"is an integer of {len(str(abs(value)))} digits: no size or setting is so large"
    if isinstance(value, (list, dict)):
        if depth >= 8:
            return "nests arrays deeper than 8 levels"
        for item in value.values() if isinstance(value, dict) else value:
            if problem := _absurd(item, depth + 1):
                return problem
    return None


def _argument_error(e: TypeError) -> str:
    """"__init__() got an unexpected keyword argument 'filter'" → "unexpected argument 'filter'"."""
    text = str(e)
    return text.split("() ", 1)[1] if "() " in text else text


def read(path) -> ModelConfig:
    """Parse and check a TOML network description (the layers are built by .build())."""
    path = Path(path)
    try:
        with open(path, "rb") as f:
            doc = tomllib.load(f)
    except FileNotFoundError:
        raise FileNotFoundError(f"{path}: no such config file") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError, RecursionError) as e:
        raise ValueError(f"{path}: not valid TOML: {type(e).__name__}: {e}") from None
    if unknown := sorted(set(doc) - KEYS):
        raise ValueError(f"{path}: unknown key {unknown[0]!r}; a config has {', '.join(sorted(KEYS))}")
    layers = doc.get("layers")
    if not isinstance(layers, list) or not layers or not all(isinstance(spec, dict) for spec in layers):
        raise ValueError(f"{path}: expected one or more [[layers]] tables, each with a type = \"...\"")
    for i, spec in enumerate(layers):
        kind = spec.get("type")
        if not isinstance(kind, str) or kind not in LAYERS:
            raise ValueError(f"{path}: layers[{i}]: unknown layer type {kind!r:.100}; known types: {', '.join(LAYERS)}")
        for key, value in spec.items():
            if problem := _absurd(value):
                raise ValueError(f"{path}: layers[{i}] ({kind}): {key} {problem}")
    shape = doc.get("input_shape")
    if shape is not None and not (isinstance(shape, list) and 1 <= len(shape) <= 3
                                  and all(type(d) is int and d >= 1 for d in shape)):
        raise ValueError(f"{path}: input_shape must list 1 to 3 positive sizes, e.g. [28, 28, 1], got {shape!r}")
    name = doc.get("name")
    return ModelConfig(path, layers, tuple(shape) if shape else None, name if isinstance(name, str) else None)


def load(path, input_shape=None, seed=None) -> Sequential:
    """read(path).build(input_shape, seed): a freshly initialised model from a TOML file."""
    return read(path).build(input_shape, seed)
