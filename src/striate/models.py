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


def autoencoder(input_shape=(28, 28, 1), code_size=32, seed=None) -> Sequential:
    """A convolutional autoencoder: 28×28×1 → a code of `code_size` numbers → 28×28×1.

    Encoder: Conv 3×3 ×16 → pool → Conv 3×3 ×32 → pool (7×7×32) → Dense(code_size).
    Decoder: Dense(7·7·32) → Reshape → two Conv2DTranspose 3×3, stride 2 (7 → 14 → 28),
    the last to input_shape's channels with a Sigmoid, for pixels in [0, 1]. Train with
    the "mse" loss, the images as their own targets.
    """
    h, w, c = input_shape
    if h is None or w is None or h % 4 or w % 4:
        raise ValueError(f"autoencoder: input height and width must be known multiples of 4, got {input_shape}")
    return Sequential([
        L.Conv2D(16, 3, padding=1), L.ReLU(), L.MaxPool2D(2),
        L.Conv2D(32, 3, padding=1), L.ReLU(), L.MaxPool2D(2),
        L.Flatten(), L.Dense(code_size),  # the code
        L.Dense(h // 4 * w // 4 * 32), L.ReLU(), L.Reshape((h // 4, w // 4, 32)),
        L.Conv2DTranspose(16, 3, stride=2, padding=1, output_padding=1), L.ReLU(),
        L.Conv2DTranspose(c, 3, stride=2, padding=1, output_padding=1), L.Sigmoid(),
    ], input_shape=input_shape, seed=seed)


def fcn(input_shape=(None, None, 1), classes=10, seed=None) -> Sequential:
    """A fully convolutional classifier for any image size: no pooling, no Dense layer.

    [Conv 3×3 → ReLU] ×5 with 16, 32 (stride 2), 32, 64 (stride 2), 64 filters: the
    strided convolutions halve the size (28 → 14 → 7) instead of pooling. A 1×1
    convolution then turns the 64 maps into one map of scores per class, and global
    average pooling reads each class's score off its map, whatever the image size
    (28×28 or 56×56 alike). No BatchNorm: its running statistics would average the
    statistics of every image size seen in training and fit none of them at evaluation.
    """
    def block(filters, stride):
        return [L.Conv2D(filters, 3, stride=stride, padding=1, kernel_initializer="he_uniform"), L.ReLU()]

    return Sequential([
        *block(16, 1), *block(32, 2), *block(32, 1), *block(64, 2), *block(64, 1),
        L.Conv2D(classes, 1), L.GlobalAvgPool2D(),
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


def keras_mnist(input_shape=(28, 28, 1), classes=10, seed=None) -> Sequential:
    """Keras's "simple MNIST convnet" example, 34,826 parameters (about 99 % on MNIST).

    Conv 3×3 ×32 → pool → Conv 3×3 ×64 → pool → Flatten → Dropout 0.5 → Dense classes.
    """
    return Sequential([
        L.Conv2D(32, 3), L.ReLU(), L.MaxPool2D(2),
        L.Conv2D(64, 3), L.ReLU(), L.MaxPool2D(2),
        L.Flatten(), L.Dropout(0.5), L.Dense(classes),
    ], input_shape=input_shape, seed=seed)


def fashion(input_shape=(28, 28, 1), classes=10, seed=None) -> Sequential:
    """The Fashion-MNIST network: VGG-style 3×3 convolutions with BatchNorm, and dropout.

    Conv 32 → pool → BatchNorm → ReLU → [Conv 64 → BatchNorm → ReLU] ×2 → pool →
    Dense 256 → BatchNorm → ReLU → dropout 0.3 → classes; 861,802 parameters.

    Built for a 15-minute budget on 2 cores: the first block pools straight after its
    convolution, so its BatchNorm and ReLU run on a quarter of the values (BatchNorm then
    normalises the pooled maps: a network of its own, not a rewrite of normalising first),
    which saves a fifth of the step; no 3×3 convolution runs on 32 maps at full size. The
    only dropout is before the last layer: with label smoothing and augmentation, more
    held the network below its training accuracy within the budget. Its training recipe
    (shifts and flips, label smoothing, SGD with Nesterov momentum, warm-up then cosine
    decay, epochs fitted to the time budget) is striate.recipes.get("fashion"), which
    `striate train --model fashion` uses.
    """
    def conv(filters):
        return [L.Conv2D(filters, 3, padding=1, bias=False), L.BatchNorm2D(), L.ReLU()]  # BN's beta is the bias

    return Sequential([
        L.Conv2D(32, 3, padding=1, bias=False), L.MaxPool2D(2), L.BatchNorm2D(), L.ReLU(),
        *conv(64), *conv(64), L.MaxPool2D(2),
        L.Flatten(), L.Dense(256, bias=False), L.BatchNorm1D(), L.ReLU(), L.Dropout(0.3), L.Dense(classes),
    ], input_shape=input_shape, seed=seed)


MODELS = {"lenet5": lenet5, "convnet4": convnet4, "seed-table": seed_table, "keras-mnist": keras_mnist,
          "fcn": fcn, "fashion": fashion, "autoencoder": autoencoder}
CLASSIFIERS = ("lenet5", "convnet4", "seed-table", "keras-mnist", "fcn", "fashion")  # (input_shape, classes, seed)


def get(name: str, **kwargs) -> Sequential:
    """Build the named model; the error lists the names there are."""
    if name not in MODELS:
        raise ValueError(f"unknown model {name!r}; built-in models: {', '.join(MODELS)}")
    return MODELS[name](**kwargs)
