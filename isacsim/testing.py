"""Conformance check for designers: run it on your own designer.

>>> from isacsim.testing import check_designer
>>> from isacsim.designers import SDRDesigner
>>> check_designer(SDRDesigner)  # raises AssertionError on the first failure

It builds small seeded problems, runs the designer for both receivers and
both scenarios, and recomputes everything from the returned beams: SINR
targets, power budgets, Hermitian PSD sensing covariances, rank-one beams of
the right shape, and a consistent certificate. It also checks that
unreachable SINR targets give status ``infeasible`` instead of an exception.
"""
from __future__ import annotations

import math

import numpy as np

from .designers.design import STATUSES, Design
from .detection import Detector
from .evaluation import transmit_power
from .receivers import TypeI, TypeII
from .scenario import ScenarioConfig, realization_rng

__all__ = ["check_designer", "small_problem", "TOLERANCE"]

#: Relative slack allowed on every recomputed constraint.
TOLERANCE = 1e-6


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


def _check_one(cls, design, problem, receiver, detector, context):
    if not isinstance(design, Design):
        _fail(cls, context, f"design() must return a Design, got {type(design).__name__}")
    if design.status not in STATUSES:
        _fail(cls, context, f"unknown status {design.status!r}")
    if design.status != "optimal":
        _fail(cls, context, f"expected status 'optimal' on a feasible problem, got {design.status!r}: {design.reason}")
    L, K, Nt = problem.n_bs, problem.n_users_per_cell, problem.n_tx
    if design.w.shape != (L, K, Nt):
        _fail(cls, context, f"w must have shape {(L, K, Nt)} (one rank-one beam per user), got {design.w.shape}")
    if design.R.shape != (L, Nt, Nt):
        _fail(cls, context, f"R must have shape {(L, Nt, Nt)}, got {design.R.shape}")
    if not (np.all(np.isfinite(design.w)) and np.all(np.isfinite(design.R))):
        _fail(cls, context, "w and R must be finite")
    scale = float(problem.p_max.max())
    if np.max(np.abs(design.R - np.conj(np.swapaxes(design.R, 1, 2)))) > 1e-9 * scale:
        _fail(cls, context, "R is not Hermitian")
    min_eig = float(np.linalg.eigvalsh(design.R).min())
    if min_eig < -TOLERANCE * scale:
        _fail(cls, context, f"R is not PSD: smallest eigenvalue {min_eig:.3e} W")
    sinr = receiver.sinr(problem, design.w, design.R)
    miss = float(np.max((problem.gamma - sinr) / problem.gamma))
    if miss > TOLERANCE:
        _fail(cls, context, f"SINR target missed by {miss:.3e} (relative)")
    power = transmit_power(design.w, design.R)
    excess = float(np.max((power - problem.p_max) / problem.p_max))
    if excess > TOLERANCE:
        _fail(cls, context, f"power budget exceeded by {excess:.3e} (relative)")
    if design.detector is None or design.detector.synchronized != detector.synchronized:
        _fail(cls, context, "design.detector must be the detector the design was made for")
    certificate = design.certificate
    achieved = float(design.detector.reflected_power(problem, design.w, design.R).min())
    if not math.isclose(certificate.objective, achieved, rel_tol=1e-9, abs_tol=0.0):
        _fail(cls, context, f"certificate.objective {certificate.objective:.6e} != recomputed {achieved:.6e}")
    if math.isfinite(certificate.bound) and achieved > certificate.bound * (1 + TOLERANCE):
        _fail(cls, context, f"objective {achieved:.6e} exceeds the certified bound {certificate.bound:.6e}")
    if not certificate.solve_seconds > 0:
        _fail(cls, context, "certificate.solve_seconds must be > 0")
    for name in ("max_sinr_violation", "max_power_violation"):
        value = getattr(certificate, name)
        if not (math.isfinite(value) and value <= TOLERANCE):
            _fail(cls, context, f"certificate.{name} = {value!r} (expected <= {TOLERANCE})")


def check_designer(cls, *, seeds=(0, 1), n_users_per_cell=2, n_tx=8):
    """Check that a designer class honours the designer contract.

    Parameters
    ----------
    cls : type
        The designer class; created with no arguments.
    seeds : sequence of int
        Channel seeds of the test problems.
    n_users_per_cell, n_tx : int
        Size of the test problems (L = 3; ``n_tx >= 3 * n_users_per_cell``
        keeps zero-forcing designers applicable).

    Raises
    ------
    AssertionError
        Naming the class, the case and what failed.
    """
    if not (isinstance(getattr(cls, "name", None), str) and cls.name):
        raise AssertionError(f"{cls.__name__}: needs a non-empty class attribute 'name'")
    designer = cls()
    for seed in seeds:
        problem = small_problem(seed, n_users_per_cell, n_tx)
        for receiver in (TypeI(), TypeII()):
            for synchronized in (True, False):
                detector = Detector(synchronized=synchronized)
                context = f"seed {seed}, {receiver.name}, {'sync' if synchronized else 'unsync'}"
                design = designer.design(problem, receiver, detector)
                _check_one(cls, design, problem, receiver, detector, context)
    hopeless = small_problem(seeds[0], n_users_per_cell, n_tx, sinr_target_db=120.0)
    for receiver in (TypeI(), TypeII()):
        context = f"unreachable 120 dB targets, {receiver.name}"
        try:
            design = designer.design(hopeless, receiver, Detector())
        except Exception as error:  # noqa: BLE001 - the contract forbids raising here
            _fail(cls, context, f"raised {type(error).__name__}: {error} (must return status 'infeasible')")
        if design.status != "infeasible":
            _fail(cls, context, f"expected status 'infeasible', got {design.status!r}")
        if not design.reason:
            _fail(cls, context, "an infeasible design must say why (reason)")
