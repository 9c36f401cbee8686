"""evaluate, predict, export, filters and features on a model trained for one epoch on small data."""

import json

import numpy as np
import pytest

import striate
from striate.cli.main import main

from .conftest import png_size, write_png


def test_evaluate_prints_accuracy_per_class_scores_and_confusion(model_file, fake_mnist, capsys, tmp_path):
    plots = tmp_path / "eval"
    assert main(["evaluate", str(model_file), "--dataset", "mnist", "--data-dir", str(fake_mnist),
                 "--plots", str(plots), "--mistakes", "6"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("mnist test: 32 images\naccuracy ")
    assert "class  precision  recall  images" in out
    assert "confusion matrix (rows: true class, columns: predicted class)" in out
    assert png_size(plots / "confusion.png") == (870, 750)  # (0.5·10 classes + 2.5 + 1.2 inches) × 100 dpi
    assert png_size(plots / "mistakes.png")[0] > 0


@pytest.mark.parametrize("cause", ["no matplotlib", "unwritable"])
def test_evaluate_plots_are_checked_before_evaluating(cause, model_file, fake_mnist, tmp_path, capsys, monkeypatch):
    import sys

    from striate.cli import evaluate

    def never(args):
        raise AssertionError("the data was loaded")

    monkeypatch.setattr(evaluate, "load_data", never)
    plots = tmp_path / "eval"
    if cause == "no matplotlib":
        monkeypatch.setitem(sys.modules, "matplotlib", None)
    else:
        plots = tmp_path / "file"
        plots.write_text("a file, not a folder")
    assert main(["evaluate", str(model_file), "--dataset", "mnist", "--data-dir", str(fake_mnist),
                 "--plots", str(plots)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("striate evaluate: error: --plots ") and err.rstrip().endswith("nothing was evaluated")


def test_class_names_that_do_not_print_are_escaped_by_predict_and_evaluate(tmp_path, capsys):
    from .conftest import write_folder

    names = ["ok name", "tab\there", "line\nbreak", "\u202eevil"]
    folder = write_folder(tmp_path / "odd", dict(zip(names, (0.1, 0.4, 0.7, 0.95))), per_class=3, size=28)
    model = tmp_path / "odd.striate"
    assert main(["train", "--dataset", f"folder:{folder}", "--color-mode", "grayscale", "--epochs", "1",
                 "--out", str(model), "--json"]) == 0
    capsys.readouterr()
    image = write_png(tmp_path / "x.png", np.full((28, 28), 0.5))
    assert main(["predict", str(model), str(image), "--top", "4"]) == 0
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and "\u202e" not in out and "\t" not in out
    for shown in ("ok name (", "tab\\there (", "line\\nbreak (", "\\u202eevil ("):
        assert shown in out
    assert main(["evaluate", str(model), "--dataset", f"folder:{folder}", "--color-mode", "grayscale"]) == 0
    out = capsys.readouterr().out
    assert "\u202e" not in out and "\t" not in out
    for shown in ("0 line\\nbreak", "1 ok name", "2 tab\\there", "3 \\u202eevil"):  # sorted folder names
        assert shown in out


def test_evaluate_json_agrees_with_the_model(model_file, fake_mnist, capsys):
    assert main(["evaluate", str(model_file), "--dataset", "mnist", "--data-dir", str(fake_mnist), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    (_, _), (x, y) = striate.datasets.load("mnist", fake_mnist)
    model = striate.load(model_file)
    predicted = model.predict(x).argmax(axis=1)
    assert result["images"] == 32 and result["accuracy"] == pytest.approx(np.mean(predicted == y))
    cm = np.array(result["confusion"])
    assert cm.sum() == 32 and np.trace(cm) == np.sum(predicted == y)
    assert cm.sum(axis=1).tolist() == np.bincount(y, minlength=10).tolist()


def test_evaluate_refuses_images_of_the_wrong_size(model_file, tmp_path, rng, capsys):
    from ..datasets.test_cifar import fake_batches, write_archive

    write_archive(tmp_path / "cifar-10-binary.tar.gz", fake_batches(rng, per_file=2))
    assert main(["evaluate", str(model_file), "--dataset", "cifar10", "--data-dir", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert err == "striate evaluate: error: the model takes 28×28×1 images, but cifar10 images are 32×32×3\n"


def test_evaluate_refuses_an_untrained_built_in(capsys):
    assert main(["evaluate", "lenet5", "--dataset", "mnist"]) == 1
    assert "untrained built-in model" in capsys.readouterr().err


def test_predict_lists_the_top_classes(model_file, digit_png, capsys):
    assert main(["predict", str(model_file), str(digit_png), "--top", "4", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)["predictions"][0]
    probs = [t["probability"] for t in result["top"]]
    assert len(probs) == 4 and probs == sorted(probs, reverse=True) and sum(probs) <= 1 + 1e-9
    model = striate.load(model_file)
    from PIL import Image

    x = np.asarray(Image.open(digit_png), np.float32)[None, :, :, None] / 255
    assert result["top"][0]["index"] == int(model.predict(x).argmax())


def test_predict_resizes_converts_and_names_classes(model_file, tmp_path, capsys):
    big = write_png(tmp_path / "big.png", np.random.default_rng(0).random((56, 40, 3)))
    assert main(["predict", str(model_file), str(big), "--classes", "fashion-mnist", "--top", "1"]) == 0
    line = capsys.readouterr().out.strip()
    names = striate.datasets.catalog.FASHION_MNIST.class_names
    assert line.startswith(f"{big}: ") and line.split(": ")[1].rsplit(" (", 1)[0] in names


def test_predict_notes_a_light_background(model_file, tmp_path, capsys):
    paper = np.ones((28, 28))
    paper[5:23, 13:15] = 0
    path = write_png(tmp_path / "paper.png", paper)
    assert main(["predict", str(model_file), str(path)]) == 0
    assert "try --invert" in capsys.readouterr().err
    assert main(["predict", str(model_file), str(path), "--invert"]) == 0
    assert "try --invert" not in capsys.readouterr().err


@pytest.mark.parametrize("make,args,message", [
    (lambda d: write_png(d / "wide.png", np.zeros((28, 40))), ["--no-resize"],
     "wide.png: the image is 28×40 pixels but the model takes 28×28; resize it, or leave out --no-resize"),
    (lambda d: d / "missing.png", [], "missing.png: no such image file"),
    (lambda d: (d / "notes.png").write_text("not a picture") and d / "notes.png", [], "notes.png: not a readable"),
])
def test_predict_errors_are_one_line(model_file, tmp_path, capsys, make, args, message):
    path = make(tmp_path)
    assert main(["predict", str(model_file), str(path), *args]) == 1
    err = capsys.readouterr().err
    assert err.startswith("striate predict: error: ") and message in err and err.count("\n") == 1


def test_predict_missing_model_file(tmp_path, digit_png, capsys):
    assert main(["predict", str(tmp_path / "nope.striate"), str(digit_png)]) == 1
    assert "nope.striate: no such model file, and not a built-in model" in capsys.readouterr().err


def test_a_damaged_model_file_is_one_line(tmp_path, model_file, digit_png, capsys):
    bad = tmp_path / "bad.striate"
    bad.write_bytes(model_file.read_bytes()[:-10])
    assert main(["predict", str(bad), str(digit_png)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"striate predict: error: {bad}") and err.count("\n") == 1


def test_export_writes_an_onnx_model_that_agrees(model_file, tmp_path, capsys):
    ort = pytest.importorskip("onnxruntime")
    out = tmp_path / "lenet.onnx"
    assert main(["export", str(model_file), str(out)]) == 0
    assert f"wrote {out}" in capsys.readouterr().out
    x = np.random.default_rng(0).random((3, 28, 28, 1)).astype(np.float32)
    session = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    (y,) = session.run(None, {"input": x})
    np.testing.assert_allclose(y, striate.load(model_file).predict(x), rtol=1e-4, atol=1e-5)


def test_filters_draws_the_first_convolution(model_file, tmp_path, capsys):
    out = tmp_path / "filters.png"
    assert main(["filters", str(model_file), "--out", str(out)]) == 0
    assert "Conv2D #1: 6 kernels of 5×5×1" in capsys.readouterr().out
    assert png_size(out) == (500, 300)
    assert main(["filters", str(model_file), "--layer", "4", "--out", str(tmp_path / "c2.png")]) == 0
    assert png_size(tmp_path / "c2.png") == (1260, 540)


def test_filters_layer_must_be_a_convolution(model_file, capsys):
    assert main(["filters", str(model_file), "--layer", "2"]) == 1
    assert "layer 2 is ReLU(), not a Conv2D; the convolutions are layers 1, 4" in capsys.readouterr().err


def test_features_writes_a_grid_per_layer_and_a_page(model_file, digit_png, tmp_path, capsys):
    out = tmp_path / "features"
    assert main(["features", str(model_file), str(digit_png), "--out", str(out), "--classes", "mnist"]) == 0
    assert "wrote 13 pictures" in capsys.readouterr().out
    model = striate.load(model_file)
    page = (out / "index.html").read_text()
    assert png_size(out / "input.png") == (112, 112)
    for layer in model.layers:
        name = f"layer-{layer.index:02d}-{type(layer).__name__.lower()}.png"
        if type(layer).__name__ == "Flatten":
            assert not (out / name).exists()
            continue
        assert name in page and png_size(out / name)[0] > 100
    assert "softmax" in page and "What lenet.striate sees in one.png" in page


def test_export_refuses_random_weights_unless_asked(tmp_path, capsys):
    assert main(["export", "lenet5", str(tmp_path / "x.onnx")]) == 1
    assert "'lenet5' is an untrained built-in model (random weights)" in capsys.readouterr().err
    pytest.importorskip("onnx")
    assert main(["export", "lenet5", str(tmp_path / "x.onnx"), "--untrained"]) == 0


NET = 'input_shape = [28, 28, 1]\n[[layers]]\ntype = "Flatten"\n[[layers]]\ntype = "Dense"\nunits = 10\n'


def test_export_refuses_a_config_unless_asked(tmp_path, capsys):
    (tmp_path / "net.toml").write_text(NET)
    assert main(["export", str(tmp_path / "net.toml"), str(tmp_path / "x.onnx")]) == 1
    assert capsys.readouterr().err == (
        f"striate export: error: '{tmp_path / 'net.toml'}' is a TOML config: its network has untrained, random "
        "weights; export a file from `striate train --out FILE.striate`, or add --untrained to export its "
        "architecture as it is\n")
    assert not (tmp_path / "x.onnx").exists()
    pytest.importorskip("onnx")
    assert main(["export", str(tmp_path / "net.toml"), str(tmp_path / "x.onnx"), "--untrained"]) == 0


@pytest.mark.parametrize("command", ["predict", "features"])
def test_random_weights_are_noted(command, tmp_path, digit_png, model_file, capsys):
    (tmp_path / "net.toml").write_text(NET)
    extra = ["--out", str(tmp_path / "features")] if command == "features" else []
    for spec, what in (("lenet5", "a built-in model"), (str(tmp_path / "net.toml"), "a network described in TOML")):
        assert main([command, spec, str(digit_png), *extra]) == 0
        assert capsys.readouterr().err == (
            f"note: {spec} is {what} with untrained, random weights: what it computes was not learned (give a file "
            "from `striate train --out FILE.striate` for a trained model)\n")
    assert main([command, str(model_file), str(digit_png), *extra]) == 0
    assert "note:" not in capsys.readouterr().err  # a trained model's file


def test_the_architecture_alone_gets_no_note(capsys):
    assert main(["summary", "lenet5"]) == 0
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize("content,what", [
    (b'[[layers]]\ntype = "Dense"\nunits = 10\n', "a text file (a TOML network?"),
    (b"\x08\x07\x12\x07pytorch", "an ONNX model: load it with striate.onnx.load"),
    (b"\x89PNG\r\n\x1a\n" + bytes(40), "a PNG image"),
])
def test_a_file_that_is_no_model_is_named_for_what_it_is(tmp_path, capsys, content, what):
    path = tmp_path / "model.bin"
    path.write_bytes(content)
    assert main(["predict", str(path), "x.png"]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"striate predict: error: {path}: not a striate model file: it is {what}")
    assert "header claims" not in err and err.count("\n") == 1


@pytest.mark.parametrize("keep", [100, 9, 30])
def test_a_truncated_model_file_gets_the_readers_own_message(keep, model_file, tmp_path, capsys):
    path = tmp_path / "cut.striate"
    path.write_bytes(model_file.read_bytes()[:keep])
    assert main(["predict", str(path), "x.png"]) == 1
    err = capsys.readouterr().err
    assert f"error: {path}: the header claims " in err and "truncated" in err and "text file" not in err


@pytest.mark.parametrize("length", [264, 2**16 + 8])  # a header length whose first byte is 0x08, as ONNX's is
def test_a_cut_header_is_not_taken_for_onnx(length, tmp_path):
    from striate.io import file_kind

    head = length.to_bytes(8, "little") + b'{"__metadata__":{"format":"striate"'
    assert file_kind.describe(head, tmp_path / "m.striate", len(head)) is None


def test_a_device_is_not_called_a_text_file(capsys):
    assert main(["predict", "/dev/zero", "x.png"]) == 1
    err = capsys.readouterr().err
    assert "/dev/zero: not a striate model file: it is not a regular file but a device or a pipe" in err


def test_nul_bytes_are_not_text(tmp_path):
    from striate.io import file_kind

    assert file_kind.describe(bytes(7) + b"\x01" + bytes(56), tmp_path / "m.striate", 64) is None
    assert file_kind.describe("x = 1\n# é".encode() * 8, tmp_path / "m", 64).startswith("a text file")


def test_commands_take_onnx_models(model_file, digit_png, tmp_path, capsys):
    pytest.importorskip("onnx")
    assert main(["export", str(model_file), str(tmp_path / "m.onnx")]) == 0
    capsys.readouterr()
    assert main(["predict", str(tmp_path / "m.onnx"), str(digit_png), "--json"]) == 0
    from_onnx = json.loads(capsys.readouterr().out)["predictions"][0]["top"][0]
    assert main(["predict", str(model_file), str(digit_png), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["predictions"][0]["top"][0]["index"] == from_onnx["index"]


def test_evaluate_refuses_a_data_set_with_other_classes(model_file, tmp_path, capsys):
    from ..datasets.test_datasets import write_fake_mnist

    fashion = write_fake_mnist(tmp_path / "fashion", np.random.default_rng(1))
    assert main(["evaluate", str(model_file), "--dataset", "fashion-mnist", "--data-dir", str(fashion)]) == 1
    assert ("was trained on the classes 0, 1, 2, 3, ..., but fashion-mnist has T-shirt/top, Trouser, Pullover, "
            "Dress, ...") in capsys.readouterr().err


def test_predict_and_features_use_the_saved_class_names(tmp_path, fake_mnist, digit_png, capsys):
    path = tmp_path / "fashion.striate"
    assert main(["train", "--dataset", "fashion-mnist", "--data-dir", str(fake_mnist), "--epochs", "1",
                 "--batch-size", "16", "--json", "--out", str(path)]) == 0
    capsys.readouterr()
    assert main(["predict", str(path), str(digit_png), "--top", "10", "--json"]) == 0
    top = json.loads(capsys.readouterr().out)["predictions"][0]["top"]
    assert sorted(t["class"] for t in top) == sorted(striate.datasets.catalog.FASHION_MNIST.class_names)
    assert main(["features", str(path), str(digit_png), "--out", str(tmp_path / "f")]) == 0
    page = (tmp_path / "f" / "index.html").read_text()
    assert any(name in page for name in striate.datasets.catalog.FASHION_MNIST.class_names)


def test_tune_saves_its_best_model(tmp_path, fake_mnist, capsys):
    out = tmp_path / "best.striate"
    assert main(["tune", "--dataset", "mnist", "--data-dir", str(fake_mnist), "--depth", "1", "--filters", "2",
                 "--kernel-size", "3", "--k", "2", "--workers", "1", "--out", str(out), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["files"] == {"model": str(out)}
    assert striate.load(out).class_names == [str(i) for i in range(10)]


def test_summary_of_a_model_for_any_size_counts_flops_at_28(capsys):
    assert main(["summary", "fcn"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("note: the model takes any image size (?×?×1); shown at 28×28×1")
    assert "11,158,378 FLOPs per image;" in out and "some layers not counted" not in out
