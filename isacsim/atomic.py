"""Atomic file writes: a reader sees the old file or the new one, never half.

The new content goes to a temporary file in the destination's directory,
which is then renamed over the destination. A rename replaces a symbolic
link at the destination instead of following it, so a link planted in an
output directory never redirects a write outside it. The file gets the
permissions of any newly created file (``0o666`` minus the umask), not the
``0o600`` of :func:`tempfile.mkstemp`.
"""
from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

from .errors import InputError

__all__ = ["atomic_write", "check_writable", "current_umask"]


def current_umask():
    """The process umask, read without changing it where the OS allows.

    Returns
    -------
    int
        E.g. ``0o022``.
    """
    try:
        with open("/proc/self/status") as status:  # Linux: reading leaves it untouched (no race with threads)
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o077)
    os.umask(mask)
    return mask


def _temporary_file(path):
    """Create the temporary sibling of ``path``; ``(fd, name)``.

    Raises
    ------
    InputError
        If ``path`` cannot be written: its directory is missing or not a
        directory, ``path`` is a directory, or the directory refuses files.
    """
    directory = path.absolute().parent
    if not directory.is_dir():
        problem = "does not exist" if not directory.exists() else "is not a directory"
        raise InputError(f"{path}: the directory {directory} {problem}")
    try:
        if stat.S_ISDIR(os.lstat(path).st_mode):
            raise InputError(f"{path}: is a directory, expected a file name")
    except FileNotFoundError:
        pass
    except OSError as error:
        raise InputError(f"{path}: cannot be written ({error.strerror})") from None
    try:
        return tempfile.mkstemp(dir=directory, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as error:
        raise InputError(f"{path}: cannot create a file in {directory} ({error.strerror})") from None


def check_writable(path):
    """Fail now, rather than after a long computation, if ``path`` cannot be written.

    Parameters
    ----------
    path : str or os.PathLike
        A future destination of :func:`atomic_write`.

    Raises
    ------
    InputError
        As :func:`atomic_write` would, naming ``path``.
    """
    fd, tmp = _temporary_file(Path(path))
    os.close(fd)
    os.unlink(tmp)


def atomic_write(path, write, binary=False):
    """Write ``path`` through a temporary file in the same directory, then rename.

    Parameters
    ----------
    path : str or os.PathLike
        Destination; written exactly there. A symbolic link at ``path`` is
        replaced by the new file, never followed.
    write : callable
        ``write(handle)`` fills the open temporary file.
    binary : bool
        Open the temporary file in binary mode.

    Raises
    ------
    InputError
        If the destination directory does not exist or refuses files, or the
        destination is a directory.
    """
    path = Path(path)
    fd, tmp = _temporary_file(path)
    try:
        with os.fdopen(fd, "wb" if binary else "w", **({} if binary else {"newline": ""})) as handle:
            os.fchmod(handle.fileno(), 0o666 & ~current_umask())
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.lexists(tmp):
            os.unlink(tmp)
        raise
