"""The optional "class_names" field of a model file's architecture: label i is class_names[i].

    {"model": {"input_shape": [...], ..., "layers": [...], "class_names": ["T-shirt/top", ...]}}

Written when the model has class names (set by `striate train` from the data set or the
folder names, or by hand: `model.class_names = data.class_names`); files without the field
load as before, with model.class_names None.
"""

from __future__ import annotations

from ..errors import FormatError

MAX_NAME = 1000  # characters in one class name


def encode(model) -> dict:
    """{"class_names": [...]} for the architecture, or {} when the model has none; ValueError if unusable."""
    names = model.class_names
    if names is None:
        return {}
    names = list(names)
    problem = check(names, model.output_shape)
    if problem:
        raise ValueError(f"cannot save the model: class_names {problem}")
    return {"class_names": names}


def decode(arch: dict, model, where) -> list[str] | None:
    """The file's class names checked against the model built from it (FormatError naming the file)."""
    if "class_names" not in arch:
        return None
    names = arch["class_names"]
    problem = check(names, model.output_shape)
    if problem:
        raise FormatError(f"{where}: class_names {problem}")
    return names


def check(names, output_shape) -> str | None:
    """What is wrong with names for a model of this output shape, or None."""
    if not isinstance(names, list) or not all(isinstance(n, str) and 0 < len(n) <= MAX_NAME for n in names):
        return f"must be a list of non-empty strings, got {names!r:.100}"
    if output_shape is None or len(output_shape) != 1 or output_shape[0] != len(names):
        return (f"lists {len(names)} names but the model outputs {'×'.join(map(str, output_shape or ()))} values; "
                "expected one name per output")
    return None
