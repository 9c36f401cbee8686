"""A one-line progress bar for training: counts, images/s, running metrics, ETA; and the
small text helpers of what training prints (plural, format_seconds)."""

from __future__ import annotations

import sys
import time


def plural(n: int, word: str) -> str:
    """ "1 epoch", "3 epochs": n and word, with an s unless n is 1."""
    return f"{n} {word}{'' if n == 1 else 's'}"


def format_seconds(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}" if seconds >= 60 else f"{seconds}s"


class ProgressBar:
    """Redraws one line on a terminal; elsewhere (pipes, logs) prints only the final line."""

    def __init__(self, total: int, prefix: str = "", stream=None, width: int = 24):
        self.total, self.prefix, self.width = total, prefix, width
        self.stream = stream or sys.stdout
        self.live = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.start = time.perf_counter()
        self._last_draw = 0.0

    def update(self, done: int, metrics: dict[str, float]) -> None:
        now = time.perf_counter()
        if not self.live or (now - self._last_draw < 0.1 and done < self.total):
            return
        self._last_draw = now
        elapsed = now - self.start
        rate = done / elapsed if elapsed > 0 else 0.0
        eta = (self.total - done) / rate if rate > 0 else 0.0
        filled = int(self.width * done / max(self.total, 1))
        bar = "=" * filled + ">" * (filled < self.width) + "." * (self.width - filled - 1)
        text = " - ".join(f"{k}: {v:.4f}" for k, v in metrics.items())
        self.stream.write(
            f"\r{self.prefix}[{bar[: self.width]}] {done}/{self.total} - {rate:,.0f} img/s - "
            f"ETA {format_seconds(eta)} - {text}\033[K"
        )
        self.stream.flush()

    def finish(self, summary: str) -> None:
        elapsed = time.perf_counter() - self.start
        rate = self.total / elapsed if elapsed > 0 else 0.0
        line = f"{self.prefix}{format_seconds(elapsed)} - {rate:,.0f} img/s - {summary}"
        self.stream.write(f"\r{line}\033[K\n" if self.live else line + "\n")
        self.stream.flush()
