"""Damaged and forged files: every one raises striate.FormatError naming the file — never
another exception, never a hang, never an allocation larger than the file."""

import json
import struct
import tracemalloc

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import striate
from striate import FormatError
from striate import layers as L
from striate.io import document, model_file


def small_model():
    return striate.Sequential([L.Conv2D(2, 3), L.ReLU(), L.MaxPool2D(2), L.Flatten(), L.Dense(3)],
                              input_shape=(6, 6, 1), seed=0)


@pytest.fixture
def parts():
    """(architecture, tensors) of a valid model file, to be spoiled one way at a time."""
    model = small_model()
    return model_file.describe(model), dict(model_file.weights(model))


def forge(path, arch, tensors, **doc):
    """A file with a valid checksum around whatever architecture and tensors it is given."""
    document.write(path, "model", {"model": arch, **doc}, tensors)
    return path


def raw_file(path, header, data=b""):
    """A safetensors file from a header object (or raw header bytes) and data bytes."""
    text = header if isinstance(header, bytes) else json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(text)) + text + data)
    return path


def load_fails(path, match):
    with pytest.raises(FormatError, match=match) as info:
        striate.load(path)
    assert str(path) in str(info.value)


# ---- the architecture ---------------------------------------------------------
def test_unknown_layer_type(tmp_path, parts):
    arch, tensors = parts
    arch["layers"][1] = {"type": "os.system", "config": {}}
    load_fails(forge(tmp_path / "m", arch, tensors), r"model layers\[1\]: unknown layer type 'os.system'; known types: Conv2D")


@pytest.mark.parametrize("config,message", [
    ({"filters": 2, "kernel_size": 3, "colour": "red"}, r"unexpected keyword argument 'colour'"),
    ({"filters": -2, "kernel_size": 3}, r"Conv2D: filters must be a positive int, got -2"),
    ({"filters": "2", "kernel_size": 3}, r"filters must be a positive int, got '2'"),
    ({"kernel_size": 3}, r"missing 1 required positional argument: 'filters'"),
    ([2, 3], r"config must be an object"),
])
def test_wrong_constructor_arguments(tmp_path, parts, config, message):
    arch, tensors = parts
    arch["layers"][0]["config"] = config
    load_fails(forge(tmp_path / "m", arch, tensors), r"layers\[0\]: .*" + message)


def test_an_architecture_that_does_not_build(tmp_path, parts):
    arch, tensors = parts
    arch["input_shape"] = [2, 2, 1]
    load_fails(forge(tmp_path / "m", arch, tensors), r"does not build: Conv2D #1: kernel height 3")


@pytest.mark.parametrize("axis,message", [
    (5, r"does not build: Softmax #6: axis must lie in 1..1 or -1..-1 for inputs \(N, 3\) \(axis 0 is the batch\), "
        r"got 5"),
    (0, r"Softmax #6: axis must lie in 1..1 or -1..-1 .*, got 0"),
    ("a", r"layers\[5\]: .*Softmax: axis must be an int, got 'a'"),
    (True, r"Softmax: axis must be an int, got True"),
])
def test_a_softmax_over_an_axis_the_output_lacks(tmp_path, parts, axis, message):
    arch, tensors = parts
    arch["layers"].append({"type": "Softmax", "config": {"axis": axis}})
    load_fails(forge(tmp_path / "m", arch, tensors), message)


@pytest.mark.parametrize("field,value,message", [
    ("input_shape", [6, -6, 1], r"input_shape must list 1 to 3 sizes"),
    ("input_shape", "6x6", r"input_shape must list"),
    ("dtype", "object", r"dtype must be one of float32, float64, got 'object'"),
    ("seed", 1.5, r"seed must be a non-negative int"),
    ("layers", [], r"layers must be a non-empty list"),
])
def test_bad_model_fields(tmp_path, parts, field, value, message):
    arch, tensors = parts
    arch[field] = value
    load_fails(forge(tmp_path / "m", arch, tensors), message)


def test_a_forged_giant_layer_allocates_nothing(tmp_path, parts):
    arch, tensors = parts
    arch["layers"][4]["config"]["units"] = 10**12  # 4 TB of float32 if built naively
    path = forge(tmp_path / "m", arch, tensors)
    tracemalloc.start()
    try:
        load_fails(path, r"tensor .layers.4.kernel. has shape \(8, 3\), expected \(8, 1000000000000\)")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 10 * 2**20


# ---- the tensors --------------------------------------------------------------
def test_missing_tensor(tmp_path, parts):
    arch, tensors = parts
    del tensors["layers.4.bias"]
    load_fails(forge(tmp_path / "m", arch, tensors), r"missing tensor 'layers.4.bias' \(shape \(3,\)\)")


@pytest.mark.parametrize("name", ["layers.4.extra", "layers.9.kernel", "payload"])
def test_extra_tensor(tmp_path, parts, name):
    arch, tensors = parts
    tensors[name] = np.zeros(3, np.float32)
    load_fails(forge(tmp_path / "m", arch, tensors), rf"unexpected tensor '{name}'")


def test_wrong_shape(tmp_path, parts):
    arch, tensors = parts
    tensors["layers.4.kernel"] = tensors["layers.4.kernel"].T.copy()
    load_fails(forge(tmp_path / "m", arch, tensors), r"tensor 'layers.4.kernel' has shape \(3, 8\), expected \(8, 3\)")


def test_wrong_dtype(tmp_path, parts):
    arch, tensors = parts
    tensors["layers.0.kernel"] = tensors["layers.0.kernel"].astype(np.float64)
    load_fails(forge(tmp_path / "m", arch, tensors), r"tensor 'layers.0.kernel' has dtype float64, expected float32")


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_weights_are_refused(tmp_path, parts, bad):
    arch, tensors = parts
    tensors["layers.0.kernel"][0, 0, 0, 1] = bad
    load_fails(forge(tmp_path / "m", arch, tensors), r"tensor 'layers.0.kernel' holds NaN or inf values")


# ---- layer state: checked as strictly as the parameters ----------------------------
def state_model():
    return striate.Sequential([L.Conv2D(2, 3), L.BatchNorm2D(), L.ReLU(), L.WeightedAvgPool2D(2),
                               L.Flatten(), L.Dense(3), L.BatchNorm1D(affine=False)], input_shape=(6, 6, 1), seed=0)


@pytest.fixture
def state_parts():
    model = state_model()
    model.layers[1].state["running_mean"][:] = [0.5, -0.25]
    return model_file.describe(model), dict(model_file.weights(model))


def test_state_is_saved_beside_the_parameters(state_parts):
    _, tensors = state_parts
    assert {"layers.1.gamma", "layers.1.running_mean", "layers.1.running_var", "layers.3.weight",
            "layers.6.running_mean", "layers.6.running_var"} <= set(tensors)
    assert "layers.6.gamma" not in tensors  # affine=False: state only
    np.testing.assert_array_equal(tensors["layers.1.running_mean"], [0.5, -0.25])


@pytest.mark.parametrize("edit,message", [
    (lambda w: w.pop("layers.1.running_var"), r"missing tensor 'layers.1.running_var' \(shape \(2,\)\)"),
    (lambda w: w.pop("layers.3.weight"), r"missing tensor 'layers.3.weight' \(shape \(2, 2\)\)"),
    (lambda w: w.update({"layers.6.gamma": np.ones(3, np.float32)}), r"unexpected tensor 'layers.6.gamma'"),
    (lambda w: w.update({"layers.2.running_mean": np.ones(2, np.float32)}),
     r"unexpected tensor 'layers.2.running_mean'"),
    (lambda w: w.update({"layers.6.running_mean": np.zeros(4, np.float32)}),
     r"tensor 'layers.6.running_mean' has shape \(4,\), expected \(3,\)"),
    (lambda w: w.update({"layers.1.running_var": np.ones(2, np.float64)}),
     r"tensor 'layers.1.running_var' has dtype float64, expected float32"),
    (lambda w: w["layers.1.running_var"].__setitem__(1, np.inf), r"tensor 'layers.1.running_var' holds NaN or inf"),
    (lambda w: w["layers.3.weight"].__setitem__((0, 0), np.nan), r"tensor 'layers.3.weight' holds NaN or inf"),
])
def test_malformed_state(tmp_path, state_parts, edit, message):
    arch, tensors = state_parts
    edit(tensors)
    load_fails(forge(tmp_path / "m", arch, tensors), message)


def test_saving_refuses_non_finite_state(tmp_path):
    model = state_model()
    model.layers[6].state["running_var"][0] = np.nan
    with pytest.raises(ValueError, match=r"cannot save BatchNorm1D #7: its running_var holds NaN or inf"):
        model.save(tmp_path / "m.striate")


def test_a_forged_giant_state_allocates_nothing(tmp_path, state_parts):
    """BatchNorm's statistics and WeightedAvgPool2D's window come from the file, never built first."""
    arch, tensors = state_parts
    arch["input_shape"] = [2**31, 1, 2**31]  # a BatchNorm2D after it would hold 2**31 channels
    arch["layers"] = [{"type": "BatchNorm2D", "config": {"momentum": 0.1, "eps": 1e-5, "affine": False}},
                      {"type": "WeightedAvgPool2D", "config": {"kernel_size": [2**22, 1]}}]
    tracemalloc.start()
    try:
        load_fails(forge(tmp_path / "m", arch, tensors),
                   r"missing tensor 'layers.0.running_mean' \(shape \(2147483648,\)\)")
        arch["layers"] = arch["layers"][1:]
        load_fails(forge(tmp_path / "m", arch, tensors), r"missing tensor 'layers.0.weight' \(shape \(4194304, 1\)\)")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 10 * 2**20


# ---- the document -------------------------------------------------------------
def test_unsupported_format_version(tmp_path, parts, monkeypatch):
    arch, tensors = parts
    monkeypatch.setattr(document, "FORMAT_VERSION", 2)
    path = forge(tmp_path / "m", arch, tensors)
    monkeypatch.undo()
    load_fails(path, r"unsupported format version 2; this striate reads version 1")


def test_damaged_data_fails_the_checksum(tmp_path):
    path = tmp_path / "m"
    small_model().save(path)
    raw = bytearray(path.read_bytes())
    raw[-3] ^= 0x01
    path.write_bytes(bytes(raw))
    load_fails(path, r"checksum mismatch: the file is damaged or was altered")


def test_document_that_is_not_json(tmp_path):
    text = b'{"__metadata__":{"striate":"{not json","checksum":"sha256:00"}}'
    load_fails(raw_file(tmp_path / "m", text), r"the striate document is not valid JSON")


def test_safetensors_file_that_is_not_striate(tmp_path):
    path = raw_file(tmp_path / "m", {"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}, b"\0" * 4)
    load_fails(path, r"not a striate file: its metadata keys are \[\]")


def test_a_checkpoint_is_not_a_model_file(tmp_path):
    with pytest.raises(FormatError, match=r"a striate 'model' file, expected one of: checkpoint"):
        striate.io.checkpoint.read(forge(tmp_path / "m", *small_model_parts()))


def small_model_parts():
    model = small_model()
    return model_file.describe(model), model_file.weights(model)


# ---- the container ------------------------------------------------------------
@pytest.mark.parametrize("size", [0, 5, 8, 20, -40, -1])
def test_truncated_file(tmp_path, size):
    path = tmp_path / "m"
    small_model().save(path)
    raw = path.read_bytes()
    path.write_bytes(raw[:size])
    load_fails(path, r"truncated|header claims|not a JSON object|not valid JSON")


def test_header_larger_than_the_file(tmp_path):
    path = tmp_path / "m"
    small_model().save(path)
    raw = path.read_bytes()
    path.write_bytes(struct.pack("<Q", len(raw)) + raw[8:])
    load_fails(path, rf"the header claims {len(raw):,} bytes but only {len(raw) - 8:,} follow")
    path.write_bytes(struct.pack("<Q", 2**64 - 1) + raw[8:])
    load_fails(path, r"the header claims 18,446,744,073,709,551,615 bytes")


@pytest.mark.parametrize("header,data,message", [
    (b"[1, 2]", b"", r"not a JSON object"),
    (b'{"a": 1', b"", r"not a JSON object padded with spaces"),
    (b'{"a": {}, "a": {}}', b"", r"not valid JSON: duplicate key 'a'"),
    (b'{"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}\t', b"\0" * 4, r"padded with spaces"),
    (b'{"\xff": 1}', b"", r"not valid JSON"),
    (b"{" + b'"a":' * 100_000 + b"1" + b"}" * 100_000, b"", r"not valid JSON"),
    (b'{"__metadata__": {"k": 1}}', b"", r"__metadata__ must map strings to strings"),
    ({"w": {"dtype": "BF16", "shape": [1], "data_offsets": [0, 2]}}, b"\0" * 2, r"unsupported dtype 'BF16'"),
    ({"w": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}}, b"\0" * 4, r"shape must be a list of non-negative ints"),
    ({"w": {"dtype": "F32", "shape": [True], "data_offsets": [0, 4]}}, b"\0" * 4, r"shape must be a list of non-negative ints"),
    ({"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 4]}}, b"\0" * 4, r"needs 8 bytes, but data_offsets \[0, 4\] span 4"),
    ({"w": {"dtype": "F32", "shape": [1], "data_offsets": [4, 0]}}, b"\0" * 4, r"data_offsets must be \[begin, end\]"),
    ({"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4], "x": 1}}, b"\0" * 4, r"expected an object with dtype"),
    ({"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]},
      "v": {"dtype": "F32", "shape": [1], "data_offsets": [2, 6]}}, b"\0" * 8, r"overlaps the one before it"),
    ({"w": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}, b"\0" * 8, r"leaves a gap of 4 bytes"),
    ({"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}, b"\0" * 9, r"5 bytes after the last tensor"),
    ({"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 8]}}, b"\0" * 4, r"needs 4 bytes"),
    ({"w": {"dtype": "F32", "shape": [2**40, 2**40], "data_offsets": [0, 4]}}, b"\0" * 4, r"needs"),
    ({"w": {"dtype": "F32", "shape": [0, 2**62, 2**62], "data_offsets": [0, 0]}}, b"", r"is not possible"),
])
def test_malformed_headers(tmp_path, header, data, message):
    load_fails(raw_file(tmp_path / "m", header, data), message)


# ---- anything at all ------------------------------------------------------------
VALID = None


def valid_bytes():
    global VALID
    if VALID is None:
        import tempfile
        from pathlib import Path

        with tempfile.TemporaryDirectory() as d:
            small_model().save(Path(d) / "m")
            VALID = (Path(d) / "m").read_bytes()
    return VALID


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_random_damage_is_always_a_format_error(tmp_path, data):
    """Flip some bytes (anywhere, any bits) or cut the file short: load must raise FormatError."""
    raw = bytearray(valid_bytes())
    if data.draw(st.booleans(), label="truncate"):
        raw = raw[: data.draw(st.integers(0, len(raw) - 1), label="keep")]
    else:
        for i in data.draw(st.lists(st.integers(0, len(raw) - 1), min_size=1, max_size=4, unique=True), label="at"):
            raw[i] ^= data.draw(st.integers(1, 255), label="mask")  # a non-zero mask: the byte changes
    path = tmp_path / "damaged.striate"
    path.write_bytes(bytes(raw))
    with pytest.raises(FormatError):
        striate.load(path)
