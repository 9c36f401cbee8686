"""Hostile ONNX files: each a FormatError naming the file and the tensor, with nothing
large allocated — weights are checked before they become arrays, shapes before weights are drawn."""

import numpy as np
import pytest

import striate
from striate import FormatError

from ..memory import raises_cheaply

onnx = pytest.importorskip("onnx", reason="ONNX import needs onnx (pip install -e '.[onnx]' in the clone)")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

from .test_import import graph_file  # noqa: E402


def refused(path, match):
    message = raises_cheaply(FormatError, lambda: striate.onnx.load(path), match)
    assert str(path) in message
    return message


def matmul_file(path, w: onnx.TensorProto, input_dims=("N", 2)):
    graph = helper.make_graph([helper.make_node("MatMul", ["x", "w"], ["y"])], "g",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, list(input_dims))],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 2])], [w])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)
    path.write_bytes(model.SerializeToString())
    return path


def test_a_weight_with_more_bytes_than_its_dims(tmp_path):
    w = numpy_helper.from_array(np.zeros((2, 2), np.float32), "w")
    w.raw_data = bytes(20)
    refused(matmul_file(tmp_path / "m.onnx", w),
            r"initializer 'w'|tensor 'w'.*dims \[2, 2\] of float32 need 16 bytes, raw_data holds 20")


def test_a_typed_field_with_fewer_values_than_its_dims(tmp_path):
    w = helper.make_tensor("w", TensorProto.FLOAT, [2, 2], [1.0, 2.0, 3.0, 4.0])
    del w.float_data[-1]
    refused(matmul_file(tmp_path / "m.onnx", w), r"tensor name: w\) float_data size \(3\) is too small")  # onnx's checker


def test_an_unknown_data_type(tmp_path):
    w = numpy_helper.from_array(np.zeros((2, 2), np.float32), "w")
    w.data_type = 40
    refused(matmul_file(tmp_path / "m.onnx", w), r"tensor 'w': data_type 40 is not one striate reads")


@pytest.mark.parametrize("bad,message", [(np.nan, "holds NaN or inf"), (np.inf, "holds NaN or inf"),
                                         (3e38, r"holds 3e\+38, beyond ±1e\+10")])
def test_non_finite_or_absurd_weights(tmp_path, bad, message):
    w = np.ones((2, 2), np.float32)
    w[1, 0] = bad
    refused(matmul_file(tmp_path / "m.onnx", numpy_helper.from_array(w, "w")), rf"tensor 'w': {message}")


def test_a_huge_input_is_refused_before_any_weight_is_drawn(tmp_path, rng):
    """A 250 KB file whose input is 900×900: Dense(80) would draw 810,000×80 weights (518 MB of float64)."""
    nodes = [helper.make_node("Conv", ["x", "c"], ["h"]), helper.make_node("Flatten", ["h"], ["f"]),
             helper.make_node("Gemm", ["f", "w"], ["y"])]
    path = graph_file(tmp_path / "g.onnx", nodes, {"c": np.ones((1, 1, 1, 1)), "w": rng.standard_normal((784, 80))},
                      input_dims=("N", 1, 900, 900), output_rank=2)
    assert path.stat().st_size < 260_000
    refused(path, r"node 2 \(Gemm ''\): the weight \(784, 80\) needs 784 input features, the graph gives 810,000")


def test_an_activation_past_the_limit(tmp_path):
    nodes = [helper.make_node("Conv", ["x", "c"], ["y"], pads=[2**40, 2**40, 2**40, 2**40])]
    path = graph_file(tmp_path / "g.onnx", nodes, {"c": np.ones((1, 1, 1, 1))}, input_dims=("N", 1, 3, 3))
    refused(path, r"graph: layers\[0\] \(Conv2D\): output shape .* over the limit of 134,217,728")


def external(path, location, offset=None, length=None, shape=(2, 2)):
    w = numpy_helper.from_array(np.zeros(shape, np.float32), "w")
    w.ClearField("raw_data")
    w.data_location = TensorProto.EXTERNAL
    w.external_data.add(key="location", value=location)
    for key, value in (("offset", offset), ("length", length)):
        if value is not None:
            w.external_data.add(key=key, value=str(value))
    return matmul_file(path, w)


def test_external_data_through_a_linked_folder_is_refused(tmp_path):
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "w.bin").write_bytes(bytes(16))
    folder = tmp_path / "models"
    folder.mkdir()
    (folder / "sub").symlink_to(tmp_path / "outside", target_is_directory=True)
    refused(external(folder / "m.onnx", "sub/w.bin"), r"keeps its data in 'sub/w.bin', which is not a regular file "
                                                       r"in the model's folder")


@pytest.mark.parametrize("offset,length,message", [
    (8, None, r"needs bytes 8 to 24 of w.bin, which holds 16"),
    (None, 64, r"external_data length 64 but dims \[2, 2\] need 16 bytes"),
    ("-1", None, r"external_data offset must be a non-negative integer, got '-1'"),
])
def test_external_data_past_its_file(tmp_path, offset, length, message):
    (tmp_path / "w.bin").write_bytes(np.arange(4, dtype=np.float32).tobytes())
    refused(external(tmp_path / "m.onnx", "w.bin", offset, length), message)


def test_external_data_inside_the_folder_is_read(tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "w.bin").write_bytes(bytes(4) + np.arange(4, dtype=np.float32).tobytes())
    model = striate.onnx.load(external(tmp_path / "m.onnx", "data/w.bin", offset=4, length=16))
    np.testing.assert_array_equal(model.layers[0].params["kernel"], [[0, 1], [2, 3]])


# ---- malformed files kept in crashes/: each one is refused with a FormatError --------------------
def test_an_external_location_that_is_not_utf8(tmp_path):
    """protobuf returns bytes for a string field holding invalid UTF-8: Path(bytes) was a TypeError."""
    from pathlib import Path

    path = tmp_path / "m.onnx"
    path.write_bytes((Path(__file__).parent / "crashes" / "external-location-not-utf8.onnx").read_bytes())
    refused(path, r"external_data entries must be text")


def test_a_stride_of_2_62_is_refused_on_load():
    """Output size 1, so the activation check passed; predict then overflowed NumPy's strides."""
    from pathlib import Path

    path = Path(__file__).parent / "crashes" / "conv-stride-2-62.onnx"
    refused(path, r"graph: layers\[0\] \(Conv2D\): stride holds 4,611,686,018,427,387,904, past ±2,147,483,648")
