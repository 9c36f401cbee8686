"""striate.limits: a convolution's patch matrix counts against MAX_ACTIVATION in every reader, and at any input size."""

import numpy as np
import pytest

import striate
from striate import FormatError, limits
from striate import layers as L
from striate.io import config

from .memory import raises_cheaply

# Each within every other limit (a few MB of weights, outputs no larger than the input),
# yet the patch matrix of one sample holds about 10**12 values.
HOSTILE = {
    "Conv2D": (lambda: L.Conv2D(1, 1001, padding=500), (1001, 1001, 1), 1001**4),
    "Conv2DTranspose": (lambda: L.Conv2DTranspose(1, 1001, padding=500), (1001, 1001, 1), 1001**4),
    "Conv1D": (lambda: L.Conv1D(1, 2**14 + 1, padding=2**13), (2**14, 1), 2**14 * (2**14 + 1)),
}
PATCH = r"layers\[0\] \({}\): its patch matrix \(the im2col of one sample\) is {:,}, over the limit of 134,217,728"


def hostile(name):
    make, shape, _ = HOSTILE[name]
    return striate.Sequential([make()], input_shape=shape, seed=0)


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_a_model_file_with_a_huge_patch_matrix_is_refused_on_load(name, tmp_path):
    path = tmp_path / "m.striate"
    hostile(name).save(path)
    raises_cheaply(FormatError, lambda: striate.load(path), rf"{path}.*" + PATCH.format(name, HOSTILE[name][2]))


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_a_config_with_a_huge_patch_matrix_is_refused_on_load(name, tmp_path):
    model = hostile(name)
    settings = "\n".join(f"{key} = {value!r}" for key, value in model.layers[0].get_config().items()
                         if key in ("filters", "kernel_size", "padding"))
    path = tmp_path / "net.toml"
    path.write_text(f"input_shape = {list(model.input_shape)}\n[[layers]]\ntype = \"{name}\"\n{settings}\n")
    raises_cheaply(ValueError, lambda: config.load(path, seed=0), rf"{path}.*" + PATCH.format(name, HOSTILE[name][2]))


@pytest.mark.parametrize("name", ["Conv2D", "Conv2DTranspose"])
def test_an_onnx_file_with_a_huge_patch_matrix_is_refused_on_load(name, tmp_path):
    pytest.importorskip("onnx")
    path = tmp_path / "m.onnx"
    striate.onnx.export(hostile(name), path)
    raises_cheaply(FormatError, lambda: striate.onnx.load(path), rf"{path}.*" + PATCH.format(name, HOSTILE[name][2]))


def test_the_patch_matrix_counts_every_group_and_follows_the_limit():
    conv = striate.Sequential([L.Conv2D(4, 3, stride=2, padding=1, groups=2)], input_shape=(10, 10, 4), seed=0)
    assert conv.layers[0].patch_values() == 5 * 5 * 3 * 3 * 4  # output pixels × kh·kw·C
    limits.check_model(conv, "m")
    with limits.raised(max_activation=899):
        with pytest.raises(limits.LimitError, match=r"m: layers\[0\] \(Conv2D\): its patch matrix .* is 900, over"):
            limits.check_model(conv, "m")


def test_an_any_size_model_is_sized_for_the_input_without_allocating():
    model = striate.models.fcn(seed=0)
    limits.check_input(model, (28, 28, 1), "x")
    raises_cheaply(limits.LimitError, lambda: limits.check_input(model, (3000, 3000, 1), "x"),  # the largest: layer 4
                             r"x: layers\[4\] \(Conv2D\): its patch matrix .* is 648,000,000")
    assert model.layers[0].input_shape == (None, None, 1) and not model.layers[0]._cache  # the model is untouched
