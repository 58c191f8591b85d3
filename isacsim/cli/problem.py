"""``isacsim problem``: build a scenario's network and save one DesignProblem."""
from __future__ import annotations

from .common import EXIT_OK, UsageError, subcommand

__all__ = ["add", "run"]


def add(subparsers):
    from ..scenario import ScenarioConfig

    from ..scenario import CHANNELS

    defaults = ScenarioConfig()
    p = subcommand(
        subparsers,
        "problem",
        help="build the paper's network, print its DesignProblem and save it",
        description="Build the paper's three-cell network (Section V) with one seeded channel draw, print the "
        "DesignProblem and save it to an .npz file for 'isacsim solve'.",
        examples=(
            "isacsim problem --out p.npz                       # the paper's defaults",
            "isacsim problem --users 3 --sinr-db 20 --out p.npz",
            "isacsim problem --channel los --user-angle 30 --out p.npz",
        ),
    )
    p.add_argument("--out", default="problem.npz", help="where to save the .npz (default: %(default)s)")
    p.add_argument("--seed", type=int, default=0, help="channel realization seed (default: %(default)s)")
    p.add_argument("--users", type=int, default=defaults.n_users_per_cell, help="users per cell K (default: %(default)s)")
    p.add_argument("--nt", type=int, default=defaults.n_tx, help="transmit antennas per BS, Nt (default: %(default)s)")
    p.add_argument("--nr", type=int, default=defaults.n_rx, help="receive antennas per BS, Nr (default: %(default)s)")
    p.add_argument("--sinr-db", type=float, default=defaults.sinr_target_db, help="SINR target of every user [dB] (default: %(default)s)")
    p.add_argument("--p-max", type=float, default=defaults.p_max_w, help="power budget per BS [W] (default: %(default)s)")
    p.add_argument("--p-fa", type=float, default=defaults.p_fa, help="false-alarm probability (default: %(default)s)")
    p.add_argument(
        "--channel",
        type=str.lower,
        choices=list(CHANNELS),
        default=defaults.channel,
        help="BS-to-user channel model: 'rayleigh' (Rayleigh fading with path loss), 'los' (line of sight on every "
        "BS-to-user link) or 'los-own' (line of sight to the own cell's users, Rayleigh across cells) "
        "(default: %(default)s)",
    )
    p.add_argument("--user-angle", type=float, default=None, help="put the users at this angle from broadside [deg] (default: the paper's positions)")
    p.set_defaults(handler=run)


def run(args):
    from ..scenario import ScenarioConfig, realization_rng

    if args.seed < 0:
        raise UsageError("--seed: expected an integer >= 0")
    config = ScenarioConfig(
        n_users_per_cell=args.users,
        n_tx=args.nt,
        n_rx=args.nr,
        sinr_target_db=args.sinr_db,
        p_max_w=args.p_max,
        p_fa=args.p_fa,
        channel=args.channel,
        user_angle_deg=args.user_angle,
    )
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
            f"--users, --nt: the problem's arrays would take {format_bytes(size)}, over the {format_bytes(max_bytes())} "
            f"that 'isacsim solve' reads ({MAX_BYTES_ENV}); use fewer users or antennas, or raise {MAX_BYTES_ENV}"
        )
