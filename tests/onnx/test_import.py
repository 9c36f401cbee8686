"""ONNX import: striate's own exports come back exactly, PyTorch's LeNet runs in striate."""

import importlib.util
import warnings

import numpy as np
import pytest

import striate
from striate import FormatError
from striate import layers as L

from .models import IMPORTED, NOT_IMPORTED, ONNX_MODELS

onnx = pytest.importorskip("onnx", reason="ONNX import needs onnx (pip install -e '.[onnx]' in the clone)")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402


@pytest.mark.parametrize("name", IMPORTED)
def test_export_then_import_computes_the_same(name, tmp_path, rng):
    model = ONNX_MODELS[name]()
    striate.onnx.export(model, tmp_path / "m.onnx")
    back = striate.onnx.load(tmp_path / "m.onnx")
    assert [type(l) for l in back.layers] == [type(l) for l in model.layers if not isinstance(l, L.Dropout)]
    assert back.input_shape == model.input_shape
    x = rng.standard_normal((3, *model.input_shape)).astype(np.float32)
    np.testing.assert_allclose(back.predict(x), model.predict(x), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("name", sorted(NOT_IMPORTED))
def test_graphs_striate_does_not_import_say_why(name, tmp_path):
    striate.onnx.export(ONNX_MODELS[name](), tmp_path / "m.onnx")
    with pytest.raises(FormatError, match=NOT_IMPORTED[name]):
        striate.onnx.load(tmp_path / "m.onnx")


def test_imported_batch_norm_keeps_its_statistics_and_settings(tmp_path):
    model = ONNX_MODELS["batch_norm_chain"]()
    striate.onnx.export(model, tmp_path / "m.onnx")
    back = striate.onnx.load(tmp_path / "m.onnx")
    assert [repr(l) for l in back.layers] == [
        "Conv2D(4, 3, padding=1)", "BatchNorm2D()", "LeakyReLU(negative_slope=0.2)",
        "Conv2DTranspose(4, 3, stride=2, padding=1, output_padding=1, groups=2)", "ELU(alpha=0.5)",
        "GlobalAvgPool2D()", "BatchNorm1D(momentum=0.2, eps=0.001)", "Dense(3)"]
    for mine, theirs in [(model.layers[1], back.layers[1]), (model.layers[7], back.layers[6])]:
        for key in ("running_mean", "running_var"):
            assert np.any(mine.state[key] != (key == "running_var"))  # trained: not the starting 0 and 1
            np.testing.assert_array_equal(theirs.state[key], mine.state[key])


def test_imported_lenet_reads_like_the_original(tmp_path):
    model = striate.models.lenet5(seed=0)
    striate.onnx.export(model, tmp_path / "m.onnx")
    assert [repr(l) for l in striate.onnx.load(tmp_path / "m.onnx").layers] == [
        "Conv2D(6, 5, padding=2)", "ReLU()", "MaxPool2D(2)", "Conv2D(16, 5)", "ReLU()", "MaxPool2D(2)",
        "Flatten()", "Dense(120)", "ReLU()", "Dense(84)", "ReLU()", "Dense(10)"]


# ---- from PyTorch ------------------------------------------------------------------
def torch_nets():
    torch = pytest.importorskip("torch")
    nn = torch.nn
    torch.manual_seed(0)
    lenet = nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))
    varied = nn.Sequential(
        nn.Conv2d(3, 8, 3, stride=2, padding=1), nn.Tanh(),
        nn.Conv2d(8, 8, 3, padding="same", dilation=2, groups=4, bias=False), nn.Sigmoid(),
        nn.AvgPool2d(2, padding=1), nn.MaxPool2d(3, stride=1, padding=1),
        nn.Flatten(), nn.Linear(8 * 3 * 3, 7, bias=False), nn.Softmax(dim=1))
    normalised = nn.Sequential(
        nn.Conv2d(3, 6, 3, padding=1), nn.BatchNorm2d(6), nn.LeakyReLU(0.1),
        nn.ConvTranspose2d(6, 4, 3, stride=2, padding=1, output_padding=1, groups=2), nn.ELU(0.8),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 5), nn.BatchNorm1d(5), nn.Dropout(0.5), nn.Linear(5, 3))
    with torch.no_grad():  # a few training passes: running statistics away from 0 and 1
        for _ in range(3):
            normalised(torch.randn(8, 3, 6, 6) * 2 + 1)
    return torch, {"lenet": (lenet.eval(), (1, 28, 28)), "varied": (varied.eval(), (3, 8, 8)),
                   "normalised": (normalised.eval(), (3, 6, 6))}


EXPORTERS = [pytest.param(False, id="torchscript"),
             pytest.param(True, id="dynamo", marks=pytest.mark.skipif(
                 importlib.util.find_spec("onnxscript") is None, reason="the dynamo exporter needs onnxscript"))]


@pytest.mark.parametrize("dynamo", EXPORTERS)
@pytest.mark.parametrize("net", ["lenet", "varied", "normalised"])
def test_a_pytorch_model_runs_in_striate(tmp_path, net, dynamo):
    torch, nets = torch_nets()
    module, shape = nets[net]
    x = torch.randn(4, *shape)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the TorchScript exporter is deprecated; both must work
        torch.onnx.export(module, (x,), str(tmp_path / f"{net}.onnx"), dynamo=dynamo)
    model = striate.onnx.load(tmp_path / f"{net}.onnx")
    with torch.no_grad():
        expected = module(x).numpy()
    got = model.predict(x.numpy().transpose(0, 2, 3, 1))  # striate takes NHWC
    assert np.max(np.abs(got - expected)) <= 1e-4


# ---- hand-made graphs ----------------------------------------------------------------
def graph_file(path, nodes, weights, input_dims=("N", 2, 3, 3), output_rank=4, opset=17):
    """Write a graph made of `nodes` with float initializers `weights` (name → array)."""
    inits = [numpy_helper.from_array(np.asarray(v, dtype=np.float32 if np.asarray(v).dtype.kind == "f" else None), k)
             for k, v in weights.items()]
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, list(input_dims))],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [f"d{i}" for i in range(output_rank)])],
                              inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], ir_version=8)
    path.write_bytes(model.SerializeToString())
    return path


def test_matmul_add_reshape_and_constant_nodes(tmp_path, rng):
    w, b = rng.standard_normal((18, 4)), rng.standard_normal(4)
    nodes = [
        helper.make_node("Constant", [], ["shape"], value=numpy_helper.from_array(np.array([-1, 18], np.int64))),
        helper.make_node("Reshape", ["x", "shape"], ["flat"]),
        helper.make_node("MatMul", ["flat", "w"], ["xw"]),
        helper.make_node("Add", ["xw", "b"], ["z"]),
        helper.make_node("Dropout", ["z"], ["d"]),
        helper.make_node("Identity", ["d"], ["y"]),
    ]
    model = striate.onnx.load(graph_file(tmp_path / "g.onnx", nodes, {"w": w, "b": b}, output_rank=2))
    assert [repr(l) for l in model.layers] == ["Flatten()", "Dense(4)"]
    x = rng.standard_normal((2, 2, 3, 3)).astype(np.float32)  # NCHW, as the graph sees it
    expected = x.reshape(2, 18) @ w + b
    np.testing.assert_allclose(model.predict(x.transpose(0, 2, 3, 1)), expected, rtol=1e-5, atol=1e-5)


def test_same_upper_and_lower_padding(tmp_path, rng):
    w = rng.standard_normal((2, 2, 2, 2))
    for auto in ("SAME_UPPER", "SAME_LOWER"):
        nodes = [helper.make_node("Conv", ["x", "w"], ["y"], auto_pad=auto, strides=[2, 2])]
        model = striate.onnx.load(graph_file(tmp_path / "g.onnx", nodes, {"w": w}))
        pad = ((0, 1), (0, 1)) if auto == "SAME_UPPER" else ((1, 0), (1, 0))  # 3 → 2 with a 2×2 kernel
        assert model.layers[0].padding == pad


@pytest.mark.parametrize("nodes,weights,message", [
    ([helper.make_node("LpPool", ["x"], ["y"], kernel_shape=[2, 2])], {},
     r"node 0 \(LpPool ''\): op LpPool is not supported; striate imports AveragePool"),
    ([helper.make_node("BatchNormalization", ["x", "s", "b", "m", "v"], ["y", "rm", "rv"], training_mode=1)],
     {"s": np.ones(2), "b": np.zeros(2), "m": np.zeros(2), "v": np.ones(2)},
     r"BatchNormalization in training mode \(batch statistics\) is not supported"),
    ([helper.make_node("ConvTranspose", ["x", "w"], ["y"], output_shape=[6, 6])], {"w": np.ones((2, 1, 2, 2))},
     r"output_shape is not supported"),
    ([helper.make_node("LeakyRelu", ["x"], ["y"], alpha=1.5)], {}, r"LeakyReLU: negative_slope must be a number in"),
    ([helper.make_node("ReduceMean", ["x"], ["y"], axes=[1, 2])], {}, r"ReduceMean is imported only over the spatial axes"),
    ([helper.make_node("Relu", ["x"], ["r"]), helper.make_node("Add", ["x", "r"], ["y"])], {},
     r"node 1 \(Add ''\): op Add is not supported"),
    ([helper.make_node("Relu", ["x"], ["r"]), helper.make_node("Sigmoid", ["x"], ["y"])], {},
     r"not a single chain: this node does not take 'r'"),
    ([helper.make_node("Conv", ["x", "x"], ["y"])], {}, r"input 'x' must be a weight"),
    ([helper.make_node("AveragePool", ["x"], ["y"], kernel_shape=[2, 2], pads=[1, 1, 1, 1])], {},
     r"padded AveragePool must have count_include_pad=1"),
    ([helper.make_node("MaxPool", ["x"], ["y"], kernel_shape=[2, 2], ceil_mode=1)], {}, r"ceil_mode=1"),
    ([helper.make_node("Transpose", ["x"], ["y"], perm=[0, 1, 3, 2])], {}, r"only Transposes between NHWC and NCHW"),
    ([helper.make_node("Flatten", ["x"], ["y"])], {}, r"flattened NCHW tensor"),
    ([helper.make_node("Gemm", ["x", "w"], ["y"])], {"w": np.ones((2, 2))}, r"needs a flattened"),
    ([helper.make_node("MaxPool", ["x"], ["y"], kernel_shape=[2, 2], pads=[2, 2, 2, 2])], {},
     r"padding must be at most half the kernel size"),
])
def test_unsupported_graphs_are_format_errors(tmp_path, nodes, weights, message):
    path = graph_file(tmp_path / "g.onnx", nodes, weights)
    with pytest.raises(FormatError, match=message) as info:
        striate.onnx.load(path)
    assert str(path) in str(info.value)


def test_not_an_onnx_file(tmp_path):
    (tmp_path / "junk.onnx").write_bytes(b"\x08\x07garbage" * 10)
    with pytest.raises(FormatError, match=r"junk.onnx: not a valid ONNX model"):
        striate.onnx.load(tmp_path / "junk.onnx")


@pytest.mark.parametrize("location", ["../secret.bin", "/etc/hostname", "missing.bin", "link.bin"])
def test_external_data_outside_the_folder_is_refused(tmp_path, location):
    folder = tmp_path / "models"
    folder.mkdir()
    (tmp_path / "secret.bin").write_bytes(b"\0" * 16)
    (folder / "link.bin").symlink_to(tmp_path / "secret.bin")
    w = numpy_helper.from_array(np.zeros((2, 2), np.float32), "w")
    w.ClearField("raw_data")
    w.data_location = TensorProto.EXTERNAL
    w.external_data.add(key="location", value=location)
    graph = helper.make_graph([helper.make_node("MatMul", ["x", "w"], ["y"])], "g",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 2])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 2])], [w])
    path = folder / "m.onnx"
    path.write_bytes(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8).SerializeToString())
    with pytest.raises(FormatError, match=r"which is not a regular file in the model's folder"):
        striate.onnx.load(path)


def test_input_shape_fills_open_sizes(tmp_path, rng):
    w = rng.standard_normal((3, 2, 1, 1))
    path = graph_file(tmp_path / "g.onnx", [helper.make_node("Conv", ["x", "w"], ["y"])], {"w": w},
                      input_dims=("N", 2, "H", "W"))
    model = striate.onnx.load(path, input_shape=(4, 5, 2))
    assert model.output_shape == (4, 5, 3)
    assert isinstance(model.layers[0], L.Conv2D)
