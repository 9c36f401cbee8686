"""The IDX file format of MNIST and Fashion-MNIST: read and write, gzip by file name.

Layout (all integers big-endian)::

    0x00 0x00 <dtype code> <ndim>     magic number
    ndim × uint32                     dimensions
    prod(dims) × item                 data, C order

dtype codes: 0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64.
"""

from __future__ import annotations

import gzip
import math
import os
import struct
import zlib

import numpy as np

from .. import limits
from ..errors import FormatError

CODES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
CHUNK = 1 << 20  # bytes inflated at a time while a .gz file's size is counted
CODE_OF = {np.dtype(v).newbyteorder("=").str[1:]: k for k, v in CODES.items()}


def _open(path, mode):
    return gzip.open(path, mode) if os.fspath(path).endswith(".gz") else open(path, mode)


def read_idx(path) -> np.ndarray:
    """Read an IDX file (raw or .gz) into an array in native byte order.

    The header is read and checked first; sizes are Python ints (no wrap-around) and the
    data may hold at most striate.limits.MAX_DATA_BYTES. A .gz file is inflated once
    just to count its bytes — a chunk at a time, stopping as soon as it holds more than
    the header states — and only then read into the array, so a gzip bomb or a forged
    size is refused before anything large is allocated.

    Raises FormatError naming the file when the magic number, dtype code, dimensions
    or size do not agree, or the compressed data is damaged.
    """
    try:
        with _open(path, "rb") as f:
            dims, dtype, header = _header(f, path)
            nbytes = math.prod(dims) * dtype.itemsize
            if nbytes > limits.MAX_DATA_BYTES:
                raise FormatError(f"{path}: dimensions {dims} need {nbytes:,} bytes of data, over the limit of "
                                  f"{limits.MAX_DATA_BYTES:,} (striate.limits.MAX_DATA_BYTES)")
            _check_length(f, path, dims, header, nbytes)
        with _open(path, "rb") as f:  # the size agrees: now read it
            f.seek(header)
            try:
                array = np.empty(dims, dtype)
            except (ValueError, OverflowError, MemoryError) as e:  # e.g. (0, 2**32 - 1, ..., 2**32 - 1): no bytes,
                # yet more elements along the other axes than NumPy can index
                raise FormatError(f"{path}: dimensions {dims} are not possible: {e}") from None
            if f.readinto(array.reshape(-1).view(np.uint8)) != nbytes:
                raise FormatError(f"{path}: the file changed while it was read")
    except (OSError, EOFError, zlib.error) as e:  # gzip raises these for corrupt or cut-off archives
        raise FormatError(f"{path}: cannot read IDX data ({type(e).__name__}: {e})") from None
    return array.astype(dtype.newbyteorder("="), copy=False)


def _header(f, path) -> tuple[tuple[int, ...], np.dtype, int]:
    """(dims, dtype, header length) from the magic number and the dimensions."""
    magic = f.read(4)
    if len(magic) < 4:
        raise FormatError(f"{path}: truncated IDX file ({len(magic)} bytes, the header alone needs 4)")
    zero, code, ndim = struct.unpack(">HBB", magic)
    if zero != 0 or code not in CODES:
        raise FormatError(f"{path}: not an IDX file (magic number {magic.hex()}, expected 0000 <dtype code> <ndim>)")
    raw = f.read(4 * ndim)
    if len(raw) < 4 * ndim:
        raise FormatError(f"{path}: truncated IDX header ({4 + len(raw)} bytes, {4 + 4 * ndim} needed "
                          f"for {ndim} dimensions)")
    return struct.unpack(f">{ndim}I", raw), np.dtype(CODES[code]), 4 + 4 * ndim


def _check_length(f, path, dims, header: int, nbytes: int) -> None:
    """FormatError unless exactly nbytes follow the header (counted, never kept)."""
    if isinstance(f, gzip.GzipFile):
        have = 0
        while have <= nbytes and (chunk := f.read(min(CHUNK, nbytes + 1 - have))):
            have += len(chunk)
    else:
        have = os.fstat(f.fileno()).st_size - header
    if have != nbytes:
        expected, got = header + nbytes, header + have
        exact = got < expected or not isinstance(f, gzip.GzipFile)  # a .gz is counted only up to one byte too many
        raise FormatError(f"{path}: dimensions {dims} need {expected} bytes but the file has "
                          f"{got if exact else f'more than {expected}'} "
                          f"({'truncated' if got < expected else 'trailing data'})")


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
