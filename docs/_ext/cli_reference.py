"""The CLI reference page, generated from the argparse parsers of ``isacsim``."""
from __future__ import annotations

import argparse
import os


def _subparsers(parser):
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action.choices
    return {}


def write(path):
    """Write ``path``: the top-level help, then every subcommand's, as the code defines them."""
    from isacsim.cli import build_parser

    os.environ["COLUMNS"] = "80"  # argparse wraps to the terminal: a fixed width for the page
    parser = build_parser()
    lines = [
        "# Command-line reference",
        "",
        "Generated from the `isacsim` argument parsers when the documentation is built, so every",
        "subcommand and flag appears here as the installed code defines it. `isacsim COMMAND --help`",
        "prints the same text.",
        "",
        "```text",
        parser.format_help().rstrip(),
        "```",
        "",
    ]
    for name, sub in _subparsers(parser).items():
        lines += [f"## `isacsim {name}`", "", "```text", sub.format_help().rstrip(), "```", ""]
    text = "\n".join(lines)
    if not path.exists() or path.read_text() != text:
        path.write_text(text)
