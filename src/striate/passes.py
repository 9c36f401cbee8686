"""The forward and backward passes through a stack of layers, with two savings.

A Sequential model, its thread replicas and its worker processes all run their layers
through these two functions. They give the same results as calling each layer in turn;
what changes is the work done:

- **ReLU in place** after a Conv2D or Dense: their outputs are new arrays that they do
  not keep, so nothing else can see the change, and no new array is made.
- **ReLU after max pooling** where a ReLU comes just before a strided MaxPool2D. Max
  and ReLU commute, max(relu(z)) = relu(max(z)), so the ReLU runs on the pooled output:
  4× fewer numbers for 2 × 2 pooling, forward and backward::

      as written:   z ──ReLU──► r ──MaxPool──► y         backward: MaxPool, then ReLU
      run as:       z ──MaxPool──► p ──ReLU──► y         backward: ReLU, then MaxPool

  The gradient is the same too: where a window's max is > 0, its first maximum in z is
  its first maximum in relu(z); where it is ≤ 0, both send back nothing.
  After such a pass the ReLU's cache holds pooled-size arrays, so a forward pass made
  here must be followed by the backward pass made here; layer-by-layer calls on one side
  only raise a shape error (a strided pooling makes the sizes differ).
"""

from __future__ import annotations

import numpy as np

from .layers.activation import ReLU
from .layers.conv import Conv2D
from .layers.dense import Dense
from .layers.pool import MaxPool2D


def _pooled_relu(layers, i: int) -> bool:
    """Whether layers[i] is a ReLU that runs after the MaxPool2D that follows it (never
    the first layer: the backward pass skips only the first layer's input gradient)."""
    return i > 0 and type(layers[i]) is ReLU and i + 1 < len(layers) and _shrinking_pool(layers[i + 1])


def _shrinking_pool(layer) -> bool:
    """A MaxPool2D with a stride: its output is smaller than its input, so the swap saves
    work, and a ReLU cache of the other size can never be taken for the right one."""
    return type(layer) is MaxPool2D and layer.stride != (1, 1)


def forward(layers, x, training: bool):
    """x through every layer (see the module docstring for the order)."""
    fresh = False  # x is a new array that no layer keeps
    i, n = 0, len(layers)
    while i < n:
        layer = layers[i]
        i += 1
        if type(layer) is not ReLU:
            x = layer.forward(x, training=training)
            fresh = type(layer) in (Conv2D, Dense)
            continue
        if _pooled_relu(layers, i - 1):
            if not layer.built:  # a model built on first use: the ReLU builds from its own input
                layer._check_input(x)
            x = layer.forward_pooled(layers[i].forward(x, training=training), training=training)
            i += 1
        elif fresh and not training and layer.built:  # nothing to keep: the ReLU is just the max
            np.maximum(x, 0, out=x)
        elif fresh:
            x = layer.forward_in_place(x, training=training)
        else:
            x = layer.forward(x, training=training)
        fresh = False
    return x


def backward(layers, dy) -> None:
    """Back-propagate dy through layers after forward(layers, x, training=True). The
    first layer's input gradient is never used, so it is not computed."""
    i = len(layers) - 1
    while i > 0:
        if _pooled_relu(layers, i - 1):
            dy = layers[i].backward(layers[i - 1].backward(dy))
            i -= 2
        else:
            dy = layers[i].backward(dy)
            i -= 1
    if layers[0].params:
        layers[0].backward(dy, input_grad=False)
