"""`striate train` end to end on a small generated IDX data set."""

import json

import pytest

from striate.cli.main import main

from ..datasets.test_datasets import write_fake_mnist


def test_train_prints_epochs_and_test_accuracy(tmp_path, rng, capsys):
    folder = write_fake_mnist(tmp_path / "m", rng)
    assert main(["train", "--dataset", "mnist", "--data-dir", str(folder), "--epochs", "2", "--batch-size", "16"]) == 0
    out = capsys.readouterr().out
    assert "Epoch 1/2" in out and "Epoch 2/2" in out and "test accuracy:" in out


def test_train_json(tmp_path, rng, capsys):
    folder = write_fake_mnist(tmp_path / "m", rng)
    assert main(["train", "--dataset", "mnist", "--data-dir", str(folder), "--epochs", "1", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["model"] == "lenet5" and 0 <= result["test_accuracy"] <= 1
    assert len(result["history"]["loss"]) == 1


def test_missing_data_is_one_clear_line(tmp_path, capsys):
    assert main(["train", "--dataset", "mnist", "--data-dir", str(tmp_path / "nowhere")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("striate train: error:") and "train-images-idx3-ubyte" in err
    assert err.count("\n") == 1


def test_unknown_dataset_is_refused(capsys):
    with pytest.raises(SystemExit):
        main(["train", "--dataset", "imagenet"])
    assert "invalid choice" in capsys.readouterr().err


def test_train_finds_data_through_striate_data(tmp_path, rng, capsys, monkeypatch):
    write_fake_mnist(tmp_path / "data" / "mnist", rng)
    monkeypatch.setenv("STRIATE_DATA", str(tmp_path / "data"))
    assert main(["train", "--dataset", "mnist", "--epochs", "1", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["dataset"] == "mnist"


def test_train_on_cifar10_binary(tmp_path, rng, capsys):
    from ..datasets.test_cifar import fake_batches, write_archive

    write_archive(tmp_path / "cifar-10-binary.tar.gz", fake_batches(rng, per_file=4))
    assert main(["train", "--dataset", "cifar10", "--data-dir", str(tmp_path), "--epochs", "1", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["dataset"] == "cifar10"


def test_offline_and_nowhere_lists_the_places_tried(capsys):
    assert main(["train", "--dataset", "cifar10"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("striate train: error: no cifar10 data found. Tried, in order:")
    assert "user cache" in err and "http://127.0.0.1:9/cifar10/cifar-10-binary.tar.gz: cannot connect" in err


def test_bad_image_size_is_refused(capsys):
    with pytest.raises(SystemExit):
        main(["train", "--dataset", "folder:x", "--image-size", "12y3"])
    assert "expected SIZE or HEIGHTxWIDTH in pixels, e.g. 32 or 32x48, got '12y3'" in capsys.readouterr().err
