"""What every ``isacsim`` subcommand shares: exit codes, the parser, error lines.

Exit codes: 0 success; 2 bad input or usage (one line on stderr naming the
field, no traceback); 3 infeasible design; 4 a sweep finished with failed
points (one line per distinct error on stderr; a re-run retries them); 5 an
output could not be written (a full disk, an I/O error, a closed or full
standard output: one line naming the path and the cause); 1 an internal
failure (one line; the traceback too when ``ISACSIM_DEBUG=1``); 128 + N
ended by signal N (130 Ctrl-C, 129 SIGHUP, 143 SIGTERM; one line).
"""
from __future__ import annotations

import argparse
import contextlib
import os
import warnings

from ..errors import InputError
from ..strictjson import finite as finite_json

__all__ = [
    "EXIT_OK", "EXIT_FAILURE", "EXIT_USAGE", "EXIT_INFEASIBLE", "EXIT_FAILED_POINTS", "EXIT_OUTPUT", "DEBUG_ENV",
    "USAGE_CODE", "INTERNAL_CODE", "OUTPUT_CODE",
    "UsageError", "Parser", "subcommand", "exit_codes", "add_set_argument", "finite_json", "one_line", "debugging",
    "numerical_warnings_hidden", "add_scheme_arguments",
]

EXIT_OK, EXIT_FAILURE, EXIT_USAGE, EXIT_INFEASIBLE, EXIT_FAILED_POINTS, EXIT_OUTPUT = 0, 1, 2, 3, 4, 5

#: Set to 1 to print the traceback of an internal failure.
DEBUG_ENV = "ISACSIM_DEBUG"


class UsageError(InputError):
    """Bad command-line usage."""


class Parser(argparse.ArgumentParser):
    """An argument parser whose errors are :class:`UsageError` (exit 2, one line)."""

    def error(self, message):
        raise UsageError(message)


def subcommand(subparsers, name, *, help, description=None, examples=()):
    """A subcommand whose help ends with worked examples."""
    epilog = "examples:\n" + "\n".join(f"  {line}" for line in examples) if examples else None
    return subparsers.add_parser(
        name, help=help, description=description or help[0].upper() + help[1:] + ".", epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


def exit_codes(parser, codes):
    """End a subcommand's help with its exit codes.

    Parameters
    ----------
    parser : argparse.ArgumentParser
        The subcommand's parser (from :func:`subcommand`).
    codes : dict
        ``{exit code: what it means}``, listed in the order given.
    """
    listing = "exit codes:\n" + "\n".join(f"  {code}  {meaning}" for code, meaning in codes.items())
    parser.epilog = f"{parser.epilog}\n\n{listing}" if parser.epilog else listing


def add_set_argument(parser, help):
    """``--set FIELD=VALUE`` (repeatable) into ``args.assignments``, for :func:`isacsim.scenario.parse_assignments`."""
    parser.add_argument("--set", dest="assignments", action="append", default=[], metavar="FIELD=VALUE", help=help)


#: The exit codes every subcommand shares, for :func:`exit_codes`.
USAGE_CODE = {EXIT_USAGE: "bad input or usage: one line on stderr naming the field"}
INTERNAL_CODE = {EXIT_FAILURE: f"an internal failure: one line ({DEBUG_ENV}=1 prints the traceback)"}
OUTPUT_CODE = {EXIT_OUTPUT: "an output could not be written (--out or standard output: full disk, I/O error, closed), one line naming it"}
def add_scheme_arguments(parser):
    """``--designer``, ``--receiver`` and ``--sync``/``--no-sync`` (``synchronized``): what designs a problem."""
    parser.add_argument("--designer", default="sdr", help="registered designer, any case (see 'isacsim designers') (default: %(default)s)")
    parser.add_argument("--receiver", default="type-ii", help="the users' receiver: type-i or type-ii, any case (default: %(default)s)")
    sync = parser.add_mutually_exclusive_group()
    sync.add_argument("--sync", dest="synchronized", action="store_true", default=True, help="Scenario I: synchronized BSs (default)")
    sync.add_argument("--no-sync", dest="synchronized", action="store_false", help="Scenario II: unsynchronized BSs")


@contextlib.contextmanager
def numerical_warnings_hidden():
    """Hide RuntimeWarnings (overflow, invalid value...) unless debugging.

    Every status is decided from constraints recomputed from the returned
    beams, with non-finite numbers never passing (:func:`isacsim.designers.verify.check_design`),
    so a numerical warning on the way tells a user nothing; ``ISACSIM_DEBUG=1`` shows them.
    """
    with warnings.catch_warnings():
        if not debugging():
            warnings.simplefilter("ignore", RuntimeWarning)
        yield


def debugging():
    """Whether ``ISACSIM_DEBUG`` asks for tracebacks and warnings."""
    return os.environ.get(DEBUG_ENV, "") not in ("", "0")


def one_line(error):
    """An exception's message on one line."""
    return " ".join(str(error).split())
