"""``isacsim designers``: the registered designers and receivers and their plugins."""
from __future__ import annotations

from .common import OUTPUT_CODE, EXIT_OK, INTERNAL_CODE, USAGE_CODE, exit_codes, subcommand

__all__ = ["add", "run"]


def add(subparsers):
    p = subcommand(
        subparsers,
        "designers",
        help="list registered designers and receivers with their plugins",
        description="List every registered designer and receiver with the plugin that provides it. Third-party "
        "packages register theirs under the 'isacsim' entry-point group; ISACSIM_DISABLE_PLUGINS=NAME,... hides some.",
        examples=("isacsim designers", "ISACSIM_DISABLE_PLUGINS=rzf isacsim designers"),
    )
    exit_codes(
        p,
        {
            EXIT_OK: "listed (a third-party plugin that fails to import is named on stderr and left out)",
            **USAGE_CODE,
            **OUTPUT_CODE,
            **INTERNAL_CODE,
        },
    )
    p.set_defaults(handler=run)


def run(args):
    from ..plugins import designer_registry, receiver_registry

    for title, registry in (("designers", designer_registry()), ("receivers", receiver_registry())):
        print(f"{title}:")
        for name, (cls, plugin) in registry.items():
            doc = (cls.__doc__ or "").strip().splitlines()[0] if cls.__doc__ else ""
            print(f"  {name:<16} {plugin:<16} {doc}")
    return EXIT_OK
