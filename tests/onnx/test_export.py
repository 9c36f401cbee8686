"""ONNX export: a valid graph (onnx.checker, full check) that onnxruntime runs to striate's outputs."""

import sys

import numpy as np
import pytest

import striate
from striate import layers as L

from .models import ONNX_MODELS

onnx = pytest.importorskip("onnx", reason="ONNX export needs onnx (pip install -e '.[onnx]' in the clone)")
ort = pytest.importorskip("onnxruntime", reason="the export tests run the graph in onnxruntime")


def run_onnx(path, x):
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    return session.run(None, {"input": x})[0]


@pytest.mark.parametrize("name", sorted(ONNX_MODELS))
def test_onnxruntime_gives_striates_outputs(name, tmp_path, rng):
    model = ONNX_MODELS[name]()
    path = tmp_path / f"{name}.onnx"
    striate.onnx.export(model, path)
    proto = onnx.load(str(path))
    onnx.checker.check_model(proto, full_check=True)
    assert [i.name for i in proto.graph.input] == ["input"] and [o.name for o in proto.graph.output] == ["output"]
    x = rng.standard_normal((3, *model.input_shape)).astype(np.float32)
    expected = model.predict(x.astype(model.dtype))
    got = run_onnx(path, x)
    assert got.shape == expected.shape
    assert np.max(np.abs(got - expected)) <= 1e-4


def test_every_layer_type_is_exported():
    used = {type(l).__name__ for make in ONNX_MODELS.values() for l in make().layers}
    assert used == set(striate.registry.LAYERS)


def test_lenet_graph_has_one_transpose_in_front_and_one_before_flatten(tmp_path):
    proto = striate.onnx.export(striate.models.lenet5(seed=0), tmp_path / "lenet.onnx")
    ops = [n.op_type for n in proto.graph.node]
    assert ops == ["Transpose", "Conv", "Relu", "MaxPool", "Conv", "Relu", "MaxPool", "Transpose", "Flatten",
                   "Gemm", "Relu", "Gemm", "Relu", "Gemm", "Identity"]
    dims = [d.dim_param or d.dim_value for d in proto.graph.input[0].type.tensor_type.shape.dim]
    assert dims == ["N", 28, 28, 1]


def test_variable_image_size_is_kept_open(tmp_path, rng):
    model = striate.Sequential([L.Conv2D(3, 3), L.ReLU(), L.MaxPool2D(2)], input_shape=(None, None, 2), seed=0)
    striate.onnx.export(model, tmp_path / "v.onnx")
    for size in [(6, 8), (9, 5)]:
        x = rng.standard_normal((2, *size, 2)).astype(np.float32)
        assert np.max(np.abs(run_onnx(tmp_path / "v.onnx", x) - model.predict(x))) <= 1e-5


def test_export_refuses_what_it_cannot_write(tmp_path):
    with pytest.raises(ValueError, match="not built"):
        striate.onnx.export(striate.Sequential([L.Dense(2)]), tmp_path / "m.onnx")

    class Custom(L.ReLU):
        pass

    with pytest.raises(ValueError, match=r"Custom #1 \(Custom\) has no ONNX export"):
        striate.onnx.export(striate.Sequential([Custom()], input_shape=(3,)), tmp_path / "m.onnx")


def test_without_onnx_the_error_says_how_to_install(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "onnx", None)
    with pytest.raises(ImportError, match=r"pip install onnx onnxruntime \(in a clone of striate: pip install -e '\.\[onnx\]'\)"):
        striate.onnx.export(striate.models.lenet5(), tmp_path / "m.onnx")


def small_classifier():
    return striate.Sequential([L.Flatten(), L.Dense(3)], input_shape=(4, 4, 1), seed=0)


def test_class_names_travel_in_the_metadata(tmp_path):
    model = small_classifier()
    model.class_names = ["T-shirt/top", "Trouser", "Pullover"]
    striate.onnx.export(model, tmp_path / "m.onnx")
    props = {p.key: p.value for p in onnx.load(str(tmp_path / "m.onnx")).metadata_props}
    assert props == {"striate.class_names": '["T-shirt/top", "Trouser", "Pullover"]'}
    assert striate.onnx.load(tmp_path / "m.onnx").class_names == ["T-shirt/top", "Trouser", "Pullover"]
    striate.onnx.export(small_classifier(), tmp_path / "none.onnx")  # no names: no entry, None back
    assert not onnx.load(str(tmp_path / "none.onnx")).metadata_props
    assert striate.onnx.load(tmp_path / "none.onnx").class_names is None


@pytest.mark.parametrize("value,message", [
    ('["a", "b"]', r"metadata striate.class_names lists 2 names but the model outputs 3 values"),
    ('["a", 2, "c"]', r"metadata striate.class_names must be a list of non-empty strings"),
    ('{"a": 1}', r"metadata striate.class_names must be a list of non-empty strings"),
    ("[a", r"metadata striate.class_names is not JSON"),
])
def test_class_names_that_do_not_fit_are_refused(tmp_path, value, message):
    proto = striate.onnx.export(small_classifier())
    onnx.helper.set_model_props(proto, {"striate.class_names": value})
    path = tmp_path / "m.onnx"
    path.write_bytes(proto.SerializeToString())
    with pytest.raises(striate.FormatError, match=rf"{path}: {message}"):
        striate.onnx.load(path)


def test_predict_names_the_classes_of_an_exported_model(tmp_path, capsys):
    from striate.cli.main import main

    model = striate.Sequential([L.Conv2D(2, 3), L.Flatten(), L.Dense(2)], input_shape=(28, 28, 1), seed=0)
    model.class_names = ["cat", "dog"]
    model.save(tmp_path / "m.striate")
    assert main(["export", str(tmp_path / "m.striate"), str(tmp_path / "m.onnx")]) == 0
    from PIL import Image

    Image.fromarray(np.zeros((28, 28), np.uint8)).save(tmp_path / "x.png")
    capsys.readouterr()
    assert main(["predict", str(tmp_path / "m.onnx"), str(tmp_path / "x.png"), "--top", "2"]) == 0
    out = capsys.readouterr().out
    assert out.split(": ", 1)[1].startswith(("cat (", "dog (")) and "cat" in out and "dog" in out
