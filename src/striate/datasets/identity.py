"""Which built-in data set a folder of IDX files really holds: MNIST and Fashion-MNIST look alike.

Both are four IDX files of 28×28 images with the same names, so a folder of one passed
as the other (`--dataset mnist --data-dir fashion/`) would train without a word. The
test labels (10 KB) are compared with the digests pinned in the catalog: when they are
another data set's, loading stops and says which data set the folder holds. A folder
that matches no pinned digest (a subset, a copy of your own) is taken as it is.
"""

from __future__ import annotations

import gzip
import hashlib
from pathlib import Path

from .catalog import SPECS, Spec
from .mnist import find_file

LABELS = "t10k-labels-idx1-ubyte"


def content_digest(path: Path) -> str:
    """SHA-256 of a file's bytes, decompressed first when it is gzip."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def held(folder: Path) -> str | None:
    """The name of the built-in data set whose test labels the folder holds, or None."""
    try:
        digest = content_digest(find_file(Path(folder), LABELS))
    except (OSError, EOFError):
        return None  # unreadable here: the reader reports it with its own message
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
