"""An advisory lock on a checkpoint: two runs writing the same checkpoint would overwrite each
other's progress, so the second one is refused at once.

fit takes the lock on `.<name>.lock` beside the checkpoint (a POSIX record lock,
fcntl.lockf) before it reads or writes anything, and lets it go when it returns. The
operating system drops the lock when the process ends, however it ends, so a run
killed mid-epoch never leaves its checkpoint locked. Within one process a later fit
takes over the lock of an earlier one that stopped with an exception (a crash caught
in a notebook, a test): the lock is between processes. The lock file itself stays:
deleting it while another process waits on it would let two runs hold "the" lock.
Where fcntl is missing (Windows) there is no lock. The name comes from the file a symbolic
link leads to, so a link to a checkpoint and the checkpoint itself share one lock.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None

_HELD: dict[str, "CheckpointLock"] = {}  # this process's locks, by the lock file's real path


def lock_file(path) -> Path:
    """The lock file of checkpoint `path`, beside the file it names once every symbolic link is
    resolved: a link to a checkpoint and the checkpoint itself share one lock."""
    path = Path(path).resolve()
    return path.with_name(f".{path.name}.lock")


class CheckpointLock:
    """Hold the lock of checkpoint `path`; RuntimeError naming the other process if it holds it."""

    def __init__(self, path):
        self.path, self.file, self.fd = Path(path), lock_file(path), None
        self._held = _HELD  # kept: at interpreter exit __del__ may run after the module's globals are gone
        if fcntl is None:
            return
        self.key = os.path.realpath(self.file)
        held = _HELD.get(self.key)
        if held is not None:  # an earlier fit of this process that did not finish: take its lock over
            self.fd, held.fd = held.fd, None
        else:
            try:
                fd = os.open(self.file, os.O_RDWR | os.O_CREAT, 0o666)
            except OSError as e:
                raise OSError(e.errno, f"{e.strerror}: cannot create the lock file {self.file} of checkpoint "
                                       f"{self.path}") from None
            try:
                fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                owner = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "unknown"
                os.close(fd)
                raise RuntimeError(f"{self.path}: another run (process {owner}) is training with this checkpoint "
                                   f"and holds its lock {self.file}; wait for it to end, or give this run another "
                                   "checkpoint path") from None
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
            self.fd = fd
        _HELD[self.key] = self

    def release(self) -> None:
        """Let the lock go (closing the file drops a POSIX lock); idempotent."""
        if self.fd is None:
            return
        if self._held.get(self.key) is self:
            del self._held[self.key]
            with contextlib.suppress(OSError):
                os.close(self.fd)
        self.fd = None

    def __del__(self):
        try:
            self.release()
        except Exception:  # noqa: BLE001 - at interpreter exit; the OS drops the lock anyway
            pass
