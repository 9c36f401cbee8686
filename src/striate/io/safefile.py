"""The safetensors container, read and written with NumPy alone, checked byte by byte.

A safetensors file is::

    8 bytes    n, the header length, unsigned little-endian
    n bytes    a JSON object, padded with spaces:
                 {"__metadata__": {str: str},
                  "<name>": {"dtype": "F32", "shape": [3, 4], "data_offsets": [begin, end]}, ...}
    the rest   the tensors' bytes, little-endian, C order; offsets count from here

Nothing in it can run code: it is numbers and a JSON object of strings and numbers.
`read` checks the header before it trusts any part of it — the length against the
file's size, every offset against the data that is really there, the tensors tiling
the data with no gap or overlap — so a damaged or forged file raises a FormatError
naming it, and reading never allocates more than the file's size.
"""

from __future__ import annotations

import json
import math
import os
import struct
from pathlib import Path

import numpy as np

from ..errors import FormatError

MAX_HEADER = 100 * 1024 * 1024  # the limit the reference implementation enforces

# safetensors dtype names ↔ little-endian NumPy dtypes (BF16 and FP8 have no NumPy dtype)
DTYPES = {
    "F64": "<f8", "F32": "<f4", "F16": "<f2",
    "I64": "<i8", "I32": "<i4", "I16": "<i2", "I8": "i1",
    "U64": "<u8", "U32": "<u4", "U16": "<u2", "U8": "u1", "BOOL": "?",
}
CODES = {np.dtype(v): k for k, v in DTYPES.items()}


def dtype_code(dtype) -> str:
    """The safetensors name of a NumPy dtype: float32 → "F32"."""
    try:
        return CODES[np.dtype(dtype).newbyteorder("<")]
    except KeyError:
        raise ValueError(f"safetensors cannot store dtype {np.dtype(dtype)}") from None


def little_endian(array: np.ndarray) -> np.ndarray:
    """array as a C-contiguous little-endian array (itself when it already is one)."""
    array = np.asarray(array)
    return array.astype(array.dtype.newbyteorder("<"), order="C", copy=False)  # keeps 0-d arrays 0-d


def raw_bytes(array: np.ndarray) -> np.ndarray:
    """The bytes of a C-contiguous array as a flat uint8 view (empty and 0-d arrays too)."""
    return array.reshape(-1).view(np.uint8)


# ---- writing ------------------------------------------------------------------
def encode(tensors: dict[str, np.ndarray], metadata: dict[str, str]) -> list:
    """The file as a list of byte chunks: the length, the header, then each tensor's bytes.

    Tensors are laid out largest item size first, then by name (as the reference
    implementation does), so every tensor starts at an offset aligned to its item size.
    """
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()):
        raise ValueError("safetensors metadata must map strings to strings")
    arrays = {name: little_endian(a) for name, a in tensors.items()}
    order = sorted(arrays, key=lambda name: (-arrays[name].dtype.itemsize, name))
    header: dict = {"__metadata__": metadata} if metadata else {}
    offset = 0
    for name in order:
        if name == "__metadata__":
            raise ValueError("a tensor cannot be named '__metadata__'")
        a = arrays[name]
        header[name] = {"dtype": dtype_code(a.dtype), "shape": list(a.shape),
                        "data_offsets": [offset, offset + a.nbytes]}
        offset += a.nbytes
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-(8 + len(text)) % 8)  # pad so the data starts 8-byte aligned
    return [struct.pack("<Q", len(text)), text, *(raw_bytes(arrays[name]) for name in order)]


# ---- reading ------------------------------------------------------------------
def read(path) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """Read every tensor and the metadata of a safetensors file, checking all of it.

    Returns:
        (tensors, metadata): {name: little-endian ndarray}, {str: str} ({} when absent).
    Raises:
        FormatError naming the file when anything does not add up.
    """
    path = Path(path)
    with open(path, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        if size < 8:
            raise FormatError(f"{path}: truncated: {size} bytes, but a safetensors file starts "
                              "with an 8-byte header length")
        (n,) = struct.unpack("<Q", f.read(8))
        if n > size - 8:
            raise FormatError(f"{path}: the header claims {n:,} bytes but only {size - 8:,} follow "
                              "its length: the file is truncated or not a safetensors file")
        if n > MAX_HEADER:
            raise FormatError(f"{path}: header of {n:,} bytes is over the {MAX_HEADER:,}-byte limit")
        header = parse_header(f.read(n), path)
        metadata = header.pop("__metadata__", {})
        entries = check_entries(header, size - 8 - n, path)
        tensors = {}
        for name, dtype, shape, _ in entries:  # in file order: one sequential pass
            try:
                array = np.empty(shape, dtype=dtype)
            except (ValueError, OverflowError) as e:  # e.g. shape [0, 10**30]: no bytes, yet too big
                raise FormatError(f"{path}: tensor {name!r}: shape {list(shape)} is not possible: {e}") from None
            if f.readinto(raw_bytes(array)) != array.nbytes:  # file shrank while we read
                raise FormatError(f"{path}: truncated inside tensor {name!r}")
            tensors[name] = array
    return tensors, metadata


def unique_keys(pairs):
    """json.loads hook that refuses a key given twice (json would silently keep the last)."""
    keys = [k for k, _ in pairs]
    if len(set(keys)) != len(keys):
        raise ValueError(f"duplicate key {next(k for k in keys if keys.count(k) > 1)!r}")
    return dict(pairs)


def parse_header(raw: bytes, path) -> dict:
    """The header's JSON object; padding may only be trailing spaces."""
    text = raw.rstrip(b" ")
    if not text.startswith(b"{") or not text.endswith(b"}"):
        raise FormatError(f"{path}: the header is not a JSON object padded with spaces")
    try:
        header = json.loads(text.decode("utf-8"), object_pairs_hook=unique_keys)
    except (UnicodeDecodeError, ValueError, RecursionError) as e:
        raise FormatError(f"{path}: the header is not valid JSON: {e}") from None
    if not isinstance(header, dict):
        raise FormatError(f"{path}: the header is not a JSON object")
    metadata = header.get("__metadata__", {})
    if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
        raise FormatError(f"{path}: __metadata__ must map strings to strings")
    return header


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def check_entries(header: dict, data_size: int, path) -> list:
    """Validate every tensor entry; returns [(name, dtype, shape, (begin, end))] in file order.

    Each entry must have a known dtype, a shape of non-negative ints, and offsets whose
    length is the shape's byte count; together the tensors must tile the data exactly.
    """
    entries = []
    for name, entry in header.items():
        where = f"{path}: tensor {name!r}"
        if not isinstance(entry, dict) or set(entry) != {"dtype", "shape", "data_offsets"}:
            raise FormatError(f"{where}: expected an object with dtype, shape and data_offsets")
        code, shape, offsets = entry["dtype"], entry["shape"], entry["data_offsets"]
        if not isinstance(code, str) or code not in DTYPES:
            raise FormatError(f"{where}: unsupported dtype {code!r}; expected one of {', '.join(DTYPES)}")
        if not isinstance(shape, list) or not all(_is_int(d) and d >= 0 for d in shape):
            raise FormatError(f"{where}: shape must be a list of non-negative ints, got {shape!r}")
        if not (isinstance(offsets, list) and len(offsets) == 2 and all(_is_int(o) for o in offsets)
                and 0 <= offsets[0] <= offsets[1]):
            raise FormatError(f"{where}: data_offsets must be [begin, end] with 0 <= begin <= end, got {offsets!r}")
        dtype = np.dtype(DTYPES[code])
        nbytes = math.prod(shape) * dtype.itemsize
        if offsets[1] - offsets[0] != nbytes:
            raise FormatError(f"{where}: shape {shape} of {code} needs {nbytes:,} bytes, "
                              f"but data_offsets {offsets} span {offsets[1] - offsets[0]:,}")
        entries.append((name, dtype, tuple(shape), tuple(offsets)))
    entries.sort(key=lambda e: e[3])
    end = 0
    for name, _, _, (begin, stop) in entries:
        if begin != end:
            problem = ("overlaps the one before it" if begin < end
                       else f"leaves a gap of {begin - end:,} bytes before it")
            raise FormatError(f"{path}: tensor {name!r} at byte {begin:,} {problem}")
        end = stop
    if end != data_size:
        if end > data_size:
            raise FormatError(f"{path}: truncated: the tensors need {end:,} bytes of data "
                              f"but the file holds {data_size:,}")
        raise FormatError(f"{path}: {data_size - end:,} bytes after the last tensor belong to none")
    return entries
