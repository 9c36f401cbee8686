"""The optional class_names field of model files (striate.io.class_names)."""

import json

import numpy as np
import pytest

import striate
from striate.io import document


def small(names=None):
    model = striate.models.lenet5(seed=0, classes=3)
    model.class_names = names
    return model


def test_class_names_round_trip(tmp_path):
    small(["cat", "dog", "seven"]).save(tmp_path / "m.striate")
    assert striate.load(tmp_path / "m.striate").class_names == ["cat", "dog", "seven"]


def test_files_without_class_names_still_load(tmp_path):
    small().save(tmp_path / "m.striate")
    doc, _ = document.read(tmp_path / "m.striate")
    assert "class_names" not in doc["model"]
    assert striate.load(tmp_path / "m.striate").class_names is None


def test_class_names_of_the_wrong_length_are_not_saved(tmp_path):
    with pytest.raises(ValueError, match=r"class_names lists 2 names but the model outputs 3 values"):
        small(["a", "b"]).save(tmp_path / "m.striate")
    with pytest.raises(ValueError, match=r"class_names must be a list of non-empty strings, got \['a', 3, 'c'\]"):
        small(["a", 3, "c"]).save(tmp_path / "m.striate")


@pytest.mark.parametrize("names,message", [
    (["a", "b"], "lists 2 names but the model outputs 3 values"),
    ("abc", "must be a list of non-empty strings"),
    (["a", "", "c"], "must be a list of non-empty strings"),
    ([1, 2, 3], "must be a list of non-empty strings"),
])
def test_a_file_with_bad_class_names_is_a_format_error(tmp_path, names, message):
    model = small(["a", "b", "c"])
    tensors = striate.io.model_file.weights(model)
    arch = striate.io.model_file.describe(model)
    arch["class_names"] = names
    document.write(tmp_path / "m.striate", "model", {"model": arch}, tensors)
    with pytest.raises(striate.FormatError, match=rf"m.striate: model: class_names {message}"):
        striate.load(tmp_path / "m.striate")


def test_checkpoints_carry_class_names(tmp_path, rng):
    model = small(["a", "b", "c"])
    model.compile("sgd")
    x, y = rng.random((8, 28, 28, 1), np.float32), rng.integers(0, 3, 8)
    model.fit(x, y, epochs=1, batch_size=4, verbose=0, checkpoint=tmp_path / "run.ckpt")
    assert striate.load(tmp_path / "run.ckpt").class_names == ["a", "b", "c"]
    assert json.dumps(striate.io.model_file.describe(model)).count('"class_names"') == 1
