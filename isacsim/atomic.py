"""Atomic file writes: a reader sees the old file or the new one, never half."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path
from .errors import InputError

__all__ = ["atomic_write"]


def atomic_write(path, write, binary=False):
    """Write ``path`` through a temporary file in the same directory, then rename.

    Parameters
    ----------
    path : str or os.PathLike
        Destination; written exactly there.
    write : callable
        ``write(handle)`` fills the open temporary file.
    binary : bool
        Open the temporary file in binary mode.

    Raises
    ------
    ValueError
        If the destination directory does not exist.
    """
    path = Path(path)
    directory = path.absolute().parent
    if not directory.is_dir():
        raise InputError(f"{path}: the directory {directory} does not exist")
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb" if binary else "w", **({} if binary else {"newline": ""})) as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
