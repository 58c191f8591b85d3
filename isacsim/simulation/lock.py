"""One run per results directory: an exclusive advisory lock on ``DIR/.lock``.

The lock is ``fcntl.flock`` on an open file, so the kernel releases it when
the holding process ends, however it ends (even ``kill -9``): a lock left
by a killed run never blocks the next one. The file records the holder's
pid for the message.
"""
from __future__ import annotations

import contextlib
import errno
import os
from pathlib import Path

from ..errors import InputError

__all__ = ["DirectoryInUse", "exclusive_directory"]

LOCK_NAME = ".lock"


class DirectoryInUse(InputError):
    """Another isacsim run holds the results directory (the CLI exits with 2)."""


@contextlib.contextmanager
def exclusive_directory(directory):
    """Hold the results directory for this process, or refuse at once.

    Parameters
    ----------
    directory : str or Path
        Created if missing.

    Raises
    ------
    DirectoryInUse
        If another process holds it; the message names its pid.
    InputError
        If it cannot be created or used (a file, ``/proc/x``, no
        permission, a symbolic link as its lock file).
    """
    import fcntl  # POSIX; imported here so that the module itself imports anywhere

    directory = Path(directory)
    try:
        directory.mkdir(parents=True, exist_ok=True)
        # never through a symbolic link planted in the directory (O_NOFOLLOW)
        descriptor = os.open(directory / LOCK_NAME, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o666)
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise InputError(f"--out {directory}: its {LOCK_NAME} is a symbolic link, which isacsim never writes through; remove it") from None
        raise InputError(f"--out {directory}: cannot use it as a results directory ({error.strerror or error})") from None
    handle = os.fdopen(descriptor, "r+")
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            raise DirectoryInUse(f"{directory} is in use by another isacsim run (pid {holder})") from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        try:
            yield directory
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
    finally:
        handle.close()
