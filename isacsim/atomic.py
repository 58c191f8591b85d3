"""Writes that respect what they write to: a reader sees the old file or the new one, never half.

A regular file (or a new name) is written through a temporary file in the
destination's directory, which is then renamed over the destination. A
rename replaces a symbolic link at the destination instead of following it,
so a link planted in an output directory never redirects a write outside it.
The file gets the permissions of any newly created file (``0o666`` minus the
umask), not the ``0o600`` of :func:`tempfile.mkstemp`.

A character device (``/dev/null``, a terminal) or a FIFO at the destination,
or a symbolic link to one (``/dev/stdout``), is written in place, as a
shell's ``>`` would, and never replaced; a block device or a socket is
refused. An operating-system error while the content
is written (a full disk, an I/O error, a full device) is an
:class:`~isacsim.errors.OutputError` naming the path and the cause; a
destination that cannot be written at all (no such directory, no
permission) is an :class:`~isacsim.errors.InputError`, raised before
anything is written.
"""
from __future__ import annotations

import contextlib
import io
import os
import stat
import tempfile
from pathlib import Path

from .errors import InputError, OutputError

__all__ = ["atomic_write", "check_writable", "current_umask", "writing"]


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


@contextlib.contextmanager
def writing(name):
    """Turn an operating-system error raised inside into an :class:`OutputError` naming ``name``.

    Parameters
    ----------
    name : str or os.PathLike
        The path (or stream) being written, first in the message.
    """
    try:
        yield
    except OSError as error:
        raise OutputError(f"{name}: cannot be written ({error.strerror or error})") from error


#: Directories of the system's own links (``/dev/stdout``, ``/proc/self/fd/1``): never replaced.
_SYSTEM_DIRECTORIES = ("/dev", "/proc")


def _special_kind(path):
    """``"device"`` or ``"fifo"`` for a destination written in place, None for a regular file or a new name.

    A symbolic link to a character device or a FIFO (``/dev/stdout`` on a
    terminal or a pipe) counts as what it points at and is written through.

    Raises
    ------
    InputError
        For a block device or a socket, which are never written, and for a
        link of the system's (under ``/dev`` or ``/proc``) to a regular file,
        which is neither replaced nor written through.
    """
    try:
        mode = os.lstat(path).st_mode
        if stat.S_ISLNK(mode):
            linked, mode = True, os.stat(path).st_mode
        else:
            linked = False
    except OSError:  # a new name, a dangling link, or a path the directory checks explain
        return None
    if stat.S_ISCHR(mode):
        return "device"
    if stat.S_ISFIFO(mode):
        return "fifo"
    if stat.S_ISBLK(mode) or stat.S_ISSOCK(mode):
        kind = "a block device" if stat.S_ISBLK(mode) else "a socket"
        raise InputError(f"{path}: is {kind}; isacsim writes to regular files, character devices (such as /dev/null) and FIFOs only")
    if linked and os.path.abspath(path).startswith(tuple(d + os.sep for d in _SYSTEM_DIRECTORIES)):
        raise InputError(f"{path}: is a link of the system's to a file, which isacsim neither replaces nor writes through; give the file's own path")
    return None


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
    path = Path(path)
    if _special_kind(path):  # opened only when written: a FIFO's open waits for its reader
        if not os.access(path, os.W_OK):
            raise InputError(f"{path}: cannot be written (permission denied)")
        return
    fd, tmp = _temporary_file(path)
    os.close(fd)
    os.unlink(tmp)


def _write_in_place(path, write, binary):
    """Write the content into the device or FIFO ``path`` itself, rendered in memory first (a FIFO cannot seek)."""
    buffer = io.BytesIO() if binary else io.StringIO(newline="")
    write(buffer)
    content = buffer.getvalue() if binary else buffer.getvalue().encode("utf-8")
    try:
        fd = os.open(path, os.O_WRONLY | os.O_NOCTTY | getattr(os, "O_CLOEXEC", 0))
    except OSError as error:
        raise InputError(f"{path}: cannot be written ({error.strerror})") from None
    with writing(path), os.fdopen(fd, "wb") as handle:
        handle.write(content)
        handle.flush()


def atomic_write(path, write, binary=False):
    """Write ``path`` through a temporary file in the same directory, then rename.

    Parameters
    ----------
    path : str or os.PathLike
        Destination; written exactly there. A symbolic link at ``path`` is
        replaced by the new file, never followed. A character device or a
        FIFO is written in place (a FIFO's open waits for its reader).
    write : callable
        ``write(handle)`` fills the open temporary file.
    binary : bool
        Open the temporary file in binary mode.

    Raises
    ------
    InputError
        If the destination directory does not exist or refuses files, or the
        destination is a directory, a block device or a socket.
    OutputError
        If the system fails the write itself (a full disk, an I/O error, a
        full device); the destination is then left as it was.
    """
    path = Path(path)
    if _special_kind(path):
        _write_in_place(path, write, binary)
        return
    fd, tmp = _temporary_file(path)
    try:
        with writing(path):  # the closing flush too: it may meet the full disk
            with os.fdopen(fd, "wb" if binary else "w", **({} if binary else {"newline": ""})) as handle:
                os.fchmod(handle.fileno(), 0o666 & ~current_umask())
                write(handle)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            if os.path.lexists(tmp):
                os.unlink(tmp)
        raise
