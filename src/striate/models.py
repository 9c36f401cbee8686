"""Built-in networks, by name: `striate.models.get("lenet5")`."""

from __future__ import annotations

from . import layers as L
from .model import Sequential


def lenet5(input_shape=(28, 28, 1), classes=10, seed=None) -> Sequential:
    """LeNet-5 with ReLU and max pooling (LeCun et al. 1998, modernised), 61,706 parameters.

    28×28×1 → Conv 5×5 ×6 (same) → pool → Conv 5×5 ×16 → pool → 120 → 84 → 10.
    """
    return Sequential([
        L.Conv2D(6, 5, padding=2), L.ReLU(), L.MaxPool2D(2),
        L.Conv2D(16, 5), L.ReLU(), L.MaxPool2D(2),
        L.Flatten(), L.Dense(120), L.ReLU(), L.Dense(84), L.ReLU(), L.Dense(classes),
    ], input_shape=input_shape, seed=seed)


def convnet4(input_shape=(28, 28, 1), classes=10, seed=None) -> Sequential:
    """Four 3×3 "same" convolutions in two blocks, then Dense 256: the speed benchmark's net.

    Conv 32, 32 → pool → Conv 64, 64 → pool → Dense 256 → classes.
    """
    return Sequential([
        L.Conv2D(32, 3, padding="same"), L.ReLU(), L.Conv2D(32, 3, padding="same"), L.ReLU(), L.MaxPool2D(2),
        L.Conv2D(64, 3, padding="same"), L.ReLU(), L.Conv2D(64, 3, padding="same"), L.ReLU(), L.MaxPool2D(2),
        L.Flatten(), L.Dense(256), L.ReLU(), L.Dense(classes),
    ], input_shape=input_shape, seed=seed)


MODELS = {"lenet5": lenet5, "convnet4": convnet4}


def get(name: str, **kwargs) -> Sequential:
    """Build the named model; the error lists the names there are."""
    if name not in MODELS:
        raise ValueError(f"unknown model {name!r}; built-in models: {', '.join(MODELS)}")
    return MODELS[name](**kwargs)
