"""The built-in LeNet-5 recipe on the real data sets (about half a minute each on 2 cores)."""

import json

import pytest

from striate.cli.main import main

pytestmark = pytest.mark.slow


def train(capsys, *args):
    assert main(["train", "--model", "lenet5", "--epochs", "3", "--json", *args]) == 0
    return json.loads(capsys.readouterr().out)


def test_lenet5_reaches_98_8_percent_on_mnist_in_3_epochs(mnist_dir, capsys):
    result = train(capsys, "--dataset", "mnist", "--data-dir", str(mnist_dir))
    assert result["test_accuracy"] >= 0.988, result


def test_lenet5_reaches_89_percent_on_fashion_mnist_in_3_epochs(fashion_dir, capsys):
    result = train(capsys, "--dataset", "fashion-mnist", "--data-dir", str(fashion_dir))
    assert result["test_accuracy"] >= 0.89, result
