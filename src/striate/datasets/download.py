"""Download one file over HTTP: mirrors in turn, resumable, checked, moved into place atomically.

The bytes go to ``<name>.part`` next to the final file. A dropped connection is retried
with an HTTP ``Range`` request that asks only for the bytes still missing, and a ``.part``
left by an interrupted earlier run is resumed the same way. Once complete, the file is
checked against its pinned digests; a mismatch deletes it, otherwise ``os.replace`` moves it
to its final name, so a reader never sees a half-written or unverified file there.
Standard library only (urllib).
"""

from __future__ import annotations

import gzip
import hashlib
import http.client
import os
import re
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from .catalog import Digest, RemoteFile

CHUNK = 1 << 16
USER_AGENT = "striate (Python urllib)"


class DownloadError(OSError):
    """No mirror delivered an intact copy of a file; `attempts` holds one line per URL tried."""

    def __init__(self, name: str, attempts: list[str]):
        self.attempts = attempts
        super().__init__(f"could not download {name}:\n  " + "\n  ".join(attempts))


def file_digest(path: Path, algorithm: str, gunzip: bool = False) -> str:
    """Hex digest of a file's bytes, or of its gzip-decompressed bytes; streamed, never all in memory."""
    h = hashlib.new(algorithm)
    with (gzip.open if gunzip else open)(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def check_digests(path: Path, digests: tuple[Digest, ...]) -> str | None:
    """None when one of the digests matches the file; otherwise what was computed, for the error."""
    got = []
    for d in digests:
        try:
            value = file_digest(path, d.algorithm, d.gunzip)
        except (OSError, EOFError) as e:  # not gzip at all, or a cut-off stream
            got.append(f"{d.algorithm} of the decompressed bytes: unreadable ({e})")
            continue
        if value == d.hexdigest:
            return None
        got.append(f"{d.algorithm}{' of the decompressed bytes' if d.gunzip else ''} {value}")
    expected = " or ".join(str(d) for d in digests)
    return f"got {'; '.join(got)}; expected {expected}"


def describe(error: BaseException) -> str:
    """One short phrase for a failed request."""
    if isinstance(error, urllib.error.HTTPError):
        return f"HTTP {error.code} {error.reason}"
    if isinstance(error, urllib.error.URLError):
        return f"cannot connect ({error.reason})"
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__


class DownloadBar:
    """Bytes received, percentage and speed on one redrawn stderr line; off the terminal only a summary."""

    def __init__(self, name: str, total: int | None, enabled: bool = True, stream=None):
        self.name, self.total, self.enabled = name, total, enabled
        self.stream = stream or sys.stderr
        self.live = enabled and hasattr(self.stream, "isatty") and self.stream.isatty()
        self.start = time.perf_counter()
        self._drawn = 0.0

    def update(self, done: int, start_offset: int) -> None:
        now = time.perf_counter()
        if not self.live or now - self._drawn < 0.1:
            return
        self._drawn = now
        speed = (done - start_offset) / max(now - self.start, 1e-9)
        pct = f" {100 * done / self.total:3.0f}%" if self.total else ""
        size = f"{done / 1e6:.1f}/{self.total / 1e6:.1f} MB" if self.total else f"{done / 1e6:.1f} MB"
        self.stream.write(f"\rdownloading {self.name}: {size}{pct} {speed / 1e6:.1f} MB/s\033[K")
        self.stream.flush()

    def finish(self, done: int, url: str) -> None:
        if self.enabled:
            seconds = time.perf_counter() - self.start
            line = f"downloaded {self.name} ({done / 1e6:.1f} MB) from {url} in {seconds:.1f}s"
            self.stream.write(f"\r{line}\033[K\n" if self.live else line + "\n")
            self.stream.flush()


def _content_range_start(response) -> int | None:
    match = re.match(r"bytes (\d+)-", response.headers.get("Content-Range", ""))
    return int(match.group(1)) if match else None


def _get(url: str, part: Path, timeout: float, progress: bool) -> None:
    """One request: append what the server sends to part, asking only for the missing bytes.

    Raises ConnectionError when the server closes the connection before Content-Length bytes.
    """
    have = part.stat().st_size if part.exists() else 0
    headers = {"User-Agent": USER_AGENT}
    if have:
        headers["Range"] = f"bytes={have}-"
    try:
        response = urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=timeout)
    except urllib.error.HTTPError as e:
        if e.code == 416 and have:  # nothing after `have`: the part is complete; the digest decides
            return
        raise
    with response:
        if have and response.status == 206 and _content_range_start(response) == have:
            mode = "ab"
        else:  # the server ignored the Range header (or none was sent): start again
            mode, have = "wb", 0
        length = response.headers.get("Content-Length")
        total = have + int(length) if length is not None else None
        start = have
        bar = DownloadBar(part.name[: -len(".part")], total, progress)
        with open(part, mode) as f:
            while chunk := response.read(CHUNK):
                f.write(chunk)
                have += len(chunk)
                bar.update(have, start)
        if total is not None and have < total:
            raise ConnectionError(f"connection closed after {have} of {total} bytes")
        bar.finish(have, url)


def _download(url: str, part: Path, timeout: float, progress: bool, attempts: int) -> None:
    """Fill part from url, resuming after dropped connections up to `attempts` requests."""
    for attempt in range(1, attempts + 1):
        try:
            return _get(url, part, timeout, progress)
        except (ConnectionError, TimeoutError, http.client.HTTPException) as e:
            if attempt == attempts:
                kept = part.stat().st_size if part.exists() else 0
                raise ConnectionError(f"{describe(e)}; gave up after {attempts} tries, "
                                      f"{kept} bytes kept in {part} to resume next time") from None


def fetch(file: RemoteFile, urls: list[str], folder, progress: bool = True, timeout: float = 30.0,
          attempts: int = 3) -> Path:
    """Download `file` into folder from the first URL that delivers it intact.

    Args:
        file: the RemoteFile (name and acceptable digests).
        urls: full URLs of the file, tried in turn.
        folder: where the file goes; created if needed.
        attempts: requests per URL; after a dropped connection the next one resumes.
    Returns:
        folder / file.name.
    Raises:
        DownloadError listing every URL tried and why it failed (a checksum mismatch says
        that the bad download was deleted).
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    dest, part = folder / file.name, folder / (file.name + ".part")
    failures = []
    for url in urls:
        resumed = part.exists() and part.stat().st_size > 0
        try:
            _download(url, part, timeout, progress, attempts)
            problem = check_digests(part, file.digests)
            if problem and resumed:
                # The kept bytes may come from another mirror or another version: start afresh once.
                part.unlink()
                _download(url, part, timeout, progress, attempts)
                problem = check_digests(part, file.digests)
        except (OSError, http.client.HTTPException, ValueError) as e:
            failures.append(f"{url}: {describe(e)}")
            continue
        if problem:
            part.unlink()
            failures.append(f"{url}: checksum mismatch, {problem}; the download was deleted")
            continue
        os.replace(part, dest)
        return dest
    raise DownloadError(file.name, failures or ["no mirror to download from"])
