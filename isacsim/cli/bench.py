"""``isacsim bench``: solve times against the targets and the in-run baseline."""
from __future__ import annotations

import math

from .common import OUTPUT_CODE, EXIT_FAILURE, EXIT_OK, USAGE_CODE, UsageError, exit_codes, subcommand

__all__ = ["add", "run", "TARGETS_NOTE"]

#: What the targets are, for the help and the check's verdict.
TARGETS_NOTE = (
    "The targets are the project's development targets for the default solver, set for its 2-core development "
    "machine: a missed target (MISSES in the table, MISSED under --check) says that a median (or peak memory) was "
    "over its target on this machine, or that the two solvers' bounds disagreed, or a design was not optimal. It is "
    "not an error of the installation, and the designs are still verified."
)


def add(subparsers):
    p = subcommand(
        subparsers,
        "bench",
        help="time the SDR designer's solvers against the targets and the CVXOPT baseline",
        description="Median design times of the default 'structured' solver and the 'cvxopt' baseline, in the same run: "
        "at paper size (default) or against L and Nt (--scale); or the clutter-aware designer against the SDR (--clutter). "
        + TARGETS_NOTE,
        examples=("isacsim bench --quick", "isacsim bench --check", "isacsim bench --scale --out results/bench-scale.png",
                  "isacsim bench --clutter", "isacsim bench --batch --quick", "isacsim bench --profile fig3"),
    )
    exit_codes(
        p,
        {
            EXIT_OK: "the benchmark ran (without --check, even if a target was missed)",
            EXIT_FAILURE: "with --check: some target was missed (each named on a 'check: MISSED' line); "
            "or an internal failure",
            **USAGE_CODE,
            **OUTPUT_CODE,
        },
    )
    p.add_argument(
        "--scale",
        action="store_true",
        help="time and peak memory per solve against L and Nt, with a PNG and CSV; then power-min against the SDR at L = 19",
    )
    p.add_argument("--clutter", action="store_true",
                   help="time the clutter-aware designer (bisection of certified steps) against the SDR at paper size (target: <= 10x)")
    p.add_argument("--instances", type=int, default=None, help="seeded instances per case (default: 10; with --scale 3; with --profile: tasks, 48)")
    p.add_argument("--quick", action="store_true", help="a first look: 3 instances; with --scale tiny sizes, 1 instance")
    p.add_argument(
        "--csi",
        action="store_true",
        help="how often rank-one beams are recovered under a statistical CSI error, and the worst relaxation gap",
    )
    p.add_argument("--check", action="store_true", help="exit with 1 if any target is missed (time, memory, agreement, status)")
    p.add_argument("--primal", action="store_true", help="also time the straightforward primal models on a small instance")
    p.add_argument(
        "--profile", metavar="NAME", default=None,
        help="where a figure's time goes: its first tasks, phase by phase (problems, spans, compilation, solves, beams, checks, rows)",
    )
    p.add_argument(
        "--batch", action="store_true",
        help="amortized time per solve and per design against the batch size (1 ... 256), beside the unbatched solver",
    )
    p.add_argument("--out", default=None, help="--scale: the PNG; the CSV goes beside it (default: results/bench-scale.png)")
    p.add_argument("--budget", type=float, default=None, help="--scale: seconds allowed per solve (default: 120)")
    p.add_argument("--memory-cap", type=float, default=None, help="--scale: address space per solve [GiB] (default: 4)")
    p.set_defaults(handler=run)


def run(args):
    import attrs

    from ..bench.paper import run_benchmark
    from ..bench.compare import check_failures

    if args.instances is not None and args.instances < 1:
        raise UsageError("--instances: expected an integer >= 1")
    for flag, value in (("--budget", args.budget), ("--memory-cap", args.memory_cap)):
        if value is not None and not (value > 0 and math.isfinite(value)):
            raise UsageError(f"{flag}: expected a positive number")
    scale_only = [flag for flag, value in (("--out", args.out), ("--budget", args.budget), ("--memory-cap", args.memory_cap)) if value is not None]
    if args.scale and args.primal:
        raise UsageError("--primal: not with --scale (it times a small instance in the paper-size run)")
    if args.csi:
        if args.scale or args.primal or args.check or args.clutter or scale_only:
            raise UsageError("--csi: runs alone (with --instances or --quick)")
        from ..bench.csi import run_csi_sets

        run_csi_sets(n_instances=args.instances or (2 if args.quick else 10))
        return EXIT_OK
    if args.clutter and (args.scale or args.primal):
        raise UsageError("--clutter: not with --scale or --primal")
    if args.clutter and scale_only:
        raise UsageError(f"{', '.join(scale_only)}: only with --scale")
    if args.clutter:
        from ..bench.clutter import run_clutter_benchmark

        timings = run_clutter_benchmark(n_instances=args.instances or (1 if args.quick else 5))
        return _verdict([line for timing in timings for line in timing.failures()]) if args.check else EXIT_OK
    if args.batch and (args.scale or args.primal or args.instances is not None):
        raise UsageError("--batch: not with --scale, --primal or --instances (it times its own batches)")
    if not args.scale and scale_only:
        raise UsageError(f"{', '.join(scale_only)}: only with --scale")
    if args.profile:
        if args.batch or args.scale or args.primal or args.check:
            raise UsageError("--profile: not with --batch, --scale, --primal or --check")
        from ..bench.profile import run_profile

        run_profile(args.profile, n_tasks=args.instances or (12 if args.quick else 48))
        return EXIT_OK
    if args.batch:
        from ..bench.batch import BATCH_SIZES, CASES, QUICK_CASES, QUICK_SIZES, run_batch_benchmark

        results = run_batch_benchmark(QUICK_SIZES, QUICK_CASES) if args.quick else run_batch_benchmark(BATCH_SIZES, CASES)
        missed = [line for result in results for line in result.failures()]
        return _verdict(missed) if args.check else EXIT_OK
    if args.scale:
        from ..bench.scale import QUICK_SETUP, ScaleSetup, run_scale

        changes = {"n_instances": args.instances, "budget_seconds": args.budget, "memory_cap_gib": args.memory_cap}
        setup = attrs.evolve(QUICK_SETUP if args.quick else ScaleSetup(), **{k: v for k, v in changes.items() if v is not None})
        points = run_scale(setup, args.out or "results/bench-scale.png")
        comparisons = list({point.comparison.label: point.comparison for point in points}.values())  # shared points once
        if not args.quick:
            from ..bench.formulations import SCALE_CASES, run_formulation_cases

            comparisons += run_formulation_cases(SCALE_CASES, args.instances or 10)
    else:
        from ..bench.formulations import PAPER_CASES, run_formulation_cases

        n_instances = args.instances or (3 if args.quick else 10)
        comparisons = run_benchmark(n_instances=n_instances, primal=args.primal)
        comparisons += run_formulation_cases(PAPER_CASES, n_instances)
    return _verdict(check_failures(comparisons)) if args.check else EXIT_OK


def _verdict(missed):
    """Print what ``--check`` found and return the exit code."""
    for line in missed:
        print(f"check: MISSED {line}")
    print("check: " + (f"{len(missed)} target(s) missed" if missed else "every target met"))
    if missed:
        print("check: these are development targets of the default solver on a 2-core machine; a miss is not an "
              "error of the installation, and every design is still verified ('isacsim bench --help')")
    return EXIT_FAILURE if missed else EXIT_OK
