"""The reduced dual of a `BeamProgram` as a PICOS model, for any PICOS solver.

This is the program :mod:`isacsim.solvers.cvxopt_dual` hands to CVXOPT, written
as a PICOS model so that every installed PICOS solver can serve at paper
size (``--solver picos-dual:cvxopt``, ``picos-dual:qics``, ...)::

    minimize    sum_l nu_l p_l - sum_mk mu_mk rho_mk
    subject to  sum_q lambda_q = 1,  lambda, mu, nu >= 0
                nu_l I - sum_j y_j c_j v_j v_j^H >= 0        one Hermitian LMI per block

with ``y = (lambda, mu)`` and ``(v_j, c_j)`` the block's rows
(:meth:`~isacsim.solvers.program.BeamProgram.block_rows`). It has
``Q + LK + L`` scalar variables and LMIs of the blocks' reduced dimension
``d <= Q + LK``, where the primal model of :mod:`~isacsim.solvers.picos_model`
has ``(LK + L) Nt^2``. The primal blocks are the LMIs' multipliers (PICOS
reports their conjugate) and the optimum ``t`` is the multiplier of
``sum lambda = 1``.
"""
from __future__ import annotations

import numpy as np

from .relaxed import RelaxedSolution, users_named

__all__ = ["DEFAULT_PICOS_SOLVER", "DEFAULT_OPTIONS", "FALLBACK_OPTIONS", "build_dual_model", "solve_picos_dual"]

#: PICOS solver used when ``solve_picos_dual`` is given none.
DEFAULT_PICOS_SOLVER = "cvxopt"
#: PICOS options of this path (PICOS's own relative tolerances are 1e-8). It
#: keeps CVXOPT on its Cholesky KKT solver: PICOS would otherwise retry a
#: failed Cholesky with CVXOPT's dense LDL, of order ``n + sum_b 2 d_b^2``,
#: which is what makes generic paths blow up. The reduced dual's constraints
#: always have full rank, so Cholesky serves, and the memory estimate assumes it.
DEFAULT_OPTIONS = {"dualize": False, "cvxopt_kktsolver": "chol"}
#: Looser tolerances, tried once when the first run ends with status unknown.
FALLBACK_OPTIONS = {"rel_prim_fsb_tol": 1e-7, "rel_dual_fsb_tol": 1e-7, "rel_ipm_opt_tol": 1e-7}


def _lmi_data(vectors, coefficients):
    """Column-major data of ``sum_j y_j c_j v_j v_j^H`` as a linear map of y.

    Parameters
    ----------
    vectors : numpy.ndarray, complex, shape (n, d)
    coefficients : numpy.ndarray, float, shape (n,)

    Returns
    -------
    numpy.ndarray, complex, shape (d * d, n)
        Column j is ``c_j vec(v_j v_j^H)``, Hermitian by construction.
    """
    outer = np.einsum("ja,jb->jba", vectors, vectors.conj())  # [j, b, a] = v_a conj(v_b): F-order vec of v v^H
    outer = (outer + np.conj(np.swapaxes(outer, 1, 2))) / 2
    return (outer.reshape(len(coefficients), -1) * coefficients[:, None]).T


def build_dual_model(program):
    """Build the reduced dual of ``program`` as a PICOS problem.

    Parameters
    ----------
    program : BeamProgram

    Returns
    -------
    (picos.Problem, dict)
        The model and its handles: ``lam`` (Q,), ``mu`` (LK,), ``nu`` (L,)
        variables, ``normalization`` (the constraint ``sum lambda = 1``) and
        ``blocks`` (one constraint per program block, an LMI or, for d = 1, a
        scalar inequality).
    """
    import picos

    n_points, n_users, n_bs = program.n_points, program.gamma.size, program.n_bs
    lam = picos.RealVariable("lambda", n_points, lower=0)
    mu = picos.RealVariable("mu", n_users, lower=0)
    nu = picos.RealVariable("nu", n_bs, lower=0)
    y = lam // mu
    model = picos.Problem()
    normalization = model.add_constraint(picos.sum(lam) == 1)
    constraints = []
    for block in program.blocks:
        vectors, coefficients = program.block_rows(block)
        d = vectors.shape[1]
        if d == 1:
            weights = coefficients * np.abs(vectors[:, 0]) ** 2
            constraints.append(model.add_constraint(nu[block.bs] - picos.Constant(weights[None, :]) * y >= 0))
            continue
        data = picos.Constant(f"C_{block.bs}_{block.user}", _lmi_data(vectors, coefficients))
        slack = nu[block.bs] * picos.Constant(np.eye(d)) - (data * y).reshaped((d, d))
        constraints.append(model.add_constraint(slack >> 0))
    rhs = picos.Constant(program.rhs.ravel())
    model.set_objective("min", picos.Constant(program.budget).T * nu - rhs.T * mu)
    return model, {"lam": lam, "mu": mu, "nu": nu, "normalization": normalization, "blocks": constraints}


def solve_picos_dual(program, options=None, *, solver=None):
    """Solve a :class:`~isacsim.solvers.program.BeamProgram` through its reduced dual in PICOS.

    A drop-in ``solve(program, options) -> RelaxedSolution`` of the solver
    registry (:mod:`isacsim.solvers.registry`).

    Parameters
    ----------
    program : BeamProgram
    options : dict or None
        PICOS solve options, over :data:`DEFAULT_OPTIONS` (``dualize`` is
        False: this model is already the small one); the key ``"solver"``
        names the PICOS solver, unless ``solver`` is given.
    solver : str or None
        Installed PICOS solver name (default :data:`DEFAULT_PICOS_SOLVER`).

    Returns
    -------
    RelaxedSolution
        Status ``optimal``, ``infeasible`` (the dual is unbounded; its ray
        names the users when the solver returns one) or ``unknown``.

    """
    from picos.modeling import solution as picos_solution

    settings = {**DEFAULT_OPTIONS, **(options or {})}
    requested = settings.pop("solver", DEFAULT_PICOS_SOLVER)
    name = solver or requested
    label = f"picos-dual:{name}"  # the registry name of this path
    model, handles = build_dual_model(program)
    solution = model.solve(solver=name, primals=None, duals=None, verbosity=0, **settings)
    if solution.problemStatus == picos_solution.PS_UNKNOWN:
        solution = model.solve(solver=name, primals=None, duals=None, verbosity=0, **{**settings, **FALLBACK_OPTIONS})
    if solution.problemStatus == picos_solution.PS_UNBOUNDED:
        # The dual is always feasible, so unbounded means the primal targets cannot hold.
        culprits = users_named(handles["mu"].value, program.n_users_per_cell)  # the ray, if the solver gives one
        return RelaxedSolution(status="infeasible", culprits=culprits, solver=label, message=solution.claimedStatus)
    duals = [constraint.dual for constraint in handles["blocks"]]
    if solution.primalStatus != picos_solution.SS_OPTIMAL or any(dual is None for dual in duals):
        return RelaxedSolution(status="unknown", solver=label, message=f"PICOS status {solution.claimedStatus}")
    matrices = [np.conj(np.atleast_2d(np.array(dual, dtype=complex))) for dual in duals]
    W, R = program.assemble(matrices)
    bound = float(solution.value)
    value = float(handles["normalization"].dual)
    return RelaxedSolution(
        status="optimal" if solution.dualStatus == picos_solution.SS_OPTIMAL else "unknown",
        W=W,
        R=R,
        value=program.energy_scale * value,
        bound=program.energy_scale * bound,
        gap=abs(bound - value) / max(abs(bound), 1e-300),
        message=solution.claimedStatus,
        solver=label,
    )
