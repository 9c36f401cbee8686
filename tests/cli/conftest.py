"""Small data and a model trained on it, shared by the CLI tests of a module."""

import numpy as np
import pytest

from striate.cli.main import main

from ..datasets.test_datasets import write_fake_mnist


def png_size(path):
    """(width, height) of an image file, decoded by Pillow (which fails on a broken file)."""
    from PIL import Image

    with Image.open(path) as img:
        img.load()
        return img.size


def write_png(path, array):
    """Write an (H, W) or (H, W, 3) array of values in [0, 1] as an 8-bit PNG."""
    from PIL import Image

    Image.fromarray(np.round(np.clip(array, 0, 1) * 255).astype(np.uint8)).save(path)
    return path


@pytest.fixture(scope="module")
def fake_mnist(tmp_path_factory):
    """An MNIST folder of 64 training and 32 test images of noise, 28×28."""
    return write_fake_mnist(tmp_path_factory.mktemp("mnist"), np.random.default_rng(0))


@pytest.fixture(scope="module")
def model_file(tmp_path_factory, fake_mnist):
    """LeNet-5 trained for one epoch on the fake MNIST, saved."""
    path = tmp_path_factory.mktemp("model") / "lenet.striate"
    assert main(["train", "--dataset", "mnist", "--data-dir", str(fake_mnist), "--epochs", "1",
                 "--batch-size", "16", "--json", "--out", str(path)]) == 0
    return path


@pytest.fixture
def digit_png(tmp_path):
    """A 28×28 grayscale PNG: a light vertical stroke on black, like an MNIST "1"."""
    a = np.zeros((28, 28))
    a[4:24, 12:16] = 1.0
    return write_png(tmp_path / "one.png", a)


def write_folder(root, classes: dict, per_class: int = 6, size: int = 12):
    """An image folder data set: root/<class>/<i>.png, each class a grey level with noise."""
    rng = np.random.default_rng(0)
    for name, level in classes.items():
        (root / name).mkdir(parents=True, exist_ok=True)
        for i in range(per_class):
            write_png(root / name / f"{i}.png", np.clip(level + 0.05 * rng.standard_normal((size, size)), 0, 1))
    return root
