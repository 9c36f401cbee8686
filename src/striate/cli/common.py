"""What several commands share: --help with an example, models by file or name, shapes."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from .. import layers as L
from .. import models
from ..arithmetic import dims
from ..io import config


def add_command(sub, name: str, help: str, example: str, description: str | None = None) -> argparse.ArgumentParser:
    """A sub-command whose --help ends with an example (or several, one per line)."""
    p = sub.add_parser(name, help=help, description=description or help[0].upper() + help[1:] + ".",
                       epilog="example:\n" + "\n".join(f"  {line}" for line in example.splitlines()),
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    # SUPPRESS: an unset --debug here must not hide `striate --debug CMD` given before the command
    p.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                   help="show the full traceback when something goes wrong")
    return p


def shape(text: str) -> tuple[int, ...]:
    """argparse type of --input-shape: "28x28x1" or "32,32,3" (height, width, channels)."""
    try:
        dims = tuple(int(p) for p in text.lower().replace(",", "x").split("x"))
    except ValueError:
        dims = ()
    if not 1 <= len(dims) <= 3 or min(dims) < 1:
        raise argparse.ArgumentTypeError(f"expected HxWxC, e.g. 28x28x1 or 32x32x3, got {text!r}")
    return dims




def model_argument(p, what: str = "a model file (.striate or checkpoint), a TOML config, or a built-in name"):
    p.add_argument("model", metavar="MODEL", help=f"{what}: {', '.join(models.MODELS)}")


def is_untrained(spec: str) -> bool:
    """Whether load_model(spec) gives random weights: a built-in name or a TOML config."""
    return spec in models.MODELS or Path(spec).suffix == ".toml"


def untrained_note(spec: str) -> None:
    """Say on stderr that what a command computes with spec's weights was not learned."""
    what = "a built-in model" if spec in models.MODELS else "a network described in TOML"
    print(f"note: {spec} is {what} with untrained, random weights: what it computes was not learned "
          "(give a file from `striate train --out FILE.striate` for a trained model)", file=sys.stderr)


def load_model(spec: str, input_shape=None, classes: int | None = None, seed: int = 0, note: bool = True):
    """A model from a file, a TOML config (fresh weights) or a built-in name (fresh weights).

    input_shape and classes apply to configs and built-in names; a saved model keeps its own.
    note: for fresh weights, say on stderr that they are untrained (commands that look
    at the architecture alone, such as summary, pass False).
    """
    if note and is_untrained(spec):
        untrained_note(spec)
    if spec in models.MODELS:
        kwargs = {"seed": seed}
        if input_shape is not None:
            kwargs["input_shape"] = tuple(input_shape)
        if classes is not None:
            kwargs["classes"] = classes
        return models.get(spec, **kwargs)
    path = Path(spec)
    if path.suffix == ".toml":
        return config.load(path, input_shape, seed)
    if not path.exists():
        raise FileNotFoundError(f"{spec}: no such model file, and not a built-in model "
                                f"({', '.join(models.MODELS)})")
    if path.suffix.lower() == ".onnx":  # e.g. exported by torch.onnx.export
        from .. import onnx

        return onnx.load(path)
    from .. import io

    model = io.load(path)
    if input_shape is not None and None in model.input_shape:  # a model for any size, at the size asked
        return at_fixed_size(model, input_shape)[0]
    if input_shape is not None and tuple(input_shape) != tuple(model.input_shape):
        raise ValueError(f"{spec} takes {dims(model.input_shape)} inputs; --input-shape only applies to "
                         "built-in models and configs")
    return model


EXAMPLE_SIZE = 28  # the image side at which a model for any size is worked out or checked


def at_fixed_size(model, input_shape=None):
    """(model, note): a model for any image size as a twin at input_shape (default 28×28),
    same weights; a model of fixed size as it is, note None."""
    shape = tuple(model.input_shape)
    if None not in shape:
        return model, None
    if input_shape is None:
        input_shape = tuple(EXAMPLE_SIZE if d is None else d for d in shape)
        note = (f"the model takes any image size ({dims(shape)}); shown at {dims(input_shape)} "
                "(--input-shape for another)")
    else:
        note = None
    return model.twin(input_shape), note


def first_conv(model, layer: int | None = None):
    """The Conv2D at position `layer` (1-based, as in `striate summary`), or the first one."""
    if layer is None:
        for candidate in model.layers:
            if isinstance(candidate, L.Conv2D):
                return candidate
        raise ValueError("the model has no Conv2D layer")
    if not 1 <= layer <= len(model.layers):
        raise ValueError(f"--layer must lie in 1..{len(model.layers)} (see `striate summary`), got {layer}")
    chosen = model.layers[layer - 1]
    if not isinstance(chosen, L.Conv2D):
        convs = [str(c.index) for c in model.layers if isinstance(c, L.Conv2D)]
        raise ValueError(f"layer {layer} is {chosen!r}, not a Conv2D; the convolutions are layers {', '.join(convs)}")
    return chosen


def check_images(model, x_shape, what: str) -> None:
    """ValueError when images of shape x_shape (no batch axis) do not fit the model."""
    expected = model.input_shape
    if len(expected) != len(x_shape) or any(e is not None and e != g for e, g in zip(expected, x_shape)):
        raise ValueError(f"the model takes {dims(expected)} images, but {what} are {dims(x_shape)}")


def probabilities(model, x, batch_size: int = 256) -> np.ndarray:
    """Class probabilities (N, K): softmax of the outputs, unless the model ends in Softmax."""
    return model.predict_proba(x, batch_size=batch_size)


def printable(name) -> str:
    """A class name as it can be printed: unchanged when every character prints, else those that do not
    (tab, newline, U+202E which reverses the text after it, ...) written as Python escapes: "a\\tb", "\\u202e"."""
    name = str(name)
    if name.isprintable():
        return name
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in name)
