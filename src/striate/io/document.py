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
    text = json.dumps(doc, separators=(",", ":"))
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
        doc = json.loads(text, object_pairs_hook=safefile.unique_keys)
    except (ValueError, RecursionError) as e:
        raise FormatError(f"{path}: the striate document is not valid JSON: {e}") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise FormatError(f"{path}: not a striate file (no \"format\": \"striate\" in its document)")
    version = doc.get("format_version")
    if type(version) is not int or version != FORMAT_VERSION:
        raise FormatError(f"{path}: unsupported format version {version!r}; this striate reads "
                          f"version {FORMAT_VERSION} (a newer file needs a newer striate)")
    if checksum(text, tensors) != metadata["checksum"]:
        raise FormatError(f"{path}: checksum mismatch: the file is damaged or was altered")
    if doc.get("kind") not in kinds:
        raise FormatError(f"{path}: a striate {doc.get('kind')!r} file, expected one of: {', '.join(kinds)}")
    return doc, tensors
