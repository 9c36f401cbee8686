"""Checks made before a long run, so that nothing fails once the work is done.

A trained model is lost when --out names a folder that cannot be written, and a run
is wasted when --plots needs a matplotlib that is not installed; both are found here,
in the first second, with the option and the value in the message.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from ..viz.backend import INSTALL


def writable_file(path, option: str) -> Path:
    """Make sure a file can be written at `path` (its folder is created); ValueError naming the option."""
    path = Path(path)
    if path.is_dir():
        raise ValueError(f"{option} {path}: is a folder; give a file name, e.g. {path / 'model.striate'}")
    writable_dir(path.parent, option, shown=path)
    return path


def writable_dir(folder, option: str, shown=None, work: str = "trained") -> Path:
    """Create `folder` if need be and check that files can be written in it; the error says nothing was `work`."""
    folder, shown = Path(folder), shown if shown is not None else folder
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".striate-probe-", dir=folder)
        os.close(fd)
        os.unlink(probe)
    except OSError as e:
        reason = e.strerror or str(e)
        raise ValueError(f"{option} {shown}: cannot write there ({reason}); nothing was {work}") from None
    return folder


def matplotlib(option: str, work: str = "trained") -> None:
    """ImportError, before the run, when an option needs matplotlib and it is not installed; nothing was `work`."""
    try:
        import matplotlib  # noqa: F401
        import PIL  # noqa: F401
    except ImportError as e:
        raise ImportError(f"{option} draws pictures with matplotlib and Pillow, and {e.name} is not installed: "
                          f"{INSTALL}; nothing was {work}") from None
