"""isacsim's own verdict on a design, whoever made it.

A designer, built-in or a plugin's, hands back a :class:`Design` with a
status and a certificate. Before isacsim reports or counts it, the design is
audited here against the problem *as the caller holds it*:

* it must be a :class:`Design` for the receiver and detector asked for (the
  detector may leave out the information echoes, as the sensing-only
  benchmark does), with ``w`` and ``R`` numeric arrays of shapes
  ``(L, K, Nt)`` and ``(L, Nt, Nt)``;
* for a usable status (``optimal``, ``feasible``, ``inaccurate``) every
  number is recomputed (:func:`isacsim.designers.verify.check_designs`)
  against the problem's own limits (:meth:`~isacsim.designers.verify.Limits.of_problem`):
  finite values, Hermitian PSD sensing covariances, every power budget and
  per-antenna budget, every user's SINR (in expectation under a statistical
  CSI error), the reflected-power floors of a detection target, and the
  objective (the minimum reflected power, or for ``objective_kind``
  ``"min-power"`` the weighted transmit power); the certificate's objective
  and violations are replaced by the recomputed ones;
* a claim of ``optimal`` needs a bound on the *better* side of the
  recomputed objective (at least it for a maximized objective, at most it
  for a minimized one) and within :data:`OPTIMALITY_GAP` of it; without
  such a bound the design is ``feasible`` (optimality not claimed), and with
  a bound on the wrong side the claim is false: ``error``.

The verdicts: a design that misses a constraint by more than 1e-6
(relative) is at best ``inaccurate``, by more than 1e-3 (or with non-finite
numbers, or of the wrong kind or shape) it is ``error``, with a reason that
names the designer (and plugin) and the broken constraint. An ``error`` or
``infeasible`` design deploys no beams: its ``w`` and ``R`` are zeros.

:func:`audit_designs` audits a batch of designs of one shape with one
vectorized check; :func:`audit_design` is a batch of one.
"""
from __future__ import annotations

import math
import numbers

import attrs
import numpy as np

from .design import STATUSES, USABLE_STATUSES, Certificate, Design
from ..stack import group_equal, stack_problems
from .verify import TOLERANCE, Limits, check_designs

__all__ = ["audit_design", "audit_designs", "failed_design", "OPTIMALITY_GAP", "UNUSABLE"]

#: Largest relative gap between a design's bound and its recomputed objective
#: for the design to be ``optimal``.
OPTIMALITY_GAP = 1e-6
#: A design missing a constraint by more than this (relative) is unusable: ``error``.
UNUSABLE = 1e-3
#: The objectives the audit recomputes: ``objective_kind`` -> sense (``"max"``: the bound is an upper bound).
OBJECTIVES = {"max-min-reflected-power": "max", "min-power": "min", "max-min-scnr": "max"}


def failed_design(problem, receiver, detector, *, designer, reason, status="error", seconds=math.nan):
    """A design without beams: ``error`` (or ``infeasible``) with its reason.

    Parameters
    ----------
    problem : DesignProblem
    receiver : Receiver
    detector : Detector
    designer : str
        The designer's registered name.
    reason : str
        One line: what went wrong, naming who.
    status : {"error", "infeasible"}
    seconds : float
        Wall time spent [s].

    Returns
    -------
    Design
    """
    return Design(
        w=np.zeros((problem.n_bs, problem.n_users_per_cell, problem.n_tx), dtype=complex),
        R=np.zeros((problem.n_bs, problem.n_tx, problem.n_tx), dtype=complex),
        status=status,
        reason=reason,
        designer=designer,
        receiver=receiver,
        detector=detector,
        certificate=Certificate(solve_seconds=seconds),
    )


def audit_design(problem, receiver, detector, design, *, designer, source, seconds=None, power_weights=None):
    """isacsim's verdict on one design; see the module docstring.

    Parameters
    ----------
    problem : DesignProblem
        The problem as the caller holds it (never the designer's copy).
    receiver : Receiver
        The receiver the design was asked for.
    detector : Detector
        The detector the design was asked for.
    design : object
        What the designer returned.
    designer : str
        The designer's registered name (the design is reported under it).
    source : str
        Who made it, for messages: ``"designer 'sdr'"`` or
        ``"designer 'x' of plugin 'p'"``.
    seconds : float or None
        Wall time of the designer call [s], measured by the caller; replaces
        the certificate's ``solve_seconds`` (``None`` keeps it).
    power_weights : numpy.ndarray or None, shape (L,)
        The weights of a ``"min-power"`` objective (default 1 per BS).

    Returns
    -------
    Design
        The audited design: its status, reason and certificate are isacsim's.
    """
    return audit_designs([problem], receiver, detector, [design], designer=designer, source=source,
                         seconds=None if seconds is None else [seconds], power_weights=power_weights)[0]


def audit_designs(problems, receiver, detector, designs, *, designer, source, seconds=None, power_weights=None):
    """isacsim's verdict on a batch of designs of one designer, with one vectorized check.

    Parameters
    ----------
    problems : sequence of DesignProblem
        The problems as the caller holds them, all of one shape.
    receiver, detector
        What every design was asked for.
    designs : sequence of object
        What the designer returned for each problem, in order.
    designer, source : str
        As for :func:`audit_design`.
    seconds : sequence of float or None
        Wall time of each design [s].
    power_weights : numpy.ndarray or None, shape (L,)
        As for :func:`audit_design`.

    Returns
    -------
    list of Design
    """
    problems = list(problems)
    designs = list(designs)
    seconds = [None] * len(designs) if seconds is None else list(seconds)
    if len(problems) != len(designs) or len(seconds) != len(designs):
        raise ValueError(f"designs: expected one per problem ({len(problems)}), got {len(designs)} and {len(seconds)} times")
    verdicts = [None] * len(designs)
    to_check = []  # (index, w, R, claimed design) of the usable claims of the right form
    for i, (problem, design) in enumerate(zip(problems, designs)):
        fault = _form_fault(problem, receiver, detector, design)
        if fault:
            verdicts[i] = failed_design(problem, receiver, detector, designer=designer, reason=f"{source} {fault}", seconds=_seconds(seconds[i], design))
        elif design.status not in USABLE_STATUSES:
            verdicts[i] = _without_beams(problem, receiver, design, designer, source, seconds[i])
        else:
            to_check.append((i, np.asarray(design.w, dtype=complex), np.asarray(design.R, dtype=complex), design))
    if to_check:
        index, w, R, claimed = zip(*to_check)
        position = {i: n for n, i in enumerate(index)}
        # the sensing-only detector is checked as its own batch
        for design_detector, members in group_equal((design.detector, i) for i, design in zip(index, claimed)):
            stack = stack_problems([problems[i] for i in members])
            limits = [Limits.of_problem(problems[i], design_detector, power_weights=_weights(claimed[position[i]], problems[i], power_weights))
                      for i in members]
            checks = check_designs(stack, receiver, design_detector, np.stack([w[position[i]] for i in members]),
                                   np.stack([R[position[i]] for i in members]), limits)
            for i, check in zip(members, checks):
                verdicts[i] = _judge(problems[i], receiver, claimed[position[i]], check, w[position[i]], R[position[i]],
                                     designer, source, seconds[i])
    return verdicts


def _weights(design, problem, power_weights):
    """The power weights of a design's objective: those given for a ``"min-power"`` design (default 1), else None."""
    if design.certificate.objective_kind != "min-power":
        return None
    return np.ones(problem.n_bs) if power_weights is None else np.asarray(power_weights, dtype=float)


def _seconds(measured, design):
    """The wall time to report: the caller's measurement, else the certificate's if it is a number."""
    if measured is not None:
        return float(measured)
    value = getattr(getattr(design, "certificate", None), "solve_seconds", math.nan)
    return float(value) if isinstance(value, numbers.Real) else math.nan


def _form_fault(problem, receiver, detector, design):
    """What is wrong with the form of ``design`` (type, status, shapes), or "" if nothing."""
    if not isinstance(design, Design):
        return f"returned {type(design).__name__}, not a Design"
    if design.status not in STATUSES:
        return f"returned an unknown status {design.status!r} (expected one of {', '.join(STATUSES)})"
    if not isinstance(design.reason, str):
        return f"returned a reason of type {type(design.reason).__name__}, not str"
    if not isinstance(design.certificate, Certificate):
        return f"returned a certificate of type {type(design.certificate).__name__}, not Certificate"
    if design.receiver != receiver:
        return f"returned a design for receiver {design.receiver!r}, but {receiver!r} was asked for"
    if design.detector not in (detector, attrs.evolve(detector, information_echoes=False)):
        return f"returned a design for detector {design.detector!r}, but {detector!r} was asked for"
    if design.status not in USABLE_STATUSES:
        return ""
    L, K, Nt = problem.n_bs, problem.n_users_per_cell, problem.n_tx
    for name, shape in (("w", (L, K, Nt)), ("R", (L, Nt, Nt))):
        value = getattr(design, name)
        if not isinstance(value, np.ndarray) or value.dtype.kind not in "iufc":
            kind = f"dtype {value.dtype}" if isinstance(value, np.ndarray) else type(value).__name__
            return f"returned {name} as {kind}, expected a numeric array of shape {shape}"
        if value.shape != shape:
            return f"returned {name} of shape {value.shape}, expected {shape}"
    return ""


def _without_beams(problem, receiver, design, designer, source, seconds):
    """An ``infeasible`` or ``error`` claim: kept, with no beams deployed."""
    reason = " ".join(design.reason.split()) or "no reason given"
    if design.status == "error" and not reason.startswith(source):
        reason = f"{source} failed: {reason}"
    audited = failed_design(problem, receiver, design.detector, designer=designer, reason=reason, status=design.status,
                            seconds=_seconds(seconds, design))
    return attrs.evolve(audited, certificate=attrs.evolve(audited.certificate, **_claimed(design.certificate)))


def _number(value, kind=float):
    """``value`` as a ``kind`` if it is a real number, else NaN (or -1 for an int)."""
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return kind(value)
    return math.nan if kind is float else -1


def _text(value):
    return value if isinstance(value, str) else ""


def _claimed(certificate):
    """The certificate fields isacsim cannot recompute: kept as the designer's claims, type-checked."""
    return {
        "objective_kind": _text(certificate.objective_kind),
        "bound": _number(certificate.bound),
        "duality_gap": _number(certificate.duality_gap),
        "rank_one_residual": _number(certificate.rank_one_residual),
        "rank_one": _text(certificate.rank_one),
        "iterations": _number(certificate.iterations, int),
        "solver": _text(certificate.solver),
        "repaired": bool(certificate.repaired) if isinstance(certificate.repaired, (bool, np.bool_)) else False,
    }


def _judge(problem, receiver, design, check, w, R, designer, source, seconds):
    """The verdict on a usable claim, from its recomputed check."""
    status, reason = design.status, " ".join(design.reason.split())
    claims = _claimed(design.certificate)
    evidence = {"max_sinr_violation": check.sinr_violation, "max_power_violation": check.power_violation,
                "max_antenna_violation": check.antenna_violation, "max_floor_violation": check.floor_violation,
                "min_eig_r": check.min_eig_r}
    sense = OBJECTIVES.get(claims["objective_kind"])
    value = _objective(claims["objective_kind"], problem, design.detector, check, w, R)
    if not check.finite or check.worst > UNUSABLE:
        what = f"breaks {check.broken}" if check.finite else f"returned a design without {check.broken}"
        status, reason = "error", f"{source} {what}"
    elif check.worst > TOLERANCE:
        if status != "inaccurate":
            status = "inaccurate"
            reason = _join(reason, f"{source} misses {check.broken} (relative miss {check.worst:.1e}, tolerance {TOLERANCE:g})")
    elif status == "optimal":
        status, reason = _judge_optimality(value, claims["bound"], sense, claims["objective_kind"], reason, source)
    if status == "error":
        audited = failed_design(problem, receiver, design.detector, designer=designer, reason=reason, seconds=_seconds(seconds, design))
        return attrs.evolve(audited, certificate=attrs.evolve(audited.certificate, **claims, **(evidence if check.finite else {})))
    certificate = Certificate(objective=value, optimality_gap=_worse_by(value, claims["bound"], sense),
                              solve_seconds=_seconds(seconds, design), **evidence, **claims)
    return Design(w=w, R=R, status=status, reason=reason, designer=designer, receiver=receiver, detector=design.detector,
                  certificate=certificate)


def _objective(kind, problem, detector, check, w, R):
    """The design's objective of ``kind``, recomputed from its beams.

    The weighted transmit power for ``"min-power"``, the minimum guaranteed
    signal-to-clutter-plus-noise ratio over the points for ``"max-min-scnr"``
    (the detector's clutter), else the minimum reflected power [W].
    """
    if kind == "min-power":
        return check.transmit
    if kind == "max-min-scnr" and detector.clutter is not None and check.finite:
        from ..clutter.scnr import clutter_statistics

        return float(clutter_statistics(problem, detector.clutter, detector, w, R).scnr_bound.min())
    return check.objective


def _worse_by(value, bound, sense):
    """Relative distance of ``value`` from ``bound`` in the direction of worse (NaN without a usable bound)."""
    if sense is None or not (math.isfinite(bound) and bound != 0 and math.isfinite(value)):
        return math.nan
    return (bound - value) / abs(bound) if sense == "max" else (value - bound) / abs(bound)


def _judge_optimality(value, bound, sense, kind, reason, source):
    """``(status, reason)`` of a verified design that claims ``optimal``.

    ``value`` is its recomputed objective, ``sense`` whether the objective is
    maximized (``bound`` an upper bound) or minimized (a lower bound).
    """
    if sense is None:
        return "feasible", _join(reason, f"{source} claims optimality of an objective isacsim cannot recompute ({kind!r}); "
                                         "optimality not verified")
    if not math.isfinite(bound):
        return "feasible", _join(reason, f"{source} claims optimality without a bound; optimality not verified")
    unit = "" if kind == "max-min-scnr" else " W"  # a ratio, or watts
    slack = OPTIMALITY_GAP * max(abs(bound), abs(value)) + 1e-300
    beyond = value - bound if sense == "max" else bound - value
    if beyond > slack:
        side = "below" if sense == "max" else "above"
        return "error", (f"{source} claims optimality with a bound {bound:.6g}{unit} {side} the objective {value:.6g}{unit} "
                         "its own beams achieve: the certificate is false")
    if -beyond > slack:
        gap = abs(bound - value) / abs(bound)
        return "feasible", _join(reason, f"optimality not proven: the bound {bound:.6g}{unit} is {gap:.1e} (relative) from the "
                                         f"objective {value:.6g}{unit} (at most {OPTIMALITY_GAP:g} proves it)")
    return "optimal", reason


def _join(*parts):
    return "; ".join(part for part in parts if part)
