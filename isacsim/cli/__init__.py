"""The ``isacsim`` command line: one module per subcommand, :mod:`.common` for what they share.

Exit codes: 0 success; 2 bad input or usage (one line on stderr naming the
field, no traceback); 3 infeasible design; 4 a sweep finished with failed
points (one line per distinct error on stderr; a re-run retries them); 1 an
internal failure (one line; the traceback too when ``ISACSIM_DEBUG=1``).
Nothing in the library imports this package; it sits on top.
"""
from __future__ import annotations

import sys
import traceback

from ..errors import InputError, PluginFailure
from . import bench, dataset, designers, problem, reproduce, solve
from .common import (
    DEBUG_ENV,
    EXIT_FAILED_POINTS,
    EXIT_FAILURE,
    EXIT_INFEASIBLE,
    EXIT_OK,
    EXIT_USAGE,
    Parser,
    debugging,
    numerical_warnings_hidden,
    one_line,
)

__all__ = ["main", "build_parser", "script", "EXIT_OK", "EXIT_FAILURE", "EXIT_USAGE", "EXIT_INFEASIBLE", "EXIT_FAILED_POINTS", "DEBUG_ENV"]

#: The subcommands, in the order of the help.
SUBCOMMANDS = (reproduce, problem, solve, dataset, designers, bench)


def build_parser():
    """The argument parser of the ``isacsim`` command."""
    from .. import __version__

    parser = Parser(prog="isacsim", description="Coordinated beamforming for networked ISAC.")
    parser.add_argument("--version", action="version", version=f"isacsim {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    subparsers.required = True
    for module in SUBCOMMANDS:
        module.add(subparsers)
    return parser


def main(argv=None):
    """Entry point of the ``isacsim`` console script; returns the exit code."""
    try:
        args = build_parser().parse_args(argv)
        with numerical_warnings_hidden():
            return args.handler(args)
    except InputError as error:  # bad input, named by the validators
        print(f"isacsim: error: {one_line(error)}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("isacsim: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. piped into `head`
        sys.stderr.close()
        return EXIT_OK
    except PluginFailure as error:  # a third-party plugin's bug: named, not ours to report
        if debugging():
            traceback.print_exc()
        print(f"isacsim: failed: {one_line(error)}", file=sys.stderr)
        return EXIT_FAILURE
    except Exception as error:  # noqa: BLE001 - an internal failure: one line, exit 1
        if debugging():
            traceback.print_exc()
        print(
            f"isacsim: internal error: {type(error).__name__}: {one_line(error)} "
            f"(please report it; {DEBUG_ENV}=1 prints the traceback)",
            file=sys.stderr,
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
