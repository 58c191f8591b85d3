"""Reference path: the straightforward primal SDR as a PICOS model.

This is the readable form of (SDR1.1)-(SDR4.1), written the way the paper
states them, eqs. (33)/(34)/(41)/(42): one Hermitian PSD variable per
information beam (or a power per fixed beam direction) and per sensing
covariance, every constraint as an inner product; and of every formulation
built on them: the minimum (weighted) transmit power instead of the max-min
objective, per-antenna budgets, reflected-power floors and SINR rows in
expectation under a statistical CSI error. It serves every installed
PICOS solver (``--solver picos:cvxopt``, ``picos:qics``, ``picos:mosek``, ...) and is the
independent reference the tests compare the fast dual path against. It
shares no code with that path beyond the problem arrays.

Only a plain scaling is applied (powers in units of ``max(p_max)``, each SINR
row divided by its own-channel gain, the objective to O(1)); without it the
solvers' absolute tolerances swamp the physical values (MODEL-NOTES).

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


def build_model(problem, receiver, detector, *, directions=None, margin=0.0, power_weights=None, p_antenna=None, floors=None):
    """Build the primal model.

    Every row is written from the paper's equations on the problem's
    arrays: the reflected power of eqs. (20)/(28) at each point, the SINR
    rows of eqs. (33c)/(34b) with each channel's Gram matrix ``h h^H`` (plus
    ``csi_error_var I`` under a statistical CSI error: the expectation of
    ``|h^H w|^2``), the budgets (33d), the per-antenna budgets on the
    diagonal of each BS's covariance, and the reflected-power floors.

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
    power_weights : numpy.ndarray or None, shape (L,)
        None maximizes the minimum reflected power over the points (the
        paper's objective); weights minimize ``sum_l weight_l P_l`` instead.
    p_antenna : numpy.ndarray or None, shape (L, Nt)
        Per-antenna budgets [W] (None: none).
    floors : numpy.ndarray or None, shape (Q,)
        Reflected-power floors [W] (None: none).

    Returns
    -------
    (picos.Problem, dict)
        The model and its handles: ``W`` (list of lists of expressions),
        ``R`` (list of variables), ``t`` (None when minimizing power),
        ``objective_scale`` ([W] per unit of the model's objective).
    """
    import picos

    n_bs, n_users, n_tx = problem.n_bs, problem.n_users_per_cell, problem.n_tx
    power_scale = float(problem.p_max.max())
    link = detector.link_weights(problem)
    steering_gain = np.sum(np.abs(problem.A) ** 2, axis=2)
    energy_unit = float(np.max(np.sum(link * steering_gain, axis=1))) or 1.0
    energy_scale = problem.n_rx * power_scale * energy_unit  # [W] of reflected power per model unit
    model = picos.Problem()
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
    covariance = [R[l] + picos.sum(W[l]) for l in range(n_bs)]  # each BS's transmit covariance
    echo_source = covariance if detector.information_echoes else R
    echoes = []
    for q in range(problem.n_points):
        echo = 0
        for l in range(n_bs):
            a = problem.A[q, l][:, None]
            steering = picos.Constant(np.conj(a) @ a.T / energy_unit)  # A_l = a* a^T
            echo = echo + link[q, l] * (steering | echo_source[l]).real
        echoes.append(echo)
    if floors is not None:
        for q in np.flatnonzero(floors > 0):
            model.add_constraint(echoes[q] >= float(floors[q]) / energy_scale)
    gamma = problem.gamma * (1.0 + margin)
    error_var = problem.csi_error_var if problem.csi_error_var is not None else np.zeros((n_bs, n_bs, n_users))
    for m in range(n_bs):
        for k in range(n_users):
            own = np.vdot(problem.H[m, m, k], problem.H[m, m, k]).real

            def gram(l):  # E h h^H for the channel from BS l to user (m, k), scaled by the own gain
                h = problem.H[l, m, k][:, None]
                return picos.Constant((h @ h.conj().T + error_var[l, m, k] * np.eye(n_tx)) / own)

            received = 0
            for l in range(n_bs):
                received = received + (gram(l) | picos.sum(W[l])).real
                if receiver.sensing_leakage:
                    received = received + receiver.sensing_leakage * (gram(l) | R[l]).real
            desired = (gram(m) | W[m][k]).real
            noise = problem.sigma_c2 / (power_scale * own)
            model.add_constraint(received + noise <= (1.0 + 1.0 / gamma[m, k]) * desired)  # eq. (33c)
    powers = [picos.sum([picos.trace(w).real for w in W[l]]) + picos.trace(R[l]).real for l in range(n_bs)]
    for l in range(n_bs):
        model.add_constraint(powers[l] <= problem.p_max[l] / power_scale)
        if p_antenna is not None:
            model.add_constraint(picos.maindiag(covariance[l]).real <= p_antenna[l] / power_scale)
    t = None
    if power_weights is None:
        t = picos.RealVariable("t")
        for echo in echoes:
            model.add_constraint(echo >= t)
        model.set_objective("max", t)
        objective_scale = energy_scale
    else:
        model.set_objective("min", picos.sum([float(c) * p for c, p in zip(power_weights, powers)]))
        objective_scale = power_scale
    handles = {"W": W, "R": R, "t": t, "power_scale": power_scale, "objective_scale": objective_scale}
    return model, handles


def solve_picos(problem, receiver, detector, *, directions=None, solver="cvxopt", options=None, margin=0.0, power_weights=None, p_antenna=None, floors=None):
    """Solve the primal model with a PICOS solver.

    Parameters
    ----------
    problem, receiver, detector, directions, margin, power_weights, p_antenna, floors
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
        ``value`` is the optimum in watts: the minimum reflected power, or
        the minimum weighted transmit power.
    """
    from picos.modeling import solution as picos_solution

    settings = {"dualize": False, **(options or {})}
    model, handles = build_model(
        problem, receiver, detector, directions=directions, margin=margin, power_weights=power_weights, p_antenna=p_antenna, floors=floors
    )
    solution = model.solve(solver=solver, primals=None, duals=None, verbosity=0, **settings)
    if solution.problemStatus == picos_solution.PS_INFEASIBLE:
        return RelaxedSolution(status="infeasible", solver=f"picos:{solver}", message=solution.claimedStatus)
    if solution.primalStatus not in (picos_solution.SS_OPTIMAL, picos_solution.SS_FEASIBLE) or model.value is None:
        return RelaxedSolution(status="unknown", solver=f"picos:{solver}", message=f"PICOS status {solution.claimedStatus}")
    scale = handles["power_scale"]
    W = np.array([[np.array(w.value, dtype=complex) for w in row] for row in handles["W"]]) * scale
    R = np.array([np.array(r.value, dtype=complex) for r in handles["R"]]) * scale
    value = handles["objective_scale"] * float(model.value)
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
