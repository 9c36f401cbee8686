"""Hostile model files and checkpoints: each one is refused with a FormatError
naming the file and the field, at load time — never another exception, never later."""

import json

import numpy as np
import pytest

import striate
from striate import FormatError, limits
from striate import layers as L
from striate.io import checkpoint, document, model_file

from ..memory import raises_cheaply
from . import training_run as run
from .test_checkpoint import rewrite
from .test_malformed import forge, parts, raw_file  # noqa: F401 - parts is a fixture


def refused(path, *fields, read=striate.load):
    text = raises_cheaply(FormatError, lambda: read(path))
    assert str(path) in text
    for field in fields:
        assert field in text, text
    return text


# ---- model files ------------------------------------------------------------------
def test_a_list_as_safetensors_dtype(tmp_path):
    path = raw_file(tmp_path / "m", {"w": {"dtype": ["F32"], "shape": [1], "data_offsets": [0, 4]}}, b"\0" * 4)
    refused(path, "tensor 'w'", "unsupported dtype ['F32']")


def test_a_list_as_model_dtype(tmp_path, parts):
    arch, tensors = parts
    arch["dtype"] = ["float32"]
    refused(forge(tmp_path / "m", arch, tensors), "model: dtype must be one of float32, float64, got ['float32']")


def wrapped_flatten():
    """Conv2D padding 2**62: each output side is 2**63 − 2, and Flatten's NumPy product wraps to 4."""
    model = striate.Sequential([L.Conv2D(1, 9, padding=2**62), L.Flatten(), L.Dense(3)], input_shape=(6, 6, 1), seed=0)
    assert model.layers[1].output_shape == (4,)  # the wrap the file exploits: Dense's weights fit
    return model


def test_a_padding_whose_output_size_wraps_is_refused_on_load(tmp_path):
    model = wrapped_flatten()
    path = forge(tmp_path / "m", model_file.describe(model), model_file.weights(model))
    refused(path, "layers[0] (Conv2D): output shape (9223372036854775806, 9223372036854775806, 1)",
            "over the limit of 134,217,728 (striate.limits.MAX_ACTIVATION")


def test_the_activation_limit_can_be_raised(tmp_path, parts):
    arch, tensors = parts
    path = forge(tmp_path / "m", arch, tensors)
    with limits.raised(max_activation=10):
        refused(path, "input_shape (6, 6, 1): one sample's size is 36, over the limit of 10")
    assert striate.load(path).input_shape == (6, 6, 1)  # the default is back


def test_float32_max_weights_are_refused(tmp_path, parts):
    arch, tensors = parts
    tensors["layers.4.kernel"][:] = np.finfo(np.float32).max  # finite, yet predict gives NaN
    refused(forge(tmp_path / "m", arch, tensors), "tensor 'layers.4.kernel' holds 3.4e+38, beyond ±1e+10")


def test_saving_refuses_absurd_weights_too(tmp_path):
    model = striate.Sequential([L.Dense(2)], input_shape=(3,), seed=0)
    model.layers[0].params["kernel"][0, 0] = 1e30
    with pytest.raises(ValueError, match=r"cannot save Dense #1: its kernel holds 1e\+30, beyond"):
        model.save(tmp_path / "m")


# ---- checkpoints --------------------------------------------------------------------
def test_a_list_as_the_loss(tmp_path, valid_checkpoint):
    path = rewrite(tmp_path / "run.ckpt", valid_checkpoint, lambda t, w: t.update(loss=["CrossEntropy"]))
    refused(path, "training: unknown loss ['CrossEntropy']", read=checkpoint.read)


@pytest.mark.parametrize("config, field", [({"label_smoothing": 5}, "label_smoothing must be a number in [0, 1]"),
                                           ([0.1], "config must be an object"),
                                           ({"margin": 1}, "wrong constructor arguments")])
def test_a_loss_config_that_makes_no_loss(tmp_path, valid_checkpoint, config, field):
    path = rewrite(tmp_path / "run.ckpt", valid_checkpoint, lambda t, w: t.update(loss_config=config))
    refused(path, "training: loss CrossEntropy", field, read=checkpoint.read)


def test_optimizer_state_nested_600_lists_deep(tmp_path, valid_checkpoint):
    def edit(t, w):
        deep = 0
        for _ in range(600):
            deep = [deep]
        t["optimizer"]["state"]["state"]["0.kernel"]["m"] = deep

    path = rewrite(tmp_path / "run.ckpt", valid_checkpoint, edit)
    refused(path, "document.training.optimizer.state.state.0.kernel.m[0]", "deeper than 32 levels",
            read=checkpoint.read)


@pytest.mark.parametrize("iterations,message", [
    (10**400, "training.optimizer.state.iterations: an integer of 401 digits"),
    (2**100, "optimizer iterations 1.27e+30 is past 9,007,199,254,740,992"),
])
def test_absurd_iterations_are_refused_before_the_resume(tmp_path, valid_checkpoint, iterations, message):
    path = rewrite(tmp_path / "run.ckpt", valid_checkpoint,
                   lambda t, w: t["optimizer"]["state"].update(iterations=iterations))
    refused(path, message, read=checkpoint.read)


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_non_finite_numbers_in_the_document_are_refused(tmp_path, valid_checkpoint, constant):
    path = tmp_path / "run.ckpt"
    path.write_bytes(valid_checkpoint)
    doc, tensors = document.read(path)
    doc["training"]["position"]["sums"]["loss"] = "PLACE"
    text = json.dumps(doc).replace('"PLACE"', constant)
    assert constant in text
    raw = document.safefile.encode(tensors, {"striate": text, "checksum": document.checksum(text, tensors)})
    path.write_bytes(b"".join(bytes(c) for c in raw))
    refused(path, f"not valid JSON: {constant} is not a number striate writes", read=checkpoint.read)


def test_writing_refuses_non_finite_numbers_in_the_document(tmp_path, valid_checkpoint):
    """What reading refuses, writing refuses first: no checkpoint is written that cannot be read."""
    with pytest.raises(ValueError, match=r"cannot write .*again.ckpt: Out of range float values .* could not be read back"):
        rewrite(tmp_path / "again.ckpt", valid_checkpoint, lambda t, w: t["position"]["sums"].update(loss=float("inf")))
    assert (tmp_path / "again.ckpt").read_bytes() == valid_checkpoint  # (rewrite copied it first) untouched
