"""Run a call in a child process that can die, hang or print without harm.

:func:`call_isolated` runs a call in a child process and sends back its
value. Whatever the call does, the caller gets a value or a
:class:`CallFailed` that says what happened, in one line:

* it raised (``KeyboardInterrupt`` and ``SystemExit`` too: ``sys.exit(3)``);
* its process ended without an answer (``os._exit``, a segfault, the
  out-of-memory killer): the exit code or the signal;
* it ran past ``timeout`` seconds: the child is killed;
* its value cannot be sent back (not picklable).

The child is a *helper* forked from the caller (POSIX ``fork``: it starts
with the caller's modules and data) and kept for the next calls of the same
thread, which reach it pickled through a pipe. A fresh child for every call
would pay, every time, for the copy-on-write copies of the thousands of
memory pages the call touches (reference counts included): about as long as
a paper-size design. A helper that died or was stopped is replaced at the
next call; a call it cannot unpickle (a class defined after it was forked),
or whose classes are not the ones it was forked with (redefined since: a
notebook cell run again, a module reloaded), goes to a new helper; a call
that cannot be pickled goes to a child forked for it alone.

While a call runs, everything it writes to standard output, through Python
or straight to file descriptor 1, goes to standard error: a caller's stdout
(``isacsim solve --json``) stays its own. A child closes the descriptors it
inherits (its parent's sockets, pipes and locks close when the parent closes
them), ignores Ctrl-C (the caller handles it and kills the child), writes no
core file, dies with its parent, and runs its BLAS single-threaded (its
parent's BLAS threads do not survive the fork).

Where ``fork`` does not exist (Windows), the call runs in this process: no
isolation and no time limit (:data:`ISOLATION_AVAILABLE` is False).
"""
from __future__ import annotations

import ctypes
import multiprocessing
import os
import pickle
import select
import signal
import sys
import threading
import time

from .blas import single_threaded_blas_from_now

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
    """Send this process's standard output, Python's and descriptor 1, to descriptor 2 (or nowhere if that is closed).

    Python's ``sys.stdout`` and ``sys.stderr`` become plain writers on
    descriptor 2: whatever the parent had there (a notebook's stream, a test
    runner's capture) may rely on descriptors a child closes.
    """
    try:
        os.fstat(2)
    except OSError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 2)
        os.close(devnull)
    os.dup2(2, 1)
    sys.stdout = sys.stderr = open(2, "w", buffering=1, encoding="utf-8", errors="backslashreplace", closefd=False)


def _close_inherited(keep):
    """Close every descriptor inherited from the parent but stdin, stdout, stderr and ``keep``.

    Its sockets (a Dask worker's), pipes and locked files must close when
    the parent closes them, not when this child ends.
    """
    limit = os.sysconf("SC_OPEN_MAX") if hasattr(os, "sysconf") else 65536
    os.closerange(3, keep)
    os.closerange(keep + 1, max(limit, keep + 1))


def _prepare_child(parent_pid, keep):
    """What every child does first (see the module docstring); ``keep`` is the descriptor to the parent."""
    _close_inherited(keep)
    die_with_parent(parent_pid)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # a segfault leaves no core file behind
    except (ImportError, ValueError, OSError):  # pragma: no cover - no such limit here
        pass
    _stdout_to_stderr()
    single_threaded_blas_from_now()


def _answer(function, args, passes):
    """Run the call; its outcome ``(kind, value, seconds)`` pickled."""
    started = time.perf_counter()
    try:
        message = ("value", function(*args))
    except passes as error:
        message = ("pass", error)
    except BaseException as error:  # noqa: BLE001 - every way of failing is reported, SystemExit included
        message = ("raised", _describe_raised(error))
    seconds = time.perf_counter() - started
    try:
        return pickle.dumps((*message, seconds), protocol=pickle.HIGHEST_PROTOCOL)
    except Exception as error:  # noqa: BLE001 - an answer that cannot travel
        return pickle.dumps(("raised", f"returned {type(message[1]).__name__}, which cannot be sent back ({_describe_raised(error)})", seconds))


def _live_as_child(parent_pid, keep, body):
    """A child's whole life: prepare it, run ``body()``, and end the process, whatever happens. Never returns."""
    try:
        _prepare_child(parent_pid, keep)
        body()
    except BaseException:  # noqa: BLE001 - nothing may escape into the parent's code
        pass
    finally:
        try:
            sys.stderr.flush()
        finally:
            os._exit(0)


def _write_all(fd, data):
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _fingerprint(function, args):
    """Who the call's code is: the identities of the function and of the class of each argument, with their methods.

    A helper forked before a class was redefined (a notebook cell run again,
    a module reloaded) unpickles the old class under the same name; the
    fingerprints then differ, and the call goes to a new helper.
    """

    def code(value):
        kind = value if isinstance(value, type) else type(value)
        return (id(kind), *sorted(id(member) for member in vars(kind).values() if callable(member)))

    return (id(function), id(getattr(function, "__code__", None)), *(code(arg) for arg in args))


def _serve(connection):
    """A helper's work: answer calls until the pipe closes."""
    while True:
        try:
            payload = connection.recv_bytes()
        except (EOFError, OSError):
            return
        try:
            function, args, passes, fingerprint = pickle.loads(payload)
            if _fingerprint(function, args) != fingerprint:
                raise LookupError("its code changed after this helper was forked")
        except BaseException as error:  # noqa: BLE001 - e.g. a class this helper has never seen
            connection.send_bytes(pickle.dumps(("unloadable", _describe_raised(error), 0.0)))
            continue
        connection.send_bytes(_answer(function, args, passes))
        sys.stderr.flush()


class _HelperDied(Exception):
    """The helper ended during a call; the message says how."""


class _Helper:
    """A child process answering this thread's isolated calls, one at a time."""

    def __init__(self):
        _flush_standard_streams()
        self.connection, child = multiprocessing.Pipe()
        parent_pid = os.getpid()
        self.pid = os.fork()
        if self.pid == 0:  # pragma: no cover - the helper (measured by the tests through its effects)
            self.connection.close()
            _live_as_child(parent_pid, child.fileno(), lambda: _serve(child))
        child.close()

    def alive(self):
        try:
            return os.waitpid(self.pid, os.WNOHANG) == (0, 0)
        except ChildProcessError:
            return False

    def call(self, payload, timeout):
        """The helper's answer to ``payload``; TimedOut (the helper stopped) or _HelperDied."""
        try:
            self.connection.send_bytes(payload)
            if not self.connection.poll(timeout):
                self.stop()
                raise TimedOut()
            return self.connection.recv_bytes()
        except (EOFError, OSError):
            raise _HelperDied(describe_exit(_reap(self.pid))) from None
        except BaseException:  # Ctrl-C in the caller: the helper goes too
            self.stop()
            raise

    def stop(self):
        _kill(self.pid)
        self.connection.close()


#: Each thread's helper: ``{(pid, thread id): _Helper}`` (a forked process starts its own).
_HELPERS: dict[tuple[int, int], _Helper] = {}


def _helper():
    """This thread's live helper, started if need be."""
    key = (os.getpid(), threading.get_ident())
    helper = _HELPERS.get(key)
    if helper is None or not helper.alive():
        helper = _HELPERS[key] = _Helper()
    return helper


def _drop_helper():
    helper = _HELPERS.pop((os.getpid(), threading.get_ident()), None)
    if helper is not None:
        helper.stop()


def _flush_standard_streams():
    for stream in (sys.stdout, sys.stderr):  # nothing buffered may be written twice (by a child too)
        try:
            stream.flush()
        except (OSError, ValueError, AttributeError):
            pass


def _outcome(data):
    """The value of a pickled outcome, or the exception it stands for."""
    kind, value, seconds = pickle.loads(data)
    if kind == "raised":
        raise CallFailed(value)
    if kind == "pass":
        raise value
    return value, seconds


def call_isolated(function, *args, timeout=None, passes=()):
    """``function(*args)`` in a child process (see the module docstring).

    Parameters
    ----------
    function : callable
        Runs in the child; it, its arguments and its return value should be
        picklable (if they are not, the call gets a child forked for it alone).
    *args
        Its arguments.
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
    try:
        payload = pickle.dumps((function, args, passes, _fingerprint(function, args)), protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:  # noqa: BLE001 - e.g. a lambda: a child of its own inherits it
        return _call_forked(function, args, timeout, passes)
    for _ in range(2):  # a helper forked before a class existed cannot load it; a fresh one can
        try:
            data = _helper().call(payload, timeout)
        except TimedOut:
            _HELPERS.pop((os.getpid(), threading.get_ident()), None)
            raise TimedOut(f"timed out after {timeout:g} s") from None
        except _HelperDied as death:
            _HELPERS.pop((os.getpid(), threading.get_ident()), None)
            raise CallFailed(f"ended its process without an answer ({death})") from None
        if pickle.loads(data)[0] != "unloadable":
            return _outcome(data)
        _drop_helper()
    return _call_forked(function, args, timeout, passes)


def _call_forked(function, args, timeout, passes):
    """:func:`call_isolated` in a child forked for this call alone."""
    _flush_standard_streams()
    read_fd, write_fd = os.pipe()
    parent_pid = os.getpid()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child (measured by the tests through its effects)
        os.close(read_fd)
        _live_as_child(parent_pid, write_fd, lambda: _write_all(write_fd, _answer(function, args, passes)))
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
        return _outcome(data)
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError):  # a torn answer: the process died while sending it
        raise CallFailed(f"ended its process while answering ({describe_exit(status)})") from None
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
