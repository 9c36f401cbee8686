"""What a file that is not a striate file is, to say so instead of misreading its first bytes.

A striate file is safetensors: 8 bytes of header length, then the header. Anything else
handed to `striate.load` — a TOML network, an ONNX graph, a PyTorch checkpoint, an image — would
be read as a length of billions of bytes; `check` names what it is and what to do instead.
"""

from __future__ import annotations

import stat
from pathlib import Path

from ..errors import FormatError

SIGNATURES = [
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"PK\x03\x04", "a zip archive (a PyTorch .pt/.pth file is one; striate never unpickles)"),
    (b"\x80", "a Python pickle (striate never unpickles: nothing in a model file may run code)"),
    (b"\x1f\x8b", "a gzip file"),
    (b"\x93NUMPY", "a NumPy .npy array"),
    (b"\x89HDF", "an HDF5 file (a Keras .h5 model?)"),
]


def describe(head: bytes, path: Path, size: int) -> str | None:
    """What the first bytes of a file say it is, when not safetensors; None when it may be one
    (its first 8 bytes, read as a header length, fit in the file; or a JSON header follows them,
    as in a file cut short) or when it is binary of no known kind: the safetensors reader then
    says precisely what is wrong."""
    if len(head) >= 8 and 8 + int.from_bytes(head[:8], "little") <= size:
        return None
    if head[8:9] == b"{":
        return None  # a safetensors header whose file is cut short (its length's first byte may be 0x08)
    if path.suffix.lower() == ".onnx" or head[:1] == b"\x08":
        return "an ONNX model: load it with striate.onnx.load (the command line takes .onnx files directly)"
    for magic, what in SIGNATURES:
        if head.startswith(magic):
            return what
    text = _text(head)
    if text is None:
        return None
    if path.suffix.lower() == ".toml" or "[[layers]]" in text or "=" in text:
        return "a text file (a TOML network? build it with striate.io.config.load, or pass it to a command)"
    return "a text file"


def _text(head: bytes) -> str | None:
    """head as text when it is UTF-8 of printable characters, tabs and line breaks (NUL bytes are not text)."""
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as e:
        if e.reason != "unexpected end of data":  # not a character cut off by the 64-byte read
            return None
        text = head[:e.start].decode("utf-8")
    return text if all(c.isprintable() or c in "\t\r\n" for c in text) else None


def check(path) -> None:
    """FormatError naming what the file is when it is plainly not a striate file."""
    path = Path(path)
    try:
        info = path.stat()
        if not (stat.S_ISREG(info.st_mode) or stat.S_ISDIR(info.st_mode)):  # a folder: the system's error says so
            what = "not a regular file but a device or a pipe"
        else:
            with open(path, "rb") as f:
                head = f.read(64)
            what = describe(head, path, info.st_size) if head else "empty"
    except OSError:
        return  # missing or unreadable: the reader raises the system's error
    if what is not None:
        raise FormatError(f"{path}: not a striate model file: it is {what}. Model files come from "
                          "`striate train --out FILE.striate` or model.save(path)")
