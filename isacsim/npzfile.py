"""Reading an ``.npz`` archive without trusting it, and writing one that reads back as written.

:func:`read_npz` opens only a regular file (a FIFO would block forever),
reads every member's ``.npy`` header before any data, and refuses, with one
line naming the file and the member:

* anything that is not a zip of ``.npy`` members (stored or deflated, not
  encrypted, no duplicate names);
* object arrays (pickles), structured, datetime and zero-width dtypes;
* declared sizes whose sum exceeds a limit (:data:`MAX_BYTES_ENV`), before
  decompressing anything;
* a member whose zip entry, ``.npy`` header and actual data disagree in
  size, or whose data is corrupt (CRC).

Memory use is bounded by the limit however the file lies.

:func:`write_npz` writes every named array as it is, whatever its name
(``numpy.savez`` takes some names, such as ``file`` or ``allow_pickle``, as
its own arguments).
"""
from __future__ import annotations

import contextlib
import math
import os
import stat
import warnings
import zipfile

import attrs
import numpy as np
from numpy.lib import format as npy_format

from .limits import format_bytes
from .errors import InputError

__all__ = ["read_npz", "write_npz", "max_bytes", "MAX_BYTES_ENV", "DEFAULT_MAX_BYTES"]

#: Environment variable: the most bytes of array data a file may declare.
MAX_BYTES_ENV = "ISACSIM_MAX_PROBLEM_BYTES"
#: 512 MiB: L = 19, K = 8, Nt = 128 with Q = 5,000 points needs ~215 MB.
DEFAULT_MAX_BYTES = 512 * 2**20

_ACCEPTED_KINDS = "biufcSU"  # numbers, booleans and text; never objects
_DEFLATE_MAX_RATIO = 1032  # deflate cannot expand data more than ~1032:1
_HEADER_READERS = {(1, 0): npy_format.read_array_header_1_0, (2, 0): npy_format.read_array_header_2_0}
_CHUNK = 2**20


def max_bytes():
    """The size limit of :func:`read_npz` [bytes], from :data:`MAX_BYTES_ENV`.

    Raises
    ------
    InputError
        If the variable is set to anything but a positive integer.
    """
    text = os.environ.get(MAX_BYTES_ENV, "").strip()
    if text and not (text.isdecimal() and int(text) > 0):
        raise InputError(f"{MAX_BYTES_ENV}: expected a positive number of bytes, got {text!r}")
    return int(text) if text else DEFAULT_MAX_BYTES


@attrs.frozen
class _Member:
    """One ``.npy`` member, as its header describes it."""

    info: zipfile.ZipInfo
    key: str
    shape: tuple
    fortran_order: bool
    dtype: np.dtype
    data_offset: int  # bytes of magic + header before the data

    @property
    def count(self):
        return math.prod(self.shape)

    @property
    def nbytes(self):
        return self.count * self.dtype.itemsize


def read_npz(path, limit=None):
    """Every array of the ``.npz`` file ``path``, checked before it is read.

    Parameters
    ----------
    path : str or os.PathLike
        A regular file (symbolic links to one are followed).
    limit : int or None
        Most bytes of array data, summed over the members; ``None`` reads
        :func:`max_bytes`.

    Returns
    -------
    dict of str -> numpy.ndarray
        Keyed by member name without ``.npy``.

    Raises
    ------
    InputError
        One line starting with ``path``: the file is missing, not a regular
        file, not an ``.npz`` archive, corrupt, holds an unsupported array,
        or declares more than ``limit`` bytes.
    """
    path = os.fspath(path)
    limit = max_bytes() if limit is None else limit
    with _open_regular_file(path) as handle, _open_archive(path, handle) as archive:
        entries = _npy_entries(path, archive, os.fstat(handle.fileno()).st_size)
        members = [_read_header(path, archive, info, limit) for info in entries]
        declared = sum(member.nbytes for member in members)
        if declared > limit:
            raise InputError(f"{path}: its arrays declare {format_bytes(declared)} in all, over the limit of {format_bytes(limit)} ({MAX_BYTES_ENV})")
        return {member.key: _read_data(path, archive, member) for member in members}


@contextlib.contextmanager
def _open_regular_file(path):
    """Open ``path`` for reading only if it is a regular file (never blocks on a FIFO)."""
    try:
        mode = os.stat(path).st_mode
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0)) if stat.S_ISREG(mode) else None
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except OSError as error:
        raise InputError(f"{path}: cannot be read ({error.strerror})") from None
    except ValueError:  # e.g. a NUL byte in the name
        raise InputError(f"{path!r}: not a valid file name") from None
    if fd is None:
        raise InputError(f"{path}: not a regular file ({_file_kind(mode)}); expected an .npz file")
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(fd).st_mode):  # replaced since the check
            raise InputError(f"{path}: not a regular file; expected an .npz file")
        yield handle


def _file_kind(mode):
    kinds = {stat.S_ISDIR: "a directory", stat.S_ISFIFO: "a FIFO", stat.S_ISCHR: "a character device",
             stat.S_ISBLK: "a block device", stat.S_ISSOCK: "a socket"}
    return next((name for test, name in kinds.items() if test(mode)), "a special file")


@contextlib.contextmanager
def _open_archive(path, handle):
    try:
        archive = zipfile.ZipFile(handle)
    except Exception as error:  # noqa: BLE001 - any failure to parse untrusted bytes is a bad file
        raise InputError(f"{path}: not an .npz archive (expected a file written by DesignProblem.save; {_reason(error)})") from None
    with archive:
        yield archive


def _npy_entries(path, archive, file_size):
    """The archive's entries, each checked to be a plain ``.npy`` member that fits in the file."""
    entries, seen = archive.infolist(), set()
    for info in entries:
        name = info.filename
        if not name.endswith(".npy"):
            raise InputError(f"{path}: member {name!r} is not an .npy array")
        if name in seen:
            raise InputError(f"{path}: member {name!r} appears twice")
        seen.add(name)
        if info.flag_bits & 0x1:
            raise InputError(f"{path}: member {name!r} is encrypted")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise InputError(f"{path}: member {name!r} uses an unsupported compression method ({info.compress_type})")
        most = info.compress_size if info.compress_type == zipfile.ZIP_STORED else _DEFLATE_MAX_RATIO * info.compress_size + 1024
        if info.header_offset + info.compress_size > file_size or info.file_size > most:
            raise InputError(
                f"{path}: member {name!r} is corrupt (its zip entry declares {info.file_size} bytes from "
                f"{info.compress_size} bytes at offset {info.header_offset} of a {file_size}-byte file)"
            )
    return entries


def _read_header(path, archive, info, limit):
    """The member's shape and dtype, from its ``.npy`` header only."""
    name = info.filename
    if info.file_size > limit + 2**16:
        raise InputError(f"{path}: member {name!r} declares {format_bytes(info.file_size)}, over the limit of {format_bytes(limit)} ({MAX_BYTES_ENV})")
    try:
        with archive.open(info) as stream, warnings.catch_warnings():
            warnings.simplefilter("ignore")  # e.g. headers written by Python 2
            version = npy_format.read_magic(stream)
            if version not in _HEADER_READERS:
                raise InputError(f"{path}: member {name!r} has an unsupported .npy format version {version}")
            shape, fortran_order, dtype = _HEADER_READERS[version](stream)
            data_offset = stream.tell()
    except InputError:
        raise
    except Exception as error:  # noqa: BLE001 - any failure to parse untrusted bytes is a bad file
        raise InputError(f"{path}: member {name!r} is not a readable .npy array ({_reason(error)})") from None
    if dtype.hasobject:
        raise InputError(f"{path}: member {name!r} holds Python objects (dtype {dtype}); only plain numeric or text arrays are read, never pickles")
    if dtype.kind not in _ACCEPTED_KINDS or dtype.itemsize == 0:
        raise InputError(f"{path}: member {name!r} has the unsupported dtype {dtype}; expected numbers or text")
    if any(n < 0 for n in shape):
        raise InputError(f"{path}: member {name!r} declares the invalid shape {shape}")
    member = _Member(info, name[: -len(".npy")], shape, fortran_order, dtype, data_offset)
    if member.nbytes > limit:
        raise InputError(
            f"{path}: member {name!r} declares shape {shape} of {dtype} ({format_bytes(member.nbytes)}), "
            f"over the limit of {format_bytes(limit)} ({MAX_BYTES_ENV})"
        )
    if info.file_size != data_offset + member.nbytes:
        raise InputError(
            f"{path}: member {name!r} is corrupt: its header declares shape {shape} of {dtype} ({member.nbytes} bytes), "
            f"its zip entry holds {info.file_size - data_offset} bytes of data"
        )
    return member


def _read_data(path, archive, member):
    """The member's array, read in chunks into one buffer of the declared size."""
    name = member.info.filename
    buffer = bytearray(member.nbytes)
    view, filled = memoryview(buffer), 0
    try:
        with archive.open(member.info) as stream:
            stream.read(member.data_offset)
            while filled < len(buffer):
                got = stream.readinto(view[filled : filled + _CHUNK])
                if not got:
                    break
                filled += got
            extra = stream.read(1)  # also reaches the end, where the CRC is checked
    except Exception as error:  # noqa: BLE001 - any failure to decode untrusted bytes is a bad file
        raise InputError(f"{path}: member {name!r} has corrupt data ({_reason(error)})") from None
    if filled < len(buffer) or extra:
        raise InputError(f"{path}: member {name!r} is corrupt: its data does not match the {member.nbytes} bytes its header declares")
    array = np.frombuffer(buffer, dtype=member.dtype, count=member.count) if member.count else np.empty(0, member.dtype)
    return array.reshape(member.shape, order="F" if member.fortran_order else "C")


def _reason(error):
    return " ".join(f"{type(error).__name__}: {error}".split())[:200]


def write_npz(handle, arrays):
    """Write ``arrays`` to the binary file ``handle`` as an uncompressed ``.npz`` archive.

    The archive is the one ``numpy.savez`` writes (one ``NAME.npy`` member
    per array, zip64 allowed), but every name is a member, never an argument.

    Parameters
    ----------
    handle : binary file
        Open for writing.
    arrays : dict of str -> array_like
        Plain numeric or text arrays; never pickled.

    Raises
    ------
    InputError
        If a value holds Python objects (it would need a pickle).
    """
    with zipfile.ZipFile(handle, mode="w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:
        for name, value in arrays.items():
            array = np.asanyarray(value)
            if array.dtype.hasobject:
                raise InputError(f"{name}: expected a plain numeric or text array, got Python objects (dtype {array.dtype})")
            with archive.open(f"{name}.npy", mode="w", force_zip64=True) as member:
                npy_format.write_array(member, array, allow_pickle=False)
