"""The built-in autoencoder, fcn and fashion networks: shapes, any input size, a short real training."""

import numpy as np
import pytest

import striate
from striate import layers as L
from striate import optim


def test_registry_lists_the_new_models_and_the_classifiers():
    assert {"autoencoder", "fcn", "fashion"} <= set(striate.models.MODELS)
    assert "autoencoder" not in striate.models.CLASSIFIERS  # its output is an image, not class scores


def test_fcn_has_no_pooling_or_dense_and_classifies_any_size(rng):
    model = striate.models.fcn(seed=0)
    kinds = {type(l).__name__ for l in model.layers}
    assert not kinds & {"MaxPool2D", "AvgPool2D", "Dense", "Flatten"}
    assert model.input_shape == (None, None, 1) and model.output_shape == (10,)
    assert model.layers[-2].kernel_size == (1, 1)  # the 1×1 convolution head
    for size in (28, 56):
        assert model.predict(rng.random((2, size, size, 1), dtype=np.float32)).shape == (2, 10)
    assert striate.models.fcn((28, 28, 1), classes=3).output_shape == (3,)


def test_fashion_network_builds_trains_a_step_and_evaluates_deterministically(rng):
    model = striate.models.fashion(seed=0)
    kinds = [type(l).__name__ for l in model.layers]
    assert "BatchNorm2D" in kinds and "Dropout" in kinds and model.output_shape == (10,)
    model.compile(optim.SGD(0.05, momentum=0.9, nesterov=True), "cross_entropy", ["accuracy"])
    x, y = rng.random((16, 28, 28, 1), dtype=np.float32), rng.integers(0, 10, 16)
    model.train_step(x, y)
    np.testing.assert_array_equal(model.predict(x), model.predict(x))  # evaluation: no dropout, running stats


def test_autoencoder_shapes_and_code_size():
    model = striate.models.autoencoder(code_size=16, seed=0)
    assert model.output_shape == (28, 28, 1)
    code = [l for l in model.layers if isinstance(l, L.Dense)][0]
    assert code.units == 16
    assert any(isinstance(l, L.Conv2DTranspose) for l in model.layers)
    with pytest.raises(ValueError, match=r"autoencoder: input height and width must be known multiples of 4"):
        striate.models.autoencoder((30, 30, 1))


def test_autoencoder_reconstruction_error_falls_below_0_045_on_1024_mnist_digits(mnist_dir):
    """Predicting the mean image scores an MSE of about 0.064 on these test digits; 8 short epochs
    on 1,024 digits (a few seconds) reach about 0.028."""
    (x, _), (xt, _) = striate.datasets.load("mnist", data_dir=mnist_dir)
    x, xt = x[:1024], xt[:256]
    baseline = float(np.mean((xt - x.mean(axis=0)) ** 2))
    model = striate.models.autoencoder(seed=0)
    model.compile(optim.Adam(3e-3), "mse")
    before = model.evaluate(xt, xt)["loss"]
    model.fit(x, x, epochs=8, batch_size=32, verbose=0)
    after = model.evaluate(xt, xt)["loss"]
    assert after < 0.045 and after < 0.7 * baseline < before, (before, baseline, after)


def test_training_script_smoke_run(mnist_dir, fashion_dir, tmp_path, capsys):
    """benchmarks/train_models.py end to end on a few hundred images (the measured runs take minutes)."""
    from benchmarks.train_models import main

    common = ["--subset", "256", "--test-subset", "200", "--mnist-dir", str(mnist_dir),
              "--fashion-dir", str(fashion_dir), "--out", str(tmp_path), "--json"]
    ae, fcn = main(["autoencoder", "fcn", "--epochs", "1", *common])
    assert ae["model"] == "autoencoder" and 0 < ae["test_mse"] < 1
    from PIL import Image

    with Image.open(ae["picture"]) as picture:  # 2 rows of 12 digits, 3× enlarged
        assert picture.size == (3 * 12 * 28, 3 * 2 * 28)
    assert 0 <= fcn["test_accuracy_28"] <= 1 and 0 <= fcn["test_accuracy_56"] <= 1
    (fashion,) = main(["fashion", "--minutes", "0.001", *common])  # the budget allows one epoch (at least one)
    assert fashion["epochs"] == 1 and 0 <= fashion["test_accuracy"] <= 1
    assert "fashion: epoch 1/1" in capsys.readouterr().out
