"""One run per results directory: an exclusive advisory lock on the directory itself.

The lock is ``fcntl.flock`` on an open descriptor of ``DIR``, so the kernel
releases it when the holding process ends, however it ends (even
``kill -9``): a lock left by a killed run never blocks the next one. Since
the lock is on the directory and not on a file in it, deleting a file (even
``DIR/.lock``) cannot let a second run in. ``DIR/.lock`` only records the
holder's pid for the message.

Where the file system cannot lock a directory (NFS emulates ``flock`` with
locks that need a file open for writing), the lock is taken on ``DIR/.lock``
instead. Either way :meth:`DirectoryLock.check`, called before every write of
the results, makes sure that the locked directory (and lock file) are still
the ones at their paths: if they were removed or replaced during the run, the
run stops there instead of writing alongside another.
"""
from __future__ import annotations

import contextlib
import errno
import os
from pathlib import Path

from ..errors import InputError

__all__ = ["DirectoryInUse", "LockLost", "DirectoryLock", "exclusive_directory"]

LOCK_NAME = ".lock"


class DirectoryInUse(InputError):
    """Another isacsim run holds the results directory (the CLI exits with 2)."""


class LockLost(InputError):
    """The locked directory or lock file was removed or replaced during the run (the CLI exits with 2)."""


def _identity(stat_result):
    return stat_result.st_dev, stat_result.st_ino


class DirectoryLock:
    """A held lock of a results directory.

    Attributes
    ----------
    directory : Path
    locked : Path
        What the lock is on: ``directory`` itself, or its ``.lock`` file
        where the file system cannot lock a directory.
    """

    def __init__(self, directory, locked, descriptor):
        self.directory = directory
        self.locked = locked
        self._descriptor = descriptor
        self._identity = _identity(os.fstat(descriptor))

    def check(self):
        """Make sure the lock still excludes every other run; call it before writing results.

        Raises
        ------
        LockLost
            If what the lock is on is no longer at its path (deleted, renamed
            or replaced), so that another run may have started in the
            directory.
        """
        try:
            current = _identity(os.stat(self.locked) if self.locked == self.directory else os.lstat(self.locked))
        except OSError:
            current = None
        if current != self._identity:
            raise LockLost(
                f"{self.locked}: was removed or replaced during the run, so another isacsim run could use {self.directory}; "
                "this run stops here (its finished tasks are kept: run the same command again to resume)"
            )


def _flock(descriptor):
    """``flock`` ``descriptor`` exclusively without waiting: True if held, False if another process holds it."""
    import fcntl  # POSIX; imported here so that the module itself imports anywhere

    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _open_record(directory):
    """``DIR/.lock`` opened for reading and writing, created if missing, never through a symbolic link."""
    try:
        return os.open(directory / LOCK_NAME, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0), 0o666)
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise InputError(f"--out {directory}: its {LOCK_NAME} is a symbolic link, which isacsim never writes through; remove it") from None
        raise InputError(f"--out {directory}: cannot use it as a results directory ({error.strerror or error})") from None


def _holder(directory):
    try:
        with open(directory / LOCK_NAME) as record:
            return record.read().strip() or "unknown"
    except OSError:
        return "unknown"


@contextlib.contextmanager
def exclusive_directory(directory):
    """Hold the results directory for this process, or refuse at once.

    Parameters
    ----------
    directory : str or Path
        Created if missing.

    Yields
    ------
    DirectoryLock

    Raises
    ------
    DirectoryInUse
        If another process holds it; the message names its pid.
    InputError
        If it cannot be created or used (a file, ``/proc/x``, no
        permission, a symbolic link as its lock file).
    """
    directory = Path(directory)
    try:
        directory.mkdir(parents=True, exist_ok=True)
        directory_fd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0))
    except OSError as error:
        raise InputError(f"--out {directory}: cannot use it as a results directory ({error.strerror or error})") from None
    record_fd = None
    try:
        record_fd = _open_record(directory)
        try:
            held, locked, descriptor = _flock(directory_fd), directory, directory_fd
        except OSError:  # this file system cannot lock a directory: the lock file instead
            held, locked, descriptor = _flock(record_fd), directory / LOCK_NAME, record_fd
        if not held:
            raise DirectoryInUse(f"{directory} is in use by another isacsim run (pid {_holder(directory)})")
        lock = DirectoryLock(directory, locked, descriptor)
        os.ftruncate(record_fd, 0)
        os.pwrite(record_fd, f"{os.getpid()}\n".encode(), 0)
        yield lock
    finally:
        for fd in (record_fd, directory_fd):  # closing releases the lock
            if fd is not None:
                os.close(fd)
