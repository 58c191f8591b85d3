"""The standard streams of a command: a closed one never swallows a result, a failing one is named.

A stream closed by the caller (``>&-``, ``2>&-``) is ``None`` in Python, and
its file descriptor would be handed to the next file isacsim opens, so that
whatever was meant for the stream would land in that file.
:func:`standard_streams` therefore puts ``/dev/null`` on every closed
descriptor first. A closed standard error then discards the messages (the
exit code still tells); a closed standard output is refused at once by a
command that reports on it (:func:`require_stdout`, exit 5), since its
result would be lost. A standard output that fails when written (``>
/dev/full``, an I/O error) is flushed before the command returns and
reported as an :class:`~isacsim.errors.OutputError` naming it, at the
write that fails or at the final :func:`flush_stdout`.
"""
from __future__ import annotations

import contextlib
import io
import os
import sys

from ..errors import OutputError

__all__ = ["standard_streams", "require_stdout", "flush_stdout", "stdout_name"]

#: The standard descriptors.
_DESCRIPTORS = (0, 1, 2)


def _fill_closed_descriptors():
    """Open ``/dev/null`` on each of 0, 1, 2 that is closed; the set of those."""
    closed = set()
    for fd in _DESCRIPTORS:
        try:
            os.fstat(fd)
        except OSError:
            null = os.open(os.devnull, os.O_RDWR)
            if null != fd:
                os.dup2(null, fd)
                os.close(null)
            closed.add(fd)
    return closed


def _null_text_stream(fd):
    """A text stream on ``fd``, which holds ``/dev/null``; or on a new ``/dev/null`` when ``fd`` is None."""
    raw = io.FileIO(os.devnull if fd is None else fd, "w", closefd=fd is None)
    return io.TextIOWrapper(raw, encoding="utf-8", line_buffering=True)


class _NamedStdout:
    """``sys.stdout``, whose write failures are :class:`OutputError` naming it.

    After a failure, standard output is pointed at ``/dev/null``, so that
    Python's own flush at exit does not fail again. A broken pipe (the reader
    stopped reading, ``| head``) is passed on as it is: not an error.
    """

    def __init__(self, stream):
        self._stream = stream

    def _guarded(self, method, *args):
        try:
            return method(*args)
        except BrokenPipeError:
            raise
        except OSError as error:
            name = stdout_name()
            with contextlib.suppress(OSError, ValueError, AttributeError):
                null = os.open(os.devnull, os.O_WRONLY)
                os.dup2(null, self._stream.fileno())
                os.close(null)
            raise OutputError(f"{name}: cannot be written ({error.strerror or error})") from error

    def write(self, text):
        return self._guarded(self._stream.write, text)

    def writelines(self, lines):
        return self._guarded(self._stream.writelines, lines)

    def flush(self):
        return self._guarded(self._stream.flush)

    def __getattr__(self, name):
        return getattr(self._stream, name)


@contextlib.contextmanager
def standard_streams():
    """Make closed standard streams safe, and standard output's failures named, for the duration of a command.

    Yields
    ------
    bool
        Whether standard output was closed by the caller.
    """
    closed = _fill_closed_descriptors()
    replaced = {}
    for fd, name in ((1, "stdout"), (2, "stderr")):
        if getattr(sys, name) is None:  # closed when Python started (its descriptor may since serve a file)
            replaced[name] = _null_text_stream(fd if fd in closed else None)
            setattr(sys, name, replaced[name])
    stdout = sys.stdout
    sys.stdout = _NamedStdout(stdout)
    try:
        yield "stdout" in replaced
    finally:
        if isinstance(sys.stdout, _NamedStdout):
            sys.stdout = stdout
        for name, stream in replaced.items():
            setattr(sys, name, None)
            with contextlib.suppress(OSError):
                stream.close()


def stdout_name():
    """``standard output``, with where it goes when the system says (``standard output (/dev/full)``)."""
    try:
        target = os.readlink("/proc/self/fd/1")
    except OSError:
        return "standard output"
    return f"standard output ({target})" if target.startswith("/") else "standard output"


def require_stdout(closed):
    """Refuse a command whose report would go to a closed standard output.

    Raises
    ------
    OutputError
        If ``closed``.
    """
    if closed:
        raise OutputError(
            "standard output: is closed, so the result would be lost; redirect it to a file "
            "(or to /dev/null to discard it)"
        )


def flush_stdout():
    """Flush standard output, so that a failure to write it is reported before the command returns.

    Raises
    ------
    OutputError
        If the system refuses the data (a full device, an I/O error).
    BrokenPipeError
        Passed on: the reader stopped reading (``| head``), which is not an error.
    """
    if sys.stdout is not None:
        sys.stdout.flush()
