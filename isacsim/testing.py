"""Conformance check for designers: run it on your own designer.

>>> from isacsim.testing import check_designer
>>> from isacsim.designers import SDRDesigner
>>> check_designer(SDRDesigner)  # raises AssertionError on the first failure

It builds small seeded problems that any reasonable designer can serve
(-10 dB SINR targets by default), runs the designer for both receivers and
both scenarios, and has isacsim audit every design
(:func:`isacsim.designers.audit.audit_design`: shapes, finite numbers,
Hermitian PSD sensing covariances, budgets, every SINR and the objective,
recomputed from the beams). It checks that

* every design is verified: ``optimal`` or ``feasible``;
* every status is honest: the designer's own status is the audit's (a
  heuristic claims ``feasible``; ``optimal`` needs a bound that proves it);
* the certificate reports the numbers the beams achieve;
* its first ``optimal`` design agrees with the PICOS path: the same designer with
  ``solver="picos:cvxopt"`` (the primal model written from the paper's
  equations) to 1e-5, or, for a designer without a solver choice, no better
  than the paper's optimum (the SDR through PICOS);
* unreachable SINR targets give status ``infeasible`` with a reason, not an
  exception.
"""
from __future__ import annotations

import math

from .designers.audit import audit_design
from .designers.design import VERIFIED_STATUSES, Design
from .detection import Detector
from .receivers import TypeI, TypeII
from .scenario import ScenarioConfig, realization_rng

__all__ = ["check_designer", "small_problem", "TOLERANCE", "REFERENCE_SOLVER"]

#: Relative agreement required with the PICOS path.
TOLERANCE = 1e-5
#: The independent path an optimal designer is checked against.
REFERENCE_SOLVER = "picos:cvxopt"


def small_problem(seed=0, n_users_per_cell=2, n_tx=8, sinr_target_db=5.0):
    """A small seeded paper-layout problem (L = 3, Q = 4).

    Parameters
    ----------
    seed : int
        Channel realization seed.
    n_users_per_cell : int
        K.
    n_tx : int
        Nt (also Nr).
    sinr_target_db : float
        Gamma [dB].

    Returns
    -------
    DesignProblem
    """
    config = ScenarioConfig(
        n_users_per_cell=n_users_per_cell, n_tx=n_tx, n_rx=n_tx, sinr_target_db=sinr_target_db, points_per_side=2
    )
    return config.build(realization_rng(seed, 0))


def _fail(cls, context, message):
    raise AssertionError(f"{cls.__name__} ({context}): {message}")


def _audited(cls, design, problem, receiver, detector, context):
    """isacsim's audit of ``design``, failing the check if the designer's status is not the audit's."""
    if not isinstance(design, Design):
        _fail(cls, context, f"design() must return a Design, got {type(design).__name__}")
    audited = audit_design(problem, receiver, detector, design, designer=cls.name, source=f"designer {cls.name!r}")
    if audited.status != design.status:
        _fail(cls, context, f"claims status {design.status!r}, but isacsim's audit finds {audited.status!r}: {audited.reason}")
    return audited


def _check_certificate(cls, design, audited, context):
    """The certificate reports what the beams achieve."""
    claimed, found = design.certificate, audited.certificate
    if not math.isclose(claimed.objective, found.objective, rel_tol=1e-9, abs_tol=1e-300):
        _fail(cls, context, f"certificate.objective {claimed.objective:.6e} W != {found.objective:.6e} W recomputed from the beams")
    for name in ("max_sinr_violation", "max_power_violation"):
        if not math.isclose(getattr(claimed, name), getattr(found, name), rel_tol=1e-6, abs_tol=1e-9):
            _fail(cls, context, f"certificate.{name} = {getattr(claimed, name)!r}, recomputed {getattr(found, name)!r}")
    if not claimed.solve_seconds > 0:
        _fail(cls, context, "certificate.solve_seconds must be > 0")


def _check_against_picos(cls, design, problem, receiver, context):
    """An optimal design agrees with the PICOS path (see the module docstring)."""
    from .designers import SDRDesigner

    try:
        reference = cls(solver=REFERENCE_SOLVER)
    except TypeError:  # no solver choice: the paper's optimum bounds every design
        optimum = SDRDesigner(solver=REFERENCE_SOLVER).design(problem, receiver, design.detector).certificate.objective
        if design.certificate.objective > optimum * (1 + TOLERANCE):
            _fail(cls, context, f"claims optimal with {design.certificate.objective:.6e} W, above the paper's optimum "
                                f"{optimum:.6e} W ({REFERENCE_SOLVER})")
        return
    other = reference.design(problem, receiver, Detector(synchronized=design.detector.synchronized))
    if other.status != "optimal" or not math.isclose(other.certificate.objective, design.certificate.objective, rel_tol=TOLERANCE):
        _fail(cls, context, f"objective {design.certificate.objective:.6e} W, but {REFERENCE_SOLVER} finds "
                            f"{other.certificate.objective:.6e} W ({other.status})")


def check_designer(cls, *, seeds=(0, 1), n_users_per_cell=2, n_tx=8, sinr_target_db=-10.0):
    """Check that a designer class honours the designer contract (see the module docstring).

    Parameters
    ----------
    cls : type
        The designer class; created with no arguments (and with
        ``solver="picos:cvxopt"`` to check an optimal design, if it takes one).
    seeds : sequence of int
        Channel seeds of the test problems.
    n_users_per_cell, n_tx : int
        Size of the test problems (L = 3; ``n_tx >= 3 * n_users_per_cell``
        keeps zero-forcing designers applicable).
    sinr_target_db : float
        SINR target of every user [dB]; the problems must be feasible for
        the designer at this target.

    Raises
    ------
    AssertionError
        Naming the class, the case and what failed.
    """
    if not (isinstance(getattr(cls, "name", None), str) and cls.name):
        raise AssertionError(f"{cls.__name__}: needs a non-empty class attribute 'name'")
    designer = cls()
    compared = False
    for seed in seeds:
        problem = small_problem(seed, n_users_per_cell, n_tx, sinr_target_db)
        for receiver in (TypeI(), TypeII()):
            for synchronized in (True, False):
                detector = Detector(synchronized=synchronized)
                context = f"seed {seed}, {receiver.name}, {'sync' if synchronized else 'unsync'}, {sinr_target_db:g} dB targets"
                design = designer.design(problem, receiver, detector)
                audited = _audited(cls, design, problem, receiver, detector, context)
                if audited.status not in VERIFIED_STATUSES:
                    _fail(cls, context, f"expected a verified design ('optimal' or 'feasible') on this feasible problem, "
                                        f"got {audited.status!r}: {audited.reason}")
                if design.detector.synchronized != synchronized:
                    _fail(cls, context, "design.detector must be the detector the design was made for")
                _check_certificate(cls, design, audited, context)
                if design.status == "optimal" and not compared:  # one independent solve: seconds, not minutes
                    _check_against_picos(cls, design, problem, receiver, context)
                    compared = True
    hopeless = small_problem(seeds[0], n_users_per_cell, n_tx, sinr_target_db=120.0)
    for receiver in (TypeI(), TypeII()):
        context = f"unreachable 120 dB targets, {receiver.name}"
        try:
            design = designer.design(hopeless, receiver, Detector())
        except Exception as error:  # noqa: BLE001 - the contract forbids raising here
            _fail(cls, context, f"raised {type(error).__name__}: {error} (must return status 'infeasible')")
        _audited(cls, design, hopeless, receiver, Detector(), context)
        if design.status != "infeasible":
            _fail(cls, context, f"expected status 'infeasible', got {design.status!r}")
        if not design.reason:
            _fail(cls, context, "an infeasible design must say why (reason)")
