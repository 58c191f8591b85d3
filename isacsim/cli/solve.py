"""``isacsim solve``: design the beams of a saved DesignProblem and report them."""
from __future__ import annotations

import os
import sys

import attrs
import numpy as np

from ..errors import InputError
from ..fluctuation import TARGET_MODELS
from ..solvers.registry import DEFAULT_SOLVER
from ..strictjson import dumps
from .common import EXIT_FAILURE, EXIT_INFEASIBLE, EXIT_OK, UsageError, add_scheme_arguments, subcommand

__all__ = ["add", "run"]

#: What a design achieves on its problem (:class:`isacsim.evaluation.Evaluation`): null for a failed design.
_ACHIEVED = ("reflected_power_w", "detection_probability", "sinr_db", "tx_power_w")


#: What ``isacsim solve`` exits with, for its help.
EXIT_CODES = """exit codes:
  0  a verified design: status 'optimal', or 'feasible' (verified, optimality not claimed)
  1  the design is inaccurate or failed (status 'inaccurate' or 'error': one line on stderr saying why, naming
     the plugin if the fault is a plugin's), or an internal failure
  2  bad input or usage, one line on stderr naming the field
  3  infeasible: the SINR and detection targets cannot all be met within the budgets (the users or
     sample points concerned are named)
  5  an output could not be written (--out or standard output: full disk, I/O error, closed), one line naming it"""


def add(subparsers):
    p = subcommand(
        subparsers,
        "solve",
        help="design beams for a saved DesignProblem",
        description="Design the beams w and sensing covariances R of a saved DesignProblem, verify every constraint "
        "from the returned beams and print the result. An infeasible problem is a result (exit 3), not an error. "
        "A plugin's designer runs in a child process: whatever it does, its fault is reported as its own.",
        examples=(
            "isacsim problem --out p.npz && isacsim solve p.npz",
            "isacsim solve p.npz --designer zf --receiver type-i --no-sync",
            "isacsim solve p.npz --json --out design.npz",
            "isacsim solve p.npz --target swerling1-links --json",
            "isacsim solve p.npz --designer power-min --pd-target 0.9",
            "isacsim solve p.npz --designer rzf --timeout 60",
        ),
    )
    p.epilog += "\n\n" + EXIT_CODES
    p.add_argument("problem", help="DesignProblem .npz file (from 'isacsim problem' or DesignProblem.save)")
    add_scheme_arguments(p)
    p.add_argument(
        "--target",
        default="deterministic",
        choices=TARGET_MODELS,
        help="the target's reflection coefficients, for the detector and its detection probabilities: the paper's "
        "known ones (default), one Swerling I coefficient common to every link, or an independent one per link; "
        "the design is the same (it maximizes the reflected power)",
    )
    p.add_argument(
        "--solver",
        default=DEFAULT_SOLVER,
        help="relaxation solver: 'structured' (default), 'cvxopt' (the reduced dual in CVXOPT), "
        "'picos:NAME' (the primal model with an installed PICOS solver NAME) or 'picos-dual:NAME' (the reduced dual "
        "in PICOS); a generic solver whose memory estimate is over ISACSIM_SOLVER_MEMORY_LIMIT is refused (exit 2)",
    )
    p.add_argument(
        "--pd-target",
        type=float,
        default=None,
        metavar="P",
        help="detection probability required at every sample point, 0 < P < 1 (replaces the file's pd_target); "
        "the power-min designers need one, the others honour it as a floor",
    )
    p.add_argument("--out", default=None, help="save w and R to this .npz (its directory must exist)")
    p.add_argument(
        "--timeout",
        default=None,
        metavar="SECONDS",
        help="stop a design that runs longer (status 'error', exit 1) (default: $ISACSIM_DESIGN_TIMEOUT, else no limit)",
    )
    p.add_argument(
        "--json",
        action="store_true",
        help="print one JSON object; NaN/inf become null, 'reason' is null on success, and an infeasible design's "
        "min_detection_probability is 0 (it deploys no beams), as in the sweeps' summaries",
    )
    p.set_defaults(handler=run)


def run(args):
    from ..atomic import check_writable
    from ..problem import DesignProblem

    problem = DesignProblem.load(args.problem)  # a bad file fails before the solvers and plugins are imported
    if args.pd_target is not None:
        try:
            problem = problem.evolve(pd_target=args.pd_target)
        except InputError as error:
            raise UsageError(str(error).replace("pd_target", "--pd-target", 1)) from None
    if args.out:
        _refuse_overwriting_the_input(args.out, args.problem)
        check_writable(args.out)  # before the solve, not after it
    from ..designers.design import reported_detection_probability
    from ..detection import Detector
    from ..guard import parse_timeout, run_designer, timeout_from_environment
    from ..plugins import get_designer, get_receiver

    timeout = parse_timeout(args.timeout, "--timeout") if args.timeout is not None else timeout_from_environment()
    designer_class = get_designer(args.designer)
    receiver = get_receiver(args.receiver)()
    try:
        designer = designer_class(solver=args.solver)
    except TypeError:
        if args.solver != DEFAULT_SOLVER:
            raise UsageError(f"--solver: designer {args.designer!r} takes no solver choice") from None
        designer = designer_class()
    design = run_designer(designer, problem, receiver, Detector(synchronized=args.synchronized, target=args.target), timeout=timeout)
    evaluation = design.evaluate(problem)
    if design.status == "error":  # a failed design deploys nothing and achieves nothing: no numbers (null)
        evaluation = attrs.evolve(evaluation, **{field: np.full_like(getattr(evaluation, field), np.nan) for field in _ACHIEVED})
    if args.out:
        design.save(args.out)
    report = {
        "status": design.status,
        "reason": design.reason or None,
        "designer": design.designer,
        "receiver": receiver.name,
        "synchronized": args.synchronized,
        "target": args.target,
        "min_reflected_power_w": evaluation.min_reflected_power_w,
        "min_detection_probability": reported_detection_probability(design.status, evaluation.min_detection_probability),
        "reflected_power_w": evaluation.reflected_power_w,
        "sinr_db": evaluation.sinr_db,
        "tx_power_w": evaluation.tx_power_w,
        "certificate": design.certificate.as_dict(),
        "solve_seconds": design.certificate.solve_seconds,
    }
    if args.json:
        print(dumps(report))  # every NaN or infinity, anywhere, becomes null
    else:
        print(f"status: {design.status}" + (f" ({design.reason})" if design.reason else ""))
        if design.ok:
            print(f"min reflected power: {evaluation.min_reflected_power_w:.4e} W")
            print(f"min detection probability: {evaluation.min_detection_probability:.4f}")
            print(f"SINR [dB]: {np.round(evaluation.sinr_db, 2).tolist()}")
            print(f"transmit power [W]: {np.round(evaluation.tx_power_w, 4).tolist()}")
        print(f"solve time: {design.certificate.solve_seconds * 1e3:.1f} ms")
    if design.status == "error":
        print(f"isacsim: failed: {design.reason}", file=sys.stderr)
    if design.status == "infeasible":
        return EXIT_INFEASIBLE
    return EXIT_OK if design.ok else EXIT_FAILURE


def _refuse_overwriting_the_input(out, problem):
    """``--out`` naming the problem file itself (by any path or link) would destroy the input."""
    try:
        same = os.path.samefile(out, problem)
    except OSError:  # --out does not exist yet
        return
    if same:
        raise UsageError(f"--out {out}: is the input problem file {problem}; choose another file for the design")
