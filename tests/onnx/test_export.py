"""ONNX export: a valid graph (onnx.checker, full check) that onnxruntime runs to striate's outputs."""

import sys

import numpy as np
import pytest

import striate
from striate import layers as L

from .models import ONNX_MODELS

onnx = pytest.importorskip("onnx", reason="ONNX export needs onnx (pip install 'striate[onnx]')")
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
