"""Verification and repair of a design against its own constraints.

Every number is recomputed from the returned ``w`` and ``R`` with the core
model's functions (:meth:`Receiver.sinr`, :meth:`Detector.reflected_power`);
nothing is taken from the solver.
"""
from __future__ import annotations

import attrs
import numpy as np

from ..evaluation import transmit_power
from ..receivers import received_powers, sensing_interference_by_bs

__all__ = ["Check", "check_design", "repair_design", "antenna_powers", "TOLERANCE"]

#: Largest relative constraint violation a design may carry and still be ``optimal``.
TOLERANCE = 1e-6
#: Target margin of the repair: constraints are met with this relative slack.
_MARGIN = 1e-9
#: Default of the optional limits of :func:`check_design`: take them from the problem.
_FROM_PROBLEM = object()


@attrs.frozen
class Check:
    """Constraint residuals of one design.

    Every violation is relative and >= 0; a row the problem does not have
    (no per-antenna budgets, no detection target) has violation 0.

    Attributes
    ----------
    sinr_violation : float
        ``max(0, max (Gamma - SINR) / Gamma)`` (SINR in expectation under a
        statistical CSI error).
    power_violation : float
        ``max(0, max (P - P_max) / P_max)``.
    antenna_violation : float
        ``max(0, max (diag - p_antenna) / p_antenna)`` over every antenna of
        every BS, ``diag`` the diagonal of the transmit covariance.
    floor_violation : float
        ``max(0, max (floor - E) / floor)`` over the points with a
        reflected-power floor > 0.
    min_eig_r : float
        Smallest eigenvalue over all R_l [W].
    psd_violation : float
        ``max(0, -min_eig_r) / max(P_max)``.
    objective : float
        Minimum reflected power over the sample points [W].
    transmit : float
        Total transmit power, ``sum_l weight_l P_l`` [W] (weights 1 unless given).
    sinr : numpy.ndarray, shape (L, K)
    tx_power : numpy.ndarray, shape (L,)
    finite : bool
        Whether ``w``, ``R``, the SINRs, the powers and the objective are all
        finite; if not, every violation is ``inf`` (never ``optimal``).
    """

    sinr_violation: float
    power_violation: float
    min_eig_r: float
    psd_violation: float
    objective: float
    sinr: np.ndarray = attrs.field(eq=False)
    tx_power: np.ndarray = attrs.field(eq=False)
    finite: bool = True
    antenna_violation: float = 0.0
    floor_violation: float = 0.0
    transmit: float = float("nan")

    @property
    def worst(self):
        """Largest of the relative violations."""
        return max(self.sinr_violation, self.power_violation, self.antenna_violation, self.floor_violation, self.psd_violation)


def _relative_excess(value, limit):
    """``max(0, max (value - limit) / limit)`` over the entries (0 without limits)."""
    return 0.0 if limit is None else float(max(0.0, np.max((value - limit) / limit)))


def _relative_shortfall(value, target):
    """``max(0, max (target - value) / target)`` over the entries with a target > 0 (0 without targets)."""
    if target is None or not np.any(target > 0):
        return 0.0
    positive = target > 0
    return float(max(0.0, np.max((target[positive] - value[positive]) / target[positive])))


def antenna_powers(w, R):
    """Diagonal of every BS's transmit covariance ``sum_i w_li w_li^H + R_l``.

    Parameters
    ----------
    w : numpy.ndarray, complex, shape (L, K, Nt)
    R : numpy.ndarray, complex, shape (L, Nt, Nt)

    Returns
    -------
    numpy.ndarray, float, shape (L, Nt)
        Power radiated by each antenna [W].
    """
    return (np.abs(w) ** 2).sum(axis=1) + np.einsum("lnn->ln", R).real


def check_design(problem, receiver, detector, w, R, *, p_antenna=_FROM_PROBLEM, floors=_FROM_PROBLEM, power_weights=None):
    """Recompute every constraint of a design.

    Parameters
    ----------
    problem : DesignProblem
    receiver : Receiver
    detector : Detector
    w : numpy.ndarray, complex, shape (L, K, Nt)
    R : numpy.ndarray, complex, shape (L, Nt, Nt)
    p_antenna : numpy.ndarray or None, shape (L, Nt)
        Per-antenna budgets [W]; by default ``problem.p_antenna``.
    floors : numpy.ndarray or None, shape (Q,)
        Reflected-power floors [W]; by default the detector's for the
        problem's detection target (:meth:`Detector.reflected_power_floors`).
    power_weights : numpy.ndarray or None, shape (L,)
        Weights of :attr:`Check.transmit` (default 1).

    Returns
    -------
    Check
    """
    p_antenna = problem.p_antenna if p_antenna is _FROM_PROBLEM else p_antenna
    floors = detector.reflected_power_floors(problem) if floors is _FROM_PROBLEM else floors
    weights = np.ones(problem.n_bs) if power_weights is None else np.asarray(power_weights, dtype=float)
    with np.errstate(all="ignore"):  # a non-finite value is caught below, not warned about
        sinr = receiver.sinr(problem, w, R)
        tx = transmit_power(w, R)
        reflected = detector.reflected_power(problem, w, R)
        objective = float(reflected.min())
        per_antenna = antenna_powers(w, R)
    finite = all(np.all(np.isfinite(x)) for x in (w, R, sinr, tx, reflected))
    if not finite:  # NaN compares false: never let it pass as a met constraint
        return Check(np.inf, np.inf, np.nan, np.inf, objective, sinr, tx, finite=False, antenna_violation=np.inf, floor_violation=np.inf)
    min_eig = float(np.linalg.eigvalsh(R).min())
    return Check(
        sinr_violation=_relative_shortfall(sinr, problem.gamma),
        power_violation=_relative_excess(tx, problem.p_max),
        antenna_violation=_relative_excess(per_antenna, p_antenna),
        floor_violation=_relative_shortfall(reflected, floors),
        min_eig_r=min_eig,
        psd_violation=max(0.0, -min_eig) / float(problem.p_max.max()),
        objective=objective,
        transmit=float(weights @ tx),
        sinr=sinr,
        tx_power=tx,
    )


def _shape_gains(problem, detector, w, R):
    """Echo power per unit scale of each beam and each R_l, shape (Q, LK + L) [W]."""
    link = detector.link_weights(problem) * problem.n_rx  # (Q, L)
    beams, sensing = detector.gains_by_signal(problem, w, R)
    return np.concatenate([(link[:, :, None] * beams).reshape(problem.n_points, -1), link * sensing], axis=1)


def _rescale_powers(problem, receiver, detector, w, R, *, p_antenna, floors, power_weights):
    """Best per-beam and per-R_l power factors for fixed beam shapes (an LP).

    Over factors ``s`` (one per beam) and ``r`` (one per R_l), subject to
    the exact SINR targets (tightened by 1e-9), the power budgets, the
    per-antenna budgets and the reflected-power floors (raised by 1e-9), it
    maximizes the minimum reflected power (``power_weights`` None) or
    minimizes the weighted transmit power ``sum_l weight_l P_l``. The
    current design is the point ``s = r = 1``, so for a nearly feasible
    design the LP moves it by about its violation. Every row is normalised
    by its value at that point. Returns the factors or None when the LP
    fails.
    """
    from scipy.optimize import linprog

    n_users = problem.gamma.size
    n_bs, n_per_cell = problem.n_bs, problem.n_users_per_cell
    received = received_powers(problem, w).reshape(n_users, n_users).T  # [at user u, from beam v]
    gain = np.diag(received).copy()
    cross = received - np.diag(gain)
    leak = receiver.sensing_leakage * sensing_interference_by_bs(problem, R).reshape(n_bs, n_users).T  # [user, BS]
    level = cross.sum(axis=1) + leak.sum(axis=1) + problem.sigma_c2  # interference + noise at s = r = 1
    target = problem.gamma.ravel() * (1.0 + _MARGIN)
    # SINR rows: target * (cross s + leak r + sigma) - gain s <= 0, divided by level
    rows = [np.hstack([target[:, None] * cross - np.diag(gain), target[:, None] * leak]) / level[:, None]]
    rhs = [-target * problem.sigma_c2 / level]
    owner = np.kron(np.eye(n_bs), np.ones((1, n_per_cell)))  # (L, LK): BS l's beams
    power = np.hstack([owner * (np.abs(w) ** 2).sum(axis=2).ravel(), np.diag(np.einsum("lnn->l", R).real)])  # (L, LK + L)
    rows.append(power / problem.p_max[:, None])
    rhs.append(np.ones(n_bs))
    if p_antenna is not None:  # (L Nt) rows: the diagonal of each BS's covariance
        beam_diag = (np.abs(w) ** 2).transpose(0, 2, 1)  # (L, Nt, K)
        per_antenna = np.zeros((n_bs, problem.n_tx, n_users + n_bs))
        for l in range(n_bs):
            per_antenna[l, :, l * n_per_cell : (l + 1) * n_per_cell] = beam_diag[l]
            per_antenna[l, :, n_users + l] = np.diagonal(R[l]).real
        rows.append((per_antenna / p_antenna[:, :, None]).reshape(-1, n_users + n_bs))
        rhs.append(np.ones(p_antenna.size))
    shape = _shape_gains(problem, detector, w, R)
    if floors is not None and np.any(floors > 0):
        floored = floors > 0
        rows.append(-shape[floored] / floors[floored, None])
        rhs.append(-np.full(int(floored.sum()), 1.0 + _MARGIN))
    maximize_echo = power_weights is None
    A_ub = np.vstack(rows)
    b_ub = np.concatenate(rhs)
    if maximize_echo:  # one more variable, t: -(sensing) + t <= 0
        reference = max(float(shape.sum(axis=1).min()), 1e-300)
        A_ub = np.vstack([np.hstack([-shape / reference, np.ones((problem.n_points, 1))]), np.hstack([A_ub, np.zeros((A_ub.shape[0], 1))])])
        b_ub = np.concatenate([np.zeros(problem.n_points), b_ub])
        cost = np.zeros(n_users + n_bs + 1)
        cost[-1] = -1.0
    else:
        cost = np.asarray(power_weights, dtype=float) @ power
        cost = cost / max(float(cost.sum()), 1e-300)
    bounds = [(0, None)] * (n_users + n_bs) + [(None, None)] * maximize_echo
    result = linprog(cost, A_ub=A_ub, b_ub=b_ub, bounds=bounds, method="highs",
                     options={"primal_feasibility_tolerance": 1e-10, "dual_feasibility_tolerance": 1e-10})
    if result.status != 0:
        return None
    return result.x[:n_users], result.x[n_users:n_users + n_bs]


def repair_design(problem, receiver, detector, w, R, *, p_antenna=_FROM_PROBLEM, floors=_FROM_PROBLEM, power_weights=None):
    """Make a nearly feasible design feasible by re-optimizing its powers.

    1. Negative eigenvalues of each R_l are clipped to zero.
    2. With the beam shapes and the shape of each R_l fixed, one power factor
       per beam and per R_l is re-optimized by a small LP
       (:func:`_rescale_powers`): the exact SINR targets (with a 1e-9 margin),
       budgets, per-antenna budgets and reflected-power floors hold at its
       vertex solution, and the objective is as good as these shapes allow.

    Parameters
    ----------
    problem, receiver, detector
        As for :func:`check_design`.
    w : numpy.ndarray, complex, shape (L, K, Nt)
    R : numpy.ndarray, complex, shape (L, Nt, Nt)
    p_antenna, floors
        As for :func:`check_design`.
    power_weights : numpy.ndarray or None, shape (L,)
        None maximizes the minimum reflected power (the paper's objective);
        weights minimize ``sum_l weight_l P_l`` instead.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        Repaired ``w`` and ``R`` (new arrays; the caller re-checks them).
    """
    p_antenna = problem.p_antenna if p_antenna is _FROM_PROBLEM else p_antenna
    floors = detector.reflected_power_floors(problem) if floors is _FROM_PROBLEM else floors
    values, vectors = np.linalg.eigh(R)
    R = np.einsum("lnk,lk,lpk->lnp", vectors, np.maximum(values, 0.0), vectors.conj())
    factors = _rescale_powers(problem, receiver, detector, w, R, p_antenna=p_antenna, floors=floors, power_weights=power_weights)
    if factors is None:
        return w.copy(), R
    beam_factors, sensing_factors = factors
    return w * np.sqrt(beam_factors).reshape(w.shape[:2])[..., None], R * sensing_factors[:, None, None]
