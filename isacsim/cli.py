"""The ``isacsim`` command line.

Exit codes: 0 success; 2 bad input or usage (one line on stderr naming the
field, no traceback); 3 infeasible design; 4 a sweep finished with failed
points (one line per distinct error on stderr; a re-run retries them); 1 an
internal failure (one line; the traceback too when ``ISACSIM_DEBUG=1``).
"""
from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import sys
import traceback
import warnings

import numpy as np

from .designers.solvers import DEFAULT_SOLVER
from .errors import InputError, PluginFailure

__all__ = ["main", "EXIT_OK", "EXIT_FAILURE", "EXIT_USAGE", "EXIT_INFEASIBLE", "EXIT_FAILED_POINTS", "DEBUG_ENV"]

EXIT_OK, EXIT_FAILURE, EXIT_USAGE, EXIT_INFEASIBLE, EXIT_FAILED_POINTS = 0, 1, 2, 3, 4

#: Set to 1 to print the traceback of an internal failure.
DEBUG_ENV = "ISACSIM_DEBUG"


class UsageError(InputError):
    """Bad command-line usage."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        raise UsageError(message)


def _subcommand(subparsers, name, *, help, description=None, examples=()):
    """A subcommand whose help ends with worked examples."""
    epilog = "examples:\n" + "\n".join(f"  {line}" for line in examples) if examples else None
    return subparsers.add_parser(
        name, help=help, description=description or help[0].upper() + help[1:] + ".", epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


#: What ``isacsim solve`` exits with, for its help.
SOLVE_EXIT_CODES = """exit codes:
  0  optimal (verified) design
  1  the design is inaccurate or failed (status 'inaccurate' or 'error'), or an internal failure
  2  bad input or usage, one line on stderr naming the field
  3  infeasible: the SINR targets cannot all be met (the users concerned are named)"""


def _finite_json(value):
    """NaN/inf -> None so the JSON is standard."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


# ------------------------------------------------------------------ problem
def _add_problem(subparsers):
    from .scenario import ScenarioConfig

    from .scenario import CHANNELS

    defaults = ScenarioConfig()
    p = _subcommand(
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
    p.set_defaults(handler=_run_problem)


def _run_problem(args):
    from .scenario import ScenarioConfig, realization_rng

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
    problem = config.build(realization_rng(args.seed, 0))
    problem.save(args.out)
    print(problem.summary())
    print(f"saved to {args.out}")
    return EXIT_OK


# -------------------------------------------------------------------- solve
def _add_solve(subparsers):
    p = _subcommand(
        subparsers,
        "solve",
        help="design beams for a saved DesignProblem",
        description="Design the beams w and sensing covariances R of a saved DesignProblem, verify every constraint "
        "from the returned beams and print the result. An infeasible problem is a result (exit 3), not an error.",
        examples=(
            "isacsim problem --out p.npz && isacsim solve p.npz",
            "isacsim solve p.npz --designer zf --receiver type-i --no-sync",
            "isacsim solve p.npz --json --out design.npz",
        ),
    )
    p.epilog += "\n\n" + SOLVE_EXIT_CODES
    p.add_argument("problem", help="DesignProblem .npz file (from 'isacsim problem' or DesignProblem.save)")
    p.add_argument("--designer", default="sdr", help="registered designer, any case (see 'isacsim designers') (default: %(default)s)")
    p.add_argument("--receiver", default="type-ii", help="the users' receiver: type-i or type-ii, any case (default: %(default)s)")
    sync = p.add_mutually_exclusive_group()
    sync.add_argument("--sync", dest="synchronized", action="store_true", default=True, help="Scenario I: synchronized BSs (default)")
    sync.add_argument("--no-sync", dest="synchronized", action="store_false", help="Scenario II: unsynchronized BSs")
    p.add_argument(
        "--solver",
        default=DEFAULT_SOLVER,
        help="relaxation solver: 'structured' (default), 'cvxopt' (the reduced dual in CVXOPT), "
        "'picos:NAME' (the primal model with an installed PICOS solver NAME) or 'picos-dual:NAME' (the reduced dual "
        "in PICOS); a generic solver whose memory estimate is over ISACSIM_SOLVER_MEMORY_LIMIT is refused (exit 2)",
    )
    p.add_argument("--out", default=None, help="save w and R to this .npz (its directory must exist)")
    p.add_argument(
        "--json",
        action="store_true",
        help="print one JSON object; NaN/inf become null, 'reason' is null on success, and an infeasible design's "
        "min_detection_probability is 0 (it deploys no beams), as in the sweeps' summaries",
    )
    p.set_defaults(handler=_run_solve)


def _run_solve(args):
    from .atomic import check_writable
    from .problem import DesignProblem

    problem = DesignProblem.load(args.problem)  # a bad file fails before the solvers and plugins are imported
    if args.out:
        check_writable(args.out)  # before the solve, not after it
    from .designers.design import reported_detection_probability
    from .detection import Detector
    from .plugins import BUILTIN_NAME, blame_plugin, designer_registry, get_designer, get_receiver, plugin_of

    designer_class = get_designer(args.designer)
    receiver = get_receiver(args.receiver)()
    try:
        designer = designer_class(solver=args.solver)
    except TypeError:
        if args.solver != DEFAULT_SOLVER:
            raise UsageError(f"--solver: designer {args.designer!r} takes no solver choice") from None
        designer = designer_class()
    try:
        design = designer.design(problem, receiver, Detector(synchronized=args.synchronized))
    except Exception as error:  # noqa: BLE001 - a third-party designer's bug is named as such
        plugin = plugin_of(designer_registry(), designer.name)
        if isinstance(error, InputError) or plugin in (None, BUILTIN_NAME):
            raise
        raise blame_plugin("designer", designer.name, plugin, error) from error
    evaluation = design.evaluate(problem)
    if args.out:
        design.save(args.out)
    report = {
        "status": design.status,
        "reason": design.reason or None,
        "designer": design.designer,
        "receiver": receiver.name,
        "synchronized": args.synchronized,
        "min_reflected_power_w": evaluation.min_reflected_power_w,
        "min_detection_probability": _finite_json(reported_detection_probability(design.status, evaluation.min_detection_probability)),
        "reflected_power_w": evaluation.reflected_power_w.tolist(),
        "sinr_db": [[_finite_json(float(x)) for x in row] for row in evaluation.sinr_db],
        "tx_power_w": evaluation.tx_power_w.tolist(),
        "certificate": {k: _finite_json(v) for k, v in design.certificate.as_dict().items()},
        "solve_seconds": design.certificate.solve_seconds,
    }
    if args.json:
        print(json.dumps(report))
    else:
        print(f"status: {design.status}" + (f" ({design.reason})" if design.reason else ""))
        if design.ok:
            print(f"min reflected power: {evaluation.min_reflected_power_w:.4e} W")
            print(f"min detection probability: {evaluation.min_detection_probability:.4f}")
            print(f"SINR [dB]: {np.round(evaluation.sinr_db, 2).tolist()}")
            print(f"transmit power [W]: {np.round(evaluation.tx_power_w, 4).tolist()}")
        print(f"solve time: {design.certificate.solve_seconds * 1e3:.1f} ms")
    if design.status == "infeasible":
        return EXIT_INFEASIBLE
    return EXIT_OK if design.ok else EXIT_FAILURE


# ---------------------------------------------------------------- designers
def _add_designers(subparsers):
    p = _subcommand(
        subparsers,
        "designers",
        help="list registered designers and receivers with their plugins",
        description="List every registered designer and receiver with the plugin that provides it. Third-party "
        "packages register theirs under the 'isacsim' entry-point group; ISACSIM_DISABLE_PLUGINS=NAME,... hides some.",
        examples=("isacsim designers", "ISACSIM_DISABLE_PLUGINS=rzf isacsim designers"),
    )
    p.set_defaults(handler=_run_designers)


def _run_designers(args):
    from .plugins import designer_registry, receiver_registry

    for title, registry in (("designers", designer_registry()), ("receivers", receiver_registry())):
        print(f"{title}:")
        for name, (cls, plugin) in registry.items():
            doc = (cls.__doc__ or "").strip().splitlines()[0] if cls.__doc__ else ""
            print(f"  {name:<16} {plugin:<16} {doc}")
    return EXIT_OK


# -------------------------------------------------------------------- bench
def _add_bench(subparsers):
    p = _subcommand(
        subparsers,
        "bench",
        help="time the SDR designer's solvers against the targets and the CVXOPT baseline",
        description="Median design times of the default 'structured' solver and the 'cvxopt' baseline, in the same run: "
        "at paper size (default) or against L and Nt (--scale).",
        examples=("isacsim bench --quick", "isacsim bench --check", "isacsim bench --scale --out results/bench-scale.png"),
    )
    p.add_argument("--scale", action="store_true", help="time and peak memory per solve against L and Nt, with a PNG and CSV")
    p.add_argument("--instances", type=int, default=None, help="seeded instances per case (default: 10; with --scale 3)")
    p.add_argument("--quick", action="store_true", help="a first look: 3 instances; with --scale tiny sizes, 1 instance")
    p.add_argument("--check", action="store_true", help="exit with 1 if any target is missed (time, memory, agreement, status)")
    p.add_argument("--primal", action="store_true", help="also time the straightforward primal models on a small instance")
    p.add_argument("--out", default=None, help="--scale: the PNG; the CSV goes beside it (default: results/bench-scale.png)")
    p.add_argument("--budget", type=float, default=None, help="--scale: seconds allowed per solve (default: 120)")
    p.add_argument("--memory-cap", type=float, default=None, help="--scale: address space per solve [GiB] (default: 4)")
    p.set_defaults(handler=_run_bench)


def _run_bench(args):
    import attrs

    from .bench import run_benchmark
    from .bench_compare import check_failures

    if args.instances is not None and args.instances < 1:
        raise UsageError("--instances: expected an integer >= 1")
    for flag, value in (("--budget", args.budget), ("--memory-cap", args.memory_cap)):
        if value is not None and not (value > 0 and math.isfinite(value)):
            raise UsageError(f"{flag}: expected a positive number")
    scale_only = [flag for flag, value in (("--out", args.out), ("--budget", args.budget), ("--memory-cap", args.memory_cap)) if value is not None]
    if args.scale and args.primal:
        raise UsageError("--primal: not with --scale (it times a small instance in the paper-size run)")
    if not args.scale and scale_only:
        raise UsageError(f"{', '.join(scale_only)}: only with --scale")
    if args.scale:
        from .bench_scale import QUICK_SETUP, ScaleSetup, run_scale

        changes = {"n_instances": args.instances, "budget_seconds": args.budget, "memory_cap_gib": args.memory_cap}
        setup = attrs.evolve(QUICK_SETUP if args.quick else ScaleSetup(), **{k: v for k, v in changes.items() if v is not None})
        points = run_scale(setup, args.out or "results/bench-scale.png")
        comparisons = list({point.comparison.label: point.comparison for point in points}.values())  # shared points once
    else:
        n_instances = args.instances or (3 if args.quick else 10)
        comparisons = run_benchmark(n_instances=n_instances, primal=args.primal)
    if not args.check:
        return EXIT_OK
    missed = check_failures(comparisons)
    for line in missed:
        print(f"check: MISSED {line}")
    print("check: " + (f"{len(missed)} target(s) missed" if missed else "every target met"))
    return EXIT_FAILURE if missed else EXIT_OK


# ---------------------------------------------------------------- reproduce
def _add_reproduce(subparsers):
    from .plotting import IMAGE_FORMATS

    p = _subcommand(
        subparsers,
        "reproduce",
        help="compute and plot a figure of the paper (see --list)",
        description="Compute a figure's numbers into --out (results.csv as tasks finish, summary.csv, metadata.json) "
        "and draw it. Re-running the same command resumes: finished points are kept, failed ones retried. "
        "Exit codes: 0 done; 2 bad input (one line); 4 some points failed (named on stderr; run again to retry "
        "them); 1 internal failure.",
        examples=(
            "isacsim reproduce --list",
            "isacsim reproduce fig3 --quick                    # a first look, about a minute",
            "isacsim reproduce fig8 --workers 2 --format pdf",
            "isacsim reproduce fig3 --realizations 200 --out results/fig3   # extends a finished run",
            "isacsim reproduce fig3 --scheduler tcp://host:8786              # on a Dask cluster",
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
        "--format", default="png", choices=IMAGE_FORMATS, help="file format of the figure: png, or pdf or svg (vector) (default: %(default)s)"
    )
    p.set_defaults(handler=_run_reproduce)


def _run_reproduce(args):
    from .figures import figure_file, reproduce
    from .plotting import require_matplotlib
    from .reproduce import available, load

    if args.list:
        for name in available():
            plain = load(name).title.replace("$", "").replace("\\", "").replace("_{max}", "max").replace("_{FA}", "FA")
            print(f"{name:<10} {plain}")
        return EXIT_OK
    if not args.name:
        raise UsageError("reproduce: give a figure NAME or --list")
    if args.workers is not None and args.workers < 1:
        raise UsageError("--workers: expected an integer >= 1")
    if args.seed is not None and args.seed < 0:
        raise UsageError("--seed: expected an integer >= 0")
    figure = load(args.name)
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
    )
    if not args.quiet:
        print(
            f"{figure.name}: {report.n_tasks} tasks ({report.n_computed} computed, {report.n_resumed} resumed) "
            f"in {report.wall_seconds:.1f} s -> {report.directory}/ (results.csv, summary.csv, "
            f"{figure_file(figure.name, args.format)}, metadata.json)"
        )
    return _report_failures(report)


def _report_failures(report):
    """Name a run's failed points on stderr, one line per cause; the exit code."""
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


def build_parser():
    """The argument parser of the ``isacsim`` command."""
    from . import __version__

    parser = _Parser(prog="isacsim", description="Coordinated beamforming for networked ISAC.")
    parser.add_argument("--version", action="version", version=f"isacsim {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    subparsers.required = True
    for add in (_add_reproduce, _add_problem, _add_solve, _add_designers, _add_bench):
        add(subparsers)
    return parser


def main(argv=None):
    """Entry point of the ``isacsim`` console script; returns the exit code."""
    try:
        args = build_parser().parse_args(argv)
        with _numerical_warnings_hidden():
            return args.handler(args)
    except InputError as error:  # bad input, named by the validators
        print(f"isacsim: error: {_one_line(error)}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("isacsim: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. piped into `head`
        sys.stderr.close()
        return EXIT_OK
    except PluginFailure as error:  # a third-party plugin's bug: named, not ours to report
        if _debugging():
            traceback.print_exc()
        print(f"isacsim: failed: {_one_line(error)}", file=sys.stderr)
        return EXIT_FAILURE
    except Exception as error:  # noqa: BLE001 - an internal failure: one line, exit 1
        if _debugging():
            traceback.print_exc()
        print(
            f"isacsim: internal error: {type(error).__name__}: {_one_line(error)} "
            f"(please report it; {DEBUG_ENV}=1 prints the traceback)",
            file=sys.stderr,
        )
        return EXIT_FAILURE


@contextlib.contextmanager
def _numerical_warnings_hidden():
    """Hide RuntimeWarnings (overflow, invalid value...) unless debugging.

    Every status is decided from constraints recomputed from the returned
    beams, with non-finite numbers never passing (:func:`isacsim.designers.verify.check_design`),
    so a numerical warning on the way tells a user nothing; ``ISACSIM_DEBUG=1`` shows them.
    """
    with warnings.catch_warnings():
        if not _debugging():
            warnings.simplefilter("ignore", RuntimeWarning)
        yield


def _debugging():
    return os.environ.get(DEBUG_ENV, "") not in ("", "0")


def _one_line(error):
    """An exception's message on one line."""
    return " ".join(str(error).split())


if __name__ == "__main__":
    sys.exit(main())
