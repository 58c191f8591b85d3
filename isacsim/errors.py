"""The one distinction the command line needs: the user's input, or a fault.

Every check of user input raises :class:`InputError` (or
:class:`InputTypeError` for a wrong kind of object) with a one-line message
that starts with the offending field. ``isacsim`` exits with 2 on these, and
only on these: any other exception, a ``ValueError`` from deep inside NumPy or
SciPy included, is an internal failure (exit 1). A failure inside a
third-party plugin's code is a :class:`PluginFailure` (exit 1), which names
the plugin instead of asking for a bug report to isacsim. An output that the
system refuses to take (a full disk, an I/O error, a closed or full stream)
is an :class:`OutputError` (exit 5), which names the path and the cause.
"""
from __future__ import annotations

__all__ = ["InputError", "InputTypeError", "PluginFailure", "OutputError"]


class InputError(ValueError):
    """Bad user input: a field, file, option or environment setting (exit 2)."""


class InputTypeError(InputError, TypeError):
    """User input of the wrong kind of object (exit 2)."""


class PluginFailure(RuntimeError):
    """A third-party plugin's code raised while it ran (exit 1, the plugin named)."""


class OutputError(Exception):
    """An output could not be written: the disk is full, an I/O error, a closed or full stream (exit 5).

    The message starts with the path (or ``standard output``) and ends with
    the system's reason. What was written before stays valid: files are
    replaced atomically and results are appended one fsync'ed task at a time.
    """
