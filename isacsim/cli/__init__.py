"""The ``isacsim`` command line: one module per subcommand, :mod:`.common` for what they share.

Exit codes: 0 success; 2 bad input or usage (one line on stderr naming the
field, no traceback); 3 infeasible design; 4 a sweep finished with failed
points (one line per distinct error on stderr; a re-run retries them); 5 an
output could not be written (one line naming the path or stream and the
cause); 1 an internal failure (one line; the traceback too when
``ISACSIM_DEBUG=1``); 128 + N ended by signal N (130 Ctrl-C, 129 SIGHUP,
143 SIGTERM), with one line.
Nothing in the library imports this package; it sits on top.
"""
from __future__ import annotations

import argparse
import errno
import sys
import traceback

from ..errors import InputError, OutputError, PluginFailure
from ..names import resolve_name
from . import bench, dataset, designers, export, problem, reproduce, solve
from .common import (
    DEBUG_ENV,
    EXIT_FAILED_POINTS,
    EXIT_FAILURE,
    EXIT_INFEASIBLE,
    EXIT_OK,
    EXIT_OUTPUT,
    EXIT_USAGE,
    Parser,
    debugging,
    numerical_warnings_hidden,
    one_line,
)
from .signals import Terminated, terminations_raised
from .streams import flush_stdout, require_stdout, standard_streams

__all__ = [
    "main", "build_parser", "script",
    "EXIT_OK", "EXIT_FAILURE", "EXIT_USAGE", "EXIT_INFEASIBLE", "EXIT_FAILED_POINTS", "EXIT_OUTPUT", "DEBUG_ENV",
]

#: Errors of the system that refuse an output rather than a user's choice of path.
_OUTPUT_ERRNOS = {errno.ENOSPC, errno.EIO, errno.EFBIG, getattr(errno, "EDQUOT", errno.ENOSPC)}

#: The subcommands, in the order of the help.
SUBCOMMANDS = (reproduce, problem, solve, dataset, designers, bench, export)


def build_parser():
    """The argument parser of the ``isacsim`` command."""
    from .. import __version__

    parser = Parser(
        prog="isacsim",
        description="Coordinated beamforming for networked ISAC.",
        epilog="'isacsim COMMAND --help' shows a command's options, examples and exit codes. Every command exits "
        f"with {EXIT_USAGE} on bad input or usage (one line on stderr naming the field) and with {EXIT_FAILURE} on an "
        f"internal failure ({DEBUG_ENV}=1 prints the traceback).",
    )
    parser.add_argument("--version", action="version", version=f"isacsim {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    subparsers.required = True
    for module in SUBCOMMANDS:
        module.add(subparsers)
    return parser


def _commands(parser):
    """The subcommand names of ``parser``."""
    return next(action.choices for action in parser._actions if isinstance(action, argparse._SubParsersAction))


def main(argv=None):
    """Entry point of the ``isacsim`` console script; returns the exit code.

    A bare ``isacsim`` prints the help (exit 0); a subcommand is matched
    without regard to case, and a near miss is answered with a suggestion.
    """
    with standard_streams() as stdout_closed, terminations_raised():
        return _main(argv, stdout_closed)


def _say(line):
    """Print one line on stderr; a stderr that fails too is given up on."""
    try:
        print(line, file=sys.stderr)
    except (OSError, ValueError):
        pass


def _main(argv, stdout_closed):
    try:
        parser = build_parser()
        argv = sys.argv[1:] if argv is None else list(argv)
        if not argv:
            require_stdout(stdout_closed)
            parser.print_help()
            flush_stdout()
            return EXIT_OK
        if not argv[0].startswith("-"):
            argv[0] = resolve_name("COMMAND", argv[0], _commands(parser), extra="; 'isacsim --help' lists them")
        args = parser.parse_args(argv)
        if not getattr(args, "quiet", False):  # every command but a quiet sweep reports on stdout
            require_stdout(stdout_closed)
        with numerical_warnings_hidden():
            code = args.handler(args)
        flush_stdout()
        return code
    except InputError as error:  # bad input, named by the validators
        _say(f"isacsim: error: {one_line(error)}")
        return EXIT_USAGE
    except OutputError as error:  # the system refused an output: named, with its cause
        _say(f"isacsim: error: {one_line(error)}")
        return EXIT_OUTPUT
    except KeyboardInterrupt:
        _say("isacsim: interrupted")
        return 130
    except Terminated as stop:
        _say(f"isacsim: terminated ({stop.name})")
        return stop.exit_code
    except BrokenPipeError:  # e.g. piped into `head`
        sys.stderr.close()
        return EXIT_OK
    except PluginFailure as error:  # a third-party plugin's bug: named, not ours to report
        if debugging():
            traceback.print_exc()
        _say(f"isacsim: failed: {one_line(error)}")
        return EXIT_FAILURE
    except OSError as error:
        if error.errno not in _OUTPUT_ERRNOS:
            return _internal_error(error)
        where = error.filename or "an output"
        _say(f"isacsim: error: {where}: cannot be written ({error.strerror})")
        return EXIT_OUTPUT
    except Exception as error:  # noqa: BLE001 - an internal failure: one line, exit 1
        return _internal_error(error)


def _internal_error(error):
    if debugging():
        traceback.print_exc()
    _say(
        f"isacsim: internal error: {type(error).__name__}: {one_line(error)} "
        f"(please report it; {DEBUG_ENV}=1 prints the traceback)"
    )
    return EXIT_FAILURE


def script(figure):
    """Entry point of a scenario script: ``python scenarios/NAME.py [options]``, shipped or one's own.

    Runs ``figure`` (not a shipped figure of that name) and exits with the
    code of ``isacsim reproduce NAME [options]``.
    """
    from ..reproduce import add

    add(figure)
    sys.exit(main(["reproduce", figure.name, *sys.argv[1:]]))
