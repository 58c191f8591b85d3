"""Progress of a run: a live bar on a terminal, a line every few seconds in logs.

On a terminal, tqdm draws its bar. Anywhere else (a batch job, ``| tee``, a
notebook's captured stderr) a bar's carriage returns would make one endless
line, so a plain line ``fig8: 12/84 tasks [00:31<01:10, 2.6 s/task]``
(tqdm's own meter text) is written when the run starts, every
:data:`LOG_INTERVAL` seconds while it runs, and when it ends. A stream that
fails (``2> /dev/full``) silences the lines; the run goes on.
"""
from __future__ import annotations

import sys
import time

from tqdm import tqdm

__all__ = ["Progress", "LOG_INTERVAL"]

#: Seconds between two progress lines off a terminal.
LOG_INTERVAL = 15.0


class _Bar(tqdm):
    """tqdm without its monitor thread: worker processes are forked while the bar is alive."""

    monitor_interval = 0


class Progress:
    """Count finished tasks and show the rate and the time left.

    Parameters
    ----------
    total : int
        Tasks to run in this session.
    label : str
        Shown first (the figure's name).
    stream : file-like
        Where to write (default ``sys.stderr``).
    enabled : bool or None
        ``False``: silent. ``None`` or ``True``: a bar on a terminal, lines
        otherwise.
    interval : float
        Seconds between two lines off a terminal.
    unit : str
        What is counted (``task``, ``sample``).
    """

    def __init__(self, total, label="", stream=None, enabled=None, interval=LOG_INTERVAL, unit="task"):
        self.total = total
        self.label = label
        self.unit = unit
        self.stream = sys.stderr if stream is None else stream
        self.interval = interval
        self.done = 0
        self.started = self.last_line = time.monotonic()
        self.mode = "off" if enabled is False or total == 0 else ("bar" if _is_terminal(self.stream) else "lines")
        self.bar = _Bar(total=total, desc=label, file=self.stream, unit=unit, dynamic_ncols=True) if self.mode == "bar" else None
        if self.mode == "lines":
            self._write_line()

    def advance(self, n=1):
        """Record ``n`` more finished tasks."""
        self.done += n
        if self.bar is not None:
            self.bar.update(n)
        elif self.mode == "lines" and time.monotonic() - self.last_line >= self.interval:
            self._write_line()

    def line(self):
        """Done/total, elapsed time, time left and rate, as text."""
        elapsed = time.monotonic() - self.started
        return tqdm.format_meter(self.done, self.total, elapsed, prefix=self.label, unit=self.unit, ncols=0)

    def close(self):
        """End the bar, or write the last line."""
        if self.bar is not None:
            self.bar.close()
        elif self.mode == "lines" and self.done:
            self._write_line()

    def _write_line(self):
        try:
            self.stream.write(self.line() + "\n")
            self.stream.flush()
        except (OSError, ValueError):  # a full or closed stream: progress is not worth stopping a run for
            self.mode = "off"
        self.last_line = time.monotonic()


def _is_terminal(stream):
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
