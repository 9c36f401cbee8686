"""The IDX file format of MNIST and Fashion-MNIST: read and write, gzip by file name.

Layout (all integers big-endian)::

    0x00 0x00 <dtype code> <ndim>     magic number
    ndim × uint32                     dimensions
    prod(dims) × item                 data, C order

dtype codes: 0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64.
"""

from __future__ import annotations

import gzip
import os
import struct

import numpy as np

from ..errors import FormatError

CODES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
CODE_OF = {np.dtype(v).newbyteorder("=").str[1:]: k for k, v in CODES.items()}


def _open(path, mode):
    return gzip.open(path, mode) if os.fspath(path).endswith(".gz") else open(path, mode)


def read_idx(path) -> np.ndarray:
    """Read an IDX file (raw or .gz) into an array in native byte order.

    Raises FormatError naming the file when the magic number, dtype code, dimensions
    or size do not agree.
    """
    try:
        with _open(path, "rb") as f:
            data = f.read()
    except (OSError, EOFError) as e:  # gzip raises these for corrupt or cut-off archives
        raise FormatError(f"{path}: cannot read IDX data ({e})") from None
    if len(data) < 4:
        raise FormatError(f"{path}: truncated IDX file ({len(data)} bytes, the header alone needs 4)")
    zero, code, ndim = struct.unpack(">HBB", data[:4])
    if zero != 0 or code not in CODES:
        raise FormatError(f"{path}: not an IDX file (magic number {data[:4].hex()}, expected 0000 <dtype code> <ndim>)")
    header = 4 + 4 * ndim
    if len(data) < header:
        raise FormatError(f"{path}: truncated IDX header ({len(data)} bytes, {header} needed for {ndim} dimensions)")
    dims = struct.unpack(f">{ndim}I", data[4:header])
    dtype = np.dtype(CODES[code])
    expected = header + int(np.prod(dims, dtype=np.int64)) * dtype.itemsize
    if len(data) != expected:
        raise FormatError(
            f"{path}: dimensions {dims} need {expected} bytes but the file has {len(data)} "
            f"({'truncated' if len(data) < expected else 'trailing data'})"
        )
    return np.frombuffer(data, dtype, offset=header).reshape(dims).astype(dtype.newbyteorder("="))


def write_idx(path, array) -> None:
    """Write an array as IDX (gzip-compressed when path ends in .gz)."""
    array = np.asarray(array)
    key = array.dtype.newbyteorder("=").str[1:]
    if key not in CODE_OF:
        raise ValueError(f"write_idx: dtype {array.dtype} has no IDX code; use one of uint8, int8, int16, int32, float32, float64")
    if array.ndim > 255:
        raise ValueError(f"write_idx: at most 255 dimensions, got {array.ndim}")
    header = struct.pack(">HBB", 0, CODE_OF[key], array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    with _open(path, "wb") as f:
        f.write(header + np.ascontiguousarray(array, dtype=CODES[CODE_OF[key]]).tobytes())
