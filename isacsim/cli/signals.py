"""SIGTERM and SIGHUP end a command as Ctrl-C does: cleanly, with one line.

By default either signal kills Python at once and silently (exit 143 or 129):
no ``finally`` block runs, so worker processes are not stopped, a progress
bar is left half-drawn and nothing says why the command ended. While a
command runs, :func:`terminations_raised` turns them into a
:class:`Terminated` exception instead, which unwinds like a
``KeyboardInterrupt``; :func:`isacsim.cli.main` prints
``isacsim: terminated (SIGTERM)`` and exits with 128 + the signal number.
Results already written stay (rows are appended and fsync'ed task by task),
so running the same command again resumes.

A signal that the caller set to be ignored (``nohup`` ignores SIGHUP) stays
ignored. A process forked while the handlers are installed (a worker) dies
of the signal as it would by default.
"""
from __future__ import annotations

import contextlib
import os
import signal
import threading

__all__ = ["Terminated", "terminations_raised", "TERMINATING"]

#: The signals handled: termination requests other than Ctrl-C (SIGINT).
TERMINATING = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name))


class Terminated(BaseException):
    """The command was asked to stop by a signal (not an ``Exception``: nothing catches it by accident).

    Parameters
    ----------
    signum : int
        The signal's number.
    """

    def __init__(self, signum):
        super().__init__(signum)
        self.signum = signum

    @property
    def name(self):
        """The signal's name, e.g. ``"SIGTERM"``."""
        try:
            return signal.Signals(self.signum).name
        except ValueError:
            return f"signal {self.signum}"

    @property
    def exit_code(self):
        """128 + the signal number, the shell's convention."""
        return 128 + self.signum


@contextlib.contextmanager
def terminations_raised():
    """While inside, SIGTERM and SIGHUP raise :class:`Terminated` in this process.

    Only in the main thread (where Python runs signal handlers); the previous
    handlers come back on exit.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    owner = os.getpid()

    def handler(signum, frame):
        if os.getpid() != owner:  # a forked child: end as the signal's default action would
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)
            return
        raise Terminated(signum)

    previous = {}
    for signum in TERMINATING:
        if signal.getsignal(signum) is signal.SIG_DFL:  # an ignored signal (nohup) stays ignored
            previous[signum] = signal.signal(signum, handler)
    try:
        yield
    finally:
        for signum, old in previous.items():
            signal.signal(signum, old)
