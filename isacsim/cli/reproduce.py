"""``isacsim reproduce``: compute and plot a figure, resumably."""
from __future__ import annotations

import sys

from .common import add_set_argument, EXIT_FAILED_POINTS, EXIT_OK, UsageError, subcommand

__all__ = ["add", "run", "report_failures"]


def add(subparsers):
    from ..plotting import IMAGE_FORMATS

    p = subcommand(
        subparsers,
        "reproduce",
        help="compute and plot a figure of the paper (see --list)",
        description="Compute a figure's numbers into --out (results.csv as tasks finish, summary.csv, metadata.json) "
        "and draw it. Re-running the same command resumes: finished points are kept, failed ones retried. "
        "Exit codes: 0 done; 2 bad input (one line); 4 some points failed (named on stderr; run again to retry "
        "them); 5 an output could not be written (full disk, I/O error; one line naming it); 1 internal failure; "
        "128 + N ended by signal N (130 Ctrl-C, 143 SIGTERM, 129 SIGHUP; run again to resume).",
        examples=(
            "isacsim reproduce --list",
            "isacsim reproduce fig3 --quick                    # a first look, about a minute",
            "isacsim reproduce fig8 --workers 2 --format pdf",
            "isacsim reproduce fig3 --realizations 200 --out results/fig3   # extends a finished run",
            "isacsim reproduce fig3 --scheduler tcp://host:8786              # on a Dask cluster",
            "isacsim reproduce fig3 --quick --designers +rzf                 # add a plugin's designer",
            "isacsim reproduce fig8 --quick --set n_cells=7 --set n_tx=64    # change a field",
        ),
    )
    p.add_argument("name", nargs="?", help="figure name, any case, e.g. fig3 (see --list)")
    p.add_argument("--list", action="store_true", help="list the reproducible figures")
    p.add_argument("--quick", action="store_true", help="few realizations, the same x-range (a first look, CI)")
    p.add_argument("--realizations", type=int, default=None, help="channel realizations per point (default: the figure's, 4 with --quick)")
    p.add_argument("--out", default=None, help="output directory (default: results/NAME, or results/NAME-quick)")
    p.add_argument("--workers", type=int, default=None, help="local worker processes (default: all cores)")
    p.add_argument("--scheduler", default=None, help="Dask scheduler address, e.g. tcp://host:8786 (default: local workers)")
    p.add_argument("--seed", type=int, default=None, help="root seed of the channel realizations (default: 2024)")
    p.add_argument("--quiet", action="store_true", help="no progress output and no summary line (errors still go to stderr)")
    p.add_argument(
        "--timeout",
        default=None,
        metavar="SECONDS",
        help="stop a design that runs longer: its point fails ('timed out after S s') and the next run retries it "
        "(default: $ISACSIM_DESIGN_TIMEOUT, else no limit)",
    )
    p.add_argument(
        "--format", default="png", choices=IMAGE_FORMATS, help="file format of the figure: png, or pdf or svg (vector) (default: %(default)s)"
    )
    p.add_argument(
        "--designers",
        default=None,
        metavar="[+]NAME,...",
        help="+NAME,... adds installed designers (see 'isacsim designers') to the figure's curves; NAME,... replaces "
        "them. Such a run writes to its own directory by default (results/NAME+rzf)",
    )
    add_set_argument(
        p,
        "change a ScenarioConfig field of the figure (repeatable; not the swept one), e.g. n_cells=7 or "
        "kappa_c_db=-60; such a run writes to its own directory by default (results/NAME+n_cells=7)",
    )
    p.set_defaults(handler=run)


def run(args):
    from ..figures import figure_file, plain_title, reproduce
    from ..guard import parse_timeout
    from ..plotting import require_matplotlib
    from ..reproduce import available, load

    if args.list:
        for name in available():
            print(f"{name:<10} {plain_title(load(name).title)}")
        return EXIT_OK
    if not args.name:
        raise UsageError("reproduce: give a figure NAME or --list")
    if args.workers is not None and args.workers < 1:
        raise UsageError("--workers: expected an integer >= 1")
    if args.seed is not None and args.seed < 0:
        raise UsageError("--seed: expected an integer >= 0")
    from ..scenario import parse_assignments

    timeout = parse_timeout(args.timeout, "--timeout")
    figure = load(args.name)
    designers = args.designers.split(",") if args.designers is not None else None
    changes = parse_assignments(args.assignments)
    require_matplotlib()  # before computing anything
    report = reproduce(
        figure,
        args.out,
        quick=args.quick,
        realizations=args.realizations,
        seed=args.seed,
        workers=args.workers,
        scheduler=args.scheduler,
        image_format=args.format,
        progress=False if args.quiet else None,
        designers=designers,
        changes=changes,
        timeout=timeout,
    )
    if not args.quiet:
        print(
            f"{figure.name}: {report.n_tasks} tasks ({report.n_computed} computed, {report.n_resumed} resumed) "
            f"in {report.wall_seconds:.1f} s -> {report.directory}/ (results.csv, summary.csv, "
            f"{figure_file(figure.name, args.format)}, metadata.json)"
        )
    return report_failures(report)


def report_failures(report):
    """Name a run's failed points on stderr, one line per cause; the exit code.

    ``report`` is a :class:`~isacsim.simulation.RunReport` or a
    :class:`~isacsim.dataset.DatasetReport` (``failures``, ``n_failed``).
    """
    if not report.failures:
        return EXIT_OK
    print(
        f"isacsim: {report.n_failed} point(s) failed and are not counted as done; "
        f"run the same command again to retry them (exit {EXIT_FAILED_POINTS}):",
        file=sys.stderr,
    )
    for group in report.failures:
        print(f"isacsim:   {group.line()}", file=sys.stderr)
    return EXIT_FAILED_POINTS
