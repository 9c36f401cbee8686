"""Which built-in data set a folder of IDX files really holds: MNIST and Fashion-MNIST look alike.

Both are four IDX files of 28×28 images with the same names, so a folder of one passed
as the other (`--dataset mnist --data-dir fashion/`) would train without a word. The
test labels (10 KB) are compared with the digests pinned in the catalog: when they are
another data set's, loading stops and says which data set the folder holds. A folder
that matches no pinned digest (a subset, a copy of your own) is taken as it is.

Only the bytes a pinned file can hold are read: a header that states another number of
labels, data past the stated labels (a gzip bomb hides gigabytes there) or a damaged
archive is "no match", and the IDX reader then reports it with its own message.
"""

from __future__ import annotations

import gzip
import hashlib
import zlib
from pathlib import Path

from .catalog import SPECS, Spec
from .mnist import find_file

LABELS = "t10k-labels-idx1-ubyte"
TEST_LABELS = 10_000  # every pinned test-labels file holds this many
HEADER = b"\x00\x00\x08\x01" + TEST_LABELS.to_bytes(4, "big")  # IDX: uint8, one dimension of 10,000


def labels_digest(path: Path) -> str | None:
    """SHA-256 of a test-labels file's bytes (decompressed first when gzip), or None.

    None when the file cannot be one of the pinned ones: its header does not state 10,000
    uint8 labels, it ends before them, or more data follows them. At most the header, the
    labels and one byte past them are read.
    """
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as f:
        data = f.read(len(HEADER) + TEST_LABELS)
        if not data.startswith(HEADER) or len(data) < len(HEADER) + TEST_LABELS or f.read(1):
            return None
    return hashlib.sha256(data).hexdigest()


def held(folder: Path) -> str | None:
    """The name of the built-in data set whose test labels the folder holds, or None."""
    try:
        digest = labels_digest(find_file(Path(folder), LABELS))
    except (OSError, EOFError, zlib.error):
        return None  # unreadable here: the reader reports it with its own message
    if digest is None:
        return None
    for spec in SPECS.values():
        for file in spec.files:
            if file.name.removesuffix(".gz") == LABELS and any(
                    d.gunzip and d.hexdigest == digest for d in file.digests):
                return spec.name
    return None


def check(spec: Spec, folder) -> None:
    """ValueError when `folder` holds another built-in data set than `spec`."""
    other = held(folder)
    if other is not None and other != spec.name:
        raise ValueError(f"{folder} holds {other}, not {spec.name} (its test labels are {other}'s); "
                         f"give --dataset {other}, or a folder of {spec.name} files")
