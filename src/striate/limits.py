"""How much a file from a stranger may make striate allocate: the limits every reader checks.

Every reader (model files, checkpoints, IDX, CIFAR-10, image folders, ONNX, TOML
configs) computes sizes with Python integers — which cannot wrap — and compares them
with these limits *before* it makes an array, so a forged size is refused, never allocated.

    limit              default          bounds
    MAX_PARAMS         2**28 (268 M)    parameters (and layer state) of a network read from a
                                        file: 1 GiB of float32; a TOML config's layers too
    MAX_ACTIVATION     2**27 (134 M)    values in one sample's output of any layer (and the
                                        input), and in one sample's patch matrix of a
                                        convolution (output pixels × kh·kw·C; a transposed
                                        one's input pixels × kh·kw·F): 512 MiB of float32
    MAX_DATA_BYTES     2**31 (2 GiB)    the data one IDX file or CIFAR-10 batch file holds,
                                        after inflating; a tensor of an ONNX file
    MAX_IMAGE_PIXELS   2**26 (67 M)     pixels of one image file (an 8192×8192 photo fits)
    MAX_ABS_WEIGHT     1e10             the largest |value| of a weight, state array, optimizer
                                        slot or ONNX initializer: past it no trained network
                                        lives, and two such numbers still multiply to a finite
                                        float32 (1e20 < 3.4e38)

Change one for the whole process with an environment variable of the same name prefixed
by STRIATE_ (STRIATE_MAX_PARAMS=1000000000), by assignment (striate.limits.MAX_PARAMS =
10**9), or for a block of code::

    with striate.limits.raised(max_params=10**9):
        model = striate.load("big.striate")

Readers look the limits up when they run, so all three take effect at once.
"""

from __future__ import annotations

import copy
import math
import os
from contextlib import contextmanager

import numpy as np

DEFAULTS = {"MAX_PARAMS": 2**28, "MAX_ACTIVATION": 2**27, "MAX_DATA_BYTES": 2**31,
            "MAX_IMAGE_PIXELS": 2**26, "MAX_ABS_WEIGHT": 1e10}


def _from_env(name: str, default):
    text = os.environ.get(f"STRIATE_{name}")
    if text is None:
        return default
    try:
        value = type(default)(float(text)) if isinstance(default, int) else float(text)
    except (ValueError, OverflowError):
        raise ValueError(f"STRIATE_{name}={text!r}: expected a number") from None
    if not value > 0:
        raise ValueError(f"STRIATE_{name}={text!r}: must be positive")
    return value


MAX_PARAMS: int = _from_env("MAX_PARAMS", DEFAULTS["MAX_PARAMS"])
MAX_ACTIVATION: int = _from_env("MAX_ACTIVATION", DEFAULTS["MAX_ACTIVATION"])
MAX_DATA_BYTES: int = _from_env("MAX_DATA_BYTES", DEFAULTS["MAX_DATA_BYTES"])
MAX_IMAGE_PIXELS: int = _from_env("MAX_IMAGE_PIXELS", DEFAULTS["MAX_IMAGE_PIXELS"])
MAX_ABS_WEIGHT: float = _from_env("MAX_ABS_WEIGHT", DEFAULTS["MAX_ABS_WEIGHT"])


@contextmanager
def raised(**limits):
    """Change some limits inside a with block: raised(max_params=10**9, max_data_bytes=2**33)."""
    names = {key: key.upper() for key in limits}
    if unknown := sorted(k for k, name in names.items() if name not in DEFAULTS):
        raise ValueError(f"limits.raised: unknown limit {unknown[0]!r}; "
                         f"the limits are {', '.join(k.lower() for k in DEFAULTS)}")
    saved = {name: globals()[name] for name in names.values()}
    try:
        globals().update({names[k]: v for k, v in limits.items()})
        yield
    finally:
        globals().update(saved)


class LimitError(ValueError):
    """A size read from a file is over a limit; readers turn it into their own error, naming the file.

    `what` names the size and `value` is it (a Python int), for callers that word their own advice.
    """

    def __init__(self, message: str, what: str = "", value: int = 0):
        super().__init__(message)
        self.what, self.value = what, value


# ---- sizes ----------------------------------------------------------------------
def size(shape) -> int:
    """The number of values of a shape, as a Python int (never wraps); None dims count as 1."""
    return math.prod(1 if d is None else int(d) for d in shape)


def check_size(n: int, limit_name: str, what: str) -> int:
    """n unless it is over the limit called limit_name; LimitError naming `what` otherwise."""
    limit = globals()[limit_name]
    if n > limit:
        raise LimitError(f"{what} is {n:,}, over the limit of {limit:,} (striate.limits.{limit_name}; "
                         f"raise it, or set STRIATE_{limit_name}, if you trust the file)", what, n)
    return n


def check_model(model, where: str) -> None:
    """LimitError unless the built model's parameters, every activation and every patch matrix are within the limits.

    Layers compute their output shapes with Python ints, but some then take products with
    NumPy (Flatten), which wrap past 2**63: the shapes are checked one by one here.
    """
    check_size(size(model.input_shape), "MAX_ACTIVATION", f"{where}: input_shape {model.input_shape}: one sample's size")
    for i, layer in enumerate(model.layers):
        check_layer(layer, f"{where}: layers[{i}] ({type(layer).__name__})")
    for i, layer in enumerate(model.layers):
        check_settings(layer, f"{where}: layers[{i}] ({type(layer).__name__})")
    total = sum(size(a.shape) for layer in model.layers for a in (*layer.params.values(), *layer.state.values()))
    check_size(total, "MAX_PARAMS", f"{where}: the number of parameters")


def check_layer(layer, where: str) -> None:
    """LimitError unless one sample's output of a built layer, and its patch matrix if it has one, fit MAX_ACTIVATION.

    A convolution's patch matrix (im2col) is its largest array: Conv2D(1, 1001, padding=500)
    on a 1001×1001 image outputs 10**6 values but builds 10**12 on the way.
    """
    check_size(size(layer.output_shape), "MAX_ACTIVATION", f"{where}: output shape {layer.output_shape}: one sample's size")
    patch = getattr(layer, "patch_values", None)
    if patch is not None:
        check_size(patch(), "MAX_ACTIVATION", f"{where}: its patch matrix (the im2col of one sample)")


def check_input(model, input_shape, where: str) -> None:
    """LimitError unless a model that takes any size keeps every layer within MAX_ACTIVATION for inputs of input_shape.

    Each layer is sized for the input on a twin (see `sized`), so nothing is allocated.
    The error is the largest size over the limit, whichever layer holds it.
    """
    shape = tuple(input_shape)
    over = []
    try:
        check_size(size(shape), "MAX_ACTIVATION", f"{where}: the input {shape}: one sample's size")
    except LimitError as e:
        over.append(e)
    for i, layer in enumerate(model.layers):
        twin = layer if shape == layer.input_shape else sized(layer, shape)
        try:
            check_layer(twin, f"{where}: layers[{i}] ({type(layer).__name__})")
        except LimitError as e:
            over.append(e)
        shape = twin.output_shape
    if over:
        raise max(over, key=lambda e: e.value)


def sized(layer, input_shape):
    """A twin of a built layer built for inputs of input_shape, with arrays that take no memory.

    For the sizes alone (output_shape, patch_values): its initialisers (the attributes
    P_init, as in counted_initialisers) return read-only zero views of their shape.
    """
    twin = copy.copy(layer)
    twin.params, twin.grads, twin.state = {}, {}, {}
    for attr, value in vars(layer).items():
        if attr.endswith("_init") and callable(value):
            setattr(twin, attr, lambda shape, rng=None: np.broadcast_to(np.zeros((), layer.dtype), tuple(shape)))
    twin.input_shape = tuple(input_shape)
    twin.output_shape = tuple(twin._build(twin.input_shape, np.random.default_rng(0)))
    return twin


MAX_SETTING = 2**31  # a size, stride, padding or dilation past it describes no image striate can hold


def check_settings(layer, where: str) -> None:
    """LimitError for an int setting (kernel size, stride, padding, ...) past ±MAX_SETTING.

    Output sizes alone do not catch them: a stride of 2**62 still gives an output of 1,
    then overflows NumPy's strides in the first forward pass. Seeds may be any size.
    """
    stack = [(key, value) for key, value in layer.get_config().items() if key != "seed"]
    while stack:
        key, value = stack.pop()
        if isinstance(value, (list, tuple)):
            stack.extend((key, v) for v in value)
        elif isinstance(value, int) and abs(value) > MAX_SETTING:
            raise LimitError(f"{where}: {key} holds {value:,}, past ±{MAX_SETTING:,}: no image is so large")


@contextmanager
def counted_initialisers(layers, where: str):
    """While the layers are built, each initialiser is first charged what it would draw.

    Building a layer draws each array P from its initialiser, the attribute P_init. A
    TOML config or an ONNX graph may ask for Dense(10**9): the draw would allocate 4 GB
    before anything compared it with a limit. Here each call adds the product of its
    shape (Python ints) to a running total and raises LimitError past MAX_PARAMS, before
    the real initialiser runs. The real initialisers come back afterwards.
    """
    total = [0]
    swapped = [(i, layer, attr, value) for i, layer in enumerate(layers)
               for attr, value in vars(layer).items() if attr.endswith("_init") and callable(value)]

    def charged(init, i, layer, attr):
        def initialiser(shape, rng=None):
            total[0] += size(shape)
            check_size(total[0], "MAX_PARAMS", f"{where}: layers[{i}] ({type(layer).__name__}): "
                       f"its {attr.removesuffix('_init')} {tuple(shape)} brings the parameters to a total that")
            return init(shape, rng)

        return initialiser

    for i, layer, attr, value in swapped:
        setattr(layer, attr, charged(value, i, layer, attr))
    try:
        yield
    finally:
        for _, layer, attr, value in swapped:
            setattr(layer, attr, value)


# ---- values ---------------------------------------------------------------------
def bad_values(array) -> str | None:
    """None when a float array is finite and within ±MAX_ABS_WEIGHT; else what is wrong with it."""
    array = np.asarray(array)
    if not np.issubdtype(array.dtype, np.floating) or array.size == 0:
        return None
    if not np.all(np.isfinite(array)):
        return "holds NaN or inf values"
    peak = float(np.max(np.abs(array)))
    if peak > MAX_ABS_WEIGHT:
        return (f"holds {peak:.3g}, beyond ±{MAX_ABS_WEIGHT:.3g} (striate.limits.MAX_ABS_WEIGHT): "
                "no trained network holds such a value")
    return None
