"""Reference path: the straightforward primal SDR as a PICOS model.

This is the readable form of (SDR1.1)-(SDR4.1), written the way the paper
states them, eqs. (33)/(34)/(41)/(42): one Hermitian PSD variable per
information beam (or a power per fixed beam direction) and per sensing
covariance, every constraint as an inner product. It serves every installed
PICOS solver (``--solver picos:cvxopt``, ``picos:qics``, ``picos:mosek``, ...) and is the
independent reference the tests compare the fast dual path against. It
shares no code with that path beyond the problem arrays.

Only a plain scaling is applied (powers in units of ``max(p_max)``, each SINR
row divided by its own-channel gain, the objective to O(1)); without it the
solvers' absolute tolerances swamp the physical values.

The model has ``(LK + L) Nt^2`` real unknowns, and the generic solvers' dense
matrices grow with their square: at the paper's K = 3, Nt = 32 about 11 GiB
(CVXOPT, counting its LDL fallback) or 4.6 GiB (QICS). :func:`solve_picos`
therefore estimates the memory first and refuses, before building anything,
above the limit (:mod:`isacsim.solvers.memory`). The reduced dual of
:mod:`isacsim.solvers.picos_dual` serves the same PICOS solvers at paper size.
"""
from __future__ import annotations

import math

import numpy as np

from ..errors import InputError
from .relaxed import RelaxedSolution

__all__ = ["check_solver", "build_model", "solve_picos"]


def check_solver(name, prefix="picos:"):
    """Raise ValueError unless ``name`` is an installed PICOS solver.

    Parameters
    ----------
    name : str
        PICOS solver name, e.g. ``"cvxopt"``.
    prefix : str
        The solver path's prefix, for the message (``"picos:"`` or
        ``"picos-dual:"``).
    """
    import picos

    available = picos.available_solvers()
    if name not in available:
        raise InputError(
            f"solver: expected '{prefix}NAME' with NAME an installed PICOS solver "
            f"({', '.join(sorted(available)) or 'none'}), got '{prefix}{name}'"
        )


def build_model(problem, receiver, detector, *, directions=None, margin=0.0):
    """Build the primal model.

    Parameters
    ----------
    problem : DesignProblem
    receiver : Receiver
    detector : Detector
    directions : numpy.ndarray or None, shape (L, K, Nt)
        Fixed unit beam directions (only powers are variables), or None for
        full Hermitian W_li.
    margin : float
        Relative tightening of the SINR targets.

    Returns
    -------
    (picos.Problem, dict)
        The model and its handles: ``W`` (list of lists of expressions),
        ``R`` (list of variables), ``t``, ``power_scale``, ``energy_scale``.
    """
    import picos

    n_bs, n_users, n_tx = problem.n_bs, problem.n_users_per_cell, problem.n_tx
    power_scale = float(problem.p_max.max())
    link = detector.link_weights(problem)
    steering_gain = np.sum(np.abs(problem.A) ** 2, axis=2)
    energy_unit = float(np.max(np.sum(link * steering_gain, axis=1))) or 1.0
    model = picos.Problem()
    t = picos.RealVariable("t")
    W = []
    for l in range(n_bs):
        row = []
        for i in range(n_users):
            if directions is None:
                variable = picos.HermitianVariable(f"W_{l}_{i}", n_tx)
                model.add_constraint(variable >> 0)
                row.append(variable)
            else:
                power = picos.RealVariable(f"p_{l}_{i}", lower=0)
                u = directions[l, i][:, None]
                row.append(power * picos.Constant(u @ u.conj().T))
        W.append(row)
    R = []
    for l in range(n_bs):
        variable = picos.HermitianVariable(f"R_{l}", n_tx)
        model.add_constraint(variable >> 0)
        R.append(variable)
    information = 1.0 if detector.information_echoes else 0.0
    for q in range(problem.n_points):
        echo = 0
        for l in range(n_bs):
            a = problem.A[q, l][:, None]
            steering = picos.Constant(np.conj(a) @ a.T / energy_unit)  # A_l = a* a^T
            covariance = R[l] + information * picos.sum(W[l]) if information else R[l]
            echo = echo + link[q, l] * (steering | covariance).real
        model.add_constraint(echo >= t)
    gamma = problem.gamma * (1.0 + margin)
    for m in range(n_bs):
        for k in range(n_users):
            own = np.vdot(problem.H[m, m, k], problem.H[m, m, k]).real
            received = 0
            for l in range(n_bs):
                h = problem.H[l, m, k][:, None]
                channel = picos.Constant(h @ h.conj().T / own)
                received = received + (channel | picos.sum(W[l])).real
                if receiver.sensing_leakage:
                    received = received + receiver.sensing_leakage * (channel | R[l]).real
            h = problem.H[m, m, k][:, None]
            desired = (picos.Constant(h @ h.conj().T / own) | W[m][k]).real
            noise = problem.sigma_c2 / (power_scale * own)
            model.add_constraint(received + noise <= (1.0 + 1.0 / gamma[m, k]) * desired)  # eq. (33c)
    for l in range(n_bs):
        model.add_constraint(
            picos.sum([picos.trace(w).real for w in W[l]]) + picos.trace(R[l]).real <= problem.p_max[l] / power_scale
        )
    model.set_objective("max", t)
    handles = {"W": W, "R": R, "t": t, "power_scale": power_scale, "energy_scale": problem.n_rx * power_scale * energy_unit}
    return model, handles


def solve_picos(problem, receiver, detector, *, directions=None, solver="cvxopt", options=None, margin=0.0):
    """Solve the primal model with a PICOS solver.

    Parameters
    ----------
    problem, receiver, detector, directions, margin
        As for :func:`build_model`.
    solver : str
        PICOS solver name.
    options : dict or None
        PICOS options; ``dualize`` defaults to False. (Dualized, this model
        costs CVXOPT about 6x the memory and 20x the time, and QICS 6x and
        10x, measured at L = 3, K = 1, 2, Nt = 8..20.)

    Returns
    -------
    RelaxedSolution

    """
    from picos.modeling import solution as picos_solution

    settings = {"dualize": False, **(options or {})}
    model, handles = build_model(problem, receiver, detector, directions=directions, margin=margin)
    solution = model.solve(solver=solver, primals=None, duals=None, verbosity=0, **settings)
    if solution.problemStatus == picos_solution.PS_INFEASIBLE:
        return RelaxedSolution(status="infeasible", solver=f"picos:{solver}", message=solution.claimedStatus)
    if solution.primalStatus not in (picos_solution.SS_OPTIMAL, picos_solution.SS_FEASIBLE) or handles["t"].value is None:
        return RelaxedSolution(status="unknown", solver=f"picos:{solver}", message=f"PICOS status {solution.claimedStatus}")
    scale = handles["power_scale"]
    W = np.array([[np.array(w.value, dtype=complex) for w in row] for row in handles["W"]]) * scale
    R = np.array([np.array(r.value, dtype=complex) for r in handles["R"]]) * scale
    value = handles["energy_scale"] * float(handles["t"].value)
    return RelaxedSolution(
        status="optimal" if solution.primalStatus == picos_solution.SS_OPTIMAL else "unknown",
        W=W,
        R=R,
        value=value,
        bound=math.nan,  # PICOS reports the primal value; no dual bound is read here
        gap=math.nan,
        solver=f"picos:{solver}",
        message=solution.claimedStatus,
    )
