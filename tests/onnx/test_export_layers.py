"""ONNX export layer by layer: each layer type alone (or behind the layer that sets its layout),
in the settings that change its ONNX form, run by onnxruntime to striate's outputs."""

import numpy as np
import pytest

import striate
from striate import layers as L

onnx = pytest.importorskip("onnx", reason="ONNX export needs onnx (pip install -e '.[onnx]' in the clone)")
ort = pytest.importorskip("onnxruntime", reason="the export tests run the graph in onnxruntime")

CASES = {  # name: (layers, input_shape)
    "conv_reflect": ([L.Conv2D(3, 3, padding=2, padding_mode="reflect")], (6, 7, 2)),
    "conv_replicate": ([L.Conv2D(3, (2, 3), padding=((0, 2), (1, 1)), padding_mode="replicate")], (6, 7, 2)),
    "conv_circular": ([L.Conv2D(4, (3, 2), stride=2, padding=((2, 1), (0, 1)), padding_mode="circular", groups=2)],
                      (6, 7, 2)),
    "conv_circular_same": ([L.Conv2D(2, 3, padding="same", padding_mode="circular")], (5, 4, 1)),
    "conv1d_same_replicate": ([L.Conv1D(4, 3, padding="same", padding_mode="replicate")], (9, 2)),
    "conv1d_strided": ([L.Conv1D(4, 4, stride=2, dilation=2, padding=(3, 0), groups=2)], (13, 4)),
    "conv1d_circular": ([L.Conv1D(3, 3, padding=2, padding_mode="circular", bias=False)], (5, 2)),
    "conv_transpose": ([L.Conv2DTranspose(3, 3, stride=2, padding=1, output_padding=1)], (4, 5, 2)),
    "conv_transpose_grouped": ([L.Conv2DTranspose(4, (3, 2), stride=(2, 3), padding=((0, 2), (1, 1)),
                                                  output_padding=(1, 0), dilation=(1, 2), groups=2)], (4, 3, 2)),
    "conv_transpose_same": ([L.Conv2DTranspose(2, 4, stride=2, padding="same", bias=False)], (3, 3, 3)),
    "sum_pool": ([L.SumPool2D(3, stride=2, padding=1)], (7, 7, 2)),
    "lp_pool_2": ([L.LPPool2D(2, 2)], (6, 4, 3)),
    "lp_pool_4_padded": ([L.LPPool2D(4, 3, stride=1, padding=1)], (5, 5, 2)),
    "lp_pool_fractional": ([L.ReLU(), L.LPPool2D(1.5, (2, 3), stride=(1, 2))], (5, 7, 2)),
    "lp_pool_odd": ([L.ReLU(), L.LPPool2D(3, 2)], (4, 4, 2)),
    "weighted_pool_gaussian": ([L.WeightedAvgPool2D(3, stride=2, padding=1)], (7, 6, 3)),
    "weighted_pool_given": ([L.WeightedAvgPool2D((2, 3), stride=1, weights=[[1, 2, 3], [4, 5, 6]])], (4, 5, 2)),
    "global_avg": ([L.GlobalAvgPool2D()], (5, 6, 3)),
    "global_max_keepdims": ([L.GlobalMaxPool2D(keepdims=True)], (5, 6, 3)),
    "adaptive_avg_divisible": ([L.AdaptiveAvgPool2D((2, 3))], (6, 6, 2)),
    "adaptive_avg_bins": ([L.AdaptiveAvgPool2D((4, 3))], (7, 5, 2)),
    "adaptive_max_bins": ([L.AdaptiveMaxPool2D((3, 3))], (7, 6, 2)),
    "adaptive_max_one": ([L.AdaptiveMaxPool2D(1)], (5, 5, 2)),
    "channel_max_image": ([L.Conv2D(6, 1), L.ChannelMaxPool(2)], (3, 4, 2)),
    "channel_max_vector": ([L.ChannelMaxPool(3)], (6,)),
    "channel_max_signal": ([L.Conv1D(4, 1), L.ChannelMaxPool(2)], (5, 3)),
    "upsample_nearest": ([L.UpSampling2D((3, 2))], (4, 5, 2)),
    "upsample_bilinear": ([L.UpSampling2D(2, interpolation="bilinear")], (4, 5, 2)),
    "upsample_bilinear_uneven": ([L.UpSampling2D((2, 3), interpolation="bilinear")], (3, 4, 1)),
    "reshape_image_to_signal": ([L.Conv2D(2, 1), L.Reshape((6, 5))], (5, 3, 2)),
    "reshape_with_minus_one": ([L.Reshape((2, -1, 3))], (4, 3, 2)),
    "reshape_vector_to_image": ([L.Reshape((3, 2, 5))], (30,)),
    "batch_norm_2d": ([L.BatchNorm2D(eps=1e-3)], (4, 4, 3)),
    "batch_norm_2d_not_affine": ([L.Conv2D(3, 1), L.BatchNorm2D(affine=False)], (4, 4, 3)),
    "batch_norm_1d_vector": ([L.BatchNorm1D()], (5,)),
    "batch_norm_1d_signal": ([L.Conv1D(3, 2), L.BatchNorm1D()], (6, 3)),
    "leaky_relu": ([L.LeakyReLU(0.2)], (4, 3)),
    "elu": ([L.ELU(1.5)], (4, 3)),
    "gelu": ([L.GELU()], (4, 3)),
    "gelu_tanh": ([L.GELU("tanh")], (4, 3)),
    "dropout": ([L.Dropout(0.5), L.Dense(2)], (4,)),
    "softmax_over_length": ([L.Conv1D(3, 2), L.Softmax(axis=1)], (6, 2)),
}


def build(name):
    layers, shape = CASES[name]
    model = striate.Sequential([type(l)(**l.get_config()) for l in layers], input_shape=shape, seed=0)
    rng = np.random.default_rng(1)
    for layer in model.layers:  # statistics and weights away from their starting values
        for key, value in {**layer.params, **layer.state}.items():
            if key == "running_var":
                value[...] = rng.uniform(0.5, 2.0, value.shape)
            elif key != "kernel":
                value[...] = rng.standard_normal(value.shape)
    return model


def run_onnx(proto, x):
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    session = ort.InferenceSession(proto.SerializeToString(), options, providers=["CPUExecutionProvider"])
    return session.run(None, {"input": x})[0]


@pytest.mark.parametrize("opset", [17, 20])
@pytest.mark.parametrize("name", sorted(CASES))
def test_each_layer_runs_in_onnxruntime(name, opset, rng):
    model = build(name)
    proto = striate.onnx.export(model, opset=opset)
    onnx.checker.check_model(proto, full_check=True)
    x = rng.standard_normal((3, *model.input_shape)).astype(np.float32)
    expected = model.predict(x)
    got = run_onnx(proto, x)
    assert got.shape == expected.shape
    assert np.max(np.abs(got - expected)) <= 1e-4


@pytest.mark.parametrize("opset,ops", [(17, {"Erf", "Slice", "Concat"}), (19, {"Erf", "Pad"}), (20, {"Gelu", "Pad"})])
def test_newer_opsets_write_gelu_and_wrap_padding_as_one_node(opset, ops):
    model = striate.Sequential([L.Conv2D(2, 3, padding=1, padding_mode="circular"), L.GELU()], input_shape=(4, 4, 1))
    proto = striate.onnx.export(model, opset=opset)
    kinds = {n.op_type for n in proto.graph.node}
    assert ops <= kinds
    pads = [n for n in proto.graph.node if n.op_type == "Pad"]
    assert all(onnx.helper.get_attribute_value(a) == b"wrap" for n in pads for a in n.attribute if a.name == "mode")


def test_dropout_and_batch_norm_become_inference_ops(tmp_path):
    proto = striate.onnx.export(build("dropout"))
    assert [n.op_type for n in proto.graph.node] == ["Gemm", "Identity"]
    proto = striate.onnx.export(build("batch_norm_2d"))
    assert [n.op_type for n in proto.graph.node] == ["Transpose", "BatchNormalization", "Transpose", "Identity"]


def test_channel_max_pool_groups_consecutive_channels(rng):
    """Channel g of the output is the max of input channels 2g and 2g + 1, not of g and g + groups."""
    model = striate.Sequential([L.ChannelMaxPool(2)], input_shape=(1, 1, 4))
    x = np.array([[[[5.0, 1.0, 0.0, 7.0]]]], np.float32)
    got = run_onnx(striate.onnx.export(model), x)
    np.testing.assert_array_equal(got, [[[[5.0, 7.0]]]])


def test_a_variable_size_model_with_a_global_pool_keeps_its_sizes_open(rng):
    model = striate.Sequential([L.Conv2D(3, 3, padding="same", padding_mode="reflect"), L.BatchNorm2D(),
                                L.GlobalAvgPool2D(), L.Dense(2)], input_shape=(None, None, 2), seed=0)
    proto = striate.onnx.export(model)
    for size in [(5, 7), (8, 4)]:
        x = rng.standard_normal((2, *size, 2)).astype(np.float32)
        assert np.max(np.abs(run_onnx(proto, x) - model.predict(x))) <= 1e-5


def test_an_adaptive_pool_of_open_size_is_refused_clearly():
    model = striate.Sequential([L.AdaptiveAvgPool2D(2)], input_shape=(None, None, 3))
    with pytest.raises(ValueError, match=r"AdaptiveAvgPool2D #1 \(AdaptiveAvgPool2D\) exports only for a fixed "
                                         r"input size, got None×None"):
        striate.onnx.export(model)


def test_every_layer_type_is_exported_on_its_own():
    """All but the first layers striate had, which test_export.py's models cover."""
    used = {type(l).__name__ for layers, _ in CASES.values() for l in layers}
    assert set(striate.registry.LAYERS) - used == {"MaxPool2D", "AvgPool2D", "Flatten", "Sigmoid", "Tanh"}
