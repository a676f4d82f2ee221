"""A progress bar for long management commands: on a terminal only, since in logs
and pipes it would only clutter what the command reports."""

from __future__ import annotations

import time


class ProgressBar:
    WIDTH = 30

    def __init__(self, stream, label: str, total: int, *, enabled: bool = True) -> None:
        self.stream, self.label, self.total = stream, label, total
        self.enabled = enabled and stream.isatty()
        self.started = time.monotonic()
        self._last_drawn = 0.0

    def update(self, done: int) -> None:
        """Redrawn at most ten times a second, and always at the end."""
        if not self.enabled:
            return
        now = time.monotonic()
        finished = done >= self.total
        if not finished and now - self._last_drawn < 0.1:
            return
        self._last_drawn = now
        filled = self.WIDTH * done // max(self.total, 1)
        rate = done / max(now - self.started, 1e-9)
        left = f", {(self.total - done) / rate:.0f} s left" if rate and not finished else ""
        self.stream.write(
            f"\r{self.label} [{'#' * filled}{'.' * (self.WIDTH - filled)}] "
            f"{done}/{self.total} ({rate:.0f}/s{left})",
            ending="\n" if finished else "",
        )
        self.stream.flush()
