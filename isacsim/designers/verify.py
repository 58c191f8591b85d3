"""Verification and repair of a design against its own constraints.

Every number is recomputed from the returned ``w`` and ``R`` with the core
model's functions (:meth:`Receiver.sinr`, :meth:`Detector.reflected_power`);
nothing is taken from the solver. This module is the one place where a
design's constraints are checked: the designers' own verification and
isacsim's audit of every design (:mod:`isacsim.designers.audit`) both call
:func:`check_designs`, which checks a whole stack of designs at once.
"""
from __future__ import annotations

import attrs
import numpy as np
from scipy.optimize import linprog

from ..evaluation import transmit_power
from ..stack import ProblemStack, contiguous, stack_problems
from ..receivers import received_powers, sensing_interference_by_bs
from ..units import linear_to_db

__all__ = ["Check", "ProblemStack", "check_design", "check_designs", "stack_problems", "repair_design", "TOLERANCE"]

#: Largest relative constraint violation a design may carry and still be ``optimal``.
TOLERANCE = 1e-6
#: Target margin of the repair: constraints are met with this relative slack.
_MARGIN = 1e-9


@attrs.frozen
class Check:
    """Constraint residuals of one design.

    Attributes
    ----------
    sinr_violation : float
        ``max(0, max (Gamma - SINR) / Gamma)``.
    power_violation : float
        ``max(0, max (P - P_max) / P_max)``.
    min_eig_r : float
        Smallest eigenvalue over all R_l [W].
    psd_violation : float
        ``max(0, -min_eig_r, max |R_l - R_l^H|) / max(P_max)``: how far the
        R_l are from Hermitian PSD matrices.
    objective : float
        Minimum reflected power over the sample points [W].
    sinr : numpy.ndarray, shape (L, K)
    tx_power : numpy.ndarray, shape (L,)
    finite : bool
        Whether ``w``, ``R``, the SINRs, the powers and the objective are all
        finite; if not, every violation is ``inf`` (never ``optimal``).
    broken : str
        The worst violated constraint in words, e.g. ``"the power budget of
        BS 1 (150 W > 15 W)"``; empty when every constraint holds exactly.
    """

    sinr_violation: float
    power_violation: float
    min_eig_r: float
    psd_violation: float
    objective: float
    sinr: np.ndarray = attrs.field(eq=False)
    tx_power: np.ndarray = attrs.field(eq=False)
    finite: bool = True
    broken: str = ""

    @property
    def worst(self):
        """Largest of the three relative violations."""
        return max(self.sinr_violation, self.power_violation, self.psd_violation)


def check_design(problem, receiver, detector, w, R):
    """Recompute every constraint of a design.

    Parameters
    ----------
    problem : DesignProblem
    receiver : Receiver
    detector : Detector
    w : numpy.ndarray, complex, shape (L, K, Nt)
    R : numpy.ndarray, complex, shape (L, Nt, Nt)

    Returns
    -------
    Check
    """
    return check_designs(stack_problems([problem]), receiver, detector, np.asarray(w)[None], np.asarray(R)[None])[0]


def check_designs(problems, receiver, detector, w, R):
    """Recompute every constraint of a stack of designs at once (vectorized).

    Parameters
    ----------
    problems : ProblemStack
        From :func:`stack_problems`, B problems.
    receiver : Receiver
    detector : Detector
    w : numpy.ndarray, complex, shape (B, L, K, Nt)
    R : numpy.ndarray, complex, shape (B, L, Nt, Nt)

    Returns
    -------
    list of Check
        One per design, in order.
    """
    w, R = contiguous(w), contiguous(R)  # the sums of a member then do not depend on its stack
    with np.errstate(all="ignore"):  # a non-finite value is caught below, not warned about
        sinr = receiver.sinr(problems, w, R)  # (B, L, K)
        tx = transmit_power(w, R)  # (B, L)
        objective = detector.reflected_power(problems, w, R).min(axis=-1)  # (B,)
        finite = (np.isfinite(w).all(axis=(1, 2, 3)) & np.isfinite(R).all(axis=(1, 2, 3)) & np.isfinite(sinr).all(axis=(1, 2))
                  & np.isfinite(tx).all(axis=1) & np.isfinite(objective))
        scale = problems.p_max.max(axis=1)  # (B,)
        sinr_miss = (problems.gamma - sinr) / problems.gamma  # (B, L, K)
        power_excess = (tx - problems.p_max) / problems.p_max  # (B, L)
        safe_R = np.where(finite[:, None, None, None], R, 0.0)
        eigenvalues = np.linalg.eigvalsh(safe_R).min(axis=-1)  # (B, L)
        asymmetry = np.abs(safe_R - np.conj(np.swapaxes(safe_R, -1, -2))).max(axis=(-2, -1))  # (B, L)
        psd_miss = np.maximum(-eigenvalues, asymmetry) / scale[:, None]
    checks = []
    for b in range(w.shape[0]):
        if not finite[b]:  # NaN compares false: never let it pass as a met constraint
            broken = "finite numbers (w, R, an SINR, a power or the objective is NaN or inf)"
            checks.append(Check(np.inf, np.inf, np.nan, np.inf, float(objective[b]), sinr[b], tx[b], finite=False, broken=broken))
            continue
        violations = (float(max(0.0, sinr_miss[b].max())), float(max(0.0, power_excess[b].max())), float(max(0.0, psd_miss[b].max())))
        checks.append(
            Check(
                sinr_violation=violations[0],
                power_violation=violations[1],
                min_eig_r=float(eigenvalues[b].min()),
                psd_violation=violations[2],
                objective=float(objective[b]),
                sinr=sinr[b],
                tx_power=tx[b],
                broken=_describe_worst(violations, sinr[b], problems.gamma[b], tx[b], problems.p_max[b], eigenvalues[b], asymmetry[b]),
            )
        )
    return checks


def _describe_worst(violations, sinr, gamma, tx, p_max, eigenvalues, asymmetry):
    """The worst of the violated constraints of one design, in words ("" if none)."""
    if max(violations) <= 0:
        return ""
    kind = int(np.argmax(violations))
    if kind == 0:
        m, k = np.unravel_index(np.argmax((gamma - sinr) / gamma), gamma.shape)
        with np.errstate(divide="ignore"):
            achieved, target = linear_to_db(sinr[m, k]), linear_to_db(gamma[m, k])
        return f"the SINR target of cell {m} user {k} (SINR {achieved:.4g} dB < target {target:.4g} dB)"
    if kind == 1:
        l = int(np.argmax((tx - p_max) / p_max))
        return f"the power budget of BS {l} ({tx[l]:.6g} W > {p_max[l]:.6g} W)"
    l = int(np.argmax(np.maximum(-eigenvalues, asymmetry)))
    if asymmetry[l] > -eigenvalues[l]:
        return f"the Hermitian symmetry of R of BS {l} (max |R - R^H| = {asymmetry[l]:.3g} W)"
    return f"the positive semidefiniteness of R of BS {l} (smallest eigenvalue {eigenvalues[l]:.3g} W)"


def _shape_gains(problem, detector, w, R):
    """Echo power per unit scale of each beam and each R_l, shape (Q, LK + L) [W]."""
    link = detector.link_weights(problem) * problem.n_rx  # (Q, L)
    beams, sensing = detector.gains_by_signal(problem, w, R)
    return np.concatenate([(link[:, :, None] * beams).reshape(problem.n_points, -1), link * sensing], axis=1)


def _rescale_powers(problem, receiver, detector, w, R):
    """Best per-beam and per-R_l power factors for fixed beam shapes (an LP).

    Maximizes the minimum reflected power over factors ``s`` (one per beam)
    and ``r`` (one per R_l) subject to the exact SINR targets (tightened by
    1e-9) and power budgets. The current design is the point ``s = r = 1``,
    so for a nearly feasible design the LP moves it by about its violation.
    Every row is normalised by its value at that point. Returns the factors
    or None when the LP fails.
    """
    n_users = problem.gamma.size
    n_bs = problem.n_bs
    received = received_powers(problem, w).reshape(n_users, n_users).T  # [at user u, from beam v]
    gain = np.diag(received).copy()
    cross = received - np.diag(gain)
    leak = receiver.sensing_leakage * sensing_interference_by_bs(problem, R).reshape(n_bs, n_users).T  # [user, BS]
    level = cross.sum(axis=1) + leak.sum(axis=1) + problem.sigma_c2  # interference + noise at s = r = 1
    target = problem.gamma.ravel() * (1.0 + _MARGIN)
    # SINR rows: target * (cross s + leak r + sigma) - gain s <= 0, divided by level
    sinr_rows = np.hstack([target[:, None] * cross - np.diag(gain), target[:, None] * leak]) / level[:, None]
    sinr_rhs = -target * problem.sigma_c2 / level
    beam_power = (np.abs(w) ** 2).sum(axis=2)  # (L, K)
    power_rows = np.zeros((n_bs, n_users + n_bs))
    for l in range(n_bs):
        power_rows[l, l * problem.n_users_per_cell : (l + 1) * problem.n_users_per_cell] = beam_power[l]
        power_rows[l, n_users + l] = np.einsum("nn->", R[l]).real
    power_rows /= problem.p_max[:, None]
    shape = _shape_gains(problem, detector, w, R)
    reference = max(float(shape.sum(axis=1).min()), 1e-300)
    sense_rows = -shape / reference  # -(sensing) + t <= 0
    n_vars = n_users + n_bs + 1
    A_ub = np.vstack(
        [
            np.hstack([sense_rows, np.ones((problem.n_points, 1))]),
            np.hstack([sinr_rows, np.zeros((n_users, 1))]),
            np.hstack([power_rows, np.zeros((n_bs, 1))]),
        ]
    )
    b_ub = np.concatenate([np.zeros(problem.n_points), sinr_rhs, np.ones(n_bs)])
    cost = np.zeros(n_vars)
    cost[-1] = -1.0
    bounds = [(0, None)] * (n_vars - 1) + [(None, None)]
    result = linprog(cost, A_ub=A_ub, b_ub=b_ub, bounds=bounds, method="highs",
                     options={"primal_feasibility_tolerance": 1e-10, "dual_feasibility_tolerance": 1e-10})
    if result.status != 0:
        return None
    return result.x[:n_users], result.x[n_users:n_users + n_bs]


def repair_design(problem, receiver, detector, w, R):
    """Make a nearly feasible design feasible by re-optimizing its powers.

    1. Negative eigenvalues of each R_l are clipped to zero.
    2. With the beam shapes and the shape of each R_l fixed, one power factor
       per beam and per R_l is re-optimized by a small LP
       (:func:`_rescale_powers`): the exact SINR targets (with a 1e-9 margin)
       and budgets hold at its vertex solution, and the detection objective
       is as high as these shapes allow.

    Parameters
    ----------
    problem, receiver, detector
        As for :func:`check_design`.
    w : numpy.ndarray, complex, shape (L, K, Nt)
    R : numpy.ndarray, complex, shape (L, Nt, Nt)

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        Repaired ``w`` and ``R`` (new arrays; the caller re-checks them).
    """
    values, vectors = np.linalg.eigh(R)
    R = np.einsum("lnk,lk,lpk->lnp", vectors, np.maximum(values, 0.0), vectors.conj())
    factors = _rescale_powers(problem, receiver, detector, w, R)
    if factors is None:
        return w.copy(), R
    beam_factors, sensing_factors = factors
    return w * np.sqrt(beam_factors).reshape(w.shape[:2])[..., None], R * sensing_factors[:, None, None]
