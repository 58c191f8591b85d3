"""A progress bar with an ETA on a terminal; silent otherwise."""
from __future__ import annotations

import sys
import time

__all__ = ["Progress"]


def _clock(seconds):
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes:02d}:{seconds:02d}"


class Progress:
    """Count finished tasks and draw ``[####....] 12/84 00:31 ETA 01:10``.

    Parameters
    ----------
    total : int
        Tasks to run in this session.
    label : str
        Shown before the bar.
    stream : file-like
        Where to draw (default ``sys.stderr``).
    enabled : bool or None
        Draw or not; ``None`` draws only when ``stream`` is a terminal.
    width : int
        Bar width in characters.
    """

    def __init__(self, total, label="", stream=None, enabled=None, width=30):
        self.total = total
        self.label = label
        self.stream = sys.stderr if stream is None else stream
        self.enabled = self.stream.isatty() if enabled is None else enabled
        self.width = width
        self.done = 0
        self.started = time.monotonic()

    def advance(self, n=1):
        """Record ``n`` more finished tasks and redraw."""
        self.done += n
        if self.enabled:
            self.stream.write("\r" + self.line())
            self.stream.flush()

    def line(self):
        """The current bar as text."""
        elapsed = time.monotonic() - self.started
        fraction = self.done / self.total if self.total else 1.0
        filled = int(round(self.width * fraction))
        eta = elapsed / self.done * (self.total - self.done) if self.done else float("nan")
        eta_text = _clock(eta) if self.done else "--:--"
        return f"{self.label} [{'#' * filled}{'.' * (self.width - filled)}] {self.done}/{self.total} {_clock(elapsed)} ETA {eta_text}"

    def close(self):
        """End the bar's line."""
        if self.enabled:
            self.stream.write("\n")
            self.stream.flush()
