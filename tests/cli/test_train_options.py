"""`striate train`: TOML configs, validation split, augmentation, checkpoints and resume, plots."""

import json
import re

import pytest

import striate
from striate.cli.main import main

from .conftest import png_size

CONFIG = """
name = "tiny"
input_shape = [28, 28, 1]

[[layers]]
type = "Conv2D"
filters = 4
kernel_size = 5
stride = 2
padding = [[1, 1], [1, 1]]

[[layers]]
type = "ReLU"

[[layers]]
type = "MaxPool2D"
kernel_size = 2

[[layers]]
type = "Flatten"

[[layers]]
type = "Dense"
units = 10
"""


def train(fake_mnist, *extra):
    return main(["train", "--dataset", "mnist", "--data-dir", str(fake_mnist), "--epochs", "1",
                 "--batch-size", "16", *extra])


def test_config_trains_saves_and_plots(tmp_path, fake_mnist, capsys):
    config = tmp_path / "net.toml"
    config.write_text(CONFIG)
    out, plots = tmp_path / "tiny.striate", tmp_path / "plots"
    assert train(fake_mnist, "--config", str(config), "--out", str(out), "--plots", str(plots), "--json") == 0
    result = json.loads(capsys.readouterr().out)
    assert result["model"] == str(config) and result["files"]["model"] == str(out)
    model = striate.load(out)
    assert [type(layer).__name__ for layer in model.layers] == ["Conv2D", "ReLU", "MaxPool2D", "Flatten", "Dense"]
    assert model.layers[0].padding == ((1, 1), (1, 1)) and model.layers[0].output_shape == (13, 13, 4)
    assert png_size(plots / "curves.png") == (900, 360)


@pytest.mark.parametrize("layers,message", [
    ('[[layers]]\ntype = "Conv2D"\nfilters = 4\nkernel_size = 40\n',
     r"net.toml: the network does not fit 28×28×1 inputs: Conv2D #1: kernel height 40 .* larger than the padded input"),
    ('[[layers]]\ntype = "__import__(\'os\').system(\'true\')"\n', r"net.toml: layers\[0\]: unknown layer type"),
    ('[[layers]]\ntype = "Conv3D"\n', r"unknown layer type 'Conv3D'; known types: .*Conv2D"),
    ('[[layers]]\ntype = "Conv2D"\nfilter = 4\nkernel_size = 3\n',
     r"layers\[0\] \(Conv2D\): got an unexpected keyword argument 'filter'"),
    ('[[layers]]\ntype = "Dense"\nunits = -3\n', r"layers\[0\] \(Dense\): Dense: units must be a positive int, got -3"),
    ('[[layers]]\ntype = "Flatten"\n[[layers]]\ntype = "Dense"\nunits = 7\n',
     r"the last layer outputs 7 values but mnist has 10 classes"),
    ('layer = 3\n', r"unknown key 'layer'"),
    ('[[layers]\n', r"not valid TOML"),
])
def test_a_bad_config_is_one_line_on_stderr(tmp_path, fake_mnist, capsys, layers, message):
    config = tmp_path / "net.toml"
    config.write_text(layers)
    assert train(fake_mnist, "--config", str(config)) == 1
    err = capsys.readouterr().err
    assert err.startswith("striate train: error: ") and err.count("\n") == 1 and "Traceback" not in err
    assert re.search(message, err), err


def test_config_and_model_are_exclusive(fake_mnist, capsys):
    with pytest.raises(SystemExit):
        train(fake_mnist, "--config", "a.toml", "--model", "lenet5")
    assert "not allowed with argument" in capsys.readouterr().err


def test_val_split_and_augment(fake_mnist, capsys):
    assert train(fake_mnist, "--val-split", "0.25", "--augment") == 0
    out = capsys.readouterr().out
    train_n, val_n = map(int, re.search(r"(\d+) training, (\d+) validation and 32 test images", out).groups())
    assert train_n + val_n == 64 and 14 <= val_n <= 18  # a stratified quarter, rounded per class
    assert "augmenting every epoch: RandomShift(2), RandomRotation(10)" in out
    assert "val_accuracy" in out and "test accuracy:" in out


def test_a_resumed_run_ends_where_an_unbroken_one_does(tmp_path, fake_mnist, capsys):
    """One epoch, then a second resumed from the checkpoint == two epochs at once (augmentation on)."""
    args = ["--schedule", "constant", "--augment", "--val-split", "0.25", "--json"]
    assert train(fake_mnist, *args, "--epochs", "2") == 0
    unbroken = json.loads(capsys.readouterr().out)
    ckpt = tmp_path / "run.ckpt"
    assert train(fake_mnist, *args, "--checkpoint", str(ckpt)) == 0
    capsys.readouterr()
    assert train(fake_mnist, *args, "--epochs", "2", "--checkpoint", str(ckpt), "--resume") == 0
    resumed = json.loads(capsys.readouterr().out)
    assert resumed["history"] == unbroken["history"] and resumed["test_loss"] == unbroken["test_loss"]


def test_resume_says_where_it_carries_on(tmp_path, fake_mnist, capsys):
    ckpt = tmp_path / "run.ckpt"
    assert train(fake_mnist, "--checkpoint", str(ckpt), "--resume") == 0
    assert f"no checkpoint at {ckpt} yet: starting from the beginning" in capsys.readouterr().out
    assert train(fake_mnist, "--epochs", "2", "--checkpoint", str(ckpt), "--resume") == 0
    assert f"resuming from {ckpt}, after epoch 1" in capsys.readouterr().out


def test_resume_needs_a_checkpoint(fake_mnist, capsys):
    assert train(fake_mnist, "--resume") == 1
    assert "--resume carries on from --checkpoint FILE" in capsys.readouterr().err


def test_limit_takes_the_first_images(fake_mnist, capsys):
    assert train(fake_mnist, "--limit", "20") == 0
    assert "mnist: 20 training and 20 test images" in capsys.readouterr().out


@pytest.mark.parametrize("option,value,message", [
    ("--val-split", "1.5", "expected a fraction between 0 and 1"),
    ("--epochs", "0", "expected a positive whole number"),
    ("--model", "resnet", "invalid choice: 'resnet'"),
])
def test_bad_option_values_are_refused(fake_mnist, capsys, option, value, message):
    with pytest.raises(SystemExit):
        train(fake_mnist, option, value)
    assert message in capsys.readouterr().err


@pytest.mark.parametrize("name", ["seed-table", "keras-mnist", "fashion"])
def test_new_built_in_models_train(fake_mnist, capsys, name):
    assert train(fake_mnist, "--model", name, "--limit", "16", "--json") == 0
    assert json.loads(capsys.readouterr().out)["model"] == name
