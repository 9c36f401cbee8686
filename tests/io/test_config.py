"""Networks described in TOML: built from the fixed layer table, arguments checked, errors name the file."""

import pytest

from striate import layers as L
from striate.io import config

LENET = """
name = "lenet"
input_shape = [28, 28, 1]
layers = [
  {type = "Conv2D", filters = 6, kernel_size = 5, padding = "same"},
  {type = "ReLU"},
  {type = "MaxPool2D", kernel_size = [2, 2]},
  {type = "Flatten"},
  {type = "Dense", units = 10, kernel_initializer = "he_normal"},
]
"""


def test_inline_tables_build_a_model_with_tuples(tmp_path):
    path = tmp_path / "lenet.toml"
    path.write_text(LENET)
    spec = config.read(path)
    assert spec.name == "lenet" and spec.input_shape == (28, 28, 1)
    model = spec.build(seed=0)
    assert model.layers[2].kernel_size == (2, 2) and model.layers[2].get_config()["kernel_size"] == (2, 2)
    assert model.output_shape == (10,) and model.count_params() == 6 * 26 + 14 * 14 * 6 * 10 + 10
    again = config.load(path, seed=0)
    assert all((a == b).all() for a, b in zip(model.get_weights(), again.get_weights()))


def test_input_shape_from_the_caller(tmp_path):
    path = tmp_path / "net.toml"
    path.write_text('[[layers]]\ntype = "Conv2D"\nfilters = 2\nkernel_size = 3\n')
    assert config.load(path, input_shape=(8, 8, 3)).output_shape == (6, 6, 2)
    with pytest.raises(ValueError, match="no input_shape in the file"):
        config.load(path)


@pytest.mark.parametrize("text,message", [
    ("", r"expected one or more \[\[layers\]\] tables"),
    ("layers = [1, 2]", r"expected one or more \[\[layers\]\] tables"),
    ('input_shape = [28, 0]\n[[layers]]\ntype = "ReLU"', "input_shape must list 1 to 3 positive sizes"),
    ('[[layers]]\nfilters = 3', "layers\\[0\\]: unknown layer type None"),
    ('[[layers]]\ntype = "Layer"', "unknown layer type 'Layer'"),  # the abstract base is not in the table
    ('[[layers]]\ntype = "eval"', "unknown layer type 'eval'"),
])
def test_malformed_configs(tmp_path, text, message):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(ValueError, match=message):
        config.read(path)


def test_a_missing_file_names_it(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.toml: no such config file"):
        config.read(tmp_path / "nope.toml")


def test_every_registered_layer_can_be_described():
    assert {"Conv2D", "MaxPool2D", "AvgPool2D", "Dense", "Flatten", "ReLU", "Softmax"} <= set(config.LAYERS)
    assert all(issubclass(cls, L.Layer) for cls in config.LAYERS.values())
