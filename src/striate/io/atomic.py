"""Write a file so that a crash at any moment leaves either the old file or the new one.

    1. write everything to a new temporary file in the same folder, named
       `.<name>.<pid>-<random>.tmp`: two processes writing the same target never share one;
    2. flush Python's buffer and fsync, so the bytes are on disk;
    3. rename it over the target — one atomic step on POSIX and Windows;
    4. fsync the folder, so the rename itself survives a power cut.

When the target is a symbolic link, the file it leads to is replaced and the link stays:
the temporary file goes beside that file, in its folder.

A process killed during 1 or 2 leaves the target untouched and, at worst, its temporary
file, which the next successful write to the same target removes once that process is
gone. A write that fails (a full disk, a read-only folder) removes its temporary file
and raises an OSError that names the target and says what was kept.
"""

from __future__ import annotations

import contextlib
import glob
import os
import secrets
from collections.abc import Iterable
from pathlib import Path


def temporary_files(path) -> list[Path]:
    """The temporary files beside `path` that writes to it have made and not (yet) renamed."""
    path = Path(path).resolve()
    return sorted(path.parent.glob(f".{glob.escape(path.name)}.*.tmp"))


def _create_temporary(path: Path) -> tuple[int, Path]:
    """A new file beside path, opened for writing; its permissions follow the umask, as open()'s do."""
    while True:
        tmp = path.with_name(f".{path.name}.{os.getpid()}-{secrets.token_hex(4)}.tmp")
        try:
            return os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666), tmp
        except FileExistsError:  # 1 in 4 billion: draw another name
            continue


def _failure(e: OSError, path: Path, step: str) -> OSError:
    """e, re-told: which target, at which step, and what is on disk now."""
    kept = (f"{path} is unchanged (its previous version is kept whole)" if path.exists()
            else f"no file was written at {path}")
    return OSError(e.errno, f"{e.strerror or e}: could not write {path} ({step}); {kept}")


def write_atomically(path, chunks: Iterable) -> None:
    """Write the byte chunks (bytes or memoryviews) to `path`, all or nothing; through a symbolic link."""
    path = Path(path).resolve()  # a rename onto a link would replace the link, not the file it leads to
    try:
        fd, tmp = _create_temporary(path)
    except OSError as e:  # a read-only or missing folder: say so about the target
        raise _failure(e, path, f"cannot create a temporary file in {path.parent}") from None
    step = f"writing {tmp.name}"
    try:
        with open(fd, "wb") as f:
            for chunk in chunks:
                f.write(chunk)
            f.flush()
            os.fsync(f.fileno())
        step = f"renaming {tmp.name} over it"
        os.replace(tmp, path)
    except BaseException as e:
        with contextlib.suppress(OSError):  # the cleanup's own failure must not hide the real one
            tmp.unlink(missing_ok=True)
        if isinstance(e, OSError):
            raise _failure(e, path, step) from None
        raise
    _fsync_folder(path.parent)
    _remove_stale(path)


def _remove_stale(path: Path) -> None:
    """Remove the temporary files of `path` left by processes that no longer run (killed mid-write)."""
    if os.name != "posix":
        return
    for tmp in temporary_files(path):
        pid = tmp.name[len(path.name) + 2:].split("-", 1)[0]
        if pid.isdigit() and int(pid) != os.getpid() and not _running(int(pid)):
            with contextlib.suppress(OSError):
                tmp.unlink()


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # e.g. another user's process: it exists
        return True
    return True


def _fsync_folder(folder: Path) -> None:
    """Make a rename durable; folders cannot be opened for this on Windows, so skip there."""
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
