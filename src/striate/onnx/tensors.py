"""An ONNX file's weights, read with every check made before an array is: `checked_array`, `read_external`.

A TensorProto states a data type, dims, and its values — in raw_data, in a typed field
(float_data, int64_data, ...) or in a file beside the model (external data). onnx's own
numpy_helper trusts all three: a KeyError for an unknown data type, a ValueError without
the file's name when the bytes do not match the dims, whatever the external file holds.
Here the data type must be one striate knows, the dims non-negative with a product (a
Python int) within striate.limits.MAX_DATA_BYTES, the stored values exactly as many as
the dims say, and float values finite and within ±MAX_ABS_WEIGHT — then the array is made.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np

from .. import limits
from ..errors import FormatError

# ONNX TensorProto.DataType → NumPy dtype, and the typed field that holds it without raw_data
DTYPES = {1: (np.float32, "float_data"), 2: (np.uint8, "int32_data"), 3: (np.int8, "int32_data"),
          4: (np.uint16, "int32_data"), 5: (np.int16, "int32_data"), 6: (np.int32, "int32_data"),
          7: (np.int64, "int64_data"), 9: (np.bool_, "int32_data"), 10: (np.float16, "int32_data"),
          11: (np.float64, "double_data"), 12: (np.uint32, "uint64_data"), 13: (np.uint64, "uint64_data")}
EXTERNAL = 1  # TensorProto.EXTERNAL


def nbytes(tensor, where: str) -> tuple[np.dtype, tuple[int, ...], int]:
    """(dtype, dims, byte count) a tensor states, each checked; FormatError starting with `where`."""
    if tensor.data_type not in DTYPES:
        raise FormatError(f"{where}: data_type {tensor.data_type} is not one striate reads "
                          "(float, double, float16, and integer types)")
    dims = tuple(tensor.dims)
    if any(d < 0 for d in dims):
        raise FormatError(f"{where}: dims {list(dims)} must not be negative")
    dtype = np.dtype(DTYPES[tensor.data_type][0])
    size = math.prod(dims) * dtype.itemsize
    if size > limits.MAX_DATA_BYTES:
        raise FormatError(f"{where}: dims {list(dims)} need {size:,} bytes, over the limit of "
                          f"{limits.MAX_DATA_BYTES:,} (striate.limits.MAX_DATA_BYTES)")
    return dtype, dims, size


def checked_array(tensor, where: str, to_array) -> np.ndarray:
    """The tensor's values as an array, after checking what it states against what it holds."""
    dtype, dims, size = nbytes(tensor, where)
    if tensor.data_location == EXTERNAL:
        raise FormatError(f"{where}: its external data was not read")  # read_external comes first
    if tensor.HasField("segment"):
        raise FormatError(f"{where}: segmented tensors are not supported")
    count = math.prod(dims)
    if tensor.raw_data:
        if len(tensor.raw_data) != size:
            raise FormatError(f"{where}: dims {list(dims)} of {dtype.name} need {size:,} bytes, "
                              f"raw_data holds {len(tensor.raw_data):,}")
    else:
        field = DTYPES[tensor.data_type][1]
        held = len(getattr(tensor, field))
        if held != count:
            raise FormatError(f"{where}: dims {list(dims)} need {count:,} values, {field} holds {held:,}")
    try:
        array = np.asarray(to_array(tensor))
    except Exception as e:  # noqa: BLE001 - what onnx makes of the file's values is the file's fault
        raise FormatError(f"{where}: cannot read its values: {e}") from None
    if array.shape != dims:
        raise FormatError(f"{where}: its values have shape {array.shape}, its dims say {list(dims)}")
    if problem := limits.bad_values(array):
        raise FormatError(f"{where}: {problem}; striate refuses non-finite or absurd weights")
    return array


def _fields(tensor) -> dict[str, str]:
    return {e.key: e.value for e in tensor.external_data}


def _whole_number(text: str | None, where: str, key: str) -> int | None:
    if text is None:
        return None
    if not text.isdigit() or len(text) > 19:
        raise FormatError(f"{where}: external_data {key} must be a non-negative integer, got {text[:40]!r}")
    return int(text)


def read_external(tensor, path: Path, where: str) -> None:
    """Move a tensor's external data into its raw_data, reading exactly the bytes its dims need.

    The location must name a regular file inside the model's folder once every symbolic
    link is resolved (an absolute path, "..", or a link out of the folder could make
    loading read any file on the machine); offset and length must lie within that file.
    """
    _, dims, size = nbytes(tensor, where)
    fields = _fields(tensor)
    if not all(isinstance(v, str) for v in fields.values()):  # protobuf hands invalid UTF-8 back as bytes
        raise FormatError(f"{where}: external_data entries must be text")
    location = Path(fields.get("location", ""))
    folder = path.parent.resolve()
    target = folder / location
    try:
        real = target.resolve(strict=True)
        inside = (location.parts and not location.is_absolute() and ".." not in location.parts
                  and not target.is_symlink() and real.is_relative_to(folder) and real.is_file())
    except (OSError, RuntimeError):  # missing, or a loop of links
        inside = False
    if not inside:
        raise FormatError(f"{path}: tensor {tensor.name!r} keeps its data in {str(location)!r}, which is not "
                          "a regular file in the model's folder")
    offset = _whole_number(fields.get("offset"), where, "offset") or 0
    length = _whole_number(fields.get("length"), where, "length")
    if length is not None and length != size:
        raise FormatError(f"{where}: external_data length {length:,} but dims {list(dims)} need {size:,} bytes")
    with open(real, "rb") as f:
        available = os.fstat(f.fileno()).st_size
        if offset + size > available:
            raise FormatError(f"{where}: needs bytes {offset:,} to {offset + size:,} of {location}, which holds "
                              f"{available:,}")
        f.seek(offset)
        data = f.read(size)
    tensor.raw_data = data
    tensor.data_location = 0  # DEFAULT: the values are in the proto now
    del tensor.external_data[:]
