"""``isacsim problem``: build a scenario's network and save one DesignProblem."""
from __future__ import annotations

from .common import add_set_argument, EXIT_OK, INTERNAL_CODE, OUTPUT_CODE, USAGE_CODE, UsageError, exit_codes, subcommand

__all__ = ["add", "run", "FIELD_FLAGS"]

#: ``(flag, ScenarioConfig field, type, help)``: the fields with a flag of their
#: own; ``--set FIELD=VALUE`` reaches every field.
FIELD_FLAGS = (
    ("--cells", "n_cells", int, "number of BSs L: 3 (the paper's layout), or 7, 19, ... (hexagonal, 1 + 3n(n+1))"),
    ("--isd", "inter_site_distance_m", float, "distance between neighbouring BSs of a hexagonal layout [m]"),
    ("--users", "n_users_per_cell", int, "users per cell K"),
    ("--nt", "n_tx", int, "transmit antennas per BS, Nt"),
    ("--nr", "n_rx", int, "receive antennas per BS, Nr"),
    ("--sinr-db", "sinr_target_db", float, "SINR target of every user [dB]"),
    ("--p-max", "p_max_w", float, "power budget per BS [W]"),
    ("--p-fa", "p_fa", float, "false-alarm probability"),
    ("--sigma-c2-dbm", "sigma_c2_dbm", float, "user noise power [dBm]"),
    ("--sigma-d2-dbm", "sigma_d2_dbm", float, "radar noise power per receive antenna [dBm]"),
    ("--kappa-c-db", "kappa_c_db", float, "communication path gain at 1 m [dB]"),
    ("--path-loss-exponent", "path_loss_exponent", float, "communication path-loss exponent nu"),
    ("--kappa-r-db", "kappa_r_db", float, "one-way radar path gain at 1 m [dB]"),
    ("--rcs", "rcs", float, "target reflection coefficient zeta"),
    ("--user-angle", "user_angle_deg", float, "put the users at this angle from broadside [deg] (default: the paper's positions)"),
    ("--user-distance", "user_distance_m", float, "distance of those users from their BS [m]"),
)


def add(subparsers):
    from ..scenario import CHANNELS, ScenarioConfig

    defaults = ScenarioConfig()
    p = subcommand(
        subparsers,
        "problem",
        help="build a network, print its DesignProblem and save it",
        description="Build a network of the paper's setting (Section V: three cells by default, or a hexagonal layout "
        "of 7 or 19) with one seeded channel draw, print the DesignProblem and save it to an .npz file for "
        "'isacsim solve'. Every ScenarioConfig field can be set: the common ones by their own flag, any of them "
        "with --set FIELD=VALUE.",
        examples=(
            "isacsim problem --out p.npz                       # the paper's defaults",
            "isacsim problem --users 3 --sinr-db 20 --out p.npz",
            "isacsim problem --cells 7 --users 4 --nt 64 --out p7.npz",
            "isacsim problem --channel los --user-angle 30 --out p.npz",
            "isacsim problem --set points_per_side=5 --set area_side_m=4 --out p.npz",
        ),
    )
    exit_codes(p, {EXIT_OK: "the problem was built and saved", **USAGE_CODE, **OUTPUT_CODE, **INTERNAL_CODE})
    p.add_argument("--out", default="problem.npz", help="where to save the .npz (default: %(default)s)")
    p.add_argument("--seed", type=int, default=0, help="channel realization seed (default: %(default)s)")
    for flag, field, kind, text in FIELD_FLAGS:
        default = getattr(defaults, field)
        shown = "" if default is None else f" (default: {_short(default)})"
        p.add_argument(flag, dest=field, type=kind, default=None, help=text + shown)
    p.add_argument(
        "--channel",
        type=str.lower,
        choices=list(CHANNELS),
        default=None,
        help="BS-to-user channel model: 'rayleigh' (Rayleigh fading with path loss), 'los' (line of sight on every "
        "BS-to-user link) or 'los-own' (line of sight to the own cell's users, Rayleigh across cells) "
        f"(default: {defaults.channel})",
    )
    add_set_argument(
        p,
        "set any ScenarioConfig field (repeatable; 'none' for an optional field), e.g. user_seed=3; "
        "applied after the flags above",
    )
    p.set_defaults(handler=run)


def _short(value):
    """A default as the help shows it: 15.0, 0.001, 138.564."""
    return f"{value:.6g}" if isinstance(value, float) and not value.is_integer() else value


def config_from(args):
    """The :class:`ScenarioConfig` that the flags and ``--set`` describe."""
    from ..scenario import ScenarioConfig, parse_assignments

    changes = {field: getattr(args, field) for _, field, _, _ in FIELD_FLAGS if getattr(args, field) is not None}
    if args.channel is not None:
        changes["channel"] = args.channel
    changes.update(parse_assignments(args.assignments))
    return ScenarioConfig().evolve(**changes)


def run(args):
    from ..scenario import realization_rng

    if args.seed < 0:
        raise UsageError("--seed: expected an integer >= 0")
    config = config_from(args)
    config.check_memory()  # before anything is built
    _require_readable_size(config)
    problem = config.build(realization_rng(args.seed, 0))
    problem.save(args.out)
    print(problem.summary())
    print(f"saved to {args.out}")
    return EXIT_OK


def _require_readable_size(config):
    """Refuse to write a problem file that ``isacsim solve`` would refuse to read (ISACSIM_MAX_PROBLEM_BYTES)."""
    from ..limits import format_bytes
    from ..npzfile import MAX_BYTES_ENV, max_bytes
    from ..problem import DesignProblem

    size = DesignProblem.array_bytes(config.n_cells, config.n_users_per_cell, config.n_tx, config.points_per_side**2)
    if size > max_bytes():
        raise UsageError(
            f"--cells, --users, --nt, points_per_side: the problem's arrays would take {format_bytes(size)}, over the {format_bytes(max_bytes())} "
            f"that 'isacsim solve' reads ({MAX_BYTES_ENV}); use fewer users or antennas, or raise {MAX_BYTES_ENV}"
        )
