"""Write a file so that a crash at any moment leaves either the old file or the new one.

    1. write everything to a temporary file in the same folder;
    2. flush Python's buffer and fsync, so the bytes are on disk;
    3. rename it over the target — one atomic step on POSIX and Windows;
    4. fsync the folder, so the rename itself survives a power cut.

A process killed during 1 or 2 leaves the target untouched and, at worst, a stale
`.<name>.tmp` beside it, which the next write to the same target overwrites.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path


def temporary_path(path) -> Path:
    """Where the next version of `path` is written before it replaces `path`."""
    path = Path(path)
    return path.with_name(f".{path.name}.tmp")


def write_atomically(path, chunks: Iterable) -> None:
    """Write the byte chunks (bytes or memoryviews) to `path`, all or nothing."""
    path = Path(path)
    tmp = temporary_path(path)
    try:
        with open(tmp, "wb") as f:
            for chunk in chunks:
                f.write(chunk)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_folder(path.parent)


def _fsync_folder(folder: Path) -> None:
    """Make a rename durable; folders cannot be opened for this on Windows, so skip there."""
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
