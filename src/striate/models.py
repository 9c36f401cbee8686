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


def seed_table(input_shape=(32, 32, 3), classes=10, seed=None) -> Sequential:
    """The LeNet-style table of the seeds, for 32×32×3 CIFAR-10 images, 62,958 parameters.

    32×32×3 → Conv 5×5 ×8 → 28×28×8 → pool → 14×14×8 → Conv 5×5 ×16 → 10×10×16 → pool
    → 5×5×16 = 400 → 120 → 84 → classes.
    """
    return Sequential([
        L.Conv2D(8, 5), L.ReLU(), L.MaxPool2D(2),
        L.Conv2D(16, 5), L.ReLU(), L.MaxPool2D(2),
        L.Flatten(), L.Dense(120), L.ReLU(), L.Dense(84), L.ReLU(), L.Dense(classes),
    ], input_shape=input_shape, seed=seed)


def _dropout(rate: float) -> list:
    """[Dropout(rate)], or [] while striate.layers has no Dropout layer yet: the models below
    are then built without it. Dropout has no parameters, so the weights are the same."""
    return [L.Dropout(rate)] if hasattr(L, "Dropout") else []


def keras_mnist(input_shape=(28, 28, 1), classes=10, seed=None) -> Sequential:
    """Keras's "simple MNIST convnet" example, 34,826 parameters (about 99 % on MNIST).

    Conv 3×3 ×32 → pool → Conv 3×3 ×64 → pool → Flatten → Dropout 0.5 → Dense classes.
    """
    return Sequential([
        L.Conv2D(32, 3), L.ReLU(), L.MaxPool2D(2),
        L.Conv2D(64, 3), L.ReLU(), L.MaxPool2D(2),
        L.Flatten(), *_dropout(0.5), L.Dense(classes),
    ], input_shape=input_shape, seed=seed)


def fashion(input_shape=(28, 28, 1), classes=10, seed=None) -> Sequential:
    """Four 3×3 convolutions with dropout, for Fashion-MNIST (aiming at 93 % or more).

    Conv 32, 32 → pool → Dropout 0.25 → Conv 64, 64 → pool → Dropout 0.25 → Dense 256 →
    Dropout 0.5 → classes.
    """
    return Sequential([
        L.Conv2D(32, 3, padding="same"), L.ReLU(), L.Conv2D(32, 3, padding="same"), L.ReLU(), L.MaxPool2D(2),
        *_dropout(0.25),
        L.Conv2D(64, 3, padding="same"), L.ReLU(), L.Conv2D(64, 3, padding="same"), L.ReLU(), L.MaxPool2D(2),
        *_dropout(0.25),
        L.Flatten(), L.Dense(256), L.ReLU(), *_dropout(0.5), L.Dense(classes),
    ], input_shape=input_shape, seed=seed)


MODELS = {"lenet5": lenet5, "convnet4": convnet4, "seed-table": seed_table, "keras-mnist": keras_mnist,
          "fashion": fashion}


def get(name: str, **kwargs) -> Sequential:
    """Build the named model; the error lists the names there are."""
    if name not in MODELS:
        raise ValueError(f"unknown model {name!r}; built-in models: {', '.join(MODELS)}")
    return MODELS[name](**kwargs)
