"""What a file that is not a striate file is, to say so instead of misreading its first bytes.

A striate file is safetensors: 8 bytes of header length, then the header. Anything else
handed to `striate.load` — a TOML network, an ONNX graph, a PyTorch checkpoint, an image — would
be read as a length of billions of bytes; `check` names what it is and what to do instead.
"""

from __future__ import annotations

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
    (its first 8 bytes, read as a header length, fit in the file)."""
    if len(head) >= 8 and 8 + int.from_bytes(head[:8], "little") <= size:
        return None
    if path.suffix.lower() == ".onnx" or head[:1] == b"\x08":
        return "an ONNX model: load it with striate.onnx.load (the command line takes .onnx files directly)"
    for magic, what in SIGNATURES:
        if head.startswith(magic):
            return what
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        return None  # binary of no known kind: the safetensors reader says what is wrong
    if path.suffix.lower() == ".toml" or "[[layers]]" in text or "=" in text:
        return "a text file (a TOML network? build it with striate.io.config.load, or pass it to a command)"
    return "a text file"


def check(path) -> None:
    """FormatError naming what the file is when it is plainly not a striate file."""
    path = Path(path)
    try:
        with open(path, "rb") as f:
            head = f.read(64)
        size = path.stat().st_size
    except OSError:
        return  # missing or unreadable: the reader raises the system's error
    what = describe(head, path, size) if head else "empty"
    if what is not None:
        raise FormatError(f"{path}: not a striate model file: it is {what}. Model files come from "
                          "`striate train --out FILE.striate` or model.save(path)")
