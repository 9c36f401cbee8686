"""Memory that two processes share, and the messages they pass (see engine/workers.py).

An arena is a file in shared memory (/dev/shm where there is one), mapped by both
processes; arrays are views into it at byte offsets, so passing an array costs one
copy into the arena and nothing to read it on the other side. Messages are JSON
objects, each preceded by its length (4 bytes, little-endian), over a pipe: plain data
both ways, never code or pickled objects.
"""

from __future__ import annotations

import json
import mmap
import os
import struct
import tempfile

import numpy as np

ALIGN = 64  # bytes: every array starts on a cache line


def shared_dir() -> str:
    return "/dev/shm" if os.path.isdir("/dev/shm") else tempfile.gettempdir()


def _create(size: int) -> tuple[int, str]:
    """A new file of `size` bytes, its blocks reserved now: a full /dev/shm (64 MB in many
    containers) gives an error here, not a bus error when a page is first touched later.
    Where /dev/shm has no room, the temporary directory is tried."""
    try:
        return _reserved(shared_dir(), size)
    except OSError:
        if shared_dir() == tempfile.gettempdir():
            raise
        return _reserved(tempfile.gettempdir(), size)


def _reserved(where: str, size: int) -> tuple[int, str]:
    fd, path = tempfile.mkstemp(prefix="striate-", dir=where)
    try:
        if hasattr(os, "posix_fallocate"):
            os.posix_fallocate(fd, 0, size)
        else:
            os.ftruncate(fd, size)
    except OSError:
        os.close(fd)
        os.unlink(path)
        raise
    return fd, path


class Arena:
    """A shared, mapped file of `size` bytes; `path` names it until the other side has mapped it."""

    def __init__(self, size: int, path: str | None = None):
        self.size = size
        if path is None:
            fd, path = _create(size)
        else:
            fd = os.open(path, os.O_RDWR)
        try:
            self.map = mmap.mmap(fd, size)
        finally:
            os.close(fd)
        self.path = path

    def unlink(self) -> None:
        """Remove the file's name (both mappings stay valid): nothing is left behind on a crash."""
        if self.path and os.path.exists(self.path):
            os.unlink(self.path)
        self.path = None

    def view(self, offset: int, shape, dtype) -> np.ndarray:
        return np.ndarray(tuple(shape), np.dtype(dtype), self.map, offset)

    def close(self) -> None:
        self.map.close()


def layout(specs) -> tuple[list[int], int]:
    """Byte offsets for arrays of the given (shape, dtype), each aligned; and the total size."""
    offsets, end = [], 0
    for shape, dtype in specs:
        offsets.append(end)
        nbytes = int(np.prod(shape, dtype=np.int64)) * np.dtype(dtype).itemsize
        end += -(-nbytes // ALIGN) * ALIGN
    return offsets, max(end, ALIGN)


def send(stream, message: dict) -> None:
    data = json.dumps(message).encode()
    stream.write(struct.pack("<I", len(data)) + data)
    stream.flush()


def receive(stream) -> dict | None:
    """The next message, or None when the other side has closed the pipe."""
    head = stream.read(4)
    if len(head) < 4:
        return None
    (length,) = struct.unpack("<I", head)
    data = stream.read(length)
    if len(data) < length:
        return None
    return json.loads(data)
