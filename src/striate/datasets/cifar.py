"""CIFAR-10 from its *binary* distribution (cifar-10-binary.tar.gz), never the pickled one.

Each ``.bin`` file is a run of 3073-byte records::

    1 byte            label, 0–9
    1024 bytes        red channel, 32×32, row by row
    1024 bytes        green channel
    1024 bytes        blue channel

``data_batch_1.bin`` … ``data_batch_5.bin`` (10000 records each) form the training split,
``test_batch.bin`` the test split; ``batches.meta.txt`` holds the class names, one a line.
A folder may hold the archive itself (read in memory, never extracted to disk), its
extracted ``cifar-10-batches-bin/`` folder, or the ``.bin`` files directly.
"""

from __future__ import annotations

import os
import tarfile
import zlib
from pathlib import Path

import numpy as np

from .. import limits
from ..errors import FormatError
from .catalog import CIFAR10

ARCHIVE = "cifar-10-binary.tar.gz"
SUBDIR = "cifar-10-batches-bin"
TRAIN = tuple(f"data_batch_{i}.bin" for i in range(1, 6))
TEST = ("test_batch.bin",)
META = "batches.meta.txt"
RECORD = 1 + 32 * 32 * 3


def parse_records(data: bytes, source) -> tuple[np.ndarray, np.ndarray]:
    """Bytes of one .bin file → (images (N, 32, 32, 3) uint8, labels (N,) int64).

    Raises FormatError naming `source` for an empty file, a size that is not a whole number
    of records, or a label outside 0–9.
    """
    if len(data) == 0 or len(data) % RECORD:
        raise FormatError(f"{source}: {len(data)} bytes is not a whole, non-zero number of "
                          f"{RECORD}-byte CIFAR-10 records (1 label byte + 32×32×3 pixels)")
    records = np.frombuffer(data, np.uint8).reshape(-1, RECORD)
    labels = records[:, 0].astype(np.int64)
    if labels.max() > 9:
        raise FormatError(f"{source}: labels must lie in 0–9, found {int(labels.max())}")
    # The pixels are stored channel-planar (C, H, W); NHWC needs one transposing copy.
    images = np.ascontiguousarray(records[:, 1:].reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1))
    return images, labels


def _bin_dir(folder: Path) -> Path | None:
    for d in (folder, folder / SUBDIR):
        if all((d / name).is_file() for name in TRAIN + TEST):
            return d
    return None


def missing(folder) -> list[str]:
    """[] when folder holds the archive or all six .bin files; else what it lacks."""
    folder = Path(os.fspath(folder))
    if (folder / ARCHIVE).is_file() or _bin_dir(folder) is not None:
        return []
    return [f"{ARCHIVE} (or the six .bin files ({', '.join(TRAIN + TEST)}) here or in {SUBDIR}/)"]


def _read_archive(path: Path) -> dict[str, bytes]:
    """The .bin and meta files of the archive, by base name, read in memory."""
    wanted = set(TRAIN + TEST + (META,))
    found = {}
    try:
        with tarfile.open(path, "r:gz") as tar:
            for member in tar:
                base = member.name.rsplit("/", 1)[-1]
                if member.isfile() and base in wanted:
                    if member.size > limits.MAX_DATA_BYTES:  # the tar header's size, before inflating
                        raise FormatError(f"{path}: member {member.name!r} states {member.size:,} bytes, over the "
                                          f"limit of {limits.MAX_DATA_BYTES:,} (striate.limits.MAX_DATA_BYTES)")
                    found[base] = tar.extractfile(member).read()
    except (tarfile.TarError, OSError, EOFError, zlib.error) as e:
        raise FormatError(f"{path}: not a readable CIFAR-10 binary archive ({e})") from None
    absent = [name for name in TRAIN + TEST if name not in found]
    if absent:
        raise FormatError(f"{path}: the archive lacks {', '.join(absent)} (is it the binary version?)")
    return found


def _read_dir(d: Path) -> dict[str, bytes]:
    found = {name: (d / name).read_bytes() for name in TRAIN + TEST}
    if (d / META).is_file():
        found[META] = (d / META).read_bytes()
    return found


def class_names(meta: bytes | None) -> list[str]:
    """The class names of batches.meta.txt, or the standard ten when it is absent."""
    if meta is None:
        return list(CIFAR10.class_names)
    names = [line.strip() for line in meta.decode("ascii", "replace").splitlines() if line.strip()]
    return names if len(names) == 10 else list(CIFAR10.class_names)


def load_cifar10(folder):
    """((x_train, y_train), (x_test, y_test)), class names, from a folder (see module docstring).

    x: (N, 32, 32, 3) uint8; y: (N,) int64.
    """
    folder = Path(os.fspath(folder))
    d = _bin_dir(folder)
    files = _read_dir(d) if d is not None else _read_archive(folder / ARCHIVE)
    source = d if d is not None else folder / ARCHIVE
    splits = []
    for names in (TRAIN, TEST):
        parts = [parse_records(files[name], f"{source}/{name}" if d else f"{source}:{name}") for name in names]
        splits.append((np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])))
    return tuple(splits), class_names(files.get(META))
