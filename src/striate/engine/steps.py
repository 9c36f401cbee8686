"""Steps: what a stack of layers becomes when it runs, two of them fused for speed.

When a model is built, plan(layers) turns its layers into a list of steps. A step has a
forward and a backward pass side by side; most steps are one layer (LayerStep). Two
patterns become one fused step that does less work and gives the same numbers:

- **ReLU in place** (InPlaceReLU) after a Conv2D or Dense: their outputs are new arrays
  that they do not keep, so nothing else can see the change, and no new array is made::

      as written:   x ──Conv2D──► z ──ReLU──► y (new array)
      run as:       x ──Conv2D──► z ──max(z, 0) into z itself──► y is z

- **ReLU after max pooling** (PooledReLU) where a ReLU comes just before a strided
  MaxPool2D. Max and ReLU commute, max(relu(z)) = relu(max(z)), so the ReLU runs on
  the pooled output: 4× fewer numbers for 2 × 2 pooling, forward and backward::

      as written:   z ──ReLU──► r ──MaxPool──► y         backward: MaxPool, then ReLU
      run as:       z ──MaxPool──► p ──ReLU──► y         backward: ReLU, then MaxPool

  The gradient is the same too: where a window's max is > 0, its first maximum in z is
  its first maximum in relu(z); where it is ≤ 0, both send back nothing. Only for a
  ReLU that is not the first layer (the training pass skips the first layer's input
  gradient, and a first ReLU has none to save) and a pooling with a stride (its output
  is smaller, so the swap saves work).

A fused step keeps the ReLU's part of the cache itself and never touches the ReLU
layer's cache: the pooling layer's cache is that of its own forward (on z, the shape its
backward expects). So after a model's forward(training=True), the model's backward is
the one to call; a ReLU layer's own backward then says that forward(training=True) must
come first, rather than computing with a cache of the wrong shape.
"""

from __future__ import annotations

import numpy as np

from ..functional import activation as F
from ..functional import fast
from ..functional.switch import reference_path
from ..layers.activation import ReLU
from ..layers.conv import Conv2D
from ..layers.dense import Dense
from ..layers.pool import MaxPool2D


def _relu_backward(dy, y, relu):
    """The ReLU's backward, given the output y its step kept."""
    if y is None:
        raise RuntimeError(f"{relu.name}: backward() needs the cache of forward(x, training=True); "
                           "call the model's forward(x, training=True) first")
    dy = np.asarray(dy)
    if dy.shape != y.shape:
        raise ValueError(f"{relu.name}: backward expected dy of shape {y.shape}, got {dy.shape}")
    return (F if reference_path() else fast).relu_backward(dy, y)


class LayerStep:
    """One layer, run as it is: its step's forward and backward are the layer's own."""

    def __init__(self, layer):
        self.layer = layer
        self.forward, self.backward = layer.forward, layer.backward  # no call in between


class InPlaceReLU:
    """A Conv2D or Dense, then the ReLU after it in place, on the product's own output."""

    def __init__(self, layer, relu):
        self.layer, self.relu = layer, relu
        self.y = None  # the ReLU's output, kept for backward

    def forward(self, x, training):
        z = self.layer.forward(x, training=training)
        if not self.relu.built:  # a model built on first use: the ReLU builds from its own input
            self.relu.build(z.shape[1:], dtype=z.dtype)
        y = np.maximum(z, 0, out=z)
        if training:
            self.y = y
        return y

    def backward(self, dy, input_grad=True):
        return self.layer.backward(_relu_backward(dy, self.y, self.relu), input_grad=input_grad)


class PooledReLU:
    """A ReLU then a strided MaxPool2D, run as the pooling then the ReLU (see above)."""

    def __init__(self, relu, pool):
        self.relu, self.pool = relu, pool
        self.y = None

    def forward(self, z, training):
        if not self.relu.built:  # a model built on first use: the ReLU builds from its own input
            self.relu.build(z.shape[1:], dtype=z.dtype)
        p = self.pool.forward(z, training=training)  # the pooling keeps p's winners, not p
        if not training:
            return np.maximum(p, 0, out=p)
        self.y = np.maximum(p, 0)
        return self.y

    def backward(self, dy, input_grad=True):
        return self.pool.backward(_relu_backward(dy, self.y, self.relu), input_grad=input_grad)


def _pooled_relu(layers, i: int) -> bool:
    """Whether layers[i] is a ReLU that runs after the strided MaxPool2D that follows it."""
    return (i > 0 and type(layers[i]) is ReLU and i + 1 < len(layers) and type(layers[i + 1]) is MaxPool2D
            and layers[i + 1].stride != (1, 1))


def plan(layers) -> list:
    """The steps that run `layers` in order, fusing the two patterns of the module docstring."""
    steps, i = [], 0
    while i < len(layers):
        layer = layers[i]
        if _pooled_relu(layers, i):
            steps.append(PooledReLU(layer, layers[i + 1]))
            i += 2
        elif type(layer) in (Conv2D, Dense) and i + 1 < len(layers) and type(layers[i + 1]) is ReLU \
                and not _pooled_relu(layers, i + 1):
            steps.append(InPlaceReLU(layer, layers[i + 1]))
            i += 2
        else:
            steps.append(LayerStep(layer))
            i += 1
    return steps


class Plan:
    """The steps of a list of layers, with the layers they were planned for."""

    def __init__(self, layers):
        self.layers = list(layers)
        self.steps = plan(self.layers)

    def matches(self, layers) -> bool:
        return self.layers == layers  # the same layer objects, in order (layers compare by identity)


def forward(steps, x, training: bool):
    """x through every step."""
    for step in steps:
        x = step.forward(x, training)
    return x


def backward(steps, dy, input_grad: bool = True):
    """Back-propagate dy through the steps after forward(steps, x, training=True), filling
    the layers' grads; returns dx, the gradient with respect to the input. With
    input_grad=False (training: nobody uses it) dx is not computed and None is returned;
    a first layer without params is then not run at all."""
    for i in range(len(steps) - 1, 0, -1):
        dy = steps[i].backward(dy)
    first = steps[0]
    if input_grad:
        return first.backward(dy)
    if type(first) is not LayerStep or first.layer.params:
        first.backward(dy, input_grad=False)
    return None
