"""train → evaluate → predict → export on real MNIST: one epoch on a 2,000-image subset."""

import json

import numpy as np
import pytest

import striate
from striate.cli.main import main

from .conftest import write_png


def test_train_evaluate_predict_export_on_real_mnist(mnist_dir, tmp_path, capsys):
    model, data = tmp_path / "lenet.striate", ["--dataset", "mnist", "--data-dir", str(mnist_dir)]
    assert main(["train", *data, "--limit", "2000", "--epochs", "1", "--batch-size", "32",
                 "--out", str(model), "--json"]) == 0
    trained = json.loads(capsys.readouterr().out)
    assert trained["test_accuracy"] > 0.75  # one epoch on 2,000 digits: about 0.85

    assert main(["evaluate", str(model), *data, "--limit", "1000", "--json", "--plots", str(tmp_path)]) == 0
    evaluated = json.loads(capsys.readouterr().out)
    assert evaluated["images"] == 1000 and evaluated["accuracy"] > 0.75
    assert (tmp_path / "confusion.png").exists() and (tmp_path / "mistakes.png").exists()

    (_, _), (x_test, y_test) = striate.datasets.load("mnist", mnist_dir)
    probs = striate.load(model).predict(x_test[:20])
    i = int(np.flatnonzero(probs.argmax(axis=1) == y_test[:20])[0])  # a test digit the model gets right
    digit = write_png(tmp_path / "digit.png", x_test[i, :, :, 0])
    assert main(["predict", str(model), str(digit), "--classes", "mnist", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["predictions"][0]["top"][0]["class"] == str(y_test[i])

    pytest.importorskip("onnx")
    assert main(["export", str(model), str(tmp_path / "lenet.onnx")]) == 0
    assert (tmp_path / "lenet.onnx").stat().st_size > 200_000  # 61,706 float32 weights
