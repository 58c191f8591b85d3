"""Run a call in a child process that can die, hang or print without harm.

:func:`call_isolated` forks a child (POSIX ``fork``: the child shares the
parent's modules and data, so nothing needs pickling on the way in), runs the
call there and sends back its value. Whatever the call does, the parent gets
a value or a :class:`CallFailed` that says what happened in one line:

* it raised (``KeyboardInterrupt`` and ``SystemExit`` too: ``sys.exit(3)``);
* its process ended without an answer (``os._exit``, a segfault, the
  out-of-memory killer): the exit code or the signal;
* it ran past ``timeout`` seconds: the child is killed;
* its value cannot be sent back (not picklable).

While the call runs, everything it writes to standard output, through
Python or straight to file descriptor 1, goes to standard error: a caller's
stdout (``isacsim solve --json``) stays its own. The child ignores Ctrl-C
(the parent handles it and kills the child), writes no core file, and dies
with its parent.

Where ``fork`` does not exist (Windows), the call runs in this process: no
isolation and no time limit (:data:`ISOLATION_AVAILABLE` is False).
"""
from __future__ import annotations

import ctypes
import os
import pickle
import select
import signal
import sys
import threading
import time

__all__ = ["call_isolated", "CallFailed", "TimedOut", "die_with_parent", "describe_exit", "ISOLATION_AVAILABLE"]

#: Whether calls can run in a forked child on this platform.
ISOLATION_AVAILABLE = hasattr(os, "fork")
#: How often a child checks that its parent is alive, where the kernel cannot tell it [s].
_WATCH_SECONDS = 1.0
_PR_SET_PDEATHSIG = 1
_CHUNK = 1 << 16


class CallFailed(Exception):
    """The isolated call did not return a value; the message says what happened instead."""


class TimedOut(CallFailed):
    """The isolated call ran past its time limit and was stopped."""


def die_with_parent(parent_pid):
    """Exit this process as soon as ``parent_pid`` is no longer its parent.

    On Linux the kernel kills it when the parent dies (``PR_SET_PDEATHSIG``);
    elsewhere a watchdog thread notices that it has been re-parented.
    """
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):  # pragma: no cover - no prctl: the watchdog alone
            pass

    def watch():
        while os.getppid() == parent_pid:
            time.sleep(_WATCH_SECONDS)
        os._exit(1)

    if os.getppid() != parent_pid:  # the parent died before the kernel was told
        os._exit(1)
    threading.Thread(target=watch, name="isacsim-parent-watch", daemon=True).start()


def describe_exit(exitcode):
    """Why a process ended, in words, from a ``multiprocessing``-style exit code (negative: a signal)."""
    if exitcode is not None and exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        hint = " (e.g. the out-of-memory killer)" if -exitcode == signal.SIGKILL else ""
        return f"killed by {name}{hint}"
    return f"exited with code {exitcode}"


def _describe_raised(error):
    """What a call that raised ``error`` did, in words."""
    if isinstance(error, SystemExit):
        return f"called sys.exit({error.code!r})"
    return f"raised {type(error).__name__}: {' '.join(str(error).split())}".rstrip(": ")


def _stdout_to_stderr():
    """Send this process's standard output, Python's and descriptor 1, to standard error (or nowhere if that is closed)."""
    try:
        os.dup2(2, 1)
    except OSError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.close(devnull)
    sys.stdout = sys.stderr


def _child(function, args, passes, write_fd, parent_pid):
    """The child's whole life: run the call, send ``(kind, value, seconds)``, exit. Never returns."""
    try:
        die_with_parent(parent_pid)
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
        try:
            import resource

            resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # a segfault leaves no core file behind
        except (ImportError, ValueError, OSError):  # pragma: no cover - no such limit here
            pass
        _stdout_to_stderr()
        started = time.perf_counter()
        try:
            message = ("value", function(*args))
        except passes as error:
            message = ("pass", error)
        except BaseException as error:  # noqa: BLE001 - every way of failing is reported, SystemExit included
            message = ("raised", _describe_raised(error))
        seconds = time.perf_counter() - started
        try:
            data = pickle.dumps((*message, seconds), protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as error:  # noqa: BLE001 - an answer that cannot travel
            data = pickle.dumps(("raised", f"returned {type(message[1]).__name__}, which cannot be sent back ({_describe_raised(error)})", seconds))
        view = memoryview(data)
        while view:
            view = view[os.write(write_fd, view):]
    except BaseException:  # noqa: BLE001 - nothing may escape into the parent's code
        pass
    finally:
        try:
            sys.stderr.flush()
        finally:
            os._exit(0)


def call_isolated(function, *args, timeout=None, passes=()):
    """``function(*args)`` in a forked child process.

    Parameters
    ----------
    function : callable
        Runs in the child; its return value must be picklable.
    *args
        Its arguments (inherited by the child, not pickled).
    timeout : float or None
        Time limit [s]; ``None`` waits as long as it takes.
    passes : tuple of exception types
        Exceptions of these types raised by the call are raised again here
        (e.g. the caller's bad input); every other one is a :class:`CallFailed`.

    Returns
    -------
    (object, float)
        The value, and the call's wall time in the child [s].

    Raises
    ------
    TimedOut
        After ``timeout`` seconds (the child is killed).
    CallFailed
        If the call raised, its process ended without an answer, or its value
        could not be sent back; the message says which, in one line.
    """
    if not ISOLATION_AVAILABLE:  # pragma: no cover - Windows: in this process
        started = time.perf_counter()
        return function(*args), time.perf_counter() - started
    for stream in (sys.stdout, sys.stderr):  # nothing buffered may be written twice (by the child too)
        try:
            stream.flush()
        except (OSError, ValueError, AttributeError):
            pass
    read_fd, write_fd = os.pipe()
    parent_pid = os.getpid()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child (measured by the tests through its effects)
        os.close(read_fd)
        _child(function, args, passes, write_fd, parent_pid)
    os.close(write_fd)
    try:
        data = _read_all(read_fd, None if timeout is None else time.monotonic() + timeout)
    except TimedOut:
        _kill(pid)
        raise TimedOut(f"timed out after {timeout:g} s") from None
    except BaseException:  # Ctrl-C in the parent: the child goes too
        _kill(pid)
        raise
    finally:
        os.close(read_fd)
    status = _reap(pid)
    if not data:
        raise CallFailed(f"ended its process without an answer ({describe_exit(status)})")
    try:
        kind, value, seconds = pickle.loads(data)
    except Exception:  # noqa: BLE001 - a torn answer: the process died while sending it
        raise CallFailed(f"ended its process while answering ({describe_exit(status)})") from None
    if kind == "raised":
        raise CallFailed(value)
    if kind == "pass":
        raise value
    return value, seconds


def _read_all(fd, deadline):
    """Everything the child writes to ``fd`` until it closes it; TimedOut past ``deadline``."""
    chunks = []
    while True:
        remaining = None if deadline is None else deadline - time.monotonic()
        if remaining is not None and remaining <= 0:
            raise TimedOut()
        ready, _, _ = select.select([fd], [], [], remaining)
        if not ready:
            continue
        chunk = os.read(fd, _CHUNK)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def _kill(pid):
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    _reap(pid)


def _reap(pid):
    """Wait for the child; its exit code, negative for a signal (as ``multiprocessing`` reports it)."""
    while True:
        try:
            _, status = os.waitpid(pid, 0)
        except ChildProcessError:
            return None
        except InterruptedError:  # pragma: no cover - retried by Python itself since 3.5
            continue
        return -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)
