"""``isacsim dataset``: N problems of a scenario with their verified designs, in resumable shards."""
from __future__ import annotations

from .common import EXIT_OK, UsageError, add_scheme_arguments, subcommand
from .reproduce import report_failures

__all__ = ["add", "run"]


def add(subparsers):
    p = subcommand(
        subparsers,
        "dataset",
        help="write N problems with their verified designs, to train and test learning-based beamformers",
        description="Draw N problems from a scenario (sample i from channel realization i of the seed), design each, "
        "verify every design from its beams and write problems, designs, statuses and certificates to DIR in "
        "shards (shard-00000.npz, ...) with a manifest (dataset.json). Running the same command again resumes: "
        "finished shards are kept, bit-identical, and a changed configuration is refused. Load it with "
        "isacsim.dataset.load(DIR), which needs NumPy alone. Exit codes: 0 done; 2 bad input or a changed "
        "configuration (one line); 4 some samples failed (named on stderr; run again to retry them); 1 internal failure.",
        examples=(
            "isacsim dataset --n 10000 --out data/paper-k3 --users 3",
            "isacsim dataset --n 2000 --out data/l7 --cells 7 --users 4 --antennas 64 --sinr-db 5:20",
            "isacsim dataset --n 500 --out data/zf --designer zf --receiver type-i --no-sync",
        ),
    )
    p.add_argument("--n", type=int, required=True, help="number of samples N")
    p.add_argument("--out", required=True, help="output directory (re-running with it resumes)")
    p.add_argument("--cells", type=int, default=3, help="number of cells L: 3 (the paper's layout), 7 or 19 (hexagonal) (default: %(default)s)")
    p.add_argument("--users", type=int, default=1, help="users per cell K (default: %(default)s)")
    p.add_argument("--antennas", type=int, default=32, help="transmit and receive antennas per BS, Nt = Nr (default: %(default)s)")
    add_scheme_arguments(p)
    p.add_argument(
        "--sinr-db", default="15", help="SINR target of every user [dB], or LOW:HIGH to draw each user's target of each sample "
        "uniformly in dB (default: %(default)s)"
    )
    p.add_argument("--seed", type=int, default=2024, help="root seed: sample i's channels depend on it and i alone (default: %(default)s)")
    p.add_argument("--workers", type=int, default=None, help="local worker processes (default: all cores)")
    p.add_argument("--shard-size", type=int, default=None, help="samples per shard file (default: a power of two of about 32 MiB)")
    p.add_argument("--quiet", action="store_true", help="no progress output and no summary line (errors still go to stderr)")
    p.set_defaults(handler=run)


def run(args):
    from ..dataset import DatasetConfig, generate
    from ..scenario import ScenarioConfig

    for flag, value in (("--n", args.n), ("--users", args.users), ("--antennas", args.antennas), ("--workers", args.workers), ("--shard-size", args.shard_size)):
        if value is not None and value < 1:
            raise UsageError(f"{flag}: expected an integer >= 1, got {value}")
    if args.seed < 0:
        raise UsageError(f"--seed: expected an integer >= 0, got {args.seed}")
    if args.cells not in (3, 7, 19):
        raise UsageError(f"--cells: expected 3, 7 or 19, got {args.cells}")
    scenario = ScenarioConfig(n_cells=args.cells, n_users_per_cell=args.users, n_tx=args.antennas, n_rx=args.antennas)
    fields = dict(n=args.n, scenario=scenario, designer=args.designer, receiver=args.receiver, synchronized=args.synchronized,
                  sinr_db=args.sinr_db, seed=args.seed)
    if args.shard_size is not None:
        fields["shard_size"] = args.shard_size
    config = DatasetConfig(**fields)
    report = generate(config, args.out, workers=args.workers, progress=False if args.quiet else None)
    if not args.quiet:
        counts = ", ".join(f"{count} {status}" for status, count in sorted(report.statuses.items(), key=lambda item: -item[1])) or "none"
        print(
            f"dataset: {report.n_samples} samples ({report.n_computed} computed, {report.n_resumed} resumed; {counts}) "
            f"in {report.wall_seconds:.1f} s -> {report.directory}/ (dataset.json, {config.n_shards} shard(s), metadata.json)"
        )
    return report_failures(report)
