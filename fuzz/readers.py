"""Every file reader of striate, with the contract a fuzzer checks and the seeds it starts from.

    READERS[name] = Reader(suffix, seeds(), check(path))

`check(path)` opens the file the way a user would; the contract is that it returns (the
file was fine) or raises the reader's error — striate.FormatError, or ValueError for a
TOML config — with the file's name in the message. Anything else (TypeError,
RecursionError, OverflowError, zlib.error, MemoryError, ...) escapes `check` and is a
defect. A file that loads must also work: a model predicts on a zero batch.
"""

from __future__ import annotations

import gzip
import io
import json
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

import striate
from striate import FormatError
from striate import layers as L
from striate.datasets import folder, mnist
from striate.datasets.idx import read_idx, write_idx
from striate.io import checkpoint, config

PREDICT_LIMIT = 100_000  # values per sample up to which a loaded model is also run


class ContractBroken(AssertionError):
    """A reader raised its own error without naming the file."""


@dataclass
class Reader:
    suffix: str
    seeds: Callable[[], list[bytes]]
    check: Callable[[Path], None]
    error: type = FormatError


def _named(error: Exception, path: Path) -> None:
    if str(path) not in str(error):
        raise ContractBroken(f"{type(error).__name__} without the file's name: {error}") from error


def _predicts(model) -> None:
    """A loaded model must run: a zero batch of one sample through it, when it is small."""
    shape = model.input_shape
    if None in shape or np.prod(shape, dtype=float) > PREDICT_LIMIT or any(
            np.prod(layer.output_shape, dtype=float) > PREDICT_LIMIT for layer in model.layers if None not in layer.output_shape):
        return
    model.predict(np.zeros((1, *shape), model.dtype))


# ---- seeds --------------------------------------------------------------------
def _models():
    return [
        striate.Sequential([L.Conv2D(2, 3), L.ReLU(), L.MaxPool2D(2), L.Flatten(), L.Dense(3)], input_shape=(6, 6, 1), seed=0),
        striate.Sequential([L.Conv2D(2, 3, padding=1), L.BatchNorm2D(), L.ReLU(), L.WeightedAvgPool2D(2), L.Flatten(),
                            L.Dropout(0.5), L.Dense(3), L.BatchNorm1D()], input_shape=(4, 4, 1), seed=1),
    ]


def _file_bytes(write) -> bytes:
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "f"
        write(path)
        return path.read_bytes()


def model_seeds() -> list[bytes]:
    return [_file_bytes(m.save) for m in _models()]


def checkpoint_seeds() -> list[bytes]:
    out = []
    for opt in (striate.optim.SGD(lr=striate.schedules.StepDecay(0.1, step_size=2), momentum=0.9),
                striate.optim.Adam(lr=striate.schedules.CosineDecay(0.01, total_steps=8, warmup_steps=1))):
        model = _models()[1]
        model.compile(opt, "cross_entropy", ["accuracy"])
        rng = np.random.default_rng(0)
        x, y = rng.standard_normal((10, 4, 4, 1)).astype(np.float32), rng.integers(0, 3, 10)
        cbs = [striate.callbacks.EarlyStopping(monitor="loss", patience=5, restore_best_weights=True)]
        out.append(_file_bytes(lambda p: model.fit(x, y, epochs=1, batch_size=4, verbose=0, callbacks=cbs,
                                                   checkpoint=p, checkpoint_every=1)))
    return out


def idx_seeds() -> list[bytes]:
    rng = np.random.default_rng(0)
    arrays = [rng.integers(0, 256, (3, 4, 4), dtype=np.uint8), rng.integers(0, 10, 7).astype(np.uint8),
              rng.standard_normal((2, 3)).astype(np.float32), np.arange(5, dtype=np.float64)]
    raw = [_file_bytes(lambda p, a=a: write_idx(p, a)) for a in arrays]
    return raw + [gzip.compress(r, mtime=0) for r in raw[:2]]


def onnx_seeds() -> list[bytes]:
    import tempfile

    out = []
    for model in _models()[:1] + [striate.Sequential([L.Conv2D(2, 3, padding=1), L.BatchNorm2D(), L.ReLU(),
                                                      L.GlobalAvgPool2D(), L.Dense(2)], input_shape=(5, 5, 2), seed=3)]:
        with tempfile.TemporaryDirectory() as d:
            striate.onnx.export(model, Path(d) / "m.onnx")
            out.append((Path(d) / "m.onnx").read_bytes())
    return out


def toml_seeds() -> list[bytes]:
    return [b'name = "lenet"\ninput_shape = [28, 28, 1]\n[[layers]]\ntype = "Conv2D"\nfilters = 6\nkernel_size = 5\n'
            b'padding = 2\n[[layers]]\ntype = "ReLU"\n[[layers]]\ntype = "MaxPool2D"\nkernel_size = 2\n'
            b'[[layers]]\ntype = "Flatten"\n[[layers]]\ntype = "Dense"\nunits = 10\n',
            b'input_shape = [8, 8, 3]\nlayers = [\n  {type = "Conv2D", filters = 4, kernel_size = [3, 3], '
            b'padding = [[1, 1], [1, 1]]},\n  {type = "BatchNorm2D"},\n  {type = "Dropout", rate = 0.25},\n'
            b'  {type = "GlobalAvgPool2D"},\n  {type = "Dense", units = 3},\n]\n']


def image_seeds() -> list[bytes]:
    from PIL import Image

    out = []
    for fmt, shape in (("PNG", (5, 4, 3)), ("PNG", (3, 6)), ("BMP", (4, 4, 3)), ("JPEG", (8, 8, 3)), ("GIF", (4, 5))):
        buf = io.BytesIO()
        Image.fromarray(np.arange(np.prod(shape), dtype=np.uint8).reshape(shape) * 7).save(buf, fmt)
        out.append(buf.getvalue())
    return out + [_png_stating(14000, 14000)]


def _png_stating(width: int, height: int) -> bytes:
    """A PNG whose header states width×height over a few bytes of data: past MAX_IMAGE_PIXELS, and Pillow's own limit."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(bytes(16))) + chunk(b"IEND", b"")


# ---- the checks ---------------------------------------------------------------
def _read(load, path: Path, error=FormatError):
    """What load(path) returns, or None once its error is checked to name the file."""
    try:
        return load(path)
    except error as e:
        _named(e, path)
        return None


def check_model(path: Path) -> None:
    if (model := _read(striate.load, path)) is not None:
        _predicts(model)


def check_checkpoint(path: Path) -> None:
    if (ckpt := _read(checkpoint.read, path)) is not None:
        _predicts(ckpt.model)
        ckpt.optimizer.current_lr  # the schedule at the saved step: what a resume computes first


def check_idx(path: Path) -> None:
    try:
        array = read_idx(path)
        if array.ndim == 1:  # as labels: whole numbers in 0..9, or a FormatError
            mnist.check_labels(array, path, 10)
            assert array.astype(np.int64).min(initial=0) >= 0
    except FormatError as e:
        _named(e, path)


def check_onnx(path: Path) -> None:
    if (model := _read(striate.onnx.load, path)) is not None:
        _predicts(model)


def check_toml(path: Path) -> None:
    if (model := _read(lambda p: config.load(p, seed=0), path, ValueError)) is not None:
        _predicts(model)


def check_image(path: Path) -> None:
    """The image readers: an ImageFolder tree's (FormatError), the command line's and the web page's
    (ValueError; the page's names no file: its images are request bodies)."""
    from striate.cli import images

    try:
        folder.read_images([path])
    except FormatError as e:
        _named(e, path)
    for channels in (None, 1, 3):
        try:
            images.read(str(path), channels)
        except ValueError as e:
            _named(e, path)
    try:
        from striate.web import decode
    except ImportError:
        return
    for shape in ((28, 28, 1), (20, 24, 3)):
        try:
            x, _ = decode.decode(path.read_bytes(), shape)
        except ValueError:
            continue
        if x.shape != shape or x.dtype != np.float32 or not (np.isfinite(x).all() and 0 <= x.min() and x.max() <= 1):
            raise ContractBroken(f"the page decoded an image to {x.dtype} {x.shape} in [{x.min()}, {x.max()}]")


READERS = {
    "model": Reader(".striate", model_seeds, check_model),
    "checkpoint": Reader(".ckpt", checkpoint_seeds, check_checkpoint),
    "idx": Reader(".idx", lambda: idx_seeds()[:-2], check_idx),
    "idx_gz": Reader(".idx.gz", lambda: idx_seeds()[-2:], check_idx),
    "onnx": Reader(".onnx", onnx_seeds, check_onnx),
    "toml": Reader(".toml", toml_seeds, check_toml, ValueError),
    "image": Reader(".png", image_seeds, check_image),
}


# ---- structure for the mutators ----------------------------------------------------
def split_safetensors(data: bytes):
    """(header dict, data bytes) of a safetensors file, or None when it does not parse."""
    if len(data) < 8:
        return None
    (n,) = struct.unpack("<Q", data[:8])
    try:
        return json.loads(data[8:8 + n]), data[8 + n:]
    except (ValueError, RecursionError):
        return None


def join_safetensors(header: dict, body: bytes) -> bytes:
    text = json.dumps(header).encode()
    return struct.pack("<Q", len(text)) + text + body

