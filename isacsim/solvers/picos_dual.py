"""The reduced dual of a compiled `Program` as a PICOS model, for any PICOS solver.

This is the program :mod:`isacsim.solvers.cvxopt_dual` hands to CVXOPT,
written as a PICOS model so that every installed PICOS solver can serve at
paper size (``--solver picos-dual:cvxopt``, ``picos-dual:qics``, ...)::

    minimize    -r^T y
    subject to  y >= 0,   -c_t - a^T y >= 0   (= 0 for a free t)
                -c_b I - sum_j y_j A_jb >= 0        one Hermitian LMI per block

It has one scalar variable per row and LMIs of the blocks' reduced dimension,
where the primal model of :mod:`~isacsim.solvers.picos_model` has
``(LK + L) Nt^2`` unknowns. The primal blocks are the LMIs' multipliers
(PICOS reports their conjugate) and ``t`` is the multiplier of the ``t``
constraint.
"""
from __future__ import annotations

import numpy as np

from .cvxopt_dual import block_data
from .relaxed import RelaxedSolution

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


def _lmi_data(A):
    """Column-major data of ``sum_j y_j A_j`` as a linear map of y: (d * d, m) from A (m, d, d)."""
    return np.ascontiguousarray(np.swapaxes(A, 1, 2).reshape(A.shape[0], -1).T)


def build_dual_model(program):
    """Build the reduced dual of ``program`` as a PICOS problem.

    Parameters
    ----------
    program : Program

    Returns
    -------
    (picos.Problem, dict)
        The model and its handles: ``y`` (m,) variable, ``t_row`` (the
        ``t`` constraint, or None) and ``blocks`` (one constraint per program
        block, an LMI or, for d = 1, a scalar inequality).
    """
    import picos

    m = program.n_rows
    y = picos.RealVariable("y", m, lower=0)
    model = picos.Problem()
    t_row = None
    if np.any(program.t_coefficients != 0) or program.objective_t != 0:
        expression = -float(program.objective_t) - picos.Constant(program.t_coefficients[None, :]) * y
        t_row = model.add_constraint(expression == 0 if program.t_free else expression >= 0)
    constraints = []
    for block, (A, c_b) in zip(program.blocks, block_data(program)):
        d = A.shape[1]
        if d == 1:
            constraints.append(model.add_constraint(-c_b - picos.Constant(A[:, 0, 0].real[None, :]) * y >= 0))
            continue
        data = picos.Constant(f"A_{'_'.join(map(str, block.key))}", _lmi_data(A))
        slack = -c_b * picos.Constant(np.eye(d)) - (data * y).reshaped((d, d))
        constraints.append(model.add_constraint(slack >> 0))
    model.set_objective("min", -picos.Constant(program.rhs).T * y)
    return model, {"y": y, "t_row": t_row, "blocks": constraints}


def solve_picos_dual(program, options=None, *, solver=None):
    """Solve a :class:`~isacsim.solvers.program.Program` through its reduced dual in PICOS.

    A drop-in ``solve(program, options) -> RelaxedSolution`` of the solver
    registry (:mod:`isacsim.solvers.registry`).

    Parameters
    ----------
    program : Program
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
        names the rows when the solver returns one) or ``unknown``.
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
        # The dual is always feasible, so unbounded means no point meets every row.
        ray = handles["y"].value
        ray = np.asarray(ray, dtype=float).ravel() if ray is not None else None
        rows = program.named_rows(ray * program.rhs) if ray is not None else ()
        certified = ray is not None and program.farkas_ray(ray) is not None
        return RelaxedSolution(status="infeasible", rows=rows, infeasibility_certified=certified, solver=label, message=solution.claimedStatus)
    duals = [constraint.dual for constraint in handles["blocks"]]
    if solution.primalStatus != picos_solution.SS_OPTIMAL or any(dual is None for dual in duals):
        return RelaxedSolution(status="unknown", solver=label, message=f"PICOS status {solution.claimedStatus}")
    matrices = [np.conj(np.atleast_2d(np.array(dual, dtype=complex))) for dual in duals]
    W, R = program.assemble(matrices)
    y = np.asarray(handles["y"].value, dtype=float).ravel()
    bound, _, certified = program.certify(y)
    data = block_data(program)
    t = 0.0
    if handles["t_row"] is not None:
        t = abs(float(handles["t_row"].dual))
        if program.t_free:  # from the most active row with a t term: sum <A_jb, Y_b> + a_j t = r_j
            j = int(np.argmax(np.where(program.t_coefficients != 0, y, -np.inf)))
            row = sum(float(np.einsum("ij,ji->", A[j], Y).real) for (A, _), Y in zip(data, matrices))
            t = (program.rhs[j] - row) / program.t_coefficients[j]
    traces = sum(c_b * float(np.trace(Y).real) for (_, c_b), Y in zip(data, matrices))
    value = program.objective_t * t + traces
    solved = float(solution.value)
    return RelaxedSolution(
        status="optimal" if solution.dualStatus == picos_solution.SS_OPTIMAL else "unknown",
        W=W,
        R=R,
        value=program.units.objective * value,
        bound=program.units.objective * bound,
        bound_certified=bool(certified),
        gap=abs(solved - value) / max(abs(solved), 1e-300),
        message=solution.claimedStatus,
        solver=label,
    )
