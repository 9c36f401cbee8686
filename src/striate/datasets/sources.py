"""Where a built-in data set's files come from, in order; the first complete copy wins.

1. ``data_dir=`` (``--data-dir``): the user's own copy. When given, it is the only place
   looked at: a user who names a folder wants that folder, not a silent download.
2. ``$STRIATE_DATA/<name>``, then the user cache ``$XDG_CACHE_HOME/striate/<name>``
   (``~/.cache/striate/<name>`` when XDG_CACHE_HOME is unset).
3. System copies installed by a package (Fashion-MNIST: Debian's dataset-fashion-mnist).
4. Download from the data set's mirrors into ``$STRIATE_DATA/<name>`` if that variable is
   set, else into the user cache. ``mirrors=`` or ``$STRIATE_MIRRORS`` (base URLs separated
   by spaces or commas; ``{name}`` in one is replaced by the data set's name) replace the
   built-in mirror list.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Callable

from .catalog import Spec
from .download import DownloadError, fetch


class DataNotFoundError(FileNotFoundError):
    """A data set was found nowhere; the message lists each place tried and how to supply it."""


Missing = Callable[[Path], list]  # folder → descriptions of what is missing there ([] = complete)


def cache_dir(name: str) -> Path:
    """The user cache folder of a data set: $XDG_CACHE_HOME/striate/<name> or ~/.cache/striate/<name>."""
    root = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(root) / "striate" / name


def local_dirs(spec: Spec) -> list[tuple[str, Path]]:
    """(label, folder) of every place looked at before downloading, in order."""
    places = []
    if os.environ.get("STRIATE_DATA"):
        places.append(("$STRIATE_DATA", Path(os.environ["STRIATE_DATA"]).expanduser() / spec.name))
    places.append(("user cache", cache_dir(spec.name)))
    places += [("system copy", Path(d)) for d in spec.system_dirs]
    return places


def download_dir(spec: Spec) -> Path:
    """Where downloads go: $STRIATE_DATA/<name> if set, else the user cache."""
    if os.environ.get("STRIATE_DATA"):
        return Path(os.environ["STRIATE_DATA"]).expanduser() / spec.name
    return cache_dir(spec.name)


def mirror_list(spec: Spec, mirrors=None) -> list[str]:
    """Base URLs to try: `mirrors`, else $STRIATE_MIRRORS, else the built-in ones; each ends in "/"."""
    if mirrors is None and os.environ.get("STRIATE_MIRRORS"):
        mirrors = re.split(r"[\s,]+", os.environ["STRIATE_MIRRORS"].strip())
    if mirrors is None:
        mirrors = spec.mirrors
    if isinstance(mirrors, str):
        raise ValueError(f"load: mirrors must be a list of base URLs, got the string {mirrors!r}")
    bases = [m.replace("{name}", spec.name) for m in mirrors if m]
    return [b if b.endswith("/") else b + "/" for b in bases]


def _missing_folders(folder: Path) -> list[Path]:
    """folder and its parents that do not exist yet, deepest first."""
    out = []
    while not folder.exists() and folder != folder.parent:
        out.append(folder)
        folder = folder.parent
    return out


def _remove_if_empty(target: Path, created: list[Path]) -> None:
    """Remove empty .part files in target, then the folders this download created, if empty."""
    if target.is_dir():
        for part in target.glob("*.part"):
            if part.stat().st_size == 0:
                part.unlink()
    for folder in created:
        try:
            folder.rmdir()  # only when empty: a partial download (resumable) stays
        except OSError:
            return


def _state(folder: Path, missing: Missing) -> str:
    if not folder.is_dir():
        return "no such folder"
    return "; ".join(missing(folder))


def locate(spec: Spec, missing: Missing, data_dir=None, download: bool = True, mirrors=None,
           progress: bool = True) -> Path:
    """The folder holding a complete copy of the data set, downloading it if need be.

    Args:
        spec: the data set (catalog.Spec).
        missing: folder → list of what is missing there, [] when the folder is complete.
        data_dir: the user's folder; when given, the only place looked at.
        download: try the mirrors when no local copy is complete.
        mirrors: base URLs replacing the built-in ones (see module docstring).
    Raises:
        DataNotFoundError listing every folder and URL tried and how to supply the files.
    """
    if data_dir is not None:
        folder = Path(os.fspath(data_dir)).expanduser()
        gaps = missing(folder)
        if gaps:
            what = "no such folder" if not folder.is_dir() else f"not a complete {spec.name} copy"
            raise DataNotFoundError(f"{folder}: {what}; missing {', '.join(gaps)}. "
                                    f"It should hold {spec.contents}")
        return folder

    tried = []
    for label, folder in local_dirs(spec):
        gaps = _state(folder, missing)
        if not gaps:
            return folder
        tried.append(f"{label} {folder}: {gaps}")
    if not os.environ.get("STRIATE_DATA"):
        tried.insert(0, "$STRIATE_DATA: not set")

    target = download_dir(spec)
    if download:
        bases = mirror_list(spec, mirrors)
        created = _missing_folders(target)
        try:
            for file in spec.files:
                if not (target / file.name).is_file():
                    fetch(file, [base + file.name for base in bases], target, progress)
            gaps = _state(target, missing)
            if not gaps:
                return target
            tried.append(f"download into {target}: still incomplete ({gaps})")
        except DownloadError as e:
            tried += [f"download {line}" for line in e.attempts]
        except OSError as e:  # the target folder cannot be created or written
            tried.append(f"download into {target}: {e}")
        _remove_if_empty(target, created)  # a failed download leaves no empty cache folders behind
    else:
        tried.append("download: switched off (download=False)")

    raise DataNotFoundError(
        f"no {spec.name} data found. Tried, in order:\n  " + "\n  ".join(tried) +
        f"\nTo supply it: {spec.how_to_get}; put {spec.contents} in {target}, "
        f"or in a folder passed as data_dir= (striate train --data-dir DIR)."
    )
