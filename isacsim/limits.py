"""The memory limit of every isacsim command, and the refusal above it.

Everything whose size a user chooses (a problem's users and antennas, a
grid's points, a sweep's realizations, a solver's model) is estimated before
it is built; an estimate over :func:`memory_limit` is refused at once with a
:class:`MemoryLimitError` (an :class:`~isacsim.errors.InputError`: the CLI
exits with 2 and one line naming the estimate), instead of growing until the
machine swaps or the out-of-memory killer ends the run.

The limit is the environment variable ``ISACSIM_SOLVER_MEMORY_LIMIT`` (bytes,
or with a binary suffix such as ``8GiB``; ``inf`` turns every check off), by
default the smaller of 4 GiB and half the physical memory.
"""
from __future__ import annotations

import math
import os
import re

from .errors import InputError

__all__ = ["LIMIT_VARIABLE", "DEFAULT_LIMIT", "MemoryLimitError", "memory_limit", "require_memory", "format_bytes", "available_memory"]

#: Environment variable holding the limit [bytes].
LIMIT_VARIABLE = "ISACSIM_SOLVER_MEMORY_LIMIT"
#: Largest default limit [bytes]: 4 GiB.
DEFAULT_LIMIT = 4 * 2**30
_UNITS = {"": 1, "k": 2**10, "m": 2**20, "g": 2**30, "t": 2**40}


class MemoryLimitError(InputError):
    """Refused before anything was built: the estimated memory exceeds the limit.

    Attributes
    ----------
    estimate : float
        Estimated peak memory [bytes].
    limit : float
        The limit in force [bytes].
    """

    def __init__(self, message, *, estimate, limit):
        super().__init__(message)
        self.estimate = estimate
        self.limit = limit


def format_bytes(n_bytes):
    """``n_bytes`` as a short binary-prefixed string, e.g. ``'4.0 GiB'``."""
    for unit, size in (("PiB", 2**50), ("TiB", 2**40), ("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n_bytes >= size:
            return f"{n_bytes / size:.1f} {unit}"
    return f"{n_bytes:.0f} B"


def _physical_memory():
    """Physical memory [bytes], or None where the platform does not say."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        return None


def available_memory():
    """Memory available to new processes [bytes] (Linux ``MemAvailable``), else the physical memory, else None."""
    try:
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return _physical_memory()


def memory_limit():
    """The memory limit [bytes].

    Returns
    -------
    float
        ``ISACSIM_SOLVER_MEMORY_LIMIT`` if set (a number of bytes, optionally
        with a binary suffix ``K``, ``M``, ``G``, ``T``, ``KiB``, ... ; ``inf``
        disables the checks), else ``min(4 GiB, physical memory / 2)``.

    Raises
    ------
    InputError
        If the variable is set but is not a positive size.
    """
    text = os.environ.get(LIMIT_VARIABLE, "").strip()
    if not text:
        physical = _physical_memory()
        return float(min(DEFAULT_LIMIT, physical / 2) if physical else DEFAULT_LIMIT)
    match = re.fullmatch(r"([0-9.eE+]+|inf)\s*([kKmMgGtT]?)(i?[bB])?", text)
    try:
        value = float(match.group(1)) * _UNITS[match.group(2).lower()] if match else math.nan
    except ValueError:
        value = math.nan
    if not value > 0:
        raise InputError(f"{LIMIT_VARIABLE}: expected a positive size in bytes such as 8589934592 or 8GiB, got {text!r}")
    return value


def require_memory(what, estimate, *, advice="", limit=None, error=MemoryLimitError):
    """Refuse ``what`` if its estimated memory exceeds the limit; call it before building anything.

    Parameters
    ----------
    what : str
        What would be built, starting with the field or option that sizes
        it, e.g. ``"n_per_side: a grid of 10000000000 points"``.
    estimate : float
        Its estimated peak memory [bytes].
    advice : str
        How to make it fit, appended to the message.
    limit : float or None
        [bytes]; default :func:`memory_limit`.
    error : type
        The :class:`MemoryLimitError` subclass to raise.

    Raises
    ------
    MemoryLimitError
        With one line naming ``what``, the estimate, the limit and how to raise it.
    """
    limit = memory_limit() if limit is None else float(limit)
    if estimate > limit:
        raise error(
            f"{what} would need about {format_bytes(estimate)} of memory (estimate), over the limit of "
            f"{format_bytes(limit)}{'; ' + advice if advice else ''}; or raise the limit with {LIMIT_VARIABLE}=BYTES (e.g. 16GiB)",
            estimate=estimate,
            limit=limit,
        )
