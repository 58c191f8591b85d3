"""Reference path: the straightforward primal model of a formulation, in PICOS.

This is the readable form of the program, written the way the paper states
it, e.g. (SDR1.1)-(SDR4.1), eqs. (33)/(34)/(41)/(42): one Hermitian PSD
variable per information beam (or a power per fixed beam direction) and per
sensing covariance, every constraint an inner product restated **from the
model's equations and the row set's parameters**
(:attr:`~isacsim.solvers.formulation.RowSet.params`), never from the
compiled program or the atoms. It serves every installed PICOS solver
(``--solver picos:cvxopt``, ``picos:qics``, ``picos:mosek``, ...) and is the
independent reference the tests compare the structured solver against. It
shares no code with the compiled path beyond the problem arrays.

Row kinds it restates from their equations: ``echo`` (eqs. (27)/(28)),
``sinr`` (eqs. (33c)/(34b)) and ``budget`` (eq. (33d)); objectives
``max-min-reflected-power`` and ``min-power``. A row set or objective of
another kind is built from its atoms and coefficients (:func:`_generic_rows`):
a check of the compiler and the solvers, not of the row's derivation.
Register a restatement of a new kind in :data:`ROW_BUILDERS`.

Only a plain scaling is applied (powers in units of ``max(p_max)``, each SINR
row divided by its own-channel gain, the objective to O(1)); without it the
solvers' absolute tolerances swamp the physical values.

The model has ``(LK + L) Nt^2`` real unknowns, and the generic solvers' dense
matrices grow with their square: at the paper's K = 3, Nt = 32 about 11 GiB
(CVXOPT, counting its LDL fallback) or 4.6 GiB (QICS). :func:`solve_picos`
is therefore reached through the registry, which estimates the memory first
and refuses, before building anything, above the limit
(:mod:`isacsim.solvers.memory`). The reduced dual of
:mod:`isacsim.solvers.picos_dual` serves the same PICOS solvers at paper size.
"""
from __future__ import annotations

import math

import numpy as np

from ..errors import InputError
from .relaxed import RelaxedSolution

__all__ = ["check_solver", "build_model", "solve_picos", "ROW_BUILDERS"]


def check_solver(name, prefix="picos:"):
    """Raise InputError unless ``name`` is an installed PICOS solver.

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


def _echo(picos, model, problem, rows, W, R, t, context):
    """Eqs. (27)/(28): ``n_rx sum_l link[q, l] <A_l(q), R_l + s sum_i W_li> >= t`` at every point."""
    link = rows.params["link_weights"]
    information = 1.0 if rows.params["information_echoes"] else 0.0
    unit = context["energy_unit"]
    for q in range(problem.n_points):
        echo = 0
        for l in range(problem.n_bs):
            a = problem.A[q, l][:, None]
            steering = picos.Constant(np.conj(a) @ a.T / unit)  # A_l = a* a^T
            covariance = R[l]
            if information:
                covariance = picos.sum(W[l]) if covariance is None else covariance + picos.sum(W[l])
            if covariance is None:
                continue
            echo = echo + link[q, l] * (steering | covariance).real
        model.add_constraint(echo >= t)


def _sinr(picos, model, problem, rows, W, R, t, context):
    """Eqs. (33c)/(34b): ``received + noise <= (1 + 1/gamma) desired``, per user."""
    gamma = rows.params["gamma"] * (1.0 + context["margin"])
    leakage = rows.params["leakage"]
    power_scale = context["power_scale"]
    for m in range(problem.n_bs):
        for k in range(problem.n_users_per_cell):
            own = np.vdot(problem.H[m, m, k], problem.H[m, m, k]).real
            received = 0
            for l in range(problem.n_bs):
                h = problem.H[l, m, k][:, None]
                channel = picos.Constant(h @ h.conj().T / own)
                received = received + (channel | picos.sum(W[l])).real
                if leakage and R[l] is not None:
                    received = received + leakage * (channel | R[l]).real
            h = problem.H[m, m, k][:, None]
            desired = (picos.Constant(h @ h.conj().T / own) | W[m][k]).real
            noise = problem.sigma_c2 / (power_scale * own)
            model.add_constraint(received + noise <= (1.0 + 1.0 / gamma[m, k]) * desired)


def _budget(picos, model, problem, rows, W, R, t, context):
    """Eq. (33d): ``sum_i tr W_li + tr R_l <= p_max[l]``."""
    for l in range(problem.n_bs):
        total = picos.sum([picos.trace(w).real for w in W[l]])
        if R[l] is not None:
            total = total + picos.trace(R[l]).real
        model.add_constraint(total <= rows.params["p_max"][l] / context["power_scale"])


#: Restatements of row kinds from their equations: kind -> function
#: ``(picos, model, problem, rows, W, R, t, context)`` adding the constraints.
ROW_BUILDERS = {"echo": _echo, "sinr": _sinr, "budget": _budget}


def _generic_rows(picos, model, problem, rows, W, R, t, context):
    """Any row set from its atoms and coefficients (not an independent restatement)."""
    power_scale = context["power_scale"]
    for j in range(rows.n_rows):
        unit = power_scale * rows.scale[j]
        expression = rows.t[j] * context["t_unit"] / unit * t
        for l in range(problem.n_bs):
            for p in np.flatnonzero(rows.atom_rows[l] == j):
                a = rows.atoms[l, p][:, None]
                outer = picos.Constant(a @ a.conj().T * power_scale / unit)
                for i in range(problem.n_users_per_cell):
                    if rows.beam[l, i, p]:
                        expression = expression + rows.beam[l, i, p] * (outer | W[l][i]).real
                if rows.sensing[l, p] and R[l] is not None:
                    expression = expression + rows.sensing[l, p] * (outer | R[l]).real
            for i in range(problem.n_users_per_cell):
                if rows.beam_identity is not None and rows.beam_identity[j, l, i]:
                    expression = expression + rows.beam_identity[j, l, i] * power_scale / unit * picos.trace(W[l][i]).real
            if rows.sensing_identity is not None and rows.sensing_identity[j, l] and R[l] is not None:
                expression = expression + rows.sensing_identity[j, l] * power_scale / unit * picos.trace(R[l]).real
        model.add_constraint(expression >= rows.rhs[j] / unit)


def build_model(formulation, *, margin=0.0):
    """Build the primal model of a formulation.

    Parameters
    ----------
    formulation : Formulation
    margin : float
        Relative tightening of the SINR targets.

    Returns
    -------
    (picos.Problem, dict)
        The model and its handles: ``W`` (list of lists of expressions),
        ``R`` (list of variables, None where R is no variable), ``t``,
        ``power_scale``, ``objective_unit`` (physical objective per unit of
        the model's).
    """
    import picos

    problem, objective = formulation.problem, formulation.objective
    n_bs, n_users, n_tx = problem.n_bs, problem.n_users_per_cell, problem.n_tx
    directions = formulation.directions
    power_scale = float(problem.p_max.max())
    echo = formulation.row_set("echo")
    if echo is not None:
        link = echo.params["link_weights"]
        steering_gain = np.sum(np.abs(problem.A) ** 2, axis=2)
        energy_unit = float(np.max(np.sum(link * steering_gain, axis=1))) or 1.0
        t_unit = problem.n_rx * power_scale * energy_unit
    else:
        energy_unit, t_unit = 1.0, power_scale
    model = picos.Problem()
    t = picos.RealVariable("t", lower=None if objective.t_free else 0)
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
                u = np.asarray(directions[l, i], dtype=complex)[:, None]
                u = u / np.linalg.norm(u)
                row.append(power * picos.Constant(u @ u.conj().T))
        W.append(row)
    R = []
    for l in range(n_bs):
        if formulation.sensing:
            variable = picos.HermitianVariable(f"R_{l}", n_tx)
            model.add_constraint(variable >> 0)
            R.append(variable)
        else:
            R.append(None)
    context = {"power_scale": power_scale, "energy_unit": energy_unit, "t_unit": t_unit, "margin": margin}
    for rows in formulation.rows:
        ROW_BUILDERS.get(rows.kind, _generic_rows)(picos, model, problem, rows, W, R, t, context)
    if objective.kind == "max-min-reflected-power":
        model.set_objective("max", t)
        objective_unit = t_unit
    elif objective.kind == "min-power":
        weights = objective.params["weights"]
        total = 0
        for l in range(n_bs):
            power = picos.sum([picos.trace(w).real for w in W[l]])
            if R[l] is not None:
                power = power + picos.trace(R[l]).real
            total = total + float(weights[l]) * power
        model.set_objective("min", total)
        objective_unit = power_scale
    else:  # another objective: from its coefficients (not an independent restatement)
        objective_unit = t_unit if objective.t else power_scale
        expression = float(objective.t) * t_unit / objective_unit * t
        for l in range(n_bs):
            for i in range(n_users):
                if objective.beam_identity is not None and objective.beam_identity[l, i]:
                    expression = expression + float(objective.beam_identity[l, i]) * power_scale / objective_unit * picos.trace(W[l][i]).real
            if objective.sensing_identity is not None and objective.sensing_identity[l] and R[l] is not None:
                expression = expression + float(objective.sensing_identity[l]) * power_scale / objective_unit * picos.trace(R[l]).real
        model.set_objective("max", expression)
        if objective.sense == "min":
            objective_unit = -objective_unit
    handles = {"W": W, "R": R, "t": t, "power_scale": power_scale, "objective_unit": objective_unit}
    return model, handles


def solve_picos(formulation, *, solver="cvxopt", options=None, margin=0.0):
    """Solve the primal model of a formulation with a PICOS solver.

    Parameters
    ----------
    formulation : Formulation
    solver : str
        PICOS solver name.
    options : dict or None
        PICOS options; ``dualize`` defaults to False. (Dualized, this model
        costs CVXOPT about 6x the memory and 20x the time, and QICS 6x and
        10x, measured at L = 3, K = 1, 2, Nt = 8..20.)
    margin : float
        Relative tightening of the SINR targets.

    Returns
    -------
    RelaxedSolution
    """
    from picos.modeling import solution as picos_solution

    settings = {"dualize": False, **(options or {})}
    model, handles = build_model(formulation, margin=margin)
    solution = model.solve(solver=solver, primals=None, duals=None, verbosity=0, **settings)
    if solution.problemStatus == picos_solution.PS_INFEASIBLE:
        return RelaxedSolution(status="infeasible", solver=f"picos:{solver}", message=solution.claimedStatus)
    if solution.primalStatus not in (picos_solution.SS_OPTIMAL, picos_solution.SS_FEASIBLE) or model.value is None:
        return RelaxedSolution(status="unknown", solver=f"picos:{solver}", message=f"PICOS status {solution.claimedStatus}")
    problem = formulation.problem
    scale = handles["power_scale"]
    n_tx = problem.n_tx
    W = np.array([[np.array(w.value, dtype=complex) for w in row] for row in handles["W"]]) * scale
    R = np.array([np.array(r.value, dtype=complex) if r is not None else np.zeros((n_tx, n_tx), complex) for r in handles["R"]]) * scale
    value = handles["objective_unit"] * float(model.value)
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
