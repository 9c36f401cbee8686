"""A striate file: a safetensors file whose metadata holds one JSON document and a checksum.

    __metadata__ = {"striate":  '{"format": "striate", "format_version": 1, "kind": "model", ...}',
                    "checksum": "sha256:<64 hex digits>"}

The checksum covers the document and every tensor (name, dtype, shape and bytes, in
name order) — their content, not their layout — so a file rewritten by another
safetensors writer still verifies, while a flipped bit anywhere that matters is
caught before any of it is used.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np

from ..errors import FormatError
from . import safefile
from .atomic import write_atomically

FORMAT = "striate"
FORMAT_VERSION = 1  # bump when a reader of this version could misread a newer file
KINDS = ("model", "checkpoint")
MAX_DEPTH = 32  # nesting of lists and objects: a real document needs 8
MAX_INT = 2**128  # a PCG64 state needs 128 bits; a larger int could only overflow a float later


def _refuse_constant(name):
    raise ValueError(f"{name} is not a number striate writes: the document holds no NaN or infinity")


def check_values(doc, path) -> None:
    """FormatError for nesting deeper than MAX_DEPTH or an int past ±MAX_INT, walked without recursion."""
    stack = [(doc, "document")]
    while stack:
        value, field = stack.pop()
        if isinstance(value, (dict, list)):
            if field.count(".") + field.count("[") >= MAX_DEPTH:
                raise FormatError(f"{path}: {field}: the striate document nests lists and objects deeper "
                                  f"than {MAX_DEPTH} levels")
            items = value.items() if isinstance(value, dict) else enumerate(value)
            stack.extend((v, f"{field}.{k}" if isinstance(value, dict) else f"{field}[{k}]") for k, v in items)
        elif type(value) is int and abs(value) > MAX_INT:
            raise FormatError(f"{path}: {field.removeprefix('document.')}: an integer of {len(str(abs(value)))} digits "
                              "is larger than any count, size or seed striate writes")


def checksum(text: str, tensors: dict[str, np.ndarray]) -> str:
    """"sha256:<hex>" of the document text and each tensor's name, dtype, shape and bytes."""
    h = hashlib.sha256()
    raw = text.encode("utf-8")
    h.update(len(raw).to_bytes(8, "little"))
    h.update(raw)
    for name in sorted(tensors):
        a = safefile.little_endian(tensors[name])
        h.update(json.dumps([name, safefile.dtype_code(a.dtype), list(a.shape)]).encode("utf-8") + b"\n")
        h.update(safefile.raw_bytes(a))
    return "sha256:" + h.hexdigest()


def write(path, kind: str, body: dict, tensors: dict[str, np.ndarray]) -> None:
    """Write body (JSON-able) and tensors as a striate file of this kind, atomically."""
    doc = {"format": FORMAT, "format_version": FORMAT_VERSION, "kind": kind, **body}
    try:
        text = json.dumps(doc, separators=(",", ":"), allow_nan=False)
    except ValueError as e:  # NaN or inf among the settings, the history or a callback's state
        raise ValueError(f"cannot write {path}: {e}: a NaN or infinite number in its {kind}'s settings or "
                         "history (the run diverged?) could not be read back") from None
    metadata = {"striate": text, "checksum": checksum(text, tensors)}
    write_atomically(path, safefile.encode(tensors, metadata))


def read(path, kinds=KINDS) -> tuple[dict, dict[str, np.ndarray]]:
    """(document, tensors) of a striate file, after checking format, version and checksum."""
    path = Path(path)
    tensors, metadata = safefile.read(path)
    if set(metadata) != {"striate", "checksum"}:
        raise FormatError(f"{path}: not a striate file: its metadata keys are {sorted(metadata)}, "
                          "expected ['checksum', 'striate']")
    text = metadata["striate"]
    try:
        doc = json.loads(text, object_pairs_hook=safefile.unique_keys, parse_constant=_refuse_constant)
    except (ValueError, RecursionError) as e:
        raise FormatError(f"{path}: the striate document is not valid JSON: {e}") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise FormatError(f"{path}: not a striate file (no \"format\": \"striate\" in its document)")
    check_values(doc, path)
    version = doc.get("format_version")
    if type(version) is not int or version != FORMAT_VERSION:
        raise FormatError(f"{path}: unsupported format version {version!r}; this striate reads "
                          f"version {FORMAT_VERSION} (a newer file needs a newer striate)")
    if checksum(text, tensors) != metadata["checksum"]:
        raise FormatError(f"{path}: checksum mismatch: the file is damaged or was altered")
    if doc.get("kind") not in kinds:
        raise FormatError(f"{path}: a striate {doc.get('kind')!r} file, expected one of: {', '.join(kinds)}")
    return doc, tensors
