"""Verification and repair of a design against its constraints.

Every number is recomputed from the returned ``w`` and ``R`` with the core
model's functions (:meth:`Receiver.sinr`, in expectation under a statistical
CSI error; :meth:`Detector.reflected_power`; :func:`~isacsim.evaluation.antenna_powers`;
:func:`~isacsim.evaluation.transmit_power`) against the limits in watts of
:class:`Limits`; nothing is taken from the solver. This module is the one
place where a design's constraints are checked: the designers' own
verification and isacsim's audit of every design
(:mod:`isacsim.designers.audit`) both call :func:`check_designs`, which
checks a whole stack of designs at once.
"""
from __future__ import annotations

import attrs
import numpy as np

from ..evaluation import antenna_powers, transmit_power
from ..stack import ProblemStack, contiguous, stack_problems
from ..receivers import received_powers, sensing_interference_by_bs
from ..units import linear_to_db
from ..validation import as_tuple

__all__ = [
    "Check", "Limits", "ProblemStack", "check_design", "check_designs", "stack_problems", "repair_design", "row_values",
    "covariance_row_values", "TOLERANCE",
]

#: Largest relative constraint violation a design may carry and still be ``optimal``.
TOLERANCE = 1e-6
#: Target margin of the repair: constraints are met with this relative slack.
_MARGIN = 1e-9


def _optional_array(value):
    return None if value is None else np.asarray(value, dtype=float)


@attrs.frozen(kw_only=True)
class Limits:
    """What a design must meet, and what it optimizes, in physical units.

    Attributes
    ----------
    gamma : numpy.ndarray, float, shape (L, K)
        SINR targets [linear].
    p_max : numpy.ndarray, float, shape (L,)
        Per-BS budgets [W].
    p_antenna : numpy.ndarray or None, float, shape (L, Nt)
        Per-antenna budgets [W] (None: none).
    floors : numpy.ndarray or None, float, shape (Q,)
        Reflected-power floors [W] (None: none).
    power_weights : numpy.ndarray or None, float, shape (L,)
        None: the objective is the minimum reflected power (maximized);
        weights: it is ``sum_l weight_l P_l`` (minimized).
    other_rows : tuple of RowSet
        Rows of kinds the model has no function for (a designer's own):
        each is evaluated on the returned beams from its own data
        (:func:`row_values`); rows that involve the objective variable
        ``t`` are left out (they define the objective).
    """

    gamma: np.ndarray = attrs.field(converter=np.asarray, eq=False)
    p_max: np.ndarray = attrs.field(converter=np.asarray, eq=False)
    p_antenna: np.ndarray | None = attrs.field(default=None, converter=_optional_array, eq=False)
    floors: np.ndarray | None = attrs.field(default=None, converter=_optional_array, eq=False)
    power_weights: np.ndarray | None = attrs.field(default=None, converter=_optional_array, eq=False)
    other_rows: tuple = attrs.field(default=(), converter=as_tuple, eq=False)

    @classmethod
    def of_problem(cls, problem, detector, power_weights=None):
        """The problem's own limits: its targets, budgets, per-antenna budgets and detection target's floors."""
        return cls(
            gamma=problem.gamma, p_max=problem.p_max, p_antenna=problem.p_antenna,
            floors=detector.reflected_power_floors(problem), power_weights=power_weights,
        )

    @property
    def maximizes_echo(self):
        """Whether the objective is the minimum reflected power (else the weighted power)."""
        return self.power_weights is None


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
    other_violation : float
        Largest relative shortfall of the rows of :attr:`Limits.other_rows`
        (against ``max(|rhs|, scale max(P_max))``).
    min_eig_r : float
        Smallest eigenvalue over all R_l [W].
    psd_violation : float
        ``max(0, -min_eig_r, max |R_l - R_l^H|) / max(P_max)``: how far the
        R_l are from Hermitian PSD matrices.
    objective : float
        Minimum reflected power over the sample points [W].
    transmit : float
        Total transmit power, ``sum_l weight_l P_l`` [W] (weights 1 unless given).
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
    antenna_violation: float = 0.0
    floor_violation: float = 0.0
    other_violation: float = 0.0
    transmit: float = float("nan")
    broken: str = ""

    @property
    def worst(self):
        """Largest of the relative violations."""
        return max(self.sinr_violation, self.power_violation, self.antenna_violation, self.floor_violation, self.other_violation, self.psd_violation)


def _relative_excess(value, limit):
    """``max(0, max (value - limit) / limit)`` over the entries (0 without limits)."""
    return 0.0 if limit is None else float(max(0.0, np.max((value - limit) / limit)))


def _relative_shortfall(value, target):
    """``max(0, max (target - value) / target)`` over the entries with a target > 0 (0 without targets)."""
    if target is None or not np.any(target > 0):
        return 0.0
    positive = target > 0
    return float(max(0.0, np.max((target[positive] - value[positive]) / target[positive])))


def row_values(rows, w, R):
    """Left-hand side of every row of a row set at rank-one beams, without the ``t`` term.

    ``sum_p beam[l,i,p] |a_lp^H w_li|^2 + sensing[l,p] a_lp^H R_l a_lp``
    plus the identity terms ``beam_identity ||w_li||^2 + sensing_identity tr R_l``.

    Parameters
    ----------
    rows : RowSet
    w : numpy.ndarray, complex, shape (L, K, Nt)
    R : numpy.ndarray, complex, shape (L, Nt, Nt)

    Returns
    -------
    numpy.ndarray, float, shape (n,)
        [the row's unit].
    """
    beam = (np.abs(np.einsum("lpn,lkn->lkp", rows.atoms.conj(), w)) ** 2 * rows.beam).sum(axis=1)  # (L, P)
    sensing = np.einsum("lpn,lnm,lpm->lp", rows.atoms.conj(), R, rows.atoms).real * rows.sensing
    used = rows.atom_rows >= 0
    values = np.zeros(rows.n_rows)
    np.add.at(values, rows.atom_rows[used], (beam + sensing)[used])
    if rows.beam_identity is not None:
        values += np.einsum("jlk,lk->j", rows.beam_identity, (np.abs(w) ** 2).sum(axis=2))
    if rows.sensing_identity is not None:
        values += rows.sensing_identity @ np.einsum("lnn->l", R).real
    return values


def covariance_row_values(rows, W, R):
    """Left-hand side of every row of a row set at covariances (a relaxed solution), without the ``t`` term.

    Parameters
    ----------
    rows : RowSet
    W : numpy.ndarray, complex, shape (L, K, Nt, Nt)
    R : numpy.ndarray, complex, shape (L, Nt, Nt)

    Returns
    -------
    numpy.ndarray, float, shape (n,)
        [the row's unit].
    """
    atoms = rows.atoms
    beam = (np.einsum("lpn,lknm,lpm->lkp", atoms.conj(), W, atoms).real * rows.beam).sum(axis=1)  # (L, P)
    sensing = np.einsum("lpn,lnm,lpm->lp", atoms.conj(), R, atoms).real * rows.sensing
    used = rows.atom_rows >= 0
    values = np.zeros(rows.n_rows)
    np.add.at(values, rows.atom_rows[used], (beam + sensing)[used])
    if rows.beam_identity is not None:
        values += np.einsum("jlk,lk->j", rows.beam_identity, np.einsum("lknn->lk", W).real)
    if rows.sensing_identity is not None:
        values += rows.sensing_identity @ np.einsum("lnn->l", R).real
    return values


def _rows_shortfall(other_rows, w, R, power_unit):
    """Largest relative shortfall of the rows without a ``t`` term (0 for none)."""
    worst = 0.0
    for rows in other_rows:
        plain = np.asarray(rows.t) == 0
        if not plain.any():
            continue
        rhs = np.asarray(rows.rhs)[plain]
        scale = np.maximum(np.abs(rhs), np.asarray(rows.scale)[plain] * power_unit)
        worst = max(worst, float(np.max((rhs - row_values(rows, w, R)[plain]) / scale)))
    return worst


def check_design(problem, receiver, detector, w, R, limits=None):
    """Recompute every constraint of a design.

    Parameters
    ----------
    problem : DesignProblem
    receiver : Receiver
    detector : Detector
    w : numpy.ndarray, complex, shape (L, K, Nt)
    R : numpy.ndarray, complex, shape (L, Nt, Nt)
    limits : Limits or None
        What to check against; default :meth:`Limits.of_problem`.

    Returns
    -------
    Check
    """
    return check_designs(stack_problems([problem]), receiver, detector, np.asarray(w)[None], np.asarray(R)[None],
                         None if limits is None else [limits])[0]


def check_designs(problems, receiver, detector, w, R, limits=None):
    """Recompute every constraint of a stack of designs at once (vectorized).

    Parameters
    ----------
    problems : ProblemStack
        From :func:`stack_problems`, B problems.
    receiver : Receiver
    detector : Detector
    w : numpy.ndarray, complex, shape (B, L, K, Nt)
    R : numpy.ndarray, complex, shape (B, L, Nt, Nt)
    limits : sequence of Limits or None
        What each design is checked against; default each problem's own
        (:meth:`Limits.of_problem`).

    Returns
    -------
    list of Check
        One per design, in order.
    """
    w, R = contiguous(w), contiguous(R)  # the sums of a member then do not depend on its stack
    limits = [Limits.of_problem(problem, detector) for problem in problems.members] if limits is None else limits
    with np.errstate(all="ignore"):  # a non-finite value is caught below, not warned about
        sinr = receiver.sinr(problems, w, R)  # (B, L, K)
        tx = transmit_power(w, R)  # (B, L)
        reflected = detector.reflected_power(problems, w, R)  # (B, Q)
        per_antenna = antenna_powers(w, R)  # (B, L, Nt)
        finite = (np.isfinite(w).all(axis=(1, 2, 3)) & np.isfinite(R).all(axis=(1, 2, 3)) & np.isfinite(sinr).all(axis=(1, 2))
                  & np.isfinite(tx).all(axis=1) & np.isfinite(reflected).all(axis=1))
        safe_R = np.where(finite[:, None, None, None], R, 0.0)
        eigenvalues = np.linalg.eigvalsh(safe_R).min(axis=-1)  # (B, L)
        asymmetry = np.abs(safe_R - np.conj(np.swapaxes(safe_R, -1, -2))).max(axis=(-2, -1))  # (B, L)
    checks = []
    for b, limit in enumerate(limits):
        objective = float(reflected[b].min())
        if not finite[b]:  # NaN compares false: never let it pass as a met constraint
            broken = "finite numbers (w, R, an SINR, a power or the objective is NaN or inf)"
            checks.append(Check(np.inf, np.inf, np.nan, np.inf, objective, sinr[b], tx[b], finite=False, antenna_violation=np.inf,
                                floor_violation=np.inf, broken=broken))
            continue
        scale = float(limit.p_max.max())
        weights = np.ones(tx.shape[1]) if limit.power_weights is None else limit.power_weights
        with np.errstate(all="ignore"):
            check = Check(
                sinr_violation=_relative_shortfall(sinr[b], limit.gamma),
                power_violation=_relative_excess(tx[b], limit.p_max),
                antenna_violation=_relative_excess(per_antenna[b], limit.p_antenna),
                floor_violation=_relative_shortfall(reflected[b], limit.floors),
                other_violation=_rows_shortfall(limit.other_rows, w[b], R[b], scale),
                min_eig_r=float(eigenvalues[b].min()),
                psd_violation=float(max(0.0, np.max(np.maximum(-eigenvalues[b], asymmetry[b]))) / scale),
                objective=objective,
                transmit=float(weights @ tx[b]),
                sinr=sinr[b],
                tx_power=tx[b],
            )
        checks.append(attrs.evolve(check, broken=_describe_worst(check, limit, reflected[b], per_antenna[b], eigenvalues[b], asymmetry[b])))
    return checks


def _describe_worst(check, limits, reflected, per_antenna, eigenvalues, asymmetry):
    """The worst of the violated constraints of one design, in words ("" if none)."""
    violations = {"sinr": check.sinr_violation, "power": check.power_violation, "antenna": check.antenna_violation,
                  "floor": check.floor_violation, "other": check.other_violation, "psd": check.psd_violation}
    kind = max(violations, key=violations.get)
    if violations[kind] <= 0:
        return ""
    if kind == "sinr":
        gamma, sinr = limits.gamma, check.sinr
        m, k = np.unravel_index(np.argmax((gamma - sinr) / gamma), gamma.shape)
        with np.errstate(divide="ignore"):
            achieved, target = linear_to_db(sinr[m, k]), linear_to_db(gamma[m, k])
        return f"the SINR target of cell {m} user {k} (SINR {achieved:.4g} dB < target {target:.4g} dB)"
    if kind == "power":
        l = int(np.argmax((check.tx_power - limits.p_max) / limits.p_max))
        return f"the power budget of BS {l} ({check.tx_power[l]:.6g} W > {limits.p_max[l]:.6g} W)"
    if kind == "antenna":
        l, n = np.unravel_index(np.argmax((per_antenna - limits.p_antenna) / limits.p_antenna), per_antenna.shape)
        return f"the per-antenna budget of BS {l} antenna {n} ({per_antenna[l, n]:.6g} W > {limits.p_antenna[l, n]:.6g} W)"
    if kind == "floor":
        floors = np.where(limits.floors > 0, limits.floors, np.nan)
        q = int(np.nanargmax((floors - reflected) / floors))
        return f"the detection target at sample point {q} (reflected power {reflected[q]:.6g} W < floor {limits.floors[q]:.6g} W)"
    if kind == "other":
        return f"a row of the designer's own (relative shortfall {check.other_violation:.3g})"
    l = int(np.argmax(np.maximum(-eigenvalues, asymmetry)))
    if asymmetry[l] > -eigenvalues[l]:
        return f"the Hermitian symmetry of R of BS {l} (max |R - R^H| = {asymmetry[l]:.3g} W)"
    return f"the positive semidefiniteness of R of BS {l} (smallest eigenvalue {eigenvalues[l]:.3g} W)"


def _shape_gains(problem, detector, w, R):
    """Echo power per unit scale of each beam and each R_l, shape (Q, LK + L) [W]."""
    link = detector.link_weights(problem) * problem.n_rx  # (Q, L)
    beams, sensing = detector.gains_by_signal(problem, w, R)
    return np.concatenate([(link[:, :, None] * beams).reshape(problem.n_points, -1), link * sensing], axis=1)


def _rescale_powers(problem, receiver, detector, w, R, limits):
    """Best per-beam and per-R_l power factors for fixed beam shapes (an LP).

    Over factors ``s`` (one per beam) and ``r`` (one per R_l), subject to
    the exact SINR targets (tightened by 1e-9), the power budgets, the
    per-antenna budgets and the reflected-power floors (raised by 1e-9), it
    maximizes the minimum reflected power or minimizes the weighted transmit
    power ``sum_l weight_l P_l`` (:attr:`Limits.maximizes_echo`). The
    current design is the point ``s = r = 1``, so for a nearly feasible
    design the LP moves it by about its violation. Every row is normalised
    by its value at that point. Returns the factors or None when the LP
    fails.
    """
    n_users = problem.gamma.size
    n_bs, n_per_cell = problem.n_bs, problem.n_users_per_cell
    received = received_powers(problem, w).reshape(n_users, n_users).T  # [at user u, from beam v]
    gain = np.diag(received).copy()
    cross = received - np.diag(gain)
    leak = receiver.sensing_leakage * sensing_interference_by_bs(problem, R).reshape(n_bs, n_users).T  # [user, BS]
    level = cross.sum(axis=1) + leak.sum(axis=1) + problem.sigma_c2  # interference + noise at s = r = 1
    p_antenna, floors = limits.p_antenna, limits.floors
    target = limits.gamma.ravel() * (1.0 + _MARGIN)
    # SINR rows: target * (cross s + leak r + sigma) - gain s <= 0, divided by level
    rows = [np.hstack([target[:, None] * cross - np.diag(gain), target[:, None] * leak]) / level[:, None]]
    rhs = [-target * problem.sigma_c2 / level]
    owner = np.kron(np.eye(n_bs), np.ones((1, n_per_cell)))  # (L, LK): BS l's beams
    power = np.hstack([owner * (np.abs(w) ** 2).sum(axis=2).ravel(), np.diag(np.einsum("lnn->l", R).real)])  # (L, LK + L)
    rows.append(power / limits.p_max[:, None])
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
    maximize_echo = limits.maximizes_echo
    A_ub = np.vstack(rows)
    b_ub = np.concatenate(rhs)
    if maximize_echo:  # one more variable, t: -(sensing) + t <= 0
        reference = max(float(shape.sum(axis=1).min()), 1e-300)
        A_ub = np.vstack([np.hstack([-shape / reference, np.ones((problem.n_points, 1))]), np.hstack([A_ub, np.zeros((A_ub.shape[0], 1))])])
        b_ub = np.concatenate([np.zeros(problem.n_points), b_ub])
        cost = np.zeros(n_users + n_bs + 1)
        cost[-1] = -1.0
    else:
        cost = limits.power_weights @ power
        cost = cost / max(float(cost.sum()), 1e-300)
    bounds = [(0, None)] * (n_users + n_bs) + [(None, None)] * maximize_echo
    from scipy.optimize import linprog  # only when a design needs a repair (rare): the command line starts without SciPy

    result = linprog(cost, A_ub=A_ub, b_ub=b_ub, bounds=bounds, method="highs",
                     options={"primal_feasibility_tolerance": 1e-10, "dual_feasibility_tolerance": 1e-10})
    if result.status != 0:
        return None
    return result.x[:n_users], result.x[n_users:n_users + n_bs]


def repair_design(problem, receiver, detector, w, R, limits=None):
    """Make a nearly feasible design feasible by re-optimizing its powers.

    1. Negative eigenvalues of each R_l are clipped to zero.
    2. With the beam shapes and the shape of each R_l fixed, one power factor
       per beam and per R_l is re-optimized by a small LP
       (:func:`_rescale_powers`): the exact SINR targets (with a 1e-9 margin),
       budgets, per-antenna budgets and reflected-power floors hold at its
       vertex solution, and the objective is as good as these shapes allow.

    Parameters
    ----------
    problem, receiver, detector, limits
        As for :func:`check_design`.
    w : numpy.ndarray, complex, shape (L, K, Nt)
    R : numpy.ndarray, complex, shape (L, Nt, Nt)

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        Repaired ``w`` and ``R`` (new arrays; the caller re-checks them).
    """
    limits = Limits.of_problem(problem, detector) if limits is None else limits
    values, vectors = np.linalg.eigh(R)
    R = np.einsum("lnk,lk,lpk->lnp", vectors, np.maximum(values, 0.0), vectors.conj())
    factors = _rescale_powers(problem, receiver, detector, w, R, limits)
    if factors is None:
        return w.copy(), R
    beam_factors, sensing_factors = factors
    return w * np.sqrt(beam_factors).reshape(w.shape[:2])[..., None], R * sensing_factors[:, None, None]
