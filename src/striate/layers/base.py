"""The layer contract every striate layer follows.

    layer.build(input_shape)         input_shape without the batch axis, e.g. (28, 28, 1);
                                     creates params, sets output_shape and num_params
    layer.forward(x, training=False) → y
    layer.backward(dy)               → dx, and fills layer.grads (same keys as params)

A layer keeps one cache, set only by forward(training=True), for its backward pass.

Three ways to run a layer:

    forward(x)                       inference: no cache; BatchNorm uses its running
                                     statistics, Dropout passes x through
    forward(x, training=True)        training: keeps the cache; BatchNorm normalises with
                                     the batch's statistics and updates the running ones,
                                     Dropout draws a mask from its generator
    replica(frozen=True), then       inference behaviour, but with the cache for backward:
      forward(x, training=True)      the gradient of the model used as it predicts
                                     (Sequential.input_gradient); the replica changes no
                                     state and draws no random numbers

A layer whose training pass differs from inference (BatchNorm, Dropout) honours
`self.frozen`; for every other layer, training and inference compute the same output.

Two kinds of arrays describe a trained layer:

    layer.params   trained: optimizers update each from layer.grads[key]
    layer.state    not trained, but part of the model (BatchNorm's running mean and
                   variance): optimizers never see it, a model file must keep it
                   next to params, and astype converts it too
"""

from __future__ import annotations

import copy
import inspect

import numpy as np

from .. import init
from ..functional.shapes import count as positive_int  # an int ≥ 1, or a ValueError naming the argument


class Layer:
    """Base class: naming, building, input validation, the cache and the repr."""

    def __init__(self):
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}
        self.state: dict[str, np.ndarray] = {}  # buffers that are saved but not trained
        self.input_shape: tuple | None = None
        self.output_shape: tuple | None = None
        self.num_params = 0
        self.dtype = np.dtype(np.float32)
        self.index: int | None = None  # position in a Sequential, 1-based; names errors
        self._cache = None
        # scratch buffers reused across calls; inference keeps its own so that a predict()
        # between forward(training=True) and backward() leaves the training cache intact
        self._workspace = {True: {}, False: {}}
        self.twin_of: Layer | None = None  # the layer this one is a replica of

    # A layer that cannot compute its part of a training batch split into shards sets
    # this to False: the model then runs such batches whole (see striate.engine.threads).
    # Inference always may split. Layers whose training pass couples the samples of a
    # batch (BatchNorm, Dropout) stay shardable through their shard group.
    shardable = True

    # The engine's ShardGroup while this layer runs one shard of a training batch, None
    # otherwise (see layers/sharding.py).
    shard_group = None

    # A frozen layer computes, even in training, what inference computes (see the
    # module docstring): only replica(frozen=True) makes one.
    frozen = False

    def replica(self, frozen: bool = False) -> "Layer":
        """A twin sharing this layer's params and state (same arrays) with its own grads,
        cache and scratch. frozen=True: the twin's forward(x, training=True) behaves as
        inference but keeps the cache for backward, and never changes the state."""
        twin = copy.copy(self)
        twin.grads = {}
        twin._cache = None
        twin._workspace = {True: {}, False: {}}
        twin.twin_of = self
        twin.frozen = frozen
        return twin

    # ---- identity -------------------------------------------------------------
    @property
    def name(self) -> str:
        """"Conv2D #3" inside a model (its position), plain "Conv2D" on its own."""
        cls = type(self).__name__
        return cls if self.index is None else f"{cls} #{self.index}"

    def _remember(self, **args) -> None:
        """Keep the constructor arguments: for repr, and to describe the layer in a file."""
        self._args = args

    def get_config(self) -> dict:
        """The constructor arguments, enough to rebuild the layer."""
        return dict(getattr(self, "_args", {}))

    def __repr__(self) -> str:
        sig = inspect.signature(type(self).__init__).parameters
        shown = []
        for key, value in self.get_config().items():
            default = sig[key].default if key in sig else inspect.Parameter.empty
            if default is inspect.Parameter.empty:
                shown.append(repr(value))
            elif value != default:
                shown.append(f"{key}={value!r}")
        return f"{type(self).__name__}({', '.join(shown)})"

    # ---- building -------------------------------------------------------------
    def build(self, input_shape, rng: np.random.Generator | None = None, dtype=np.float32) -> tuple:
        """Create parameters for inputs of shape (N, *input_shape); return output_shape."""
        input_shape = tuple(None if d is None else int(d) for d in input_shape)
        if any(d is not None and d < 1 for d in input_shape):
            raise ValueError(f"{self.name}: input_shape must have positive sizes, got {input_shape}")
        self.dtype = np.dtype(dtype)
        if rng is None:
            rng = np.random.default_rng()
        self.input_shape = input_shape
        self.output_shape = tuple(self._build(input_shape, rng))
        for key, value in self.params.items():
            self.params[key] = np.ascontiguousarray(value, dtype=self.dtype)
            self.grads[key] = np.zeros_like(self.params[key])
        for key, value in self.state.items():
            self.state[key] = np.ascontiguousarray(value, dtype=self.dtype)
        self.num_params = int(sum(p.size for p in self.params.values()))
        return self.output_shape

    @property
    def built(self) -> bool:
        return self.output_shape is not None

    def _build(self, input_shape: tuple, rng: np.random.Generator) -> tuple:
        """Create self.params (and self.state); return the output shape. By default: unchanged."""
        return input_shape

    def astype(self, dtype) -> "Layer":
        """Convert parameters (and what forward computes in) to dtype, e.g. float64."""
        self.dtype = np.dtype(dtype)
        for key in self.params:
            self.params[key] = self.params[key].astype(self.dtype)
            self.grads[key] = np.zeros_like(self.params[key])
        for key in self.state:
            self.state[key] = self.state[key].astype(self.dtype)
        return self

    # ---- checks ---------------------------------------------------------------
    def _expected(self) -> str:
        dims = ", ".join("?" if d is None else str(d) for d in self.input_shape)
        return f"(N, {dims})"

    def _check_input(self, x) -> np.ndarray:
        """Validate x against the built input shape (building on first use) and cast it."""
        if type(x) is np.ndarray and x.dtype == self.dtype and x.shape[1:] == self.input_shape:
            return x  # the common case, checked first: this runs on every call
        x = np.asarray(x)
        if not self.built:
            if x.ndim < 2:
                raise ValueError(f"{self.name} expected a batch of inputs, got shape {x.shape}")
            dtype = x.dtype if np.issubdtype(x.dtype, np.floating) else np.float32
            self.build(x.shape[1:], dtype=dtype)
        got = x.shape[1:]
        if x.ndim != len(self.input_shape) + 1 or any(e is not None and e != g for e, g in zip(self.input_shape, got)):
            raise ValueError(f"{self.name} expected input of shape {self._expected()}, got {x.shape}")
        if x.dtype != self.dtype:
            x = x.astype(self.dtype)
        return x

    def _check_grad(self, dy) -> np.ndarray:
        """The cache must exist, and dy must have the shape forward returned."""
        if self._cache is None:
            raise RuntimeError(
                f"{self.name}: backward() needs the cache of forward(x, training=True); "
                "call forward(x, training=True) first"
            )
        dy = np.asarray(dy)
        expected = self._batch_out_shape
        if dy.shape != expected:
            raise ValueError(f"{self.name}: backward expected dy of shape {expected}, got {dy.shape}")
        if dy.dtype != self.dtype:
            dy = dy.astype(self.dtype)
        return dy

    def _keep(self, training: bool, y: np.ndarray, cache) -> np.ndarray:
        """When training, store the cache and the output shape backward will check.

        Inference leaves both alone, so a predict() between forward(training=True) and
        backward() does not lose the training pass.
        """
        if training:
            self._cache = cache
            self._batch_out_shape = y.shape
        return y

    # ---- default: no parameters, no input gradient skipping -------------------
    def forward(self, x, training: bool = False):  # pragma: no cover - abstract
        raise NotImplementedError

    def backward(self, dy, input_grad: bool = True):  # pragma: no cover - abstract
        raise NotImplementedError


def grouped_filters(filters, groups, owner: str) -> tuple[int, int]:
    """(filters, groups), both positive ints with groups dividing filters."""
    filters, groups = positive_int(filters, "filters", owner), positive_int(groups, "groups", owner)
    if filters % groups:
        raise ValueError(f"{owner}: filters ({filters}) must be divisible by groups ({groups})")
    return filters, groups


def keep_weight_args(layer: Layer, bias, kernel_initializer, bias_initializer) -> None:
    """Validate and keep what every layer with a kernel and an optional bias takes."""
    owner = type(layer).__name__
    if not isinstance(bias, bool):
        raise ValueError(f"{owner}: bias must be True or False, got {bias!r}")
    layer.use_bias = bias
    layer.kernel_init = init.get(kernel_initializer, f"{owner}: kernel_initializer")
    layer.bias_init = init.get(bias_initializer, f"{owner}: bias_initializer")


def grouped_channels(layer: Layer, c) -> int:
    """The input channel count, refused unless known and divisible by layer.groups."""
    if c is None or c % layer.groups:
        raise ValueError(f"{layer.name}: input channels ({c}) must be known and divisible by groups ({layer.groups})")
    return c
